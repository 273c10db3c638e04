package fix

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/model"
)

// fakeState answers the planner's reads from what it holds; it makes no
// writes (the embedded interfaces are nil).
type fakeState struct {
	LogsAPI
	CloudWatchAPI
	SNSAPI
	EventsAPI
	policy  string // "": no topic
	subs    []snstypes.Subscription
	filters []logstypes.MetricFilter
	alarms  []cwtypes.MetricAlarm
	rule    *eventbridge.DescribeRuleOutput
	targets []ebtypes.Target
	readErr error
}

func (f *fakeState) GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
	if f.readErr != nil {
		return nil, f.readErr
	}
	if f.policy == "" {
		return nil, &smithy.GenericAPIError{Code: "NotFound", Message: "Topic does not exist"}
	}
	return &sns.GetTopicAttributesOutput{Attributes: map[string]string{"Policy": f.policy}}, nil
}

func (f *fakeState) ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	return &sns.ListSubscriptionsByTopicOutput{Subscriptions: f.subs}, nil
}

func (f *fakeState) DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
	return &cloudwatchlogs.DescribeMetricFiltersOutput{MetricFilters: f.filters}, nil
}

func (f *fakeState) DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: f.alarms}, nil
}

func (f *fakeState) DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error) {
	if f.rule == nil {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Rule does not exist"}
	}
	return f.rule, nil
}

func (f *fakeState) ListTargetsByRule(context.Context, *eventbridge.ListTargetsByRuleInput, ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error) {
	return &eventbridge.ListTargetsByRuleOutput{Targets: f.targets}, nil
}

func (f *fakeState) reach(string) Clients { return Clients{Logs: f, CloudWatch: f, SNS: f, Events: f} }

// fakeRegions are an account's regions; a region not listed has nothing.
type fakeRegions map[string]*fakeState

func (f fakeRegions) reach(region string) Clients {
	st, ok := f[region]
	if !ok {
		st = &fakeState{}
	}
	return st.reach(region)
}

// inPlace is a region with rootwatch's topic (subscribed by sec@example.com)
// and rule as rootwatch wants them.
func inPlace(region string) *fakeState {
	topic := TopicARN("aws", region, acct)
	policy, _, _ := withEventsStatement(defaultTopicPolicy(topic, acct), topic)
	return &fakeState{policy: policy,
		subs:    []snstypes.Subscription{{Protocol: aws.String("email"), Endpoint: aws.String("sec@example.com"), SubscriptionArn: aws.String(topic + ":1")}},
		rule:    &eventbridge.DescribeRuleOutput{Name: aws.String(RuleName), State: ebtypes.RuleStateEnabled, EventPattern: aws.String(EventPattern)},
		targets: []ebtypes.Target{{Id: aws.String(RuleTargetID), Arn: aws.String(topic)}}}
}

const (
	acct       = "111111111111"
	topicARN   = "arn:aws:sns:eu-west-1:111111111111:rootwatch-root-activity"
	logGroupID = "arn:aws:logs:eu-west-1:111111111111:log-group:trail-logs"
)

func failingTarget(ra *model.RootUsageAlarm, msg string) Target {
	return Target{Account: &model.Account{ID: acct, RootUsageAlarm: ra},
		Findings: []model.Finding{{ID: "f1", Check: AlarmCheck, Status: model.StatusFail, Account: acct, Message: msg}}}
}

func planAlarm(t *testing.T, tg Target, st *fakeState, notify ...Endpoint) []Step {
	t.Helper()
	return planRegions(t, tg, fakeRegions{"eu-west-1": st, "us-east-1": inPlace("us-east-1")}, notify...)
}

func planRegions(t *testing.T, tg Target, regions fakeRegions, notify ...Endpoint) []Step {
	t.Helper()
	steps, err := (&Alarm{}).Plan(context.Background(), tg, regions.reach, Options{Notify: notify})
	if err != nil {
		t.Fatal(err)
	}
	return steps
}

func calls(steps []Step) []string {
	var out []string
	for _, s := range steps {
		for _, c := range s.Calls {
			out = append(out, s.ID+" "+c.Action)
		}
	}
	return out
}

// The CIS pattern rootwatch writes is one the audit accepts.
func TestFilterPatternIsCIS(t *testing.T) {
	if !collect.IsRootUsagePattern(FilterPattern) {
		t.Fatalf("the audit does not accept %s", FilterPattern)
	}
}

// Nothing in place: the four steps in order, with the undo of each call.
func TestAlarmPlanFromNothing_Fake(t *testing.T) {
	tg := failingTarget(&model.RootUsageAlarm{Trail: "main", LogGroup: "trail-logs", LogGroupARN: logGroupID, Missing: "log group trail-logs has no metric filter for root use (the CIS pattern)"},
		"log group trail-logs has no metric filter for root use (the CIS pattern)")
	steps := planRegions(t, tg, fakeRegions{}, Endpoint{"email", "sec@example.com"}, Endpoint{"https", "https://hooks.example.com/root"})
	want := []string{
		"alarm/111111111111/eu-west-1/topic:rootwatch-root-activity sns:CreateTopic",
		"alarm/111111111111/eu-west-1/topic:rootwatch-root-activity sns:SetTopicAttributes",
		"alarm/111111111111/eu-west-1/topic:rootwatch-root-activity sns:Subscribe",
		"alarm/111111111111/eu-west-1/topic:rootwatch-root-activity sns:Subscribe",
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:CreateTopic",
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:SetTopicAttributes",
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:Subscribe",
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:Subscribe",
		"alarm/111111111111/eu-west-1/metric-filter:trail-logs/rootwatch-root-usage logs:PutMetricFilter",
		"alarm/111111111111/eu-west-1/alarm:rootwatch-root-usage cloudwatch:PutMetricAlarm",
		"alarm/111111111111/eu-west-1/rule:rootwatch-root-activity events:PutRule",
		"alarm/111111111111/eu-west-1/rule:rootwatch-root-activity events:PutTargets",
		"alarm/111111111111/us-east-1/rule:rootwatch-root-activity events:PutRule",
		"alarm/111111111111/us-east-1/rule:rootwatch-root-activity events:PutTargets",
	}
	if got := calls(steps); !slices.Equal(got, want) {
		t.Fatalf("calls:\n%s", strings.Join(got, "\n"))
	}
	if s := steps[0]; s.Finding != (FindingRef{Check: "root-usage-alarm", ID: "f1"}) || s.Target != topicARN || s.Region != "eu-west-1" ||
		s.Why != "root-usage-alarm fails: log group trail-logs has no metric filter for root use (the CIS pattern); the SNS topic rootwatch-root-activity in eu-west-1 notifies email:sec@example.com, https://hooks.example.com/root (2) (an email subscription notifies once its recipient confirms it) and lets EventBridge publish to it" {
		t.Errorf("topic step: %+v", s)
	}
	if s := steps[5]; s.Region != "us-east-1" || !strings.Contains(s.Calls[1].String(), `"Arn":"arn:aws:sns:us-east-1:111111111111:rootwatch-root-activity"`) ||
		s.Why != "root-usage-alarm fails: log group trail-logs has no metric filter for root use (the CIS pattern); the EventBridge rule sends every root sign-in and root API call recorded in us-east-1 to the topic rootwatch-root-activity there as it happens" {
		t.Errorf("us-east-1 rule step: %+v", s)
	}
	pol := steps[0].Calls[1].Params["AttributeValue"].(string)
	wantPol := `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"arn:aws:sns:eu-west-1:111111111111:rootwatch-root-activity","Condition":{"StringEquals":{"AWS:SourceOwner":"111111111111"}}},` +
		`{"Sid":"RootwatchEventBridgePublish","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:eu-west-1:111111111111:rootwatch-root-activity"}]}`
	if pol != wantPol {
		t.Errorf("policy:\n%s\nwant\n%s", pol, wantPol)
	}
	if u := steps[0].Calls[1].Undo; u != nil {
		t.Errorf("a new topic's policy needs no undo (DeleteTopic): %+v", u)
	}
	if u := steps[2].Calls[0].Undo; len(u) != 1 || u[0].String() != `logs:DeleteMetricFilter {"FilterName":"rootwatch-root-usage","LogGroupName":"trail-logs"}` {
		t.Errorf("filter undo: %+v", u)
	}
	if u := steps[4].Calls[1].Undo; len(u) != 1 || u[0].String() != `events:RemoveTargets {"Ids":["rootwatch-root-activity-topic"],"Rule":"rootwatch-root-activity"}` {
		t.Errorf("target undo: %+v", u)
	}
}

// What is in place is not planned again; what differs is put back by its
// undo as it was.
func TestAlarmPlanPartlyInPlace_Fake(t *testing.T) {
	oldPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Mine","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"` + topicARN + `"}]}`
	st := &fakeState{
		policy: oldPolicy,
		// A pending email subscription counts: subscribing again would only
		// send another confirmation.
		subs: []snstypes.Subscription{{Protocol: aws.String("email"), Endpoint: aws.String("sec@example.com"), SubscriptionArn: aws.String("PendingConfirmation")}},
		// A filter of rootwatch's name with another value.
		filters: []logstypes.MetricFilter{{FilterName: aws.String(FilterName), FilterPattern: aws.String(FilterPattern),
			MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String(MetricName), MetricNamespace: aws.String(Namespace), MetricValue: aws.String("2")}}}},
		alarms: []cwtypes.MetricAlarm{{AlarmName: aws.String(AlarmName), MetricName: aws.String(MetricName), Namespace: aws.String(Namespace),
			Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, TreatMissingData: aws.String("notBreaching"),
			ActionsEnabled: aws.Bool(true), AlarmActions: []string{topicARN}}},
		rule: &eventbridge.DescribeRuleOutput{Name: aws.String(RuleName), State: ebtypes.RuleStateEnabled,
			EventPattern: aws.String(`{"detail": {"userIdentity": {"type": ["Root"]}}, "detail-type": ["AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"]}`)},
		targets: []ebtypes.Target{{Id: aws.String(RuleTargetID), Arn: aws.String(topicARN)}},
	}
	tg := failingTarget(&model.RootUsageAlarm{Trail: "main", LogGroupARN: logGroupID + ":*"}, "metric filter rootwatch-root-usage publishes \"2\"")
	steps := planAlarm(t, tg, st, Endpoint{"email", "sec@example.com"})
	want := []string{
		"alarm/111111111111/eu-west-1/topic:rootwatch-root-activity sns:SetTopicAttributes",
		"alarm/111111111111/eu-west-1/metric-filter:trail-logs/rootwatch-root-usage logs:PutMetricFilter",
	}
	if got := calls(steps); !slices.Equal(got, want) {
		t.Fatalf("calls:\n%s", strings.Join(got, "\n"))
	}
	if u := steps[0].Calls[0].Undo; len(u) != 1 || u[0].Params["AttributeValue"] != oldPolicy {
		t.Errorf("policy undo: %+v", u)
	}
	if got := steps[0].Calls[0].Params["AttributeValue"].(string); !strings.HasPrefix(got, `{"Version":"2012-10-17","Statement":[{"Sid":"Mine",`) {
		t.Errorf("the policy's own statements are kept: %s", got)
	}
	if u := steps[1].Calls[0].Undo; len(u) != 1 || u[0].String() != `logs:PutMetricFilter {"FilterName":"rootwatch-root-usage","FilterPattern":"`+
		strings.ReplaceAll(FilterPattern, `"`, `\"`)+`","LogGroupName":"trail-logs","MetricTransformations":[{"MetricName":"RootAccountUsageCount","MetricNamespace":"CISBenchmark","MetricValue":"2"}]}` {
		t.Errorf("filter undo: %+v", u)
	}

	// With the policy and the filter as rootwatch wants them: nothing.
	st.policy = steps[0].Calls[0].Params["AttributeValue"].(string)
	st.filters[0].MetricTransformations[0].MetricValue = aws.String("1")
	if steps := planAlarm(t, tg, st, Endpoint{"email", "sec@example.com"}); len(steps) != 0 {
		t.Errorf("planned again: %v", calls(steps))
	}
	// An alarm with its actions off is put back on.
	st.alarms[0].ActionsEnabled = aws.Bool(false)
	if got := calls(planAlarm(t, tg, st)); !slices.Equal(got, []string{"alarm/111111111111/eu-west-1/alarm:rootwatch-root-usage cloudwatch:PutMetricAlarm"}) {
		t.Errorf("actions off: %v", got)
	}
	// With no --notify, a new us-east-1 topic gets the subscriptions of
	// the log group region's topic.
	st.alarms[0].ActionsEnabled = aws.Bool(true)
	steps = planRegions(t, tg, fakeRegions{"eu-west-1": st})
	if got := calls(steps); !slices.Equal(got, []string{
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:CreateTopic",
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:SetTopicAttributes",
		"alarm/111111111111/us-east-1/topic:rootwatch-root-activity sns:Subscribe",
		"alarm/111111111111/us-east-1/rule:rootwatch-root-activity events:PutRule",
		"alarm/111111111111/us-east-1/rule:rootwatch-root-activity events:PutTargets",
	}) || steps[0].Calls[2].Params["Endpoint"] != "sec@example.com" {
		t.Errorf("us-east-1 from eu-west-1's subscriptions: %v", got)
	}
}

// A chain broken before the log group, or a topic with nobody to notify:
// blocked steps saying what to do; a passing check, a log group in another
// account, or a check not run: nothing.
func TestAlarmPlanBlockedOrNothing_Fake(t *testing.T) {
	steps := planAlarm(t, failingTarget(&model.RootUsageAlarm{Trail: "main", Missing: "trail main is not logging"}, "trail main is not logging"), &fakeState{})
	if len(steps) != 1 || steps[0].ID != "alarm/111111111111/trail" || steps[0].Why != "root-usage-alarm fails: trail main is not logging" ||
		!strings.HasPrefix(steps[0].Blocked, "the chain breaks before a log group: rootwatch fix does not create trails") || len(steps[0].Calls) != 0 {
		t.Errorf("no log group: %+v", steps)
	}
	steps = planAlarm(t, failingTarget(&model.RootUsageAlarm{LogGroupARN: logGroupID}, "no alarm"), &fakeState{})
	if len(steps) != 1 || steps[0].Blocked != "nobody to notify: the topic has no subscription; give --notify email:ADDRESS or https:URL" {
		t.Errorf("no --notify: %+v", steps)
	}
	pass := failingTarget(&model.RootUsageAlarm{Complete: true, LogGroupARN: logGroupID}, "")
	pass.Findings[0].Status = model.StatusPass
	if s := planAlarm(t, pass, &fakeState{}); len(s) != 0 {
		t.Errorf("passing: %+v", s)
	}
	if s := planAlarm(t, failingTarget(&model.RootUsageAlarm{LogGroupARN: "arn:aws:logs:eu-west-1:222222222222:log-group:org"}, "x"), &fakeState{}); len(s) != 0 {
		t.Errorf("another account's log group: %+v", s)
	}
	if s := planAlarm(t, Target{Account: &model.Account{ID: acct}}, &fakeState{}); len(s) != 0 {
		t.Errorf("no finding: %+v", s)
	}
	_, err := (&Alarm{}).Plan(context.Background(), failingTarget(&model.RootUsageAlarm{LogGroupARN: logGroupID}, "x"),
		(&fakeState{readErr: &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}}).reach, Options{})
	if err == nil || err.Error() != "read the root-usage detection of account 111111111111 in eu-west-1: sns:GetTopicAttributes "+topicARN+": api error AccessDenied: no" {
		t.Errorf("read error: %v", err)
	}
}

func TestParseNotify(t *testing.T) {
	got, err := ParseNotify([]string{"https://hooks.example.com/a", "email:sec@example.com", " email:sec@example.com", "https:hooks.example.com/b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Endpoint{{"email", "sec@example.com"}, {"https", "https://hooks.example.com/a"}, {"https", "https://hooks.example.com/b"}}
	if !slices.Equal(got, want) {
		t.Errorf("%v", got)
	}
	for in, msg := range map[string]string{
		"sec@example.com":       `--notify "sec@example.com": want email:ADDRESS or https:URL`,
		"email:":                `--notify "email:": want email:ADDRESS or https:URL`,
		"email:not-an-address":  `--notify "email:not-an-address": "not-an-address" is not an email address`,
		"sms:+15555550100":      `--notify "sms:+15555550100": protocol "sms": want email or https`,
		"http://example.com/x":  `--notify "http://example.com/x": protocol "http": want email or https`,
		"email:a@b.c, d@e.f":    `--notify "email:a@b.c, d@e.f": "a@b.c, d@e.f" is not an email address`,
		"https:https://a b.com": `--notify "https:https://a b.com": not an https URL`,
	} {
		_, err := ParseNotify([]string{in})
		if err == nil || !strings.HasPrefix(err.Error(), msg) {
			t.Errorf("%q: %v, want %s", in, err, msg)
		}
	}
}

func FuzzParseNotify(f *testing.F) {
	for _, s := range []string{"email:a@b.c", "https://x", "https:x", "", ":", "email:@", "email:a@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		eps, err := ParseNotify([]string{s})
		if err != nil {
			return
		}
		for _, e := range eps {
			if e.Protocol != "email" && e.Protocol != "https" || e.Protocol == "https" && !strings.HasPrefix(e.Endpoint, "https://") {
				t.Errorf("%q gave %v", s, e)
			}
		}
	})
}
