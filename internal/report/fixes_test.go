package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

func sampleFixCalls() *FixCalls {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	return &FixCalls{Store: "sqlite:h.db", Fixes: []history.FixEntry{
		{RunID: "r1", Time: at, Account: "123456789012", Region: "us-east-1", Step: "alarm/123456789012/us-east-1/topic:t", Kind: "alarm",
			Action: "sns:CreateTopic", Params: json.RawMessage(`{"Name":"t"}`), Result: "ok"},
		{RunID: "r1", Time: at, Account: "123456789012", Region: "us-east-1", Step: "alarm/123456789012/us-east-1/topic:t", Kind: "alarm",
			Action: "sns:Subscribe", Result: "error", Error: "AuthorizationError: \x1b[2Jdenied\u202e"},
		{RunID: "r1", Time: at.Add(time.Second), Account: "123456789012", Region: "us-east-1", Step: "alarm/123456789012/us-east-1/topic:t", Kind: "alarm",
			Action: "sns:DeleteTopic", Result: "ok", Rollback: true},
		{RunID: "r2", Time: at.Add(time.Hour), Account: "222222222222", Step: "root-access/222222222222/root", Kind: "root-access",
			Action: "iam:DeleteLoginProfile", Result: "ok", Irreversible: true},
		{RunID: "r2", Time: at.Add(time.Hour), Account: "222222222222", Step: "root-access/222222222222/x", Kind: "root-access",
			Result: "skipped", Error: "not applied: step root-access/222222222222/root failed"},
	}}
}

// The table: one line per call, rollbacks and irreversible calls said,
// a step not applied with no action, control and bidirectional characters
// escaped.
func TestFixesTable(t *testing.T) {
	var b bytes.Buffer
	if err := writeFixesTable(&b, sampleFixCalls()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"TIME                  ACCOUNT       STEP                                  ACTION                  RESULT             ERROR",
		"2026-11-23T12:00:00Z  123456789012  alarm/123456789012/us-east-1/topic:t  sns:CreateTopic         ok",
		`2026-11-23T12:00:00Z  123456789012  alarm/123456789012/us-east-1/topic:t  sns:Subscribe           error              AuthorizationError: \x1b[2Jdenied\u202e`,
		"2026-11-23T12:00:01Z  123456789012  alarm/123456789012/us-east-1/topic:t  sns:DeleteTopic         ok (rollback)",
		"2026-11-23T13:00:00Z  222222222222  root-access/222222222222/root         iam:DeleteLoginProfile  ok (irreversible)",
		"2026-11-23T13:00:00Z  222222222222  root-access/222222222222/x            -                       skipped            not applied: step root-access/222222222222/root failed",
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		got = append(got, strings.TrimRight(l, " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	b.Reset()
	if err := writeFixesTable(&b, &FixCalls{Store: "sqlite:\x1bh.db"}); err != nil || b.String() != "No fix calls kept in sqlite:\\x1bh.db.\n" {
		t.Errorf("empty: %q, %v", b.String(), err)
	}
}

// JSON keeps the strings exactly, the params as JSON, and an empty list
// as [].
func TestFixesJSON(t *testing.T) {
	var b bytes.Buffer
	w, err := NewFixesWriter("json")
	if err != nil {
		t.Fatal(err)
	}
	if err := w(&b, &FixCalls{Store: "sqlite:h.db", Fixes: sampleFixCalls().Fixes[:2]}); err != nil {
		t.Fatal(err)
	}
	want := `{
  "store": "sqlite:h.db",
  "fixes": [
    {
      "run_id": "r1",
      "time": "2026-11-23T12:00:00Z",
      "account": "123456789012",
      "region": "us-east-1",
      "step": "alarm/123456789012/us-east-1/topic:t",
      "kind": "alarm",
      "action": "sns:CreateTopic",
      "params": {
        "Name": "t"
      },
      "result": "ok"
    },
    {
      "run_id": "r1",
      "time": "2026-11-23T12:00:00Z",
      "account": "123456789012",
      "region": "us-east-1",
      "step": "alarm/123456789012/us-east-1/topic:t",
      "kind": "alarm",
      "action": "sns:Subscribe",
      "result": "error",
      "error": "AuthorizationError: \u001b[2Jdenied` + "\u202e" + `"
    }
  ]
}
`
	if b.String() != want {
		t.Errorf("json:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := w(&b, &FixCalls{Store: "s"}); err != nil || b.String() != "{\n  \"store\": \"s\",\n  \"fixes\": []\n}\n" {
		t.Errorf("empty: %q, %v", b.String(), err)
	}
	if _, err := NewFixesWriter("csv"); err == nil || err.Error() != `unknown format "csv" for 'history fixes' (valid: table, json)` {
		t.Errorf("csv: %v", err)
	}
}
