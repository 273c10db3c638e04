package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/scp/orgread"
)

func TestScpGenerate(t *testing.T) {
	r := run(t, "scp", "generate", "--kind", "deny-root")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	const policy = `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRoot","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}` + "\n"
	if r.out != policy {
		t.Errorf("stdout %q", r.out)
	}
	if r.err != "rootwatch-deny-root: judged deny-all; 211 of 10240 characters minified; centralized-root (AssumeRoot) sessions exempted\n" {
		t.Errorf("stderr %q", r.err)
	}
	// --format json: the policy only.
	r = run(t, "scp", "generate", "--kind", "root-ip-allowlist", "--cidr", "203.0.113.0/24", "--cidr", "2001:db8::/32,198.51.100.7", "--format", "json")
	const ips = `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootOutsideAllowedRanges","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Bool":{"aws:ViaAWSService":"false"},"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32","198.51.100.7/32"]},"Null":{"aws:AssumedRoot":"true"}}}]}` + "\n"
	if r.code != 0 || r.out != ips || r.err != "" {
		t.Errorf("json: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	// Indented, without the exemption: a warning on stderr.
	r = run(t, "scp", "generate", "--kind", "deny-root-without-mfa", "--indent", "--no-assumed-root-exemption")
	const mfa = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "RootwatchDenyRootWithoutMFA",
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {
        "ArnLike": {
          "aws:PrincipalArn": "arn:aws:iam::*:root"
        },
        "BoolIfExists": {
          "aws:MultiFactorAuthPresent": "false"
        }
      }
    }
  ]
}
`
	if r.code != 0 || r.out != mfa {
		t.Errorf("indented: exit %d, stdout %s", r.code, r.out)
	}
	if !strings.Contains(r.err, "level=WARN msg=\"without the aws:AssumedRoot exemption the deny covers centralized-root (sts:AssumeRoot) sessions too") ||
		!strings.Contains(r.err, "rootwatch-deny-root-without-mfa: judged deny-without-mfa; 241 of 10240 characters minified; no aws:AssumedRoot exemption\n") {
		t.Errorf("stderr %q", r.err)
	}
}

func TestScpGenerateBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--kind is required: deny-root, deny-root-without-mfa, root-ip-allowlist"},
		{[]string{"--kind", "deny-everything"}, `unknown guardrail kind "deny-everything"`},
		{[]string{"--kind", "root-ip-allowlist", "--cidr", "203.0.113.0/24,10.0.0.300/8"}, `--cidr "10.0.0.300/8" is not a CIDR range`},
		{[]string{"--kind", "root-ip-allowlist", "--cidr", "0.0.0.0/0"}, `--cidr "0.0.0.0/0" allows every IPv4 address: an allow list of everything confines nothing`},
		{[]string{"--kind", "root-ip-allowlist", "--cidr", "::/0"}, `--cidr "::/0" allows every IPv6 address`},
		{[]string{"--kind", "root-ip-allowlist"}, "root-ip-allowlist needs --cidr"},
		{[]string{"--kind", "deny-root", "--max-size", "210"}, "the deny-root policy is 211 characters minified, over the SCP quota of 210"},
		{[]string{"--kind", "deny-root", "--format", "yaml"}, `unknown format "yaml" (valid: text, json)`},
		{[]string{"--kind", "deny-root", "--kind", "deny-root-without-mfa"}, "--kind given twice"},
	} {
		r := run(t, append([]string{"scp", "generate"}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || r.out != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit 2 with %q", tc.args, r.code, r.err, r.out, tc.want)
		}
	}
}

func TestScpSimulateBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind", "deny-root"}, "--target is required"},
		{[]string{"--kind", "deny-root", "--target", "Prod"}, `--target "Prod" is neither a root (r-...), an OU (ou-...-...) nor an account ID (12 digits)`},
		{[]string{"--kind", "deny-root", "--target", "r-ab12", "--keep-root", "audit"}, `--keep-root "audit" is not an account ID (12 digits)`},
		{[]string{"--kind", "root-ip-allowlist", "--cidr", "corp", "--target", "r-ab12"}, `--cidr "corp" is not a CIDR range nor an IP address`},
		{[]string{"--kind", "deny-root", "--target", "r-ab12", "--max-scps", "0"}, "--max-scps must be more than 0"},
		{[]string{"--kind", "deny-root", "--target", "r-ab12", "--format", "csv"}, `unknown format "csv" (valid: table, json)`},
	} {
		r := run(t, append([]string{"scp", "simulate"}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || r.out != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 with %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// scpOrg builds an organization in moto: OUs Root/Workloads/Prod,
// Root/Security and Root/Sandbox (empty), prod-a and prod-b in Prod under
// the seed's deny-root-without-MFA SCP, the break-glass account audit in
// Security, which holds five SCPs (FullAWSAccess, which moto attaches to
// every OU and account as AWS does, and four more). It returns the IDs by
// name.
func scpOrg(t *testing.T, endpoint string) map[string]string {
	t.Helper()
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"root": aws.ToString(roots.Roots[0].Id)}
	ou := func(parent, name string) string {
		out, err := org.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	ids["workloads"] = ou(ids["root"], "Workloads")
	ids["prod"] = ou(ids["workloads"], "Prod")
	ids["security"] = ou(ids["root"], "Security")
	ids["sandbox"] = ou(ids["root"], "Sandbox")
	for _, a := range [][2]string{{"prod-a", "prod"}, {"prod-b", "prod"}, {"audit", "security"}} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(a[0]), Email: aws.String(a[0] + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(ids["root"]), DestinationParentId: aws.String(ids[a[1]])}); err != nil {
			t.Fatal(err)
		}
		ids[a[0]] = id
	}
	attach := func(name, doc, target string) {
		pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(name),
			Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := org.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pol.Policy.PolicySummary.Id, TargetId: aws.String(target)}); err != nil {
			t.Fatal(err)
		}
	}
	seed, err := os.ReadFile("../scp/testdata/deny-root-without-mfa.json")
	if err != nil {
		t.Fatal(err)
	}
	attach("root-mfa", string(seed), ids["prod"])
	for i := range 4 {
		attach(fmt.Sprintf("guard-%d", i), `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:DeleteVpc","Resource":"*"}]}`, ids["security"])
	}
	return ids
}

// expand puts the IDs in a literal; rows, lines starting with an account
// placeholder, are put in account ID order as the output lists them.
func expand(s string, ids map[string]string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		for name, id := range ids {
			lines[i] = strings.ReplaceAll(lines[i], "{"+name+"}", id)
		}
	}
	// Sort each run of account rows (12 digits then two spaces).
	isRow := func(l string) bool {
		return len(l) > 14 && strings.Trim(l[:12], "0123456789") == "" && l[12:14] == "  "
	}
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && isRow(lines[j]) {
			j++
		}
		sort.Strings(lines[i:j])
		if j == i {
			j++
		}
		i = j
	}
	return strings.Join(lines, "\n")
}

// The simulation end to end through the real SDK against moto: the
// organization read as it is, the management account never covered, a
// target at the quota of five (--max-scps 5) and a break-glass root that
// deny-root would lock out, each blocking its placement (exit 2, after
// the output), and only declared, read-only calls made.
func TestScpSimulateAgainstMoto(t *testing.T) {
	m := startMoto(t)
	ids := scpOrg(t, m.Endpoint)
	var mu sync.Mutex
	var calls []string
	d, _, _ := testDeps("")
	d.AWSRecord = func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() }
	r := runWith(t, d, "scp", "simulate", "--endpoint-url", m.Endpoint, "--kind", "deny-root",
		"--target", ids["root"], "--target", ids["security"]+","+ids["sandbox"], "--keep-root", ids["audit"], "--max-scps", "5")
	want := expand(`Guardrail rootwatch-deny-root (deny-all): 211 of 10240 characters, centralized-root (AssumeRoot) sessions exempted

At root {root} (Root): 3 accounts newly covered, 0 covered already, of 3 member accounts; SCPs attached there: 1 of 5
ACCOUNT       NAME    PATH                 NOW               WITH IT                       CHANGE
123456789012  master  Root                 -                 -                             never covered: the management account (SCPs do not apply)
{prod-a}  prod-a  Root/Workloads/Prod  deny-without-mfa  deny-all (AssumeRoot exempt)  newly covered
{prod-b}  prod-b  Root/Workloads/Prod  deny-without-mfa  deny-all (AssumeRoot exempt)  newly covered
{audit}  audit   Root/Security        none              deny-all (AssumeRoot exempt)  newly covered; break-glass (--keep-root)
At the quota of 5 SCPs:
  {security} (Root/Security): 5 attached
Blocked: break-glass account {audit} (audit) would be locked out: rootwatch-deny-root at {root} (Root) denies its root every action (root sign-in included); place it where {audit} is not, or leave it out of --keep-root

At ou {security} (Root/Security): 1 account newly covered, 0 covered already, of 1 member account; SCPs attached there: 5 of 5
ACCOUNT       NAME   PATH           NOW   WITH IT                       CHANGE
{audit}  audit  Root/Security  none  deny-all (AssumeRoot exempt)  newly covered; break-glass (--keep-root)
At the quota of 5 SCPs:
  {security} (Root/Security): 5 attached
Blocked: {security} (Root/Security) already holds 5 of 5 SCPs: attaching rootwatch-deny-root there fails (ConstraintViolationException); detach one or place it at another level
Blocked: break-glass account {audit} (audit) would be locked out: rootwatch-deny-root at {security} (Root/Security) denies its root every action (root sign-in included); place it where {audit} is not, or leave it out of --keep-root

At ou {sandbox}: 0 accounts newly covered, 0 covered already, of 0 member accounts; SCPs attached there: 1 of 5
No account under it.
`, ids)
	if r.out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.out, want)
	}
	wantErr := expand(`placing rootwatch-deny-root at {root} is blocked: break-glass account {audit} (audit) would be locked out: rootwatch-deny-root at {root} (Root) denies its root every action (root sign-in included); place it where {audit} is not, or leave it out of --keep-root
placing rootwatch-deny-root at {security} is blocked: {security} (Root/Security) already holds 5 of 5 SCPs: attaching rootwatch-deny-root there fails (ConstraintViolationException); detach one or place it at another level; break-glass account {audit} (audit) would be locked out: rootwatch-deny-root at {security} (Root/Security) denies its root every action (root sign-in included); place it where {audit} is not, or leave it out of --keep-root`, ids)
	if r.code != ExitUsage || r.err != wantErr {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", r.code, r.err, wantErr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) == 0 {
		t.Fatal("no AWS call recorded")
	}
	for _, c := range calls {
		if !slices.Contains(orgread.Actions(), c) {
			t.Errorf("undeclared call %s", c)
		}
	}
}

// At the default quota the same OU has room; an MFA deny keeps the
// break-glass root's way in (with a warning), and JSON carries it all.
func TestScpSimulateJSONAgainstMoto(t *testing.T) {
	m := startMoto(t)
	ids := scpOrg(t, m.Endpoint)
	r := run(t, "scp", "simulate", "--endpoint-url", m.Endpoint, "--kind", "deny-root-without-mfa",
		"--target", ids["security"], "--target", ids["workloads"], "--keep-root", ids["audit"], "--format", "json")
	if r.code != 0 || r.err != "" {
		t.Fatalf("exit %d, stderr %s", r.code, r.err)
	}
	var doc struct {
		Organization string `json:"organization"`
		Management   string `json:"management_account"`
		Guardrail    struct {
			Kind, Guardrail, Name string
			Size                  int
			Document              json.RawMessage
		} `json:"guardrail"`
		Placements []struct {
			Target             string
			TargetKind         string `json:"target_kind"`
			TargetName         string `json:"target_name"`
			Attached           int
			MaxPerTarget       int `json:"max_per_target"`
			Full               bool
			NewlyCovered       int `json:"newly_covered"`
			Covered            int
			Problems, Warnings []string
			FullTargets        []any `json:"full_targets"`
			Accounts           []struct {
				ID       string
				KeepRoot bool `json:"keep_root"`
				Now      struct{ Kind string }
				After    struct {
					Kind              string
					AssumedRootExempt bool `json:"assumed_root_exempt"`
				}
				Newly bool `json:"newly_covered"`
			}
		} `json:"placements"`
		Unread []string `json:"unread"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	if !strings.HasPrefix(doc.Organization, "o-") || doc.Management != "123456789012" || doc.Unread == nil || len(doc.Unread) != 0 {
		t.Errorf("organization %q, management %q, unread %v", doc.Organization, doc.Management, doc.Unread)
	}
	if doc.Guardrail.Kind != "deny-root-without-mfa" || doc.Guardrail.Guardrail != "deny-without-mfa" || doc.Guardrail.Name != "rootwatch-deny-root-without-mfa" || doc.Guardrail.Size != 275 ||
		compact(t, doc.Guardrail.Document) != `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootWithoutMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"Null":{"aws:AssumedRoot":"true"}}}]}` {
		t.Errorf("guardrail %+v", doc.Guardrail)
	}
	if len(doc.Placements) != 2 {
		t.Fatalf("placements %+v", doc.Placements)
	}
	sec, work := doc.Placements[0], doc.Placements[1]
	if sec.Target != ids["security"] || sec.TargetKind != "ou" || sec.TargetName != "Root/Security" || sec.Attached != 5 || sec.MaxPerTarget != 10 || sec.Full ||
		sec.NewlyCovered != 1 || sec.Covered != 0 || len(sec.Problems) != 0 || len(sec.FullTargets) != 0 || len(sec.Accounts) != 1 {
		t.Errorf("security %+v", sec)
	}
	a := sec.Accounts[0]
	if a.ID != ids["audit"] || !a.KeepRoot || a.Now.Kind != "none" || a.After.Kind != "deny-without-mfa" || !a.After.AssumedRootExempt || !a.Newly {
		t.Errorf("audit %+v", a)
	}
	wantWarn := "break-glass account " + ids["audit"] + " (audit) keeps its break-glass path only with MFA: its root must sign in with its MFA device, and its access keys stop working"
	if strings.Join(sec.Warnings, "|") != wantWarn {
		t.Errorf("warnings %q", sec.Warnings)
	}
	// Prod already has the seed's MFA deny: covered already, none newly.
	if work.Target != ids["workloads"] || work.NewlyCovered != 0 || work.Covered != 2 || len(work.Accounts) != 2 || len(work.Warnings) != 0 {
		t.Errorf("workloads %+v", work)
	}
	for _, a := range work.Accounts {
		if a.Now.Kind != "deny-without-mfa" || a.After.Kind != "deny-without-mfa" || a.Newly {
			t.Errorf("workloads account %+v", a)
		}
	}
}

// A target the organization does not hold is exit 2 naming it.
func TestScpSimulateUnknownTargetAgainstMoto(t *testing.T) {
	m := startMoto(t)
	ids := scpOrg(t, m.Endpoint)
	for _, target := range []string{"ou-" + strings.TrimPrefix(ids["root"], "r-") + "-zzzzzzzz", "999999999999"} {
		r := run(t, "scp", "simulate", "--endpoint-url", m.Endpoint, "--kind", "deny-root", "--target", target)
		if r.code != ExitUsage || !strings.Contains(r.err, "scp simulate --target "+target+": target not found in the organization") || r.out != "" {
			t.Errorf("%s: exit %d, stderr %q", target, r.code, r.err)
		}
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %s: %v", raw, err)
	}
	return b.String()
}

// orgDenied stands in for an Organizations API that refuses some reads
// (a delegated administrator without a permission, an SCP on the caller):
// moto grants everything.
type orgDenied struct {
	collect.OrgAPI
	listAccountsOf, policiesOf string
}

func (f orgDenied) ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, o ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	if aws.ToString(in.ParentId) == f.listAccountsOf {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
	}
	return f.OrgAPI.ListAccountsForParent(ctx, in, o...)
}

func (f orgDenied) ListPoliciesForTarget(ctx context.Context, in *organizations.ListPoliciesForTargetInput, o ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error) {
	if aws.ToString(in.TargetId) == f.policiesOf {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
	}
	return f.OrgAPI.ListPoliciesForTarget(ctx, in, o...)
}

// An OU whose accounts cannot be listed: the simulation is written
// without them, says so, and exits 3.
func TestScpSimulate_FakeUnlistedOU(t *testing.T) {
	m := startMoto(t)
	ids := scpOrg(t, m.Endpoint)
	d, _, _ := testDeps("")
	d.OrgAPI = func(cfg aws.Config) collect.OrgAPI {
		return orgDenied{OrgAPI: organizations.NewFromConfig(cfg), listAccountsOf: ids["prod"]}
	}
	r := runWith(t, d, "scp", "simulate", "--endpoint-url", m.Endpoint, "--kind", "deny-root", "--target", ids["workloads"])
	unread := expand("the accounts of Root/Workloads/Prod ({prod}) were not listed: access denied: You don't have permissions to access this resource.", ids)
	if r.code != ExitPartial || !strings.Contains(r.err, "parts of the organization could not be listed; their accounts are missing: "+unread) {
		t.Errorf("exit %d, stderr %q", r.code, r.err)
	}
	want := expand(`
At ou {workloads}: 0 accounts newly covered, 0 covered already, of 0 member accounts; SCPs attached there: 1 of 10
No account under it.
Warning: parts of the organization could not be read, and their accounts are missing: `+unread+"\n", ids)
	if !strings.HasSuffix(r.out, want) {
		t.Errorf("stdout:\n%s\nwant it to end with:\n%s", r.out, want)
	}
}

// SCPs that cannot be read make the simulation wrong: exit 2 naming the
// target whose SCPs were refused, nothing written.
func TestScpSimulate_FakeSCPsUnreadable(t *testing.T) {
	m := startMoto(t)
	ids := scpOrg(t, m.Endpoint)
	d, _, _ := testDeps("")
	d.OrgAPI = func(cfg aws.Config) collect.OrgAPI {
		return orgDenied{OrgAPI: organizations.NewFromConfig(cfg), policiesOf: ids["prod-a"]}
	}
	r := runWith(t, d, "scp", "simulate", "--endpoint-url", m.Endpoint, "--kind", "deny-root", "--target", ids["root"])
	want := expand("read the organization: read the SCPs of {prod-a}: SCPs attached to {prod-a}: access denied: You don't have permissions to access this resource.", ids)
	if r.code != ExitUsage || !strings.Contains(r.err, want) || r.out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", r.code, r.out, r.err, want)
	}
}

// 'rootwatch permissions --for management' grants what simulate calls.
func TestScpSimulateActionsAreInTheManagementPolicy(t *testing.T) {
	var granted []string
	for _, s := range PermissionsPolicy(forManagement).Statement {
		granted = append(granted, s.Action...)
	}
	for _, a := range orgread.Actions() {
		if !slices.Contains(granted, a) {
			t.Errorf("%s is not in the management policy", a)
		}
	}
}

// Generate, attach, audit: the IP allow list 'scp generate' writes,
// attached in moto to the audit account, is what the audit's
// root-scp-guardrail then passes, with the ranges and the exemption in
// its message and evidence. Root rows come from a fake (moto's credential
// report has none).
func TestScpGenerateAttachAudit_FakeRootRow(t *testing.T) {
	m := startMoto(t)
	ids := scpOrg(t, m.Endpoint)
	gen := run(t, "scp", "generate", "--kind", "root-ip-allowlist", "--cidr", "203.0.113.0/24,2001:db8::/32", "--format", "json")
	if gen.code != 0 {
		t.Fatalf("generate: exit %d: %s", gen.code, gen.err)
	}
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("rootwatch-root-ip-allowlist"), Description: aws.String("root from the corporate ranges"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(strings.TrimSpace(gen.out))})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(pol.Policy.PolicySummary.Id)
	if _, err := org.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(ids["audit"])}); err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	r := runWith(t, d, "audit", "--org", "--accounts", ids["audit"], "--endpoint-url", m.Endpoint, "--format", "json")
	if r.code != ExitFailing && r.code != ExitOK {
		t.Fatalf("audit: exit %d: %s", r.code, r.err)
	}
	f := findings(jsonReport(t, r.out))[[2]string{ids["audit"], "root-scp-guardrail"}]
	want := "root is denied outside 203.0.113.0/24, 2001:db8::/32 (from there it acts without MFA) by rootwatch-root-ip-allowlist (" + id + ") on " + ids["audit"] + " (centralized-root sessions exempted)"
	if f["status"] != "pass" || f["message"] != want {
		t.Errorf("root-scp-guardrail: %v %q, want pass %q", f["status"], f["message"], want)
	}
	ev, _ := f["evidence"].(map[string]any)
	if ev["guardrail"] != "deny-outside-ip-ranges" || fmt.Sprint(ev["allowed_ranges"]) != "[203.0.113.0/24 2001:db8::/32]" || ev["assumed_root_exempt"] != true {
		t.Errorf("evidence %v", ev)
	}
}
