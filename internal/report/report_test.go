package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/model"
)

func hostileReport() *Report {
	snap := &model.Snapshot{Accounts: []model.Account{{ID: "123456789012", Name: "evil\x1b[2J\x1b]0;pwned\x07name", Partition: "aws"}}}
	f := model.Finding{ID: "abc", Check: "root-mfa-enabled", Title: "t", Severity: "critical", Status: model.StatusFail,
		Account: "123456789012", Resource: "arn:aws:iam::123456789012:root", Message: "=HYPERLINK(\"http://x\")\r\nsecond line",
		Evidence: json.RawMessage(`{"ua":"\u001b[31mred"}`), Compliance: map[string][]string{"b": {"2"}, "a": {"1", "1.1"}}, Remediation: "-fix"}
	return New(snap, []model.Finding{f}, Tool{Name: "rootwatch", Version: "t"}, time.Unix(0, 0))
}

func TestTableEscapesControlCharacters(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&TableWriter{}, &b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\r") {
		t.Errorf("control characters reached the terminal: %q", b.String())
	}
	if !strings.Contains(b.String(), `evil\x1b[2J`) {
		t.Errorf("escaped name not shown: %s", b.String())
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&CSVWriter{}, &b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	row := rows[1]
	if row[8] != "'=HYPERLINK(\"http://x\")\r\nsecond line" && row[8] != "'=HYPERLINK(\"http://x\")\nsecond line" {
		t.Errorf("message cell = %q", row[8])
	}
	if row[10] != "'-fix" || row[9] != "a:1|1.1; b:2" {
		t.Errorf("remediation %q compliance %q", row[10], row[9])
	}
}

func TestJSONKeepsStringsExactly(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&JSONWriter{}, &b, hostileReport()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Accounts []struct{ Name string }
		Findings []struct{ Evidence map[string]string }
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Accounts[0].Name != "evil\x1b[2J\x1b]0;pwned\x07name" || doc.Findings[0].Evidence["ua"] != "\x1b[31mred" {
		t.Errorf("JSON changed untrusted strings: %q %q", doc.Accounts[0].Name, doc.Findings[0].Evidence["ua"])
	}
}

func TestEmptyReportShapes(t *testing.T) {
	r := New(&model.Snapshot{}, nil, Tool{Name: "rootwatch"}, time.Unix(0, 0))
	var b bytes.Buffer
	if err := Write(&JSONWriter{}, &b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"accounts": []`, `"findings": []`, `"errors": []`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("empty report lacks %s: %s", want, b.String())
		}
	}
	b.Reset()
	// The header is the contract, written out here, not taken from the
	// code under test.
	if err := Write(&CSVWriter{}, &b, r); err != nil || b.String() != "id,check,title,severity,status,account,org,resource,message,compliance,remediation,evidence\r\n" {
		t.Errorf("empty CSV = %q, %v", b.String(), err)
	}
	if _, err := NewWriter("yaml", Options{}); err == nil || !strings.Contains(err.Error(), "(valid: table, json, csv, sarif)") {
		t.Errorf("unknown format error = %v", err)
	}
}

func TestFailing(t *testing.T) {
	r := &Report{Findings: []model.Finding{{Status: "fail", Severity: "medium"}, {Status: "pass", Severity: "critical"}, {Status: "fail", Severity: "high"}}}
	for failOn, want := range map[string]int{"critical": 0, "high": 1, "medium": 2, "info": 2, "none": 0} {
		if got := r.Failing(failOn); got != want {
			t.Errorf("Failing(%s) = %d, want %d", failOn, got, want)
		}
	}
}

func TestTableEscapesBidiOverrides(t *testing.T) {
	if got := terminalSafe("us-east-1\u202Eevil\u2066"); got != `us-east-1\u202eevil\u2066` {
		t.Errorf("terminalSafe = %q", got)
	}
}

// Checks that could not be evaluated make the SARIF run unsuccessful, with
// a notification each; inputs that failed are named once.
func TestSARIFReportsErrors(t *testing.T) {
	snap := &model.Snapshot{Accounts: []model.Account{{ID: "123456789012"}},
		Errors: []model.SourceError{{Source: "x.csv", Message: "x.csv: no such file"}}}
	r := New(snap, []model.Finding{{ID: "a", Check: "root-mfa-enabled", Severity: "critical", Status: model.StatusError,
		Account: "123456789012", Resource: "arn:aws:iam::123456789012:root", Message: "cannot evaluate"}}, Tool{Name: "rootwatch", Version: "t"}, time.Unix(0, 0))
	rep := writeSARIF(t, r)
	inv := rep.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful == nil || *inv.ExecutionSuccessful {
		t.Error("run marked successful")
	}
	var msgs []string
	for _, n := range inv.ToolExecutionNotifications {
		msgs = append(msgs, *n.Message.Text)
	}
	if len(msgs) != 2 || msgs[0] != "x.csv: no such file" || !strings.Contains(msgs[1], "root-mfa-enabled could not be evaluated") {
		t.Errorf("notifications = %q", msgs)
	}
}

// The table's errors say which account and what failed; a file's errors,
// which name the file already, are not prefixed again.
func TestTableErrorsNameAccountAndSource(t *testing.T) {
	rep := New(&model.Snapshot{Errors: []model.SourceError{
		{Account: "111122223333", Source: "alternate contacts", Message: "Account GetAlternateContact: access denied: not authorized"},
		{Source: "reports/a.csv", Message: "reports/a.csv:3: row has 4 fields"},
	}}, nil, Tool{Name: "rootwatch"}, time.Unix(0, 0))
	var b bytes.Buffer
	if err := Write(&TableWriter{}, &b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"account 111122223333, alternate contacts: Account GetAlternateContact: access denied", "\n  reports/a.csv:3: row has 4 fields"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

// Events CSV: CRLF line ends (RFC 4180), and a header even with no rows:
// the summary's header for a summary with no account.
func TestEventsCSVHeaders(t *testing.T) {
	for _, summary := range []bool{false, true} {
		var b bytes.Buffer
		w, err := NewEventWriter("csv", &b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if summary {
			_ = w.Summary(nil)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		// The headers are the contract, written out here.
		want := "event_id,event_time,account,region,event_source,event_name,kind,success,mfa,access_key_id,source_ip,user_agent,source," +
			"session,invoked_by,error_code,caller,target_account,task_policy,by_service\r\n"
		if summary {
			want = "account,root_events,console_sign_ins,sign_ins_with_mfa,sign_ins_without_mfa,sign_ins_mfa_unknown,failed_sign_ins," +
				"key_signed_calls,credential_changes,assume_root_sessions_opened,first_seen,last_seen,source_ips,failed_sign_in_bursts\r\n"
		}
		if b.String() != want {
			t.Errorf("summary %v: %q, want %q", summary, b.String(), want)
		}
	}
}

// writeSARIF writes a report as SARIF and reads it back, checked against
// the SARIF 2.1.0 schema.
func writeSARIF(t *testing.T, r *Report) *sarif.Report {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&SARIFWriter{}, &b, r); err != nil {
		t.Fatal(err)
	}
	rep, err := sarif.FromBytes(b.Bytes())
	if err != nil {
		t.Fatalf("SARIF does not parse: %v\n%s", err, b.String())
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF invalid: %v\n%s", err, b.String())
	}
	return rep
}

// The table's error heading counts live AWS errors by class; file errors
// have none.
func TestTableErrorsCountedByClass(t *testing.T) {
	snap := &model.Snapshot{Errors: []model.SourceError{
		{Account: "111122223333", Source: "credential report", Message: "IAM GetCredentialReport: AccessDenied", Class: "access_denied"},
		{Account: "111122223334", Source: "credential report", Message: "IAM GetCredentialReport: timeout", Class: "timeout"},
		{Account: "111122223335", Source: "budgets", Message: "Budgets DescribeBudgets: AccessDenied", Class: "access_denied"},
		{Source: "reports/x.csv", Message: "reports/x.csv:1: no credential report header"},
	}}
	r := New(snap, nil, Tool{Name: "rootwatch", Version: "t"}, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	var b bytes.Buffer
	if err := Write(&TableWriter{}, &b, r); err != nil {
		t.Fatal(err)
	}
	if want := "Errors (4: 2 access_denied, 1 timeout): inputs not read or facts not collected"; !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
}
