package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/fix"
)

// LogGroupParameter is the member templates' parameter naming the log
// group the metric filter watches: what differs between accounts besides
// the account and region, which the templates take from AWS::AccountId
// and AWS::Region.
const LogGroupParameter = "LogGroupName"

// NotExpressibleFile lists, as JSON, every call no file makes and every
// blocked step.
const NotExpressibleFile = "not-expressible.json"

// cfnStack is what one account makes in one region.
type cfnStack struct {
	account, region string
	resources       map[string]any
	taken           map[string]bool
	// topics are the topics the stack creates, by ARN: their ARN in any
	// property becomes a Ref.
	topics map[string]string
	// rules are the rules the stack makes, by name.
	rules map[string]string
	// policies are the SCPs created, by the step that creates them: its
	// later AttachPolicy "${PolicyId}" adds a target.
	policies map[string]string
	// params are the stack's parameter values.
	params map[string]string
	steps  []string
}

func (s *cfnStack) add(prefix, name, typ string, props map[string]any) string {
	id := prefix
	for _, w := range words(name) {
		id += strings.ToUpper(w[:1]) + w[1:]
	}
	if len(id) > 200 {
		id = id[:200]
	}
	id = unique(s.taken, id)
	s.resources[id] = map[string]any{"Type": typ, "Properties": props}
	return id
}

func (s *cfnStack) props(id string) map[string]any {
	return s.resources[id].(map[string]any)["Properties"].(map[string]any)
}

// CloudFormation writes the plan as CloudFormation templates (JSON): one
// for what the plan makes in the management account, and one,
// StackSet-ready, for what it makes in the member accounts, with a
// parameter for what differs between them (the log group's name; the
// account and region come from AWS::AccountId and AWS::Region). Accounts
// or regions whose changes differ otherwise get templates of their own
// (members-1, members-2...). Each template's Metadata.rootwatch lists its
// stack instances and the calls of those accounts no resource makes.
func CloudFormation(p *fix.Plan, o Options) (*Output, error) {
	partition := o.Partition
	if partition == "" {
		partition = "aws"
	}
	cs, skipped, err := calls(p, partition)
	if err != nil {
		return nil, err
	}
	var stacks []*cfnStack
	stackOf := func(account, region string) *cfnStack {
		for _, s := range stacks {
			if s.account == account && s.region == region {
				return s
			}
		}
		s := &cfnStack{account: account, region: region, resources: map[string]any{}, taken: map[string]bool{},
			topics: map[string]string{}, rules: map[string]string{}, policies: map[string]string{}, params: map[string]string{}}
		stacks = append(stacks, s)
		return s
	}
	for _, c := range cs {
		st := stackOf(c.account, c.region)
		why, err := st.translate(c, partition)
		if err != nil {
			return nil, err
		}
		if why != "" {
			skipped = append(skipped, Skipped{Account: c.step.Account, Region: c.step.Region, Step: c.step.ID, Action: c.action, Why: why})
			continue
		}
		if !slices.Contains(st.steps, c.step.ID) {
			st.steps = append(st.steps, c.step.ID)
		}
	}

	skipped = inPlanOrder(p, skipped)
	out := &Output{Skipped: skipped}
	type group struct {
		name      string
		mgmt      bool
		body      map[string]any
		key       string
		stacks    []*cfnStack
		resources int
	}
	var groups []*group
	for _, st := range stacks {
		if len(st.resources) == 0 {
			continue
		}
		body := map[string]any{"Resources": generalize(st.resources, st, partition).(map[string]any)}
		if len(st.params) > 0 {
			params := map[string]any{}
			for name := range st.params {
				params[name] = map[string]any{"Type": "String", "Description": "the log group of the account's trail (in this region) that the metric filter watches"}
			}
			body["Parameters"] = params
		}
		key := string(jsonBytes(body, false))
		mgmt := o.Management != "" && st.account == o.Management
		i := slices.IndexFunc(groups, func(g *group) bool { return g.mgmt == mgmt && g.key == key })
		if i < 0 {
			groups = append(groups, &group{mgmt: mgmt, body: body, key: key, resources: len(st.resources)})
			i = len(groups) - 1
		}
		groups[i].stacks = append(groups[i].stacks, st)
	}
	// Names: management, members (account outside an organization), with
	// a number when one of them takes several templates.
	count := map[bool]int{}
	for _, g := range groups {
		count[g.mgmt]++
	}
	seen := map[bool]int{}
	for _, g := range groups {
		base := "members"
		switch {
		case g.mgmt:
			base = "management"
		case o.Management == "":
			base = "account"
		}
		seen[g.mgmt]++
		if count[g.mgmt] > 1 {
			base += "-" + strconv.Itoa(seen[g.mgmt])
		}
		g.name = base + ".template.json"
	}

	for _, g := range groups {
		var instances []StackInstance
		var steps []string
		var notExpr []string
		for _, st := range g.stacks {
			si := StackInstance{Template: g.name, Account: st.account, Region: st.region}
			if len(st.params) > 0 {
				si.Parameters = st.params
			}
			instances = append(instances, si)
			steps = append(steps, st.steps...)
			for _, sk := range skipped {
				if a, r := skippedWhere(p, sk, partition); a == st.account && r == st.region {
					notExpr = append(notExpr, sk.String())
				}
			}
		}
		out.Stacks = append(out.Stacks, instances...)
		out.Resources += g.resources * len(g.stacks)
		desc := "rootwatch fix: the plan's changes in the member accounts; StackSet-ready: deploy it to the stack instances (accounts, regions, parameters) listed in Metadata.rootwatch.StackInstances"
		switch {
		case g.mgmt:
			desc = "rootwatch fix: the plan's changes made in (or from) the organization's management account " + o.Management + "; deploy it there as a stack, in the region of Metadata.rootwatch.StackInstances"
		case o.Management == "":
			desc = "rootwatch fix: the plan's changes; deploy it as a stack in the accounts and regions listed in Metadata.rootwatch.StackInstances"
		}
		meta := map[string]any{"Plan": p.CreatedAt.UTC().Format(time.RFC3339), "StackInstances": instances, "Steps": steps}
		if len(notExpr) > 0 {
			meta["NotExpressible"] = notExpr
		}
		tmpl := map[string]any{"AWSTemplateFormatVersion": "2010-09-09", "Description": desc, "Metadata": map[string]any{"rootwatch": meta}}
		for k, v := range g.body {
			tmpl[k] = v
		}
		out.Files = append(out.Files, File{Name: g.name, Data: jsonBytes(tmpl, true)})
	}
	if len(skipped) > 0 {
		out.Files = append(out.Files, File{Name: NotExpressibleFile, Data: jsonBytes(map[string]any{"not_expressible": skipped}, true)})
	}
	return out, nil
}

// skippedWhere is where a skipped call's step makes its calls.
func skippedWhere(p *fix.Plan, sk Skipped, partition string) (string, string) {
	for _, s := range p.Steps {
		if s.ID == sk.Step {
			return where(s, partition)
		}
	}
	return sk.Account, sk.Region
}

// jsonBytes is v as JSON, map keys sorted, without HTML escaping.
func jsonBytes(v any, indent bool) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		// Only JSON's own values are encoded: unreachable.
		return []byte(strconv.Quote(err.Error()))
	}
	return b.Bytes()
}

// cfnProps copies the parameters named into CloudFormation properties of
// the same name; a parameter of another name makes the call inexpressible.
func cfnProps(c call, names ...string) (map[string]any, string) {
	props := map[string]any{}
	for _, k := range sortedKeys(c.p) {
		if !slices.Contains(names, k) {
			return nil, "parameter " + k + " has no property in CloudFormation's resource for " + c.action
		}
		props[k] = c.p[k]
	}
	return props, ""
}

// translate adds the call's resource to the stack, or says why there is
// none.
func (s *cfnStack) translate(c call, partition string) (string, error) {
	switch c.action {
	case "logs:PutMetricFilter":
		if err := need(c, "LogGroupName", "FilterName", "FilterPattern"); err != nil {
			return "", err
		}
		props, why := cfnProps(c, "LogGroupName", "FilterName", "FilterPattern", "MetricTransformations")
		if why != "" {
			return why, nil
		}
		param := LogGroupParameter
		for i := 2; s.params[param] != "" && s.params[param] != str(c.p, "LogGroupName"); i++ {
			param = LogGroupParameter + strconv.Itoa(i)
		}
		s.params[param] = str(c.p, "LogGroupName")
		props["LogGroupName"] = map[string]any{"Ref": param}
		s.add("MetricFilter", str(c.p, "FilterName"), "AWS::Logs::MetricFilter", props)
	case "cloudwatch:PutMetricAlarm":
		if err := need(c, "AlarmName"); err != nil {
			return "", err
		}
		props, why := cfnProps(c, "AlarmName", "AlarmDescription", "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period",
			"EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "ActionsEnabled",
			"AlarmActions", "OKActions", "InsufficientDataActions", "Dimensions", "Unit", "Tags")
		if why != "" {
			return why, nil
		}
		s.add("Alarm", str(c.p, "AlarmName"), "AWS::CloudWatch::Alarm", props)
	case "sns:CreateTopic":
		if err := need(c, "Name"); err != nil {
			return "", err
		}
		if _, ok := c.p["Attributes"]; ok {
			return "topic attributes at creation are not translated: set them on the AWS::SNS::Topic by hand", nil
		}
		props := map[string]any{"TopicName": str(c.p, "Name")}
		if t, ok := c.p["Tags"]; ok {
			props["Tags"] = t
		}
		id := s.add("Topic", str(c.p, "Name"), "AWS::SNS::Topic", props)
		s.topics[topicARN(partition, s.region, s.account, str(c.p, "Name"))] = id
	case "sns:SetTopicAttributes":
		if err := need(c, "TopicArn", "AttributeName"); err != nil {
			return "", err
		}
		if str(c.p, "AttributeName") != "Policy" {
			return "only the topic attribute Policy is translated (AWS::SNS::TopicPolicy), not " + str(c.p, "AttributeName"), nil
		}
		doc, err := jsonParam(c, "AttributeValue")
		if err != nil {
			return "", err
		}
		arn := str(c.p, "TopicArn")
		s.add("TopicPolicy", arn[strings.LastIndex(arn, ":")+1:], "AWS::SNS::TopicPolicy", map[string]any{"PolicyDocument": doc, "Topics": []any{arn}})
	case "sns:Subscribe":
		if err := need(c, "TopicArn", "Protocol", "Endpoint"); err != nil {
			return "", err
		}
		if _, ok := c.p["Attributes"]; ok {
			return "subscription attributes are not translated", nil
		}
		arn := str(c.p, "TopicArn")
		s.add("Subscription", arn[strings.LastIndex(arn, ":")+1:], "AWS::SNS::Subscription",
			map[string]any{"TopicArn": arn, "Protocol": str(c.p, "Protocol"), "Endpoint": str(c.p, "Endpoint")})
	case "events:PutRule":
		if err := need(c, "Name"); err != nil {
			return "", err
		}
		props, why := cfnProps(c, "Name", "EventPattern", "ScheduleExpression", "State", "Description", "EventBusName", "RoleArn")
		if why != "" {
			return why, nil
		}
		if _, ok := c.p["EventPattern"]; ok {
			pattern, err := jsonParam(c, "EventPattern")
			if err != nil {
				return "", err
			}
			props["EventPattern"] = pattern
		}
		s.rules[str(c.p, "Name")] = s.add("Rule", str(c.p, "Name"), "AWS::Events::Rule", props)
	case "events:PutTargets":
		if err := need(c, "Rule"); err != nil {
			return "", err
		}
		id, ok := s.rules[str(c.p, "Rule")]
		if !ok {
			return "CloudFormation sets a rule's targets only on the AWS::Events::Rule, which this template does not make (the rule exists): add the target by hand or apply the step", nil
		}
		targets, _ := c.p["Targets"].([]any)
		if len(targets) == 0 {
			return "", fmt.Errorf("step %s: events:PutTargets without Targets", c.step.ID)
		}
		for _, t := range targets {
			m, ok := t.(map[string]any)
			if !ok {
				return "", fmt.Errorf("step %s: events:PutTargets: a target is not an object", c.step.ID)
			}
			for k := range m {
				if !slices.Contains([]string{"Id", "Arn", "RoleArn", "Input", "InputPath"}, k) {
					return "target field " + k + " is not translated", nil
				}
			}
		}
		props := s.props(id)
		old, _ := props["Targets"].([]any)
		props["Targets"] = append(old, targets...)
	case "organizations:CreatePolicy":
		if err := need(c, "Name", "Content", "Type"); err != nil {
			return "", err
		}
		props, why := cfnProps(c, "Name", "Description", "Content", "Type")
		if why != "" {
			return why, nil
		}
		content, err := jsonParam(c, "Content")
		if err != nil {
			return "", err
		}
		props["Content"] = content
		s.policies[c.step.ID] = s.add("Policy", str(c.p, "Name"), "AWS::Organizations::Policy", props)
	case "organizations:AttachPolicy":
		if err := need(c, "PolicyId", "TargetId"); err != nil {
			return "", err
		}
		id, ok := s.policies[c.step.ID]
		if str(c.p, "PolicyId") != "${PolicyId}" || !ok {
			return "CloudFormation attaches a policy only through the TargetIds of the AWS::Organizations::Policy it makes, and policy " +
				str(c.p, "PolicyId") + " exists already: attach it by hand or apply the step", nil
		}
		props := s.props(id)
		old, _ := props["TargetIds"].([]any)
		props["TargetIds"] = append(old, str(c.p, "TargetId"))
	case "budgets:CreateBudget":
		if a := str(c.p, "AccountId"); a != "" && a != s.account {
			return "an AWS::Budgets::Budget is the budget of the account its stack is in, not of account " + a, nil
		}
		budget, ok := c.p["Budget"].(map[string]any)
		if !ok {
			return "", fmt.Errorf("step %s: budgets:CreateBudget without Budget", c.step.ID)
		}
		for k := range c.p {
			if !slices.Contains([]string{"AccountId", "Budget", "NotificationsWithSubscribers"}, k) {
				return "parameter " + k + " is not translated", nil
			}
		}
		// CloudFormation's BudgetLimit.Amount is a number, the API's a
		// string.
		if lim, ok := budget["BudgetLimit"].(map[string]any); ok {
			if a, ok := lim["Amount"].(string); ok {
				if _, err := strconv.ParseFloat(a, 64); err != nil {
					return "", fmt.Errorf("step %s: budgets:CreateBudget: BudgetLimit.Amount %q is not a number", c.step.ID, a)
				}
				lim["Amount"] = json.Number(a)
			}
		}
		props := map[string]any{"Budget": budget}
		if n, ok := c.p["NotificationsWithSubscribers"]; ok {
			props["NotificationsWithSubscribers"] = n
		}
		s.add("Budget", str(budget, "BudgetName"), "AWS::Budgets::Budget", props)
	case "budgets:CreateNotification", "budgets:CreateSubscriber":
		return "budget " + str(c.p, "BudgetName") + " exists outside the template, and CloudFormation adds a notification or a subscriber only to the " +
			"AWS::Budgets::Budget it makes (aws budgets " + kebab(strings.TrimPrefix(c.action, "budgets:")) + ", or rootwatch fix --apply)", nil
	case "organizations:EnablePolicyType":
		return "CloudFormation has no resource for the policy types of an organization's root: enable " + str(c.p, "PolicyType") +
			" on " + str(c.p, "RootId") + " before deploying (aws organizations enable-policy-type, or rootwatch fix --apply)", nil
	case "organizations:EnableAWSServiceAccess":
		return "CloudFormation has no resource for an organization's trusted access: enable it for " + str(c.p, "ServicePrincipal") +
			" before (aws organizations enable-aws-service-access, or rootwatch fix --apply)", nil
	case "iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions":
		return "CloudFormation has no resource for IAM's centralized root access features (aws iam " +
			kebab(strings.TrimPrefix(c.action, "iam:")) + ", or rootwatch fix --apply)", nil
	case "account:PutAlternateContact":
		return "CloudFormation has no resource for an account's alternate contacts (aws account put-alternate-contact, or rootwatch fix --apply)", nil
	default:
		return "CloudFormation has no resource rootwatch translates " + c.action + " to: apply it with rootwatch fix --apply", nil
	}
	return "", nil
}

// kebab is an operation's name as the AWS CLI spells it.
func kebab(op string) string {
	var b strings.Builder
	for i, r := range op {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// generalize makes a stack's properties hold for any account and region:
// a topic the stack creates is a Ref to it; the account, the region (in
// ARNs) and the partition (in ARNs) come from the pseudo parameters,
// through Fn::Sub, in which a literal "${" is written "${!".
func generalize(v any, s *cfnStack, partition string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = generalize(x, s, partition)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = generalize(x, s, partition)
		}
		return out
	case string:
		if id, ok := s.topics[v]; ok {
			return map[string]any{"Ref": id}
		}
		if v == s.account {
			return map[string]any{"Ref": "AWS::AccountId"}
		}
		if !strings.Contains(v, s.account) && !strings.Contains(v, ":"+s.region+":") && !strings.Contains(v, "arn:"+partition+":") {
			return v
		}
		t := strings.ReplaceAll(v, "${", "${!")
		t = strings.ReplaceAll(t, "arn:"+partition+":", "arn:${AWS::Partition}:")
		t = strings.ReplaceAll(t, ":"+s.region+":", ":${AWS::Region}:")
		t = strings.ReplaceAll(t, s.account, "${AWS::AccountId}")
		return map[string]any{"Fn::Sub": t}
	}
	return v
}
