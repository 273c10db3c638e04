package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
	"github.com/rootwatch/rootwatch/internal/fix/emit"
)

// cfnTemplate is what the test reads of an emitted template.
type cfnTemplate struct {
	Metadata struct {
		Rootwatch struct {
			StackInstances []struct {
				Template   string            `json:"template"`
				Account    string            `json:"account"`
				Region     string            `json:"region"`
				Parameters map[string]string `json:"parameters"`
			}
		} `json:"rootwatch"`
	}
	Resources map[string]struct {
		Type       string
		Properties map[string]any
	}
}

// The alarm's steps as a CloudFormation template, deployed to moto's
// CloudFormation with cloudformation:CreateStack in the account of the
// alarm's end-to-end test.
//
// moto (5.2) implements AWS::SNS::Topic and AWS::Events::Rule in
// CloudFormation, not AWS::Logs::MetricFilter, AWS::CloudWatch::Alarm,
// AWS::SNS::Subscription or AWS::SNS::TopicPolicy: it skips them with a
// warning and still says CREATE_COMPLETE. So the test checks that the
// stack made what moto implements, and that the audit still fails for
// want of the metric filter; then it makes the four resources moto skips
// from the template's own properties through the SDK (a stand-in for
// CloudFormation, named so) and sees the audit pass and fix plan nothing
// more: the template holds what the check wants. If moto comes to
// implement them, the first audit passes and this test says so.
func TestFixEmitCloudFormation_DeployedToMoto_FakeTrailDelivery_SDKStandInForUnsupportedTypes(t *testing.T) {
	m := startMoto(t)
	cfg := seedTrail(t, m.Endpoint)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cfn")

	rec := &recorder{}
	d, _, _ := testDeps("")
	d.AWSClients, d.AWSRecord = withTrailDelivered, rec.record
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--emit", "cloudformation", "--emit-dir", dir)
	if r.code != ExitFailing {
		t.Fatalf("emit: exit %d, want 1 (steps planned, none applied): %s\n%s", r.code, r.err, r.out)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Fatalf("--emit made calls: %v", calls)
	}
	for _, want := range []string{
		"Wrote 1 file(s) to " + dir + " (6 resource(s)). Nothing was applied.\n  " + filepath.Join(dir, "account.template.json") + "\n",
		"Stacks to deploy (template, account, region, parameters):\n  account.template.json  account 123456789012  us-east-1  LogGroupName=ct\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	body, err := os.ReadFile(filepath.Join(dir, "account.template.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl cfnTemplate
	if err := json.Unmarshal(body, &tmpl); err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for id, res := range tmpl.Resources {
		types[id] = res.Type
	}
	wantTypes := map[string]string{"TopicRootwatchRootActivity": "AWS::SNS::Topic", "TopicPolicyRootwatchRootActivity": "AWS::SNS::TopicPolicy",
		"SubscriptionRootwatchRootActivity": "AWS::SNS::Subscription", "MetricFilterRootwatchRootUsage": "AWS::Logs::MetricFilter",
		"AlarmRootwatchRootUsage": "AWS::CloudWatch::Alarm", "RuleRootwatchRootActivity": "AWS::Events::Rule"}
	if js(types) != js(wantTypes) {
		t.Fatalf("resources %v, want %v", types, wantTypes)
	}
	inst := tmpl.Metadata.Rootwatch.StackInstances
	if len(inst) != 1 || inst[0].Account != motoAccountID || inst[0].Region != "us-east-1" || inst[0].Parameters["LogGroupName"] != "ct" {
		t.Fatalf("stack instances %+v", inst)
	}

	// Deploy, with the instance's parameters.
	cf := cloudformation.NewFromConfig(cfg)
	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("rootwatch"), TemplateBody: aws.String(string(body)),
		Parameters: []cftypes.Parameter{{ParameterKey: aws.String("LogGroupName"), ParameterValue: aws.String("ct")}}}); err != nil {
		t.Fatalf("CreateStack: %v", err)
	}
	var status cftypes.StackStatus
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("rootwatch")})
		if err != nil {
			t.Fatal(err)
		}
		if status = out.Stacks[0].StackStatus; !strings.HasSuffix(string(status), "_IN_PROGRESS") {
			break
		}
	}
	if status != cftypes.StackStatusCreateComplete {
		t.Fatalf("stack %s", status)
	}
	res, err := cf.ListStackResources(ctx, &cloudformation.ListStackResourcesInput{StackName: aws.String("rootwatch")})
	if err != nil {
		t.Fatal(err)
	}
	physical := map[string]string{}
	var made []string
	skipped := 0
	for _, s := range res.StackResourceSummaries {
		if aws.ToString(s.ResourceType) == "" {
			skipped++ // moto lists what it skipped as empty summaries
			continue
		}
		physical[aws.ToString(s.LogicalResourceId)] = aws.ToString(s.PhysicalResourceId)
		made = append(made, aws.ToString(s.ResourceType))
	}
	slices.Sort(made)
	if want := []string{"AWS::Events::Rule", "AWS::SNS::Topic"}; !slices.Equal(made, want) || skipped != 4 {
		t.Errorf("moto's stack made %v, want %v (what moto's CloudFormation implements): update this test", made, want)
	}

	// What moto's stack made: the topic and the rule sending root activity
	// to it.
	topic := "arn:aws:sns:us-east-1:123456789012:rootwatch-root-activity"
	if _, err := sns.NewFromConfig(cfg).GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)}); err != nil {
		t.Fatalf("the stack's topic: %v", err)
	}
	ev := eventbridge.NewFromConfig(cfg)
	rule, err := ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("rootwatch-root-activity")})
	if err != nil {
		t.Fatalf("the stack's rule: %v", err)
	}
	var pattern any
	if err := json.Unmarshal([]byte(aws.ToString(rule.EventPattern)), &pattern); err != nil {
		t.Fatal(err)
	}
	if js(pattern) != `{"detail":{"userIdentity":{"type":["Root"]}},"detail-type":["AWS Console Sign In via CloudTrail","AWS API Call via CloudTrail"]}` || rule.State != "ENABLED" {
		t.Errorf("rule %s %s", js(pattern), rule.State)
	}
	targets, err := ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("rootwatch-root-activity")})
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != topic || aws.ToString(targets.Targets[0].Id) != "rootwatch-root-activity-topic" {
		t.Errorf("rule targets %+v", targets.Targets)
	}
	if st, msg := rootUsageFinding(t, m.Endpoint); st != "fail" || msg != "log group ct has no metric filter for root use (the CIS pattern)" {
		t.Fatalf("after the stack, which moto made without the metric filter and alarm: %s %q (if pass, moto now implements them: drop the stand-in)", st, msg)
	}

	// The stand-in: the resources moto skipped, from the template's
	// properties, references resolved as CloudFormation would.
	resolve := func(v any) any {
		return cfnResolve(v, map[string]string{"LogGroupName": "ct", "AWS::AccountId": motoAccountID, "AWS::Region": "us-east-1", "AWS::Partition": "aws",
			"TopicRootwatchRootActivity": physical["TopicRootwatchRootActivity"]})
	}
	into := func(v any, in any) {
		t.Helper()
		if err := json.Unmarshal([]byte(js(v)), in); err != nil {
			t.Fatalf("%s: %v", js(v), err)
		}
	}
	for _, id := range []string{"TopicPolicyRootwatchRootActivity", "SubscriptionRootwatchRootActivity", "MetricFilterRootwatchRootUsage", "AlarmRootwatchRootUsage"} {
		props := resolve(tmpl.Resources[id].Properties).(map[string]any)
		var err error
		switch tmpl.Resources[id].Type {
		case "AWS::SNS::TopicPolicy":
			_, err = sns.NewFromConfig(cfg).SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(props["Topics"].([]any)[0].(string)),
				AttributeName: aws.String("Policy"), AttributeValue: aws.String(js(props["PolicyDocument"]))})
		case "AWS::SNS::Subscription":
			var in sns.SubscribeInput
			into(props, &in)
			_, err = sns.NewFromConfig(cfg).Subscribe(ctx, &in)
		case "AWS::Logs::MetricFilter":
			var in cloudwatchlogs.PutMetricFilterInput
			into(props, &in)
			_, err = cloudwatchlogs.NewFromConfig(cfg).PutMetricFilter(ctx, &in)
		case "AWS::CloudWatch::Alarm":
			var in cloudwatch.PutMetricAlarmInput
			into(props, &in)
			_, err = cloudwatch.NewFromConfig(cfg).PutMetricAlarm(ctx, &in)
		}
		if err != nil {
			t.Fatalf("stand-in for %s: %v", id, err)
		}
	}
	if st, msg := rootUsageFinding(t, m.Endpoint); st != "pass" ||
		msg != "trail main → filter rootwatch-root-usage → alarm rootwatch-root-usage → "+topic+" (1 confirmed subscription(s))" {
		t.Errorf("after the template's resources: %s %q", st, msg)
	}
	// Nothing left to plan, nor to emit.
	d, _, _ = testDeps("")
	d.AWSClients = withTrailDelivered
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--emit", "cloudformation", "--emit-dir", dir)
	if r.code != 0 || r.out != "Nothing to do.\n" {
		t.Errorf("again: exit %d, out %q: %s", r.code, r.out, r.err)
	}
}

// cfnResolve resolves Ref and Fn::Sub as CloudFormation does, from the
// values given.
func cfnResolve(v any, values map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
			return values[ref]
		}
		if sub, ok := v["Fn::Sub"].(string); ok && len(v) == 1 {
			for k, x := range values {
				sub = strings.ReplaceAll(sub, "${"+k+"}", x)
			}
			return strings.ReplaceAll(sub, "${!", "${")
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = cfnResolve(x, values)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = cfnResolve(x, values)
		}
		return out
	}
	return v
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(b)
}

// --emit terraform writes main.tf, which HashiCorp's parser reads, with
// the alarm's resources; a second run does not replace it without --force.
func TestFixEmitTerraform_Moto(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	dir := t.TempDir()
	rec := &recorder{}
	run := func(args ...string) result {
		d, _, _ := testDeps("")
		d.AWSClients, d.AWSRecord = withTrailDelivered, rec.record
		return runWith(t, d, append([]string{"fix", "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--emit", "terraform", "--emit-dir", dir}, args...)...)
	}
	r := run()
	if r.code != ExitFailing || !strings.Contains(r.out, "Wrote 1 file(s) to "+dir+" (7 resource(s)). Nothing was applied.") {
		t.Fatalf("emit: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Fatalf("--emit made calls: %v", calls)
	}
	data, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclparse.NewParser().ParseHCL(data, "main.tf")
	if diags.HasErrors() {
		t.Fatalf("main.tf: %s", diags)
	}
	var blocks []string
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		blocks = append(blocks, b.Type+" "+strings.Join(b.Labels, " "))
	}
	want := []string{"terraform ", "provider aws",
		"resource aws_sns_topic rootwatch_root_activity_123456789012_us_east_1",
		"resource aws_sns_topic_policy rootwatch_root_activity_123456789012_us_east_1",
		"resource aws_sns_topic_subscription rootwatch_root_activity_email_123456789012_us_east_1",
		"resource aws_cloudwatch_log_metric_filter rootwatch_root_usage_123456789012_us_east_1",
		"resource aws_cloudwatch_metric_alarm rootwatch_root_usage_123456789012_us_east_1",
		"resource aws_cloudwatch_event_rule rootwatch_root_activity_123456789012_us_east_1",
		"resource aws_cloudwatch_event_target rootwatch_root_activity_rootwatch_root_activity_topic_123456789012_us_east_1"}
	if !slices.Equal(blocks, want) {
		t.Errorf("blocks\n%q\nwant\n%q", blocks, want)
	}
	// The credentials' own account: no role to assume.
	prov := f.Body.(*hclsyntax.Body).Blocks[1]
	if len(prov.Body.Blocks) != 0 || !strings.Contains(string(data), `allowed_account_ids = ["123456789012"]`) {
		t.Errorf("provider:\n%s", data)
	}

	r = run()
	if r.code != ExitUsage || !strings.Contains(r.err, "--emit-dir "+dir+" holds main.tf already: give --force to replace them, or another --emit-dir") {
		t.Errorf("again without --force: exit %d: %s", r.code, r.err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run("--force", "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("--force: exit %d: %s", r.code, r.err)
	}
	var sum struct {
		Emit      string   `json:"emit"`
		Files     []string `json:"files"`
		Resources int      `json:"resources"`
	}
	if err := json.Unmarshal([]byte(r.out), &sum); err != nil {
		t.Fatalf("%v: %s", err, r.out)
	}
	if sum.Emit != "terraform" || !slices.Equal(sum.Files, []string{filepath.Join(dir, "main.tf")}) || sum.Resources != 7 {
		t.Errorf("summary %+v", sum)
	}
	if again, err := os.ReadFile(filepath.Join(dir, "main.tf")); err != nil || string(again) != string(data) {
		t.Errorf("--force did not replace main.tf: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".main.tf.*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestFixEmitFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--emit", "yaml"}, `--emit "yaml": want cloudformation or terraform`},
		{[]string{"--emit", "terraform", "--apply", "--yes"}, "--emit writes the plan as code for review and applies nothing: it does not go with --apply"},
		{[]string{"--emit-dir", "x"}, "--emit-dir and --force go with --emit"},
		{[]string{"--force"}, "--emit-dir and --force go with --emit"},
		{[]string{"--emit", "cloudformation", "--emit-dir", file}, "--emit-dir " + file + " is not a directory"},
	} {
		d, _, _ := testDeps("")
		r := runWith(t, d, append([]string{"fix"}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%q: exit %d: %s", tc.args, r.code, r.err)
		}
	}
}

// A saved plan of an organization (moto's, whose management account is
// the credentials'): the management account's steps get a template of
// their own, the member's the StackSet-ready one; in Terraform the member
// is reached through --role-name, the management account as it is.
func TestFixEmitSavedOrgPlan_Moto(t *testing.T) {
	m := startMoto(t)
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	out, err := organizations.NewFromConfig(cfg).CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		t.Fatal(err)
	}
	const member = "222222222222"
	memberTopic := "arn:aws:sns:eu-west-1:" + member + ":rootwatch-root-activity"
	plan := &fix.Plan{Version: fix.PlanVersion, CreatedAt: fixedNow, Organization: aws.ToString(out.Organization.Id),
		Evidence: map[string]time.Time{motoAccountID: fixedNow, member: fixedNow},
		Steps: []fix.Step{
			{ID: "alarm/" + member + "/eu-west-1/topic:rootwatch-root-activity", Account: member, Region: "eu-west-1", Kind: "alarm", Why: "w",
				Calls: []fix.Call{{Action: "sns:CreateTopic", Params: map[string]any{"Name": "rootwatch-root-activity"}},
					{Action: "sns:Subscribe", Params: map[string]any{"TopicArn": memberTopic, "Protocol": "email", "Endpoint": "sec@example.com", "ReturnSubscriptionArn": true}}}},
			{ID: "scp/" + motoAccountID + "/policy:rootwatch-deny-root", Account: motoAccountID, Region: "us-east-1", Kind: "scp", Why: "w", Covers: []string{member},
				Calls: []fix.Call{{Action: "organizations:CreatePolicy", Params: map[string]any{"Name": "rootwatch-deny-root", "Description": "d", "Type": "SERVICE_CONTROL_POLICY",
					"Content": `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`}},
					{Action: "organizations:AttachPolicy", Params: map[string]any{"PolicyId": "${PolicyId}", "TargetId": member}}}},
			{ID: "root-access/" + motoAccountID + "/organization", Account: motoAccountID, Region: "us-east-1", Kind: "root-access", Why: "w", Covers: []string{member},
				Calls: []fix.Call{{Action: "organizations:EnableAWSServiceAccess", Params: map[string]any{"ServicePrincipal": "iam.amazonaws.com"}},
					{Action: "iam:EnableOrganizationsRootSessions", Params: map[string]any{}}}},
		}}
	dir := t.TempDir()
	planPath := filepath.Join(dir, "plan.json")
	f, err := os.Create(planPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	run := func(args ...string) result {
		d, _, _ := testDeps("")
		d.AWSRecord = rec.record
		return runWith(t, d, append([]string{"fix", "--endpoint-url", m.Endpoint, "--plan", planPath, "--role-name", "Ops"}, args...)...)
	}
	r := run("--emit", "cloudformation", "--emit-dir", filepath.Join(dir, "cfn"))
	if r.code != ExitFailing {
		t.Fatalf("cloudformation: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	if want := "Stacks to deploy (template, account, region, parameters):\n" +
		"  members.template.json  account 222222222222  eu-west-1\n" +
		"  management.template.json  account 123456789012  us-east-1\n"; !strings.Contains(r.out, want) {
		t.Errorf("output lacks %q:\n%s", want, r.out)
	}
	// What no resource makes: in the summary, on stderr, in a file.
	if want := "\nNot expressible as cloudformation, or blocked (listed in " + filepath.Join(dir, "cfn", "not-expressible.json") + " too): apply with rootwatch fix --apply or by hand:\n" +
		"  - account 123456789012 us-east-1: root-access/123456789012/organization organizations:EnableAWSServiceAccess: CloudFormation has no resource for an organization's trusted access: enable it for iam.amazonaws.com before (aws organizations enable-aws-service-access, or rootwatch fix --apply)\n" +
		"  - account 123456789012 us-east-1: root-access/123456789012/organization iam:EnableOrganizationsRootSessions: CloudFormation has no resource for IAM's centralized root access features (aws iam enable-organizations-root-sessions, or rootwatch fix --apply)\n"; !strings.HasSuffix(r.out, want) {
		t.Errorf("output does not end with %q:\n%s", want, r.out)
	}
	if strings.Count(r.err, "not expressible as cloudformation") != 2 || !strings.Contains(r.err, "action=organizations:EnableAWSServiceAccess") {
		t.Errorf("stderr: %s", r.err)
	}
	var listed struct {
		NotExpressible []struct{ Step, Action string } `json:"not_expressible"`
	}
	if data, err := os.ReadFile(filepath.Join(dir, "cfn", "not-expressible.json")); err != nil || json.Unmarshal(data, &listed) != nil ||
		js(listed.NotExpressible) != `[{"Step":"root-access/123456789012/organization","Action":"organizations:EnableAWSServiceAccess"},{"Step":"root-access/123456789012/organization","Action":"iam:EnableOrganizationsRootSessions"}]` {
		t.Errorf("not-expressible.json: %v %+v", err, listed)
	}
	for name, want := range map[string]map[string]string{
		"members.template.json":    {"TopicRootwatchRootActivity": "AWS::SNS::Topic", "SubscriptionRootwatchRootActivity": "AWS::SNS::Subscription"},
		"management.template.json": {"PolicyRootwatchDenyRoot": "AWS::Organizations::Policy"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, "cfn", name))
		if err != nil {
			t.Fatal(err)
		}
		var tmpl cfnTemplate
		if err := json.Unmarshal(data, &tmpl); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for id, res := range tmpl.Resources {
			got[id] = res.Type
		}
		if js(got) != js(want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
		if name == "management.template.json" && js(tmpl.Resources["PolicyRootwatchDenyRoot"].Properties["TargetIds"]) != `["222222222222"]` {
			t.Errorf("SCP targets %v", tmpl.Resources["PolicyRootwatchDenyRoot"].Properties)
		}
	}

	r = run("--emit", "terraform", "--emit-dir", filepath.Join(dir, "tf"))
	if r.code != ExitFailing {
		t.Fatalf("terraform: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "tf", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	hf, diags := hclparse.NewParser().ParseHCL(data, "main.tf")
	if diags.HasErrors() {
		t.Fatalf("main.tf: %s", diags)
	}
	roles := map[string]string{}
	feats := 0
	for _, b := range hf.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "resource" && b.Labels[0] == "aws_iam_organizations_features" {
			feats++
		}
		if b.Type != "provider" {
			continue
		}
		alias, _ := b.Body.Attributes["alias"].Expr.Value(nil)
		roles[alias.AsString()] = ""
		for _, ar := range b.Body.Blocks {
			v, _ := ar.Body.Attributes["role_arn"].Expr.Value(nil)
			roles[alias.AsString()] = v.AsString()
		}
	}
	if want := map[string]string{"a222222222222_eu_west_1": "arn:aws:iam::222222222222:role/Ops", "a123456789012_us_east_1": ""}; js(roles) != js(want) {
		t.Errorf("providers %v, want %v", roles, want)
	}
	if feats != 1 || !strings.Contains(r.err, "not expressible as terraform") || !strings.Contains(string(data), "# NOT EXPRESSIBLE: organizations:EnableAWSServiceAccess: trusted access is aws_organizations_organization's aws_service_access_principals") {
		t.Errorf("root access: %d aws_iam_organizations_features; stderr %s", feats, r.err)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Errorf("--emit made calls: %v", calls)
	}
}

// A file already there, or one an earlier --emit left, stops the whole
// write, before any file is written; with force, every file is replaced
// and what the earlier --emit left is removed; other files stay.
func TestWriteEmitted(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"management.template.json", "members-2.template.json", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files := []emit.File{{Name: "members.template.json", Data: []byte("members")}, {Name: "management.template.json", Data: []byte("management")}}
	err := writeEmitted(dir, files, false)
	if code, _ := ExitCode(err); code != ExitUsage || !strings.Contains(err.Error(), "--emit-dir "+dir+" holds management.template.json, members-2.template.json already") {
		t.Fatalf("exit %d: %v", code, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "members.template.json")); !os.IsNotExist(err) {
		t.Errorf("members.template.json written beside a refused file: %v", err)
	}
	if err := writeEmitted(dir, files, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || string(data) != string(f.Data) {
			t.Errorf("%s: %q %v", f.Name, data, err)
		}
		if fi, err := os.Stat(filepath.Join(dir, f.Name)); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v %v", f.Name, fi.Mode(), err)
		}
	}
	var names []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"management.template.json", "members.template.json", "notes.txt"}; !slices.Equal(names, want) {
		t.Errorf("dir holds %v, want %v", names, want)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeEmitted(dir, []emit.File{{Name: "sub", Data: nil}}, true); err == nil || !strings.Contains(err.Error(), "sub is a directory") {
		t.Errorf("a directory in the way: %v", err)
	}
}
