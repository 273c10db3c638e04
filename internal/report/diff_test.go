package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

func writeTestDiff(t *testing.T, format string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewDiffWriter(format, &b)
	if err != nil {
		t.Fatal(err)
	}
	h := DiffHeader{Store: "sqlite:h.db",
		Before: history.Run{ID: 1, AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Accounts: 2},
		After:  history.Run{ID: 2, AsOf: time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC), Accounts: 2}}
	if err := w.Begin(h); err != nil {
		t.Fatal(err)
	}
	for _, c := range []history.Change{
		{Change: "new", Finding: history.Finding{ID: "f1", Check: "root-mfa", Status: "fail", Severity: "critical", Account: "111", Message: "no MFA"}, Before: "pass", After: "fail"},
		{Change: "fixed", Finding: history.Finding{ID: "f2", Check: "root-keys", Status: "pass", Severity: "high", Account: "111", Message: "=cmd"}, Before: "fail", After: "pass"},
	} {
		if err := w.Change(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(DiffSummary{New: 1, Fixed: 1, AccountsAdded: []string{"333"}, FailOn: "high", NewAtFailOn: 1}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDiffWriters(t *testing.T) {
	wantTable := `Store sqlite:h.db: run 1 (as of 2026-01-01T00:00:00Z) -> run 2 (as of 2026-01-08T00:00:00Z)

CHANGE  SEVERITY  CHECK      ACCOUNT  BEFORE  AFTER  MESSAGE
NEW     critical  root-mfa   111      pass    fail   no MFA
FIXED   high      root-keys  111      fail    pass   =cmd

1 new, 1 fixed, 0 still failing, 0 failing in accounts gone
Accounts added: 333
Accounts gone: -
New failing at or above high: 1
`
	if got := writeTestDiff(t, "table"); got != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", got, wantTable)
	}
	wantCSV := "change,id,check,severity,account,org,resource,before,after,message\n" +
		"new,f1,root-mfa,critical,111,,,pass,fail,no MFA\n" +
		"fixed,f2,root-keys,high,111,,,fail,pass,'=cmd\n" +
		"account-added,,,,333,,,,,\n"
	if got := writeTestDiff(t, "csv"); got != wantCSV {
		t.Errorf("csv:\n%s\nwant:\n%s", got, wantCSV)
	}
	wantJSON := `{
  "store": "sqlite:h.db",
  "before": {"id":1,"as_of":"2026-01-01T00:00:00Z","first_as_of":"0001-01-01T00:00:00Z","written_at":"0001-01-01T00:00:00Z","tool_version":"","accounts":2,"findings":0,"events":0},
  "after": {"id":2,"as_of":"2026-01-08T00:00:00Z","first_as_of":"0001-01-01T00:00:00Z","written_at":"0001-01-01T00:00:00Z","tool_version":"","accounts":2,"findings":0,"events":0},
  "changes": [
    {"change":"new","finding":{"run_id":0,"id":"f1","check":"root-mfa","status":"fail","severity":"critical","account":"111","message":"no MFA"},"before":"pass","after":"fail"},
    {"change":"fixed","finding":{"run_id":0,"id":"f2","check":"root-keys","status":"pass","severity":"high","account":"111","message":"=cmd"},"before":"fail","after":"pass"}
  ],
  "summary": {"new":1,"fixed":1,"still_failing":0,"failing_in_gone_accounts":0,"accounts_added":["333"],"accounts_gone":[],"fail_on":"high","new_at_fail_on":1}
}
`
	if got := writeTestDiff(t, "json"); got != wantJSON {
		t.Errorf("json:\n%s\nwant:\n%s", got, wantJSON)
	}
	if _, err := NewDiffWriter("jsonl", &bytes.Buffer{}); err == nil || err.Error() != `unknown format "jsonl" (valid: table, json, csv, sarif)` {
		t.Errorf("jsonl: %v", err)
	}
}

func TestRunsWriters(t *testing.T) {
	runs := []history.Run{{ID: 1, FirstAsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		WrittenAt: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), ToolVersion: "v1", Accounts: 2, Findings: 28, Events: 3}}
	for format, want := range map[string]string{
		"table": "RUN  AS OF (FIRST)         AS OF (LAST)          WRITTEN AT            ACCOUNTS  FINDINGS  VERSION\n" +
			"1    2026-01-01T00:00:00Z  2026-01-02T00:00:00Z  2026-01-03T00:00:00Z  2         28        v1\n",
		"csv": "id,first_as_of,as_of,written_at,accounts,findings,events,tool_version\n1,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,2026-01-03T00:00:00Z,2,28,3,v1\n",
		"json": `{
  "runs": [
    {
      "id": 1,
      "as_of": "2026-01-02T00:00:00Z",
      "first_as_of": "2026-01-01T00:00:00Z",
      "written_at": "2026-01-03T00:00:00Z",
      "tool_version": "v1",
      "accounts": 2,
      "findings": 28,
      "events": 3
    }
  ]
}
`,
	} {
		w, err := NewRunsWriter(format)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := w(&b, runs); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s:\n%q\nwant:\n%q", format, b.String(), want)
		}
	}
}
