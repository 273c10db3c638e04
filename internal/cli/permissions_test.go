package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rootwatch/rootwatch/internal/collect"
)

// policyActions runs 'permissions' with args and returns each statement's
// actions by Sid, checking the document's shape.
func policyActions(t *testing.T, args ...string) map[string][]string {
	t.Helper()
	r := run(t, append([]string{"permissions"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("permissions %v: exit %d: %s", args, r.code, r.err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Sid, Effect, Resource string
			Action                []string
		}
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("permissions %v: %v", args, err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("permissions %v: version %q", args, doc.Version)
	}
	out := map[string][]string{}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Resource != "*" {
			t.Errorf("permissions %v: statement %+v", args, s)
		}
		out[s.Sid] = s.Action
	}
	return out
}

// The literal policy of every --for value, statement by statement.
func TestPermissionsForEveryRole(t *testing.T) {
	read := []string{"account:GetAlternateContact", "account:GetContactInformation", "budgets:ViewBudget", "cloudtrail:DescribeTrails",
		"cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus", "cloudwatch:DescribeAlarmsForMetric", "ec2:DescribeInstances",
		"ec2:DescribeRegions", "iam:GetAccountSummary", "iam:GetCredentialReport", "iam:ListVirtualMFADevices", "logs:DescribeMetricFilters",
		"rds:DescribeDBInstances", "s3:ListAllMyBuckets", "sns:ListSubscriptionsByTopic", "sts:GetCallerIdentity"}
	generate := []string{"iam:GenerateCredentialReport"}
	org := []string{"iam:ListOrganizationsFeatures", "organizations:DescribeOrganization", "organizations:DescribePolicy", "organizations:ListAccountsForParent",
		"organizations:ListOrganizationalUnitsForParent", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "sts:AssumeRole"}
	assumeRoot := []string{"sts:AssumeRoot"}
	logs := []string{"kms:Decrypt", "s3:GetObject", "s3:ListBucket"}
	athena := []string{"athena:GetQueryExecution", "athena:GetQueryResults", "athena:StartQueryExecution", "athena:StopQueryExecution",
		"glue:GetDatabase", "glue:GetPartitions", "glue:GetTable"}
	athenaS3 := []string{"kms:Decrypt", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
		"s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:PutObject"}
	all := map[string][]string{"RootwatchAuditRead": read, "RootwatchGenerateCredentialReport": generate, "RootwatchOrganization": org,
		"RootwatchAssumeRoot": assumeRoot, "RootwatchCloudTrailLogsRead": logs, "RootwatchAthenaQuery": athena, "RootwatchAthenaS3": athenaS3}
	for _, c := range []struct {
		args []string
		want map[string][]string
	}{
		{nil, all},
		{[]string{"--for", "all"}, all},
		{[]string{"--for", "member"}, map[string][]string{"RootwatchAuditRead": read, "RootwatchGenerateCredentialReport": generate}},
		{[]string{"--for", "management"}, map[string][]string{"RootwatchAuditRead": read, "RootwatchGenerateCredentialReport": generate,
			"RootwatchOrganization": org, "RootwatchAssumeRoot": assumeRoot}},
		{[]string{"--for", "s3-logs"}, map[string][]string{"RootwatchCloudTrailLogsRead": logs}},
		{[]string{"--for", "athena"}, map[string][]string{"RootwatchAthenaQuery": athena, "RootwatchAthenaS3": athenaS3}},
		{[]string{"--for", "fix"}, map[string][]string{
			"RootwatchFixPlanRead": {"account:GetAlternateContact", "budgets:ViewBudget", "cloudwatch:DescribeAlarms", "events:DescribeRule", "events:ListTargetsByRule", "iam:ListOrganizationsFeatures", "logs:DescribeMetricFilters",
				"organizations:DescribeOrganization", "organizations:DescribePolicy", "organizations:ListAWSServiceAccessForOrganization",
				"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent", "organizations:ListPolicies",
				"organizations:ListPoliciesForTarget", "organizations:ListRoots", "sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sts:AssumeRoot"},
			"RootwatchFixApply": {"account:DeleteAlternateContact", "account:PutAlternateContact", "budgets:ModifyBudget", "cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "events:DeleteRule", "events:PutRule", "events:PutTargets",
				"events:RemoveTargets", "iam:DisableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootSessions",
				"iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions",
				"logs:DeleteMetricFilter", "logs:PutMetricFilter", "organizations:AttachPolicy", "organizations:CreatePolicy", "organizations:DeletePolicy",
				"organizations:DetachPolicy", "organizations:DisableAWSServiceAccess", "organizations:DisablePolicyType",
				"organizations:EnableAWSServiceAccess", "organizations:EnablePolicyType",
				"sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sts:AssumeRoot"},
		}},
	} {
		got := policyActions(t, c.args...)
		for sid := range got {
			slices.Sort(got[sid])
		}
		if len(got) != len(c.want) {
			t.Errorf("permissions %v: statements %v, want %d", c.args, got, len(c.want))
		}
		for sid, want := range c.want {
			if !slices.Equal(got[sid], want) {
				t.Errorf("permissions %v: %s = %v\nwant %v", c.args, sid, got[sid], want)
			}
		}
	}
}

// --for names its accepted values in its help and in the error for any
// other value.
func TestPermissionsForValues(t *testing.T) {
	r := run(t, "permissions", "--for", "everyone")
	if r.code != ExitUsage || !strings.Contains(r.err, `--for "everyone": want one of all, management, member, s3-logs, athena, fix`) {
		t.Errorf("--for everyone: exit %d, %q", r.code, r.err)
	}
	help := run(t, "permissions", "--help").out
	for _, v := range []string{"--for all", "--for member", "--for management", "--for s3-logs", "--for athena",
		"--for fix", "WHO the policy is for: all, management, member, s3-logs, athena, fix"} {
		if !strings.Contains(help, v) {
			t.Errorf("help lacks %q:\n%s", v, help)
		}
	}
}

// What the commands that read CloudTrail from S3 or query Athena really
// call, through the real SDK against moto, is in the policy for them: the
// recorded SDK operations are named as IAM actions by this literal table.
func TestPermissionsCoverWhatIsCalled(t *testing.T) {
	m := startMoto(t)
	iamName := map[string]string{
		"s3:ListObjectsV2":             "s3:ListBucket",
		"s3:GetObject":                 "s3:GetObject",
		"athena:StartQueryExecution":   "athena:StartQueryExecution",
		"athena:GetQueryExecution":     "athena:GetQueryExecution",
		"athena:GetQueryResults":       "athena:GetQueryResults",
		"athena:StopQueryExecution":    "athena:StopQueryExecution",
		"sts:GetCallerIdentity":        "sts:GetCallerIdentity",
		"iam:GenerateCredentialReport": "iam:GenerateCredentialReport",
	}
	_, files := trailTree(t)
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	api := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	// The fixture report's account, with a log delivered in the audit's window.
	files["AWSLogs/278368863034/CloudTrail/us-east-1/2026/11/20/278368863034_CloudTrail_us-east-1_20261120T1630Z_d4.json.gz"] =
		files["AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1630Z_b2.json.gz"]
	for k, v := range files {
		if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String("logs/" + k), Body: bytes.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		args   []string
		policy string   // --for
		must   []string // IAM actions the run must have needed
	}{
		{"trail s3://", []string{"trail", "s3://org-trail/logs/", "--endpoint-url", m.Endpoint, "--format", "jsonl"}, "s3-logs",
			[]string{"s3:ListBucket", "s3:GetObject"}},
		{"audit --cloudtrail s3://", []string{"audit", "--credential-report", fixture(t), "--cloudtrail", "s3://org-trail/logs/", "--endpoint-url", m.Endpoint,
			"--format", "json"}, "s3-logs", []string{"s3:ListBucket", "s3:GetObject"}},
		{"trail --athena", []string{"trail", "--athena", "--endpoint-url", m.Endpoint, "--database", "security", "--output-location", "s3://athena-results/",
			"--format", "jsonl"}, "athena", []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"}},
	} {
		var mu sync.Mutex
		var calls []string
		d, _, _ := testDeps("")
		d.AWSRecord = func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() }
		r := runWith(t, d, c.args...)
		if r.code == ExitUsage || r.code == ExitPartial {
			t.Errorf("%s: exit %d: %s", c.name, r.code, r.err)
		}
		var allowed []string
		for _, acts := range policyActions(t, "--for", c.policy) {
			allowed = append(allowed, acts...)
		}
		var needed []string
		for _, call := range calls {
			name, ok := iamName[call]
			if !ok {
				t.Errorf("%s: called %s, which this test cannot name as an IAM action", c.name, call)
				continue
			}
			needed = append(needed, name)
			if !slices.Contains(allowed, name) {
				t.Errorf("%s: called %s, which --for %s does not allow", c.name, name, c.policy)
			}
		}
		for _, a := range c.must {
			if !slices.Contains(needed, a) {
				t.Errorf("%s: %s was not needed: calls %v", c.name, a, calls)
			}
		}
	}
}

// fixPolicyCovers checks that every AWS call a fix run made (recorded as
// collect.ActionName names them: IAM's names) is allowed by the policies
// 'permissions --for fix' and '--for management' print (the live audit
// fix runs first needs the latter), and that the run needed each action
// of must.
func fixPolicyCovers(t *testing.T, calls, must []string) {
	t.Helper()
	var allowed []string
	for _, role := range []string{"fix", "management"} {
		for _, acts := range policyActions(t, "--for", role) {
			allowed = append(allowed, acts...)
		}
	}
	for _, c := range calls {
		if !slices.Contains(allowed, c) {
			t.Errorf("fix called %s, which neither --for fix nor --for management allows", c)
		}
	}
	for _, a := range must {
		if !slices.Contains(calls, a) {
			t.Errorf("%s was not needed: calls %v", a, calls)
		}
	}
}

// What fix really calls to plan and apply the alarm kind, through the
// real SDK against moto, is in its policy. The trail's delivery to
// CloudWatch Logs comes from a fake (moto has none).
func TestFixPermissionsCoverWhatIsCalled_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	rec := &recorder{}
	d, _, _ := testDeps("")
	d.AWSClients, d.AWSRecord = withTrailDelivered, rec.record
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--notify", "email:sec@example.com", "--apply", "--yes", "--log", filepath.Join(t.TempDir(), "run.jsonl"))
	if r.code != 0 {
		t.Fatalf("apply: exit %d: %s", r.code, r.err)
	}
	fixPolicyCovers(t, rec.take(), []string{"events:DescribeRule", "sns:GetTopicAttributes", "sns:CreateTopic", "sns:SetTopicAttributes", "sns:Subscribe",
		"logs:PutMetricFilter", "cloudwatch:PutMetricAlarm", "events:PutRule", "events:PutTargets"})
}
