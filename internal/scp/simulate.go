package scp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Org is an organization as simulate reads it: its tree and the SCPs
// attached at each level.
type Org struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"management_account"`
	// Root is the organization root's ID (r-...).
	Root     string       `json:"root"`
	Accounts []OrgAccount `json:"accounts"`
	// Names are the names of the root and the OUs, by ID.
	Names map[string]string `json:"names"`
	// Attached are the SCPs attached directly to each target read (the
	// root, OUs, accounts), by target ID.
	Attached map[string][]Policy `json:"attached"`
	// Unread says which parts of the tree could not be read: their
	// accounts are missing from the simulation.
	Unread []string `json:"unread,omitempty"`
}

// OrgAccount is an account and where it sits.
type OrgAccount struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status,omitempty"`
	// Parents are the IDs of the root and every OU above the account,
	// root first.
	Parents []string `json:"parents"`
	// Path is the names of those parents, e.g. "Root/Workloads/Prod".
	Path string `json:"path"`
}

// SimulateOptions say what is placed and what must stay usable.
type SimulateOptions struct {
	// KeepRoot are break-glass accounts whose root must keep a way in.
	KeepRoot []string
	// MaxPerTarget is the quota of SCPs attached directly to one target
	// (DefaultMaxPerTarget when 0).
	MaxPerTarget int
}

// Placement is what attaching the generated guardrail at one target
// would do.
type Placement struct {
	Target string `json:"target"`
	// TargetKind is root, ou or account; TargetName its name (the path for
	// an OU, the account's name).
	TargetKind string `json:"target_kind"`
	TargetName string `json:"target_name"`
	// Guardrail is the generated policy's kind (deny-root, ...).
	Guardrail string `json:"guardrail"`
	// Attached counts the SCPs at the target now; MaxPerTarget is the
	// quota. Full: attaching one more fails (ConstraintViolationException).
	Attached     int  `json:"attached"`
	MaxPerTarget int  `json:"max_per_target"`
	Full         bool `json:"full"`
	// AlreadyAttached: a policy with the same document is attached at the
	// target already: there is nothing to place.
	AlreadyAttached string `json:"already_attached,omitempty"`
	// Accounts are the accounts under the target, by ID.
	Accounts []Effect `json:"accounts"`
	// NewlyCovered counts the accounts whose root the placement would
	// guard more strongly than now; Covered those already guarded as
	// strongly.
	NewlyCovered int `json:"newly_covered"`
	Covered      int `json:"covered"`
	// FullTargets are the targets on the placement's paths (the target,
	// the levels above it, the OUs and accounts below it) that already
	// hold the quota of SCPs.
	FullTargets []FullTarget `json:"full_targets"`
	// Problems block the placement (a full target, a break-glass root
	// locked out); Warnings do not.
	Problems []string `json:"problems"`
	Warnings []string `json:"warnings"`
}

// Effect is the guardrail on one account's root now and with the
// placement.
type Effect struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	Status string `json:"status,omitempty"`
	// Management: SCPs never apply to the management account; Now and
	// After are none.
	Management bool      `json:"management"`
	KeepRoot   bool      `json:"keep_root"`
	Now        Guardrail `json:"now"`
	After      Guardrail `json:"after"`
	// Newly: After ranks above Now.
	Newly bool `json:"newly_covered"`
}

// FullTarget is a target at the SCP quota.
type FullTarget struct {
	Target   string `json:"target"`
	Name     string `json:"name"`
	Attached int    `json:"attached"`
}

var (
	rootIDPattern    = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouIDPattern      = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	accountIDPattern = regexp.MustCompile(`^\d{12}$`)
)

// TargetKind says what an ID names: root (r-...), ou (ou-...-...),
// account (12 digits), or "" when it is none of these.
func TargetKind(id string) string {
	switch {
	case rootIDPattern.MatchString(id):
		return "root"
	case ouIDPattern.MatchString(id):
		return "ou"
	case accountIDPattern.MatchString(id):
		return "account"
	}
	return ""
}

// ErrTargetNotFound: the target is not in the organization as read.
var ErrTargetNotFound = errors.New("target not found in the organization")

// Simulate says what attaching the generated guardrail at target would
// do to every account under it, from the organization as it is: each
// account's guardrail now and with the policy attached there (Evaluate
// both), the management account never covered, the targets at the SCP
// quota, and what blocks the placement (Problems): the target at the
// quota, a deny-root that would lock out a break-glass root. An error
// means the target cannot be simulated (unknown, not in org).
func Simulate(org *Org, target string, g *Generated, o SimulateOptions) (*Placement, error) {
	quota := o.MaxPerTarget
	if quota <= 0 {
		quota = DefaultMaxPerTarget
	}
	kind := TargetKind(target)
	p := &Placement{Target: target, TargetKind: kind, Guardrail: g.Kind, MaxPerTarget: quota,
		Accounts: []Effect{}, FullTargets: []FullTarget{}, Problems: []string{}, Warnings: []string{}}
	switch kind {
	case "":
		return nil, fmt.Errorf("target %q is neither a root (r-...), an OU (ou-...-...) nor an account ID (12 digits)", target)
	case "root":
		if target != org.Root {
			return nil, fmt.Errorf("%w: %s is not the root of %s (%s)", ErrTargetNotFound, target, org.ID, org.Root)
		}
		p.TargetName = org.name(target)
	case "ou":
		if _, ok := org.Attached[target]; !ok && !org.above(target) {
			return nil, fmt.Errorf("%w: no OU %s in %s", ErrTargetNotFound, target, org.ID)
		}
		p.TargetName = org.name(target)
	case "account":
		a := org.account(target)
		if a == nil {
			return nil, fmt.Errorf("%w: no account %s in %s", ErrTargetNotFound, target, org.ID)
		}
		p.TargetName = a.Name
	}
	p.Attached = len(org.Attached[target])
	p.Full = p.Attached >= quota
	for _, pol := range org.Attached[target] {
		if sameDocument(pol.Document, string(g.Minified)) {
			p.AlreadyAttached = fmt.Sprintf("%s (%s)", pol.Name, pol.ID)
		}
	}
	if p.Full {
		p.Problems = append(p.Problems, fmt.Sprintf("%s already holds %d of %d SCPs: attaching %s there fails (ConstraintViolationException); detach one or place it at another level",
			p.label(), p.Attached, quota, g.Name()))
	}
	placed := Policy{ID: "(new)", Name: g.Name(), Target: target, Document: string(g.Minified)}
	keep := map[string]bool{}
	for _, k := range o.KeepRoot {
		keep[k] = true
	}
	full := map[string]bool{}
	addFull := func(t, name string) {
		if n := len(org.Attached[t]); n >= quota && !full[t] {
			full[t] = true
			p.FullTargets = append(p.FullTargets, FullTarget{Target: t, Name: name, Attached: n})
		}
	}
	// The levels above the target, top down, then the target.
	for _, a := range org.Accounts {
		if i := slices.Index(a.Parents, target); i >= 0 {
			for _, t := range a.Parents[:i] {
				addFull(t, org.name(t))
			}
			break
		}
		if a.ID == target {
			for _, t := range a.Parents {
				addFull(t, org.name(t))
			}
			break
		}
	}
	addFull(target, p.TargetName)
	for _, a := range org.Accounts {
		under := a.ID == target || slices.Contains(a.Parents, target)
		if !under {
			continue
		}
		e := Effect{ID: a.ID, Name: a.Name, Path: a.Path, Status: a.Status, KeepRoot: keep[a.ID], Now: Guardrail{Kind: None}, After: Guardrail{Kind: None}}
		// The OUs below the target on the way to this account, then the
		// account itself.
		for _, t := range a.Parents[slices.Index(a.Parents, target)+1:] {
			addFull(t, org.name(t))
		}
		addFull(a.ID, a.Name)
		if a.ID == org.ManagementAccount {
			e.Management = true
			e.Now.Notes = []string{"SCPs never apply to the management account"}
			e.After.Notes = e.Now.Notes
			p.Accounts = append(p.Accounts, e)
			continue
		}
		var now []Policy
		for _, t := range append(slices.Clone(a.Parents), a.ID) {
			now = append(now, org.Attached[t]...)
		}
		after := slices.Clone(now)
		// At its level: after the target's own policies.
		at := len(now)
		if t := slices.Index(a.Parents, target); t >= 0 {
			at = 0
			for _, lvl := range a.Parents[:t+1] {
				at += len(org.Attached[lvl])
			}
		}
		after = slices.Insert(after, at, placed)
		var err error
		if e.Now, err = Evaluate(a.ID, now); err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		if e.After, err = Evaluate(a.ID, after); err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		e.Newly = rank(e.After.Kind) > rank(e.Now.Kind)
		if e.Newly {
			p.NewlyCovered++
		} else if rank(e.Now.Kind) >= rank(GuardrailOf(g.Kind)) {
			p.Covered++
		}
		if e.KeepRoot {
			p.keepRoot(e, g)
		}
		p.Accounts = append(p.Accounts, e)
	}
	for _, k := range o.KeepRoot {
		if org.account(k) == nil {
			p.Warnings = append(p.Warnings, fmt.Sprintf("--keep-root %s is not an account of %s", k, org.ID))
		}
	}
	if p.AlreadyAttached != "" {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s already holds this guardrail as %s: nothing to attach", p.label(), p.AlreadyAttached))
	}
	if len(org.Unread) > 0 {
		p.Warnings = append(p.Warnings, "parts of the organization could not be read, and their accounts are missing: "+strings.Join(org.Unread, "; "))
	}
	return p, nil
}

// keepRoot judges a break-glass account under the placement.
func (p *Placement) keepRoot(e Effect, g *Generated) {
	who := fmt.Sprintf("break-glass account %s (%s)", e.ID, e.Name)
	switch {
	case e.After.Kind == DenyAll && e.Now.Kind != DenyAll:
		p.Problems = append(p.Problems, fmt.Sprintf("%s would be locked out: %s at %s denies its root every action (root sign-in included); "+
			"place it where %s is not, or leave it out of --keep-root", who, g.Name(), p.label(), e.ID))
	case e.After.Kind == DenyAll:
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s is locked out already, by %s", who, strings.Join(e.Now.By, ", ")))
	case e.Newly && e.After.Kind == DenyWithoutMFA:
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s keeps its break-glass path only with MFA: its root must sign in with its MFA device, and its access keys stop working", who))
	case e.Newly && e.After.Kind == DenyOutsideIPs:
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s keeps its break-glass path only from %s: its root must sign in from those ranges", who, strings.Join(e.After.AllowedRanges, ", ")))
	}
}

func (p *Placement) label() string {
	if p.TargetName == "" || p.TargetName == p.Target {
		return p.Target
	}
	return p.Target + " (" + p.TargetName + ")"
}

// Err is the placement's problems as one error, or nil when it can be
// made.
func (p *Placement) Err() error {
	if len(p.Problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(p.Problems, "; "))
}

func (o *Org) name(id string) string {
	if n := o.Names[id]; n != "" {
		return n
	}
	return id
}

// above reports whether an ID is the parent of some account.
func (o *Org) above(id string) bool {
	for _, a := range o.Accounts {
		if slices.Contains(a.Parents, id) {
			return true
		}
	}
	return false
}

func (o *Org) account(id string) *OrgAccount {
	for i := range o.Accounts {
		if o.Accounts[i].ID == id {
			return &o.Accounts[i]
		}
	}
	return nil
}

// sameDocument compares two policy documents as JSON values, whatever
// their spacing and key order.
func sameDocument(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
