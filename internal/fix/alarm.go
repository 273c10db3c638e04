package fix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/model"
)

// What the detection steps put in place; the names are rootwatch's so a
// second run finds them.
const (
	AlarmCheck = "root-usage-alarm"
	// FilterName is the metric filter on the trail's log group.
	FilterName = "rootwatch-root-usage"
	// FilterPattern is CIS's root-usage pattern.
	FilterPattern = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`
	MetricName    = "RootAccountUsageCount"
	Namespace     = "CISBenchmark"
	AlarmName     = "rootwatch-root-usage"
	TopicName     = "rootwatch-root-activity"
	RuleName      = "rootwatch-root-activity"
	// RuleTargetID is the rule's target, the topic.
	RuleTargetID = "rootwatch-root-activity-topic"
	// EventPattern matches every root sign-in and root API call CloudTrail
	// hands to EventBridge in the rule's region.
	EventPattern = `{"detail-type":["AWS Console Sign In via CloudTrail","AWS API Call via CloudTrail"],"detail":{"userIdentity":{"type":["Root"]}}}`
	// policySid is the topic policy statement letting EventBridge publish.
	policySid = "RootwatchEventBridgePublish"
)

// Alarm puts the CIS root-usage detection in place where root-usage-alarm
// fails: on the log group of the account's trail, the CIS metric filter and
// an alarm on its metric, notifying an SNS topic with the --notify
// subscriptions; and an EventBridge rule sending every root sign-in and
// root API call to a topic as it happens, in that region and in the
// partition's global region (us-east-1), each with a topic of its own
// region (EventBridge targets SNS topics of the rule's region only). It never
// creates trails or their delivery to CloudWatch Logs: a chain broken
// before the log group is a Blocked step saying what to do.
type Alarm struct{}

func (*Alarm) Name() string     { return "alarm" }
func (*Alarm) Checks() []string { return []string{AlarmCheck} }

// alarmState is what is in place of the detection, read live.
type alarmState struct {
	topicExists bool
	policy      string
	subs        []Endpoint
	filter      *logstypes.MetricFilter
	alarm       *cwtypes.MetricAlarm
	rule        *eventbridge.DescribeRuleOutput
	target      *ebtypes.Target
}

// Plan plans the detection's steps for a failing root-usage-alarm.
func (k *Alarm) Plan(ctx context.Context, t Target, reach Reach, o Options) ([]Step, error) {
	f, ok := t.Finding(AlarmCheck)
	if ok && f.Status == model.StatusError {
		return nil, fmt.Errorf("root-usage-alarm could not be judged in account %s (%s): nothing is planned until an audit reads it", t.Account.ID, f.Message)
	}
	if !ok || !failing(f) {
		return nil, nil
	}
	acct := t.Account.ID
	ref := FindingRef{Check: AlarmCheck, ID: f.ID}
	ra := t.Account.RootUsageAlarm
	if ra == nil || ra.LogGroupARN == "" {
		why := f.Message
		if ra != nil && ra.Missing != "" {
			why = ra.Missing
		}
		return []Step{{ID: "alarm/" + acct + "/trail", Account: acct, Kind: k.Name(), Target: "trail", Finding: ref,
			Why: "root-usage-alarm fails: " + why,
			Blocked: "the chain breaks before a log group: rootwatch fix does not create trails or their delivery to CloudWatch Logs; " +
				"give the account a multi-region trail that is logging, records read and write management events and delivers to CloudWatch Logs, then plan again"}}, nil
	}
	partition, region, owner, group, ok := splitLogGroupARN(ra.LogGroupARN)
	if !ok {
		return nil, fmt.Errorf("plan the root-usage alarm of account %s: unreadable log group ARN %q", acct, ra.LogGroupARN)
	}
	if owner != acct {
		return nil, nil // judged, and fixed, in the log group's account
	}
	// The rule's regions: the log group's, and the partition's global
	// region, where console sign-ins and the calls of IAM, Organizations
	// and the other global services are recorded.
	regions := []string{region}
	if g := globalRegion(partition); g != "" && g != region {
		regions = append(regions, g)
	}
	states := map[string]*alarmState{}
	for i, r := range regions {
		st, err := readAlarmState(ctx, reach(r), partition, r, acct, group, i == 0)
		if err != nil {
			return nil, fmt.Errorf("read the root-usage detection of account %s in %s: %w", acct, r, err)
		}
		states[r] = st
	}
	st := states[region]
	topic := TopicARN(partition, region, acct)
	why := "root-usage-alarm fails: " + f.Message
	id := func(r, target string) string { return "alarm/" + acct + "/" + r + "/" + target }
	// Every topic notifies --notify and whom the log group region's topic
	// already notifies.
	notify := slices.Clone(o.Notify)
	for _, e := range st.subs {
		if !slices.Contains(notify, e) {
			notify = append(notify, e)
		}
	}
	if len(notify) == 0 {
		return []Step{{ID: id(region, "topic:"+TopicName), Account: acct, Region: region, Kind: k.Name(), Target: topic, Finding: ref, Why: why,
			Blocked: "nobody to notify: the topic has no subscription; give --notify email:ADDRESS or https:URL"}}, nil
	}
	var steps []Step

	// The topics first: the alarm and the rules notify them.
	for _, r := range regions {
		s, err := topicStep(acct, partition, r, states[r], notify)
		if err != nil {
			return nil, err
		}
		if s != nil {
			s.ID, s.Kind, s.Finding = id(r, "topic:"+TopicName), k.Name(), ref
			s.Why = why + "; " + s.Why
			steps = append(steps, *s)
		}
	}

	// The metric filter.
	want := map[string]any{"LogGroupName": group, "FilterName": FilterName, "FilterPattern": FilterPattern,
		"MetricTransformations": []any{map[string]any{"MetricName": MetricName, "MetricNamespace": Namespace, "MetricValue": "1"}}}
	if !filterMatches(st.filter) {
		c := Call{Action: "logs:PutMetricFilter", Params: want,
			Undo: []Call{{Action: "logs:DeleteMetricFilter", Params: map[string]any{"LogGroupName": group, "FilterName": FilterName}}}}
		if st.filter != nil {
			c.Undo = []Call{{Action: "logs:PutMetricFilter", Params: filterParams(group, *st.filter)}}
		}
		steps = append(steps, Step{ID: id(region, "metric-filter:"+group+"/"+FilterName), Account: acct, Region: region, Kind: k.Name(),
			Target: ra.LogGroupARN, Finding: ref, Why: why + "; the CIS metric filter on log group " + group + " (trail " + ra.Trail + ") counts each root use as 1 in " + Namespace + "/" + MetricName,
			Calls: []Call{c}})
	}

	// The alarm.
	if !alarmMatches(st.alarm, topic) {
		c := Call{Action: "cloudwatch:PutMetricAlarm", Params: alarmParams(topic),
			Undo: []Call{{Action: "cloudwatch:DeleteAlarms", Params: map[string]any{"AlarmNames": []any{AlarmName}}}}}
		if st.alarm != nil {
			c.Undo = []Call{{Action: "cloudwatch:PutMetricAlarm", Params: alarmParamsOf(*st.alarm)}}
		}
		steps = append(steps, Step{ID: id(region, "alarm:"+AlarmName), Account: acct, Region: region, Kind: k.Name(), Target: AlarmName, Finding: ref,
			Why: why + "; the alarm fires on one root use in 5 minutes and notifies " + TopicName, Calls: []Call{c}})
	}

	// The EventBridge rules and their targets.
	for _, r := range regions {
		if calls := ruleCalls(states[r], TopicARN(partition, r, acct)); len(calls) > 0 {
			steps = append(steps, Step{ID: id(r, "rule:"+RuleName), Account: acct, Region: r, Kind: k.Name(), Target: RuleName, Finding: ref,
				Why:   why + "; the EventBridge rule sends every root sign-in and root API call recorded in " + r + " to the topic " + TopicName + " there as it happens",
				Calls: calls})
		}
	}
	return steps, nil
}

// globalRegion is where a partition's global services and console
// sign-ins are recorded; "" when not known.
func globalRegion(partition string) string {
	switch partition {
	case "aws":
		return "us-east-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	case "aws-cn":
		return "cn-north-1"
	}
	return ""
}

// topicStep is the calls that give a region the root-activity topic with
// its policy and subscriptions; nil when it has them.
func topicStep(acct, partition, region string, st *alarmState, notify []Endpoint) (*Step, error) {
	topic := TopicARN(partition, region, acct)
	var calls []Call
	policy := st.policy
	if !st.topicExists {
		calls = append(calls, Call{Action: "sns:CreateTopic", Params: map[string]any{"Name": TopicName},
			Undo: []Call{{Action: "sns:DeleteTopic", Params: map[string]any{"TopicArn": topic}}}})
		policy = defaultTopicPolicy(topic, acct)
	}
	newPolicy, changed, err := withEventsStatement(policy, topic)
	if err != nil {
		return nil, fmt.Errorf("topic %s of account %s: %w", topic, acct, err)
	}
	if changed {
		c := Call{Action: "sns:SetTopicAttributes", Params: map[string]any{"TopicArn": topic, "AttributeName": "Policy", "AttributeValue": newPolicy}}
		if st.topicExists {
			c.Undo = []Call{{Action: "sns:SetTopicAttributes", Params: map[string]any{"TopicArn": topic, "AttributeName": "Policy", "AttributeValue": st.policy}}}
		}
		calls = append(calls, c)
	}
	for _, e := range notify {
		if slices.Contains(st.subs, e) {
			continue
		}
		calls = append(calls, Call{Action: "sns:Subscribe",
			Params: map[string]any{"TopicArn": topic, "Protocol": e.Protocol, "Endpoint": e.Endpoint, "ReturnSubscriptionArn": true},
			Undo:   []Call{{Action: "sns:Unsubscribe", Params: map[string]any{"SubscriptionArn": "${SubscriptionArn}"}}}})
	}
	if len(calls) == 0 {
		return nil, nil
	}
	return &Step{Account: acct, Region: region, Target: topic, Calls: calls,
		Why: "the SNS topic " + TopicName + " in " + region + " notifies " + endpointsWords(notify) +
			" (an email subscription notifies once its recipient confirms it) and lets EventBridge publish to it"}, nil
}

// ruleCalls are the calls that put the EventBridge rule and its target,
// the region's topic, in place; none when they are.
func ruleCalls(st *alarmState, topic string) []Call {
	var calls []Call
	if !ruleMatches(st.rule) {
		c := Call{Action: "events:PutRule", Params: map[string]any{"Name": RuleName, "EventPattern": EventPattern, "State": "ENABLED",
			"Description": "rootwatch: every root sign-in and root API call, to SNS topic " + TopicName}}
		if st.rule == nil {
			c.Undo = []Call{{Action: "events:DeleteRule", Params: map[string]any{"Name": RuleName}}}
		} else {
			c.Undo = []Call{{Action: "events:PutRule", Params: map[string]any{"Name": RuleName, "EventPattern": aws.ToString(st.rule.EventPattern),
				"State": string(st.rule.State), "Description": aws.ToString(st.rule.Description)}}}
		}
		calls = append(calls, c)
	}
	if st.target == nil || aws.ToString(st.target.Arn) != topic {
		c := Call{Action: "events:PutTargets", Params: map[string]any{"Rule": RuleName, "Targets": []any{map[string]any{"Id": RuleTargetID, "Arn": topic}}},
			Undo: []Call{{Action: "events:RemoveTargets", Params: map[string]any{"Rule": RuleName, "Ids": []any{RuleTargetID}}}}}
		if st.target != nil {
			c.Undo = []Call{{Action: "events:PutTargets", Params: map[string]any{"Rule": RuleName, "Targets": []any{map[string]any{"Id": RuleTargetID, "Arn": aws.ToString(st.target.Arn)}}}}}
		}
		calls = append(calls, c)
	}
	return calls
}

// TopicARN is the root-activity topic's ARN.
func TopicARN(partition, region, account string) string {
	return "arn:" + partition + ":sns:" + region + ":" + account + ":" + TopicName
}

// splitLogGroupARN splits arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME[:*].
func splitLogGroupARN(arn string) (partition, region, account, group string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[3] == "" || parts[6] == "" {
		return "", "", "", "", false
	}
	return parts[1], parts[3], parts[4], strings.TrimSuffix(parts[6], ":*"), true
}

// notFound says whether err is an API's "does not exist".
func notFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NotFoundException", "ResourceNotFoundException":
			return true
		}
	}
	return false
}

// readAlarmState reads the region's topic and rule and, in the log
// group's region (logGroup), the metric filter and the alarm.
func readAlarmState(ctx context.Context, cl Clients, partition, region, account, group string, logGroup bool) (*alarmState, error) {
	st := &alarmState{}
	topic := TopicARN(partition, region, account)
	attrs, err := cl.SNS.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	switch {
	case err == nil:
		st.topicExists, st.policy = true, attrs.Attributes["Policy"]
	case notFound(err):
	default:
		return nil, fmt.Errorf("sns:GetTopicAttributes %s: %w", topic, err)
	}
	if st.topicExists {
		p := sns.NewListSubscriptionsByTopicPaginator(cl.SNS, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("sns:ListSubscriptionsByTopic %s: %w", topic, err)
			}
			for _, s := range page.Subscriptions {
				// Pending subscriptions count: subscribing again only sends
				// the recipient another confirmation.
				st.subs = append(st.subs, Endpoint{Protocol: aws.ToString(s.Protocol), Endpoint: aws.ToString(s.Endpoint)})
			}
		}
	}
	if logGroup {
		if err := readFilterAndAlarm(ctx, cl, group, st); err != nil {
			return nil, err
		}
	}
	rule, err := cl.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(RuleName)})
	switch {
	case err == nil:
		st.rule = rule
	case notFound(err):
	default:
		return nil, fmt.Errorf("events:DescribeRule %s: %w", RuleName, err)
	}
	if st.rule != nil {
		var next *string
		for {
			out, err := cl.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(RuleName), NextToken: next})
			if err != nil {
				return nil, fmt.Errorf("events:ListTargetsByRule %s: %w", RuleName, err)
			}
			for _, t := range out.Targets {
				if aws.ToString(t.Id) == RuleTargetID {
					st.target = &t
				}
			}
			if next = out.NextToken; next == nil || *next == "" {
				break
			}
		}
	}
	return st, nil
}

// readFilterAndAlarm reads rootwatch's metric filter on the log group and
// its alarm.
func readFilterAndAlarm(ctx context.Context, cl Clients, group string, st *alarmState) error {
	fp := cloudwatchlogs.NewDescribeMetricFiltersPaginator(cl.Logs, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group), FilterNamePrefix: aws.String(FilterName)})
	for p := fp; p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("logs:DescribeMetricFilters %s: %w", group, err)
		}
		for _, f := range page.MetricFilters {
			if aws.ToString(f.FilterName) == FilterName {
				st.filter = &f
			}
		}
	}
	al, err := cl.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{AlarmName}})
	if err != nil {
		return fmt.Errorf("cloudwatch:DescribeAlarms %s: %w", AlarmName, err)
	}
	for _, a := range al.MetricAlarms {
		if aws.ToString(a.AlarmName) == AlarmName {
			st.alarm = &a
		}
	}
	return nil
}

func filterMatches(f *logstypes.MetricFilter) bool {
	if f == nil || aws.ToString(f.FilterPattern) != FilterPattern || len(f.MetricTransformations) != 1 {
		return false
	}
	m := f.MetricTransformations[0]
	return aws.ToString(m.MetricName) == MetricName && aws.ToString(m.MetricNamespace) == Namespace &&
		aws.ToString(m.MetricValue) == "1" && m.DefaultValue == nil
}

// filterParams are PutMetricFilter's parameters that put f back.
func filterParams(group string, f logstypes.MetricFilter) map[string]any {
	var mts []any
	for _, m := range f.MetricTransformations {
		mt := map[string]any{"MetricName": aws.ToString(m.MetricName), "MetricNamespace": aws.ToString(m.MetricNamespace), "MetricValue": aws.ToString(m.MetricValue)}
		if m.DefaultValue != nil {
			mt["DefaultValue"] = *m.DefaultValue
		}
		mts = append(mts, mt)
	}
	return map[string]any{"LogGroupName": group, "FilterName": aws.ToString(f.FilterName), "FilterPattern": aws.ToString(f.FilterPattern), "MetricTransformations": mts}
}

// alarmParams are the alarm rootwatch wants: Sum of the metric ≥ 1 in one
// 5-minute period, missing data not breaching, actions on, notifying the
// topic: what root-usage-alarm accepts as firing on one root use.
func alarmParams(topic string) map[string]any {
	return map[string]any{"AlarmName": AlarmName, "AlarmDescription": "rootwatch: the root user was used (CIS root-usage metric filter)",
		"MetricName": MetricName, "Namespace": Namespace, "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
		"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
		"ActionsEnabled": true, "AlarmActions": []any{topic}}
}

// alarmParamsOf are PutMetricAlarm's parameters of an existing alarm, in
// the fields rootwatch sets.
func alarmParamsOf(a cwtypes.MetricAlarm) map[string]any {
	p := map[string]any{"AlarmName": aws.ToString(a.AlarmName), "AlarmDescription": aws.ToString(a.AlarmDescription),
		"MetricName": aws.ToString(a.MetricName), "Namespace": aws.ToString(a.Namespace), "Statistic": string(a.Statistic),
		"Period": int(aws.ToInt32(a.Period)), "EvaluationPeriods": int(aws.ToInt32(a.EvaluationPeriods)), "DatapointsToAlarm": int(aws.ToInt32(a.DatapointsToAlarm)),
		"Threshold": aws.ToFloat64(a.Threshold), "ComparisonOperator": string(a.ComparisonOperator), "TreatMissingData": aws.ToString(a.TreatMissingData),
		"ActionsEnabled": aws.ToBool(a.ActionsEnabled)}
	actions := []any{}
	for _, x := range a.AlarmActions {
		actions = append(actions, x)
	}
	p["AlarmActions"] = actions
	if a.DatapointsToAlarm == nil {
		delete(p, "DatapointsToAlarm")
	}
	return p
}

// alarmMatches says whether an existing alarm is the one rootwatch wants
// in every field that decides whether and whom it notifies.
func alarmMatches(a *cwtypes.MetricAlarm, topic string) bool {
	return a != nil && aws.ToString(a.MetricName) == MetricName && aws.ToString(a.Namespace) == Namespace &&
		a.Statistic == cwtypes.StatisticSum && aws.ToInt32(a.Period) == 300 && aws.ToInt32(a.EvaluationPeriods) == 1 &&
		aws.ToInt32(a.DatapointsToAlarm) <= 1 && aws.ToFloat64(a.Threshold) == 1 && a.ThresholdMetricId == nil &&
		a.ComparisonOperator == cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold &&
		aws.ToString(a.TreatMissingData) == "notBreaching" && aws.ToBool(a.ActionsEnabled) && slices.Contains(a.AlarmActions, topic)
}

func ruleMatches(r *eventbridge.DescribeRuleOutput) bool {
	if r == nil || r.State != ebtypes.RuleStateEnabled || aws.ToString(r.EventBusName) != "" && aws.ToString(r.EventBusName) != "default" {
		return false
	}
	var got, want any
	if json.Unmarshal([]byte(aws.ToString(r.EventPattern)), &got) != nil || json.Unmarshal([]byte(EventPattern), &want) != nil {
		return false
	}
	return reflect.DeepEqual(got, want)
}

// policyDoc is an SNS topic policy.
type policyDoc struct {
	Version   string            `json:"Version,omitempty"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// defaultTopicPolicy is the policy SNS gives a new topic.
func defaultTopicPolicy(topic, account string) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + topic + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}}]}`
}

// eventsStatement lets EventBridge publish to the topic.
func eventsStatement(topic string) string {
	return `{"Sid":"` + policySid + `","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topic + `"}`
}

// withEventsStatement returns the topic policy with rootwatch's
// EventBridge statement (replacing one of the same Sid that differs), and
// whether that changed it.
func withEventsStatement(policy, topic string) (string, bool, error) {
	var doc policyDoc
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return "", false, fmt.Errorf("its policy is not JSON: %w", err)
	}
	want := eventsStatement(topic)
	var wantV any
	_ = json.Unmarshal([]byte(want), &wantV)
	kept := doc.Statement[:0:0]
	for _, s := range doc.Statement {
		var st struct{ Sid string }
		_ = json.Unmarshal(s, &st)
		if st.Sid != policySid {
			kept = append(kept, s)
			continue
		}
		var got any
		if json.Unmarshal(s, &got) == nil && reflect.DeepEqual(got, wantV) {
			return policy, false, nil
		}
	}
	doc.Statement = append(kept, json.RawMessage(want))
	return string(canonical(doc)), true, nil
}

// Endpoint is an SNS subscription: protocol and endpoint.
type Endpoint struct {
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
}

// String is the endpoint as --notify takes it: email:ADDRESS, or the
// https URL.
func (e Endpoint) String() string {
	if e.Protocol == "https" {
		return e.Endpoint
	}
	return e.Protocol + ":" + e.Endpoint
}

// ParseNotify reads --notify's endpoints: email:ADDRESS or https:URL
// (https://...), comma-separated by the flag.
func ParseNotify(list []string) ([]Endpoint, error) {
	var out []Endpoint
	for _, s := range list {
		s = strings.TrimSpace(s)
		proto, rest, ok := strings.Cut(s, ":")
		switch {
		case !ok || rest == "":
			return nil, fmt.Errorf("--notify %q: want email:ADDRESS or https:URL", s)
		case proto == "email":
			if !validEmail(rest) {
				return nil, fmt.Errorf("--notify %q: %q is not an email address", s, rest)
			}
			out = append(out, Endpoint{Protocol: "email", Endpoint: rest})
		case proto == "https":
			url := rest
			if !strings.HasPrefix(url, "https://") {
				url = "https://" + strings.TrimPrefix(url, "//")
			}
			if len(url) <= len("https://") || strings.ContainsAny(url, " \t") {
				return nil, fmt.Errorf("--notify %q: not an https URL", s)
			}
			out = append(out, Endpoint{Protocol: "https", Endpoint: url})
		default:
			return nil, fmt.Errorf("--notify %q: protocol %q: want email or https", s, proto)
		}
	}
	slices.SortFunc(out, func(a, b Endpoint) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out), nil
}

func endpointsWords(eps []Endpoint) string {
	var words []string
	for _, e := range eps {
		words = append(words, e.String())
	}
	return strings.Join(words, ", ") + " (" + strconv.Itoa(len(words)) + ")"
}
