package report

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/model"
)

// SARIF's baselineState of each change of a diff: a finding failing in the
// newer run only is "new", failing in both "unchanged", failing in the
// older run only (fixed, or its account gone) "absent".
var sarifBaselineState = map[string]string{
	history.ChangeNew:   "new",
	history.ChangeStill: "unchanged",
	history.ChangeFixed: "absent",
	history.ChangeGone:  "absent",
}

// diffSARIF writes a diff as SARIF 2.1.0: one result per change, with the
// change as the result's baselineState. Failing findings (new, still) are
// results of kind "fail" at their severity's level, as the audit's SARIF
// writes them (the same rules, locations and fingerprints, so a consumer
// matches them with the audit's); findings no longer failing (fixed, gone)
// are of kind "pass" and level "none". The rules of the checks a
// DiffHeader lists come first; a check it does not list (a custom rule)
// gets a rule of its own when first seen. Results are spooled (memory
// stays bounded) until the end, when the run's head, with the summary in
// its properties, is written before them.
type diffSARIF struct {
	w       io.Writer
	header  DiffHeader
	rules   map[string]int
	unknown []Check
	results *spool
	n       int
}

func newDiffSARIF(w io.Writer) DiffWriter { return &diffSARIF{w: w} }

func (d *diffSARIF) Begin(h DiffHeader) error {
	d.header = h
	d.rules = addSARIFRules(newSARIFRun(h.Tool), h.Checks)
	d.results = newSpool("")
	return nil
}

func (d *diffSARIF) Change(c history.Change) error {
	f := c.Finding
	if _, ok := d.rules[f.Check]; !ok {
		d.rules[f.Check] = len(d.rules)
		d.unknown = append(d.unknown, Check{ID: f.Check, Severity: f.Severity})
	}
	// The change, and the finding's status in each run ("" when absent
	// from it, and then left out).
	props := sarif.NewPropertyBag().Add("change", c.Change)
	if c.Before != "" {
		props.Add("before", c.Before)
	}
	if c.After != "" {
		props.Add("after", c.After)
	}
	res := sarifFindingResult(&model.Finding{ID: f.ID, Check: f.Check, Severity: f.Severity, Account: f.Account, Resource: f.Resource, Message: f.Message}, d.rules).
		WithBaselineState(sarifBaselineState[c.Change]).
		WithKind("fail").
		WithProperties(props)
	if c.Change == history.ChangeFixed || c.Change == history.ChangeGone {
		res.WithKind("pass").WithLevel("none")
	}
	if err := writeSARIFResult(d.results, res, d.n); err != nil {
		return err
	}
	d.n++
	return nil
}

func (d *diffSARIF) End(s DiffSummary) error {
	defer d.results.Close()
	h := d.header
	run := newSARIFRun(h.Tool)
	addSARIFRules(run, append(h.Checks[:len(h.Checks):len(h.Checks)], d.unknown...))
	runInfo := func(r history.Run) map[string]any {
		return map[string]any{"id": r.ID, "as_of": r.AsOf.UTC().Format(time.RFC3339), "accounts": r.Accounts}
	}
	added, gone := s.AccountsAdded, s.AccountsGone
	if added == nil {
		added = []string{}
	}
	if gone == nil {
		gone = []string{}
	}
	safe := func(accts []string) []string {
		out := make([]string, len(accts))
		for i, a := range accts {
			out[i] = sarifSafe(a)
		}
		return out
	}
	run.WithProperties(sarif.NewPropertyBag().
		Add("store", sarifSafe(h.Store)).
		Add("before", runInfo(h.Before)).
		Add("after", runInfo(h.After)).
		Add("summary", map[string]any{"new": s.New, "fixed": s.Fixed, "still_failing": s.Still, "failing_in_gone_accounts": s.Gone,
			"accounts_added": safe(added), "accounts_gone": safe(gone), "fail_on": s.FailOn, "new_at_fail_on": s.NewAtFailOn}))
	bw := bufio.NewWriterSize(d.w, 256<<10)
	if err := writeSARIFHead(bw, run); err != nil {
		return err
	}
	r, err := d.results.reader()
	if err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	if _, err := bw.ReadFrom(r); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return writeSARIFTail(bw, d.n, nil, 0)
}
