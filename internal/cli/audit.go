package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/report"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// AuditOptions are the audit command's flags and dependencies.
type AuditOptions struct {
	Deps *Deps
	InputOptions
	StoreOptions

	Format      string
	Output      string
	FailOn      string
	ConfigPath  string
	Window      string
	KeyMaxAge   string
	GracePeriod string
	Checks      []string
	All         bool
	NoColor     bool
}

func newAuditCmd(d *Deps) *cobra.Command {
	opts := &AuditOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "audit [--demo | --credential-report PATH...]",
		Short: "Audit the root user of AWS accounts",
		Long: `Audit the root user of one or many AWS accounts and report every check's
verdict with its evidence.

Inputs (with none, the account of the current AWS credentials is audited live;
--org audits every account of its organization):
  --credential-report PATH  An IAM credential report: the CSV downloaded from the
                            console or decoded from the API, the JSON printed by
                            'aws iam get-credential-report', or a directory of such
                            files (one report per account; the account comes from
                            the ARNs, file names carry no meaning). '-' reads
                            standard input. More paths may follow the flag.
  --demo                    A bundled demo organization; no AWS account needed.
  --snapshot FILE           A snapshot written by 'rootwatch snapshot': collect
                            once, judge many times.

Usage checks measure time back from each report's generation time (the
GeneratedTime of the JSON; a bare CSV has none, so the audit time is used
unless --report-time says otherwise). Accounts created less than the grace
period before the report are not_applicable for usage checks.

Exit codes: 0 no failing finding at or above --fail-on; 1 failing findings;
2 usage or input error (nothing audited); 3 some inputs or accounts could not
be evaluated (the report holds the rest and lists them under errors); 4 the
report could not be written; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM);
70 internal error (a bug: please report it).`,
		Example: `  # The demo organization, as a table
  rootwatch audit --demo

  # Reports from files, as JSON
  aws iam generate-credential-report
  aws iam get-credential-report > 111122223333.json
  rootwatch audit --credential-report 111122223333.json --format json

  # A directory of reports, 10-day window, fail only on critical findings
  rootwatch audit --credential-report reports/ --window 10d --fail-on critical

  # SARIF for code scanning
  rootwatch audit --credential-report reports/ --format sarif --output rootwatch.sarif`,
		Args: reportPaths(&opts.InputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Reports = append(opts.Reports, args...)
			return runAudit(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addInputFlags(f, &opts.InputOptions, "audit")
	addStoreFlag(f, &opts.StoreOptions)
	stringOnceVar(f, &opts.SnapshotPath, "snapshot", "", "audit a snapshot `FILE` written by 'rootwatch snapshot' (- for stdin)")
	stringOnceVarP(f, &opts.Format, "format", "f", "table", report.FormatFlagHelp(report.CommandAudit))
	stringOnceVarP(f, &opts.Output, "output", "o", "", "write the report to `FILE` instead of standard output")
	stringOnceVar(f, &opts.FailOn, "fail-on", "", "lowest `SEVERITY` of a failing finding that exits 1: critical, high, medium, low, info or none (default high)")
	stringOnceVar(f, &opts.ConfigPath, "config", "", "YAML configuration `FILE` (thresholds, severity overrides, disabled checks)")
	stringOnceVar(f, &opts.Window, "window", "", "how far back root use counts as recent (`DURATION`: 7d, 10d, 36h; default 7d)")
	stringOnceVar(f, &opts.KeyMaxAge, "key-max-age", "", "`AGE` past which an active root key is stale (default 90d)")
	stringOnceVar(f, &opts.GracePeriod, "grace-period", "", "accounts younger than this `DURATION` are left out of usage checks (default 30d)")
	f.StringSliceVar(&opts.Checks, "checks", nil, "run only these check `IDs` (comma-separated)")
	f.BoolVar(&opts.All, "all", false, "table: list passing and not-applicable findings too (json and csv always hold every finding; sarif only failing ones)")
	f.BoolVar(&opts.NoColor, "no-color", false, "never colour the table (also: NO_COLOR)")
	return cmd
}

func runAudit(ctx context.Context, o *AuditOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	d := o.Deps
	now := d.Now().UTC()
	log := d.logger()

	// Validate everything before reading any input.
	if err := o.check(); err != nil {
		return err
	}
	// --all lists the passing findings in the table; json and csv hold
	// every finding anyway. SARIF holds failing findings only (code
	// scanning alerts): --all would be ignored there.
	if o.All && o.Format == "sarif" {
		return usageError("--all lists passing findings in the table (json and csv always hold every finding): SARIF holds failing findings only")
	}
	cfg := &config.Config{}
	if o.ConfigPath != "" {
		c, err := config.Load(o.ConfigPath)
		if err != nil {
			return &ExitError{Code: ExitUsage, Err: err}
		}
		cfg = c
	}
	params, err := cfg.Params(config.DefaultParams())
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	for _, kv := range [][2]string{{"window", o.Window}, {"key_max_age", o.KeyMaxAge}, {"grace_period", o.GracePeriod}} {
		if kv[1] != "" {
			if err := params.Set(kv[0], kv[1]); err != nil {
				if u := errors.Unwrap(err); u != nil {
					err = u // the flag names the parameter
				}
				return usageError("--%s: %v", strings.ReplaceAll(kv[0], "_", "-"), err)
			}
		}
	}
	failOn := "high"
	if cfg.FailOn != "" {
		failOn = cfg.FailOn
	}
	if o.FailOn != "" {
		failOn = o.FailOn
	}
	if failOn != "none" && model.SeverityRank(failOn) < 0 {
		return usageError("--fail-on %q: want one of %s or none", failOn, strings.Join(model.Severities(), ", "))
	}
	term := d.IO().ForOutput(o.Output != "" && o.Output != "-", o.NoColor)
	writer, err := report.NewWriter(o.Format, report.Options{Color: term.Color, Terminal: term.Terminal, Width: term.Width, All: o.All, Now: now})
	if err != nil {
		return usageError("--format: %v", err)
	}
	outPath, err := outputPath(o.Output, o.inputPaths(o.ConfigPath)...)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	builtin, err := rules.Builtin()
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	engOpts := engine.Options{Params: params, Now: now, Severity: map[string]string{}, Disabled: map[string]bool{},
		NoEvidence: !report.ShowsEvidence(o.Format)}
	known := map[string]bool{}
	for _, r := range builtin {
		known[r.ID] = true
	}
	for id, cc := range cfg.Checks {
		if !known[id] {
			return usageError("config %s: unknown check %q%s (see 'rootwatch rules list')", o.ConfigPath, id, config.DidYouMean(id, slices.Sorted(maps.Keys(known))))
		}
		if cc.Severity != "" {
			engOpts.Severity[id] = cc.Severity
		}
		engOpts.Disabled[id] = cc.Disabled
	}
	if len(o.Checks) > 0 {
		only := map[string]bool{}
		for _, id := range o.Checks {
			if !known[id] {
				return usageError("--checks: unknown check %q%s (see 'rootwatch rules list')", id, config.DidYouMean(id, slices.Sorted(maps.Keys(known))))
			}
			only[id] = true
		}
		// Flags override the file: a check named here runs even if the
		// configuration disables it.
		for id := range known {
			engOpts.Disabled[id] = !only[id]
		}
	}
	// A live run collects only what the enabled checks judge: a rule with
	// no needs judges the root's credentials.
	o.facts = map[string]bool{}
	for _, r := range builtin {
		if engOpts.Disabled[r.ID] {
			continue
		}
		if len(r.Needs) == 0 {
			o.facts["root"] = true
		}
		for _, f := range r.Needs {
			o.facts[f] = true
		}
	}
	// Compiled now, so a broken rule stops the run before any input is read.
	if _, err := engine.New(builtin, engOpts); err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}

	st, err := openAuditStore(ctx, d, &o.StoreOptions)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}

	snap, err := collectSnapshot(ctx, d, &o.InputOptions, now)
	if err != nil {
		return err
	}
	if o.SnapshotPath != "" && !snap.CollectedAt.IsZero() {
		// A snapshot is the fleet as it was collected: it is judged then,
		// however much later it is read (collect once, judge many times).
		engOpts.Now = snap.CollectedAt
	}
	if len(snap.Accounts) == 0 && len(snap.Errors) == 0 {
		// No account and no error to list: no report to write.
		return &ExitError{Code: ExitUsage, Err: nothingRead("audited", &o.InputOptions, snap)}
	}
	if err := addCloudTrail(ctx, d, &o.InputOptions, snap, now, params.Window); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // interrupted: what was collected is incomplete, and --output is left alone
	}
	// Checks whose facts this input did not collect for any account are
	// not run: from credential reports, the live-only checks would
	// otherwise say "manual" on every account.
	var notRun []string
	for _, r := range builtin {
		if len(r.Needs) == 0 || engOpts.Disabled[r.ID] || anyHasFact(snap.Accounts, r.Needs) {
			continue
		}
		engOpts.Disabled[r.ID] = true
		notRun = append(notRun, r.ID)
	}
	if len(notRun) > 0 && len(snap.Accounts) > 0 { // with no account read, the input is what failed
		log.Info("checks not run: this input does not collect their facts (contacts, budgets and alarms: a live audit; SCPs and centralized root access: --org; root emails: --org or the fleet file's email column; sign-ins: --cloudtrail)",
			"checks", strings.Join(notRun, ","))
	}
	eng, err := engine.New(builtin, engOpts)
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	if !slices.ContainsFunc(builtin, func(r *rules.Rule) bool { return !engOpts.Disabled[r.ID] }) && len(snap.Accounts) > 0 {
		// Nothing judged is not a clean result.
		return usageError("no check can run on this input: %s need facts it does not collect", strings.Join(notRun, ", "))
	}
	for _, e := range snap.Errors {
		log.Warn("not read or collected", "account", e.Account, "source", e.Source, "error", e.Message)
	}

	if st != nil && len(snap.Accounts) > 0 {
		if err := writeStoreRun(ctx, d, st, snap, engOpts, builtin, params.Window, now); err != nil {
			return err
		}
	}
	// Findings stream from the engine to the writer, account by account.
	stream := newAuditStream(eng, writer, snap, report.Tool{Name: "rootwatch", Version: d.Version}, now)
	if len(snap.Accounts) > 0 || !keepPrevious(outPath, log) {
		if err := writeAtomic(outPath, d.Out, func(w io.Writer) error { return stream.write(ctx, w) }); err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // interrupted: --output is left alone
			}
			return &ExitError{Code: exitInternal, Err: err}
		}
	}
	evalErrors := stream.tally.Errors
	switch {
	case len(snap.Accounts) == 0:
		return &ExitError{Code: ExitUsage, Err: nothingRead("audited", &o.InputOptions, snap)}
	case len(snap.Errors) > 0 || evalErrors > 0:
		log.Warn("partial results", "accounts_audited", len(snap.Accounts), "inputs_failed", len(snap.Errors), "findings_in_error", evalErrors)
		return &ExitError{Code: ExitPartial}
	case stream.tally.Failing(failOn) > 0:
		return &ExitError{Code: ExitFailing}
	}
	return nil
}

func anyHasFact(accounts []model.Account, facts []string) bool {
	for i := range accounts {
		for _, f := range facts {
			if accounts[i].HasFact(f) {
				return true
			}
		}
	}
	return false
}

// outputPath checks --output before any work is done and returns the file
// to write: a link's target (the link stays a link), never a directory,
// never one of the inputs nor a file in an input folder, in a directory
// that exists and where a file can be created (tried, so a long live audit
// does not end unable to write its report).
func outputPath(out string, inputs ...string) (string, error) {
	if out == "" || out == "-" {
		return out, nil
	}
	target := out
	if fi, err := os.Lstat(out); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(out); err != nil {
			return "", fmt.Errorf("--output %s: a link whose target cannot be resolved: %w", out, err)
		}
	}
	fi, statErr := os.Stat(target)
	if statErr == nil && fi.IsDir() {
		return "", fmt.Errorf("--output %s is a directory; give a file name", out)
	}
	dir := filepath.Dir(target)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("--output %s: directory %s does not exist", out, dir)
	}
	if err := notAnInput(out, target, inputs); err != nil {
		return "", err
	}
	if statErr == nil && !fi.Mode().IsRegular() {
		return target, nil // a device or FIFO, written in place (writeAtomic)
	}
	probe, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*")
	if err != nil {
		return "", fmt.Errorf("--output %s: cannot create a file in %s: %w", out, dir, err)
	}
	probe.Close()
	if err := os.Remove(probe.Name()); err != nil {
		return "", fmt.Errorf("--output %s: remove the test file: %w", out, err)
	}
	return target, nil
}

// notAnInput refuses an output file that is one of the inputs (the same
// path, or the same file through a link) or lies in an input folder (it
// would be read as an input on the next run, or overwrite one now).
// Standard input and s3:// URLs are no local files.
func notAnInput(out, target string, inputs []string) error {
	abs, err := filepath.Abs(target)
	if err != nil {
		return fmt.Errorf("--output %s: %w", out, err)
	}
	// The directory with its links resolved, so a folder given through a
	// link is recognized.
	resolved := abs
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		resolved = filepath.Join(d, filepath.Base(abs))
	}
	ofi, oerr := os.Stat(target)
	for _, in := range inputs {
		if in == "" || in == "-" || strings.Contains(in, "://") {
			continue
		}
		inAbs, err := filepath.Abs(in)
		if err != nil {
			continue
		}
		ifi, ierr := os.Stat(in)
		if ierr == nil && ifi.IsDir() {
			inReal := inAbs
			if d, err := filepath.EvalSymlinks(inAbs); err == nil {
				inReal = d
			}
			if within(inAbs, abs) || within(inReal, resolved) {
				return fmt.Errorf("--output %s is inside the input folder %s: it would overwrite an input or be read as one next time; write it elsewhere", out, in)
			}
			continue
		}
		if inAbs == abs || (oerr == nil && ierr == nil && os.SameFile(ofi, ifi)) {
			return fmt.Errorf("--output %s is the input %s: writing it would destroy the input; give another file", out, in)
		}
	}
	return nil
}

// within says whether path lies under dir.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// keepPrevious says whether a run that could audit nothing leaves an
// existing --output file as it was, rather than replace a good report with
// an empty one. Standard output, and a file not there yet, get the report
// (its errors say what failed).
func keepPrevious(path string, log *slog.Logger) bool {
	if path == "" || path == "-" {
		return false
	}
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	log.Warn("nothing could be read: the existing output file is left as it was", "output", path)
	return true
}

// writeAtomic writes to stdout or, through a temporary file renamed into
// place, to path, so an interrupted run never leaves a torn report. An
// existing file keeps its permissions.
func writeAtomic(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(stdout)
	}
	mode := os.FileMode(0o644) // a report is not a secret; CreateTemp makes 0600
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			// A device, FIFO or the like (/dev/null, a pipe) is written in
			// place: renaming a file over it would replace the device.
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return fmt.Errorf("write report %s: %w", path, err)
			}
			if err := write(f); err != nil {
				f.Close()
				return fmt.Errorf("write report %s: %w", path, err)
			}
			return f.Close()
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		var ee *ExitError
		if errors.As(err, &ee) {
			return err // the run's verdict, not a failure to write
		}
		return fmt.Errorf("write report %s: %w", path, err)
	}
	// On disk before the rename: a crash just after it must not leave an
	// empty or torn file under the report's name.
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	// The rename itself, on disk (best effort: not every file system
	// syncs a directory).
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}
