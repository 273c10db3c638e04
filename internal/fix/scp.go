package fix

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/scp"
	"github.com/rootwatch/rootwatch/internal/scp/orgread"
)

// SCPCheck is the check the scp kind fixes.
const SCPCheck = "root-scp-guardrail"

// DefaultGuardrail is the guardrail fix attaches unless told otherwise:
// seed 001's deny of root without MFA, which leaves a break-glass root its
// way in with its MFA device.
const DefaultGuardrail = scp.GenDenyRootWithoutMFA

// scpType is the policy type the scp kind enables, creates and attaches.
const scpType = string(orgtypes.PolicyTypeServiceControlPolicy)

// PoliciesAPI is the part of the Organizations client the scp kind uses:
// the reads of scp simulate (orgread), the SCPs by name, and the policy
// type, policy and attachment it makes and undoes.
type PoliciesAPI interface {
	collect.OrgAPI
	ListPolicies(context.Context, *organizations.ListPoliciesInput, ...func(*organizations.Options)) (*organizations.ListPoliciesOutput, error)
	EnablePolicyType(context.Context, *organizations.EnablePolicyTypeInput, ...func(*organizations.Options)) (*organizations.EnablePolicyTypeOutput, error)
	DisablePolicyType(context.Context, *organizations.DisablePolicyTypeInput, ...func(*organizations.Options)) (*organizations.DisablePolicyTypeOutput, error)
	CreatePolicy(context.Context, *organizations.CreatePolicyInput, ...func(*organizations.Options)) (*organizations.CreatePolicyOutput, error)
	DeletePolicy(context.Context, *organizations.DeletePolicyInput, ...func(*organizations.Options)) (*organizations.DeletePolicyOutput, error)
	AttachPolicy(context.Context, *organizations.AttachPolicyInput, ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error)
	DetachPolicy(context.Context, *organizations.DetachPolicyInput, ...func(*organizations.Options)) (*organizations.DetachPolicyOutput, error)
}

// SCP creates and attaches a guardrail SCP where root-scp-guardrail
// fails, from the credentials' account (the management account): the
// policy rootwatch-KIND as 'rootwatch scp generate --kind KIND' writes it
// (Options.Guardrail, deny-root-without-mfa by default), attached to each
// failing member account, or to Options.GuardrailTargets (the root, OUs,
// accounts) instead. Where each placement goes is judged as 'rootwatch scp
// simulate' judges it, from the organization read at planning time: a
// placement is a Blocked step when its target holds the quota of SCPs or
// when a deny-root would lock a --keep-root account's root out; one
// already in place (the same document attached there) is not planned
// again.
//
// When the policy does not exist yet (or the SCP policy type is off on
// the root), one step of the management account makes it all: enables the
// policy type, creates the policy and attaches it at every placement, all
// or nothing. When it exists (an earlier run's, left unattached), each
// placement is a step of its own: AttachPolicy, made for a member
// account from the management account (Via), so one refused attachment
// leaves the others. A policy of that name with another document is
// never changed: a Blocked step says so. SCPs never apply to the
// management account. A deny-root step takes away the covered roots'
// way in (sign-in included), so it is marked TouchesRootCredentials: a
// saved plan applied with a --keep-root account it covers drops it.
type SCP struct{}

func (*SCP) Name() string     { return "scp" }
func (*SCP) Checks() []string { return []string{SCPCheck} }

// Plan plans nothing per account: the kind is planned for the organization.
func (*SCP) Plan(context.Context, Target, Reach, Options) ([]Step, error) { return nil, nil }

// scpPlacement is a placement simulated, with the step's owner.
type scpPlacement struct {
	target string
	p      *scp.Placement
	// owner is the step's account: the target, when it is a member
	// account; otherwise the credentials' account.
	owner string
	newly []string
	ref   FindingRef
}

// PlanOrg plans the guardrail's steps for the failing accounts.
func (k *SCP) PlanOrg(ctx context.Context, org Org, targets []Target, o Options) ([]Step, []AccountError) {
	var errs []AccountError
	fail := func(acct, format string, args ...any) {
		errs = append(errs, AccountError{Account: acct, Kind: k.Name(), Error: fmt.Sprintf(format, args...)})
	}
	findings := map[string]model.Finding{}
	var failingIDs []string
	partition := ""
	// noMFA are the accounts whose root the audit read without MFA: a
	// break-glass root among them has no way in under a deny without MFA.
	noMFA := map[string]bool{}
	for _, t := range targets {
		partition = cmp.Or(partition, t.Account.Partition)
		if r := t.Account.Root; r != nil && !r.MFA {
			noMFA[t.Account.ID] = true
		}
		f, ok := t.Finding(SCPCheck)
		acct := t.Account.ID
		switch {
		case !ok || f.Status == model.StatusNotApplicable || f.Status == model.StatusPass:
			continue
		case acct == org.Management || t.Account.IsManagement:
			if failing(f) {
				fail(acct, "account %s is the management account of %s: SCPs never apply to it, so no guardrail can fix its root-scp-guardrail; protect its root with MFA and no access keys", acct, org.ID)
			}
			continue
		case f.Status == model.StatusError:
			fail(acct, "root-scp-guardrail could not be judged in account %s (%s): nothing is planned for it until an audit reads it", acct, f.Message)
			continue
		case f.Status == model.StatusManual:
			fail(acct, "root-scp-guardrail was not judged in account %s (%s): plan from 'rootwatch audit --org' run from the management account", acct, f.Message)
			continue
		case !failing(f):
			continue
		}
		findings[acct] = f
		failingIDs = append(failingIDs, acct)
	}
	if len(failingIDs) == 0 {
		return nil, errs
	}
	slices.Sort(failingIDs)
	kind := cmp.Or(o.Guardrail, DefaultGuardrail)
	gen, err := scp.Generate(scp.GenerateOptions{Kind: kind, CIDRs: o.GuardrailCIDRs, MaxSize: o.SCPMaxSize})
	if err != nil {
		fail(org.Current, "the %s guardrail for account(s) %s cannot be made: %v", kind, strings.Join(failingIDs, ", "), err)
		return nil, errs
	}
	places := slices.Clone(o.GuardrailTargets)
	if len(places) == 0 {
		places = failingIDs
	}
	var uniq []string
	for _, t := range places {
		if !slices.Contains(uniq, t) {
			uniq = append(uniq, t)
		}
	}
	places = uniq

	region := cmp.Or(globalRegion(partition), "us-east-1")
	cl := org.Reach(region)
	if cl.Policies == nil {
		fail(org.Current, "plan the %s guardrail: no Organizations client for account %s", gen.Name(), org.Current)
		return nil, errs
	}
	state, err := orgread.Read(ctx, cl.Policies, places)
	if err != nil {
		fail(org.Current, "read organization %s from account %s to place %s: %v", org.ID, org.Current, gen.Name(), err)
		return nil, errs
	}
	rootID, enabled, err := readSCPType(ctx, cl.Policies)
	if err != nil {
		fail(org.Current, "read the policy types of organization %s's root from account %s: %v", org.ID, org.Current, err)
		return nil, errs
	}
	existing, err := findPolicy(ctx, cl.Policies, gen.Name())
	if err != nil {
		fail(org.Current, "look for policy %s in organization %s from account %s: %v", gen.Name(), org.ID, org.Current, err)
		return nil, errs
	}

	var steps []Step
	var ok []scpPlacement
	covered := map[string]bool{}
	for _, target := range places {
		p, err := scp.Simulate(state, target, gen, scp.SimulateOptions{KeepRoot: o.KeepRoot, MaxPerTarget: o.MaxSCPs})
		if err != nil {
			fail(cmp.Or(accountTarget(target), org.Current), "place %s at %s: %v", gen.Name(), target, err)
			continue
		}
		pl := scpPlacement{target: target, p: p, owner: org.Current, ref: FindingRef{Check: SCPCheck}}
		if p.TargetKind == "account" {
			pl.owner = target
			pl.ref.ID = findings[target].ID
		}
		for _, e := range p.Accounts {
			if e.Newly {
				pl.newly = append(pl.newly, e.ID)
			}
			covered[e.ID] = true // judged by this placement, blocked or not
		}
		slices.Sort(pl.newly)
		if p.TargetKind == "account" && target == state.ManagementAccount {
			steps = append(steps, Step{ID: "scp/" + target + "/" + target, Account: target, Via: via(target, org.Current), Region: region, Kind: k.Name(),
				Target: target, Finding: pl.ref, Why: "--guardrail-target " + target + " is the management account",
				Blocked: "SCPs never apply to the management account (" + target + "): attaching " + gen.Name() + " to it guards nothing; place it at the root or at the OUs of member accounts"})
			continue
		}
		if p.AlreadyAttached != "" || len(pl.newly) == 0 {
			continue // in place already, or nothing left to cover there
		}
		for _, e := range p.Accounts {
			if e.Newly && slices.Contains(o.KeepRoot, e.ID) && e.After.Kind == scp.DenyWithoutMFA && noMFA[e.ID] {
				p.Problems = append(p.Problems, "break-glass account "+e.ID+"'s root has no MFA device (as audited): under "+gen.Name()+
					" it could do nothing; give it a hardware MFA device first, then plan again")
			}
		}
		if len(p.Problems) > 0 {
			steps = append(steps, Step{ID: "scp/" + pl.owner + "/" + target, Account: pl.owner, Via: via(pl.owner, org.Current), Region: region, Kind: k.Name(),
				Target: target, Finding: pl.ref, Covers: pl.newly, Why: scpWhy(gen, findings, []scpPlacement{pl}, ""),
				Blocked: strings.Join(p.Problems, "; ") + scpAdvice(gen, p, o.KeepRoot)})
			continue
		}
		ok = append(ok, pl)
	}
	if len(o.GuardrailTargets) > 0 {
		for _, a := range failingIDs {
			if !covered[a] {
				fail(a, "root-scp-guardrail fails in account %s and no --guardrail-target (%s) is above it: %s does not cover it; add its OU or the account", a, strings.Join(o.GuardrailTargets, ", "), gen.Name())
			}
		}
	}
	if len(ok) == 0 {
		return steps, errs
	}
	var newly []string
	for _, pl := range ok {
		for _, a := range pl.newly {
			if !slices.Contains(newly, a) {
				newly = append(newly, a)
			}
		}
	}
	slices.Sort(newly)
	if existing != nil && !sameJSON(existing.content, string(gen.Minified)) {
		ref := FindingRef{Check: SCPCheck}
		if len(ok) == 1 {
			ref = ok[0].ref
		}
		return append(steps, Step{ID: "scp/" + org.Current + "/policy:" + gen.Name(), Account: org.Current, Region: region, Kind: k.Name(),
			Target: gen.Name(), Finding: ref, Covers: newly, Why: scpWhy(gen, findings, ok, ""),
			Blocked: fmt.Sprintf("a policy named %s (%s) exists with another document: rootwatch neither changes nor replaces it; "+
				"compare it with 'rootwatch scp generate --kind %s', then delete or rename it (see where it is attached first), and plan again",
				gen.Name(), existing.id, gen.Kind)}), errs
	}
	attach := func(pl scpPlacement, policyID string) Call {
		p := map[string]any{"PolicyId": policyID, "TargetId": pl.target}
		return Call{Action: "organizations:AttachPolicy", Params: p,
			Undo: []Call{{Action: "organizations:DetachPolicy", Params: map[string]any{"PolicyId": policyID, "TargetId": pl.target}}}}
	}
	lockout := gen.Kind == scp.GenDenyRoot
	if existing != nil && enabled {
		// The policy is there (an earlier run's, left unattached): each
		// placement on its own.
		for _, pl := range ok {
			steps = append(steps, Step{ID: "scp/" + pl.owner + "/" + pl.target, Account: pl.owner, Via: via(pl.owner, org.Current), Region: region, Kind: k.Name(),
				Target: pl.target, Finding: pl.ref, Covers: pl.newly, TouchesRootCredentials: lockout,
				Why:   scpWhy(gen, findings, []scpPlacement{pl}, "; the policy exists already as "+existing.id),
				Calls: []Call{attach(pl, existing.id)}})
		}
		return steps, errs
	}
	var calls []Call
	what := []string{}
	if !enabled && org.Current != org.Management {
		return append(steps, Step{ID: "scp/" + org.Current + "/policy:" + gen.Name(), Account: org.Current, Region: region, Kind: k.Name(),
			Target: gen.Name(), Finding: FindingRef{Check: SCPCheck}, Covers: newly, Why: scpWhy(gen, findings, ok, ""),
			Blocked: "service control policies are off on the root " + rootID + ", and only the management account (" + org.Management + ") can enable them: run fix from it"}), errs
	}
	if !enabled {
		p := map[string]any{"RootId": rootID, "PolicyType": scpType}
		calls = append(calls, Call{Action: "organizations:EnablePolicyType", Params: p,
			Undo: []Call{{Action: "organizations:DisablePolicyType", Params: map[string]any{"RootId": rootID, "PolicyType": scpType}}}})
		what = append(what, "enables service control policies on the root "+rootID+" (AWS then attaches FullAWSAccess to every root, OU and account)")
	}
	policyID := "${PolicyId}"
	if existing != nil {
		policyID = existing.id
	} else {
		calls = append(calls, Call{Action: "organizations:CreatePolicy",
			Params: map[string]any{"Name": gen.Name(), "Description": gen.Description(), "Type": scpType, "Content": string(gen.Minified)},
			Undo:   []Call{{Action: "organizations:DeletePolicy", Params: map[string]any{"PolicyId": "${PolicyId}"}}}})
		what = append(what, "creates the policy "+gen.Name())
	}
	var at []string
	for _, pl := range ok {
		calls = append(calls, attach(pl, policyID))
		at = append(at, pl.target)
	}
	what = append(what, "attaches it to "+strings.Join(at, ", "))
	ref := FindingRef{Check: SCPCheck}
	if len(ok) == 1 {
		ref = ok[0].ref
	}
	return append(steps, Step{ID: "scp/" + org.Current + "/policy:" + gen.Name(), Account: org.Current, Region: region, Kind: k.Name(),
		Target: gen.Name(), Finding: ref, Covers: newly, Calls: calls, TouchesRootCredentials: lockout,
		Why: scpWhy(gen, findings, ok, "; the step "+strings.Join(what, ", ")+", all or nothing")}), errs
}

// via is the account making the calls for a step of owner, when another.
func via(owner, current string) string {
	if owner == current {
		return ""
	}
	return current
}

// accountTarget is target when it is an account ID.
func accountTarget(target string) string {
	if scp.TargetKind(target) == "account" {
		return target
	}
	return ""
}

// scpWhy says what the placements fix and what the guardrail does.
func scpWhy(gen *scp.Generated, findings map[string]model.Finding, pls []scpPlacement, more string) string {
	var failingNow []string
	var parts []string
	var warnings []string
	for _, pl := range pls {
		for _, a := range pl.newly {
			if _, ok := findings[a]; ok && !slices.Contains(failingNow, a) {
				failingNow = append(failingNow, a)
			}
		}
		label := pl.target
		if n := pl.p.TargetName; n != "" && n != pl.target {
			label += " (" + n + ")"
		}
		parts = append(parts, fmt.Sprintf("at %s it newly covers %s", label, strings.Join(pl.newly, ", ")))
		warnings = append(warnings, pl.p.Warnings...)
	}
	slices.Sort(failingNow)
	what := map[string]string{
		scp.GenDenyRoot:           "denies member accounts' root every action",
		scp.GenDenyRootWithoutMFA: "denies member accounts' root every action without MFA (calls signed with root's access keys included)",
		scp.GenRootIPAllowlist:    "denies member accounts' root every action from outside " + strings.Join(gen.AllowedRanges, ", "),
	}[gen.Kind]
	exempt := "centralized-root (sts:AssumeRoot) sessions exempted"
	if !gen.AssumedRootExempt {
		exempt = "no aws:AssumedRoot exemption"
	}
	s := fmt.Sprintf("root-scp-guardrail fails in %s; %s %s (judged %s; %s; %d of %d characters): %s",
		strings.Join(failingNow, ", "), gen.Name(), what, gen.Guardrail, exempt, gen.Size, gen.MaxSize, strings.Join(parts, "; ")) + more
	if len(warnings) > 0 {
		s += ". Note: " + strings.Join(warnings, "; ")
	}
	return s
}

// scpAdvice says what to do about a blocked placement beyond what
// simulate says.
func scpAdvice(gen *scp.Generated, p *scp.Placement, keepRoot []string) string {
	var out []string
	if p.Full {
		out = append(out, "or raise --max-scps if AWS raised your quota")
	}
	if gen.Kind == scp.GenDenyRoot && slices.ContainsFunc(p.Accounts, func(e scp.Effect) bool {
		return e.KeepRoot && slices.Contains(keepRoot, e.ID) && e.After.Kind == scp.DenyAll && e.Now.Kind != scp.DenyAll
	}) {
		out = append(out, "or choose --guardrail deny-root-without-mfa (the break-glass root keeps its way in with its MFA device) "+
			"or --guardrail root-ip-allowlist --cidr RANGE (it keeps it from those ranges)")
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, "; ")
}

// readSCPType reads the organization root's ID and whether SCPs are on.
func readSCPType(ctx context.Context, api PoliciesAPI) (string, bool, error) {
	out, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return "", false, fmt.Errorf("organizations:ListRoots: %w", err)
	}
	if len(out.Roots) == 0 {
		return "", false, errors.New("organizations:ListRoots: no root")
	}
	r := out.Roots[0]
	for _, t := range r.PolicyTypes {
		if string(t.Type) == scpType && t.Status == orgtypes.PolicyTypeStatusEnabled {
			return aws.ToString(r.Id), true, nil
		}
	}
	return aws.ToString(r.Id), false, nil
}

// policy is an SCP found by name.
type policy struct{ id, content string }

// findPolicy finds the SCP of a name, with its document; nil when there
// is none.
func findPolicy(ctx context.Context, api PoliciesAPI, name string) (*policy, error) {
	in := &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy}
	for {
		out, err := api.ListPolicies(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("organizations:ListPolicies: %w", err)
		}
		for _, p := range out.Policies {
			if aws.ToString(p.Name) != name {
				continue
			}
			d, err := api.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: p.Id})
			if err != nil {
				return nil, fmt.Errorf("organizations:DescribePolicy %s: %w", aws.ToString(p.Id), err)
			}
			if d.Policy == nil {
				return nil, fmt.Errorf("organizations:DescribePolicy %s: no policy in the answer", aws.ToString(p.Id))
			}
			return &policy{id: aws.ToString(p.Id), content: aws.ToString(d.Policy.Content)}, nil
		}
		if aws.ToString(out.NextToken) == "" {
			return nil, nil
		}
		in.NextToken = out.NextToken
	}
}

// sameJSON compares two policy documents as JSON values.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// scpActions are the actions executeSCP makes.
var scpActions = []string{"organizations:AttachPolicy", "organizations:CreatePolicy", "organizations:DeletePolicy",
	"organizations:DetachPolicy", "organizations:DisablePolicyType", "organizations:EnablePolicyType"}

// SCPActions are the scp kind's mutating actions.
func SCPActions() []string { return slices.Clone(scpActions) }

// SCPReadActions are the scp planner's reads: scp simulate's and the
// policies by name.
func SCPReadActions() []string {
	return append(orgread.Actions(), "organizations:ListPolicies")
}

// executeSCP makes the scp kind's calls with the credentials' Organizations
// client.
func executeSCP(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
	if !slices.Contains(scpActions, c.Action) {
		return nil, fmt.Errorf("%s: not an action rootwatch fix makes", c.Action)
	}
	if cl.Policies == nil {
		return nil, fmt.Errorf("%s: no Organizations client", c.Action)
	}
	var err error
	switch c.Action {
	case "organizations:EnablePolicyType":
		_, err = call(ctx, c, cl.Policies.EnablePolicyType)
	case "organizations:DisablePolicyType":
		_, err = call(ctx, c, cl.Policies.DisablePolicyType)
	case "organizations:CreatePolicy":
		out, err := call(ctx, c, cl.Policies.CreatePolicy)
		if err != nil {
			return nil, err
		}
		if out.Policy == nil || out.Policy.PolicySummary == nil || aws.ToString(out.Policy.PolicySummary.Id) == "" {
			return nil, fmt.Errorf("%s: answered without the policy's ID", c.Action)
		}
		return map[string]string{"PolicyId": aws.ToString(out.Policy.PolicySummary.Id)}, nil
	case "organizations:DeletePolicy":
		_, err = call(ctx, c, cl.Policies.DeletePolicy)
	case "organizations:AttachPolicy":
		_, err = call(ctx, c, cl.Policies.AttachPolicy)
	case "organizations:DetachPolicy":
		_, err = call(ctx, c, cl.Policies.DetachPolicy)
	}
	return nil, err
}
