package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/demo"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// numRules is the number of built-in checks: one finding each per account.
func numRules(t *testing.T) int {
	t.Helper()
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// numDemoRules is the number of built-in checks an audit of the demo
// fleet runs: its accounts have every fact but the root email and the
// contact information.
func numDemoRules(t *testing.T) int {
	t.Helper()
	return numRulesFor(t, "contacts", "budgets", "root_usage_alarm", "scp", "centralized_root", "cloudtrail")
}

// numRulesFor is the number of built-in checks a run whose input collects
// the given facts runs: those that need no fact beyond them.
func numRulesFor(t *testing.T, facts ...string) int {
	t.Helper()
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rs {
		ok := true
		for _, need := range r.Needs {
			ok = ok && slices.Contains(facts, need)
		}
		if ok {
			n++
		}
	}
	return n
}

// fixedNow is the clock of every command test.
var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fixtureCSV is a copy of shared/fixtures/credential-reports/single-account-2023.csv.
const fixtureCSV = "testdata/single-account-2023.csv"

type result struct {
	out, err string
	code     int
}

func testDeps(stdin string) (*Deps, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Deps{
		In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return fixedNow }, Version: "test",
	}, &out, &errOut
}

func runWith(t *testing.T, d *Deps, args ...string) result {
	t.Helper()
	cmd := NewRootCmd(d)
	cmd.SetArgs(args)
	err := cmd.Execute()
	code, _ := ExitCode(err)
	r := result{out: d.Out.(*bytes.Buffer).String(), err: d.ErrOut.(*bytes.Buffer).String(), code: code}
	if err != nil {
		r.err += err.Error()
	}
	return r
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	d, _, _ := testDeps("")
	return runWith(t, d, args...)
}

func fixture(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(fixtureCSV); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return fixtureCSV
}

// jsonReport decodes the JSON report contract strictly: the top level and
// each finding must have exactly the documented keys.
func jsonReport(t *testing.T, s string) map[string]any {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, s)
	}
	if _, ok := raw["warnings"]; ok {
		assertKeys(t, "report", raw, "generated_at", "tool", "accounts", "findings", "errors", "warnings")
	} else {
		assertKeys(t, "report", raw, "generated_at", "tool", "accounts", "findings", "errors")
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		keys := map[string]json.RawMessage{}
		for k := range fm {
			keys[k] = nil
		}
		assertKeys(t, "finding", keys, "id", "check", "title", "severity", "status", "account", "org", "resource",
			"message", "evidence", "compliance", "remediation")
		switch fm["status"] {
		case "pass", "fail", "error", "not_applicable", "manual":
		default:
			t.Errorf("finding status %v", fm["status"])
		}
		switch fm["severity"] {
		case "critical", "high", "medium", "low", "info":
		default:
			t.Errorf("finding severity %v", fm["severity"])
		}
	}
	for _, e := range doc["errors"].([]any) {
		keys := map[string]json.RawMessage{}
		for k := range e.(map[string]any) {
			keys[k] = nil
		}
		delete(keys, "class") // live AWS errors carry their class (additive)
		assertKeys(t, "error", keys, "account", "source", "message")
	}
	return doc
}

func assertKeys(t *testing.T, what string, m map[string]json.RawMessage, want ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s keys = %v, want %v", what, got, want)
	}
}

// findings indexes a decoded report's findings by account and check.
func findings(doc map[string]any) map[[2]string]map[string]any {
	out := map[[2]string]map[string]any{}
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		out[[2]string{fm["account"].(string), fm["check"].(string)}] = fm
	}
	return out
}

func TestAuditDemoJSON(t *testing.T) {
	r := run(t, "audit", "--demo", "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, want 1 (the demo has failing findings); stderr: %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	if n := len(doc["accounts"].([]any)); n != 12 {
		t.Errorf("%d accounts, want 12", n)
	}
	if tool := doc["tool"].(map[string]any); tool["name"] != "rootwatch" || tool["version"] != "test" {
		t.Errorf("tool = %v", tool)
	}
	fs := findings(doc)
	want := []struct {
		account, check, status, msg string
	}{
		{"210987654324", "root-access-key-present", "fail", "an active root access key in slot 1"},
		{"210987654324", "root-access-key-stale", "fail", "last rotated 420d 1h ago"},
		{"210987654324", "root-access-key-used", "fail", "s3 in eu-west-1"},
		{"210987654325", "root-recent-use", "fail", "by password"},
		{"210987654325", "root-mfa-enabled", "fail", "has a password"},
		{"210987654326", "root-access-key-present", "fail", "slot 2"},
		{"210987654326", "root-recent-use", "fail", "by access key 2"},
		{"210987654322", "root-mfa-enabled", "pass", "root credentials absent"},
		{"210987654323", "root-access-key-present", "pass", "root credentials absent"},
		{"210987654323", "root-hardware-mfa", "pass", "root credentials absent"},
		{"210987654329", "root-recent-use", "not_applicable", "grace period"},
		{"210987654328", "root-recent-use", "pass", "20d before the report"},
		{"210987654328", "root-access-key-present", "fail", "an inactive root access key exists in slot 1"},
		{"210987654327", "root-access-key-used", "pass", "has ever been used"},
		{"210987654330", "root-mfa-enabled", "fail", "older report"},
		{"210987654330", "root-signing-certificate", "fail", "slot 1"},
		{"210987654321", "root-hardware-mfa", "manual", "does not say which kind"},
		{"210987654331", "root-access-key-stale", "not_applicable", "no active root access key"},
	}
	for _, w := range want {
		f := fs[[2]string{w.account, w.check}]
		if f == nil {
			t.Errorf("no %s finding for %s", w.check, w.account)
			continue
		}
		if f["status"] != w.status || !strings.Contains(f["message"].(string), w.msg) {
			t.Errorf("%s %s: %v %q, want %s containing %q", w.account, w.check, f["status"], f["message"], w.status, w.msg)
		}
		if f["org"] != demo.OrgID || f["resource"] != "arn:aws:iam::"+w.account+":root" {
			t.Errorf("%s %s: org %v resource %v", w.account, w.check, f["org"], f["resource"])
		}
	}
	// Evidence names the report, when it was generated and how old it is.
	ev := fs[[2]string{"210987654330", "root-mfa-enabled"}]["evidence"].(map[string]any)
	cr := ev["credential_report"].(map[string]any)
	if cr["age_hours"].(float64) != 380*24+1 || cr["generated_at_source"] != "report" {
		t.Errorf("legacy report evidence = %v", cr)
	}
	if rf := ev["report_fields"].(map[string]any); rf["password_enabled"] != "not_supported" || rf["mfa_active"] != "false" {
		t.Errorf("report fields = %v", rf)
	}
	// Compliance mapping comes with every finding.
	comp := fs[[2]string{"210987654325", "root-mfa-enabled"}]["compliance"].(map[string]any)
	for fw, ctl := range map[string]string{"cis-aws-v1.2": "1.13", "cis-aws-v1.4": "1.5", "cis-aws-v5.0": "1.4", "aws-securityhub": "IAM.9", "aws-config": "root-account-mfa-enabled"} {
		if got := comp[fw].([]any); len(got) != 1 || got[0] != ctl {
			t.Errorf("compliance %s = %v, want %s", fw, got, ctl)
		}
	}
}

// The demo must show every outcome a check can reach from credential
// reports, so a user sees what each looks like.
func TestDemoExercisesEveryOutcome(t *testing.T) {
	doc := jsonReport(t, run(t, "audit", "--demo", "--format", "json").out)
	seen := map[string]map[string]bool{}
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		c := fm["check"].(string)
		if seen[c] == nil {
			seen[c] = map[string]bool{}
		}
		seen[c][fm["status"].(string)] = true
	}
	want := map[string][]string{
		"root-access-key-present":        {"pass", "fail"},
		"root-access-key-stale":          {"pass", "fail", "not_applicable"},
		"root-access-key-used":           {"pass", "fail", "not_applicable"},
		"root-mfa-enabled":               {"pass", "fail"},
		"root-hardware-mfa":              {"pass", "fail", "manual"},
		"root-recent-use":                {"pass", "fail", "not_applicable"},
		"root-signing-certificate":       {"pass", "fail"},
		"security-contact-registered":    {"pass", "fail"},
		"alternate-contacts":             {"pass", "fail"},
		"budget-alert":                   {"pass", "fail"},
		"root-usage-alarm":               {"pass", "fail"},
		"root-scp-guardrail":             {"pass", "fail", "not_applicable"},
		"centralized-root-access":        {"pass", "fail", "not_applicable"},
		"root-console-login-without-mfa": {"pass", "fail", "manual"},
	}
	for c, statuses := range want {
		for _, s := range statuses {
			if !seen[c][s] {
				t.Errorf("demo has no %s finding for %s (has %v)", s, c, seen[c])
			}
		}
	}
}

func TestAuditFixtureReport(t *testing.T) {
	path := fixture(t)
	// The report was downloaded early in January 2023; root last signed in
	// on 2022-12-21. It is audited that morning.
	run := func(t *testing.T, args ...string) result {
		t.Helper()
		d, _, _ := testDeps("")
		d.Now = func() time.Time { return time.Date(2023, 1, 4, 9, 0, 0, 0, time.UTC) }
		return runWith(t, d, args...)
	}
	r := run(t, "audit", "--credential-report", path, "--report-time", "2023-01-04T00:00:00Z", "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, want 1; %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	// Credential reports hold no contacts, budgets, trails or SCPs: those
	// checks are not run (and the log says so), rather than manual.
	if f := fs[[2]string{"278368863034", "budget-alert"}]; f != nil || len(fs) != numRulesFor(t) || !strings.Contains(r.err, "checks not run") {
		t.Errorf("live-only checks ran on a credential report (%d findings); stderr %s", len(fs), r.err)
	}
	if f := fs[[2]string{"278368863034", "root-recent-use"}]; f["status"] != "pass" {
		t.Errorf("recent use with 7d window: %v %v", f["status"], f["message"])
	}
	if f := fs[[2]string{"278368863034", "root-mfa-enabled"}]; f["status"] != "fail" {
		t.Errorf("mfa: %v", f["status"])
	}
	r = run(t, "audit", "--credential-report", path, "--report-time", "2023-01-04T00:00:00Z", "--window", "14d", "--format", "json")
	fs = findings(jsonReport(t, r.out))
	f := fs[[2]string{"278368863034", "root-recent-use"}]
	if f["status"] != "fail" || !strings.Contains(f["message"].(string), "13d") {
		t.Errorf("recent use with 14d window: %v %v", f["status"], f["message"])
	}
	ev := f["evidence"].(map[string]any)
	if ev["last_used"] != "2022-12-21T16:19:23Z" || ev["credential_report"].(map[string]any)["generated_at_source"] != "flag" {
		t.Errorf("evidence = %v", ev)
	}
	// Judged years later, the old report shows no use in its window but
	// cannot show that root was not used since.
	late := findings(jsonReport(t, runWith(t, func() *Deps { d, _, _ := testDeps(""); return d }(),
		"audit", "--credential-report", path, "--report-time", "2023-01-04T00:00:00Z", "--format", "json").out))
	if f := late[[2]string{"278368863034", "root-recent-use"}]; f["status"] != "manual" || !strings.Contains(f["message"].(string), "older than the 7d window") {
		t.Errorf("an old report judged now: %v %v", f["status"], f["message"])
	}
}

func TestAuditStdin(t *testing.T) {
	data, err := os.ReadFile(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeps(string(data))
	r := runWith(t, d, "audit", "--credential-report", "-", "--format", "json")
	doc := jsonReport(t, r.out)
	accts := doc["accounts"].([]any)
	if len(accts) != 1 || accts[0].(map[string]any)["id"] != "278368863034" {
		t.Fatalf("accounts = %v", accts)
	}
	// A bare CSV has no generation time: the audit time stands in, and the
	// evidence says so.
	cr := accts[0].(map[string]any)["credential_report"].(map[string]any)
	if cr["source"] != "-" || cr["generated_at_source"] != "audit-time" || cr["generated_at"] != fixedNow.Format(time.RFC3339) {
		t.Errorf("credential_report = %v", cr)
	}
}

// writeDemoReports writes the demo's reports as CLI JSON files.
func writeDemoReports(t *testing.T, dir string, n int) {
	t.Helper()
	names := make([]string, 0)
	reps := demo.Reports(fixedNow)
	for name := range reps {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names[:n] {
		if err := os.WriteFile(filepath.Join(dir, name), reps[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditPartialInput(t *testing.T) {
	dir := t.TempDir()
	writeDemoReports(t, dir, 3)
	mustDo(t, os.WriteFile(filepath.Join(dir, "empty.csv"), nil, 0o644))
	mustDo(t, os.WriteFile(filepath.Join(dir, "ragged.csv"), []byte("user,arn\nx\n"), 0o644))
	r := run(t, "audit", "--credential-report", dir, "--format", "json")
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	if n := len(doc["accounts"].([]any)); n != 3 {
		t.Errorf("%d accounts audited, want 3", n)
	}
	errs := doc["errors"].([]any)
	if len(errs) != 2 {
		t.Fatalf("errors = %v", errs)
	}
	for i, name := range []string{"empty.csv", "ragged.csv"} {
		e := errs[i].(map[string]any)
		if !strings.Contains(e["source"].(string), name) || !strings.Contains(e["message"].(string), name) {
			t.Errorf("error %d = %v, want it to name %s", i, e, name)
		}
	}
	if !strings.Contains(r.err, "empty.csv") || !strings.Contains(r.err, "ragged.csv") {
		t.Errorf("stderr does not name the bad inputs: %s", r.err)
	}
}

func TestAuditNothingReadable(t *testing.T) {
	dir := t.TempDir()
	mustDo(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"Content": "%%%"}`), 0o644))
	r := run(t, "audit", "--credential-report", dir, filepath.Join(dir, "missing.csv"), "--format", "json")
	if r.code != ExitUsage {
		t.Fatalf("exit %d, want 2", r.code)
	}
	doc := jsonReport(t, r.out)
	if len(doc["errors"].([]any)) != 2 || len(doc["findings"].([]any)) != 0 {
		t.Errorf("report = %v", doc)
	}
	if !strings.Contains(r.err, "invalid base64") || !strings.Contains(r.err, "missing.csv") {
		t.Errorf("stderr: %s", r.err)
	}
}

func TestAuditUsageErrors(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	mustDo(t, os.WriteFile(cfg, []byte("checks:\n  no-such-check: {disabled: true}\n"), 0o644))
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"audit", "--demo", "--credential-report", "x.csv"}, "give one of"},
		{[]string{"audit", "--org", "--demo"}, "--org collects live"},
		{[]string{"audit", "--demo", "--max-report-age", "old"}, "--max-report-age"},
		{[]string{"audit", "--demo", "--format", "xml"}, `unknown format "xml"`},
		{[]string{"audit", "--demo", "--window", "seven"}, "--window"},
		{[]string{"audit", "--demo", "--fail-on", "urgent"}, "--fail-on"},
		{[]string{"audit", "--demo", "--report-time", "yesterday"}, "--report-time"},
		{[]string{"audit", "--demo", "--checks", "root-nope"}, `unknown check "root-nope"`},
		{[]string{"audit", "--demo", "--config", cfg}, `unknown check "no-such-check"`},
		{[]string{"audit", "--demo", "--no-such-flag"}, "unknown flag"},
		{[]string{"audit", "stray-arg"}, "unexpected argument"},
	} {
		r := run(t, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.msg)
		}
		if r.out != "" {
			t.Errorf("%v: wrote a report on a usage error: %q", tc.args, r.out)
		}
	}
}

func TestAuditFailOn(t *testing.T) {
	// The demo's worst failing finding is critical.
	for _, tc := range []struct {
		failOn string
		code   int
	}{{"critical", 1}, {"none", 0}} {
		if r := run(t, "audit", "--demo", "--fail-on", tc.failOn, "--format", "json"); r.code != tc.code {
			t.Errorf("--fail-on %s: exit %d, want %d", tc.failOn, r.code, tc.code)
		}
	}
	// Only a medium failure: signing certificate alone, fail-on high passes.
	if r := run(t, "audit", "--demo", "--checks", "root-signing-certificate", "--format", "json"); r.code != 0 {
		t.Errorf("medium-only failures with default fail-on high: exit %d", r.code)
	}
	if r := run(t, "audit", "--demo", "--checks", "root-signing-certificate", "--fail-on", "medium", "--format", "json"); r.code != 1 {
		t.Errorf("medium failures with --fail-on medium: exit %d", r.code)
	}
}

func TestAuditConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "rootwatch.yaml")
	mustDo(t, os.WriteFile(cfg, []byte(`window: 30d
fail_on: critical
checks:
  root-signing-certificate: {severity: critical}
  root-hardware-mfa: {disabled: true}
`), 0o644))
	r := run(t, "audit", "--demo", "--config", cfg, "--format", "json")
	fs := findings(jsonReport(t, r.out))
	for k, f := range fs {
		if k[1] == "root-hardware-mfa" {
			t.Fatalf("disabled check ran: %v", f)
		}
	}
	if f := fs[[2]string{"210987654330", "root-signing-certificate"}]; f["severity"] != "critical" {
		t.Errorf("severity override: %v", f["severity"])
	}
	// With a 30-day window, use 20 days ago counts.
	if f := fs[[2]string{"210987654328", "root-recent-use"}]; f["status"] != "fail" {
		t.Errorf("30d window from config: %v %v", f["status"], f["message"])
	}
	// The flag beats the file.
	r = run(t, "audit", "--demo", "--config", cfg, "--window", "7d", "--format", "json")
	if f := findings(jsonReport(t, r.out))[[2]string{"210987654328", "root-recent-use"}]; f["status"] != "pass" {
		t.Errorf("--window over config: %v", f["status"])
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	mustDo(t, os.WriteFile(bad, []byte("windw: 7d\n"), 0o644))
	if r := run(t, "audit", "--demo", "--config", bad); r.code != ExitUsage || !strings.Contains(r.err, "windw") {
		t.Errorf("unknown config key: exit %d %s", r.code, r.err)
	}
}

func TestAuditCSV(t *testing.T) {
	r := run(t, "audit", "--demo", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(r.out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+12*numDemoRules(t) {
		t.Fatalf("%d CSV rows, want header + 12 × %d", len(rows), numDemoRules(t))
	}
	if strings.Join(rows[0], ",") != "id,check,title,severity,status,account,org,resource,message,compliance,remediation,evidence" {
		t.Errorf("header = %v", rows[0])
	}
	for _, row := range rows[1:] {
		var ev map[string]any
		if err := json.Unmarshal([]byte(row[11]), &ev); err != nil {
			t.Fatalf("evidence cell is not JSON: %v", err)
		}
	}
	// A header even with no findings.
	r = run(t, "audit", "--demo", "--checks", "root-mfa-enabled", "--format", "csv")
	if !strings.HasPrefix(r.out, "id,check,") {
		t.Errorf("csv: %q", r.out[:40])
	}
}

func TestAuditSARIF(t *testing.T) {
	r := run(t, "audit", "--demo", "--format", "sarif")
	rep, err := sarif.FromString(r.out)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF does not validate: %v", err)
	}
	doc := jsonReport(t, run(t, "audit", "--demo", "--format", "json").out)
	fails := 0
	for _, f := range doc["findings"].([]any) {
		if f.(map[string]any)["status"] == "fail" {
			fails++
		}
	}
	res := rep.Runs[0].Results
	if len(res) != fails {
		t.Errorf("%d SARIF results, want %d failing findings", len(res), fails)
	}
	for _, x := range res {
		uri := *x.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if !strings.HasPrefix(uri, "aws/2109876543") || !strings.HasSuffix(uri, "/root-user") {
			t.Errorf("artifact uri %q", uri)
		}
		if !strings.HasPrefix(*x.Locations[0].LogicalLocations[0].FullyQualifiedName, "arn:aws:iam::") {
			t.Errorf("logical location %v", x.Locations[0].LogicalLocations[0])
		}
	}
	for _, rule := range rep.Runs[0].Tool.Driver.Rules {
		if rule.Properties == nil || rule.Properties.Properties["security-severity"] == nil {
			t.Errorf("rule %s lacks security-severity", *rule.ID)
		}
	}
}

func TestAuditOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	r := run(t, "audit", "--demo", "--format", "json", "--output", out)
	if r.out != "" {
		t.Errorf("wrote to stdout too: %q", r.out[:min(len(r.out), 80)])
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	jsonReport(t, string(data))
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// A FIFO (like /dev/null, a device) is written in place, never
	// replaced by a renamed file.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() { b, _ := os.ReadFile(fifo); got <- b }()
	if r := run(t, "audit", "--demo", "--format", "csv", "--output", fifo); r.code != ExitFailing {
		t.Errorf("--output fifo: exit %d %s", r.code, r.err)
	}
	if b := <-got; !bytes.HasPrefix(b, []byte("id,check,")) {
		t.Errorf("fifo got %q", b[:min(len(b), 40)])
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	os.Remove(fifo)

	// A destination that cannot be written is refused before any work:
	// exit 2, nothing left behind.
	for _, bad := range []string{filepath.Join(dir, "no", "such", "dir", "r.json"), dir} {
		if r := run(t, "audit", "--demo", "--output", bad); r.code != ExitUsage || !strings.Contains(r.err, "--output") {
			t.Errorf("--output %s: exit %d %s", bad, r.code, r.err)
		}
	}
	// A link is written through: it stays a link, its target gets the
	// report, and an existing file keeps its permissions.
	target := filepath.Join(dir, "target.json")
	mustDo(t, os.WriteFile(target, []byte("old"), 0o600))
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "audit", "--demo", "--format", "json", "--output", link); r.code != ExitFailing {
		t.Fatalf("--output link: exit %d %s", r.code, r.err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v, want 0600 kept", fi.Mode().Perm())
	}
	data, _ = os.ReadFile(target)
	jsonReport(t, string(data))
}

func TestAuditTableColour(t *testing.T) {
	plain := run(t, "audit", "--demo")
	if strings.Contains(plain.out, "\x1b[") {
		t.Error("colour written to a non-terminal")
	}
	// The summary's counts are those of the JSON report of the same audit.
	counts := map[string]int{}
	failing := map[string]bool{}
	doc := jsonReport(t, run(t, "audit", "--demo", "--format", "json").out)
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		counts[fm["status"].(string)]++
		if fm["status"] == "fail" {
			failing[fm["account"].(string)] = true
		}
	}
	summary := fmt.Sprintf("%d findings: %d fail, %d error, %d manual, %d pass, %d not_applicable", 12*numDemoRules(t),
		counts["fail"], counts["error"], counts["manual"], counts["pass"], counts["not_applicable"])
	for _, want := range []string{"ACCOUNT", "Summary", summary, fmt.Sprintf("%d of 12 accounts fail", len(failing)),
		"root-access-key-present [critical] 5 accounts", "1 report is more than a day old"} {
		if !strings.Contains(plain.out, want) {
			t.Errorf("table lacks %q:\n%s", want, plain.out)
		}
	}
	if strings.Contains(plain.out, "PASS ") {
		t.Error("passing findings listed without --all")
	}
	d, _, _ := testDeps("")
	d.OutIsTerminal = true
	if r := runWith(t, d, "audit", "--demo"); !strings.Contains(r.out, "\x1b[31mFAIL") {
		t.Error("no colour on a terminal")
	}
	d, _, _ = testDeps("")
	d.OutIsTerminal = true
	d.Getenv = func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}
	if r := runWith(t, d, "audit", "--demo"); strings.Contains(r.out, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
	if all := run(t, "audit", "--demo", "--all"); !strings.Contains(all.out, "PASS") || !strings.Contains(all.out, "NOT_APPLICABLE") {
		t.Error("--all does not list passing findings")
	}
}

// Accounts are judged as they are read; a duplicate dropped afterwards
// leaves no findings behind.
func TestAuditDuplicateAccountFindings(t *testing.T) {
	dir := t.TempDir()
	reps := demo.Reports(fixedNow)
	older := demo.Reports(fixedNow.Add(-30 * 24 * time.Hour))
	mustDo(t, os.WriteFile(filepath.Join(dir, "a-new.json"), reps["210987654325.json"], 0o644))
	mustDo(t, os.WriteFile(filepath.Join(dir, "b-old.json"), older["210987654325.json"], 0o644))
	r := run(t, "audit", "--credential-report", dir, "--format", "json")
	doc := jsonReport(t, r.out)
	fs := doc["findings"].([]any)
	if len(fs) != numRulesFor(t) {
		t.Fatalf("%d findings, want %d (one account, credential report checks)", len(fs), numRulesFor(t))
	}
	for _, f := range fs {
		src := f.(map[string]any)["evidence"].(map[string]any)["credential_report"].(map[string]any)["source"].(string)
		if !strings.HasSuffix(src, "a-new.json") {
			t.Errorf("finding from %s, want the newer report", src)
		}
	}
	// The older report is set aside with a warning: a folder of daily
	// reports is no partial run (exit 1 for the findings, not 3).
	if errs := doc["errors"].([]any); len(errs) != 0 || r.code != ExitFailing || !strings.Contains(r.err, "set aside") || !strings.Contains(r.err, "b-old.json") {
		t.Errorf("exit %d, errors = %v, stderr %s", r.code, errs, r.err)
	}
	if ws, _ := doc["warnings"].([]any); len(ws) != 1 || !strings.Contains(ws[0].(map[string]any)["message"].(string), "b-old.json: not audited") {
		t.Errorf("warnings = %v, want the older report", doc["warnings"])
	}
}

// mustDo stops the test when a step of its setup fails.
func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("test setup: %v", err)
	}
}
