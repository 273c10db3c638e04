package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/study"
)

// handStudy: two weeks, the second with CloudTrail counts; three accounts
// used root (5 uses: 3 by one, 1 each by two others), one repeat offender
// whose 3 uses are half or more of 5.
func handStudy() *Study {
	w1 := study.Week{AsOf: time.Date(2024, 3, 6, 12, 0, 0, 0, time.UTC), Accounts: 10, AccountsEligible: 9, Orgs: 2,
		AccountsUsedRoot: 2, OrgsUsedRoot: 1, KeyUses: 1, ConsoleUses: 2, ConsoleUsesWithoutMFA: 1,
		AccountsWithRootKeys: 3, AccountsWithOldRootKeys: 2, UsedRootBySize: study.BySize{Small: 1, Medium: 1}}
	w2 := study.Week{AsOf: time.Date(2024, 3, 13, 12, 0, 0, 0, time.UTC), Accounts: 11, AccountsEligible: 11, Orgs: 3,
		AccountsUsedRoot: 3, OrgsUsedRoot: 2, KeyUses: 0, ConsoleUses: 3, ConsoleUsesWithoutMFA: 3,
		AccountsWithRootKeys: 3, AccountsWithOldRootKeys: 3, UsedRootBySize: study.BySize{Large: 2},
		Exact: &study.Exact{Accounts: 4, SignIns: 7, SignInsWithoutMFA: 5, KeySignedCalls: 12}}
	return &Study{
		Source: "store sqlite:h.db", Window: 7 * 24 * time.Hour, GracePeriod: 30 * 24 * time.Hour,
		Result: study.Result{
			Weeks: []study.Week{w1, w2},
			Period: study.Period{Weeks: 2, Accounts: 11, Orgs: 3, AccountsUsedRoot: 3, OrgsUsedRoot: 2, Uses: 5,
				KeyUses: 1, ConsoleUses: 5, ConsoleUsesWithoutMFA: 4, RepeatOffenders: 1, UsesByRepeatOffenders: 2,
				ConcentrationHalfOfUses: 1, AccountsWithRootKeys: 3, OrgsWithRootKeys: 2,
				Exact: &study.Exact{Accounts: 4, SignIns: 7, SignInsWithoutMFA: 5, KeySignedCalls: 12}},
			Offenders: []study.Offender{
				{Account: "111111111111", Name: "prod\x1b[2J", Org: "o-1", Uses: 2, Repeat: true, InHalf: true},
				{Account: "222222222222", Org: "o-1", Uses: 1},
				{Account: "333333333333", Org: "o-2", Uses: 1},
			},
		},
	}
}

func writeStudy(t *testing.T, format string, s *Study) string {
	t.Helper()
	w, err := NewStudyWriter(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := w(&b, s); err != nil {
		t.Fatalf("write %s: %v", format, err)
	}
	return b.String()
}

func TestStudyTable(t *testing.T) {
	got := writeStudy(t, "table", handStudy())
	const want = `Root use in store sqlite:h.db, week by week (window 7d, grace period 30d)

                 AS OF  ACCOUNTS  ELIGIBLE  ORGS  USED ROOT  ORGS USED  KEY  CONSOLE  NO MFA  ROOT KEYS  OLD KEYS  SMALL  MEDIUM  LARGE  CT SIGN-INS  CT NO MFA  CT KEY CALLS
  2024-03-06T12:00:00Z        10         9     2          2          1    1        2       1          3         2      1       1      0            -          -             -
  2024-03-13T12:00:00Z        11        11     3          3          2    0        3       3          3         3      0       0      2            7          5            12
CT: CloudTrail's exact counts over the window, for the eligible accounts whose logs were read (- where none was).

Over the period (2 weeks, 2024-03-06 to 2024-03-13):
  accounts audited                        11
  organizations audited                    3
  accounts using root                      3  27.3% of accounts
  organizations using root                 2  66.7% of organizations
  root uses (account-weeks)                5
  key uses                                 1  20.0% of uses
  console uses                             5  100.0% of uses
  console uses without MFA                 4  80.0% of console uses
  repeat offenders                         1  33.3% of accounts using root
  uses by repeat offenders                 2  40.0% of uses
  accounts making half of the uses         1  33.3% of accounts using root
  accounts with root keys                  3  27.3% of accounts
  organizations with root keys             2  66.7% of organizations

Exact, from CloudTrail (4 accounts whose logs were read), beside the sampled figures:
  console sign-ins                         7  sampled console uses: 5
  sign-ins without MFA                     5  sampled console uses without MFA: 4
  calls signed with a root key            12  sampled key uses: 1

Concentration: 1 account of 3 made half of the 5 uses (33.3%).
Repeat offenders (uses in two weeks or more; * among those making half of the uses):
     ACCOUNT       NAME         ORG  USES
  *  111111111111  prod\x1b[2J  o-1  2
`
	if got != want {
		t.Errorf("table\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestStudyTableSeedAndLimits(t *testing.T) {
	s := handStudy()
	s.Result.Period.RepeatOffenders = 3
	s.Result.Offenders[1].Repeat = true
	s.Result.Offenders[2].Repeat = true
	s.MaxOffenders = 2
	s.Seed = []study.Headline{
		{Figure: "root uses over the period", Seed: 510, Computed: 5},
		{Figure: "key uses (share of uses)", Percent: true, Seed: 13, Computed: 20},
	}
	got := writeStudy(t, "table", s)
	for _, line := range []string{
		"  *  111111111111  prod\\x1b[2J  o-1  2\n     222222222222               o-1  1\n  ... and 1 more\n",
		"\nSeed vs this fleet:\n" +
			"  FIGURE                     SEED  THIS FLEET  DIFF\n" +
			"  root uses over the period  510   5           -505\n" +
			"  key uses (share of uses)   13%   20%         +7 pt\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("table lacks %q:\n%s", line, got)
		}
	}
	if strings.Contains(got, "333333333333") {
		t.Errorf("MaxOffenders 2 listed a third:\n%s", got)
	}
}

func TestStudyTableNoUse(t *testing.T) {
	s := &Study{Source: "the demo fleet", Window: 36 * time.Hour, GracePeriod: 0,
		Result: study.Result{Period: study.Period{}}}
	got := writeStudy(t, "table", s)
	for _, line := range []string{
		"(window 36h, grace period 0d)\n",
		"Over the period (0 weeks):\n",
		"  accounts using root                      0  - of accounts\n",
		"No root use in the period.\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("table lacks %q:\n%s", line, got)
		}
	}
}

func TestStudyCSV(t *testing.T) {
	got := writeStudy(t, "csv", handStudy())
	const want = "as_of,weeks,accounts,accounts_eligible,orgs,accounts_used_root,orgs_used_root,uses,key_uses,console_uses,console_uses_without_mfa,accounts_with_root_keys,accounts_with_old_root_keys,used_root_small,used_root_medium,used_root_large,repeat_offenders,uses_by_repeat_offenders,concentration_half_of_uses,orgs_with_root_keys,exact_accounts,exact_sign_ins,exact_sign_ins_without_mfa,exact_key_signed_calls\r\n" +
		"2024-03-06T12:00:00Z,,10,9,2,2,1,2,1,2,1,3,2,1,1,0,,,,,,,,\r\n" +
		"2024-03-13T12:00:00Z,,11,11,3,3,2,3,0,3,3,3,3,0,0,2,,,,,4,7,5,12\r\n" +
		"period,2,11,,3,3,2,5,1,5,4,3,,,,,1,2,1,2,4,7,5,12\r\n"
	if got != want {
		t.Errorf("CSV\n got %q\nwant %q", got, want)
	}
	// Seed figures are not in the CSV.
	s := handStudy()
	s.Seed = []study.Headline{{Figure: "=HYPERLINK(1)", Seed: 1, Computed: 1}}
	if writeStudy(t, "csv", s) != want {
		t.Error("the CSV changed with seed figures")
	}
}

func TestStudyJSON(t *testing.T) {
	got := writeStudy(t, "json", handStudy())
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 2 || doc["weeks"] == nil || doc["period"] == nil {
		t.Errorf("top level %v, want weeks and period only", keysOf(doc))
	}
	for _, frag := range []string{
		`"as_of": "2024-03-06T12:00:00Z"`,
		`"used_root_by_size": {
        "small": 1,
        "medium": 1,
        "large": 0
      }
    },`, // week 1 has no exact object
		`"orgs_with_root_keys": 2,
    "exact": {
      "accounts": 4,
      "sign_ins": 7,
      "sign_ins_without_mfa": 5,
      "key_signed_calls": 12
    }
  }
}`,
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("JSON lacks %s:\n%s", frag, got)
		}
	}
	if strings.Contains(got, "111111111111") {
		t.Error("the offenders are not in the issue's JSON")
	}

	s := &Study{Seed: []study.Headline{{Figure: "weekly uses in small accounts (< 50 assets)", Percent: true, Seed: 56, Computed: 56.0784313}}}
	got = writeStudy(t, "json", s)
	const seed = `"weeks": [],`
	if !strings.Contains(got, seed) || !strings.Contains(got, `"seed": [
    {
      "figure": "weekly uses in small accounts (< 50 assets)",
      "percent": true,
      "seed": 56,
      "computed": 56.08,
      "diff": 0.08
    }
  ]`) {
		t.Errorf("seed JSON:\n%s", got)
	}
}

func keysOf(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestStudyFormats(t *testing.T) {
	if got := strings.Join(FormatsFor(CommandStudy), ","); got != "table,json,csv,html" {
		t.Errorf("study formats %s", got)
	}
	if _, err := NewStudyWriter("sarif"); err == nil || err.Error() != `unknown format "sarif" (valid: table, json, csv, html)` {
		t.Errorf("sarif: %v", err)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestStudyWriteErrors(t *testing.T) {
	for _, f := range []string{"table", "json", "csv"} {
		w, err := NewStudyWriter(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := w(failingWriter{}, handStudy()); !errors.Is(err, errDiskFull) {
			t.Errorf("%s: %v, want the write's error", f, err)
		}
	}
}
