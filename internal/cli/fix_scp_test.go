package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
)

// scpMFADoc is the default guardrail as 'scp generate --kind
// deny-root-without-mfa' writes it.
const scpMFADoc = `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootWithoutMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"Null":{"aws:AssumedRoot":"true"}}}]}`

// scpFixOrg is scpOrg (prod-a and prod-b under the seed's MFA deny, audit
// in Security, which holds five SCPs) with dev in the empty Sandbox: the
// root-scp-guardrail of audit and dev fails.
func scpFixOrg(t *testing.T, endpoint string) (map[string]string, *organizations.Client) {
	t.Helper()
	ids := scpOrg(t, endpoint)
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("dev"), Email: aws.String("dev@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	ids["dev"] = aws.ToString(out.CreateAccountStatus.AccountId)
	if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(ids["dev"]), SourceParentId: aws.String(ids["root"]), DestinationParentId: aws.String(ids["sandbox"])}); err != nil {
		t.Fatal(err)
	}
	return ids, org
}

// scpStatuses audits the organization and returns root-scp-guardrail's
// status by account name.
func scpStatuses(t *testing.T, endpoint string, ids map[string]string) map[string]string {
	t.Helper()
	r := run(t, "audit", "--org", "--endpoint-url", endpoint, "--format", "json")
	// Exit 3: moto lacks contact information and root rows, which other
	// checks need; root-scp-guardrail reads SCPs only.
	if r.code != ExitOK && r.code != ExitFailing && r.code != ExitPartial {
		t.Fatalf("audit: exit %d: %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	out := map[string]string{}
	for _, name := range []string{"prod-a", "prod-b", "audit", "dev"} {
		st, _ := fs[[2]string{ids[name], "root-scp-guardrail"}]["status"].(string)
		out[name] = st
	}
	st, _ := fs[[2]string{motoAccountID, "root-scp-guardrail"}]["status"].(string)
	out["management"] = st
	return out
}

// policiesNamed lists the SCPs of a name in moto, with where each is
// attached.
func policiesNamed(t *testing.T, org *organizations.Client, name string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	list, err := org.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Policies {
		if aws.ToString(p.Name) != name {
			continue
		}
		ts, err := org.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: p.Id})
		if err != nil {
			t.Fatal(err)
		}
		targets := []string{}
		for _, x := range ts.Targets {
			targets = append(targets, aws.ToString(x.TargetId))
		}
		slices.Sort(targets)
		out[aws.ToString(p.Id)] = targets
	}
	return out
}

// The default guardrail end to end through the real SDK against moto:
// the audit fails root-scp-guardrail for audit and dev; the dry run plans
// one step that enables SCPs on the root (moto's organization starts with
// them off), creates rootwatch-deny-root-without-mfa and attaches it to
// both, making no mutating call; applied, the policy is in moto, attached
// there; the audit passes; planned again, nothing is left to do.
func TestFixSCPEndToEnd(t *testing.T) {
	m := startMoto(t)
	ids, org := scpFixOrg(t, m.Endpoint)
	before := scpStatuses(t, m.Endpoint, ids)
	if want := map[string]string{"prod-a": "pass", "prod-b": "pass", "audit": "fail", "dev": "fail", "management": "not_applicable"}; !mapsEqual(before, want) {
		t.Fatalf("before: %v, want %v", before, want)
	}
	args := []string{"--org", "--only", "scp", "--endpoint-url", m.Endpoint}

	rec := &recorder{}
	d, _, _ := testDeps("")
	d.AWSRecord = rec.record
	r := runFixWith(t, d, fixHooks{}, args...)
	if r.code != ExitFailing {
		t.Fatalf("dry run: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	members := []string{ids["audit"], ids["dev"]}
	slices.Sort(members)
	docJSON, _ := json.Marshal(scpMFADoc)
	for _, want := range []string{
		"Plan: 1 step(s) in 1 account(s) to apply. Nothing changes without --apply.",
		"1. scp/123456789012/policy:rootwatch-deny-root-without-mfa  [scp] account 123456789012 us-east-1",
		"   fixes: root-scp-guardrail \n",
		`   - organizations:EnablePolicyType {"PolicyType":"SERVICE_CONTROL_POLICY","RootId":"` + ids["root"] + `"}`,
		`   - organizations:CreatePolicy {"Content":` + string(docJSON) + `,"Description":"rootwatch: deny the root user of member accounts every action without MFA","Name":"rootwatch-deny-root-without-mfa","Type":"SERVICE_CONTROL_POLICY"}`,
		`   - organizations:AttachPolicy {"PolicyId":"${PolicyId}","TargetId":"` + members[0] + `"}`,
		`   - organizations:AttachPolicy {"PolicyId":"${PolicyId}","TargetId":"` + members[1] + `"}`,
		"   why: root-scp-guardrail fails in " + members[0] + ", " + members[1] + "; rootwatch-deny-root-without-mfa denies member accounts' root every action without MFA",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.out)
		}
	}
	calls := rec.take()
	if len(calls) == 0 {
		t.Fatal("no AWS call recorded")
	}
	for _, c := range calls {
		if mutating(c) {
			t.Errorf("the dry run made a mutating call: %s", c)
		}
	}
	if got := policiesNamed(t, org, "rootwatch-deny-root-without-mfa"); len(got) != 0 {
		t.Fatalf("after the dry run: %v", got)
	}

	log := filepath.Join(t.TempDir(), "run.jsonl")
	d, _, _ = testDeps("")
	d.AWSRecord = rec.record
	r = runFixWith(t, d, fixHooks{}, append(slices.Clone(args), "--apply", "--yes", "--log", log)...)
	if r.code != 0 || r.out != "applied  scp/123456789012/policy:rootwatch-deny-root-without-mfa  account 123456789012\n" {
		t.Fatalf("apply: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	// What the dry run and the apply called is in 'permissions --for fix'
	// (and --for management, for the audit fix runs first).
	fixPolicyCovers(t, append(calls, rec.take()...), []string{"organizations:ListRoots", "organizations:ListPolicies", "organizations:ListPoliciesForTarget",
		"organizations:EnablePolicyType", "organizations:CreatePolicy", "organizations:AttachPolicy"})
	got := policiesNamed(t, org, "rootwatch-deny-root-without-mfa")
	if len(got) != 1 {
		t.Fatalf("policies %v", got)
	}
	var policyID string
	for id, targets := range got {
		policyID = id
		if !slices.Equal(targets, members) {
			t.Errorf("attached to %v, want %v", targets, members)
		}
	}
	lines, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		var e fix.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("run log line %q: %v", l, err)
		}
		actions = append(actions, e.Action+" "+e.Result+" "+e.Output["PolicyId"]+" "+strings.Join(func() []string {
			var u []string
			for _, c := range e.Undo {
				u = append(u, c.String())
			}
			return u
		}(), ","))
	}
	wantLog := []string{
		`organizations:EnablePolicyType ok  organizations:DisablePolicyType {"PolicyType":"SERVICE_CONTROL_POLICY","RootId":"` + ids["root"] + `"}`,
		"organizations:CreatePolicy ok " + policyID + ` organizations:DeletePolicy {"PolicyId":"` + policyID + `"}`,
		"organizations:AttachPolicy ok  " + `organizations:DetachPolicy {"PolicyId":"` + policyID + `","TargetId":"` + members[0] + `"}`,
		"organizations:AttachPolicy ok  " + `organizations:DetachPolicy {"PolicyId":"` + policyID + `","TargetId":"` + members[1] + `"}`,
	}
	if !slices.Equal(actions, wantLog) {
		t.Errorf("run log\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(wantLog, "\n"))
	}

	after := scpStatuses(t, m.Endpoint, ids)
	if want := map[string]string{"prod-a": "pass", "prod-b": "pass", "audit": "pass", "dev": "pass", "management": "not_applicable"}; !mapsEqual(after, want) {
		t.Errorf("after: %v, want %v", after, want)
	}
	r = run(t, append([]string{"fix"}, append(slices.Clone(args), "--format", "json")...)...)
	if r.code != 0 {
		t.Fatalf("plan again: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	var p fix.Plan
	if err := json.Unmarshal([]byte(r.out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 0 || len(p.Errors) != 0 {
		t.Errorf("planned again: %s", r.out)
	}
}

// A deny-root over the --keep-root account is blocked, naming the account
// and the target and what to do; dev's attachment is still planned. A
// target at the quota (--max-scps 5) is blocked too.
func TestFixSCPRefusals(t *testing.T) {
	m := startMoto(t)
	ids, _ := scpFixOrg(t, m.Endpoint)
	r := run(t, "fix", "--org", "--only", "scp", "--guardrail", "deny-root", "--keep-root", ids["audit"], "--endpoint-url", m.Endpoint)
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	a, dev := ids["audit"], ids["dev"]
	for _, want := range []string{
		"Plan: 1 step(s) in 1 account(s) to apply, 1 blocked. Nothing changes without --apply.",
		"scp/" + a + "/" + a + "  [scp] account " + a + " us-east-1",
		"   BLOCKED: break-glass account " + a + " (audit) would be locked out: rootwatch-deny-root at " + a + " (audit) denies its root every action (root sign-in included); " +
			"place it where " + a + " is not, or leave it out of --keep-root; or choose --guardrail deny-root-without-mfa (the break-glass root keeps its way in with its MFA device) " +
			"or --guardrail root-ip-allowlist --cidr RANGE (it keeps it from those ranges)\n",
		"scp/123456789012/policy:rootwatch-deny-root  [scp] account 123456789012 us-east-1",
		`   - organizations:AttachPolicy {"PolicyId":"${PolicyId}","TargetId":"` + dev + `"}`,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("keep-root: lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, `"TargetId":"`+a+`"`) {
		t.Errorf("keep-root: attaches deny-root to %s:\n%s", a, r.out)
	}

	r = run(t, "fix", "--org", "--only", "scp", "--guardrail-target", ids["security"]+","+ids["sandbox"], "--max-scps", "5", "--endpoint-url", m.Endpoint)
	if r.code != ExitPartial {
		t.Fatalf("quota: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	for _, want := range []string{
		"scp/123456789012/" + ids["security"] + "  [scp] account 123456789012 us-east-1",
		"   BLOCKED: " + ids["security"] + " (Root/Security) already holds 5 of 5 SCPs: attaching rootwatch-deny-root-without-mfa there fails (ConstraintViolationException); detach one or place it at another level; or raise --max-scps if AWS raised your quota\n",
		`   - organizations:AttachPolicy {"PolicyId":"${PolicyId}","TargetId":"` + ids["sandbox"] + `"}`,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("quota: lacks %q:\n%s", want, r.out)
		}
	}
}

// policiesFault refuses AttachPolicy to one target, as AWS does when an
// SCP or a quota stands in the way (moto accepts every attachment).
type policiesFault struct {
	fix.PoliciesAPI
	target string
	err    error
}

func (f policiesFault) AttachPolicy(ctx context.Context, in *organizations.AttachPolicyInput, o ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error) {
	if aws.ToString(in.TargetId) == f.target {
		return nil, f.err
	}
	return f.PoliciesAPI.AttachPolicy(ctx, in, o...)
}

func attachRefused(target string, err error) fixHooks {
	return fixHooks{reach: func(account string, r fix.Reach) fix.Reach {
		return func(region string) fix.Clients {
			c := r(region)
			if c.Policies != nil {
				c.Policies = policiesFault{c.Policies, target, err}
			}
			return c
		}
	}}
}

// AttachPolicy refused at apply: the step that creates the policy fails
// and undoes what it made (the other attachment, the policy, SCPs
// enabled), exit 3.
// With the policy left from an earlier run, each attachment is a step of
// its own: the refused one fails, the other is applied.
func TestFixSCPAttachRefused_FakeConstraintViolation(t *testing.T) {
	m := startMoto(t)
	ids, org := scpFixOrg(t, m.Endpoint)
	args := []string{"--org", "--only", "scp", "--endpoint-url", m.Endpoint, "--apply", "--yes"}
	dir := t.TempDir()
	refused := &smithy.GenericAPIError{Code: "ConstraintViolationException", Message: "You have attached the maximum number of policies"}
	d, _, _ := testDeps("")
	r := runFixWith(t, d, attachRefused(ids["dev"], refused), append(slices.Clone(args), "--log", filepath.Join(dir, "run1.jsonl"))...)
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	want := "failed   scp/123456789012/policy:rootwatch-deny-root-without-mfa  account 123456789012  account 123456789012, step scp/123456789012/policy:rootwatch-deny-root-without-mfa: " +
		"organizations:AttachPolicy: api error ConstraintViolationException: You have attached the maximum number of policies (its calls were undone)\n"
	if r.out != want {
		t.Errorf("results\n%s\nwant\n%s", r.out, want)
	}
	if got := policiesNamed(t, org, "rootwatch-deny-root-without-mfa"); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
	if scpEnabled(t, org) {
		t.Error("SCPs left enabled on the root")
	}
	if st := scpStatuses(t, m.Endpoint, ids); st["audit"] != "fail" || st["dev"] != "fail" {
		t.Errorf("after the failed step: %v", st)
	}

	// An earlier run's policy, unattached, SCPs on: reused, one step per
	// account.
	ctx := context.Background()
	if _, err := org.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(ids["root"]), PolicyType: orgtypes.PolicyTypeServiceControlPolicy}); err != nil {
		t.Fatal(err)
	}
	pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("rootwatch-deny-root-without-mfa"), Description: aws.String("earlier"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(scpMFADoc)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(pol.Policy.PolicySummary.Id)
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
	d, _, _ = testDeps("")
	r = runFixWith(t, d, attachRefused(ids["dev"], denied), append(slices.Clone(args), "--log", filepath.Join(dir, "run2.jsonl"))...)
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	for _, want := range []string{
		"applied  scp/" + ids["audit"] + "/" + ids["audit"] + "  account " + ids["audit"] + "\n",
		"failed   scp/" + ids["dev"] + "/" + ids["dev"] + "  account " + ids["dev"] + "  account " + ids["dev"] + ", step scp/" + ids["dev"] + "/" + ids["dev"] +
			": organizations:AttachPolicy: api error AccessDeniedException: You don't have permissions to access this resource. (its calls were undone)\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("results lack %q:\n%s", want, r.out)
		}
	}
	if got := policiesNamed(t, org, "rootwatch-deny-root-without-mfa"); len(got) != 1 || !slices.Equal(got[id], []string{ids["audit"]}) {
		t.Errorf("policies %v", got)
	}
	if st := scpStatuses(t, m.Endpoint, ids); st["audit"] != "pass" || st["dev"] != "fail" {
		t.Errorf("after: %v", st)
	}
}

// The scp kind's flags are checked before anything is read.
func TestFixSCPBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--guardrail", "deny-everything"}, `--guardrail "deny-everything": want one of deny-root, deny-root-without-mfa, root-ip-allowlist`},
		{[]string{"--guardrail", "root-ip-allowlist", "--cidr", "203.0.113.0/24,10.0.0.300/8"}, `--cidr "10.0.0.300/8" is not a CIDR range`},
		{[]string{"--guardrail", "root-ip-allowlist", "--cidr", "0.0.0.0/0"}, `--cidr "0.0.0.0/0" allows every IPv4 address`},
		{[]string{"--guardrail", "root-ip-allowlist"}, "root-ip-allowlist needs --cidr"},
		{[]string{"--cidr", "203.0.113.0/24"}, "--cidr is for --guardrail root-ip-allowlist only, not deny-root-without-mfa"},
		{[]string{"--guardrail-target", "Prod"}, `--guardrail-target "Prod" is neither a root (r-...), an OU (ou-...-...) nor an account ID (12 digits)`},
		{[]string{"--max-scps", "0"}, "--max-scps must be more than 0"},
		{[]string{"--plan", "plan.json", "--guardrail", "deny-root"}, "--plan applies a saved plan as it is: --guardrail, --cidr and --guardrail-target shape a new plan"},
	} {
		r := run(t, append([]string{"fix"}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || r.out != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 with %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// scpEnabled says whether SCPs are on on the organization's root.
func scpEnabled(t *testing.T, org *organizations.Client) bool {
	t.Helper()
	out, err := org.ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Roots[0].PolicyTypes {
		if p.Type == orgtypes.PolicyTypeServiceControlPolicy && p.Status == orgtypes.PolicyTypeStatusEnabled {
			return true
		}
	}
	return false
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
