package emit

import (
	"time"

	"github.com/rootwatch/rootwatch/internal/fix"
)

const (
	mgmt   = "111111111111"
	member = "222222222222"
	other  = "333333333333"
)

// topicOf is the root-activity topic's ARN, written out.
func topicOf(account, region string) string {
	return "arn:aws:sns:" + region + ":" + account + ":rootwatch-root-activity"
}

// alarmSteps are the alarm kind's steps for an account whose trail
// delivers to log group group in us-east-1, as the kind plans them from
// nothing (written out, not taken from the planner).
func alarmSteps(account, group string) []fix.Step {
	topic := topicOf(account, "us-east-1")
	policy := `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:Publish","SNS:Subscribe"],"Resource":"` +
		topic + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + account + `"}}},{"Sid":"RootwatchEventBridgePublish","Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topic + `"}]}`
	id := func(t string) string { return "alarm/" + account + "/us-east-1/" + t }
	ref := fix.FindingRef{Check: "root-usage-alarm", ID: "f-" + account}
	return []fix.Step{
		{ID: id("topic:rootwatch-root-activity"), Account: account, Region: "us-east-1", Kind: "alarm", Target: topic, Finding: ref, Why: "the topic",
			Calls: []fix.Call{
				{Action: "sns:CreateTopic", Params: map[string]any{"Name": "rootwatch-root-activity"}},
				{Action: "sns:SetTopicAttributes", Params: map[string]any{"TopicArn": topic, "AttributeName": "Policy", "AttributeValue": policy}},
				{Action: "sns:Subscribe", Params: map[string]any{"TopicArn": topic, "Protocol": "email", "Endpoint": "sec@example.com", "ReturnSubscriptionArn": true}},
			}},
		{ID: id("metric-filter:" + group + "/rootwatch-root-usage"), Account: account, Region: "us-east-1", Kind: "alarm", Finding: ref, Why: "the filter",
			Calls: []fix.Call{{Action: "logs:PutMetricFilter", Params: map[string]any{"LogGroupName": group, "FilterName": "rootwatch-root-usage",
				"FilterPattern":         fix.FilterPattern,
				"MetricTransformations": []any{map[string]any{"MetricName": "RootAccountUsageCount", "MetricNamespace": "CISBenchmark", "MetricValue": "1"}}}}}},
		{ID: id("alarm:rootwatch-root-usage"), Account: account, Region: "us-east-1", Kind: "alarm", Finding: ref, Why: "the alarm",
			Calls: []fix.Call{{Action: "cloudwatch:PutMetricAlarm", Params: map[string]any{"AlarmName": "rootwatch-root-usage", "AlarmDescription": "rootwatch: the root user was used",
				"MetricName": "RootAccountUsageCount", "Namespace": "CISBenchmark", "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
				"Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
				"ActionsEnabled": true, "AlarmActions": []any{topic}}}}},
		{ID: id("rule:rootwatch-root-activity"), Account: account, Region: "us-east-1", Kind: "alarm", Finding: ref, Why: "the rule",
			Calls: []fix.Call{
				{Action: "events:PutRule", Params: map[string]any{"Name": "rootwatch-root-activity", "EventPattern": fix.EventPattern, "State": "ENABLED", "Description": "rootwatch: root activity"}},
				{Action: "events:PutTargets", Params: map[string]any{"Rule": "rootwatch-root-activity", "Targets": []any{map[string]any{"Id": "rootwatch-root-activity-topic", "Arn": topic}}}},
			}},
	}
}

// orgSteps are what the organization kinds plan from the management
// account: an SCP created and attached to a member (after its policy type
// is enabled), centralized root access turned on, a member's root
// credentials deleted in an AssumeRoot session, an alternate contact set
// for a member, a budget in the management account, and a blocked step.
func orgSteps() []fix.Step {
	return []fix.Step{
		{ID: "scp/" + mgmt + "/r-ab12", Account: mgmt, Region: "us-east-1", Kind: "scp", Finding: fix.FindingRef{Check: "root-scp-guardrail"}, Why: "no guardrail", Covers: []string{member},
			Calls: []fix.Call{
				{Action: "organizations:EnablePolicyType", Params: map[string]any{"RootId": "r-ab12", "PolicyType": "SERVICE_CONTROL_POLICY"}},
				{Action: "organizations:CreatePolicy", Params: map[string]any{"Name": "rootwatch-deny-root", "Description": "deny root", "Type": "SERVICE_CONTROL_POLICY",
					"Content": `{"Version":"2012-10-17","Statement":[{"Sid":"DenyRoot","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}`}},
				{Action: "organizations:AttachPolicy", Params: map[string]any{"PolicyId": "${PolicyId}", "TargetId": member}},
			}},
		{ID: "root-access/" + mgmt + "/organization", Account: mgmt, Region: "us-east-1", Kind: "root-access", Finding: fix.FindingRef{Check: "centralized-root-access"}, Why: "off",
			Calls: []fix.Call{
				{Action: "organizations:EnableAWSServiceAccess", Params: map[string]any{"ServicePrincipal": "iam.amazonaws.com"}},
				{Action: "iam:EnableOrganizationsRootCredentialsManagement", Params: map[string]any{}},
				{Action: "iam:EnableOrganizationsRootSessions", Params: map[string]any{}},
			}},
		{ID: "root-access/" + member + "/root-credentials", Account: member, Region: "us-east-1", Kind: "root-access", Via: mgmt, TouchesRootCredentials: true,
			Finding: fix.FindingRef{Check: "centralized-root-access"}, Why: "a password",
			RootSession: &fix.RootSession{TargetPrincipal: member, TaskPolicyArn: fix.DeleteRootTaskPolicy},
			Calls:       []fix.Call{{Action: "iam:DeleteLoginProfile", Params: map[string]any{}, Irreversible: true}}},
		{ID: "contacts/" + member + "/SECURITY", Account: member, Region: "us-east-1", Kind: "contacts", Via: mgmt, Finding: fix.FindingRef{Check: "security-contact"}, Why: "none",
			Calls: []fix.Call{{Action: "account:PutAlternateContact", Params: map[string]any{"AccountId": member, "AlternateContactType": "SECURITY",
				"EmailAddress": "sec@example.com", "Name": "Security", "PhoneNumber": "+1 555 0100", "Title": "CISO"}}}},
		{ID: "budget/" + mgmt + "/daily", Account: mgmt, Region: "us-east-1", Kind: "budget", Finding: fix.FindingRef{Check: "daily-budget-alert"}, Why: "none",
			Calls: []fix.Call{{Action: "budgets:CreateBudget", Params: map[string]any{"AccountId": mgmt,
				"Budget": map[string]any{"BudgetName": "rootwatch-daily", "BudgetType": "COST", "TimeUnit": "DAILY", "BudgetLimit": map[string]any{"Amount": "10", "Unit": "USD"}},
				"NotificationsWithSubscribers": []any{map[string]any{
					"Notification": map[string]any{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 100, "ThresholdType": "PERCENTAGE"},
					"Subscribers":  []any{map[string]any{"SubscriptionType": "EMAIL", "Address": "a@example.com"}, map[string]any{"SubscriptionType": "SNS", "Address": "arn:aws:sns:us-east-1:" + mgmt + ":budget"}},
				}}}}}},
		{ID: "alarm/" + other + "/trail", Account: other, Kind: "alarm", Finding: fix.FindingRef{Check: "root-usage-alarm"}, Why: "no trail", Blocked: "no trail: fix does not create trails"},
	}
}

// testPlan is a plan for two members with the alarm's steps (log groups
// ct and trail-logs) and the organization's steps.
func testPlan() *fix.Plan {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	steps := append(alarmSteps(member, "ct"), alarmSteps(other, "trail-logs")...)
	steps = append(steps, orgSteps()...)
	return &fix.Plan{Version: fix.PlanVersion, CreatedAt: at, Organization: "o-abc", Steps: steps,
		Evidence: map[string]time.Time{mgmt: at, member: at, other: at}}
}
