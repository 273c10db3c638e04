package fix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// LogsAPI is the part of the CloudWatch Logs client fix uses.
type LogsAPI interface {
	DescribeMetricFilters(context.Context, *cloudwatchlogs.DescribeMetricFiltersInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error)
	PutMetricFilter(context.Context, *cloudwatchlogs.PutMetricFilterInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutMetricFilterOutput, error)
	DeleteMetricFilter(context.Context, *cloudwatchlogs.DeleteMetricFilterInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteMetricFilterOutput, error)
}

// CloudWatchAPI is the part of the CloudWatch client fix uses.
type CloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	PutMetricAlarm(context.Context, *cloudwatch.PutMetricAlarmInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DeleteAlarms(context.Context, *cloudwatch.DeleteAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
}

// SNSAPI is the part of the SNS client fix uses.
type SNSAPI interface {
	GetTopicAttributes(context.Context, *sns.GetTopicAttributesInput, ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error)
	ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	CreateTopic(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	DeleteTopic(context.Context, *sns.DeleteTopicInput, ...func(*sns.Options)) (*sns.DeleteTopicOutput, error)
	SetTopicAttributes(context.Context, *sns.SetTopicAttributesInput, ...func(*sns.Options)) (*sns.SetTopicAttributesOutput, error)
	Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	Unsubscribe(context.Context, *sns.UnsubscribeInput, ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
}

// EventsAPI is the part of the EventBridge client fix uses.
type EventsAPI interface {
	DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(context.Context, *eventbridge.ListTargetsByRuleInput, ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	PutRule(context.Context, *eventbridge.PutRuleInput, ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	DeleteRule(context.Context, *eventbridge.DeleteRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error)
	PutTargets(context.Context, *eventbridge.PutTargetsInput, ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
	RemoveTargets(context.Context, *eventbridge.RemoveTargetsInput, ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error)
}

// Clients are an account's clients in one region.
type Clients struct {
	Logs       LogsAPI
	CloudWatch CloudWatchAPI
	SNS        SNSAPI
	Events     EventsAPI
	// Root access: Organizations' trusted access for IAM, IAM's
	// centralized root access features, sts:AssumeRoot sessions, and IAM
	// as a member's root in the session a step opens (set by the applier).
	OrgAccess   OrgServiceAccessAPI
	IAMOrg      IAMOrgFeaturesAPI
	RootSession RootSessionFunc
	RootIAM     RootIAMAPI
	// SCP guardrails: the organization's policies (scp kind).
	Policies PoliciesAPI
	// Account hygiene: the account's own alternate contacts (contacts
	// kind) and its budgets (budget kind).
	Account AccountContactsAPI
	Budgets BudgetsAPI
}

// NewReach builds the real SDK clients of an account from its
// configuration, region by region.
func NewReach(cfg aws.Config) Reach {
	return func(region string) Clients {
		rc := cfg.Copy()
		rc.Region = region
		return Clients{Logs: cloudwatchlogs.NewFromConfig(rc), CloudWatch: cloudwatch.NewFromConfig(rc),
			SNS: sns.NewFromConfig(rc), Events: eventbridge.NewFromConfig(rc),
			OrgAccess: organizations.NewFromConfig(rc), IAMOrg: iam.NewFromConfig(rc), RootSession: newRootSession(rc),
			Policies: organizations.NewFromConfig(rc),
			Account:  account.NewFromConfig(rc), Budgets: budgets.NewFromConfig(rc)}
	}
}

// Actions are the mutating actions Execute makes: what `fix --apply`
// needs beyond the audit's reads.
func Actions() []string {
	return append([]string{"cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm",
		"events:DeleteRule", "events:PutRule", "events:PutTargets", "events:RemoveTargets",
		"logs:DeleteMetricFilter", "logs:PutMetricFilter",
		"sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe"},
		slices.Concat(RootAccessActions(), SCPActions(), ContactsActions(), BudgetActions())...)
}

// ReadActions are the reads the planners make on top of the audit's.
func ReadActions() []string {
	return append([]string{"cloudwatch:DescribeAlarms", "events:DescribeRule", "events:ListTargetsByRule",
		"logs:DescribeMetricFilters", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic"},
		slices.Concat(RootAccessReadActions(), SCPReadActions(), ContactsReadActions(), BudgetReadActions())...)
}

// decode turns a call's parameters into the SDK input: parameters are
// named as the API (and the SDK's fields) name them; one the input does
// not have is an error, not silently dropped.
func decode(action string, params map[string]any, in any) error {
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("%s: encode parameters: %w", action, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return fmt.Errorf("%s: parameters: %w", action, err)
	}
	return nil
}

// call decodes the parameters into In and makes the call.
func call[In, Out any, Opt any](ctx context.Context, c Call, fn func(context.Context, *In, ...Opt) (*Out, error)) (*Out, error) {
	var in In
	if err := decode(c.Action, c.Params, &in); err != nil {
		return nil, err
	}
	return fn(ctx, &in)
}

// Execute makes one call with an account's clients in the call's region,
// and returns what later calls and undo need of its answer. Each kind's
// services have their own executor: add a case for a new service.
func Execute(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
	svc, _, _ := strings.Cut(c.Action, ":")
	if isRootAccessAction(c.Action) {
		return executeRootAccess(ctx, cl, c)
	}
	switch svc {
	case "sns", "logs", "cloudwatch", "events":
		return executeAlarm(ctx, cl, c)
	case "account":
		return executeContacts(ctx, cl, c)
	case "budgets":
		return executeBudget(ctx, cl, c)
	case "organizations":
		return executeSCP(ctx, cl, c)
	}
	return nil, fmt.Errorf("%s: not an action rootwatch fix makes", c.Action)
}

// executeAlarm makes the alarm kind's calls.
func executeAlarm(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
	svc, _, _ := strings.Cut(c.Action, ":")
	if missing := map[string]bool{"sns": cl.SNS == nil, "logs": cl.Logs == nil, "cloudwatch": cl.CloudWatch == nil, "events": cl.Events == nil}[svc]; missing {
		return nil, fmt.Errorf("%s: no %s client", c.Action, svc)
	}
	switch c.Action {
	case "sns:CreateTopic":
		out, err := call(ctx, c, cl.SNS.CreateTopic)
		if err != nil {
			return nil, err
		}
		return map[string]string{"TopicArn": aws.ToString(out.TopicArn)}, nil
	case "sns:DeleteTopic":
		_, err := call(ctx, c, cl.SNS.DeleteTopic)
		return nil, err
	case "sns:SetTopicAttributes":
		_, err := call(ctx, c, cl.SNS.SetTopicAttributes)
		return nil, err
	case "sns:Subscribe":
		out, err := call(ctx, c, cl.SNS.Subscribe)
		if err != nil {
			return nil, err
		}
		return map[string]string{"SubscriptionArn": aws.ToString(out.SubscriptionArn)}, nil
	case "sns:Unsubscribe":
		_, err := call(ctx, c, cl.SNS.Unsubscribe)
		return nil, err
	case "logs:PutMetricFilter":
		_, err := call(ctx, c, cl.Logs.PutMetricFilter)
		return nil, err
	case "logs:DeleteMetricFilter":
		_, err := call(ctx, c, cl.Logs.DeleteMetricFilter)
		return nil, err
	case "cloudwatch:PutMetricAlarm":
		_, err := call(ctx, c, cl.CloudWatch.PutMetricAlarm)
		return nil, err
	case "cloudwatch:DeleteAlarms":
		_, err := call(ctx, c, cl.CloudWatch.DeleteAlarms)
		return nil, err
	case "events:PutRule":
		out, err := call(ctx, c, cl.Events.PutRule)
		if err != nil {
			return nil, err
		}
		return map[string]string{"RuleArn": aws.ToString(out.RuleArn)}, nil
	case "events:DeleteRule":
		_, err := call(ctx, c, cl.Events.DeleteRule)
		return nil, err
	case "events:PutTargets":
		out, err := call(ctx, c, cl.Events.PutTargets)
		if err != nil {
			return nil, err
		}
		if out.FailedEntryCount > 0 {
			var why []string
			for _, e := range out.FailedEntries {
				why = append(why, aws.ToString(e.TargetId)+": "+aws.ToString(e.ErrorCode)+" "+aws.ToString(e.ErrorMessage))
			}
			return nil, fmt.Errorf("%s: %d target(s) not put: %s", c.Action, out.FailedEntryCount, strings.Join(why, "; "))
		}
		return nil, nil
	case "events:RemoveTargets":
		out, err := call(ctx, c, cl.Events.RemoveTargets)
		if err != nil {
			return nil, err
		}
		if out.FailedEntryCount > 0 {
			return nil, fmt.Errorf("%s: %d target(s) not removed", c.Action, out.FailedEntryCount)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%s: not an action rootwatch fix makes", c.Action)
}
