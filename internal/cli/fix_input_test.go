package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
	"github.com/rootwatch/rootwatch/internal/history"
)

// runFixWith runs the fix command built with hooks (fakes behind the
// calls it makes).
func runFixWith(t *testing.T, d *Deps, hooks fixHooks, args ...string) result {
	t.Helper()
	cmd := newFixCommand(d, hooks)
	cmd.SetArgs(args)
	cmd.SetIn(d.In)
	cmd.SetOut(d.Out)
	cmd.SetErr(d.ErrOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	code, _ := ExitCode(err)
	r := result{out: d.Out.(*bytes.Buffer).String(), err: d.ErrOut.(*bytes.Buffer).String(), code: code}
	if err != nil {
		r.err += err.Error()
	}
	return r
}

// deniedFilter stands in for an account whose role may not put metric
// filters: logs:PutMetricFilter is refused with AccessDenied, as AWS
// refuses it.
type deniedFilter struct{ fix.LogsAPI }

func (deniedFilter) PutMetricFilter(context.Context, *cloudwatchlogs.PutMetricFilterInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error) {
	return nil, &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "PutMetricFilter",
		Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform logs:PutMetricFilter"}}
}

// AccessDenied on one step, through moto with the refusal from a fake:
// the step before it is applied, it fails naming account and step, the
// account's later steps are not applied, the exit is 3; planning again
// plans only what is not in place, and a saved plan applies.
func TestFixAccessDeniedOnAStep_FakeDeniedFilterAndTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	dir := t.TempDir()
	hooks := fixHooks{reach: func(_ string, r fix.Reach) fix.Reach {
		return func(region string) fix.Clients {
			c := r(region)
			c.Logs = deniedFilter{c.Logs}
			return c
		}
	}}
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	logPath := filepath.Join(dir, "run.jsonl")
	r := runFixWith(t, d, hooks, "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", logPath)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3: %s\n%s", r.code, r.err, r.out)
	}
	want := "applied  alarm/123456789012/us-east-1/topic:rootwatch-root-activity  account 123456789012\n" +
		"failed   alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage  account 123456789012  account 123456789012, step alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage: logs:PutMetricFilter: operation error CloudWatch Logs: PutMetricFilter, api error AccessDeniedException: not authorized to perform logs:PutMetricFilter (its calls were undone)\n" +
		"skipped  alarm/123456789012/us-east-1/alarm:rootwatch-root-usage  account 123456789012  not applied: step alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage failed\n" +
		"skipped  alarm/123456789012/us-east-1/rule:rootwatch-root-activity  account 123456789012  not applied: step alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage failed\n"
	if r.out != want {
		t.Errorf("results:\n%s\nwant\n%s", r.out, want)
	}
	var lines []string
	for _, e := range readRunLog(t, logPath) {
		lines = append(lines, e.Step+" "+e.Action+" "+e.Result)
	}
	wantLines := []string{
		"alarm/123456789012/us-east-1/topic:rootwatch-root-activity sns:CreateTopic ok",
		"alarm/123456789012/us-east-1/topic:rootwatch-root-activity sns:SetTopicAttributes ok",
		"alarm/123456789012/us-east-1/topic:rootwatch-root-activity sns:Subscribe ok",
		"alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage logs:PutMetricFilter error",
		"alarm/123456789012/us-east-1/alarm:rootwatch-root-usage  skipped",
		"alarm/123456789012/us-east-1/rule:rootwatch-root-activity  skipped",
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("run log:\n%s", strings.Join(lines, "\n"))
	}

	// Planned again (the refusal gone): the topic is in place, the rest
	// is planned; saved, then applied from the file.
	planPath := filepath.Join(dir, "plan.json")
	d, _, _ = testDeps("")
	d.AWSClients = withTrailDelivered
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--plan-out", planPath, "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("again: exit %d: %s", r.code, r.err)
	}
	p, err := fix.ReadPlan(strings.NewReader(r.out), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range p.Steps {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, []string{"alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage", "alarm/123456789012/us-east-1/alarm:rootwatch-root-usage",
		"alarm/123456789012/us-east-1/rule:rootwatch-root-activity"}) {
		t.Errorf("planned again: %v", ids)
	}
	// A saved plan older than --max-plan-age is refused.
	d, _, _ = testDeps("")
	d.Now = func() time.Time { return fixedNow.Add(25 * time.Hour) }
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--plan", planPath, "--apply", "--yes", "--log", filepath.Join(dir, "stale.jsonl"))
	if r.code != ExitUsage || !strings.Contains(r.err, "plan "+planPath+" rests on evidence of account 123456789012 from 2026-11-23T12:00:00Z, 25h0m0s old, more than --max-plan-age 24h0m0s: plan again from a new audit") {
		t.Errorf("stale plan: exit %d: %s", r.code, r.err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a refused plan opened a run log: %v", err)
	}
	// Within the age, it applies, and the audit passes.
	d, _, _ = testDeps("")
	d.Now = func() time.Time { return fixedNow.Add(time.Hour) }
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--plan", planPath, "--apply", "--yes", "--log", filepath.Join(dir, "saved.jsonl"))
	if r.code != 0 || strings.Count(r.out, "applied  ") != 3 {
		t.Fatalf("saved plan: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	if st, _ := rootUsageFinding(t, m.Endpoint); st != "pass" {
		t.Errorf("after the saved plan: %s", st)
	}
}

// On a terminal --apply asks first; anything but y applies nothing.
func TestFixConfirms_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	rec := &recorder{}
	d, _, _ := testDeps("n\n")
	d.AWSClients, d.AWSRecord, d.ErrIsTerminal = withTrailDelivered, rec.record, true
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--log", filepath.Join(t.TempDir(), "run.jsonl"))
	if r.code != ExitUsage || !strings.Contains(r.err, "Apply 4 steps in 1 accounts? [y/N] ") || !strings.HasSuffix(r.err, "not applied: not confirmed") {
		t.Errorf("declined: exit %d: %s", r.code, r.err)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Errorf("declined, yet: %v", calls)
	}
	// Confirmed; the run log goes to the current directory, named by the
	// run's time.
	dir := t.TempDir()
	t.Chdir(dir)
	d, _, _ = testDeps("y\n")
	d.AWSClients, d.ErrIsTerminal = withTrailDelivered, true
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply")
	if r.code != 0 || strings.Count(r.out, "applied  ") != 4 {
		t.Errorf("confirmed: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	if n := len(readRunLog(t, filepath.Join(dir, "rootwatch-fix-20261123T120000Z.jsonl"))); n != 7 {
		t.Errorf("default run log: %d lines, want 7", n)
	}
}

// No trail: the step is blocked, saying what to do by hand; exit 3, and
// nothing to apply.
func TestFixBlockedWithoutTrail(t *testing.T) {
	m := startMoto(t)
	d, _, _ := testDeps("")
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com")
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{
		"Plan: 0 step(s) in 0 account(s) to apply, 1 blocked. Nothing changes without --apply.",
		"1. alarm/123456789012/trail  [alarm] account 123456789012\n",
		"   why: root-usage-alarm fails: no trail: CloudTrail does not record this account's activity\n",
		"   BLOCKED: the chain breaks before a log group: rootwatch fix does not create trails or their delivery to CloudWatch Logs;",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("lacks %q:\n%s", want, r.out)
		}
	}
}

// A snapshot or report of accounts the credentials cannot act on is
// refused before anything is read of them, naming the account.
func TestFixRefusesAnotherOrganization(t *testing.T) {
	m := startMoto(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "demo.json")
	if r := run(t, "snapshot", "--demo", "--output", snap); r.code != 0 {
		t.Fatalf("snapshot: %d %s", r.code, r.err)
	}
	report := filepath.Join(dir, "report.json")
	if r := run(t, "audit", "--demo", "--format", "json", "--output", report, "--fail-on", "none"); r.code != 0 {
		t.Fatalf("audit: %d %s", r.code, r.err)
	}
	for _, in := range [][]string{{"--snapshot", snap}, {"--report", report}} {
		r := run(t, append([]string{"fix", "--endpoint-url", m.Endpoint}, in...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, "is not the credentials' account 123456789012, which is in no organization") {
			t.Errorf("%v, no organization: exit %d: %s", in, r.code, r.err)
		}
	}
	cfg := seedTrail(t, m.Endpoint)
	out, err := organizations.NewFromConfig(cfg).CreateOrganization(context.Background(), &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		t.Fatal(err)
	}
	org := aws.ToString(out.Organization.Id)
	for _, in := range [][]string{{"--snapshot", snap}, {"--report", report}} {
		r := run(t, append([]string{"fix", "--endpoint-url", m.Endpoint}, in...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, ", the credentials to organization "+org+": plan from an audit of this organization") ||
			!strings.Contains(r.err, "belongs to organization o-") {
			t.Errorf("%v, another organization: exit %d: %s", in, r.code, r.err)
		}
	}
}

// A JSON report plans what the live audit plans.
func TestFixFromReport_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	report := filepath.Join(t.TempDir(), "report.json")
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	if r := runWith(t, d, "audit", "--endpoint-url", m.Endpoint, "--format", "json", "--output", report, "--checks", "root-usage-alarm", "--fail-on", "none"); r.code != 0 {
		t.Fatalf("audit: %d %s", r.code, r.err)
	}
	rec := &recorder{}
	d, _, _ = testDeps("")
	d.AWSRecord = rec.record
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--report", report, "--notify", "email:sec@example.com", "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	p, err := fix.ReadPlan(strings.NewReader(r.out), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 4 || p.Steps[1].Target != "arn:aws:logs:us-east-1:123456789012:log-group:ct" || !p.Evidence["123456789012"].Equal(fixedNow) {
		t.Errorf("plan: %+v", p)
	}
	// From a report, no trail is read: only the detection's state.
	if calls := rec.take(); slices.Contains(calls, "cloudtrail:DescribeTrails") || slices.ContainsFunc(calls, mutating) {
		t.Errorf("calls: %v", calls)
	}
}

func TestFixFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--yes"}, "--yes confirms --apply: give --apply too"},
		{[]string{"--keep-root", "12345"}, `--keep-root "12345": not a 12-digit account ID`},
		{[]string{"--accounts", "abc"}, `--accounts "abc": not a 12-digit account ID`},
		{[]string{"--only", "budgets"}, `--only: unknown step kind "budgets": want one of alarm`},
		{[]string{"--notify", "sms:+15555550100"}, `--notify "sms:+15555550100": protocol "sms": want email or https`},
		{[]string{"--demo"}, "fix acts on AWS: plan from a live audit, --snapshot, --report or --plan, not --demo or credential reports"},
		{[]string{"--plan", "p.json", "--only", "alarm"}, "--plan applies a saved plan as it is: --only and --notify shape a new plan"},
		{[]string{"--plan", "p.json", "--report", "r.json"}, "give one of --snapshot, --report and --plan"},
		{[]string{"--format", "csv"}, `--format "csv": want table or json`},
		{[]string{"--log", "x.jsonl"}, "--log is the run log of --apply: give --apply too"},
		{[]string{"--report", "r.json", "--org"}, "--org audits live: it does not go with --report or --plan"},
		{[]string{"--plan", "-", "--apply"}, "--plan - reads the plan from standard input, where the confirmation would be read: give --yes"},
	} {
		r := run(t, append([]string{"fix"}, c.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, c.msg) {
			t.Errorf("%v: exit %d: %s\nwant %s", c.args, r.code, r.err, c.msg)
		}
	}
}

// With --store, a saved plan is refused when the store holds an audit of
// one of its accounts newer than the evidence the plan rests on.
func TestFixPlanOlderThanStoredAudit_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	if r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--plan-out", planPath); r.code != ExitFailing {
		t.Fatalf("plan: exit %d: %s", r.code, r.err)
	}
	storeURL := "sqlite:" + filepath.Join(dir, "history.db")
	ctx := context.Background()
	st, err := history.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	write := func(asOf time.Time) {
		t.Helper()
		_, err := st.WriteRun(ctx, history.RunInput{WrittenAt: asOf, ToolVersion: "test",
			Accounts: history.Records(history.AccountRecord{Observation: history.Observation{Account: motoAccountID, AsOf: asOf}})})
		if err != nil {
			t.Fatal(err)
		}
	}
	// An audit as old as the plan's evidence does not refuse it.
	write(fixedNow)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	d, _, _ = testDeps("")
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--plan", planPath, "--store", storeURL)
	if r.code != ExitFailing {
		t.Fatalf("store with the same audit: exit %d: %s", r.code, r.err)
	}
	st, err = history.Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	write(fixedNow.Add(30 * time.Minute))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	d, _, _ = testDeps("")
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--plan", planPath, "--store", storeURL, "--apply", "--yes", "--log", filepath.Join(dir, "run.jsonl"))
	if r.code != ExitUsage || !strings.Contains(r.err, "plan "+planPath+" rests on evidence of account 123456789012 from 2026-11-23T12:00:00Z, and store ") ||
		!strings.Contains(r.err, " holds a newer audit of it (2026-11-23T12:30:00Z): plan again from that audit") {
		t.Errorf("newer audit: exit %d: %s", r.code, r.err)
	}
}

// An organization in moto, a trail in the management account and in a
// member: --org plans both; AccessDenied on the member's metric filter
// (a fake) stops the member's remaining steps while the management
// account's are all applied, and its audit then passes.
func TestFixOrgOneAccountDenied_FakeDeniedFilterAndTrailDelivery(t *testing.T) {
	m := startMoto(t)
	cfg := seedTrail(t, m.Endpoint)
	ctx := context.Background()
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	created, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("prod"), Email: aws.String("prod@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	member := aws.ToString(created.CreateAccountStatus.AccountId)
	seedTrailIn(t, collect.AssumeRole(cfg, collect.RoleARN("aws", member, defaultRoleName), ""), member, "us-east-1")

	hooks := fixHooks{reach: func(account string, r fix.Reach) fix.Reach {
		if account != member {
			return r
		}
		return func(region string) fix.Clients {
			c := r(region)
			c.Logs = deniedFilter{c.Logs}
			return c
		}
	}}
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	r := runFixWith(t, d, hooks, "--org", "--only", "alarm", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", filepath.Join(t.TempDir(), "run.jsonl"))
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		f := strings.Fields(line)
		got = append(got, f[0]+" "+f[1])
	}
	mgmt := "alarm/" + motoAccountID + "/us-east-1/"
	mem := "alarm/" + member + "/us-east-1/"
	want := []string{
		"applied " + mgmt + "topic:rootwatch-root-activity", "applied " + mgmt + "metric-filter:ct/rootwatch-root-usage",
		"applied " + mgmt + "alarm:rootwatch-root-usage", "applied " + mgmt + "rule:rootwatch-root-activity",
		"applied " + mem + "topic:rootwatch-root-activity", "failed " + mem + "metric-filter:ct/rootwatch-root-usage",
		"skipped " + mem + "alarm:rootwatch-root-usage", "skipped " + mem + "rule:rootwatch-root-activity",
	}
	// Accounts in ID order (the member's ID is moto's choice); steps in
	// plan order within each.
	slices.SortStableFunc(got, func(a, b string) int { return strings.Compare(strings.Fields(a)[1][:18], strings.Fields(b)[1][:18]) })
	slices.SortStableFunc(want, func(a, b string) int { return strings.Compare(strings.Fields(a)[1][:18], strings.Fields(b)[1][:18]) })
	if !slices.Equal(got, want) {
		t.Errorf("results:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(r.err, "step failed") || !strings.Contains(r.err, "account="+member) {
		t.Errorf("stderr does not name the failed account: %s", r.err)
	}
	if st, _ := rootUsageFinding(t, m.Endpoint); st != "pass" {
		t.Errorf("management account after: %s", st)
	}
}

// seedTrailIn makes seedTrail's trail in an account of moto, its log
// group in logRegion.
func seedTrailIn(t *testing.T, cfg aws.Config, account, logRegion string) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	bucket := "trail-bucket-" + account
	must(s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))
	must(cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.Region = logRegion }).CreateLogGroup(ctx,
		&cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("ct")}))
	ct := cloudtrail.NewFromConfig(cfg)
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String(bucket), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:" + logRegion + ":" + account + ":log-group:ct:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + account + ":role/ct")}))
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	must(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}))
}

// A step that would touch a break-glass root's credentials is dropped,
// whether --keep-root names the account or the saved plan does (a later
// --keep-root adds to the plan's, never replaces it).
func TestFixKeepRootDropsRootCredentialSteps(t *testing.T) {
	m := startMoto(t)
	dir := t.TempDir()
	write := func(keep []string) string {
		t.Helper()
		p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: fixedNow, Evidence: map[string]time.Time{motoAccountID: fixedNow}, KeepRoot: keep,
			Steps: []fix.Step{
				{ID: "root-credentials/" + motoAccountID, Account: motoAccountID, Kind: "root-credentials", TouchesRootCredentials: true,
					Calls: []fix.Call{{Action: "iam:DeleteLoginProfile", Params: map[string]any{}}}},
				{ID: "alarm/" + motoAccountID + "/us-east-1/alarm:rootwatch-root-usage", Account: motoAccountID, Region: "us-east-1", Kind: "alarm",
					Calls: []fix.Call{{Action: "cloudwatch:DeleteAlarms", Params: map[string]any{"AlarmNames": []any{"x"}}}}},
			}}
		path := filepath.Join(dir, strings.Join(append([]string{"plan"}, keep...), "-")+".json")
		var b bytes.Buffer
		if err := p.Write(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, args := range [][]string{
		{"--plan", write([]string{motoAccountID})},
		{"--plan", write([]string{motoAccountID}), "--keep-root", "111111111111"},
		{"--plan", write(nil), "--keep-root", motoAccountID},
	} {
		r := run(t, append([]string{"fix", "--endpoint-url", m.Endpoint, "--format", "json"}, args...)...)
		if r.code != ExitFailing {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.err)
		}
		p, err := fix.ReadPlan(strings.NewReader(r.out), "stdout")
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 || p.Steps[0].Kind != "alarm" || !slices.Contains(p.KeepRoot, motoAccountID) {
			t.Errorf("%v: %+v", args, p)
		}
	}
}

// A log group in eu-west-1: the filter, alarm, topic and rule there, and a
// topic and rule in us-east-1 for console sign-ins and global calls; the
// audit passes, and a second run plans nothing.
func TestFixAlarmTwoRegions_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	cfg, err := collect.LoadConfig(context.Background(), collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	seedTrailIn(t, cfg, motoAccountID, "eu-west-1")
	if st, msg := rootUsageFinding(t, m.Endpoint); st != "fail" || msg != "log group ct has no metric filter for root use (the CIS pattern)" {
		t.Fatalf("before: %s %q", st, msg)
	}
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", filepath.Join(t.TempDir(), "run.jsonl"))
	want := "applied  alarm/123456789012/eu-west-1/topic:rootwatch-root-activity  account 123456789012\n" +
		"applied  alarm/123456789012/us-east-1/topic:rootwatch-root-activity  account 123456789012\n" +
		"applied  alarm/123456789012/eu-west-1/metric-filter:ct/rootwatch-root-usage  account 123456789012\n" +
		"applied  alarm/123456789012/eu-west-1/alarm:rootwatch-root-usage  account 123456789012\n" +
		"applied  alarm/123456789012/eu-west-1/rule:rootwatch-root-activity  account 123456789012\n" +
		"applied  alarm/123456789012/us-east-1/rule:rootwatch-root-activity  account 123456789012\n"
	if r.code != 0 || r.out != want {
		t.Fatalf("apply: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	if st, msg := rootUsageFinding(t, m.Endpoint); st != "pass" ||
		msg != "trail main → filter rootwatch-root-usage → alarm rootwatch-root-usage → arn:aws:sns:eu-west-1:123456789012:rootwatch-root-activity (1 confirmed subscription(s))" {
		t.Errorf("after: %s %q", st, msg)
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		out, err := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.Region = region }).ListTargetsByRule(context.Background(),
			&eventbridge.ListTargetsByRuleInput{Rule: aws.String("rootwatch-root-activity")})
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		if len(out.Targets) != 1 || aws.ToString(out.Targets[0].Arn) != "arn:aws:sns:"+region+":123456789012:rootwatch-root-activity" {
			t.Errorf("%s: targets %+v", region, out.Targets)
		}
	}
	d, _, _ = testDeps("")
	d.AWSClients = withTrailDelivered
	if r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com"); r.code != 0 || r.out != "Nothing to do.\n" {
		t.Errorf("again: exit %d, out %q: %s", r.code, r.out, r.err)
	}
}

// trailsDenied stands in for a role that may not read the trails.
type trailsDenied struct{ collect.CloudTrailAPI }

func (trailsDenied) DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	return nil, &smithy.OperationError{ServiceID: "CloudTrail", OperationName: "DescribeTrails",
		Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}}
}

// A check the audit could not judge is not "nothing to do": the account is
// listed as not planned, exit 3.
func TestFixAuditErrorIsNotNothing_FakeTrailsDenied(t *testing.T) {
	m := startMoto(t)
	d, _, _ := testDeps("")
	d.AWSClients = func(cfg aws.Config, _ string) *collect.Clients {
		c := collect.NewClients(cfg)
		c.CloudTrail = trailsDenied{c.CloudTrail}
		return c
	}
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com")
	want := "\nnot planned: account 123456789012 (alarm): root-usage-alarm could not be judged in account 123456789012 (the trails, metric filters or alarms could not be read (see errors)): nothing is planned until an audit reads it\n"
	if r.code != ExitPartial || !strings.HasSuffix(r.out, want) {
		t.Errorf("exit %d: %q\n%s", r.code, r.out, r.err)
	}
}

// A snapshot plans as the live audit does, as of its collection time; an
// account it could not read is listed as not planned.
func TestFixFromSnapshot_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	path := filepath.Join(t.TempDir(), "snap.json")
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	// Exit 3: moto has no contact information nor root row (collectors
	// the alarm does not need).
	if r := runWith(t, d, "snapshot", "--endpoint-url", m.Endpoint, "--output", path); r.code != ExitPartial {
		t.Fatalf("snapshot: %d %s", r.code, r.err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["errors"] = []any{map[string]any{"account": "222222222222", "source": "sts:AssumeRole", "message": "AccessDenied: not authorized"}}
	raw, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, _ = testDeps("")
	d.Now = func() time.Time { return fixedNow.Add(2 * time.Hour) }
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--snapshot", path, "--notify", "email:sec@example.com", "--format", "json")
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	p, err := fix.ReadPlan(strings.NewReader(r.out), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 4 || !p.Evidence[motoAccountID].Equal(fixedNow) || !p.CreatedAt.Equal(fixedNow.Add(2*time.Hour)) ||
		!slices.Equal(p.Errors, []fix.AccountError{{Account: "222222222222", Error: "not audited: sts:AssumeRole: AccessDenied: not authorized"}}) {
		t.Errorf("plan: %d steps, evidence %v, created %v, errors %+v", len(p.Steps), p.Evidence, p.CreatedAt, p.Errors)
	}
}

// deniedSubscribe stands in for a role that may not subscribe endpoints.
type deniedSubscribe struct{ fix.SNSAPI }

func (deniedSubscribe) Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error) {
	return nil, &smithy.OperationError{ServiceID: "SNS", OperationName: "Subscribe",
		Err: &smithy.GenericAPIError{Code: "AuthorizationError", Message: "not authorized to perform SNS:Subscribe"}}
}

// Nothing half-applied, through moto: the topic step's third call is
// refused (a fake), so the topic it created is deleted again.
func TestFixStepRolledBackInMoto_FakeDeniedSubscribeAndTrailDelivery(t *testing.T) {
	m := startMoto(t)
	cfg := seedTrail(t, m.Endpoint)
	hooks := fixHooks{reach: func(_ string, r fix.Reach) fix.Reach {
		return func(region string) fix.Clients {
			c := r(region)
			c.SNS = deniedSubscribe{c.SNS}
			return c
		}
	}}
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	logPath := filepath.Join(t.TempDir(), "run.jsonl")
	r := runFixWith(t, d, hooks, "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", logPath)
	if r.code != ExitPartial || !strings.HasPrefix(r.out, "failed   alarm/123456789012/us-east-1/topic:rootwatch-root-activity  account 123456789012  account 123456789012, step alarm/123456789012/us-east-1/topic:rootwatch-root-activity: sns:Subscribe: ") ||
		!strings.Contains(r.out, "AuthorizationError: not authorized to perform SNS:Subscribe (its calls were undone)\n") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	var lines []string
	for _, e := range readRunLog(t, logPath) {
		lines = append(lines, fmt.Sprintf("%s %s rollback=%v", e.Action, e.Result, e.Rollback))
	}
	want := []string{"sns:CreateTopic ok rollback=false", "sns:SetTopicAttributes ok rollback=false", "sns:Subscribe error rollback=false",
		"sns:DeleteTopic ok rollback=true", " skipped rollback=false", " skipped rollback=false", " skipped rollback=false"}
	if !slices.Equal(lines, want) {
		t.Errorf("run log:\n%s", strings.Join(lines, "\n"))
	}
	_, err := sns.NewFromConfig(cfg).GetTopicAttributes(context.Background(), &sns.GetTopicAttributesInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:rootwatch-root-activity")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotFound" {
		t.Errorf("the topic is still there after the rollback: %v", err)
	}
}

// A saved plan read from standard input, applied, with the results as
// JSON.
func TestFixPlanFromStdinResultsJSON(t *testing.T) {
	m := startMoto(t)
	p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: fixedNow, Evidence: map[string]time.Time{motoAccountID: fixedNow},
		Steps: []fix.Step{{ID: "alarm/" + motoAccountID + "/us-east-1/alarm:old", Account: motoAccountID, Region: "us-east-1", Kind: "alarm",
			Calls: []fix.Call{{Action: "cloudwatch:DeleteAlarms", Params: map[string]any{"AlarmNames": []any{"old"}}}}}}}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "run.jsonl")
	d, _, _ := testDeps(b.String())
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--plan", "-", "--apply", "--yes", "--format", "json", "--log", logPath)
	want := `{
  "results": [
    {
      "step": "alarm/123456789012/us-east-1/alarm:old",
      "account": "123456789012",
      "kind": "alarm",
      "status": "applied"
    }
  ]
}
`
	if r.code != 0 || r.out != want {
		t.Errorf("exit %d: %s\n%s", r.code, r.out, r.err)
	}
	if e := readRunLog(t, logPath); len(e) != 1 || e[0].Action != "cloudwatch:DeleteAlarms" || e[0].Result != "ok" || e[0].Region != "us-east-1" {
		t.Errorf("run log: %+v", e)
	}
}

// A report fix reads is refused, never a crash, whatever it holds; what
// it accepts names only 12-digit accounts, once each.
func FuzzReadFixReport(f *testing.F) {
	f.Add(`{"generated_at":"2026-11-23T12:00:00Z","accounts":[{"id":"123456789012"}],"findings":[{"id":"f","check":"root-usage-alarm","status":"fail","account":"123456789012","evidence":{"log_group_arn":"arn:aws:logs:us-east-1:123456789012:log-group:ct"}}]}`)
	f.Add(`{"generated_at":"2026-11-23T12:00:00Z","accounts":[],"findings":[{"check":"root-usage-alarm","account":"x","evidence":[1]}]}`)
	f.Add(`{"generated_at":"2026-11-23T12:00:00Z","accounts":[{"id":"123456789012"}],"findings":[{"check":"root-usage-alarm","account":"123456789012","evidence":"x"}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		targets, _, err := readFixReport("-", strings.NewReader(s), map[string]bool{fix.AlarmCheck: true})
		if err != nil {
			if code, _ := ExitCode(err); code != ExitUsage {
				t.Fatalf("exit %d for a bad report: %v", code, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, tg := range targets {
			if !fix.IsAccountID(tg.Account.ID) || seen[tg.Account.ID] {
				t.Fatalf("account %q accepted", tg.Account.ID)
			}
			seen[tg.Account.ID] = true
		}
	})
}
