package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// hostileStrings are what whoever controls an account or a client can put
// in a report field.
var hostileStrings = []struct {
	name, in string
	// terminal, csv and sarif are the literal output of each medium.
	terminal, csv, sarif string
}{
	{"plain", "prod account", "prod account", "prod account", "prod account"},
	{"ESC and BEL", "a\x1b]0;pwned\x07b", `a\x1b]0;pwned\x07b`, "a\x1b]0;pwned\x07b", `a\x1b]0;pwned\x07b`},
	{"CSI clear screen", "\x1b[2Jx", `\x1b[2Jx`, "\x1b[2Jx", `\x1b[2Jx`},
	{"RLO", "txt\u202Egpj.exe", `txt\u202egpj.exe`, "txt\u202Egpj.exe", `txt\u202egpj.exe`},
	{"bidi isolates and marks", "\u2066a\u2069\u200Fb\u061C", `\u2066a\u2069\u200fb\u061c`, "\u2066a\u2069\u200Fb\u061C", `\u2066a\u2069\u200fb\u061c`},
	{"zero width space", "ad\u200Bmin", `ad\u200bmin`, "ad\u200Bmin", `ad\u200bmin`},
	{"line separator", "a\u2028b", `a\u2028b`, "a\u2028b", `a\u2028b`},
	{"C1 CSI", "a\u009b31mb", `a\x9b31mb`, "a\u009b31mb", `a\x9b31mb`},
	{"invalid UTF-8", "a\xffb", `a\xffb`, "a\xffb", `a\xffb`},
	{"newline and tab", "a\nb\tc", `a\x0ab\x09c`, "a\nb\tc", "a\nb\tc"},
	{"CR", "a\rb", `a\x0db`, "a\rb", `a\x0db`},
	{"formula", "=1+1", "=1+1", "'=1+1", "=1+1"},
	{"plus", "+1", "+1", "'+1", "+1"},
	{"minus", "-1", "-1", "'-1", "-1"},
	{"at", "@SUM(A1)", "@SUM(A1)", "'@SUM(A1)", "@SUM(A1)"},
	{"leading space then formula", " =1+1", " =1+1", "' =1+1", " =1+1"},
	{"leading spaces and tab", "  \t=1", `  \x09=1`, "'  \t=1", "  \t=1"},
	{"newline then formula", "\n=HYPERLINK(\"http://x\")", `\x0a=HYPERLINK("http://x")`, "'\n=HYPERLINK(\"http://x\")", "\n=HYPERLINK(\"http://x\")"},
	{"CRLF then formula", "\r\n@x", `\x0d\x0a@x`, "'\r\n@x", `\x0d` + "\n@x"},
	{"full-width equals", "\uFF1D1+1", "\uFF1D1+1", "'\uFF1D1+1", "\uFF1D1+1"},
	{"full-width plus", "\uFF0B1", "\uFF0B1", "'\uFF0B1", "\uFF0B1"},
	{"full-width minus", "\uFF0D1", "\uFF0D1", "'\uFF0D1", "\uFF0D1"},
	{"full-width at", "\uFF20x", "\uFF20x", "'\uFF20x", "\uFF20x"},
	{"ideographic space then formula", "\u3000=1", "\u3000=1", "'\u3000=1", "\u3000=1"},
	{"no-break space then formula", "\u00a0+1", "\u00a0+1", "'\u00a0+1", "\u00a0+1"},
	{"zero width space then formula", "\u200B=1", `\u200b=1`, "'\u200B=1", `\u200b=1`},
	{"formula later in the cell", "a=1", "a=1", "a=1", "a=1"},
	{"space then text", " x", " x", " x", " x"},
	{"empty", "", "", "", ""},
}

func TestTerminalSafe(t *testing.T) {
	for _, c := range hostileStrings {
		if got := terminalSafe(c.in); got != c.terminal {
			t.Errorf("%s: terminalSafe(%q) = %q, want %q", c.name, c.in, got, c.terminal)
		}
	}
}

func TestCSVSafe(t *testing.T) {
	for _, c := range hostileStrings {
		if got := csvSafe(c.in); got != c.csv {
			t.Errorf("%s: csvSafe(%q) = %q, want %q", c.name, c.in, got, c.csv)
		}
	}
}

func TestSARIFSafe(t *testing.T) {
	for _, c := range hostileStrings {
		if got := sarifSafe(c.in); got != c.sarif {
			t.Errorf("%s: sarifSafe(%q) = %q, want %q", c.name, c.in, got, c.sarif)
		}
	}
}

// hostileFinding is a failing finding whose message, name and resource
// carry s.
func hostileReportOf(s string) *Report {
	snap := &model.Snapshot{Accounts: []model.Account{{ID: "123456789012", Name: s, Partition: "aws"}}}
	f := model.Finding{ID: "abc", Check: "root-mfa-enabled", Title: "Root MFA", Severity: "critical", Status: model.StatusFail,
		Account: "123456789012", Resource: "arn:aws:iam::123456789012:root" + s, Message: s,
		Evidence: json.RawMessage(`{}`), Compliance: map[string][]string{}, Remediation: "Enable MFA."}
	return New(snap, []model.Finding{f}, Tool{Name: "rootwatch", Version: "t"}, time.Unix(0, 0))
}

// Every writer escapes for its medium: what each writes of a hostile
// message is exactly the medium's escape of it.
func TestWritersEscapeForTheirMedium(t *testing.T) {
	for _, c := range hostileStrings {
		if c.in == "" {
			continue
		}
		r := hostileReportOf(c.in)

		// SARIF: the result's message and logical location.
		rep := writeSARIF(t, r)
		res := rep.Runs[0].Results[0]
		if got := *res.Message.Text; got != "123456789012: "+c.sarif {
			t.Errorf("%s: SARIF message %q, want %q", c.name, got, "123456789012: "+c.sarif)
		}
		if got := *res.Locations[0].LogicalLocations[0].FullyQualifiedName; got != "arn:aws:iam::123456789012:root"+c.sarif {
			t.Errorf("%s: SARIF location %q", c.name, got)
		}

		// CSV: the message cell (the resource cell starts with "arn:").
		var b bytes.Buffer
		if err := Write(&CSVWriter{}, &b, r); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// encoding/csv's reader drops carriage returns in quoted fields.
		if want := strings.ReplaceAll(c.csv, "\r", ""); rows[1][8] != want {
			t.Errorf("%s: CSV message %q, want %q", c.name, rows[1][8], want)
		}

		// JSON: exactly the input.
		b.Reset()
		if err := Write(&JSONWriter{}, &b, r); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Accounts []struct{ Name string }
			Findings []struct{ Message string }
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := strings.ToValidUTF8(c.in, "\uFFFD"); doc.Accounts[0].Name != want || doc.Findings[0].Message != want {
			t.Errorf("%s: JSON name %q message %q, want %q", c.name, doc.Accounts[0].Name, doc.Findings[0].Message, want)
		}

		// Table: the message and the name, escaped; no control byte at all.
		b.Reset()
		if err := Write(&TableWriter{Opts: Options{All: true}}, &b, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, "  "+c.terminal+"\n") {
			t.Errorf("%s: table lacks the message %q:\n%s", c.name, c.terminal, out)
		}
		if i := strings.IndexFunc(out, func(r rune) bool { return r != '\n' && unsafeRune(r) }); i >= 0 {
			t.Errorf("%s: table holds %q at %d", c.name, out[i:min(i+4, len(out))], i)
		}
	}
}

// The SARIF log escapes the rules' text and the notifications too.
func TestSARIFEscapesNotificationsAndRules(t *testing.T) {
	snap := &model.Snapshot{Accounts: []model.Account{{ID: "123456789012"}},
		Errors: []model.SourceError{{Account: "123456789012", Source: "contacts", Message: "bad \x1b[31mred\u202E"}}}
	r := New(snap, []model.Finding{{ID: "a", Check: "root-mfa-enabled", Title: "MFA\x07", Severity: "high", Status: model.StatusError,
		Account: "123456789012", Resource: "arn", Message: "cannot \x1b[2J", Remediation: "Fix\u202Eit.\nThen check."}},
		Tool{Name: "rootwatch", Version: "t"}, time.Unix(0, 0))
	rep := writeSARIF(t, r)
	var got []string
	for _, n := range rep.Runs[0].Invocations[0].ToolExecutionNotifications {
		got = append(got, *n.Message.Text)
	}
	want := []string{`123456789012: contacts: bad \x1b[31mred\u202e`, `123456789012: root-mfa-enabled could not be evaluated: cannot \x1b[2J`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("notifications %q, want %q", got, want)
	}
	rule := rep.Runs[0].Tool.Driver.Rules[0]
	if *rule.ShortDescription.Text != `MFA\x07` || *rule.Help.Text != "Fix\\u202eit.\nThen check." {
		t.Errorf("rule text %q / %q", *rule.ShortDescription.Text, *rule.Help.Text)
	}
}
