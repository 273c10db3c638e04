// Package fix turns an audit into a plan of AWS API calls that fix what it
// found, and applies the plan when told: one step per fix, each a short,
// ordered list of calls with their parameters and the calls that undo them.
//
// A step kind (Kind) plans its steps for one account from the audit's facts
// and findings and from the live state of what it would change, read through
// the account's clients, so a plan is idempotent by construction: what is
// already in place is not planned again. Apply runs the steps account by
// account; a failed call undoes the calls its step already made and stops
// that account's remaining steps, not the other accounts'. Every call made
// is written to a run log (RunLog).
package fix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// PlanVersion is the version of the plan file format.
const PlanVersion = 1

// Plan is what fix would do: the steps, with the evidence they rest on.
type Plan struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	// Organization is the organization the plan's accounts belong to, ""
	// for a single account outside one.
	Organization string `json:"organization,omitempty"`
	// Evidence is, by account, when the audit the plan rests on saw it
	// (the snapshot's collection time, the report's generation time, or
	// the live audit's time).
	Evidence map[string]time.Time `json:"evidence"`
	// KeepRoot are break-glass accounts whose root credentials no step
	// touches.
	KeepRoot []string `json:"keep_root,omitempty"`
	Steps    []Step   `json:"steps"`
	// Errors are the accounts that could not be planned, with why.
	Errors []AccountError `json:"errors,omitempty"`
}

// AccountError is an account (and step kind) that could not be planned.
type AccountError struct {
	Account string `json:"account"`
	Kind    string `json:"kind,omitempty"`
	Error   string `json:"error"`
}

// Step is one fix in one account: calls made in order, all or none.
type Step struct {
	// ID is stable across plans: kind/account/region/target.
	ID      string `json:"id"`
	Account string `json:"account"`
	Region  string `json:"region,omitempty"`
	Kind    string `json:"kind"`
	// Target is what the step creates or changes (an ARN or name).
	Target string `json:"target"`
	// Finding is the finding the step fixes: check and finding ID.
	Finding FindingRef `json:"finding"`
	Why     string     `json:"why"`
	// Blocked, when set, says why the step cannot be planned (no calls):
	// what must be done first, by hand.
	Blocked string `json:"blocked,omitempty"`
	// TouchesRootCredentials marks steps that change a root user's
	// credentials: never planned for KeepRoot accounts.
	TouchesRootCredentials bool `json:"touches_root_credentials,omitempty"`
	// Via, when set, is the account whose credentials make the calls (the
	// organization's management account or a delegated administrator)
	// for a step that changes Account from outside it: an SCP attached to
	// it, its root credentials deleted in an sts:AssumeRoot session. The
	// step still belongs to Account: its failure stops Account's
	// remaining steps, not Via's.
	Via string `json:"via,omitempty"`
	// Covers are the accounts a step made once for many changes (an SCP
	// attached to an OU covers its accounts): --accounts and --keep-root
	// look at them too.
	Covers []string `json:"covers,omitempty"`
	// RootSession, when set, is the sts:AssumeRoot session the step's
	// calls are made in, as TargetPrincipal's root: the applier opens it
	// with Via's credentials before the first call (root-access kind).
	RootSession *RootSession `json:"root_session,omitempty"`
	Calls       []Call       `json:"calls,omitempty"`
}

// FindingRef names a finding: its check and stable ID.
type FindingRef struct {
	Check string `json:"check"`
	ID    string `json:"id,omitempty"`
}

// Call is one AWS API call: Action as IAM names it ("logs:PutMetricFilter")
// and its parameters as the API names them. Undo are the calls that take
// it back, in order; a string parameter "${Name}" in them stands for the
// call's result Name (a subscription's ARN, known once it is made), and in
// a later call of the same step for the result Name of an earlier call (a
// policy created, then attached by its ID).
type Call struct {
	Action string         `json:"action"`
	Params map[string]any `json:"params"`
	Undo   []Call         `json:"undo,omitempty"`
	// Irreversible marks a call nothing can take back (a root credential
	// deleted): when a later call of its step fails, it stays made.
	Irreversible bool `json:"irreversible,omitempty"`
}

// String is the call on one line: the action and its parameters as JSON.
func (c Call) String() string {
	return c.Action + " " + string(canonical(c.Params))
}

// canonical is v's JSON with map keys sorted, no HTML escaping.
func canonical(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(fmt.Sprintf("%q", "unencodable: "+err.Error()))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'})
}

// Applicable are the steps with calls to make (not blocked).
func (p *Plan) Applicable() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Blocked == "" && len(s.Calls) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Accounts are the accounts with steps to apply, sorted.
func (p *Plan) Accounts() []string {
	var out []string
	for _, s := range p.Applicable() {
		if !slices.Contains(out, s.Account) {
			out = append(out, s.Account)
		}
	}
	slices.Sort(out)
	return out
}

// Write writes the plan as indented JSON.
func (p *Plan) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// maxPlanSize bounds a plan file read into memory.
const maxPlanSize = 64 << 20

// ReadPlan reads a plan written by Write, named name in errors. It refuses
// what is not one: another version, unknown fields, steps without an
// account or kind, a step's ID twice, calls without an action.
func ReadPlan(r io.Reader, name string) (*Plan, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", name, err)
	}
	if len(data) > maxPlanSize {
		return nil, fmt.Errorf("read plan %s: larger than %d MiB: not a plan", name, maxPlanSize>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var p Plan
	if err := dec.Decode(&p); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte{'\n'})
			return nil, fmt.Errorf("read plan %s: line %d: %w", name, line, err)
		}
		return nil, fmt.Errorf("read plan %s: not a rootwatch plan: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("read plan %s: more than one JSON value: not a rootwatch plan", name)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("read plan %s: version %d, this rootwatch reads version %d", name, p.Version, PlanVersion)
	}
	if p.CreatedAt.IsZero() {
		return nil, fmt.Errorf("read plan %s: no created_at", name)
	}
	seen := map[string]bool{}
	for i, s := range p.Steps {
		switch {
		case s.ID == "" || s.Account == "" || s.Kind == "":
			return nil, fmt.Errorf("read plan %s: step %d has no id, account or kind", name, i+1)
		case !IsAccountID(s.Account):
			return nil, fmt.Errorf("read plan %s: step %s: account %q is not a 12-digit account ID", name, s.ID, s.Account)
		case seen[s.ID]:
			return nil, fmt.Errorf("read plan %s: step %s appears twice", name, s.ID)
		}
		seen[s.ID] = true
		if _, ok := p.Evidence[s.Account]; !ok {
			return nil, fmt.Errorf("read plan %s: step %s: no evidence time for account %s", name, s.ID, s.Account)
		}
		if s.Via != "" && !IsAccountID(s.Via) {
			return nil, fmt.Errorf("read plan %s: step %s: via %q is not a 12-digit account ID", name, s.ID, s.Via)
		}
		for _, a := range s.Covers {
			if !IsAccountID(a) {
				return nil, fmt.Errorf("read plan %s: step %s: covers %q, not a 12-digit account ID", name, s.ID, a)
			}
		}
		if rs := s.RootSession; rs != nil && (rs.TargetPrincipal != s.Account || s.Via == "" || !validRootTaskPolicy(rs.TaskPolicyArn)) {
			return nil, fmt.Errorf("read plan %s: step %s: root_session must be of the step's account %s, made via another account, with an AWS root-task policy", name, s.ID, s.Account)
		}
		for j, c := range s.Calls {
			if !validAction(c.Action) {
				return nil, fmt.Errorf("read plan %s: step %s call %d: action %q is not service:Operation", name, s.ID, j+1, c.Action)
			}
		}
	}
	return &p, nil
}

func validAction(a string) bool {
	svc, op, ok := strings.Cut(a, ":")
	return ok && svc != "" && op != "" && !strings.ContainsAny(a, " \t\n")
}

// IsAccountID says whether s is a 12-digit AWS account ID.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Narrow keeps the steps of the given kinds and accounts (all when empty;
// a step made for many accounts is kept when one of them is given), and
// drops steps touching root credentials in keepRoot accounts.
func (p *Plan) Narrow(kinds, accounts, keepRoot []string) {
	p.KeepRoot = slices.Clone(keepRoot)
	p.Steps = slices.DeleteFunc(p.Steps, func(s Step) bool {
		in := func(list []string) bool {
			return slices.Contains(list, s.Account) || slices.ContainsFunc(s.Covers, func(a string) bool { return slices.Contains(list, a) })
		}
		return len(kinds) > 0 && !slices.Contains(kinds, s.Kind) ||
			len(accounts) > 0 && !in(accounts) ||
			s.TouchesRootCredentials && in(keepRoot)
	})
}
