package history

import (
	"context"
	"errors"
	"fmt"
	"iter"
)

// The changes a diff of two runs tells of a finding.
const (
	// ChangeNew: failing in the newer run, not failing or absent in the
	// older one (an account added fails with new findings).
	ChangeNew = "new"
	// ChangeFixed: failing in the older run, not failing in the newer one,
	// or absent from it while its account is still audited (the check no
	// longer reports it).
	ChangeFixed = "fixed"
	// ChangeStill: failing in both runs.
	ChangeStill = "still"
	// ChangeGone: failing in the older run, whose account the newer run
	// does not hold: neither fixed nor failing, the account is gone.
	ChangeGone = "gone"
)

// Change is one finding that differs between two runs, or fails in both.
type Change struct {
	Change string `json:"change"`
	// Finding is the newer run's finding, or the older one's when the
	// newer run has none.
	Finding Finding `json:"finding"`
	// Before is the finding's status in the older run, "" when absent.
	Before string `json:"before,omitempty"`
	// After is its status in the newer run, "" when absent.
	After string `json:"after,omitempty"`
}

const statusFail = "fail"

// MergeDiff merges the findings of two runs, each ordered by finding ID,
// and calls fn for every finding failing in either run, in finding ID
// order. goneAccount says whether an account of the older run is absent
// from the newer one. Memory is bounded: one finding of each run at a
// time. An error from a stream or from fn stops the merge and is returned.
func MergeDiff(before, after iter.Seq2[Finding, error], goneAccount func(string) bool, fn func(Change) error) error {
	nextB, stopB := iter.Pull2(before)
	defer stopB()
	nextA, stopA := iter.Pull2(after)
	defer stopA()
	pull := func(next func() (Finding, error, bool), which string) (Finding, bool, error) {
		f, err, ok := next()
		if err != nil {
			return Finding{}, false, fmt.Errorf("read the %s run's findings: %w", which, err)
		}
		return f, ok, nil
	}
	b, okB, err := pull(nextB, "older")
	if err != nil {
		return err
	}
	a, okA, err := pull(nextA, "newer")
	if err != nil {
		return err
	}
	var last string
	for okB || okA {
		var c Change
		switch {
		case okB && (!okA || b.ID < a.ID):
			if b.ID < last {
				return fmt.Errorf("the older run's findings are not ordered by ID (%s after %s)", b.ID, last)
			}
			last = b.ID
			if b.Status == statusFail {
				c = Change{Change: ChangeFixed, Finding: b, Before: b.Status}
				if goneAccount(b.Account) {
					c.Change = ChangeGone
				}
			}
			if b, okB, err = pull(nextB, "older"); err != nil {
				return err
			}
		case okA && (!okB || a.ID < b.ID):
			if a.ID < last {
				return fmt.Errorf("the newer run's findings are not ordered by ID (%s after %s)", a.ID, last)
			}
			last = a.ID
			if a.Status == statusFail {
				c = Change{Change: ChangeNew, Finding: a, After: a.Status}
			}
			if a, okA, err = pull(nextA, "newer"); err != nil {
				return err
			}
		default: // the same finding in both runs
			if a.ID < last {
				return fmt.Errorf("the findings are not ordered by ID (%s after %s)", a.ID, last)
			}
			last = a.ID
			switch {
			case a.Status == statusFail && b.Status == statusFail:
				c = Change{Change: ChangeStill, Finding: a, Before: b.Status, After: a.Status}
			case a.Status == statusFail:
				c = Change{Change: ChangeNew, Finding: a, Before: b.Status, After: a.Status}
			case b.Status == statusFail:
				c = Change{Change: ChangeFixed, Finding: a, Before: b.Status, After: a.Status}
			}
			if b, okB, err = pull(nextB, "older"); err != nil {
				return err
			}
			if a, okA, err = pull(nextA, "newer"); err != nil {
				return err
			}
		}
		if c.Change != "" {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// RunFindings streams a run's findings from the store as a sequence, for
// MergeDiff.
func RunFindings(ctx context.Context, st Store, runID int64) iter.Seq2[Finding, error] {
	return func(yield func(Finding, error) bool) {
		errStop := errors.New("stop")
		err := st.EachFinding(ctx, FindingFilter{RunID: runID}, func(f Finding) error {
			if !yield(f, nil) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			yield(Finding{}, err)
		}
	}
}

// RunAccounts returns the accounts of a run (from its observations).
func RunAccounts(ctx context.Context, st Store, runID int64) (map[string]bool, error) {
	accts := map[string]bool{}
	err := st.Observations(ctx, ObservationFilter{RunID: runID}, func(o Observation) error {
		accts[o.Account] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the accounts of run %d in store %s: %w", runID, st, err)
	}
	return accts, nil
}
