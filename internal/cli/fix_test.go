package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
)

const motoAccountID = "123456789012"

// trailDelivered stands in for what moto cannot show: its GetTrailStatus
// has no LatestCloudWatchLogsDeliveryTime, so the fake adds one an hour
// before the tests' audit time to moto's real answer.
type trailDelivered struct{ collect.CloudTrailAPI }

func (f trailDelivered) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	out, err := f.CloudTrailAPI.GetTrailStatus(ctx, in, o...)
	if err == nil {
		out.LatestCloudWatchLogsDeliveryTime = aws.Time(fixedNow.Add(-time.Hour))
	}
	return out, err
}

func withTrailDelivered(cfg aws.Config, _ string) *collect.Clients {
	c := collect.NewClients(cfg)
	c.CloudTrail = trailDelivered{c.CloudTrail}
	return c
}

// seedTrail makes, in moto, a multi-region trail "main" that is logging,
// records all management events and delivers to log group "ct": the CIS
// chain up to the log group, with no metric filter, alarm or topic.
func seedTrail(t *testing.T, endpoint string) aws.Config {
	t.Helper()
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}))
	must(cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("ct")}))
	ct := cloudtrail.NewFromConfig(cfg)
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccountID + ":log-group:ct:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccountID + ":role/ct")}))
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	must(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}))
	return cfg
}

// recorder keeps the AWS actions called.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) record(a string) { r.mu.Lock(); r.calls = append(r.calls, a); r.mu.Unlock() }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

// mutating says whether an action changes anything.
func mutating(action string) bool {
	_, op, _ := strings.Cut(action, ":")
	for _, p := range []string{"Put", "Create", "Delete", "Set", "Subscribe", "Unsubscribe", "Attach", "Detach", "Enable", "Disable",
		"Update", "Remove", "Add", "Start", "Stop", "Tag", "Untag", "Publish", "Generate"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// rootUsageFinding runs the audit's root-usage-alarm check and returns
// its status and message.
func rootUsageFinding(t *testing.T, endpoint string) (status, message string) {
	t.Helper()
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	r := runWith(t, d, "audit", "--endpoint-url", endpoint, "--checks", "root-usage-alarm", "--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("audit: exit %d: %s", r.code, r.err)
	}
	f := findings(jsonReport(t, r.out))[[2]string{motoAccountID, "root-usage-alarm"}]
	return f["status"].(string), f["message"].(string)
}

// Plan, apply, audit again, plan again, through the real SDK against moto.
// The trail's delivery to CloudWatch Logs comes from a fake (moto has
// none). moto confirms an email subscription at once; AWS leaves it
// pending until its recipient confirms, and until then the audit says
// "no confirmed subscription" (and fix plans nothing more: the
// subscription is there).
func TestFixAlarmEndToEnd_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	cfg := seedTrail(t, m.Endpoint)
	dir := t.TempDir()
	if st, msg := rootUsageFinding(t, m.Endpoint); st != "fail" || msg != "log group ct has no metric filter for root use (the CIS pattern)" {
		t.Fatalf("before: %s %q", st, msg)
	}

	// The dry run: every call with its parameters, and not one mutating
	// call made.
	rec := &recorder{}
	d, _, _ := testDeps("")
	d.AWSClients, d.AWSRecord = withTrailDelivered, rec.record
	planPath := filepath.Join(dir, "plan.json")
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--plan-out", planPath)
	if r.code != ExitFailing {
		t.Fatalf("dry run: exit %d, want 1: %s", r.code, r.err)
	}
	calls := rec.take()
	if i := slices.IndexFunc(calls, mutating); i >= 0 {
		t.Fatalf("the dry run made %s; calls %v", calls[i], calls)
	}
	for _, want := range []string{"sns:GetTopicAttributes", "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms", "events:DescribeRule"} {
		if !slices.Contains(calls, want) {
			t.Errorf("the dry run did not read %s: %v", want, calls)
		}
	}
	topic := "arn:aws:sns:us-east-1:123456789012:rootwatch-root-activity"
	for _, want := range []string{
		"Plan: 4 step(s) in 1 account(s) to apply. Nothing changes without --apply.",
		"1. alarm/123456789012/us-east-1/topic:rootwatch-root-activity  [alarm] account 123456789012 us-east-1",
		`   - sns:CreateTopic {"Name":"rootwatch-root-activity"}`,
		`   - sns:Subscribe {"Endpoint":"sec@example.com","Protocol":"email","ReturnSubscriptionArn":true,"TopicArn":"` + topic + `"}`,
		"2. alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage  [alarm] account 123456789012 us-east-1",
		`   - logs:PutMetricFilter {"FilterName":"rootwatch-root-usage","FilterPattern":"{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }","LogGroupName":"ct","MetricTransformations":[{"MetricName":"RootAccountUsageCount","MetricNamespace":"CISBenchmark","MetricValue":"1"}]}`,
		"3. alarm/123456789012/us-east-1/alarm:rootwatch-root-usage",
		`"ComparisonOperator":"GreaterThanOrEqualToThreshold","DatapointsToAlarm":1,"EvaluationPeriods":1,"MetricName":"RootAccountUsageCount","Namespace":"CISBenchmark","Period":300,"Statistic":"Sum","Threshold":1,"TreatMissingData":"notBreaching"}`,
		"4. alarm/123456789012/us-east-1/rule:rootwatch-root-activity",
		`   - events:PutTargets {"Rule":"rootwatch-root-activity","Targets":[{"Arn":"` + topic + `","Id":"rootwatch-root-activity-topic"}]}`,
		"   why: root-usage-alarm fails: log group ct has no metric filter for root use (the CIS pattern)",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.out)
		}
	}
	saved, err := os.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := fix.ReadPlan(strings.NewReader(string(saved)), planPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Steps) != 4 || !plan.Evidence[motoAccountID].Equal(fixedNow) || !plan.CreatedAt.Equal(fixedNow) {
		t.Errorf("saved plan: %d steps, evidence %v, created %v", len(plan.Steps), plan.Evidence, plan.CreatedAt)
	}

	// --apply without a terminal to confirm on needs --yes.
	d, _, _ = testDeps("")
	d.AWSClients, d.AWSRecord = withTrailDelivered, rec.record
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply")
	if r.code != ExitUsage || !strings.Contains(r.err, "--apply needs --yes when there is no terminal to confirm on") {
		t.Fatalf("--apply without --yes: exit %d: %s", r.code, r.err)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Fatalf("refused --apply made calls: %v", calls)
	}

	// Apply.
	logPath := filepath.Join(dir, "run.jsonl")
	d, _, _ = testDeps("")
	d.AWSClients = withTrailDelivered
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", logPath)
	if r.code != 0 {
		t.Fatalf("apply: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	for _, want := range []string{
		"applied  alarm/123456789012/us-east-1/topic:rootwatch-root-activity  account 123456789012\n",
		"applied  alarm/123456789012/us-east-1/rule:rootwatch-root-activity  account 123456789012\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r.out)
		}
	}
	entries := readRunLog(t, logPath)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+" "+e.Result)
	}
	wantActions := []string{"sns:CreateTopic ok", "sns:SetTopicAttributes ok", "sns:Subscribe ok", "logs:PutMetricFilter ok",
		"cloudwatch:PutMetricAlarm ok", "events:PutRule ok", "events:PutTargets ok"}
	if !slices.Equal(actions, wantActions) {
		t.Fatalf("run log actions %v, want %v", actions, wantActions)
	}
	sub := entries[2]
	if len(sub.Undo) != 1 || sub.Undo[0].Action != "sns:Unsubscribe" ||
		!strings.HasPrefix(sub.Undo[0].Params["SubscriptionArn"].(string), topic+":") || sub.Account != motoAccountID || !sub.Time.Equal(fixedNow) {
		t.Errorf("Subscribe's log line: %+v", sub)
	}
	if u := entries[0].Undo; len(u) != 1 || u[0].Action != "sns:DeleteTopic" || u[0].Params["TopicArn"] != topic {
		t.Errorf("CreateTopic's undo: %+v", u)
	}

	// What moto now holds: the rule, its pattern and target, the topic's
	// policy letting EventBridge publish.
	ctx := context.Background()
	ev := eventbridge.NewFromConfig(cfg)
	rule, err := ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("rootwatch-root-activity")})
	if err != nil {
		t.Fatal(err)
	}
	var pattern map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(rule.EventPattern)), &pattern); err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(pattern); string(got) != `{"detail":{"userIdentity":{"type":["Root"]}},"detail-type":["AWS Console Sign In via CloudTrail","AWS API Call via CloudTrail"]}` ||
		rule.State != "ENABLED" {
		t.Errorf("rule: %s %s", got, rule.State)
	}
	targets, err := ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("rootwatch-root-activity")})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != topic {
		t.Errorf("targets: %+v", targets.Targets)
	}
	attrs, err := sns.NewFromConfig(cfg).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	if err != nil {
		t.Fatal(err)
	}
	if p := attrs.Attributes["Policy"]; !strings.Contains(p, `{"Sid":"RootwatchEventBridgePublish","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"`+topic+`"}`) ||
		!strings.Contains(p, `"Sid":"__default_statement_ID"`) {
		t.Errorf("topic policy: %s", p)
	}

	// The audit now passes.
	if st, msg := rootUsageFinding(t, m.Endpoint); st != "pass" ||
		msg != "trail main → filter rootwatch-root-usage → alarm rootwatch-root-usage → "+topic+" (1 confirmed subscription(s))" {
		t.Errorf("after: %s %q", st, msg)
	}

	// Again: nothing to do, nothing changed.
	d, _, _ = testDeps("")
	d.AWSClients, d.AWSRecord = withTrailDelivered, rec.record
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", filepath.Join(dir, "again.jsonl"))
	if r.code != 0 || r.out != "Nothing to do.\n" {
		t.Errorf("again: exit %d, out %q: %s", r.code, r.out, r.err)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Errorf("the second run made calls: %v", calls)
	}
	if _, err := os.Stat(filepath.Join(dir, "again.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a run log was written with nothing applied: %v", err)
	}
}

// readRunLog reads a run log's lines.
func readRunLog(t *testing.T, path string) []fix.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fix.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e fix.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("run log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
