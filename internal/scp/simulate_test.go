package scp

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const fullAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// testOrg is a hand-made organization: the management account at the
// root, prod-a and prod-b in Root/Workloads/Prod under the seed's
// deny-root-without-MFA SCP, and the break-glass account audit in
// Root/Security, whose OU holds five SCPs.
func testOrg(t *testing.T) *Org {
	t.Helper()
	seed, err := os.ReadFile("testdata/deny-root-without-mfa.json")
	if err != nil {
		t.Fatal(err)
	}
	full := func(target string) Policy {
		return Policy{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Target: target, Document: fullAccess}
	}
	const root, work, prod, sec = "r-ab12", "ou-ab12-work0001", "ou-ab12-prod0001", "ou-ab12-secu0001"
	org := &Org{ID: "o-example", ManagementAccount: "111111111111", Root: root,
		Names: map[string]string{root: "Root", work: "Root/Workloads", prod: "Root/Workloads/Prod", sec: "Root/Security"},
		Accounts: []OrgAccount{
			{ID: "111111111111", Name: "management", Parents: []string{root}, Path: "Root"},
			{ID: "222222222222", Name: "prod-a", Parents: []string{root, work, prod}, Path: "Root/Workloads/Prod"},
			{ID: "333333333333", Name: "prod-b", Parents: []string{root, work, prod}, Path: "Root/Workloads/Prod"},
			{ID: "444444444444", Name: "audit", Parents: []string{root, sec}, Path: "Root/Security"},
		},
		Attached: map[string][]Policy{
			root: {full(root)},
			work: {full(work)},
			prod: {full(prod), {ID: "p-seed", Name: "root-mfa", Target: prod, Document: string(seed)}},
			sec:  {full(sec)},
		},
	}
	for i := range 4 {
		org.Attached[sec] = append(org.Attached[sec], Policy{ID: fmt.Sprintf("p-x%d", i), Name: fmt.Sprintf("x%d", i), Target: sec, Document: fullAccess})
	}
	for _, a := range org.Accounts {
		org.Attached[a.ID] = []Policy{full(a.ID)}
	}
	return org
}

func mustGenerate(t *testing.T, o GenerateOptions) *Generated {
	t.Helper()
	g, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// summary writes a placement as lines to compare with literals.
func summary(p *Placement) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q %s attached %d/%d full %v newly %d covered %d\n", p.Target, p.TargetKind, p.TargetName, p.Guardrail, p.Attached, p.MaxPerTarget, p.Full, p.NewlyCovered, p.Covered)
	for _, e := range p.Accounts {
		fmt.Fprintf(&b, "  %s %s mgmt=%v keep=%v %s -> %s newly=%v\n", e.ID, e.Name, e.Management, e.KeepRoot, e.Now.Kind, e.After.Kind, e.Newly)
	}
	for _, f := range p.FullTargets {
		fmt.Fprintf(&b, "  full: %s %s %d\n", f.Target, f.Name, f.Attached)
	}
	for _, s := range p.Problems {
		fmt.Fprintf(&b, "  problem: %s\n", s)
	}
	for _, s := range p.Warnings {
		fmt.Fprintf(&b, "  warning: %s\n", s)
	}
	return b.String()
}

func TestSimulate(t *testing.T) {
	denyRoot := GenerateOptions{Kind: GenDenyRoot}
	for _, tc := range []struct {
		name, target string
		gen          GenerateOptions
		o            SimulateOptions
		want         string
	}{
		{"deny-root at Workloads strengthens the seed's MFA deny", "ou-ab12-work0001", denyRoot, SimulateOptions{}, `ou-ab12-work0001 ou "Root/Workloads" deny-root attached 1/10 full false newly 2 covered 0
  222222222222 prod-a mgmt=false keep=false deny-without-mfa -> deny-all newly=true
  333333333333 prod-b mgmt=false keep=false deny-without-mfa -> deny-all newly=true
`},
		{"deny-root at the root: the management account is never covered, the break-glass root would be locked out", "r-ab12", denyRoot,
			SimulateOptions{KeepRoot: []string{"444444444444"}, MaxPerTarget: 5}, `r-ab12 root "Root" deny-root attached 1/5 full false newly 3 covered 0
  111111111111 management mgmt=true keep=false none -> none newly=false
  222222222222 prod-a mgmt=false keep=false deny-without-mfa -> deny-all newly=true
  333333333333 prod-b mgmt=false keep=false deny-without-mfa -> deny-all newly=true
  444444444444 audit mgmt=false keep=true none -> deny-all newly=true
  full: ou-ab12-secu0001 Root/Security 5
  problem: break-glass account 444444444444 (audit) would be locked out: rootwatch-deny-root at r-ab12 (Root) denies its root every action (root sign-in included); place it where 444444444444 is not, or leave it out of --keep-root
`},
		{"a target at the quota", "ou-ab12-secu0001", GenerateOptions{Kind: GenDenyRootWithoutMFA}, SimulateOptions{KeepRoot: []string{"444444444444", "999999999999"}, MaxPerTarget: 5},
			`ou-ab12-secu0001 ou "Root/Security" deny-root-without-mfa attached 5/5 full true newly 1 covered 0
  444444444444 audit mgmt=false keep=true none -> deny-without-mfa newly=true
  full: ou-ab12-secu0001 Root/Security 5
  problem: ou-ab12-secu0001 (Root/Security) already holds 5 of 5 SCPs: attaching rootwatch-deny-root-without-mfa there fails (ConstraintViolationException); detach one or place it at another level
  warning: break-glass account 444444444444 (audit) keeps its break-glass path only with MFA: its root must sign in with its MFA device, and its access keys stop working
  warning: --keep-root 999999999999 is not an account of o-example
`},
		{"the same OU under the default quota of 10", "ou-ab12-secu0001", GenerateOptions{Kind: GenDenyRootWithoutMFA}, SimulateOptions{},
			`ou-ab12-secu0001 ou "Root/Security" deny-root-without-mfa attached 5/10 full false newly 1 covered 0
  444444444444 audit mgmt=false keep=false none -> deny-without-mfa newly=true
`},
		{"an MFA deny where the seed's already is covers nothing new", "ou-ab12-prod0001", GenerateOptions{Kind: GenDenyRootWithoutMFA}, SimulateOptions{},
			`ou-ab12-prod0001 ou "Root/Workloads/Prod" deny-root-without-mfa attached 2/10 full false newly 0 covered 2
  222222222222 prod-a mgmt=false keep=false deny-without-mfa -> deny-without-mfa newly=false
  333333333333 prod-b mgmt=false keep=false deny-without-mfa -> deny-without-mfa newly=false
`},
		{"an IP allow list on one account", "444444444444", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"203.0.113.0/24"}}, SimulateOptions{KeepRoot: []string{"444444444444"}},
			`444444444444 account "audit" root-ip-allowlist attached 1/10 full false newly 1 covered 0
  444444444444 audit mgmt=false keep=true none -> deny-outside-ip-ranges newly=true
  warning: break-glass account 444444444444 (audit) keeps its break-glass path only from 203.0.113.0/24: its root must sign in from those ranges
`},
		{"the management account as the target", "111111111111", denyRoot, SimulateOptions{},
			`111111111111 account "management" deny-root attached 1/10 full false newly 0 covered 0
  111111111111 management mgmt=true keep=false none -> none newly=false
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Simulate(testOrg(t), tc.target, mustGenerate(t, tc.gen), tc.o)
			if err != nil {
				t.Fatalf("Simulate: %v", err)
			}
			if got := summary(p); got != tc.want {
				t.Errorf("placement\n got:\n%s\nwant:\n%s", got, tc.want)
			}
			if (p.Err() == nil) != (len(p.Problems) == 0) {
				t.Errorf("Err() = %v with problems %q", p.Err(), p.Problems)
			}
		})
	}
}

func TestSimulateEvaluatesTheNewPolicyAtItsLevel(t *testing.T) {
	p, err := Simulate(testOrg(t), "ou-ab12-work0001", mustGenerate(t, GenerateOptions{Kind: GenDenyRoot}), SimulateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Accounts[0]
	if got := strings.Join(a.After.By, "; "); got != "rootwatch-deny-root ((new)) on ou-ab12-work0001" || !a.After.AssumedRootExempt {
		t.Errorf("after %+v", a.After)
	}
	if got := strings.Join(a.Now.By, "; "); got != "root-mfa (p-seed) on ou-ab12-prod0001" || a.Now.AssumedRootExempt {
		t.Errorf("now %+v", a.Now)
	}
}

func TestSimulateFindsTheGuardrailAlreadyAttached(t *testing.T) {
	org := testOrg(t)
	g := mustGenerate(t, GenerateOptions{Kind: GenDenyRoot})
	// As AWS returns it: indented, keys in another order.
	doc := `{"Statement": [{"Resource": "*", "Action": "*", "Effect": "Deny", "Sid": "RootwatchDenyRoot",
	  "Condition": {"Null": {"aws:AssumedRoot": "true"}, "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}], "Version": "2012-10-17"}`
	org.Attached["ou-ab12-work0001"] = append(org.Attached["ou-ab12-work0001"], Policy{ID: "p-mine", Name: "rootwatch-deny-root", Target: "ou-ab12-work0001", Document: doc})
	p, err := Simulate(org, "ou-ab12-work0001", g, SimulateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.AlreadyAttached != "rootwatch-deny-root (p-mine)" || p.NewlyCovered != 0 || p.Covered != 2 ||
		strings.Join(p.Warnings, "; ") != "ou-ab12-work0001 (Root/Workloads) already holds this guardrail as rootwatch-deny-root (p-mine): nothing to attach" {
		t.Errorf("placement %s", summary(p))
	}
}

func TestSimulateRefusesUnknownTargets(t *testing.T) {
	g := mustGenerate(t, GenerateOptions{Kind: GenDenyRoot})
	for _, tc := range []struct{ target, want string }{
		{"ou-ab12-nothere1", "target not found in the organization: no OU ou-ab12-nothere1 in o-example"},
		{"r-zz99", "target not found in the organization: r-zz99 is not the root of o-example (r-ab12)"},
		{"555555555555", "target not found in the organization: no account 555555555555 in o-example"},
		{"Prod", `target "Prod" is neither a root (r-...), an OU (ou-...-...) nor an account ID (12 digits)`},
		{"12345", `target "12345" is neither`},
	} {
		_, err := Simulate(testOrg(t), tc.target, g, SimulateOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.target, err, tc.want)
		}
		if strings.Contains(tc.want, "not found") && !errors.Is(err, ErrTargetNotFound) {
			t.Errorf("%s: %v is not ErrTargetNotFound", tc.target, err)
		}
	}
	// An OU with no account under it, read because it was asked for.
	org := testOrg(t)
	org.Attached["ou-ab12-empty001"] = []Policy{{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Document: fullAccess}}
	p, err := Simulate(org, "ou-ab12-empty001", g, SimulateOptions{})
	if err != nil || len(p.Accounts) != 0 || p.Attached != 1 || p.TargetName != "ou-ab12-empty001" {
		t.Errorf("empty OU: %v %+v", err, p)
	}
	// A policy that does not parse is an error naming the account.
	org = testOrg(t)
	org.Attached["222222222222"] = append(org.Attached["222222222222"], Policy{ID: "p-bad", Name: "broken", Document: "{"})
	if _, err := Simulate(org, "r-ab12", g, SimulateOptions{}); err == nil || !strings.Contains(err.Error(), "account 222222222222: policy broken (p-bad)") {
		t.Errorf("broken policy: %v", err)
	}
}

func TestSimulateWarnsOfUnreadParts(t *testing.T) {
	org := testOrg(t)
	org.Unread = []string{"the accounts of Root/Sandbox (ou-ab12-sand0001) were not listed"}
	p, err := Simulate(org, "r-ab12", mustGenerate(t, GenerateOptions{Kind: GenDenyRoot}), SimulateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Warnings, "; "); got != "parts of the organization could not be read, and their accounts are missing: the accounts of Root/Sandbox (ou-ab12-sand0001) were not listed" {
		t.Errorf("warnings %q", got)
	}
}
