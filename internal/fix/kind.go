package fix

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Target is one account as the audit saw it: its facts (from a live audit
// or a snapshot; from a JSON report only what the findings' evidence
// says) and its findings.
type Target struct {
	Account  *model.Account
	Findings []model.Finding
	// AsOf is when the audit saw the account.
	AsOf time.Time
}

// Finding returns the account's finding of a check, if any.
func (t Target) Finding(check string) (model.Finding, bool) {
	for _, f := range t.Findings {
		if f.Check == check {
			return f, true
		}
	}
	return model.Finding{}, false
}

// Options are what the user gave the planners.
type Options struct {
	// Notify are the endpoints the root-activity topic must have.
	Notify []Endpoint
	// KeepRoot are break-glass accounts: no step touches their root
	// credentials or takes away their root's way in.
	KeepRoot []string
	// SCP guardrail (scp kind): the guardrail (scp.GenKinds;
	// DefaultGuardrail when ""), the ranges of root-ip-allowlist, where to
	// attach it (the failing accounts when none), the quota of SCPs per
	// target and the SCP size quota (scp's defaults when 0).
	Guardrail        string
	GuardrailCIDRs   []string
	GuardrailTargets []string
	MaxSCPs          int
	SCPMaxSize       int
	// Account hygiene: the contacts file (contacts kind; nil when not
	// given), the daily budget's limit in USD and its alert's recipients
	// (budget kind).
	Contacts     *ContactsFile
	BudgetLimit  string
	BudgetNotify []BudgetRecipient
	// Only are the kinds --only names (none: every kind). The hygiene
	// kinds plan without their input (blocked, saying what to give) only
	// when named: what to write and spend is the user's to give.
	Only []string
}

// Reach gives an account's clients in a region.
type Reach func(region string) Clients

// Kind plans one kind of step. To add one: implement Kind (plan from the
// target's failing findings and the live state read through reach, so
// that what is in place is not planned again), add the actions its calls
// use to Execute, and list it in Kinds.
type Kind interface {
	// Name is what --only selects ("alarm").
	Name() string
	// Checks are the checks whose failing findings the kind fixes.
	Checks() []string
	// Plan returns the account's steps: none when nothing is to be done,
	// a Blocked step when the finding cannot be fixed by API calls alone.
	// An error means the live state could not be read.
	Plan(ctx context.Context, t Target, reach Reach, o Options) ([]Step, error)
}

// Org is the organization as fix reaches it, for the kinds whose calls
// are made from its management account (or a delegated administrator) on
// behalf of the members.
type Org struct {
	ID string
	// Management is the management account's ID.
	Management string
	// Current is the credentials' account: the management account or a
	// delegated administrator; steps made from it have Via = Current.
	Current string
	// Reach gives Current's clients.
	Reach Reach
	// AsOf is when the organization was read (planning time).
	AsOf time.Time
}

// OrgKind is a kind whose steps are planned once for the organization from
// every target together (an SCP placed on an OU covers many accounts).
// Its Plan, for one account, returns nothing.
type OrgKind interface {
	Kind
	// PlanOrg returns the steps for the targets; an AccountError names an
	// account (or the organization's management account, for the whole)
	// that could not be planned.
	PlanOrg(ctx context.Context, org Org, targets []Target, o Options) ([]Step, []AccountError)
}

// Kinds are the step kinds, in the order their steps run in an account.
func Kinds() []Kind { return []Kind{&Alarm{}, &RootAccess{}, &SCP{}, &Contacts{}, &Budget{}} }

// KindNames are the names --only accepts.
func KindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name())
	}
	return names
}

// CheckKinds validates --only's kinds.
func CheckKinds(kinds []string) error {
	for _, k := range kinds {
		if !slices.Contains(KindNames(), k) {
			return fmt.Errorf("unknown step kind %q: want one of %s", k, strings.Join(KindNames(), ", "))
		}
	}
	return nil
}

// failing says whether a finding is one a kind fixes: failing, or manual
// for want of a fact a fix puts in place.
func failing(f model.Finding) bool { return f.Status == model.StatusFail }

// chosen are the kinds picked by --only (all when empty).
func chosen(kinds []string) []Kind {
	var out []Kind
	for _, k := range Kinds() {
		if len(kinds) == 0 || slices.Contains(kinds, k.Name()) {
			out = append(out, k)
		}
	}
	return out
}

// PlanOrg runs the chosen organization kinds on the targets.
func PlanOrg(ctx context.Context, org Org, targets []Target, o Options, kinds []string) ([]Step, []AccountError) {
	var steps []Step
	var errs []AccountError
	for _, k := range chosen(kinds) {
		ok, isOrg := k.(OrgKind)
		if !isOrg {
			continue
		}
		s, e := ok.PlanOrg(ctx, org, targets, o)
		steps = append(steps, s...)
		errs = append(errs, e...)
	}
	return steps, errs
}

// PlanAccount runs the chosen kinds (all when kinds is empty) on one
// account. Kinds that fail to read the live state are returned as errors;
// the others' steps are kept.
func PlanAccount(ctx context.Context, t Target, reach Reach, o Options, kinds []string) ([]Step, []AccountError) {
	var steps []Step
	var errs []AccountError
	for _, k := range chosen(kinds) {
		s, err := k.Plan(ctx, t, reach, o)
		if err != nil {
			errs = append(errs, AccountError{Account: t.Account.ID, Kind: k.Name(), Error: err.Error()})
			continue
		}
		steps = append(steps, s...)
	}
	return steps, errs
}
