package emit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/rootwatch/rootwatch/internal/fix"
)

// TerraformFile is the configuration Terraform writes.
const TerraformFile = "main.tf"

// ProviderVersion is the AWS provider the configuration needs:
// aws_iam_organizations_features came in 5.80.
const ProviderVersion = ">= 5.80.0"

// terraformHeader opens the configuration: what it is and why it is laid
// out as it is.
const terraformHeader = `Written by rootwatch fix --emit terraform: the plan's changes as Terraform
configuration for the AWS provider. Nothing has been applied.

One configuration with one provider alias per account and region, rather
than a module per account: a reviewer reads every change, with the account
and region it is made in, top to bottom in one file and one terraform plan;
each provider reaches its account the way rootwatch fix does (assume_role
into the same role; allowed_account_ids stops a wrong profile), and a step
made from the management account on behalf of a member uses the
management account's provider. Resource names are NAME_ACCOUNT_REGION.

Calls no resource can make are listed at the end, as comments: apply them
with rootwatch fix --apply or by hand.`

// tfWriter builds the configuration.
type tfWriter struct {
	o         Options
	partition string
	body      *hclwrite.Body
	providers []string // aliases, in order of first use
	// provBlocks are the providers' blocks, filled as resources use them.
	provBody *hclwrite.Body
	labels   map[string]bool
	// topics are the topics created, by ARN: a reference to them.
	topics map[string]hcl.Traversal
	// rules are the rules made, by provider and name.
	rules map[string]hcl.Traversal
	// policies are the SCPs created, by step.
	policies map[string]hcl.Traversal
	// features are the providers whose aws_iam_organizations_features is
	// written.
	features  map[string]bool
	resources int
}

// Terraform writes the plan as one Terraform configuration (main.tf) for
// the AWS provider, generated with hclwrite.
func Terraform(p *fix.Plan, o Options) (*Output, error) {
	partition := o.Partition
	if partition == "" {
		partition = "aws"
	}
	if o.RoleName == "" {
		o.RoleName = "OrganizationAccountAccessRole"
	}
	cs, skipped, err := calls(p, partition)
	if err != nil {
		return nil, err
	}
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(comments(strings.Split(terraformHeader, "\n")...))
	body.AppendNewline()
	tf := body.AppendNewBlock("terraform", nil)
	rp := tf.Body().AppendNewBlock("required_providers", nil)
	rp.Body().SetAttributeValue("aws", cty.ObjectVal(map[string]cty.Value{"source": cty.StringVal("hashicorp/aws"), "version": cty.StringVal(ProviderVersion)}))
	provBody := hclwrite.NewEmptyFile().Body()
	resBody := hclwrite.NewEmptyFile().Body()
	w := &tfWriter{o: o, partition: partition, body: resBody, provBody: provBody, labels: map[string]bool{},
		topics: map[string]hcl.Traversal{}, rules: map[string]hcl.Traversal{}, policies: map[string]hcl.Traversal{}, features: map[string]bool{}}
	lastStep := ""
	for _, c := range cs {
		if c.step.ID != lastStep {
			resBody.AppendNewline()
			resBody.AppendUnstructuredTokens(comments("step "+c.step.ID+" ("+c.step.Kind+"), account "+c.step.Account, "why: "+c.step.Why))
			lastStep = c.step.ID
		}
		why, err := w.translate(c)
		if err != nil {
			return nil, err
		}
		if why != "" {
			skipped = append(skipped, Skipped{Account: c.step.Account, Region: c.step.Region, Step: c.step.ID, Action: c.action, Why: why})
			resBody.AppendUnstructuredTokens(comments("NOT EXPRESSIBLE: " + c.action + ": " + why))
		}
	}
	for _, b := range provBody.Blocks() {
		body.AppendNewline()
		body.AppendBlock(b)
	}
	body.AppendUnstructuredTokens(resBody.BuildTokens(nil))
	skipped = inPlanOrder(p, skipped)
	if len(skipped) > 0 {
		lines := []string{"NOT EXPRESSIBLE in Terraform, or blocked: apply with rootwatch fix --apply or by hand"}
		for _, s := range skipped {
			lines = append(lines, "- "+s.String())
		}
		body.AppendNewline()
		body.AppendUnstructuredTokens(comments(lines...))
	}
	out := &Output{Skipped: skipped, Resources: w.resources, Files: []File{{Name: TerraformFile, Data: hclwrite.Format(f.Bytes())}}}
	if len(skipped) > 0 {
		out.Files = append(out.Files, File{Name: NotExpressibleFile, Data: jsonBytes(map[string]any{"not_expressible": skipped}, true)})
	}
	return out, nil
}

// comments are "# " lines, each on one line whatever it holds.
func comments(lines ...string) hclwrite.Tokens {
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# " + oneLine(l) + "\n")
	}
	return hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(b.String())}}
}

// label is an identifier from its parts.
func label(parts ...string) string {
	var ws []string
	for _, p := range parts {
		for _, w := range words(p) {
			ws = append(ws, strings.ToLower(w))
		}
	}
	l := strings.Join(ws, "_")
	if l == "" || l[0] >= '0' && l[0] <= '9' {
		l = "r_" + l
	}
	if len(l) > 200 {
		l = l[:200]
	}
	return l
}

// provider is the alias of the provider of an account and region,
// declared at first use.
func (w *tfWriter) provider(account, region string) string {
	alias := label("a"+account, region)
	if slices.Contains(w.providers, alias) {
		return alias
	}
	w.providers = append(w.providers, alias)
	b := w.provBody.AppendNewBlock("provider", []string{"aws"}).Body()
	b.SetAttributeValue("alias", cty.StringVal(alias))
	b.SetAttributeValue("region", cty.StringVal(region))
	b.SetAttributeValue("allowed_account_ids", cty.ListVal([]cty.Value{cty.StringVal(account)}))
	if account != w.o.Current {
		ar := b.AppendNewBlock("assume_role", nil).Body()
		ar.SetAttributeValue("role_arn", cty.StringVal("arn:"+w.partition+":iam::"+account+":role/"+w.o.RoleName))
		if w.o.ExternalID != "" {
			ar.SetAttributeValue("external_id", cty.StringVal(w.o.ExternalID))
		}
	}
	return alias
}

// resource opens a resource block in the call's provider.
func (w *tfWriter) resource(c call, typ, name string) (*hclwrite.Body, string) {
	alias := w.provider(c.account, c.region)
	base := label(name, c.account, c.region)
	l := base
	for i := 2; w.labels[typ+"."+l]; i++ {
		l = fmt.Sprintf("%s_%d", base, i)
	}
	w.labels[typ+"."+l] = true
	b := w.body.AppendNewBlock("resource", []string{typ, l}).Body()
	b.SetAttributeTraversal("provider", hcl.Traversal{hcl.TraverseRoot{Name: "aws"}, hcl.TraverseAttr{Name: alias}})
	w.resources++
	return b, l
}

func ref(typ, l, attr string) hcl.Traversal {
	return hcl.Traversal{hcl.TraverseRoot{Name: typ}, hcl.TraverseAttr{Name: l}, hcl.TraverseAttr{Name: attr}}
}

// tokens is a value as HCL: a topic the configuration creates is a
// reference to it; strings are quoted, with "${" and "%{" escaped.
func (w *tfWriter) tokens(v any) (hclwrite.Tokens, error) {
	switch v := v.(type) {
	case nil:
		return hclwrite.TokensForValue(cty.NullVal(cty.DynamicPseudoType)), nil
	case string:
		if t, ok := w.topics[v]; ok {
			return hclwrite.TokensForTraversal(t), nil
		}
		return hclwrite.TokensForValue(cty.StringVal(v)), nil
	case bool:
		return hclwrite.TokensForValue(cty.BoolVal(v)), nil
	case json.Number:
		n, err := cty.ParseNumberVal(v.String())
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", v, err)
		}
		return hclwrite.TokensForValue(n), nil
	case []any:
		var elems []hclwrite.Tokens
		for _, x := range v {
			t, err := w.tokens(x)
			if err != nil {
				return nil, err
			}
			elems = append(elems, t)
		}
		return hclwrite.TokensForTuple(elems), nil
	case map[string]any:
		var attrs []hclwrite.ObjectAttrTokens
		for _, k := range sortedKeys(v) {
			t, err := w.tokens(v[k])
			if err != nil {
				return nil, err
			}
			attrs = append(attrs, hclwrite.ObjectAttrTokens{Name: hclwrite.TokensForValue(cty.StringVal(k)), Value: t})
		}
		return hclwrite.TokensForObject(attrs), nil
	}
	return nil, fmt.Errorf("value of type %T", v)
}

// set writes the parameters named in apiToTF as the attributes they map
// to; a parameter not named makes the call inexpressible.
func (w *tfWriter) attrs(c call, apiToTF map[string]string, skip ...string) (map[string]string, string) {
	out := map[string]string{}
	for _, k := range sortedKeys(c.p) {
		if slices.Contains(skip, k) {
			continue
		}
		a, ok := apiToTF[k]
		if !ok {
			return nil, "parameter " + k + " of " + c.action + " is not translated"
		}
		out[k] = a
	}
	return out, ""
}

func (w *tfWriter) setAll(b *hclwrite.Body, c call, m map[string]string) error {
	for _, k := range sortedKeys(m) {
		if err := w.set(b, m[k], c.p[k]); err != nil {
			return fmt.Errorf("step %s: %s %s: %w", c.step.ID, c.action, k, err)
		}
	}
	return nil
}

func (w *tfWriter) set(b *hclwrite.Body, name string, v any) error {
	t, err := w.tokens(v)
	if err != nil {
		return err
	}
	b.SetAttributeRaw(name, t)
	return nil
}

// jsonencode sets an attribute to jsonencode() of a JSON document
// parameter.
func (w *tfWriter) jsonencode(b *hclwrite.Body, c call, attr, param string) error {
	doc, err := jsonParam(c, param)
	if err != nil {
		return err
	}
	t, err := w.tokens(doc)
	if err != nil {
		return fmt.Errorf("step %s: %s %s: %w", c.step.ID, c.action, param, err)
	}
	b.SetAttributeRaw(attr, hclwrite.TokensForFunctionCall("jsonencode", t))
	return nil
}

// translate writes the call's resource, or says why there is none.
func (w *tfWriter) translate(c call) (string, error) {
	switch c.action {
	case "logs:PutMetricFilter":
		if err := need(c, "LogGroupName", "FilterName", "FilterPattern"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"LogGroupName": "log_group_name", "FilterName": "name", "FilterPattern": "pattern"}, "MetricTransformations")
		if why != "" {
			return why, nil
		}
		mts, _ := c.p["MetricTransformations"].([]any)
		tfmt := map[string]string{"MetricName": "name", "MetricNamespace": "namespace", "MetricValue": "value", "DefaultValue": "default_value", "Unit": "unit"}
		for _, x := range mts {
			mt, ok := x.(map[string]any)
			if !ok {
				return "", fmt.Errorf("step %s: %s: a metric transformation is not an object", c.step.ID, c.action)
			}
			for k := range mt {
				if _, ok := tfmt[k]; !ok {
					return "metric transformation field " + k + " is not translated", nil
				}
			}
		}
		b, _ := w.resource(c, "aws_cloudwatch_log_metric_filter", str(c.p, "FilterName"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
		for _, x := range mts {
			mt := x.(map[string]any)
			mb := b.AppendNewBlock("metric_transformation", nil).Body()
			for _, k := range sortedKeys(mt) {
				if err := w.set(mb, tfmt[k], mt[k]); err != nil {
					return "", fmt.Errorf("step %s: %s %s: %w", c.step.ID, c.action, k, err)
				}
			}
		}
	case "cloudwatch:PutMetricAlarm":
		if err := need(c, "AlarmName"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"AlarmName": "alarm_name", "AlarmDescription": "alarm_description", "MetricName": "metric_name",
			"Namespace": "namespace", "Statistic": "statistic", "ExtendedStatistic": "extended_statistic", "Period": "period",
			"EvaluationPeriods": "evaluation_periods", "DatapointsToAlarm": "datapoints_to_alarm", "Threshold": "threshold",
			"ComparisonOperator": "comparison_operator", "TreatMissingData": "treat_missing_data", "ActionsEnabled": "actions_enabled",
			"AlarmActions": "alarm_actions", "OKActions": "ok_actions", "InsufficientDataActions": "insufficient_data_actions", "Unit": "unit"})
		if why != "" {
			return why, nil
		}
		b, _ := w.resource(c, "aws_cloudwatch_metric_alarm", str(c.p, "AlarmName"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
	case "sns:CreateTopic":
		if err := need(c, "Name"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"Name": "name"})
		if why != "" {
			return why, nil
		}
		b, l := w.resource(c, "aws_sns_topic", str(c.p, "Name"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
		w.topics[topicARN(w.partition, c.region, c.account, str(c.p, "Name"))] = ref("aws_sns_topic", l, "arn")
	case "sns:SetTopicAttributes":
		if err := need(c, "TopicArn", "AttributeName"); err != nil {
			return "", err
		}
		if str(c.p, "AttributeName") != "Policy" {
			return "only the topic attribute Policy is translated (aws_sns_topic_policy), not " + str(c.p, "AttributeName"), nil
		}
		arn := str(c.p, "TopicArn")
		b, _ := w.resource(c, "aws_sns_topic_policy", arn[strings.LastIndex(arn, ":")+1:])
		if err := w.set(b, "arn", arn); err != nil {
			return "", err
		}
		if err := w.jsonencode(b, c, "policy", "AttributeValue"); err != nil {
			return "", err
		}
	case "sns:Subscribe":
		if err := need(c, "TopicArn", "Protocol", "Endpoint"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"TopicArn": "topic_arn", "Protocol": "protocol", "Endpoint": "endpoint"}, "ReturnSubscriptionArn")
		if why != "" {
			return why, nil
		}
		arn := str(c.p, "TopicArn")
		b, _ := w.resource(c, "aws_sns_topic_subscription", arn[strings.LastIndex(arn, ":")+1:]+"_"+str(c.p, "Protocol"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
	case "events:PutRule":
		if err := need(c, "Name"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"Name": "name", "ScheduleExpression": "schedule_expression", "State": "state",
			"Description": "description", "EventBusName": "event_bus_name", "RoleArn": "role_arn"}, "EventPattern")
		if why != "" {
			return why, nil
		}
		b, l := w.resource(c, "aws_cloudwatch_event_rule", str(c.p, "Name"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
		if _, ok := c.p["EventPattern"]; ok {
			if err := w.jsonencode(b, c, "event_pattern", "EventPattern"); err != nil {
				return "", err
			}
		}
		w.rules[w.provider(c.account, c.region)+"/"+str(c.p, "Name")] = ref("aws_cloudwatch_event_rule", l, "name")
	case "events:PutTargets":
		if err := need(c, "Rule"); err != nil {
			return "", err
		}
		for k := range c.p {
			if k != "Rule" && k != "Targets" && k != "EventBusName" {
				return "parameter " + k + " of " + c.action + " is not translated", nil
			}
		}
		targets, _ := c.p["Targets"].([]any)
		if len(targets) == 0 {
			return "", fmt.Errorf("step %s: events:PutTargets without Targets", c.step.ID)
		}
		tfTarget := map[string]string{"Id": "target_id", "Arn": "arn", "RoleArn": "role_arn", "Input": "input", "InputPath": "input_path"}
		for _, t := range targets {
			m, ok := t.(map[string]any)
			if !ok {
				return "", fmt.Errorf("step %s: events:PutTargets: a target is not an object", c.step.ID)
			}
			for k := range m {
				if _, ok := tfTarget[k]; !ok {
					return "target field " + k + " is not translated", nil
				}
			}
		}
		for _, t := range targets {
			m := t.(map[string]any)
			b, _ := w.resource(c, "aws_cloudwatch_event_target", str(c.p, "Rule")+"_"+str(m, "Id"))
			if r, ok := w.rules[w.provider(c.account, c.region)+"/"+str(c.p, "Rule")]; ok {
				b.SetAttributeTraversal("rule", r)
			} else if err := w.set(b, "rule", str(c.p, "Rule")); err != nil {
				return "", err
			}
			if bus := str(c.p, "EventBusName"); bus != "" {
				if err := w.set(b, "event_bus_name", bus); err != nil {
					return "", err
				}
			}
			for _, k := range sortedKeys(m) {
				if err := w.set(b, tfTarget[k], m[k]); err != nil {
					return "", fmt.Errorf("step %s: %s target %s: %w", c.step.ID, c.action, k, err)
				}
			}
		}
	case "organizations:CreatePolicy":
		if err := need(c, "Name", "Content", "Type"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"Name": "name", "Description": "description", "Type": "type"}, "Content")
		if why != "" {
			return why, nil
		}
		b, l := w.resource(c, "aws_organizations_policy", str(c.p, "Name"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
		if err := w.jsonencode(b, c, "content", "Content"); err != nil {
			return "", err
		}
		w.policies[c.step.ID] = ref("aws_organizations_policy", l, "id")
	case "organizations:AttachPolicy":
		if err := need(c, "PolicyId", "TargetId"); err != nil {
			return "", err
		}
		b, _ := w.resource(c, "aws_organizations_policy_attachment", "attach_"+str(c.p, "TargetId"))
		if r, ok := w.policies[c.step.ID]; ok && str(c.p, "PolicyId") == "${PolicyId}" {
			b.SetAttributeTraversal("policy_id", r)
		} else if err := w.set(b, "policy_id", str(c.p, "PolicyId")); err != nil {
			return "", err
		}
		if err := w.set(b, "target_id", str(c.p, "TargetId")); err != nil {
			return "", err
		}
	case "organizations:EnablePolicyType":
		return "the policy types of an organization's root are aws_organizations_organization's enabled_policy_types, the whole organization's resource: " +
			"not safe to emit (set in a configuration that does not hold the rest, it would take the rest away); enable " + str(c.p, "PolicyType") +
			" on " + str(c.p, "RootId") + " before applying (aws organizations enable-policy-type, or rootwatch fix --apply)", nil
	case "organizations:EnableAWSServiceAccess":
		return "trusted access is aws_organizations_organization's aws_service_access_principals, the whole organization's resource: " +
			"not safe to emit (set in a configuration that does not hold the rest, it would take the rest away); enable it for " +
			str(c.p, "ServicePrincipal") + " before applying (aws organizations enable-aws-service-access, or rootwatch fix --apply)", nil
	case "iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions":
		alias := w.provider(c.account, c.region)
		if w.features[alias] {
			return "", nil // one resource holds both features
		}
		w.features[alias] = true
		b, _ := w.resource(c, "aws_iam_organizations_features", "root_access")
		// The resource holds the whole set: both, always, so that turning
		// one on never turns the other off.
		b.SetAttributeValue("enabled_features", cty.ListVal([]cty.Value{cty.StringVal("RootCredentialsManagement"), cty.StringVal("RootSessions")}))
	case "account:PutAlternateContact":
		if err := need(c, "AlternateContactType"); err != nil {
			return "", err
		}
		m, why := w.attrs(c, map[string]string{"AccountId": "account_id", "AlternateContactType": "alternate_contact_type", "EmailAddress": "email_address",
			"Name": "name", "PhoneNumber": "phone_number", "Title": "title"})
		if why != "" {
			return why, nil
		}
		b, _ := w.resource(c, "aws_account_alternate_contact", strings.ToLower(str(c.p, "AlternateContactType"))+"_"+str(c.p, "AccountId"))
		if err := w.setAll(b, c, m); err != nil {
			return "", err
		}
	case "budgets:CreateBudget":
		return w.budget(c)
	case "budgets:CreateNotification", "budgets:CreateSubscriber":
		return "budget " + str(c.p, "BudgetName") + " exists outside this configuration, and its notifications and their subscribers are blocks of " +
			"aws_budgets_budget, the whole budget's resource: not safe to emit (import the budget with terraform import and add them, or rootwatch fix --apply)", nil
	default:
		return "no Terraform resource rootwatch translates " + c.action + " to: apply it with rootwatch fix --apply", nil
	}
	return "", nil
}

// budget writes aws_budgets_budget.
func (w *tfWriter) budget(c call) (string, error) {
	for k := range c.p {
		if !slices.Contains([]string{"AccountId", "Budget", "NotificationsWithSubscribers"}, k) {
			return "parameter " + k + " of " + c.action + " is not translated", nil
		}
	}
	budget, ok := c.p["Budget"].(map[string]any)
	if !ok {
		return "", fmt.Errorf("step %s: budgets:CreateBudget without Budget", c.step.ID)
	}
	for k := range budget {
		if !slices.Contains([]string{"BudgetName", "BudgetType", "TimeUnit", "BudgetLimit"}, k) {
			return "budget field " + k + " is not translated", nil
		}
	}
	limit, _ := budget["BudgetLimit"].(map[string]any)
	var notes []map[string]any
	ns, _ := c.p["NotificationsWithSubscribers"].([]any)
	for _, x := range ns {
		nws, ok := x.(map[string]any)
		if !ok {
			return "", fmt.Errorf("step %s: budgets:CreateBudget: a notification is not an object", c.step.ID)
		}
		n, _ := nws["Notification"].(map[string]any)
		for k := range n {
			if !slices.Contains([]string{"NotificationType", "ComparisonOperator", "Threshold", "ThresholdType"}, k) {
				return "notification field " + k + " is not translated", nil
			}
		}
		var emails, topics []any
		subs, _ := nws["Subscribers"].([]any)
		for _, y := range subs {
			s, _ := y.(map[string]any)
			switch str(s, "SubscriptionType") {
			case "EMAIL":
				emails = append(emails, str(s, "Address"))
			case "SNS":
				topics = append(topics, str(s, "Address"))
			default:
				return "subscriber type " + str(s, "SubscriptionType") + " is not translated", nil
			}
		}
		note := map[string]any{"notification_type": n["NotificationType"], "comparison_operator": n["ComparisonOperator"],
			"threshold": n["Threshold"], "threshold_type": n["ThresholdType"]}
		if len(emails) > 0 {
			note["subscriber_email_addresses"] = emails
		}
		if len(topics) > 0 {
			note["subscriber_sns_topic_arns"] = topics
		}
		notes = append(notes, note)
	}
	b, _ := w.resource(c, "aws_budgets_budget", str(budget, "BudgetName"))
	attrs := map[string]any{"name": budget["BudgetName"], "budget_type": budget["BudgetType"], "time_unit": budget["TimeUnit"]}
	if a := str(c.p, "AccountId"); a != "" {
		attrs["account_id"] = a
	}
	if limit != nil {
		attrs["limit_amount"], attrs["limit_unit"] = limit["Amount"], limit["Unit"]
	}
	for _, k := range sortedKeys(attrs) {
		if attrs[k] == nil {
			continue
		}
		if err := w.set(b, k, attrs[k]); err != nil {
			return "", fmt.Errorf("step %s: %s %s: %w", c.step.ID, c.action, k, err)
		}
	}
	for _, n := range notes {
		nb := b.AppendNewBlock("notification", nil).Body()
		for _, k := range sortedKeys(n) {
			if n[k] == nil {
				continue
			}
			if err := w.set(nb, k, n[k]); err != nil {
				return "", fmt.Errorf("step %s: %s notification %s: %w", c.step.ID, c.action, k, err)
			}
		}
	}
	return "", nil
}
