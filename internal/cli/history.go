package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/report"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// HistoryOptions are the flags of 'rootwatch history' and its subcommands.
type HistoryOptions struct {
	Deps *Deps
	StoreOptions
	Format string
	FailOn string
	// Output is --output: the file written instead of standard output.
	Output string
}

const historyStoreHelp = "read the history store at `URL`: sqlite:PATH, postgres://..., a file path, or 'default' (default: $" + history.EnvStore + ", else ~/.local/share/rootwatch/history.db)"

func newHistoryCmd(d *Deps) *cobra.Command {
	opts := &HistoryOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "history [--store URL]",
		Short: "The audits kept in a history store: list the runs, diff two, follow an account",
		Long: `List the runs kept by 'rootwatch audit --store': id, the as-of span of their
credential reports, when they were written, accounts, findings and the
rootwatch version that wrote them.

The store: --store URL (sqlite:PATH, postgres://..., a file path, or
'default'), else $` + history.EnvStore + `, else the default file in the data directory.

--output FILE writes the list there instead, whole or not at all (also
for 'history diff' and 'history account'); it cannot name the store.

Exit codes: 0 listed; 2 usage error, or no store there; 4 the store could
not be read or --output not written; 130 interrupted.`,
		Example: `  rootwatch history --store sqlite:history.db
  rootwatch history diff            # the last two runs
  rootwatch history diff 3 7 --format json
  rootwatch history diff --format sarif -o diff.sarif
  rootwatch history account 123456789012
  rootwatch history fixes --account 123456789012 --since 30d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHistoryList(cmd.Context(), opts) },
	}
	pf := cmd.PersistentFlags()
	stringOnceVar(pf, &opts.Store, "store", "", historyStoreHelp)
	stringOnceVarP(pf, &opts.Format, "format", "f", "table", "output `FORMAT`: "+strings.Join(report.FormatsFor(report.CommandHistory), ", ")+
		"; diff: "+strings.Join(report.FormatsFor(report.CommandHistoryDiff), ", ")+"; account: "+strings.Join(report.TimelineFormats(), ", ")+
		"; fixes: "+strings.Join(report.FixesFormats(), ", "))
	stringOnceVarP(pf, &opts.Output, "output", "o", "", "write to `FILE` instead of standard output (whole or not at all)")
	cmd.AddCommand(newHistoryDiffCmd(opts), newHistoryAccountCmd(opts), newHistoryFixesCmd(opts))
	return cmd
}

func newHistoryDiffCmd(opts *HistoryOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff [RUN [RUN]]",
		Short: "What changed between two runs: findings new, fixed and still failing, accounts added and gone",
		Long: `Diff two runs of the store (default: the last two; one RUN: that run against
the last one), merging their findings by stable ID in bounded memory:

  new    failing in the newer run, not failing or absent in the older one
         (the failing findings of an account added are new)
  fixed  failing in the older run, not failing in the newer one, or absent
         from it while its account is still audited
  still  failing in both
  gone   failing in the older run, whose account the newer run does not
         hold: not counted as fixed; the account is listed as gone

Formats:
` + report.FormatHelp(report.CommandHistoryDiff) + `
SARIF gives each change as a result whose baselineState is new, unchanged
(still) or absent (fixed, gone); findings no longer failing are of kind
"pass" and level "none". A consumer that reads no baselineState would show
those as results too: for GitHub code scanning, upload the audit's SARIF
('rootwatch audit --format sarif').

Exit codes: 0 no new failing finding at or above --fail-on; 1 some; 2
usage error (unknown run, fewer than two runs, no store); 4 the store could
not be read or --output not written; 130 interrupted. --output gets the diff
whatever the exit code.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runHistoryDiff(cmd.Context(), opts, args) },
	}
	stringOnceVar(cmd.Flags(), &opts.FailOn, "fail-on", "", "lowest `SEVERITY` of a new failing finding that exits 1: critical, high, medium, low, info or none (default high)")
	return cmd
}

func newHistoryAccountCmd(opts *HistoryOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "account ID",
		Short: "One account's timeline: per run its root facts and failing findings",
		Long: `Follow one account run after run: per observation its as-of time, root's
password last use, access keys (active, last rotated, last used), MFA and
asset count, CloudTrail's root sign-ins and key-signed calls in the window
before it when the run read CloudTrail, and the checks failing in that run.
Formats: table, json, csv (one row per observation).

Exit codes: 0 written; 2 usage error, no store, or the account is in no run;
4 the store could not be read or --output not written; 130 interrupted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runHistoryAccount(cmd.Context(), opts, args[0]) },
	}
}

// openHistoryStore opens the store the history commands read, after
// --output is checked (before any work: not the store's own file, in a
// directory where a file can be created): a SQLite file that does not
// exist is not created (exit 2), a store that cannot be opened is exit 4.
// It returns the file to write ("" or "-": standard output).
func openHistoryStore(ctx context.Context, o *HistoryOptions) (history.Store, string, error) {
	url, err := o.storeURL(o.Deps.Getenv)
	if err == nil && url == "" {
		url, err = history.DefaultURL(o.Deps.Getenv)
	}
	if err != nil {
		return nil, "", &ExitError{Code: exitInternal, Err: err}
	}
	outPath, err := outputPath(o.Output, storeFile(url))
	if err != nil {
		return nil, "", &ExitError{Code: ExitUsage, Err: err}
	}
	if path := storeFile(url); path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, "", usageError("store %s holds no runs: there is no file %s (keep audits with 'rootwatch audit --store %s')", url, path, url)
		}
	}
	st, err := history.Open(ctx, url)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		if errors.Is(err, history.ErrBadURL) {
			return nil, "", usageError("--store: %v", err)
		}
		return nil, "", &ExitError{Code: exitInternal, Err: fmt.Errorf("history cannot read its store: %w", err)}
	}
	return st, outPath, nil
}

func storeReadError(st history.Store, what string, err error) error {
	return &ExitError{Code: exitInternal, Err: fmt.Errorf("%s of store %s: %w", what, st, err)}
}

// writeHistoryOutput writes to standard output or, whole or not at all,
// to --output; a failure to write is exit 4.
func writeHistoryOutput(ctx context.Context, path string, o *HistoryOptions, write func(io.Writer) error) error {
	if err := writeAtomic(path, o.Deps.Out, write); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // interrupted: --output is left as it was
		}
		var ee *ExitError
		if errors.As(err, &ee) {
			return err
		}
		return &ExitError{Code: exitInternal, Err: err}
	}
	return nil
}

func storeRunList(ctx context.Context, st history.Store) ([]history.Run, error) {
	runs, err := st.Runs(ctx)
	if err != nil {
		return nil, storeReadError(st, "list the runs", err)
	}
	return runs, nil
}

func runHistoryList(ctx context.Context, o *HistoryOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	write, err := report.NewRunsWriter(o.Format)
	if err != nil {
		return usageError("--format: %v", err)
	}
	st, outPath, err := openHistoryStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := storeRunList(ctx, st)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return usageError("store %s holds no runs (keep audits with 'rootwatch audit --store')", st)
	}
	return writeHistoryOutput(ctx, outPath, o, func(w io.Writer) error { return write(w, runs) })
}

// diffRuns picks the two runs a diff compares.
func diffRuns(ctx context.Context, st history.Store, args []string) (before, after history.Run, err error) {
	runs, err := storeRunList(ctx, st)
	if err != nil {
		return before, after, err
	}
	pick := func(arg string) (history.Run, error) {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return history.Run{}, usageError("run %q: want a run ID, a positive integer ('rootwatch history' lists them)", arg)
		}
		r, err := st.Run(ctx, id)
		if errors.Is(err, history.ErrNotFound) {
			return r, usageError("store %s holds no run %d ('rootwatch history' lists them)", st, id)
		}
		if err != nil {
			return r, storeReadError(st, fmt.Sprintf("read run %d", id), err)
		}
		return r, nil
	}
	switch len(args) {
	case 0:
		if len(runs) < 2 {
			return before, after, usageError("store %s holds %s: a diff needs two", st, plural(len(runs), "run", ""))
		}
		return runs[len(runs)-2], runs[len(runs)-1], nil
	case 2:
		if args[0] == args[1] {
			return before, after, usageError("run %s against itself: give two different runs", args[0])
		}
	}
	switch len(args) {
	case 1:
		if before, err = pick(args[0]); err != nil {
			return before, after, err
		}
		after = runs[len(runs)-1]
		if after.ID == before.ID {
			return before, after, usageError("run %d is the last run of store %s: give the run to diff it with", before.ID, st)
		}
		return before, after, nil
	}
	if before, err = pick(args[0]); err != nil {
		return before, after, err
	}
	after, err = pick(args[1])
	return before, after, err
}

// diffChecks describes the built-in checks, for the formats that list
// them (SARIF's rules); a check of the store they do not hold (a custom
// rule) is described by the writer from its findings.
func diffChecks() ([]report.Check, error) {
	builtin, err := rules.Builtin()
	if err != nil {
		return nil, fmt.Errorf("read the built-in checks: %w", err)
	}
	checks := make([]report.Check, 0, len(builtin))
	for _, r := range builtin {
		comp := r.Compliance
		if comp == nil {
			comp = map[string][]string{}
		}
		checks = append(checks, report.Check{ID: r.ID, Title: r.Title, Severity: r.Severity, Remediation: r.Remediation, Compliance: comp})
	}
	return checks, nil
}

func runHistoryDiff(ctx context.Context, o *HistoryOptions, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	failOn := "high"
	if o.FailOn != "" {
		failOn = o.FailOn
	}
	if failOn != "none" && model.SeverityRank(failOn) < 0 {
		return usageError("--fail-on %q: want one of %s or none", failOn, strings.Join(model.Severities(), ", "))
	}
	if err := report.CheckFormat(report.CommandHistoryDiff, o.Format); err != nil {
		return usageError("--format: %v", err)
	}
	checks, err := diffChecks()
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	st, outPath, err := openHistoryStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	before, after, err := diffRuns(ctx, st, args)
	if err != nil {
		return err
	}
	acctB, err := history.RunAccounts(ctx, st, before.ID)
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	acctA, err := history.RunAccounts(ctx, st, after.ID)
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	sum := report.DiffSummary{FailOn: failOn}
	for a := range acctA {
		if !acctB[a] {
			sum.AccountsAdded = append(sum.AccountsAdded, a)
		}
	}
	for a := range acctB {
		if !acctA[a] {
			sum.AccountsGone = append(sum.AccountsGone, a)
		}
	}
	slices.Sort(sum.AccountsAdded)
	slices.Sort(sum.AccountsGone)
	h := report.DiffHeader{Store: st.String(), Before: before, After: after,
		Tool: report.Tool{Name: "rootwatch", Version: o.Deps.Version}, Checks: checks}
	err = writeHistoryOutput(ctx, outPath, o, func(out io.Writer) error {
		w, err := report.NewDiffWriter(o.Format, out)
		if err != nil {
			return usageError("--format: %v", err)
		}
		return writeDiff(ctx, st, w, h, acctA, &sum)
	})
	if err != nil {
		return err
	}
	if sum.NewAtFailOn > 0 {
		return &ExitError{Code: ExitFailing}
	}
	return nil
}

// writeDiff merges the findings of the header's two runs into the writer
// and counts the changes into sum; acctA holds the newer run's accounts.
func writeDiff(ctx context.Context, st history.Store, w report.DiffWriter, h report.DiffHeader, acctA map[string]bool, sum *report.DiffSummary) error {
	if err := w.Begin(h); err != nil {
		return &ExitError{Code: exitInternal, Err: fmt.Errorf("write the diff: %w", err)}
	}
	var writeErr error
	err := history.MergeDiff(history.RunFindings(ctx, st, h.Before.ID), history.RunFindings(ctx, st, h.After.ID),
		func(a string) bool { return !acctA[a] },
		func(c history.Change) error {
			switch c.Change {
			case history.ChangeNew:
				sum.New++
				if r := model.SeverityRank(c.Finding.Severity); sum.FailOn != "none" && r >= 0 && r <= model.SeverityRank(sum.FailOn) {
					sum.NewAtFailOn++
				}
			case history.ChangeFixed:
				sum.Fixed++
			case history.ChangeStill:
				sum.Still++
			case history.ChangeGone:
				sum.Gone++
			}
			if err := w.Change(c); err != nil {
				writeErr = err
				return err
			}
			return nil
		})
	if writeErr != nil {
		return &ExitError{Code: exitInternal, Err: fmt.Errorf("write the diff: %w", writeErr)}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return storeReadError(st, fmt.Sprintf("diff runs %d and %d", h.Before.ID, h.After.ID), err)
	}
	if err := w.End(*sum); err != nil {
		return &ExitError{Code: exitInternal, Err: fmt.Errorf("write the diff: %w", err)}
	}
	return nil
}

func runHistoryAccount(ctx context.Context, o *HistoryOptions, account string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	write, err := report.NewTimelineWriter(o.Format)
	if err != nil {
		return usageError("--format: %v", err)
	}
	st, outPath, err := openHistoryStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	tl := &report.Timeline{Account: account, Store: st.String()}
	byRun := map[int64]int{}
	err = st.Observations(ctx, history.ObservationFilter{Account: account}, func(obs history.Observation) error {
		byRun[obs.RunID] = len(tl.Entries)
		tl.Entries = append(tl.Entries, report.TimelineEntry{Observation: obs, Failing: []report.TimelineFinding{}})
		return nil
	})
	if err != nil {
		return storeReadError(st, "read the observations of account "+account, err)
	}
	if len(tl.Entries) == 0 {
		return usageError("store %s holds no run with account %q", st, account)
	}
	err = st.EachFinding(ctx, history.FindingFilter{Account: account}, func(f history.Finding) error {
		if i, ok := byRun[f.RunID]; ok && f.Status == "fail" {
			tl.Entries[i].Failing = append(tl.Entries[i].Failing, report.TimelineFinding{Check: f.Check, Severity: f.Severity, Message: f.Message})
		}
		return nil
	})
	if err != nil {
		return storeReadError(st, "read the findings of account "+account, err)
	}
	return writeHistoryOutput(ctx, outPath, o, func(w io.Writer) error { return write(w, tl) })
}

// fixesFlags are the filters of 'history fixes'.
type fixesFlags struct {
	account, step, since, until string
}

func newHistoryFixesCmd(opts *HistoryOptions) *cobra.Command {
	ff := &fixesFlags{}
	cmd := &cobra.Command{
		Use:   "fixes [--account ID] [--step ID] [--since TIME] [--until TIME]",
		Short: "The calls 'rootwatch fix --apply --store' made: time, account, step, action, result, error",
		Long: `List the calls that 'rootwatch fix --apply --store' (or with $` + history.EnvStore + `
set) made and kept in the store, oldest first, as its run log has them: per
call its time, account, step, action and result (ok or error; an undo made
because a later call of its step failed says "rollback", a call nothing can
undo "irreversible"), and the error; a step not applied has no action and
the result skipped or failed. --format json adds the run ID, kind, region,
parameters, results and the calls that undo each.

Exit codes: 0 listed (an empty list too); 2 usage error or no store; 4 the
store could not be read or --output not written; 130 interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHistoryFixes(cmd.Context(), opts, ff) },
	}
	f := cmd.Flags()
	stringOnceVar(f, &ff.account, "account", "", "only the calls of account `ID`")
	stringOnceVar(f, &ff.step, "step", "", "only the calls of step `ID` (as the plan names it)")
	stringOnceVar(f, &ff.since, "since", "", "only calls at or after `TIME` (RFC 3339, a date, or a duration back from now: 30d, 12h)")
	stringOnceVar(f, &ff.until, "until", "", "only calls before `TIME` (same forms)")
	return cmd
}

func runHistoryFixes(ctx context.Context, o *HistoryOptions, ff *fixesFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	write, err := report.NewFixesWriter(o.Format)
	if err != nil {
		return usageError("--format: %v", err)
	}
	filter := history.FixFilter{Account: ff.account, Step: ff.step}
	now := o.Deps.Now().UTC()
	if ff.since != "" {
		if filter.Since, err = parseWhen(ff.since, now); err != nil {
			return usageError("--since %v", err)
		}
	}
	if ff.until != "" {
		if filter.Until, err = parseWhen(ff.until, now); err != nil {
			return usageError("--until %v", err)
		}
	}
	if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
		return usageError("--since %s is not before --until %s", filter.Since.Format(time.RFC3339), filter.Until.Format(time.RFC3339))
	}
	st, outPath, err := openHistoryStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	calls := &report.FixCalls{Store: st.String()}
	if err := st.Fixes(ctx, filter, func(e history.FixEntry) error {
		calls.Fixes = append(calls.Fixes, e)
		return nil
	}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return storeReadError(st, "read the fix calls", err)
	}
	return writeHistoryOutput(ctx, outPath, o, func(w io.Writer) error { return write(w, calls) })
}
