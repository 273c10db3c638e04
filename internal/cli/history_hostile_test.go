package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/history"
)

// What whoever controls an account can make a store hold: a line break, a
// terminal escape, HTML, a comma and quotes, a formula.
const (
	hostileAcct = "111\n\x1b[31m<script>x</script>,\"q\""
	hostileName = "=evil,\"n\"\r\n\x1b]8;;http://x\x07"
	hostileMsg  = "=cmd\x1b[2J<b>\nline"
)

// hostileStore writes two runs straight through the store's API: the
// hostile account passes then fails a check.
func hostileStore(t *testing.T) string {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	st, err := history.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, status := range []string{"pass", "fail"} {
		asOf := time.Date(2026, 1, 1+7*i, 0, 0, 0, 0, time.UTC)
		rec := history.AccountRecord{
			Observation: history.Observation{Account: hostileAcct, Name: hostileName, Org: "o-1,\"o\"", AsOf: asOf},
			Findings: []history.Finding{{ID: "f1", Check: "root-mfa-enabled", Status: status, Severity: "critical", Account: hostileAcct,
				Org: "o-1,\"o\"", Resource: "arn:aws:iam::111:root\n<i>", Message: hostileMsg}},
		}
		if _, err := st.WriteRun(context.Background(), history.RunInput{WrittenAt: asOf, ToolVersion: "t", Accounts: history.Records(rec)}); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

// The diff and the account's timeline of a store holding hostile strings,
// in every format: the table shows no control character, CSV reads back
// (formulas defused), JSON keeps the strings exactly, SARIF is valid.
func TestHistoryHostileStringsSQLite(t *testing.T) {
	url := hostileStore(t)
	noControl := func(what, s string) {
		t.Helper()
		if i := strings.IndexFunc(s, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }); i >= 0 {
			t.Errorf("%s holds control character %q at %d:\n%q", what, s[i], i, s)
		}
	}

	r := run(t, "history", "diff", "--store", url)
	noControl("diff table", r.out)
	if r.code != ExitFailing || strings.Count(r.out, "\n") != 9 || !strings.Contains(r.out, `111\x0a\x1b[31m<script>x</script>,"q"`) {
		t.Errorf("diff table: exit %d, stderr %s\n%s", r.code, r.err, r.out)
	}

	r = run(t, "history", "diff", "--store", url, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("diff csv: %v, rows %q", err, rows)
	}
	if got := rows[1]; got[4] != hostileAcct || got[5] != "o-1,\"o\"" || got[6] != "arn:aws:iam::111:root\n<i>" || got[9] != "'"+hostileMsg {
		t.Errorf("diff csv row %q", got)
	}

	r = run(t, "history", "diff", "--store", url, "--format", "json")
	var doc struct {
		Changes []struct {
			Finding history.Finding `json:"finding"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || len(doc.Changes) != 1 {
		t.Fatalf("diff json: %v\n%s", err, r.out)
	}
	if f := doc.Changes[0].Finding; f.Account != hostileAcct || f.Message != hostileMsg || f.Resource != "arn:aws:iam::111:root\n<i>" {
		t.Errorf("diff json finding %+v", f)
	}

	r = run(t, "history", "diff", "--store", url, "--format", "sarif")
	if !json.Valid([]byte(r.out)) || strings.ContainsAny(r.out, "\x1b\x07") || strings.Contains(r.out, `\u001b`) {
		t.Fatalf("diff sarif is not JSON free of escapes:\n%s", r.out)
	}
	rep, err := sarif.FromString(r.out)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Errorf("diff sarif invalid: %v", err)
	}

	r = run(t, "history", "account", hostileAcct, "--store", url)
	noControl("account table", r.out)
	if r.code != ExitOK || strings.Count(r.out, "\n") != 3 {
		t.Errorf("account table: exit %d, stderr %s\n%s", r.code, r.err, r.out)
	}
	r = run(t, "history", "account", hostileAcct, "--store", url, "--format", "csv")
	rows, err = csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("account csv: %v, rows %q", err, rows)
	}
	// Go's reader reads a quoted CR LF as LF.
	if got := rows[2]; got[2] != "'=evil,\"n\"\n\x1b]8;;http://x\x07" || got[3] != "o-1,\"o\"" || got[19] != "root-mfa-enabled" {
		t.Errorf("account csv row %q", got)
	}
	r = run(t, "history", "account", hostileAcct, "--store", url, "--format", "json")
	var tl struct {
		Account  string `json:"account"`
		Timeline []struct {
			Name string `json:"name"`
		} `json:"timeline"`
	}
	if err := json.Unmarshal([]byte(r.out), &tl); err != nil || tl.Account != hostileAcct || len(tl.Timeline) != 2 || tl.Timeline[0].Name != hostileName {
		t.Errorf("account json: %v %+v\n%s", err, tl, r.out)
	}
}
