package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

// studyJSON decodes 'study --format json' strictly: the top level has the
// issue's keys (and "seed" for the demo).
func studyJSON(t *testing.T, out string, keys ...string) map[string]json.RawMessage {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, out)
	}
	assertKeys(t, "study", doc, keys...)
	return doc
}

type studyPeriod struct {
	Weeks                   int             `json:"weeks"`
	Accounts                int             `json:"accounts"`
	Orgs                    int             `json:"orgs"`
	AccountsUsedRoot        int             `json:"accounts_used_root"`
	OrgsUsedRoot            int             `json:"orgs_used_root"`
	Uses                    int             `json:"uses"`
	KeyUses                 int             `json:"key_uses"`
	ConsoleUses             int             `json:"console_uses"`
	ConsoleUsesWithoutMFA   int             `json:"console_uses_without_mfa"`
	RepeatOffenders         int             `json:"repeat_offenders"`
	UsesByRepeatOffenders   int             `json:"uses_by_repeat_offenders"`
	ConcentrationHalfOfUses int             `json:"concentration_half_of_uses"`
	AccountsWithRootKeys    int             `json:"accounts_with_root_keys"`
	OrgsWithRootKeys        int             `json:"orgs_with_root_keys"`
	Exact                   json.RawMessage `json:"exact"`
}

func decodeStrict(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// The demo's period figures are those the demo fleet builds in by count
// (internal/study's TestDemoFleetPeriod): 510 uses by 143 accounts in 65
// organizations, 72 repeat offenders with 439 uses, 17 accounts making
// half, 64 key and 464 console uses, 283 without MFA, 54 accounts with
// root keys in 34 organizations, over 20 weeks of 915 accounts in 153
// organizations.
func TestStudyDemoJSON(t *testing.T) {
	r := run(t, "study", "--demo", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	doc := studyJSON(t, r.out, "weeks", "period", "seed")
	var p studyPeriod
	decodeStrict(t, doc["period"], &p)
	if p.Exact == nil {
		t.Error("period: no exact object; the demo reads CloudTrail in every third organization")
	}
	p.Exact = nil
	want := studyPeriod{Weeks: 20, Accounts: 915, Orgs: 153, AccountsUsedRoot: 143, OrgsUsedRoot: 65, Uses: 510,
		KeyUses: 64, ConsoleUses: 464, ConsoleUsesWithoutMFA: 283, RepeatOffenders: 72, UsesByRepeatOffenders: 439,
		ConcentrationHalfOfUses: 17, AccountsWithRootKeys: 54, OrgsWithRootKeys: 34}
	if !jsonEqualPeriod(p, want) {
		t.Errorf("period\n got %+v\nwant %+v", p, want)
	}
	var weeks []map[string]json.RawMessage
	if err := json.Unmarshal(doc["weeks"], &weeks); err != nil || len(weeks) != 20 {
		t.Fatalf("weeks: %d, %v; want 20", len(weeks), err)
	}
	assertKeys(t, "week", weeks[0], "as_of", "accounts", "accounts_eligible", "orgs", "accounts_used_root", "orgs_used_root",
		"key_uses", "console_uses", "console_uses_without_mfa", "accounts_with_root_keys", "accounts_with_old_root_keys",
		"used_root_by_size", "exact")
	// 12 accounts are created within 30 days of the first audit.
	if string(weeks[0]["accounts"]) != "915" || string(weeks[0]["accounts_eligible"]) != "903" || string(weeks[19]["accounts_eligible"]) != "915" {
		t.Errorf("first week %s accounts, %s eligible; last %s eligible", weeks[0]["accounts"], weeks[0]["accounts_eligible"], weeks[19]["accounts_eligible"])
	}
	if !strings.HasPrefix(string(weeks[0]["as_of"]), `"2020-09-13T`) || !strings.HasPrefix(string(weeks[19]["as_of"]), `"2021-01-24T`) {
		t.Errorf("weeks from %s to %s, want 2020-09-13 to 2021-01-24", weeks[0]["as_of"], weeks[19]["as_of"])
	}
	var seed []struct {
		Figure   string  `json:"figure"`
		Percent  bool    `json:"percent"`
		Seed     float64 `json:"seed"`
		Computed float64 `json:"computed"`
		Diff     float64 `json:"diff"`
		Note     string  `json:"note"`
	}
	decodeStrict(t, doc["seed"], &seed)
	if len(seed) != 26 {
		t.Errorf("%d seed figures, want 26", len(seed))
	}
	got := map[string][3]float64{}
	for _, h := range seed {
		got[h.Figure] = [3]float64{h.Seed, h.Computed, h.Diff}
	}
	for fig, w := range map[string][3]float64{
		"root uses over the period":                   {510, 510, 0},
		"accounts using root in a week (average)":     {26, 25.5, -0.5},   // 510 / 20
		"uses by repeat offenders (share of uses)":    {86, 86.08, 0.08},  // 439 / 510 = 86.078%
		"accounts using root over the period (share)": {16, 15.63, -0.37}, // 143 / 915 = 15.628%
	} {
		if got[fig] != w {
			t.Errorf("seed figure %q = %v, want %v", fig, got[fig], w)
		}
	}
}

func jsonEqualPeriod(a, b studyPeriod) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestStudyDemoTable(t *testing.T) {
	r := run(t, "study", "--demo")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, line := range []string{
		"Root use in the demo fleet, week by week (window 7d, grace period 30d)\n",
		"Over the period (20 weeks, 2020-09-13 to 2021-01-24):\n",
		"  accounts audited                       915\n",
		"  organizations audited                  153\n",
		"  accounts using root                    143  15.6% of accounts\n",      // 143 / 915
		"  organizations using root                65  42.5% of organizations\n", // 65 / 153
		"  root uses (account-weeks)              510\n",
		"  key uses                                64  12.5% of uses\n",                // 64 / 510 = 12.55 (binary: just under)
		"  console uses                           464  91.0% of uses\n",                // 464 / 510
		"  console uses without MFA               283  61.0% of console uses\n",        // 283 / 464
		"  repeat offenders                        72  50.3% of accounts using root\n", // 72 / 143
		"  uses by repeat offenders               439  86.1% of uses\n",                // 439 / 510
		"  accounts making half of the uses        17  11.9% of accounts using root\n", // 17 / 143
		"  accounts with root keys                 54  5.9% of accounts\n",             // 54 / 915
		"  organizations with root keys            34  22.2% of organizations\n",       // 34 / 153
		"Concentration: 17 accounts of 143 made half of the 510 uses (11.9%).\n",
		"Repeat offenders (uses in two weeks or more; * among those making half of the uses):\n",
		"  ... and 47 more\n", // 72 repeat offenders, 25 listed
		"\nSeed vs this fleet:\n",
	} {
		if !strings.Contains(r.out, line) {
			t.Errorf("table lacks %q", line)
		}
	}
	// The weekly table: header, and the first week's counts that the demo
	// fixes (915 accounts, 903 eligible, 153 organizations, 54 with keys,
	// 52 old).
	lines := strings.Split(r.out, "\n")
	if len(lines) < 4 || !strings.HasPrefix(strings.TrimSpace(lines[2]), "AS OF  ACCOUNTS  ELIGIBLE  ORGS  USED ROOT  ORGS USED  KEY  CONSOLE  NO MFA  ROOT KEYS  OLD KEYS  SMALL  MEDIUM  LARGE  CT SIGN-INS  CT NO MFA  CT KEY CALLS") {
		t.Fatalf("weekly header: %q", lines[min(2, len(lines)-1)])
	}
	f := strings.Fields(lines[3])
	if len(f) != 17 || !strings.HasPrefix(f[0], "2020-09-13T") || f[1] != "915" || f[2] != "903" || f[3] != "153" || f[9] != "54" || f[10] != "52" {
		t.Errorf("first week: %q", lines[3])
	}
	seed := map[string][]string{}
	for _, l := range lines {
		if i := strings.Index(l, "  root uses over the period "); i == 0 {
			seed["uses"] = strings.Fields(l[len("  root uses over the period "):])
		}
		if strings.HasPrefix(l, "  accounts using root in a week (share of accounts) ") {
			seed["share"] = strings.Fields(l[len("  accounts using root in a week (share of accounts) "):])
		}
	}
	if strings.Join(seed["uses"], " ") != "510 510 0" || strings.Join(seed["share"], " ") != "2.8% 2.79% -0.01 pt" { // 25.5 / 915 = 2.787%
		t.Errorf("seed rows: %q", seed)
	}
}

func TestStudyDemoCSV(t *testing.T) {
	r := run(t, "study", "--demo", "--format", "csv")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	rows := strings.Split(strings.TrimSuffix(r.out, "\r\n"), "\r\n")
	const header = "as_of,weeks,accounts,accounts_eligible,orgs,accounts_used_root,orgs_used_root,uses,key_uses,console_uses,console_uses_without_mfa,accounts_with_root_keys,accounts_with_old_root_keys,used_root_small,used_root_medium,used_root_large,repeat_offenders,uses_by_repeat_offenders,concentration_half_of_uses,orgs_with_root_keys,exact_accounts,exact_sign_ins,exact_sign_ins_without_mfa,exact_key_signed_calls"
	if len(rows) != 22 || rows[0] != header {
		t.Fatalf("%d rows (want header, 20 weeks, period); header %q", len(rows), rows[0])
	}
	if !strings.HasPrefix(rows[21], "period,20,915,,153,143,65,510,64,464,283,54,,,,,72,439,17,34,") {
		t.Errorf("period row %q", rows[21])
	}
	if !strings.HasPrefix(rows[1], "2020-09-13T") || !strings.Contains(rows[1], "Z,,915,903,153,") {
		t.Errorf("first week row %q", rows[1])
	}
}

// Three accounts audited in two weeks, hand-worked:
//
//	111111111111 (o-aaaaaaaaaa, 10 assets: small): console use without MFA
//	  both weeks (password used 2023-01-02 and 2023-01-10);
//	222222222222 (o-aaaaaaaaaa, 100 assets: medium): an active root key
//	  rotated 2022-06-01 (old at both audits), used 2023-01-03: a key use
//	  in week 1 (1 day before 2023-01-04), none in week 2 (8 days before
//	  2023-01-11); MFA on;
//	333333333333 (o-bbbbbbbbbb, 300 assets): created 2022-12-20, 15 and 22
//	  days before the audits: left out of the use figures, though its
//	  password was used 2023-01-03.
const (
	studyHeader = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
	studyFleet  = "account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails\n" +
		"111111111111,alpha,o-aaaaaaaaaa,Org A,,10,0,0,0,0\n" +
		"222222222222,beta,o-aaaaaaaaaa,Org A,,50,20,20,10,0\n" +
		"333333333333,gamma,o-bbbbbbbbbb,Org B,,100,100,50,50,0\n"
)

func studyReport(account, created, pwUsed, mfa, keyActive, keyRotated, keyUsed string) string {
	return studyHeader + "<root_account>,arn:aws:iam::" + account + ":root," + created + ",not_supported," + pwUsed +
		",not_supported,not_supported," + mfa + "," + keyActive + "," + keyRotated + "," + keyUsed + ",N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
}

// studyStore writes the two weekly audits with 'audit --store' and returns
// the store's URL and file.
func newStudyStore(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	fleetFile := filepath.Join(dir, "fleet.csv")
	if err := os.WriteFile(fleetFile, []byte(studyFleet), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "h.db")
	url := "sqlite:" + db
	weeks := []struct {
		at      string
		reports map[string]string
	}{
		{"2023-01-04T00:00:00Z", map[string]string{
			"a.csv": studyReport("111111111111", "2020-01-01T00:00:00+00:00", "2023-01-02T10:00:00+00:00", "false", "false", "N/A", "N/A"),
			"b.csv": studyReport("222222222222", "2020-01-01T00:00:00+00:00", "N/A", "true", "true", "2022-06-01T00:00:00+00:00", "2023-01-03T00:00:00+00:00"),
			"c.csv": studyReport("333333333333", "2022-12-20T00:00:00+00:00", "2023-01-03T00:00:00+00:00", "false", "false", "N/A", "N/A"),
		}},
		{"2023-01-11T00:00:00Z", map[string]string{
			"a.csv": studyReport("111111111111", "2020-01-01T00:00:00+00:00", "2023-01-10T10:00:00+00:00", "false", "false", "N/A", "N/A"),
			"b.csv": studyReport("222222222222", "2020-01-01T00:00:00+00:00", "N/A", "true", "true", "2022-06-01T00:00:00+00:00", "2023-01-03T00:00:00+00:00"),
			"c.csv": studyReport("333333333333", "2022-12-20T00:00:00+00:00", "2023-01-03T00:00:00+00:00", "false", "false", "N/A", "N/A"),
		}},
	}
	for i, w := range weeks {
		wd := filepath.Join(dir, "week"+string(rune('1'+i)))
		if err := os.Mkdir(wd, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, body := range w.reports {
			if err := os.WriteFile(filepath.Join(wd, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		d, _, _ := testDeps("")
		r := runWith(t, d, "audit", "--credential-report", wd, "--report-time", w.at, "--fleet", fleetFile, "--store", url, "--format", "json")
		if !strings.Contains(r.err, "written to "+url+" (3 accounts,") {
			t.Fatalf("audit of %s: exit %d, stderr %s", w.at, r.code, r.err)
		}
	}
	return url, db
}

func TestStudyOfAStoreWrittenByAudit(t *testing.T) {
	url, db := newStudyStore(t)
	r := run(t, "study", "--store", url, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	studyJSON(t, r.out, "weeks", "period")
	const want = `{
  "weeks": [
    {
      "as_of": "2023-01-04T00:00:00Z",
      "accounts": 3,
      "accounts_eligible": 2,
      "orgs": 2,
      "accounts_used_root": 2,
      "orgs_used_root": 1,
      "key_uses": 1,
      "console_uses": 1,
      "console_uses_without_mfa": 1,
      "accounts_with_root_keys": 1,
      "accounts_with_old_root_keys": 1,
      "used_root_by_size": {
        "small": 1,
        "medium": 1,
        "large": 0
      }
    },
    {
      "as_of": "2023-01-11T00:00:00Z",
      "accounts": 3,
      "accounts_eligible": 2,
      "orgs": 2,
      "accounts_used_root": 1,
      "orgs_used_root": 1,
      "key_uses": 0,
      "console_uses": 1,
      "console_uses_without_mfa": 1,
      "accounts_with_root_keys": 1,
      "accounts_with_old_root_keys": 1,
      "used_root_by_size": {
        "small": 1,
        "medium": 0,
        "large": 0
      }
    }
  ],
  "period": {
    "weeks": 2,
    "accounts": 3,
    "orgs": 2,
    "accounts_used_root": 2,
    "orgs_used_root": 1,
    "uses": 3,
    "key_uses": 1,
    "console_uses": 2,
    "console_uses_without_mfa": 2,
    "repeat_offenders": 1,
    "uses_by_repeat_offenders": 2,
    "concentration_half_of_uses": 1,
    "accounts_with_root_keys": 1,
    "orgs_with_root_keys": 1
  }
}
`
	if r.out != want {
		t.Errorf("study JSON\n got %s\nwant %s", r.out, want)
	}

	// The table, to --output (written whole, the same as standard output).
	out := filepath.Join(t.TempDir(), "study.txt")
	r = run(t, "study", "--store", url, "--output", out)
	if r.code != ExitOK || r.out != "" {
		t.Fatalf("--output: exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
	}
	table, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Root use in store " + url + ", week by week (window 7d, grace period 30d)\n",
		"                 AS OF  ACCOUNTS  ELIGIBLE  ORGS  USED ROOT  ORGS USED  KEY  CONSOLE  NO MFA  ROOT KEYS  OLD KEYS  SMALL  MEDIUM  LARGE\n",
		"  2023-01-04T00:00:00Z         3         2     2          2          1    1        1       1          1         1      1       1      0\n",
		"  2023-01-11T00:00:00Z         3         2     2          1          1    0        1       1          1         1      1       0      0\n",
		"Over the period (2 weeks, 2023-01-04 to 2023-01-11):\n",
		"  accounts using root                      2  66.7% of accounts\n",      // 2 / 3
		"  organizations using root                 1  50.0% of organizations\n", // 1 / 2
		"  root uses (account-weeks)                3\n",
		"  key uses                                 1  33.3% of uses\n",
		"  console uses without MFA                 2  100.0% of console uses\n",
		"  repeat offenders                         1  50.0% of accounts using root\n",
		"  uses by repeat offenders                 2  66.7% of uses\n",
		"Concentration: 1 account of 2 made half of the 3 uses (50.0%).\n",
		"  *  111111111111  alpha  o-aaaaaaaaaa  2\n",
	} {
		if !strings.Contains(string(table), line) {
			t.Errorf("table lacks %q\n%s", line, table)
		}
	}
	if strings.Contains(string(table), "Seed vs this fleet") || strings.Contains(string(table), "Exact, from CloudTrail") {
		t.Errorf("a store's study has no seed figures, and these audits read no CloudTrail:\n%s", table)
	}

	// The filters: --since drops week 1, --until DATE keeps that day,
	// --org keeps one organization.
	r = run(t, "study", "--store", url, "--format", "csv", "--since", "2023-01-05")
	const header = "as_of,weeks,accounts,accounts_eligible,orgs,accounts_used_root,orgs_used_root,uses,key_uses,console_uses,console_uses_without_mfa,accounts_with_root_keys,accounts_with_old_root_keys,used_root_small,used_root_medium,used_root_large,repeat_offenders,uses_by_repeat_offenders,concentration_half_of_uses,orgs_with_root_keys,exact_accounts,exact_sign_ins,exact_sign_ins_without_mfa,exact_key_signed_calls\r\n"
	if want := header +
		"2023-01-11T00:00:00Z,,3,2,2,1,1,1,0,1,1,1,1,1,0,0,,,,,,,,\r\n" +
		"period,1,3,,2,1,1,1,0,1,1,1,,,,,0,0,1,1,,,,\r\n"; r.code != ExitOK || r.out != want {
		t.Errorf("--since: exit %d, stderr %s\n got %q\nwant %q", r.code, r.err, r.out, want)
	}
	r = run(t, "study", "--store", url, "--format", "csv", "--until", "2023-01-04")
	if want := header +
		"2023-01-04T00:00:00Z,,3,2,2,2,1,2,1,1,1,1,1,1,1,0,,,,,,,,\r\n" +
		"period,1,3,,2,2,1,2,1,1,1,1,,,,,0,0,1,1,,,,\r\n"; r.code != ExitOK || r.out != want {
		t.Errorf("--until DATE: exit %d, stderr %s\n got %q\nwant %q", r.code, r.err, r.out, want)
	}
	r = run(t, "study", "--store", url, "--org", "o-bbbbbbbbbb", "--window", "30d")
	for _, line := range []string{
		"window 30d, grace period 30d",
		"  accounts audited                         1\n",
		"  root uses (account-weeks)                0\n",
		"  accounts using root                      0  0.0% of accounts\n",
		"  key uses                                 0  - of uses\n",
		"No root use in the period.\n",
	} {
		if r.code != ExitOK || !strings.Contains(r.out, line) {
			t.Errorf("--org: exit %d, lacks %q\n%s%s", r.code, line, r.out, r.err)
		}
	}
	// A grace period of 10 days makes 333333333333 eligible in week 2
	// (22 days old; its password used 8 days before: outside 7d, inside
	// 10d with --window 10d).
	r = run(t, "study", "--store", url, "--org", "o-bbbbbbbbbb", "--window", "10d", "--grace-period", "10d", "--format", "csv")
	if want := header +
		"2023-01-04T00:00:00Z,,1,1,1,1,1,1,0,1,1,0,0,0,0,1,,,,,,,,\r\n" + // 300 assets: large
		"2023-01-11T00:00:00Z,,1,1,1,1,1,1,0,1,1,0,0,0,0,1,,,,,,,,\r\n" +
		"period,2,1,,1,1,1,2,0,2,2,0,,,,,1,2,1,0,,,,\r\n"; r.code != ExitOK || r.out != want {
		t.Errorf("--grace-period: exit %d, stderr %s\n got %q\nwant %q", r.code, r.err, r.out, want)
	}

	// Nothing selected: a usage error naming the store.
	r = run(t, "study", "--store", url, "--since", "2024-01-01")
	if r.code != ExitUsage || r.out != "" || !strings.Contains(r.err, "store "+url+" holds 2 runs, but none with an audit matching --since, --until and --org") {
		t.Errorf("nothing selected: exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
	}
	// --output naming the store it reads is refused.
	r = run(t, "study", "--store", url, "--output", db)
	if r.code != ExitUsage || !strings.Contains(r.err, "--output "+db+" is the input") {
		t.Errorf("--output the store: exit %d, stderr %s", r.code, r.err)
	}
}

func TestStudyErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	st, err := history.Open(context.Background(), "sqlite:"+empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("not a database, not at all: "+strings.Repeat("x", 4096)), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.db")
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"empty store", []string{"--store", "sqlite:" + empty}, ExitUsage, "store sqlite:" + empty + " holds no runs"},
		{"no store file", []string{"--store", missing}, ExitUsage, "store " + missing + " holds no runs: there is no file " + missing},
		{"not a database", []string{"--store", "sqlite:" + garbage}, 4, garbage},
		{"unknown scheme", []string{"--store", "mysql://x"}, ExitUsage, `--store: store mysql://x: unknown scheme "mysql"`},
		{"bad since", []string{"--demo", "--since", "last tuesday"}, ExitUsage, `--since "last tuesday": want an RFC 3339 time`},
		{"bad until", []string{"--demo", "--until", "2021-13-01"}, ExitUsage, `--until "2021-13-01"`},
		{"since after until", []string{"--demo", "--since", "2021-01-02", "--until", "2021-01-01"}, ExitUsage, "--since 2021-01-02T00:00:00Z is after --until 2021-01-01T23:59:59Z"},
		{"bad window", []string{"--demo", "--window", "a week"}, ExitUsage, `--window: "a week" is not a duration`},
		{"zero window", []string{"--demo", "--window", "0d"}, ExitUsage, `--window "0d": a window of no time holds no use`},
		{"bad grace period", []string{"--demo", "--grace-period", "-3d"}, ExitUsage, `--grace-period: "-3d" is not a duration`},
		{"bad format", []string{"--demo", "--format", "sarif"}, ExitUsage, `--format: unknown format "sarif" (valid: table, json, csv, html)`},
		{"demo and store", []string{"--demo", "--store", "sqlite:" + empty}, ExitUsage, "--demo studies the demo fleet: it reads no --store"},
		{"an argument", []string{"--demo", "extra"}, ExitUsage, `unknown command "extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, append([]string{"study"}, c.args...)...)
			if r.code != c.code || r.out != "" || !strings.Contains(r.err, c.msg) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %s (want %q)", r.code, c.code, r.out, r.err, c.msg)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("studying a store file that is not there created it: %v", err)
	}
}

// The store comes from ROOTWATCH_STORE when --store is not given, else
// the default file in the data directory.
func TestStudyStoreFromTheEnvironment(t *testing.T) {
	url, _ := newStudyStore(t)
	d, _, _ := testDeps("")
	d.Getenv = func(k string) string {
		if k == "ROOTWATCH_STORE" {
			return url
		}
		return ""
	}
	r := runWith(t, d, "study", "--format", "csv")
	if r.code != ExitOK || !strings.HasSuffix(r.out, "\r\nperiod,2,3,,2,2,1,3,1,2,2,1,,,,,1,2,1,1,,,,\r\n") {
		t.Errorf("ROOTWATCH_STORE: exit %d, stderr %s\n%s", r.code, r.err, r.out)
	}
	data := t.TempDir()
	d, _, _ = testDeps("")
	d.Getenv = func(k string) string {
		if k == "XDG_DATA_HOME" {
			return data
		}
		return ""
	}
	r = runWith(t, d, "study")
	want := filepath.Join(data, "rootwatch", "history.db")
	if r.code != ExitUsage || !strings.Contains(r.err, "store sqlite:"+want+" holds no runs: there is no file "+want) {
		t.Errorf("default store: exit %d, stderr %s", r.code, r.err)
	}
}

// Where a run kept CloudTrail's counts, the study sets them beside the
// sampled figures. The run is written through the store itself (SQLite):
// 444444444444's password was used the day before the audit, without MFA,
// and CloudTrail shows 3 sign-ins, 2 of them without MFA; 555555555555
// did nothing and its logs were not read.
func TestStudyExactBesideSampled(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	ctx := context.Background()
	st, err := history.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC)
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = st.WriteRun(ctx, history.RunInput{WrittenAt: asOf, ToolVersion: "test", Accounts: history.Records(
		history.AccountRecord{Observation: history.Observation{Account: "444444444444", Org: "o-cccccccccc", AsOf: asOf, CreatedAt: created,
			PasswordLastUsed: asOf.Add(-24 * time.Hour), Exact: &history.ExactCounts{SignIns: 3, SignInsWithoutMFA: 2}}},
		history.AccountRecord{Observation: history.Observation{Account: "555555555555", Org: "o-cccccccccc", AsOf: asOf, CreatedAt: created, MFA: true}},
	)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	r := run(t, "study", "--store", url)
	for _, line := range []string{
		"                 AS OF  ACCOUNTS  ELIGIBLE  ORGS  USED ROOT  ORGS USED  KEY  CONSOLE  NO MFA  ROOT KEYS  OLD KEYS  SMALL  MEDIUM  LARGE  CT SIGN-INS  CT NO MFA  CT KEY CALLS\n",
		"  2024-05-08T00:00:00Z         2         2     1          1          1    0        1       1          0         0      0       0      0            3          2             0\n",
		"Exact, from CloudTrail (1 account whose logs were read), beside the sampled figures:\n",
		"  console sign-ins                         3  sampled console uses: 1\n",
		"  sign-ins without MFA                     2  sampled console uses without MFA: 1\n",
		"  calls signed with a root key             0  sampled key uses: 0\n",
		"No repeat offender: no account used root in two weeks or more.\n",
	} {
		if r.code != ExitOK || !strings.Contains(r.out, line) {
			t.Errorf("exit %d, table lacks %q\n%s%s", r.code, line, r.out, r.err)
		}
	}
	r = run(t, "study", "--store", url, "--format", "json")
	const exact = `"exact": {
        "accounts": 1,
        "sign_ins": 3,
        "sign_ins_without_mfa": 2,
        "key_signed_calls": 0
      }`
	if r.code != ExitOK || !strings.Contains(r.out, exact) || !strings.Contains(r.out, strings.ReplaceAll(exact, "\n  ", "\n")) {
		t.Errorf("JSON: exit %d, week and period exact objects missing\n%s%s", r.code, r.out, r.err)
	}
}

// A damaged row (no account) is skipped with a warning counting such rows;
// the rest is studied.
func TestStudySkipsADamagedObservation(t *testing.T) {
	url, db := newStudyStore(t)
	if err := execSQLite(db, "UPDATE observations SET account = '' WHERE account = '333333333333'"); err != nil {
		t.Fatal(err)
	}
	r := run(t, "study", "--store", url, "--format", "csv")
	// 333333333333 (o-bbbbbbbbbb) is gone: 2 accounts in 1 organization.
	if r.code != ExitOK || !strings.HasSuffix(r.out, "\r\nperiod,2,2,,1,2,1,3,1,2,2,1,,,,,1,2,1,1,,,,\r\n") {
		t.Errorf("exit %d\n%s", r.code, r.out)
	}
	if !strings.Contains(r.err, "observations the study cannot use were skipped") || !strings.Contains(r.err, "skipped=2") {
		t.Errorf("stderr: %s", r.err)
	}
}

func TestStudyInterrupted(t *testing.T) {
	url, _ := newStudyStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, out, _ := testDeps("")
	cmd := NewRootCmd(d)
	cmd.SetArgs([]string{"study", "--store", url})
	err := cmd.ExecuteContext(ctx)
	if code, _ := ExitCode(err); code != ExitInterrupted || out.Len() != 0 {
		t.Errorf("cancelled: %v (exit %d), stdout %q", err, code, out)
	}
}

// An audit that could not read root's facts is kept as such and left out of
// the figures, with a warning counting it; the account's other week counts.
func TestStudyLeavesOutUnreadRootFacts(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	ctx := context.Background()
	st, err := history.Open(ctx, url)
	mustDo(t, err)
	w1 := time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC)
	w2 := w1.Add(7 * 24 * time.Hour)
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, obs := range []history.Observation{
		{Account: "444444444444", Org: "o-cccccccccc", AsOf: w1, CreatedAt: created, PasswordLastUsed: w1.Add(-time.Hour)},
		{Account: "444444444444", Org: "o-cccccccccc", AsOf: w2, CreatedAt: created, RootUnread: true},
	} {
		_, err = st.WriteRun(ctx, history.RunInput{WrittenAt: obs.AsOf, ToolVersion: "test", Accounts: history.Records(history.AccountRecord{Observation: obs})})
		mustDo(t, err)
	}
	mustDo(t, st.Close())
	r := run(t, "study", "--store", url, "--format", "csv")
	rows := strings.Split(strings.TrimSuffix(r.out, "\r\n"), "\r\n")
	if r.code != ExitOK || len(rows) != 3 || !strings.HasPrefix(rows[2], "period,1,1,,1,1,1,1,0,1,1,") {
		t.Errorf("exit %d: want one week and its use, got\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.err, "audits that could not read root's facts are left out of the figures") || !strings.Contains(r.err, "audits=1") {
		t.Errorf("no warning counting the unread audit:\n%s", r.err)
	}
}

// --format html writes one page through the CLI, stamped with the command's
// clock.
func TestStudyDemoHTML(t *testing.T) {
	out := filepath.Join(t.TempDir(), "study.html")
	r := run(t, "study", "--demo", "--format", "html", "--output", out)
	if r.code != ExitOK || r.out != "" {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.out, r.err)
	}
	page, err := os.ReadFile(out)
	mustDo(t, err)
	for _, want := range []string{"<!doctype html>", `<time datetime="2026-11-23T12:00:00Z">`, "Root use in the demo fleet",
		"last rotated more than 90d before"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// Reading a store (study, history) leaves its file as it was: no write, no
// journal left beside it.
func TestReadingAStoreDoesNotWriteIt(t *testing.T) {
	url, db := newStudyStore(t)
	before, err := os.ReadFile(db)
	mustDo(t, err)
	for _, args := range [][]string{{"study"}, {"history"}, {"history", "diff"}, {"history", "account", "111111111111"}} {
		r := run(t, append(args, "--store", url)...)
		if r.code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.err)
		}
		after, err := os.ReadFile(db)
		mustDo(t, err)
		if !bytes.Equal(before, after) {
			t.Errorf("%v changed the store file", args)
		}
		for _, suffix := range []string{"-wal", "-journal"} {
			if fi, err := os.Stat(db + suffix); err == nil && fi.Size() > 0 {
				t.Errorf("%v left %s of %d bytes", args, filepath.Base(db+suffix), fi.Size())
			}
		}
	}
}
