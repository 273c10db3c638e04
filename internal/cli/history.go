package cli

import (
	"context"
	"encoding/json"
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
)

// HistoryOptions are the flags of 'rootwatch history' and its subcommands.
type HistoryOptions struct {
	Deps *Deps
	StoreOptions
	Format string
	FailOn string
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

Exit codes: 0 listed; 2 usage error, or no store there; 4 the store could
not be read.`,
		Example: `  rootwatch history --store sqlite:history.db
  rootwatch history diff            # the last two runs
  rootwatch history diff 3 7 --format json
  rootwatch history account 123456789012`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runHistoryList(cmd.Context(), opts) },
	}
	pf := cmd.PersistentFlags()
	stringOnceVar(pf, &opts.Store, "store", "", historyStoreHelp)
	stringOnceVarP(pf, &opts.Format, "format", "f", "table", "output `FORMAT`: table, json, csv (account: table, json)")
	cmd.AddCommand(newHistoryDiffCmd(opts), newHistoryAccountCmd(opts))
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

Formats: table, json, csv (SARIF is not written for a diff: use
'rootwatch audit --format sarif').

Exit codes: 0 no new failing finding at or above --fail-on; 1 some; 2
usage error (unknown run, fewer than two runs, no store); 4 the store could
not be read.`,
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
asset count, and the checks failing in that run. Formats: table, json.

Exit codes: 0 written; 2 usage error, no store, or the account is in no run;
4 the store could not be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runHistoryAccount(cmd.Context(), opts, args[0]) },
	}
}

// openHistoryStore opens the store the history commands read: a SQLite
// file that does not exist is not created (exit 2), a store that cannot be
// opened is exit 4.
func openHistoryStore(ctx context.Context, o *HistoryOptions) (history.Store, error) {
	url, err := o.storeURL(o.Deps.Getenv)
	if err == nil && url == "" {
		url, err = history.DefaultURL(o.Deps.Getenv)
	}
	if err != nil {
		return nil, &ExitError{Code: exitInternal, Err: err}
	}
	if path := storeFile(url); path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, usageError("store %s holds no runs: there is no file %s (keep audits with 'rootwatch audit --store %s')", url, path, url)
		}
	}
	st, err := history.Open(ctx, url)
	if err != nil {
		if errors.Is(err, history.ErrBadURL) {
			return nil, usageError("--store: %v", err)
		}
		return nil, &ExitError{Code: exitInternal, Err: fmt.Errorf("history cannot read its store: %w", err)}
	}
	return st, nil
}

func storeReadError(st history.Store, what string, err error) error {
	return &ExitError{Code: exitInternal, Err: fmt.Errorf("%s of store %s: %w", what, st, err)}
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
	st, err := openHistoryStore(ctx, o)
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
	return write(o.Deps.Out, runs)
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
	w, err := report.NewDiffWriter(o.Format, o.Deps.Out)
	if err != nil {
		return usageError("--format: %v (SARIF is not written for a diff)", err)
	}
	st, err := openHistoryStore(ctx, o)
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
	if err := w.Begin(report.DiffHeader{Store: st.String(), Before: before, After: after}); err != nil {
		return &ExitError{Code: exitInternal, Err: fmt.Errorf("write the diff: %w", err)}
	}
	var writeErr error
	err = history.MergeDiff(history.RunFindings(ctx, st, before.ID), history.RunFindings(ctx, st, after.ID),
		func(a string) bool { return !acctA[a] },
		func(c history.Change) error {
			switch c.Change {
			case history.ChangeNew:
				sum.New++
				if r := model.SeverityRank(c.Finding.Severity); failOn != "none" && r >= 0 && r <= model.SeverityRank(failOn) {
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
		return storeReadError(st, fmt.Sprintf("diff runs %d and %d", before.ID, after.ID), err)
	}
	if err := w.End(sum); err != nil {
		return &ExitError{Code: exitInternal, Err: fmt.Errorf("write the diff: %w", err)}
	}
	if sum.NewAtFailOn > 0 {
		return &ExitError{Code: ExitFailing}
	}
	return nil
}

// timelineEntry is one observation of an account with its run's failing
// findings.
type timelineEntry struct {
	history.Observation
	Failing []timelineFinding `json:"failing"`
}

type timelineFinding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

func runHistoryAccount(ctx context.Context, o *HistoryOptions, account string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Format != "table" && o.Format != "json" {
		return usageError("--format: unknown format %q for 'history account' (valid: table, json)", o.Format)
	}
	st, err := openHistoryStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	var entries []timelineEntry
	byRun := map[int64]int{}
	err = st.Observations(ctx, history.ObservationFilter{Account: account}, func(obs history.Observation) error {
		byRun[obs.RunID] = len(entries)
		entries = append(entries, timelineEntry{Observation: obs, Failing: []timelineFinding{}})
		return nil
	})
	if err != nil {
		return storeReadError(st, "read the observations of account "+account, err)
	}
	if len(entries) == 0 {
		return usageError("store %s holds no run with account %q", st, account)
	}
	err = st.EachFinding(ctx, history.FindingFilter{Account: account}, func(f history.Finding) error {
		if i, ok := byRun[f.RunID]; ok && f.Status == "fail" {
			entries[i].Failing = append(entries[i].Failing, timelineFinding{Check: f.Check, Severity: f.Severity, Message: f.Message})
		}
		return nil
	})
	if err != nil {
		return storeReadError(st, "read the findings of account "+account, err)
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.Deps.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"account": account, "store": st.String(), "timeline": entries})
	}
	return writeTimelineTable(o.Deps.Out, entries)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

func writeTimelineTable(w io.Writer, entries []timelineEntry) error {
	rows := make([]report.TimelineRow, 0, len(entries))
	for _, e := range entries {
		row := report.TimelineRow{Run: e.RunID, AsOf: e.AsOf.UTC().Format(time.RFC3339), PasswordUsed: day(e.PasswordLastUsed),
			Key1: "-", Key2: "-", MFA: "no", Assets: "-", Failing: "-"}
		cells := [2]*string{&row.Key1, &row.Key2}
		for i, k := range e.Keys {
			if k.Active {
				*cells[i] = "active " + day(k.LastRotated) + "/" + day(k.LastUsed)
			}
		}
		if e.Assets != nil {
			row.Assets = strconv.Itoa(*e.Assets)
		}
		if e.MFA {
			row.MFA = "yes"
		}
		var failing []string
		for _, f := range e.Failing {
			failing = append(failing, f.Check+" ("+f.Severity+")")
		}
		if len(failing) > 0 {
			row.Failing = strings.Join(failing, ", ")
		}
		rows = append(rows, row)
	}
	return report.WriteTimelineTable(w, rows)
}
