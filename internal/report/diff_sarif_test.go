package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/history"
)

// sarifLog is the part of a SARIF log the tests read, decoded from the
// text written (not from the library's types).
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID                   string `json:"id"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
					ShortDescription *struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					Properties map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID        string `json:"ruleId"`
			RuleIndex     int    `json:"ruleIndex"`
			BaselineState string `json:"baselineState"`
			Kind          string `json:"kind"`
			Level         string `json:"level"`
			Message       struct {
				Text string `json:"text"`
			} `json:"message"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
				} `json:"physicalLocation"`
				LogicalLocations []struct {
					FullyQualifiedName string `json:"fullyQualifiedName"`
					Name               string `json:"name"`
				} `json:"logicalLocations"`
			} `json:"locations"`
			Properties map[string]string `json:"properties"`
		} `json:"results"`
		Properties  map[string]any `json:"properties"`
		Invocations []struct {
			ExecutionSuccessful bool `json:"executionSuccessful"`
		} `json:"invocations"`
	} `json:"runs"`
}

// decodeSARIF checks a SARIF log against the 2.1.0 schema and decodes it.
func decodeSARIF(t *testing.T, text string) sarifLog {
	t.Helper()
	rep, err := sarif.FromString(text)
	if err != nil {
		t.Fatalf("SARIF does not parse: %v\n%s", err, text)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF invalid: %v\n%s", err, text)
	}
	var log sarifLog
	if err := json.Unmarshal([]byte(text), &log); err != nil {
		t.Fatalf("SARIF: %v", err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	return log
}

// writeDiffWith writes a diff through a format's writer.
func writeDiffWith(t *testing.T, format string, h DiffHeader, changes []history.Change, s DiffSummary) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewDiffWriter(format, &b)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(h); err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if err := w.Change(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// One result per change: new (fail, at the severity's level), still
// (unchanged), fixed and gone (absent, pass, level none); the header's
// checks are the rules, a check it lacks gets a rule when first seen; the
// finding ID is the fingerprint, the account the location.
func TestDiffSARIF(t *testing.T) {
	h := DiffHeader{Store: "sqlite:h.db",
		Before: history.Run{ID: 1, AsOf: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Accounts: 2},
		After:  history.Run{ID: 2, AsOf: time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC), Accounts: 2},
		Tool:   Tool{Name: "rootwatch", Version: "1.2.3"},
		Checks: []Check{
			{ID: "root-mfa-enabled", Title: "Root has MFA", Severity: "critical", Remediation: "Enable MFA.", Compliance: map[string][]string{"cis-aws-v1.4": {"1.5"}}},
			{ID: "root-access-key-present", Title: "Root has no access key", Severity: "critical", Remediation: "Delete the key.", Compliance: map[string][]string{}},
		}}
	changes := []history.Change{
		{Change: "new", Finding: history.Finding{ID: "f1", Check: "root-mfa-enabled", Status: "fail", Severity: "critical", Account: "111", Resource: "arn:aws:iam::111:root", Message: "no MFA"}, Before: "pass", After: "fail"},
		{Change: "fixed", Finding: history.Finding{ID: "f2", Check: "root-access-key-present", Status: "pass", Severity: "critical", Account: "111", Resource: "arn:aws:iam::111:root", Message: "no key"}, Before: "fail", After: "pass"},
		{Change: "still", Finding: history.Finding{ID: "f3", Check: "my-custom", Status: "fail", Severity: "medium", Account: "222", Resource: "arn:aws:iam::222:root", Message: "custom"}, Before: "fail", After: "fail"},
		{Change: "gone", Finding: history.Finding{ID: "f4", Check: "root-mfa-enabled", Status: "fail", Severity: "critical", Account: "333", Resource: "arn:aws:iam::333:root", Message: "no MFA"}, Before: "fail"},
		{Change: "new", Finding: history.Finding{ID: "f5", Check: "my-custom", Status: "fail", Severity: "low", Account: "444", Resource: "arn:aws:iam::444:root", Message: "custom too"}, After: "fail"},
	}
	sum := DiffSummary{New: 2, Fixed: 1, Still: 1, Gone: 1, AccountsAdded: []string{"444"}, AccountsGone: []string{"333"}, FailOn: "high", NewAtFailOn: 1}
	log := decodeSARIF(t, writeDiffWith(t, "sarif", h, changes, sum))
	if log.Version != "2.1.0" || log.Schema != "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json" {
		t.Errorf("version %q, $schema %q", log.Version, log.Schema)
	}
	run := log.Runs[0]
	if d := run.Tool.Driver; d.Name != "rootwatch" || d.Version != "1.2.3" {
		t.Errorf("driver %q %q", d.Name, d.Version)
	}
	var rules []string
	for _, r := range run.Tool.Driver.Rules {
		desc := "-"
		if r.ShortDescription != nil {
			desc = r.ShortDescription.Text
		}
		rules = append(rules, fmt.Sprintf("%s|%s|%v|%s", r.ID, r.DefaultConfiguration.Level, r.Properties["security-severity"], desc))
	}
	wantRules := []string{
		"root-mfa-enabled|error|9.5|Root has MFA",
		"root-access-key-present|error|9.5|Root has no access key",
		"my-custom|warning|5.5|-", // described by its first finding: medium
	}
	if !slices.Equal(rules, wantRules) {
		t.Errorf("rules\n%s\nwant\n%s", strings.Join(rules, "\n"), strings.Join(wantRules, "\n"))
	}
	var results []string
	for _, r := range run.Results {
		if len(r.Locations) != 1 || len(r.Locations[0].LogicalLocations) != 1 {
			t.Fatalf("result %s: locations %+v", r.RuleID, r.Locations)
		}
		loc := r.Locations[0]
		results = append(results, fmt.Sprintf("%s|%d|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", r.RuleID, r.RuleIndex, r.BaselineState, r.Kind, r.Level,
			r.PartialFingerprints["rootwatchFindingId/v1"], loc.PhysicalLocation.ArtifactLocation.URI, loc.LogicalLocations[0].FullyQualifiedName,
			r.Message.Text, r.Properties["change"], r.Properties["before"], r.Properties["after"]))
	}
	wantResults := []string{
		"root-mfa-enabled|0|new|fail|error|f1|aws/111/root-user|arn:aws:iam::111:root|111: no MFA|new|pass|fail",
		"root-access-key-present|1|absent|pass|none|f2|aws/111/root-user|arn:aws:iam::111:root|111: no key|fixed|fail|pass",
		"my-custom|2|unchanged|fail|warning|f3|aws/222/root-user|arn:aws:iam::222:root|222: custom|still|fail|fail",
		"root-mfa-enabled|0|absent|pass|none|f4|aws/333/root-user|arn:aws:iam::333:root|333: no MFA|gone|fail|",
		"my-custom|2|new|fail|note|f5|aws/444/root-user|arn:aws:iam::444:root|444: custom too|new||fail",
	}
	if !slices.Equal(results, wantResults) {
		t.Errorf("results\n%s\nwant\n%s", strings.Join(results, "\n"), strings.Join(wantResults, "\n"))
	}
	props, err := json.Marshal(run.Properties)
	if err != nil {
		t.Fatal(err)
	}
	wantProps := `{"after":{"accounts":2,"as_of":"2026-01-08T00:00:00Z","id":2},"before":{"accounts":2,"as_of":"2026-01-01T00:00:00Z","id":1},` +
		`"store":"sqlite:h.db","summary":{"accounts_added":["444"],"accounts_gone":["333"],"fail_on":"high","failing_in_gone_accounts":1,` +
		`"fixed":1,"new":2,"new_at_fail_on":1,"still_failing":1}}`
	if string(props) != wantProps {
		t.Errorf("run properties\n%s\nwant\n%s", props, wantProps)
	}
	if len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful {
		t.Errorf("invocations %+v", run.Invocations)
	}
}

// A diff with no change is a valid log with no results, its rules still
// listed.
func TestDiffSARIFEmpty(t *testing.T) {
	h := DiffHeader{Store: "postgres://db", Tool: Tool{Name: "rootwatch", Version: "t"},
		Checks: []Check{{ID: "root-mfa-enabled", Title: "Root has MFA", Severity: "critical"}}}
	log := decodeSARIF(t, writeDiffWith(t, "sarif", h, nil, DiffSummary{FailOn: "high"}))
	if run := log.Runs[0]; len(run.Results) != 0 || len(run.Tool.Driver.Rules) != 1 || run.Tool.Driver.Name != "rootwatch" {
		t.Errorf("results %d, rules %d, driver %q", len(run.Results), len(run.Tool.Driver.Rules), run.Tool.Driver.Name)
	}
}
