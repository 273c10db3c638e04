package report

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/history"
)

// What a store may hold when whoever controls an account names it: a line
// break, terminal escapes (a colour, an OSC 8 link ended by BEL), HTML, a
// comma and quotes, a formula.
const (
	hostileAccount  = "111\n\x1b[31mred<script>alert(1)</script>,\"q\""
	hostileResource = "arn:aws:iam::111:root\r\nx"
	hostileMessage  = "=HYPERLINK(\"http://evil\")\x1b]8;;http://evil\x07click\x1b]8;;\x07"
)

func hostileDiff(t *testing.T, format string) string {
	t.Helper()
	f := history.Finding{ID: "f1", Check: "root-mfa-enabled", Status: "fail", Severity: "critical", Account: hostileAccount,
		Org: "o-1,\"x\"", Resource: hostileResource, Message: hostileMessage}
	return writeDiffWith(t, format, DiffHeader{Store: "sqlite:/tmp/a\x1b[2Jb.db", Tool: Tool{Name: "rootwatch", Version: "t"}},
		[]history.Change{{Change: "new", Finding: f, Before: "pass", After: "fail"}},
		DiffSummary{New: 1, AccountsAdded: []string{hostileAccount}, FailOn: "high", NewAtFailOn: 1})
}

// Every format of the diff writes hostile strings for its medium: the
// table escapes control characters (one line per row, no escape reaches
// the terminal), CSV quotes and defuses formulas (the cells read back),
// JSON keeps them exactly, SARIF is valid JSON whose text holds no
// escape sequence.
func TestDiffHostileStrings(t *testing.T) {
	formats := FormatsFor(CommandHistoryDiff)
	if strings.Join(formats, ",") != "table,json,csv,sarif" {
		t.Fatalf("the diff's formats are %v: add the new one to this test", formats)
	}

	table := hostileDiff(t, "table")
	if i := strings.IndexFunc(table, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }); i >= 0 {
		t.Errorf("table holds control character %q at %d:\n%q", table[i], i, table)
	}
	wantTable := "Store sqlite:/tmp/a\\x1b[2Jb.db: run 0 (as of 0001-01-01T00:00:00Z) -> run 0 (as of 0001-01-01T00:00:00Z)\n\n" +
		"CHANGE  SEVERITY  CHECK             ACCOUNT                                          BEFORE  AFTER  MESSAGE\n" +
		"NEW     critical  root-mfa-enabled  111\\x0a\\x1b[31mred<script>alert(1)</script>,\"q\"  pass    fail   =HYPERLINK(\"http://evil\")\\x1b]8;;http://evil\\x07click\\x1b]8;;\\x07\n" +
		"\n1 new, 0 fixed, 0 still failing, 0 failing in accounts gone\n" +
		"Accounts added: 111\\x0a\\x1b[31mred<script>alert(1)</script>,\"q\"\nAccounts gone: -\nNew failing at or above high: 1\n"
	if table != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", table, wantTable)
	}

	text := hostileDiff(t, "csv")
	if !strings.Contains(text, ",\"arn:aws:iam::111:root\r\nx\",") {
		t.Errorf("CSV does not quote the resource as it is:\n%q", text)
	}
	rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not read back: %v", err)
	}
	wantCSV := [][]string{
		{"change", "id", "check", "severity", "account", "org", "resource", "before", "after", "message"},
		// Go's reader reads a quoted CR LF as LF.
		{"new", "f1", "root-mfa-enabled", "critical", hostileAccount, "o-1,\"x\"", "arn:aws:iam::111:root\nx", "pass", "fail", "'" + hostileMessage},
		{"account-added", "", "", "", hostileAccount, "", "", "", "", ""},
	}
	if len(rows) != len(wantCSV) {
		t.Fatalf("CSV rows %q", rows)
	}
	for i := range rows {
		if strings.Join(rows[i], "\x00") != strings.Join(wantCSV[i], "\x00") {
			t.Errorf("CSV row %d: %q, want %q", i, rows[i], wantCSV[i])
		}
	}

	text = hostileDiff(t, "json")
	if strings.ContainsAny(text, "\x1b\x07\r") || strings.Contains(text, "<script>") {
		t.Errorf("JSON holds a raw control character or tag:\n%q", text)
	}
	var doc struct {
		Store   string `json:"store"`
		Changes []struct {
			Finding history.Finding `json:"finding"`
		} `json:"changes"`
		Summary DiffSummary `json:"summary"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, text)
	}
	if len(doc.Changes) != 1 {
		t.Fatalf("JSON changes %+v", doc.Changes)
	}
	if f := doc.Changes[0].Finding; f.Account != hostileAccount || f.Resource != hostileResource || f.Message != hostileMessage || f.Org != "o-1,\"x\"" ||
		doc.Store != "sqlite:/tmp/a\x1b[2Jb.db" || len(doc.Summary.AccountsAdded) != 1 || doc.Summary.AccountsAdded[0] != hostileAccount {
		t.Errorf("JSON does not keep the strings exactly: %+v", doc)
	}

	text = hostileDiff(t, "sarif")
	if !json.Valid([]byte(text)) {
		t.Fatalf("SARIF is not JSON:\n%s", text)
	}
	log := decodeSARIF(t, text)
	if strings.ContainsAny(text, "\x1b\x07") || strings.Contains(text, `\u001b`) || strings.Contains(text, `\u0007`) {
		t.Errorf("SARIF holds an escape sequence:\n%s", text)
	}
	res := log.Runs[0].Results
	if len(res) != 1 {
		t.Fatalf("SARIF results %+v", res)
	}
	loc := res[0].Locations[0]
	if got, want := loc.PhysicalLocation.ArtifactLocation.URI, "aws/111%0A%1B%5B31mred%3Cscript%3Ealert%281%29%3C%2Fscript%3E%2C%22q%22/root-user"; got != want {
		t.Errorf("SARIF uri %q, want %q", got, want)
	}
	if got, want := res[0].Message.Text, "111\n\\x1b[31mred<script>alert(1)</script>,\"q\": =HYPERLINK(\"http://evil\")\\x1b]8;;http://evil\\x07click\\x1b]8;;\\x07"; got != want {
		t.Errorf("SARIF message %q, want %q", got, want)
	}
	if got, want := loc.LogicalLocations[0].FullyQualifiedName, "arn:aws:iam::111:root\\x0d\nx"; got != want {
		t.Errorf("SARIF logical location %q, want %q", got, want)
	}
}
