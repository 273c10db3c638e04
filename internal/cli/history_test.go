package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

// auditRun is one 'audit --store' of credential report files as of a
// time.
type auditRun struct {
	at      string
	reports map[string]string // file name: content
}

// auditRuns keeps each run in the store through 'audit --store', in
// process, the i-th written at fixedNow + i hours; fleet, when not "", is
// given as --fleet.
func auditRuns(t *testing.T, url, fleet string, runs []auditRun) {
	t.Helper()
	dir := t.TempDir()
	var fleetArgs []string
	if fleet != "" {
		f := filepath.Join(dir, "fleet.csv")
		if err := os.WriteFile(f, []byte(fleet), 0o600); err != nil {
			t.Fatal(err)
		}
		fleetArgs = []string{"--fleet", f}
	}
	for i, ar := range runs {
		rd := filepath.Join(dir, fmt.Sprintf("run%d", i+1))
		if err := os.Mkdir(rd, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, body := range ar.reports {
			if err := os.WriteFile(filepath.Join(rd, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		d, _, _ := testDeps("")
		d.Now = func() time.Time { return fixedNow.Add(time.Duration(i) * time.Hour) }
		args := append([]string{"audit", "--credential-report", rd, "--report-time", ar.at, "--store", url, "--format", "json"}, fleetArgs...)
		if r := runWith(t, d, args...); !strings.Contains(r.err, fmt.Sprintf("run %d written to ", i+1)) {
			t.Fatalf("audit as of %s: exit %d, stderr %s", ar.at, r.code, r.err)
		}
	}
}

// writeHistoryRuns writes two runs of one account to the store: the same
// credential report as of 2022-12-22 and as of 2023-03-01. Root's key,
// rotated 2022-11-01, is 51 days old at the first (not stale) and 120 days
// old at the second (stale: new); root's password, last used 2022-12-21,
// is a recent use at the first and not at the second (fixed); the active
// key fails root-access-key-present in both (still).
func writeHistoryRuns(t *testing.T, url string) {
	t.Helper()
	auditRuns(t, url, "", []auditRun{
		{"2022-12-22T00:00:00Z", map[string]string{"report.csv": reportWithOldKey}},
		{"2023-03-01T00:00:00Z", map[string]string{"report.csv": reportWithOldKey}},
	})
}

// historyStore is a SQLite store in a temp dir holding writeHistoryRuns.
func historyStore(t *testing.T) string {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	writeHistoryRuns(t, url)
	return url
}

func TestHistoryListSQLite(t *testing.T) { checkHistoryList(t, historyStore(t)) }

func checkHistoryList(t *testing.T, url string) {
	t.Helper()
	r := run(t, "history", "--store", url)
	want := "RUN  AS OF (FIRST)         AS OF (LAST)          WRITTEN AT            ACCOUNTS  FINDINGS  VERSION\n" +
		"1    2022-12-22T00:00:00Z  2022-12-22T00:00:00Z  2026-11-23T12:00:00Z  1         7         test\n" +
		"2    2023-03-01T00:00:00Z  2023-03-01T00:00:00Z  2026-11-23T13:00:00Z  1         7         test\n"
	if r.code != ExitOK || r.out != want {
		t.Errorf("exit %d, stderr %s, stdout\n%s\nwant\n%s", r.code, r.err, r.out, want)
	}
	r = run(t, "history", "--store", url, "--format", "csv")
	wantCSV := "id,first_as_of,as_of,written_at,accounts,findings,events,tool_version\n" +
		"1,2022-12-22T00:00:00Z,2022-12-22T00:00:00Z,2026-11-23T12:00:00Z,1,7,0,test\n" +
		"2,2023-03-01T00:00:00Z,2023-03-01T00:00:00Z,2026-11-23T13:00:00Z,1,7,0,test\n"
	if r.code != ExitOK || r.out != wantCSV {
		t.Errorf("csv: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
	// The store from ROOTWATCH_STORE.
	d, _, _ := testDeps("")
	d.Getenv = func(k string) string {
		if k == "ROOTWATCH_STORE" {
			return url
		}
		return ""
	}
	if r := runWith(t, d, "history"); r.code != ExitOK || r.out != want {
		t.Errorf("ROOTWATCH_STORE: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
}

func TestHistoryDiffSQLite(t *testing.T) { checkHistoryDiff(t, historyStore(t)) }

func checkHistoryDiff(t *testing.T, url string) {
	t.Helper()
	r := run(t, "history", "diff", "--store", url)
	want := "Store " + url + ": run 1 (as of 2022-12-22T00:00:00Z) -> run 2 (as of 2023-03-01T00:00:00Z)\n\n" +
		"CHANGE  SEVERITY  CHECK                    ACCOUNT       BEFORE  AFTER  MESSAGE\n" +
		"STILL   critical  root-access-key-present  278368863034  fail    fail   an active root access key in slot 1\n" +
		"STILL   critical  root-mfa-enabled         278368863034  fail    fail   root has no MFA device (this older report does not say whether root has a password)\n" +
		"STILL   high      root-hardware-mfa        278368863034  fail    fail   root has no MFA device at all, so no hardware MFA\n" +
		"FIXED   high      root-recent-use          278368863034  fail    pass   root last used 69d 7h before the report (password), outside the 7d window\n" +
		"NEW     high      root-access-key-stale    278368863034  pass    fail   1 active root access key older than 90d: key 1 last rotated 120d ago (2022-11-01T00:00:00Z)\n" +
		"\n1 new, 1 fixed, 3 still failing, 0 failing in accounts gone\n" +
		"Accounts added: -\nAccounts gone: -\nNew failing at or above high: 1\n"
	if r.code != ExitFailing || r.out != want {
		t.Errorf("exit %d, stderr %s, stdout\n%s\nwant\n%s", r.code, r.err, r.out, want)
	}
	// The new finding is high: --fail-on critical passes the pipeline.
	if r := run(t, "history", "diff", "1", "2", "--store", url, "--fail-on", "critical"); r.code != ExitOK || r.out != want[:len(want)-len("high: 1\n")]+"critical: 0\n" {
		t.Errorf("--fail-on critical: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
	if r := run(t, "history", "diff", "--store", url, "--fail-on", "none"); r.code != ExitOK || !strings.HasSuffix(r.out, "New failing at or above none: 0\n") {
		t.Errorf("--fail-on none: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
	// Backwards: the stale key is fixed, the recent use new.
	r = run(t, "history", "diff", "2", "1", "--store", url, "--format", "csv")
	wantCSV := "change,id,check,severity,account,org,resource,before,after,message\n"
	if r.code != ExitFailing || !strings.HasPrefix(r.out, wantCSV) ||
		!strings.Contains(r.out, "\nnew,c7ee0815515019df,root-recent-use,high,278368863034,,arn:aws:iam::278368863034:root,pass,fail,\"root used 7h 40m before the report, by password at 2022-12-21T16:19:23Z (window 7d)\"\n") ||
		strings.Count(r.out, "\nnew,") != 1 || strings.Count(r.out, "\nfixed,") != 1 || strings.Count(r.out, "\nstill,") != 3 {
		t.Errorf("2 1 csv: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
	// One run given: against the last.
	if r := run(t, "history", "diff", "1", "--store", url, "--format", "json"); r.code != ExitFailing ||
		!strings.Contains(r.out, `"summary": {"new":1,"fixed":1,"still_failing":3,"failing_in_gone_accounts":0,"accounts_added":[],"accounts_gone":[],"fail_on":"high","new_at_fail_on":1}`) {
		t.Errorf("json: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
}

func TestHistoryDiffAccountsAddedAndGoneSQLite(t *testing.T) {
	checkHistoryDiffAccountsAddedAndGone(t, historyStore(t))
}

func checkHistoryDiffAccountsAddedAndGone(t *testing.T, url string) {
	t.Helper()
	d, _, _ := testDeps("")
	if r := runWith(t, d, "audit", "--demo", "--store", url); !strings.Contains(r.err, "run 3 written") {
		t.Fatalf("demo: exit %d, stderr %s", r.code, r.err)
	}
	r := run(t, "history", "diff", "2", "3", "--store", url, "--format", "csv")
	// The 4 failing findings of run 2's only account are gone, not fixed;
	// the 12 demo accounts are added.
	if strings.Count(r.out, "\ngone,") != 4 || strings.Count(r.out, "\nfixed,") != 0 || strings.Count(r.out, "\nstill,") != 0 ||
		strings.Count(r.out, "\naccount-added,") != 12 || !strings.Contains(r.out, "\naccount-gone,,,,278368863034,,,,,\n") {
		t.Errorf("exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
	if r.code != ExitFailing {
		t.Errorf("exit %d, want 1 (the demo accounts fail critical checks)", r.code)
	}
}

func TestHistoryAccountSQLite(t *testing.T) { checkHistoryAccount(t, historyStore(t)) }

func checkHistoryAccount(t *testing.T, url string) {
	t.Helper()
	r := run(t, "history", "account", "278368863034", "--store", url)
	want := "RUN  AS OF                 PASSWORD USED  KEY 1 (ROTATED/USED)  KEY 2 (ROTATED/USED)  MFA  ASSETS  CLOUDTRAIL  FAILING\n" +
		"1    2022-12-22T00:00:00Z  2022-12-21     active 2022-11-01/-   -                     no   -       -           root-access-key-present (critical), root-mfa-enabled (critical), root-hardware-mfa (high), root-recent-use (high)\n" +
		"2    2023-03-01T00:00:00Z  2022-12-21     active 2022-11-01/-   -                     no   -       -           root-access-key-present (critical), root-mfa-enabled (critical), root-hardware-mfa (high), root-access-key-stale (high)\n"
	if r.code != ExitOK || r.out != want {
		t.Errorf("exit %d, stderr %s, stdout\n%s\nwant\n%s", r.code, r.err, r.out, want)
	}
	r = run(t, "history", "account", "278368863034", "--store", url, "--format", "json")
	if r.code != ExitOK || !strings.Contains(r.out, `"password_last_used": "2022-12-21T16:19:23Z"`) || strings.Count(r.out, `"check": "root-access-key-stale"`) != 1 {
		t.Errorf("json: exit %d, stderr %s, stdout\n%s", r.code, r.err, r.out)
	}
	if r := run(t, "history", "account", "999999999999", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+` holds no run with account "999999999999"`) {
		t.Errorf("unknown account: exit %d, stderr %s", r.code, r.err)
	}
}

func TestHistoryErrorsSQLite(t *testing.T) {
	dir := t.TempDir()
	missing := "sqlite:" + filepath.Join(dir, "none.db")
	if r := run(t, "history", "--store", missing); r.code != ExitUsage || !strings.Contains(r.err, "store "+missing+" holds no runs: there is no file") {
		t.Errorf("missing: exit %d, stderr %s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("reading a missing store created it")
	}
	empty := "sqlite:" + filepath.Join(dir, "empty.db")
	st, err := history.Open(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "history", "--store", empty); r.code != ExitUsage || !strings.Contains(r.err, "store "+empty+" holds no runs (keep audits with 'rootwatch audit --store')") {
		t.Errorf("empty: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "diff", "--store", empty); r.code != ExitUsage || !strings.Contains(r.err, "store "+empty+" holds 0 runs: a diff needs two") {
		t.Errorf("empty diff: exit %d, stderr %s", r.code, r.err)
	}
	d, _, _ := testDeps("")
	if r := runWith(t, d, "audit", "--demo", "--store", empty); !strings.Contains(r.err, "run 1 written") {
		t.Fatalf("demo: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "diff", "--store", empty); r.code != ExitUsage || !strings.Contains(r.err, "store "+empty+" holds 1 run: a diff needs two") {
		t.Errorf("one run diff: exit %d, stderr %s", r.code, r.err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("not a database, not at all, really not"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "history", "--store", "sqlite:"+garbage); r.code != 4 || !strings.Contains(r.err, garbage) {
		t.Errorf("garbage: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "--store", "mysql://x"); r.code != ExitUsage || !strings.Contains(r.err, "unknown scheme") {
		t.Errorf("bad URL: exit %d, stderr %s", r.code, r.err)
	}
	checkHistoryUsageErrors(t, historyStore(t))
}

// checkHistoryUsageErrors: the store holds writeHistoryRuns.
func checkHistoryUsageErrors(t *testing.T, url string) {
	t.Helper()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"diff", "7"}, ExitUsage, "store " + url + " holds no run 7 ('rootwatch history' lists them)"},
		{[]string{"diff", "1", "x"}, ExitUsage, `run "x": want a run ID`},
		{[]string{"diff", "1", "1"}, ExitUsage, "run 1 against itself: give two different runs"},
		{[]string{"diff", "2"}, ExitUsage, "run 2 is the last run of store " + url},
		{[]string{"diff", "--format", "jsonl"}, ExitUsage, `--format: unknown format "jsonl" (valid: table, json, csv, sarif)`},
		{[]string{"--format", "sarif"}, ExitUsage, `--format: unknown format "sarif" (valid: table, json, csv)`},
		{[]string{"diff", "--fail-on", "severe"}, ExitUsage, `--fail-on "severe"`},
		{[]string{"diff", "1", "2", "3"}, ExitUsage, "accepts at most 2 arg(s)"},
		{[]string{"account", "1", "--format", "sarif"}, ExitUsage, `--format: unknown format "sarif" for 'history account' (valid: table, json, csv)`},
	} {
		r := run(t, append(append([]string{"history"}, tc.args...), "--store", url)...)
		if r.code != tc.code || !strings.Contains(r.err, tc.msg) || r.out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %s", tc.args, r.code, r.out, r.err)
		}
	}
}
