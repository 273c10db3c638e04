package emit

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/rootwatch/rootwatch/internal/fix"
)

var orgOptions = Options{Management: mgmt, Current: mgmt}

// golden compares the output's files with testdata/DIR, checked by hand.
func golden(t *testing.T, dir string, out *Output, names ...string) {
	t.Helper()
	var got []string
	for _, f := range out.Files {
		got = append(got, f.Name)
		want, err := os.ReadFile(filepath.Join("testdata", dir, f.Name))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from testdata/%s/%s:\n%s", f.Name, dir, f.Name, f.Data)
		}
	}
	if !slices.Equal(got, names) {
		t.Errorf("files %v, want %v", got, names)
	}
}

func TestCloudFormation_Golden(t *testing.T) {
	out, err := CloudFormation(testPlan(), orgOptions)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "cloudformation", out, "members.template.json", "management.template.json", NotExpressibleFile)
	// Two members differing only in the log group: one template, two
	// instances with their parameter.
	want := []StackInstance{
		{Template: "members.template.json", Account: member, Region: "us-east-1", Parameters: map[string]string{"LogGroupName": "ct"}},
		{Template: "members.template.json", Account: other, Region: "us-east-1", Parameters: map[string]string{"LogGroupName": "trail-logs"}},
		{Template: "management.template.json", Account: mgmt, Region: "us-east-1"},
	}
	if got, _ := json.Marshal(out.Stacks); string(got) != js(want) {
		t.Errorf("stacks %s", got)
	}
	// 6 resources in each member, the SCP and the budget.
	if out.Resources != 14 {
		t.Errorf("resources %d, want 14", out.Resources)
	}
	var actions []string
	for _, s := range out.Skipped {
		actions = append(actions, s.Step+" "+s.Action)
	}
	wantSkipped := []string{
		"scp/111111111111/r-ab12 organizations:EnablePolicyType",
		"root-access/111111111111/organization organizations:EnableAWSServiceAccess",
		"root-access/111111111111/organization iam:EnableOrganizationsRootCredentialsManagement",
		"root-access/111111111111/organization iam:EnableOrganizationsRootSessions",
		"root-access/222222222222/root-credentials iam:DeleteLoginProfile",
		"contacts/222222222222/SECURITY account:PutAlternateContact",
		"alarm/333333333333/trail ",
	}
	if !slices.Equal(actions, wantSkipped) {
		t.Errorf("skipped %q, want %q", actions, wantSkipped)
	}
}

// js is v as JSON (values the tests build, which always encode).
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(b)
}

// A member whose topic already exists plans no CreateTopic: its changes
// differ in more than the parameters, so it gets a template of its own;
// the region comes from AWS::Region, so the same changes in two regions
// share one.
func TestCloudFormation_AccountsDifferingOtherwise(t *testing.T) {
	p := testPlan()
	p.Steps = alarmSteps(member, "ct")
	existing := alarmSteps(other, "ct")
	existing[0].Calls = existing[0].Calls[2:] // only Subscribe
	p.Steps = append(p.Steps, existing...)
	eu := alarmSteps(member, "ct")
	for i := range eu {
		eu[i].ID, eu[i].Region = strings.Replace(eu[i].ID, "us-east-1", "eu-west-1", 1), "eu-west-1"
		for j := range eu[i].Calls {
			c := &eu[i].Calls[j]
			data := strings.ReplaceAll(js(c.Params), ":us-east-1:", ":eu-west-1:")
			c.Params = nil
			if err := json.Unmarshal([]byte(data), &c.Params); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.Steps = append(p.Steps, eu...)
	out, err := CloudFormation(p, Options{Management: mgmt})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range out.Files {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, []string{"members-1.template.json", "members-2.template.json"}) {
		t.Fatalf("files %v", names)
	}
	var got []string
	for _, s := range out.Stacks {
		got = append(got, s.Template+" "+s.Account+" "+s.Region)
	}
	if want := []string{"members-1.template.json 222222222222 us-east-1", "members-1.template.json 222222222222 eu-west-1",
		"members-2.template.json 333333333333 us-east-1"}; !slices.Equal(got, want) {
		t.Errorf("stacks %q, want %q", got, want)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(out.Files[1].Data, &tmpl); err != nil {
		t.Fatal(err)
	}
	// The existing topic is named by its ARN, for any account and region.
	sub := tmpl.Resources["SubscriptionRootwatchRootActivity"]
	if sub.Type != "AWS::SNS::Subscription" || sub.Properties["TopicArn"].(map[string]any)["Fn::Sub"] != "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:rootwatch-root-activity" {
		t.Errorf("subscription %+v", sub)
	}
	if _, ok := tmpl.Resources["TopicRootwatchRootActivity"]; ok {
		t.Error("members-2 creates the topic that exists")
	}
}

func TestTerraform_Golden(t *testing.T) {
	out, err := Terraform(testPlan(), orgOptions)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "terraform", out, TerraformFile, NotExpressibleFile)
	if out.Resources != 19 {
		t.Errorf("resources %d, want 19", out.Resources)
	}
}

// evalContext evaluates the configuration's expressions: jsonencode, and
// each resource's attributes as "TYPE.LABEL.ATTR".
func evalContext(resources map[string]map[string]bool) *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for typ, labels := range resources {
		objs := map[string]cty.Value{}
		for l := range labels {
			objs[l] = cty.ObjectVal(map[string]cty.Value{
				"arn": cty.StringVal(typ + "." + l + ".arn"), "id": cty.StringVal(typ + "." + l + ".id"), "name": cty.StringVal(typ + "." + l + ".name")})
		}
		vars[typ] = cty.ObjectVal(objs)
	}
	vars["aws"] = cty.DynamicVal
	return &hcl.EvalContext{Variables: vars, Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}
}

// parsed is a configuration read back with HashiCorp's HCL parser.
type parsed struct {
	t         *testing.T
	blocks    hclsyntax.Blocks
	resources map[string]map[string]bool
	ctx       *hcl.EvalContext
}

func parseTF(t *testing.T, data []byte) *parsed {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL(data, "main.tf")
	if diags.HasErrors() {
		t.Fatalf("main.tf does not parse: %s\n%s", diags, data)
	}
	body := f.Body.(*hclsyntax.Body)
	if len(body.Attributes) != 0 {
		t.Errorf("top-level attributes %v", body.Attributes)
	}
	p := &parsed{t: t, blocks: body.Blocks, resources: map[string]map[string]bool{}}
	for _, b := range body.Blocks {
		if b.Type == "resource" {
			if p.resources[b.Labels[0]] == nil {
				p.resources[b.Labels[0]] = map[string]bool{}
			}
			if p.resources[b.Labels[0]][b.Labels[1]] {
				t.Errorf("resource %s.%s twice", b.Labels[0], b.Labels[1])
			}
			p.resources[b.Labels[0]][b.Labels[1]] = true
		}
	}
	p.ctx = evalContext(p.resources)
	return p
}

func (p *parsed) block(typ string, labels ...string) *hclsyntax.Block {
	p.t.Helper()
	for _, b := range p.blocks {
		if b.Type == typ && slices.Equal(b.Labels, labels) {
			return b
		}
	}
	p.t.Fatalf("no block %s %q", typ, labels)
	return nil
}

// value is an attribute's value as Go: a string, a float64, a bool, or a
// list or map of them.
func (p *parsed) value(b *hclsyntax.Block, name string) any {
	p.t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		p.t.Fatalf("block %s %q has no attribute %s", b.Type, b.Labels, name)
	}
	v, diags := a.Expr.Value(p.ctx)
	if diags.HasErrors() {
		p.t.Fatalf("block %s %q attribute %s: %s", b.Type, b.Labels, name, diags)
	}
	return goValue(v)
}

func goValue(v cty.Value) any {
	switch {
	case v.IsNull():
		return nil
	case v.Type() == cty.String:
		return v.AsString()
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case v.Type() == cty.Bool:
		return v.True()
	case v.Type().IsListType() || v.Type().IsTupleType() || v.Type().IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, goValue(e))
		}
		return out
	case v.Type().IsObjectType() || v.Type().IsMapType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = goValue(e)
		}
		return out
	}
	return v.GoString()
}

func (p *parsed) traversal(b *hclsyntax.Block, name string) string {
	p.t.Helper()
	tr, diags := hcl.AbsTraversalForExpr(b.Body.Attributes[name].Expr)
	if diags.HasErrors() {
		p.t.Fatalf("block %s %q attribute %s is not a reference: %s", b.Type, b.Labels, name, diags)
	}
	var parts []string
	for _, s := range tr {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		}
	}
	return strings.Join(parts, ".")
}

func TestTerraform_ParsesWithHCL(t *testing.T) {
	out, err := Terraform(testPlan(), Options{Management: mgmt, Current: mgmt, RoleName: "Ops", ExternalID: `x"${y}`})
	if err != nil {
		t.Fatal(err)
	}
	p := parseTF(t, out.Files[0].Data)
	var kinds []string
	for typ, labels := range p.resources {
		for range labels {
			kinds = append(kinds, typ)
		}
	}
	slices.Sort(kinds)
	want := []string{"aws_account_alternate_contact", "aws_budgets_budget", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_rule",
		"aws_cloudwatch_event_target", "aws_cloudwatch_event_target", "aws_cloudwatch_log_metric_filter", "aws_cloudwatch_log_metric_filter",
		"aws_cloudwatch_metric_alarm", "aws_cloudwatch_metric_alarm", "aws_iam_organizations_features", "aws_organizations_policy",
		"aws_organizations_policy_attachment", "aws_sns_topic", "aws_sns_topic", "aws_sns_topic_policy", "aws_sns_topic_policy",
		"aws_sns_topic_subscription", "aws_sns_topic_subscription"}
	if !slices.Equal(kinds, want) {
		t.Errorf("resources %q, want %q", kinds, want)
	}

	// The providers: the credentials' account as it is, the members
	// through the role.
	var aliases []string
	for _, b := range p.blocks {
		if b.Type == "provider" {
			aliases = append(aliases, p.value(b, "alias").(string))
		}
	}
	if want := []string{"a222222222222_us_east_1", "a333333333333_us_east_1", "a111111111111_us_east_1"}; !slices.Equal(aliases, want) {
		t.Errorf("providers %q, want %q", aliases, want)
	}
	for _, b := range p.blocks {
		if b.Type != "provider" {
			continue
		}
		alias := p.value(b, "alias").(string)
		ar := b.Body.Blocks
		if alias == "a111111111111_us_east_1" {
			if len(ar) != 0 {
				t.Errorf("the credentials' account assumes a role: %v", ar)
			}
			continue
		}
		acct := alias[1:13]
		if len(ar) != 1 || ar[0].Type != "assume_role" || p.value(ar[0], "role_arn") != "arn:aws:iam::"+acct+":role/Ops" || p.value(ar[0], "external_id") != `x"${y}` {
			t.Errorf("provider %s: assume_role %v", alias, ar)
		}
		if got := p.value(b, "allowed_account_ids"); !slices.Equal(got.([]any), []any{acct}) {
			t.Errorf("provider %s: allowed_account_ids %v", alias, got)
		}
	}

	alarm := p.block("resource", "aws_cloudwatch_metric_alarm", "rootwatch_root_usage_222222222222_us_east_1")
	if got := p.traversal(alarm, "provider"); got != "aws.a222222222222_us_east_1" {
		t.Errorf("alarm provider %s", got)
	}
	for name, want := range map[string]any{"alarm_name": "rootwatch-root-usage", "metric_name": "RootAccountUsageCount", "namespace": "CISBenchmark",
		"statistic": "Sum", "period": 300.0, "evaluation_periods": 1.0, "threshold": 1.0, "comparison_operator": "GreaterThanOrEqualToThreshold",
		"treat_missing_data": "notBreaching", "actions_enabled": true,
		"alarm_actions": []any{"aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn"}} {
		if got := p.value(alarm, name); !equalJSON(got, want) {
			t.Errorf("alarm %s = %v, want %v", name, got, want)
		}
	}
	filter := p.block("resource", "aws_cloudwatch_log_metric_filter", "rootwatch_root_usage_333333333333_us_east_1")
	if p.value(filter, "log_group_name") != "trail-logs" || p.value(filter, "pattern") != fix.FilterPattern {
		t.Errorf("filter: %v %v", p.value(filter, "log_group_name"), p.value(filter, "pattern"))
	}
	mt := filter.Body.Blocks
	if len(mt) != 1 || mt[0].Type != "metric_transformation" || p.value(mt[0], "name") != "RootAccountUsageCount" ||
		p.value(mt[0], "namespace") != "CISBenchmark" || p.value(mt[0], "value") != "1" {
		t.Errorf("metric_transformation %v", mt)
	}
	rule := p.block("resource", "aws_cloudwatch_event_rule", "rootwatch_root_activity_222222222222_us_east_1")
	var pattern any
	if err := json.Unmarshal([]byte(p.value(rule, "event_pattern").(string)), &pattern); err != nil {
		t.Fatal(err)
	}
	if !equalJSON(pattern, map[string]any{"detail-type": []any{"AWS Console Sign In via CloudTrail", "AWS API Call via CloudTrail"},
		"detail": map[string]any{"userIdentity": map[string]any{"type": []any{"Root"}}}}) || p.value(rule, "state") != "ENABLED" {
		t.Errorf("rule pattern %v", pattern)
	}
	target := p.block("resource", "aws_cloudwatch_event_target", "rootwatch_root_activity_rootwatch_root_activity_topic_222222222222_us_east_1")
	if p.traversal(target, "rule") != "aws_cloudwatch_event_rule.rootwatch_root_activity_222222222222_us_east_1.name" ||
		p.traversal(target, "arn") != "aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn" || p.value(target, "target_id") != "rootwatch-root-activity-topic" {
		t.Errorf("target %v", target.Body.Attributes)
	}
	pol := p.block("resource", "aws_sns_topic_policy", "rootwatch_root_activity_222222222222_us_east_1")
	if !strings.Contains(p.value(pol, "policy").(string), `"Principal":{"Service":"events.amazonaws.com"},"Resource":"aws_sns_topic.rootwatch_root_activity_222222222222_us_east_1.arn"`) {
		t.Errorf("topic policy %s", p.value(pol, "policy"))
	}
	sub := p.block("resource", "aws_sns_topic_subscription", "rootwatch_root_activity_email_222222222222_us_east_1")
	if p.value(sub, "protocol") != "email" || p.value(sub, "endpoint") != "sec@example.com" {
		t.Errorf("subscription %v", sub.Body.Attributes)
	}
	scp := p.block("resource", "aws_organizations_policy", "rootwatch_deny_root_111111111111_us_east_1")
	if p.value(scp, "type") != "SERVICE_CONTROL_POLICY" || p.value(scp, "name") != "rootwatch-deny-root" ||
		!strings.Contains(p.value(scp, "content").(string), `"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}`) {
		t.Errorf("scp %v", p.value(scp, "content"))
	}
	att := p.block("resource", "aws_organizations_policy_attachment", "attach_222222222222_111111111111_us_east_1")
	if p.traversal(att, "policy_id") != "aws_organizations_policy.rootwatch_deny_root_111111111111_us_east_1.id" || p.value(att, "target_id") != member ||
		p.traversal(att, "provider") != "aws.a111111111111_us_east_1" {
		t.Errorf("attachment %v", att.Body.Attributes)
	}
	feats := p.block("resource", "aws_iam_organizations_features", "root_access_111111111111_us_east_1")
	if got := p.value(feats, "enabled_features"); !equalJSON(got, []any{"RootCredentialsManagement", "RootSessions"}) {
		t.Errorf("enabled_features %v", got)
	}
	contact := p.block("resource", "aws_account_alternate_contact", "security_222222222222_111111111111_us_east_1")
	for name, want := range map[string]any{"account_id": member, "alternate_contact_type": "SECURITY", "email_address": "sec@example.com",
		"name": "Security", "phone_number": "+1 555 0100", "title": "CISO"} {
		if got := p.value(contact, name); got != want {
			t.Errorf("contact %s = %v, want %v", name, got, want)
		}
	}
	budget := p.block("resource", "aws_budgets_budget", "rootwatch_daily_111111111111_us_east_1")
	for name, want := range map[string]any{"name": "rootwatch-daily", "budget_type": "COST", "time_unit": "DAILY", "limit_amount": "10", "limit_unit": "USD"} {
		if got := p.value(budget, name); got != want {
			t.Errorf("budget %s = %v, want %v", name, got, want)
		}
	}
	n := budget.Body.Blocks
	if len(n) != 1 || p.value(n[0], "threshold") != 100.0 || p.value(n[0], "threshold_type") != "PERCENTAGE" || p.value(n[0], "notification_type") != "ACTUAL" ||
		p.value(n[0], "comparison_operator") != "GREATER_THAN" || !equalJSON(p.value(n[0], "subscriber_email_addresses"), []any{"a@example.com"}) ||
		!equalJSON(p.value(n[0], "subscriber_sns_topic_arns"), []any{"arn:aws:sns:us-east-1:111111111111:budget"}) {
		t.Errorf("budget notification %v", n)
	}
	// The calls no resource makes are comments, each named.
	text := string(out.Files[0].Data)
	for _, want := range []string{
		"# - account 222222222222 us-east-1: root-access/222222222222/root-credentials iam:DeleteLoginProfile: made as the member account's root in an sts:AssumeRoot session",
		"# - account 111111111111 us-east-1: root-access/111111111111/organization organizations:EnableAWSServiceAccess: trusted access is aws_organizations_organization's aws_service_access_principals, the whole organization's resource: not safe to emit",
		"# - account 111111111111 us-east-1: scp/111111111111/r-ab12 organizations:EnablePolicyType: the policy types of an organization's root are aws_organizations_organization's enabled_policy_types",
		"# - account 333333333333: alarm/333333333333/trail: blocked: no trail: fix does not create trails",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("main.tf lacks %q", want)
		}
	}
}

func equalJSON(a, b any) bool {
	return js(a) == js(b)
}

// hostile is a string a plan may carry from an audit or a flag: quotes,
// HCL templates and CloudFormation substitutions, a newline that would
// end a comment and start a resource.
const hostile = "a\"b ${AWS::AccountId} %{if x}y%{endif} $${z} \\n\nresource \"aws_iam_user\" \"evil\" {}\n# "

// hostilePlan is one member's steps with the hostile string in a
// description, an endpoint, a pattern, a why and a policy, and the
// member's account ID beside it.
func hostilePlan() *fix.Plan {
	steps := alarmSteps(member, "ct")
	steps[0].Why = hostile
	steps[0].Calls[2].Params["Endpoint"] = hostile
	steps[1].Calls[0].Params["FilterPattern"] = hostile
	steps[1].Calls[0].Params["LogGroupName"] = hostile
	steps[2].Calls[0].Params["AlarmDescription"] = hostile + " " + member
	steps[3].Calls[0].Params["EventPattern"] = `{"detail":{"x":[` + js(hostile) + `]}}`
	steps = append(steps, fix.Step{ID: "x/" + member + "/" + hostile, Account: member, Kind: "x", Why: hostile,
		Calls: []fix.Call{{Action: "x:Do" + hostile, Params: map[string]any{}}}})
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	return &fix.Plan{Version: fix.PlanVersion, CreatedAt: at, Steps: steps, Evidence: map[string]time.Time{member: at}}
}

func TestTerraform_HostileStringsEscaped(t *testing.T) {
	out, err := Terraform(hostilePlan(), Options{Current: member})
	if err != nil {
		t.Fatal(err)
	}
	p := parseTF(t, out.Files[0].Data)
	if p.resources["aws_iam_user"] != nil {
		t.Fatalf("a comment became a resource:\n%s", out.Files[0].Data)
	}
	sub := p.block("resource", "aws_sns_topic_subscription", "rootwatch_root_activity_email_222222222222_us_east_1")
	if got := p.value(sub, "endpoint"); got != hostile {
		t.Errorf("endpoint %q, want %q", got, hostile)
	}
	filter := p.block("resource", "aws_cloudwatch_log_metric_filter", "rootwatch_root_usage_222222222222_us_east_1")
	if p.value(filter, "pattern") != hostile || p.value(filter, "log_group_name") != hostile {
		t.Errorf("filter %q %q", p.value(filter, "pattern"), p.value(filter, "log_group_name"))
	}
	alarm := p.block("resource", "aws_cloudwatch_metric_alarm", "rootwatch_root_usage_222222222222_us_east_1")
	if got := p.value(alarm, "alarm_description"); got != hostile+" "+member {
		t.Errorf("alarm_description %q", got)
	}
	rule := p.block("resource", "aws_cloudwatch_event_rule", "rootwatch_root_activity_222222222222_us_east_1")
	if got := p.value(rule, "event_pattern"); got != `{"detail":{"x":[`+js(hostile)+`]}}` {
		t.Errorf("event_pattern %q", got)
	}
	// The templates' introducers are doubled in the file, never bare.
	if !strings.Contains(string(out.Files[0].Data), `$${AWS::AccountId} %%{if x}y%%{endif} $$${z}`) {
		t.Errorf("main.tf does not escape the templates:\n%s", out.Files[0].Data)
	}
	if len(out.Skipped) != 1 || out.Skipped[0].Action != "x:Do"+hostile {
		t.Errorf("skipped %+v", out.Skipped)
	}
}

func TestCloudFormation_HostileStringsEscaped(t *testing.T) {
	out, err := CloudFormation(hostilePlan(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Files) != 2 || out.Files[0].Name != "account.template.json" {
		t.Fatalf("files %+v", out.Files)
	}
	var tmpl struct {
		Metadata  map[string]map[string]any
		Resources map[string]struct{ Properties map[string]any }
	}
	if err := json.Unmarshal(out.Files[0].Data, &tmpl); err != nil {
		t.Fatal(err)
	}
	r := tmpl.Resources
	// Plain strings are not substituted by CloudFormation: they stay as
	// they are.
	if got := r["SubscriptionRootwatchRootActivity"].Properties["Endpoint"]; got != hostile {
		t.Errorf("endpoint %q", got)
	}
	if got := r["MetricFilterRootwatchRootUsage"].Properties["FilterPattern"]; got != hostile {
		t.Errorf("pattern %q", got)
	}
	// A string holding the account ID becomes a Fn::Sub, in which the
	// literal "${" is written "${!".
	if got := r["AlarmRootwatchRootUsage"].Properties["AlarmDescription"]; !equalJSON(got, map[string]any{"Fn::Sub": strings.ReplaceAll(hostile, "${", "${!") + " ${AWS::AccountId}"}) {
		t.Errorf("alarm description %v", got)
	}
	if got := r["RuleRootwatchRootActivity"].Properties["EventPattern"]; !equalJSON(got, map[string]any{"detail": map[string]any{"x": []any{hostile}}}) {
		t.Errorf("event pattern %v", got)
	}
	inst := tmpl.Metadata["rootwatch"]["StackInstances"].([]any)[0].(map[string]any)
	if !equalJSON(inst["parameters"], map[string]any{"LogGroupName": hostile}) {
		t.Errorf("instance %v", inst)
	}
	ne := tmpl.Metadata["rootwatch"]["NotExpressible"].([]any)
	if len(ne) != 1 || strings.ContainsAny(ne[0].(string), "\n\r") || !strings.Contains(ne[0].(string), "x:Doa\"b ${AWS::AccountId}") {
		t.Errorf("not expressible %q", ne)
	}
}

// A call of an action no format knows is listed, never dropped; a
// parameter the resource has no property for makes the call listed too.
func TestUnknownActionsListed(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: at, Evidence: map[string]time.Time{member: at}, Steps: []fix.Step{
		{ID: "s1", Account: member, Region: "eu-west-1", Kind: "k", Calls: []fix.Call{
			{Action: "s3:PutBucketPolicy", Params: map[string]any{"Bucket": "b"}},
			{Action: "cloudwatch:PutMetricAlarm", Params: map[string]any{"AlarmName": "a", "Metrics": []any{}}},
			{Action: "events:PutTargets", Params: map[string]any{"Rule": "elsewhere", "Targets": []any{map[string]any{"Id": "t", "Arn": "arn:aws:sns:eu-west-1:222222222222:x"}}}},
			{Action: "organizations:AttachPolicy", Params: map[string]any{"PolicyId": "p-existing", "TargetId": "ou-1"}},
		}},
	}}
	cf, err := CloudFormation(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range cf.Skipped {
		got = append(got, s.Action+": "+s.Why)
	}
	want := []string{
		"s3:PutBucketPolicy: CloudFormation has no resource rootwatch translates s3:PutBucketPolicy to: apply it with rootwatch fix --apply",
		"cloudwatch:PutMetricAlarm: parameter Metrics has no property in CloudFormation's resource for cloudwatch:PutMetricAlarm",
		"events:PutTargets: CloudFormation sets a rule's targets only on the AWS::Events::Rule, which this template does not make (the rule exists): add the target by hand or apply the step",
		"organizations:AttachPolicy: CloudFormation attaches a policy only through the TargetIds of the AWS::Organizations::Policy it makes, and policy p-existing exists already: attach it by hand or apply the step",
	}
	if !slices.Equal(got, want) {
		t.Errorf("skipped\n%q\nwant\n%q", got, want)
	}
	if len(cf.Files) != 1 || cf.Files[0].Name != NotExpressibleFile {
		t.Errorf("files %+v", cf.Files)
	}
	tf, err := Terraform(p, Options{Current: member})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, s := range tf.Skipped {
		got = append(got, s.Action+": "+s.Why)
	}
	want = []string{
		"s3:PutBucketPolicy: no Terraform resource rootwatch translates s3:PutBucketPolicy to: apply it with rootwatch fix --apply",
		"cloudwatch:PutMetricAlarm: parameter Metrics of cloudwatch:PutMetricAlarm is not translated",
	}
	if !slices.Equal(got, want) {
		t.Errorf("skipped\n%q\nwant\n%q", got, want)
	}
	pt := parseTF(t, tf.Files[0].Data)
	target := pt.block("resource", "aws_cloudwatch_event_target", "elsewhere_t_222222222222_eu_west_1")
	att := pt.block("resource", "aws_organizations_policy_attachment", "attach_ou_1_222222222222_eu_west_1")
	if pt.value(target, "rule") != "elsewhere" || pt.value(att, "policy_id") != "p-existing" || pt.value(att, "target_id") != "ou-1" {
		t.Errorf("target %v, attachment %v", target.Body.Attributes, att.Body.Attributes)
	}
}

// Bad parameters are an error naming the step, not a half-written file.
func TestBadParameters(t *testing.T) {
	p := hostilePlan()
	p.Steps[0].Calls[1].Params["AttributeValue"] = "{not json"
	for name, f := range map[string]func(*fix.Plan, Options) (*Output, error){"cloudformation": CloudFormation, "terraform": Terraform} {
		if _, err := f(p, Options{}); err == nil || !strings.Contains(err.Error(), "step alarm/222222222222/us-east-1/topic:rootwatch-root-activity: sns:SetTopicAttributes: AttributeValue is not JSON") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestEmptyPlan(t *testing.T) {
	p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: time.Now()}
	for name, f := range map[string]func(*fix.Plan, Options) (*Output, error){"cloudformation": CloudFormation} {
		out, err := f(p, Options{})
		if err != nil || len(out.Files) != 0 || out.Resources != 0 {
			t.Errorf("%s: %+v %v", name, out, err)
		}
	}
	out, err := Terraform(p, Options{})
	if err != nil || out.Resources != 0 || len(out.Files) != 1 {
		t.Fatalf("terraform: %+v %v", out, err)
	}
	parseTF(t, out.Files[0].Data)
}

// A notification or subscriber added to a budget that exists is listed:
// both formats make budgets whole.
func TestBudgetExistingListed(t *testing.T) {
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	note := map[string]any{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 100, "ThresholdType": "PERCENTAGE"}
	p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: at, Evidence: map[string]time.Time{member: at}, Steps: []fix.Step{
		{ID: "budget/" + member + "/rootwatch-daily", Account: member, Region: "us-east-1", Kind: "budget", Calls: []fix.Call{
			{Action: "budgets:CreateSubscriber", Params: map[string]any{"AccountId": member, "BudgetName": "rootwatch-daily", "Notification": note,
				"Subscriber": map[string]any{"SubscriptionType": "EMAIL", "Address": "b@example.com"}}}}},
		{ID: "budget/" + other + "/rootwatch-daily", Account: other, Region: "us-east-1", Kind: "budget", Calls: []fix.Call{
			{Action: "budgets:CreateNotification", Params: map[string]any{"AccountId": other, "BudgetName": "rootwatch-daily", "Notification": note,
				"Subscribers": []any{map[string]any{"SubscriptionType": "EMAIL", "Address": "b@example.com"}}}}}},
	}}
	cf, err := CloudFormation(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tf, err := Terraform(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range append(cf.Skipped, tf.Skipped...) {
		got = append(got, s.String())
	}
	want := []string{
		"account 222222222222 us-east-1: budget/222222222222/rootwatch-daily budgets:CreateSubscriber: budget rootwatch-daily exists outside the template, and CloudFormation adds a notification or a subscriber only to the AWS::Budgets::Budget it makes (aws budgets create-subscriber, or rootwatch fix --apply)",
		"account 333333333333 us-east-1: budget/333333333333/rootwatch-daily budgets:CreateNotification: budget rootwatch-daily exists outside the template, and CloudFormation adds a notification or a subscriber only to the AWS::Budgets::Budget it makes (aws budgets create-notification, or rootwatch fix --apply)",
		"account 222222222222 us-east-1: budget/222222222222/rootwatch-daily budgets:CreateSubscriber: budget rootwatch-daily exists outside this configuration, and its notifications and their subscribers are blocks of aws_budgets_budget, the whole budget's resource: not safe to emit (import the budget with terraform import and add them, or rootwatch fix --apply)",
		"account 333333333333 us-east-1: budget/333333333333/rootwatch-daily budgets:CreateNotification: budget rootwatch-daily exists outside this configuration, and its notifications and their subscribers are blocks of aws_budgets_budget, the whole budget's resource: not safe to emit (import the budget with terraform import and add them, or rootwatch fix --apply)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("skipped\n%q\nwant\n%q", got, want)
	}
	if cf.Resources != 0 || tf.Resources != 0 {
		t.Errorf("resources %d %d", cf.Resources, tf.Resources)
	}
}
