package fix

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/model"
)

// The scp tests' organization: the management account at the root,
// members A and B in Workloads, C in Security (which holds five SCPs).
const (
	scMgmt     = "999999999999"
	scA        = "111111111111"
	scB        = "222222222222"
	scC        = "333333333333"
	scOrg      = "o-abcdef1234"
	scRoot     = "r-ab12"
	scWork     = "ou-ab12-11111111"
	scSecurity = "ou-ab12-22222222"
	// The generated guardrails, minified, as 'scp generate' writes them.
	scMFADoc      = `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootWithoutMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"Null":{"aws:AssumedRoot":"true"}}}]}`
	scDenyRootDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRoot","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}`
	scMFADesc     = "rootwatch: deny the root user of member accounts every action without MFA"
	scGuard       = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:DeleteVpc","Resource":"*"}]}`
	scFullAccess  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// scpOrg_Fake is an organization in memory behind the Organizations
// client's interface: its tree, SCPs and attachments. It records the
// mutating calls as "action detail" and fails those fault names
// ("action target").
type scpOrgFake struct {
	mu       sync.Mutex
	scpOn    bool
	parent   map[string]string // OU or account -> parent
	names    map[string]string
	policies map[string][2]string // id -> name, content
	attached map[string][]string  // target -> policy IDs
	next     int
	calls    []string
	fault    map[string]error
}

func newSCPOrgFake() *scpOrgFake {
	f := &scpOrgFake{scpOn: true,
		parent:   map[string]string{scWork: scRoot, scSecurity: scRoot, scMgmt: scRoot, scA: scWork, scB: scWork, scC: scSecurity},
		names:    map[string]string{scWork: "Workloads", scSecurity: "Security", scMgmt: "management", scA: "prod-a", scB: "prod-b", scC: "audit"},
		policies: map[string][2]string{"p-FullAWSAccess": {"FullAWSAccess", scFullAccess}},
		attached: map[string][]string{},
		fault:    map[string]error{},
	}
	for _, t := range []string{scRoot, scWork, scSecurity, scMgmt, scA, scB, scC} {
		f.attached[t] = []string{"p-FullAWSAccess"}
	}
	for i := range 4 {
		id := fmt.Sprintf("p-guard%d", i)
		f.policies[id] = [2]string{fmt.Sprintf("guard-%d", i), scGuard}
		f.attached[scSecurity] = append(f.attached[scSecurity], id)
	}
	return f
}

func (f *scpOrgFake) record(action, detail string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action+" "+detail)
	return f.fault[action+" "+detail]
}

func (f *scpOrgFake) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *scpOrgFake) DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	return &organizations.DescribeOrganizationOutput{Organization: &orgtypes.Organization{Id: aws.String(scOrg), MasterAccountId: aws.String(scMgmt)}}, nil
}

func (f *scpOrgFake) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	r := orgtypes.Root{Id: aws.String(scRoot), Name: aws.String("Root")}
	if f.scpOn {
		r.PolicyTypes = []orgtypes.PolicyTypeSummary{{Type: orgtypes.PolicyTypeServiceControlPolicy, Status: orgtypes.PolicyTypeStatusEnabled}}
	}
	return &organizations.ListRootsOutput{Roots: []orgtypes.Root{r}}, nil
}

func (f *scpOrgFake) children(parent string, ous bool) []string {
	var out []string
	for c, p := range f.parent {
		if p == parent && strings.HasPrefix(c, "ou-") == ous {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func (f *scpOrgFake) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	out := &organizations.ListOrganizationalUnitsForParentOutput{}
	for _, c := range f.children(aws.ToString(in.ParentId), true) {
		out.OrganizationalUnits = append(out.OrganizationalUnits, orgtypes.OrganizationalUnit{Id: aws.String(c), Name: aws.String(f.names[c])})
	}
	return out, nil
}

func (f *scpOrgFake) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	out := &organizations.ListAccountsForParentOutput{}
	for _, c := range f.children(aws.ToString(in.ParentId), false) {
		out.Accounts = append(out.Accounts, orgtypes.Account{Id: aws.String(c), Name: aws.String(f.names[c]), State: orgtypes.AccountStateActive})
	}
	return out, nil
}

func (f *scpOrgFake) ListPoliciesForTarget(_ context.Context, in *organizations.ListPoliciesForTargetInput, _ ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &organizations.ListPoliciesForTargetOutput{}
	ids, ok := f.attached[aws.ToString(in.TargetId)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "TargetNotFoundException", Message: "We can't find a root, OU, or account with the TargetId that you specified."}
	}
	for _, id := range ids {
		out.Policies = append(out.Policies, orgtypes.PolicySummary{Id: aws.String(id), Name: aws.String(f.policies[id][0])})
	}
	return out, nil
}

func (f *scpOrgFake) DescribePolicy(_ context.Context, in *organizations.DescribePolicyInput, _ ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.policies[aws.ToString(in.PolicyId)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "PolicyNotFoundException", Message: "no policy " + aws.ToString(in.PolicyId)}
	}
	return &organizations.DescribePolicyOutput{Policy: &orgtypes.Policy{Content: aws.String(p[1]), PolicySummary: &orgtypes.PolicySummary{Id: in.PolicyId, Name: aws.String(p[0])}}}, nil
}

func (f *scpOrgFake) ListPolicies(context.Context, *organizations.ListPoliciesInput, ...func(*organizations.Options)) (*organizations.ListPoliciesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := &organizations.ListPoliciesOutput{}
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range f.policies {
			if !yield(id) {
				return
			}
		}
	}) {
		out.Policies = append(out.Policies, orgtypes.PolicySummary{Id: aws.String(id), Name: aws.String(f.policies[id][0])})
	}
	return out, nil
}

func (f *scpOrgFake) EnablePolicyType(_ context.Context, in *organizations.EnablePolicyTypeInput, _ ...func(*organizations.Options)) (*organizations.EnablePolicyTypeOutput, error) {
	if err := f.record("organizations:EnablePolicyType", aws.ToString(in.RootId)+" "+string(in.PolicyType)); err != nil {
		return nil, err
	}
	f.scpOn = true
	return &organizations.EnablePolicyTypeOutput{}, nil
}

func (f *scpOrgFake) DisablePolicyType(_ context.Context, in *organizations.DisablePolicyTypeInput, _ ...func(*organizations.Options)) (*organizations.DisablePolicyTypeOutput, error) {
	if err := f.record("organizations:DisablePolicyType", aws.ToString(in.RootId)+" "+string(in.PolicyType)); err != nil {
		return nil, err
	}
	f.scpOn = false
	return &organizations.DisablePolicyTypeOutput{}, nil
}

func (f *scpOrgFake) CreatePolicy(_ context.Context, in *organizations.CreatePolicyInput, _ ...func(*organizations.Options)) (*organizations.CreatePolicyOutput, error) {
	if err := f.record("organizations:CreatePolicy", aws.ToString(in.Name)+" "+string(in.Type)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("p-new%d", f.next)
	f.policies[id] = [2]string{aws.ToString(in.Name), aws.ToString(in.Content)}
	return &organizations.CreatePolicyOutput{Policy: &orgtypes.Policy{PolicySummary: &orgtypes.PolicySummary{Id: aws.String(id), Name: in.Name}}}, nil
}

func (f *scpOrgFake) DeletePolicy(_ context.Context, in *organizations.DeletePolicyInput, _ ...func(*organizations.Options)) (*organizations.DeletePolicyOutput, error) {
	if err := f.record("organizations:DeletePolicy", aws.ToString(in.PolicyId)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.policies, aws.ToString(in.PolicyId))
	return &organizations.DeletePolicyOutput{}, nil
}

func (f *scpOrgFake) AttachPolicy(_ context.Context, in *organizations.AttachPolicyInput, _ ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error) {
	if err := f.record("organizations:AttachPolicy", aws.ToString(in.PolicyId)+" "+aws.ToString(in.TargetId)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := aws.ToString(in.TargetId)
	f.attached[t] = append(f.attached[t], aws.ToString(in.PolicyId))
	return &organizations.AttachPolicyOutput{}, nil
}

func (f *scpOrgFake) DetachPolicy(_ context.Context, in *organizations.DetachPolicyInput, _ ...func(*organizations.Options)) (*organizations.DetachPolicyOutput, error) {
	if err := f.record("organizations:DetachPolicy", aws.ToString(in.PolicyId)+" "+aws.ToString(in.TargetId)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	t := aws.ToString(in.TargetId)
	f.attached[t] = slices.DeleteFunc(f.attached[t], func(id string) bool { return id == aws.ToString(in.PolicyId) })
	return &organizations.DetachPolicyOutput{}, nil
}

func (f *scpOrgFake) org() Org {
	return Org{ID: scOrg, Management: scMgmt, Current: scMgmt, Reach: func(string) Clients { return Clients{Policies: f} }}
}

// scTargets are the audit's accounts: root-scp-guardrail failing in
// those given, passing elsewhere, not applicable to the management
// account.
func scTargets(failing ...string) []Target {
	var out []Target
	for _, a := range []string{scMgmt, scA, scB, scC} {
		f := model.Finding{ID: "f-" + a, Check: SCPCheck, Account: a, Status: model.StatusPass}
		switch {
		case a == scMgmt:
			f.Status = model.StatusNotApplicable
		case slices.Contains(failing, a):
			f.Status, f.Message = model.StatusFail, "no SCP denies root (1 SCP(s) in force)"
		}
		out = append(out, Target{Account: &model.Account{ID: a, Partition: "aws", IsManagement: a == scMgmt}, Findings: []model.Finding{f}})
	}
	return out
}

// callsJSON is the calls (with their undo) as JSON, to compare with a
// literal.
func callsJSON(t *testing.T, calls []Call) string {
	t.Helper()
	b, err := json.Marshal(calls)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func attachJSON(policy, target string) string {
	return `{"action":"organizations:AttachPolicy","params":{"PolicyId":"` + policy + `","TargetId":"` + target + `"},` +
		`"undo":[{"action":"organizations:DetachPolicy","params":{"PolicyId":"` + policy + `","TargetId":"` + target + `"}}]}`
}

func createJSON(name, desc, doc string) string {
	content, _ := json.Marshal(doc)
	return `{"action":"organizations:CreatePolicy","params":{"Content":` + string(content) + `,"Description":"` + desc + `","Name":"` + name + `","Type":"SERVICE_CONTROL_POLICY"},` +
		`"undo":[{"action":"organizations:DeletePolicy","params":{"PolicyId":"${PolicyId}"}}]}`
}

// With no policy yet: one step of the management account creates the
// default guardrail (seed 001's MFA deny) and attaches it to each failing
// account; the planner only reads.
func TestSCPPlanCreatesAndAttachesToFailingAccounts(t *testing.T) {
	f := newSCPOrgFake()
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scC), Options{})
	if len(errs) != 0 {
		t.Fatalf("errors %+v", errs)
	}
	if len(steps) != 1 {
		t.Fatalf("steps %+v", steps)
	}
	s := steps[0]
	if s.ID != "scp/999999999999/policy:rootwatch-deny-root-without-mfa" || s.Account != scMgmt || s.Via != "" || s.Region != "us-east-1" || s.Kind != "scp" ||
		s.Target != "rootwatch-deny-root-without-mfa" || s.Finding != (FindingRef{Check: SCPCheck}) || s.Blocked != "" ||
		!slices.Equal(s.Covers, []string{scA, scC}) || s.TouchesRootCredentials {
		t.Errorf("step %+v", s)
	}
	want := "[" + createJSON("rootwatch-deny-root-without-mfa", scMFADesc, scMFADoc) + "," +
		attachJSON("${PolicyId}", scA) + "," + attachJSON("${PolicyId}", scC) + "]"
	if got := callsJSON(t, s.Calls); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	wantWhy := "root-scp-guardrail fails in 111111111111, 333333333333; rootwatch-deny-root-without-mfa denies member accounts' root every action without MFA " +
		"(calls signed with root's access keys included) (judged deny-without-mfa; centralized-root (sts:AssumeRoot) sessions exempted; 275 of 10240 characters): " +
		"at 111111111111 (prod-a) it newly covers 111111111111; at 333333333333 (audit) it newly covers 333333333333; " +
		"the step creates the policy rootwatch-deny-root-without-mfa, attaches it to 111111111111, 333333333333, all or nothing"
	if s.Why != wantWhy {
		t.Errorf("why\n%s\nwant\n%s", s.Why, wantWhy)
	}
	if c := f.take(); len(c) != 0 {
		t.Errorf("the planner made mutating calls: %v", c)
	}
}

// SCPs off on the root: the step enables them first, undone by disabling.
func TestSCPPlanEnablesThePolicyType(t *testing.T) {
	f := newSCPOrgFake()
	f.scpOn = false
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scB), Options{Guardrail: "deny-root"})
	if len(errs) != 0 || len(steps) != 1 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	want := `[{"action":"organizations:EnablePolicyType","params":{"PolicyType":"SERVICE_CONTROL_POLICY","RootId":"r-ab12"},` +
		`"undo":[{"action":"organizations:DisablePolicyType","params":{"PolicyType":"SERVICE_CONTROL_POLICY","RootId":"r-ab12"}}]},` +
		createJSON("rootwatch-deny-root", "rootwatch: deny the root user of member accounts every action", scDenyRootDoc) + "," + attachJSON("${PolicyId}", scB) + "]"
	if got := callsJSON(t, steps[0].Calls); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	if steps[0].Finding != (FindingRef{Check: SCPCheck, ID: "f-" + scB}) || !slices.Equal(steps[0].Covers, []string{scB}) {
		t.Errorf("step %+v", steps[0])
	}
	if !strings.Contains(steps[0].Why, "the step enables service control policies on the root r-ab12 (AWS then attaches FullAWSAccess to every root, OU and account), creates the policy rootwatch-deny-root, attaches it to 222222222222, all or nothing") {
		t.Errorf("why %s", steps[0].Why)
	}
}

// From a delegated administrator, SCPs off: only the management account
// can enable them.
func TestSCPPlanPolicyTypeOffFromDelegatedAdministrator(t *testing.T) {
	f := newSCPOrgFake()
	f.scpOn = false
	org := f.org()
	org.Current = scC
	steps, errs := (&SCP{}).PlanOrg(context.Background(), org, scTargets(scA), Options{})
	if len(errs) != 0 || len(steps) != 1 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	if s := steps[0]; s.Account != scC || len(s.Calls) != 0 ||
		s.Blocked != "service control policies are off on the root r-ab12, and only the management account (999999999999) can enable them: run fix from it" {
		t.Errorf("step %+v", s)
	}
}

// --guardrail-target: the OU instead of its accounts; a failing account
// under no target is named.
func TestSCPPlanGuardrailTargets(t *testing.T) {
	f := newSCPOrgFake()
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB, scC),
		Options{Guardrail: "root-ip-allowlist", GuardrailCIDRs: []string{"203.0.113.0/24"}, GuardrailTargets: []string{scWork}})
	wantErr := []AccountError{{Account: scC, Kind: "scp", Error: "root-scp-guardrail fails in account 333333333333 and no --guardrail-target (ou-ab12-11111111) is above it: rootwatch-root-ip-allowlist does not cover it; add its OU or the account"}}
	if !reflect.DeepEqual(errs, wantErr) {
		t.Errorf("errors %+v", errs)
	}
	if len(steps) != 1 {
		t.Fatalf("steps %+v", steps)
	}
	s := steps[0]
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootOutsideAllowedRanges","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Bool":{"aws:ViaAWSService":"false"},"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24"]},"Null":{"aws:AssumedRoot":"true"}}}]}`
	want := "[" + createJSON("rootwatch-root-ip-allowlist", "rootwatch: deny the root user of member accounts every action from outside 203.0.113.0/24", doc) + "," + attachJSON("${PolicyId}", scWork) + "]"
	if got := callsJSON(t, s.Calls); got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}
	if s.Account != scMgmt || !slices.Equal(s.Covers, []string{scA, scB}) || !strings.Contains(s.Why, "at ou-ab12-11111111 (Root/Workloads) it newly covers 111111111111, 222222222222") {
		t.Errorf("step %+v", s)
	}
}

// A deny-root over a --keep-root account is blocked, naming the account
// and the target and what to do; the other account's placement goes on.
// The MFA deny keeps the break-glass path: planned, with a note.
func TestSCPPlanKeepRoot(t *testing.T) {
	f := newSCPOrgFake()
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{Guardrail: "deny-root", KeepRoot: []string{scA}})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	b := steps[0]
	wantBlocked := "break-glass account 111111111111 (prod-a) would be locked out: rootwatch-deny-root at 111111111111 (prod-a) denies its root every action (root sign-in included); " +
		"place it where 111111111111 is not, or leave it out of --keep-root; or choose --guardrail deny-root-without-mfa (the break-glass root keeps its way in with its MFA device) " +
		"or --guardrail root-ip-allowlist --cidr RANGE (it keeps it from those ranges)"
	if b.ID != "scp/111111111111/111111111111" || b.Account != scA || b.Via != scMgmt || b.Blocked != wantBlocked || len(b.Calls) != 0 ||
		b.Finding != (FindingRef{Check: SCPCheck, ID: "f-" + scA}) || !slices.Equal(b.Covers, []string{scA}) {
		t.Errorf("blocked step %+v", b)
	}
	if got, want := callsJSON(t, steps[1].Calls), "["+createJSON("rootwatch-deny-root", "rootwatch: deny the root user of member accounts every action", scDenyRootDoc)+","+attachJSON("${PolicyId}", scB)+"]"; got != want {
		t.Errorf("calls\n%s\nwant\n%s", got, want)
	}

	if !steps[1].TouchesRootCredentials {
		t.Error("a deny-root step is not marked as taking away root's way in")
	}
	// Planned without --keep-root, a saved deny-root plan applied with it
	// drops the step covering the break-glass account.
	steps, _ = (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{Guardrail: "deny-root"})
	p := &Plan{Steps: steps}
	if p.Narrow(nil, nil, []string{scA}); len(p.Steps) != 0 {
		t.Errorf("narrowed to --keep-root %s: %+v", scA, p.Steps)
	}

	steps, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{KeepRoot: []string{scA}})
	if len(errs) != 0 || len(steps) != 1 || steps[0].Blocked != "" || !slices.Equal(steps[0].Covers, []string{scA, scB}) || steps[0].TouchesRootCredentials {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	if !strings.HasSuffix(steps[0].Why, "all or nothing. Note: break-glass account 111111111111 (prod-a) keeps its break-glass path only with MFA: its root must sign in with its MFA device, and its access keys stop working") {
		t.Errorf("why %s", steps[0].Why)
	}

	// A break-glass root the audit read without MFA would have no way in
	// under the MFA deny: blocked, the other account still planned. With
	// MFA it is planned.
	targets := scTargets(scA, scB)
	targets[1].Account.Root = &model.Root{MFA: false}
	steps, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), targets, Options{KeepRoot: []string{scA}})
	if len(errs) != 0 || len(steps) != 2 || steps[0].Account != scA || len(steps[0].Calls) != 0 ||
		steps[0].Blocked != "break-glass account 111111111111's root has no MFA device (as audited): under rootwatch-deny-root-without-mfa it could do nothing; give it a hardware MFA device first, then plan again" ||
		steps[1].Blocked != "" || !slices.Equal(steps[1].Covers, []string{scB}) {
		t.Fatalf("no MFA: steps %+v, errors %+v", steps, errs)
	}
	targets[1].Account.Root = &model.Root{MFA: true}
	steps, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), targets, Options{KeepRoot: []string{scA}})
	if len(errs) != 0 || len(steps) != 1 || steps[0].Blocked != "" || !slices.Equal(steps[0].Covers, []string{scA, scB}) {
		t.Fatalf("with MFA: steps %+v, errors %+v", steps, errs)
	}
}

// A target at the quota is blocked (ConstraintViolationException ahead);
// at the default quota of ten the same target has room.
func TestSCPPlanTargetAtQuota(t *testing.T) {
	f := newSCPOrgFake()
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scC), Options{GuardrailTargets: []string{scSecurity}, MaxSCPs: 5})
	if len(errs) != 0 || len(steps) != 1 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	want := "ou-ab12-22222222 (Root/Security) already holds 5 of 5 SCPs: attaching rootwatch-deny-root-without-mfa there fails (ConstraintViolationException); " +
		"detach one or place it at another level; or raise --max-scps if AWS raised your quota"
	if s := steps[0]; s.ID != "scp/999999999999/ou-ab12-22222222" || s.Account != scMgmt || s.Via != "" || s.Blocked != want || len(s.Calls) != 0 || !slices.Equal(s.Covers, []string{scC}) {
		t.Errorf("step %+v\nwant blocked %s", s, want)
	}
	steps, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scC), Options{GuardrailTargets: []string{scSecurity}})
	if len(errs) != 0 || len(steps) != 1 || steps[0].Blocked != "" || len(steps[0].Calls) != 2 {
		t.Errorf("default quota: steps %+v, errors %+v", steps, errs)
	}
}

// The policy there already (an earlier run's, unattached): reused, one
// step per placement, made for each member from the management account.
// A policy of that name with another document is never replaced.
func TestSCPPlanExistingPolicy(t *testing.T) {
	f := newSCPOrgFake()
	f.policies["p-earlier"] = [2]string{"rootwatch-deny-root-without-mfa", scMFADoc}
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	for i, a := range []string{scA, scB} {
		s := steps[i]
		if s.ID != "scp/"+a+"/"+a || s.Account != a || s.Via != scMgmt || s.Target != a || !slices.Equal(s.Covers, []string{a}) ||
			callsJSON(t, s.Calls) != "["+attachJSON("p-earlier", a)+"]" || !strings.HasSuffix(s.Why, "; the policy exists already as p-earlier") {
			t.Errorf("step %d %+v", i, s)
		}
	}

	f.policies["p-earlier"] = [2]string{"rootwatch-deny-root-without-mfa", scDenyRootDoc}
	steps, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{})
	if len(errs) != 0 || len(steps) != 1 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	want := "a policy named rootwatch-deny-root-without-mfa (p-earlier) exists with another document: rootwatch neither changes nor replaces it; " +
		"compare it with 'rootwatch scp generate --kind deny-root-without-mfa', then delete or rename it (see where it is attached first), and plan again"
	if s := steps[0]; s.Blocked != want || len(s.Calls) != 0 || s.Account != scMgmt || !slices.Equal(s.Covers, []string{scA, scB}) {
		t.Errorf("step %+v", s)
	}
}

// Idempotent: the guardrail attached where planned, nothing is planned.
func TestSCPPlanNothingWhenInPlace(t *testing.T) {
	f := newSCPOrgFake()
	f.policies["p-done"] = [2]string{"rootwatch-deny-root-without-mfa", scMFADoc}
	f.attached[scA] = append(f.attached[scA], "p-done")
	f.attached[scWork] = append(f.attached[scWork], "p-done")
	for _, o := range []Options{{}, {GuardrailTargets: []string{scWork}}} {
		steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA), o)
		if len(steps) != 0 || len(errs) != 0 {
			t.Errorf("%+v: steps %+v, errors %+v", o, steps, errs)
		}
	}
	// Nothing failing: nothing read.
	var none Org = f.org()
	none.Reach = func(string) Clients { t.Error("reached the organization with nothing to fix"); return Clients{} }
	if steps, errs := (&SCP{}).PlanOrg(context.Background(), none, scTargets(), Options{}); len(steps) != 0 || len(errs) != 0 {
		t.Errorf("nothing failing: steps %+v, errors %+v", steps, errs)
	}
}

// What cannot be planned: a policy over the size quota, the management
// account, findings not judged.
func TestSCPPlanRefusals(t *testing.T) {
	f := newSCPOrgFake()
	_, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA), Options{SCPMaxSize: 200})
	want := []AccountError{{Account: scMgmt, Kind: "scp", Error: "the deny-root-without-mfa guardrail for account(s) 111111111111 cannot be made: the deny-root-without-mfa policy is 275 characters minified, over the SCP quota of 200: give fewer or wider ranges"}}
	if !reflect.DeepEqual(errs, want) {
		t.Errorf("too large: %+v", errs)
	}

	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA), Options{GuardrailTargets: []string{scMgmt, scA}})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("management target: steps %+v, errors %+v", steps, errs)
	}
	if s := steps[0]; s.ID != "scp/999999999999/999999999999" || s.Blocked != "SCPs never apply to the management account (999999999999): attaching rootwatch-deny-root-without-mfa to it guards nothing; place it at the root or at the OUs of member accounts" {
		t.Errorf("management target: %+v", s)
	}

	targets := scTargets(scA)
	targets[0].Findings[0].Status = model.StatusFail // the management account, from a report
	targets[1].Findings[0].Status, targets[1].Findings[0].Message = model.StatusError, "the SCPs could not be read (see errors)"
	targets[2].Findings[0].Status, targets[2].Findings[0].Message = model.StatusManual, "SCPs are read with 'audit --org' from the management account or a delegated administrator"
	steps, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), targets, Options{})
	want = []AccountError{
		{Account: scMgmt, Kind: "scp", Error: "account 999999999999 is the management account of o-abcdef1234: SCPs never apply to it, so no guardrail can fix its root-scp-guardrail; protect its root with MFA and no access keys"},
		{Account: scA, Kind: "scp", Error: "root-scp-guardrail could not be judged in account 111111111111 (the SCPs could not be read (see errors)): nothing is planned for it until an audit reads it"},
		{Account: scB, Kind: "scp", Error: "root-scp-guardrail was not judged in account 222222222222 (SCPs are read with 'audit --org' from the management account or a delegated administrator): plan from 'rootwatch audit --org' run from the management account"},
	}
	if len(steps) != 0 || !reflect.DeepEqual(errs, want) {
		t.Errorf("steps %+v\nerrors %+v\nwant %+v", steps, errs, want)
	}

	// An unknown --guardrail-target is named.
	_, errs = (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA), Options{GuardrailTargets: []string{"ou-ab12-99999999"}})
	if len(errs) != 2 || errs[0].Account != scMgmt || errs[0].Error != "place rootwatch-deny-root-without-mfa at ou-ab12-99999999: target not found in the organization: no OU ou-ab12-99999999 in o-abcdef1234" {
		t.Errorf("unknown target: %+v", errs)
	}
}

// Applied: a refusal of the second attachment (ConstraintViolationException)
// undoes the first and deletes the policy created: nothing half-applied.
func TestSCPApplyRollsBack_FakeAttachRefused(t *testing.T) {
	f := newSCPOrgFake()
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{})
	if len(errs) != 0 || len(steps) != 1 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	f.fault["organizations:AttachPolicy p-new1 "+scB] = &smithy.GenericAPIError{Code: "ConstraintViolationException", Message: "You have attached the maximum number of policies"}
	ap := &Applier{Reach: func(context.Context, string) (Reach, error) { return f.org().Reach, nil }}
	res := ap.Apply(context.Background(), steps)
	if len(res) != 1 || res[0].Status != Failed || !res[0].RolledBack || res[0].Call != "organizations:AttachPolicy" ||
		res[0].Error != "account 999999999999, step scp/999999999999/policy:rootwatch-deny-root-without-mfa: organizations:AttachPolicy: api error ConstraintViolationException: You have attached the maximum number of policies" {
		t.Errorf("results %+v", res)
	}
	want := []string{
		"organizations:CreatePolicy rootwatch-deny-root-without-mfa SERVICE_CONTROL_POLICY",
		"organizations:AttachPolicy p-new1 " + scA,
		"organizations:AttachPolicy p-new1 " + scB,
		"organizations:DetachPolicy p-new1 " + scA,
		"organizations:DeletePolicy p-new1",
	}
	if got := f.take(); !slices.Equal(got, want) {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, ok := f.policies["p-new1"]; ok || slices.Contains(f.attached[scA], "p-new1") {
		t.Errorf("left behind: policies %v, %s holds %v", f.policies, scA, f.attached[scA])
	}
}

// With the policy there, each account's attachment is its own step: one
// refused (AccessDenied) leaves the other applied; planned again, only the
// refused one is left.
func TestSCPApplyOneAttachmentRefused_FakeAccessDenied(t *testing.T) {
	f := newSCPOrgFake()
	f.policies["p-earlier"] = [2]string{"rootwatch-deny-root-without-mfa", scMFADoc}
	steps, _ := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{})
	f.fault["organizations:AttachPolicy p-earlier "+scA] = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "explicit deny"}
	ap := &Applier{Reach: func(context.Context, string) (Reach, error) { return f.org().Reach, nil }, Concurrency: 2}
	res := ap.Apply(context.Background(), steps)
	if len(res) != 2 || res[0].Status != Failed || res[0].Account != scA || res[1].Status != Applied || res[1].Account != scB {
		t.Errorf("results %+v", res)
	}
	if !strings.Contains(res[0].Error, "account 111111111111, step scp/111111111111/111111111111: organizations:AttachPolicy: api error AccessDeniedException: explicit deny") {
		t.Errorf("error %q", res[0].Error)
	}
	f.fault = map[string]error{}
	steps, errs := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA, scB), Options{})
	if len(errs) != 0 || len(steps) != 1 || steps[0].ID != "scp/111111111111/111111111111" {
		t.Errorf("planned again: steps %+v, errors %+v", steps, errs)
	}
}

// Every call the kind plans is one Execute makes, and a declared action.
func TestSCPExecuteDecodesEveryCall(t *testing.T) {
	f := newSCPOrgFake()
	f.scpOn = false
	steps, _ := (&SCP{}).PlanOrg(context.Background(), f.org(), scTargets(scA), Options{})
	cl := Clients{Policies: f}
	res := map[string]string{}
	for _, c := range steps[0].Calls {
		c.Params = resolveValue(c.Params, res).(map[string]any)
		out, err := Execute(context.Background(), cl, c)
		if err != nil {
			t.Fatalf("%s: %v", c.Action, err)
		}
		for k, v := range out {
			res[k] = v
		}
		for _, u := range append([]Call{c}, c.Undo...) {
			if !slices.Contains(Actions(), u.Action) {
				t.Errorf("%s is not in Actions()", u.Action)
			}
		}
	}
	if res["PolicyId"] != "p-new1" || !f.scpOn || !slices.Contains(f.attached[scA], "p-new1") {
		t.Errorf("results %v, on %v, attached %v", res, f.scpOn, f.attached[scA])
	}
	if _, err := Execute(context.Background(), Clients{}, Call{Action: "organizations:AttachPolicy", Params: map[string]any{}}); err == nil || err.Error() != "organizations:AttachPolicy: no Organizations client" {
		t.Errorf("no client: %v", err)
	}
	if _, err := Execute(context.Background(), cl, Call{Action: "organizations:AttachPolicy", Params: map[string]any{"PolicyId": "p-1", "Target": "x"}}); err == nil || !strings.Contains(err.Error(), `unknown field "Target"`) {
		t.Errorf("unknown parameter: %v", err)
	}
	for _, a := range []string{"organizations:ListPolicies", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:DescribePolicy"} {
		if !slices.Contains(ReadActions(), a) {
			t.Errorf("%s is not in ReadActions()", a)
		}
	}
}
