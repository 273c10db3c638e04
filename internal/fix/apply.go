package fix

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// Step outcomes.
const (
	Applied = "applied"
	// Failed: a call failed; the step's calls made before it were undone
	// (RolledBack) or not (the step's Error says which undo failed).
	Failed = "failed"
	// Skipped: an earlier step of the account failed.
	Skipped = "skipped"
)

// StepResult is what became of one step.
type StepResult struct {
	Step    string `json:"step"`
	Account string `json:"account"`
	Kind    string `json:"kind"`
	Status  string `json:"status"`
	// Call is the action that failed.
	Call  string `json:"call,omitempty"`
	Error string `json:"error,omitempty"`
	// RolledBack: the calls the failed step had made were undone.
	RolledBack bool `json:"rolled_back,omitempty"`
}

// Applier applies a plan's steps.
type Applier struct {
	// Reach gives an account's clients; an error (the role cannot be
	// assumed) fails the account's first step.
	Reach func(ctx context.Context, account string) (Reach, error)
	// Log records every call made; nil records nothing.
	Log *RunLog
	// Concurrency bounds the accounts worked on at once.
	Concurrency int
	// Now is the log's clock; nil means time.Now.
	Now func() time.Time
	// Execute makes a call; nil means the package's Execute.
	Execute func(ctx context.Context, cl Clients, c Call) (map[string]string, error)
	// Record, when set, is given every entry once it is in the run log
	// (a history store keeps them); it is called from the goroutines of
	// several accounts at once.
	Record func(Entry)
}

// Apply applies the steps that have calls, account by account in plan
// order: a failed step undoes its calls already made and stops the
// account's remaining steps (Skipped); other accounts go on. The results
// are in plan order.
func (a *Applier) Apply(ctx context.Context, steps []Step) []StepResult {
	byAccount := map[string][]int{}
	var accounts []string
	for i, s := range steps {
		if s.Blocked != "" || len(s.Calls) == 0 {
			continue
		}
		if _, ok := byAccount[s.Account]; !ok {
			accounts = append(accounts, s.Account)
		}
		byAccount[s.Account] = append(byAccount[s.Account], i)
	}
	results := make([]*StepResult, len(steps))
	var g errgroup.Group
	g.SetLimit(max(1, a.Concurrency))
	for _, acct := range accounts {
		g.Go(func() error {
			a.applyAccount(ctx, acct, steps, byAccount[acct], results)
			return nil
		})
	}
	_ = g.Wait()
	var out []StepResult
	for _, r := range results {
		if r != nil {
			out = append(out, *r)
		}
	}
	return out
}

func (a *Applier) applyAccount(ctx context.Context, acct string, steps []Step, idx []int, results []*StepResult) {
	// Each account whose credentials make calls is reached once: acct's
	// own, or a step's Via.
	reaches := map[string]Reach{}
	errs := map[string]error{}
	reachOf := func(s Step) (Reach, error) {
		by := cmp.Or(s.Via, acct)
		if _, ok := reaches[by]; !ok && errs[by] == nil {
			reaches[by], errs[by] = a.Reach(ctx, by)
		}
		return reaches[by], errs[by]
	}
	stopped := ""
	for _, i := range idx {
		s := steps[i]
		r := &StepResult{Step: s.ID, Account: acct, Kind: s.Kind}
		results[i] = r
		switch {
		case stopped != "":
			r.Status, r.Error = Skipped, "not applied: "+stopped
			a.log(Entry{Account: acct, Step: s.ID, Result: Skipped, Error: r.Error})
			continue
		case ctx.Err() != nil:
			r.Status, r.Error = Skipped, "not applied: the run was interrupted"
			a.log(Entry{Account: acct, Step: s.ID, Result: Skipped, Error: r.Error})
			continue
		}
		// Reached only for a step that runs: no role is assumed for a
		// step skipped.
		reach, err := reachOf(s)
		if err != nil {
			r.Status, r.Error = Failed, fmt.Sprintf("reach account %s: %v", cmp.Or(s.Via, acct), err)
			a.log(Entry{Account: acct, Step: s.ID, Result: Failed, Error: r.Error})
			stopped = "step " + s.ID + " failed"
			continue
		}
		a.applyStep(ctx, reach(s.Region), s, r)
		if r.Status != Applied {
			stopped = "step " + s.ID + " failed"
		}
	}
}

// made is a call made in a step, with its undo resolved.
type made struct {
	call Call
	undo []Call
}

// applyStep makes the step's calls in order; when one fails, the calls
// made are undone in reverse order, so the step is all or nothing.
func (a *Applier) applyStep(ctx context.Context, cl Clients, s Step, r *StepResult) {
	exec := a.Execute
	if exec == nil {
		exec = Execute
	}
	var done []made
	if s.RootSession != nil {
		// The step's calls are made as a member's root: the session is
		// opened first, so a refusal there changes nothing. Its
		// credentials are never logged.
		e := Entry{Account: s.Account, Region: s.Region, Step: s.ID, Action: "sts:AssumeRoot", Params: s.RootSession.params(), Result: "ok"}
		var err error
		if cl, err = openRootSession(ctx, cl, *s.RootSession); err != nil {
			e.Result, e.Error = "error", err.Error()
			a.log(e)
			r.Status, r.Call, r.RolledBack = Failed, "sts:AssumeRoot", true
			r.Error = fmt.Sprintf("account %s, step %s: sts:AssumeRoot (%s): %v: nothing was changed", s.Account, s.ID, s.RootSession.TaskPolicyArn, err)
			return
		}
		a.log(e)
	}
	// results are the step's calls' results so far, filling "${Name}" in
	// later calls.
	results := map[string]string{}
	for _, c := range s.Calls {
		c.Params = resolveValue(c.Params, results).(map[string]any)
		var res map[string]string
		var err error
		if missing := unresolved(c.Params); len(missing) > 0 {
			// Never sent with the placeholder in it: AWS would refuse it,
			// or worse, take it.
			err = fmt.Errorf("%s not made: %s unknown (no earlier call of the step returned it)", c.Action, strings.Join(missing, ", "))
		} else {
			res, err = exec(ctx, cl, c)
		}
		maps.Copy(results, res)
		undo := resolve(c.Undo, results)
		e := Entry{Account: s.Account, Region: s.Region, Step: s.ID, Action: c.Action, Params: c.Params, Output: res, Undo: undo, Irreversible: c.Irreversible, Result: "ok"}
		if err != nil {
			e.Result, e.Error, e.Undo = "error", err.Error(), nil
			a.log(e)
			r.Status, r.Call = Failed, c.Action
			r.Error = fmt.Sprintf("account %s, step %s: %s: %v", s.Account, s.ID, c.Action, err)
			r.RolledBack = a.rollback(context.WithoutCancel(ctx), cl, s, done, r)
			return
		}
		a.log(e)
		done = append(done, made{call: c, undo: undo})
	}
	r.Status = Applied
}

// rollback undoes the calls made, last first; it reports whether all were
// undone, adding what was not to the result's error.
func (a *Applier) rollback(ctx context.Context, cl Clients, s Step, done []made, r *StepResult) bool {
	exec := a.Execute
	if exec == nil {
		exec = Execute
	}
	ok := true
	var kept []string
	for _, d := range done {
		if d.call.Irreversible {
			kept = append(kept, d.call.String())
		}
	}
	if len(kept) > 0 {
		ok = false
		r.Error += "; made before the failure, and they cannot be undone: " + strings.Join(kept, "; ")
	}
	for i := len(done) - 1; i >= 0; i-- {
		for _, u := range done[i].undo {
			var err error
			if missing := unresolved(u.Params); len(missing) > 0 {
				err = fmt.Errorf("not made: %s unknown (the call did not return it)", strings.Join(missing, ", "))
			} else {
				_, err = exec(ctx, cl, u)
			}
			e := Entry{Account: s.Account, Region: s.Region, Step: s.ID, Action: u.Action, Params: u.Params, Rollback: true, Result: "ok"}
			if err != nil {
				e.Result, e.Error = "error", err.Error()
				ok = false
				r.Error += fmt.Sprintf("; undo %s failed: %v (see the run log's undo of %s)", u.Action, err, done[i].call.Action)
			}
			a.log(e)
		}
	}
	return ok
}

// resolve fills "${Name}" parameters of the undo calls from a call's
// result.
func resolve(undo []Call, res map[string]string) []Call {
	if len(undo) == 0 {
		return nil
	}
	out := make([]Call, len(undo))
	for i, u := range undo {
		out[i] = Call{Action: u.Action, Params: resolveValue(u.Params, res).(map[string]any)}
	}
	return out
}

// placeholder is the name in a "${Name}" parameter, if v is one.
func placeholder(v string) (string, bool) {
	name, ok := strings.CutPrefix(v, "${")
	if !ok || !strings.HasSuffix(name, "}") {
		return "", false
	}
	name = strings.TrimSuffix(name, "}")
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) {
		return "", false
	}
	return name, true
}

// unresolved are the "${Name}" placeholders left in v, sorted.
func unresolved(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if _, ok := placeholder(x); ok && !slices.Contains(out, x) {
				out = append(out, x)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	slices.Sort(out)
	return out
}

func resolveValue(v any, res map[string]string) any {
	switch x := v.(type) {
	case string:
		if name, ok := placeholder(x); ok {
			if r, ok := res[name]; ok {
				return r
			}
		}
		return x
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = resolveValue(e, res)
		}
		return m
	case []any:
		return slices.Collect(func(yield func(any) bool) {
			for _, e := range x {
				if !yield(resolveValue(e, res)) {
					return
				}
			}
		})
	}
	return v
}

// log writes an entry to the run log, then hands it to Record.
func (a *Applier) log(e Entry) {
	e.Time = a.now()
	a.Log.write(e.Time, e)
	if a.Record != nil {
		a.Record(e)
	}
}

func (a *Applier) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// Entry is one line of the run log.
type Entry struct {
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Region  string    `json:"region,omitempty"`
	Step    string    `json:"step"`
	// Action and Params are the call made ("" for a step not applied).
	Action string         `json:"action,omitempty"`
	Params map[string]any `json:"params,omitempty"`
	// Result is ok, error, skipped or failed (a step that could not start).
	Result string            `json:"result"`
	Error  string            `json:"error,omitempty"`
	Output map[string]string `json:"output,omitempty"`
	// Undo are the calls that take this one back.
	Undo []Call `json:"undo,omitempty"`
	// Irreversible: nothing takes this call back (a root credential
	// deleted).
	Irreversible bool `json:"irreversible,omitempty"`
	// Rollback marks an undo call made because a later call of its step
	// failed.
	Rollback bool `json:"rollback,omitempty"`
}

// RunLog is an append-only file of JSON lines, one per call made, each
// on disk before the next call.
type RunLog struct {
	mu   sync.Mutex
	f    *os.File
	path string
	err  error
}

// OpenRunLog opens (creating, or appending to) the run log at path.
func OpenRunLog(path string) (*RunLog, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open run log %s: %w", path, err)
	}
	return &RunLog{f: f, path: path}, nil
}

// write appends one entry and syncs it; the first failure is kept (Err).
func (l *RunLog) write(t time.Time, e Entry) {
	if l == nil {
		return
	}
	e.Time = t
	b, err := json.Marshal(e)
	if err != nil {
		b, _ = json.Marshal(Entry{Time: t, Account: e.Account, Step: e.Step, Action: e.Action, Result: e.Result, Error: "unencodable entry: " + err.Error()})
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(b, '\n')); err != nil && l.err == nil {
		l.err = fmt.Errorf("write run log %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil && l.err == nil {
		l.err = fmt.Errorf("sync run log %s: %w", l.path, err)
	}
}

// Err is the first write to the log that failed.
func (l *RunLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Close closes the log, returning the first failure.
func (l *RunLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.f.Close(); err != nil && l.err == nil {
		l.err = fmt.Errorf("close run log %s: %w", l.path, err)
	}
	return l.err
}
