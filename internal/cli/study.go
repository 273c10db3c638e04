package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/report"
	"github.com/rootwatch/rootwatch/internal/study"
)

// StudyOptions are the study command's flags.
type StudyOptions struct {
	Deps *Deps
	StoreOptions

	Demo        bool
	Since       string
	Until       string
	Org         string
	Window      string
	GracePeriod string
	Format      string
	Output      string
}

func newStudyCmd(d *Deps) *cobra.Command {
	opts := &StudyOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "study [--store URL | --demo]",
		Short: "The seed study's figures, week by week and over the period, for the fleet in the store",
		Long: `Compute the figures of the study that started rootwatch (915 accounts in 153
organizations audited weekly) for the fleet kept in a history store by
'rootwatch audit --store': for each ISO week (UTC; an account's last audit of
the week counts), the accounts and organizations audited and using root, key
and console uses, console uses without MFA, accounts with root keys and old
root keys, and using accounts by size; over the period, the distinct accounts
and organizations, the uses, the repeat offenders (uses in two weeks or more),
the concentration (the fewest accounts making half of the uses) and the
accounts and organizations with root keys. Where the audits read CloudTrail,
the exact counts stand beside the sampled ones.

A use is an account-week whose root password or access key was last used
within --window before the audit; accounts created less than --grace-period
before the audit are left out of the use figures.

The store: --store URL (sqlite:PATH, postgres://..., a file path, or
'default'), else $` + history.EnvStore + `, else the default file in the data directory.
--since and --until take an RFC 3339 time, a date (--until DATE includes
that day) or a duration back from now (30d); both are inclusive.

--demo studies a generated fleet calibrated to the seed study (no store) and
sets the seed's published figures beside this fleet's.

Exit codes: 0 the study was written; 2 usage error, or a store that holds no
run (or none matching --since, --until and --org); 4 the store could not be
read or the output not written; 130 interrupted.`,
		Example: `  # The demo: the seed's figures beside a generated fleet's
  rootwatch study --demo

  # A year of weekly audits kept with 'audit --store', one organization
  rootwatch study --store sqlite:history.db --since 2025-01-01 --org o-abc123

  # The figures for a spreadsheet
  rootwatch study --format csv --output study.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runStudy(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	stringOnceVar(f, &opts.Store, "store", "", "read the history store at `URL`: sqlite:PATH, postgres://..., a file path, or 'default' (default: $"+history.EnvStore+", else ~/.local/share/rootwatch/history.db)")
	f.BoolVar(&opts.Demo, "demo", false, "study the demo fleet (915 accounts, 153 organizations, 20 weeks) and set the seed's figures beside it; no store")
	stringOnceVar(f, &opts.Since, "since", "", "only audits at or after `TIME` (RFC 3339, a date, or a duration back from now: 90d)")
	stringOnceVar(f, &opts.Until, "until", "", "only audits at or before `TIME` (same forms; a date includes the whole day)")
	stringOnceVar(f, &opts.Org, "org", "", "only the accounts of this organization `ID` (o-...)")
	stringOnceVar(f, &opts.Window, "window", "", "a last use this `DURATION` before an audit is a use (7d, 36h; default 7d)")
	stringOnceVar(f, &opts.GracePeriod, "grace-period", "", "accounts younger than this `DURATION` at an audit are left out of the use figures (default 30d)")
	stringOnceVarP(f, &opts.Format, "format", "f", "table", report.FormatFlagHelp(report.CommandStudy))
	stringOnceVarP(f, &opts.Output, "output", "o", "", "write the study to `FILE` instead of standard output")
	return cmd
}

// studyOptions reads the flags into the study's options: usage errors
// name the flag.
func (o *StudyOptions) studyOptions(now time.Time) (study.Options, error) {
	so := study.DefaultOptions()
	for _, fl := range []struct {
		name, val string
		dst       *time.Duration
	}{{"window", o.Window, &so.Window}, {"grace-period", o.GracePeriod, &so.GracePeriod}} {
		if fl.val == "" {
			continue
		}
		d, err := config.ParseDuration(fl.val)
		if err != nil {
			return so, usageError("--%s: %v", fl.name, err)
		}
		if fl.name == "window" && d == 0 {
			return so, usageError("--window %q: a window of no time holds no use; give one such as 7d", fl.val)
		}
		*fl.dst = d
	}
	var err error
	if o.Since != "" {
		if so.Since, err = parseWhen(o.Since, now); err != nil {
			return so, usageError("--since %v", err)
		}
	}
	if o.Until != "" {
		if so.Until, err = parseWhen(o.Until, now); err != nil {
			return so, usageError("--until %v", err)
		}
		if _, err := time.Parse(time.DateOnly, o.Until); err == nil {
			so.Until = so.Until.Add(24*time.Hour - time.Nanosecond) // the whole day
		}
	}
	if !so.Since.IsZero() && !so.Until.IsZero() && so.Until.Before(so.Since) {
		return so, usageError("--since %s is after --until %s", so.Since.Format(time.RFC3339), so.Until.Format(time.RFC3339))
	}
	so.Org = o.Org
	return so, nil
}

func runStudy(ctx context.Context, o *StudyOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	d := o.Deps
	now := d.Now().UTC()
	so, err := o.studyOptions(now)
	if err != nil {
		return err
	}
	write, err := report.NewStudyWriter(o.Format)
	if err != nil {
		return usageError("--format: %v", err)
	}
	if o.Demo && o.Store != "" {
		return usageError("--demo studies the demo fleet: it reads no --store")
	}
	var url string
	if !o.Demo {
		if url, err = o.studyStoreURL(d.Getenv); err != nil {
			return err
		}
	}
	outPath, err := outputPath(o.Output, storeFile(url))
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	// A store streams in AsOf order (history.Store.Observations): the
	// study folds each week as the next begins, so its memory does not
	// grow with the store's weeks.
	so.Ordered = !o.Demo
	s, err := study.New(so)
	if err != nil {
		return usageError("%v", err)
	}
	out := &report.Study{Window: so.Window, GracePeriod: so.GracePeriod, KeyMaxAge: so.KeyMaxAge, Generated: now}
	if o.Demo {
		out.Source = "the demo fleet"
		for obs := range study.DemoFleet(1) {
			if err := s.Add(obs); err != nil {
				return &ExitError{Code: exitInternal, Err: fmt.Errorf("the demo fleet: %w", err)}
			}
		}
		out.Result = s.Result()
		out.Seed = study.Headlines(out.Result)
	} else {
		if out.Result, out.Source, err = studyStore(ctx, d, url, so, s); err != nil {
			return err
		}
	}
	return writeAtomic(outPath, d.Out, func(w io.Writer) error { return write(w, out) })
}

// studyStoreURL is the store the study reads: --store, else
// ROOTWATCH_STORE, else the default file.
func (o *StudyOptions) studyStoreURL(getenv func(string) string) (string, error) {
	url, err := o.storeURL(getenv)
	if err == nil && url == "" {
		url, err = history.DefaultURL(getenv)
	}
	if err != nil {
		return "", &ExitError{Code: exitInternal, Err: err}
	}
	return url, nil
}

// storeFile is the file of a SQLite store URL ("" for PostgreSQL), so
// --output cannot overwrite the store it reads, and a store file that does
// not exist is not created by reading it.
func storeFile(url string) string {
	switch {
	case url == "", strings.Contains(url, "://") && !strings.HasPrefix(url, "sqlite://"):
		return ""
	case strings.HasPrefix(url, "sqlite://"):
		return strings.TrimPrefix(url, "sqlite://")
	}
	return strings.TrimPrefix(url, "sqlite:")
}

// studyStore streams the store's observations into the study. A store
// that holds no run, or none the filters select, is a usage error (exit
// 2); one that cannot be opened or read is exit 4. An observation the
// study cannot use (no account or time: a damaged row) is skipped with a
// warning counting them.
func studyStore(ctx context.Context, d *Deps, url string, so study.Options, s *study.Study) (study.Result, string, error) {
	if path := storeFile(url); path != "" {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return study.Result{}, url, usageError("store %s holds no runs: there is no file %s (keep audits with 'rootwatch audit --store %s')", url, path, url)
		}
	}
	st, err := history.Open(ctx, url)
	if err != nil {
		if ctx.Err() != nil {
			return study.Result{}, url, ctx.Err()
		}
		if errors.Is(err, history.ErrBadURL) {
			return study.Result{}, url, usageError("--store: %v", err)
		}
		return study.Result{}, url, &ExitError{Code: exitInternal, Err: fmt.Errorf("the study cannot read its store: %w", err)}
	}
	defer st.Close()
	name := st.String()
	f := history.ObservationFilter{Since: so.Since, Org: so.Org}
	if !so.Until.IsZero() {
		f.Until = so.Until.Add(time.Nanosecond) // the store's Until is exclusive, the study's inclusive
	}
	var seen, bad int
	var firstBad error
	err = st.Observations(ctx, f, func(obs history.Observation) error {
		seen++
		if err := s.Add(obs); err != nil {
			if !errors.Is(err, study.ErrBadObservation) {
				return err
			}
			if bad++; bad == 1 {
				firstBad = err
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return study.Result{}, name, ctx.Err()
		}
		return study.Result{}, name, &ExitError{Code: exitInternal, Err: fmt.Errorf("read the observations of store %s: %w", name, err)}
	}
	if bad > 0 {
		d.logger().Warn("observations the study cannot use were skipped", "store", name, "skipped", bad, "first", firstBad)
	}
	r := s.Result()
	if r.RootUnread > 0 {
		d.logger().Warn("audits that could not read root's facts are left out of the figures", "store", name,
			"audits", r.RootUnread)
	}
	if seen == 0 {
		runs, err := st.Runs(ctx)
		if err != nil {
			return study.Result{}, name, &ExitError{Code: exitInternal, Err: fmt.Errorf("list the runs of store %s: %w", name, err)}
		}
		if len(runs) == 0 {
			return study.Result{}, name, usageError("store %s holds no runs (keep audits with 'rootwatch audit --store')", name)
		}
		return study.Result{}, name, usageError("store %s holds %s, but none with an audit matching --since, --until and --org", name, plural(len(runs), "run", ""))
	}
	return r, "store " + name, nil
}
