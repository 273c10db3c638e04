package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/config"
)

// SnapshotOptions are the snapshot command's flags.
type SnapshotOptions struct {
	Deps *Deps
	InputOptions
	Output string
	// Window is how far back before the reports --cloudtrail is read: the
	// widest window the snapshot will be judged with.
	Window string
}

func newSnapshotCmd(d *Deps) *cobra.Command {
	o := &SnapshotOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "snapshot [--org | --credential-report PATH... | --demo] [--output FILE]",
		Short: "Collect the facts once and save them, to audit later with 'audit --snapshot'",
		Long: `Collect the snapshot (every account's root credentials and the facts the
checks judge) from the same inputs as 'audit', and write it as JSON. Judge it
any number of times, with other thresholds or checks, without calling AWS
again: rootwatch audit --snapshot FILE.`,
		Example: `  rootwatch snapshot --org --output fleet.json
  rootwatch audit --snapshot fleet.json --window 30d --format json

  # CloudTrail read 30 days back, for audits of up to a 30-day window
  rootwatch snapshot --org --cloudtrail s3://org-trail/AWSLogs/o-abc123/ --window 30d --output fleet.json`,
		Args: reportPaths(&o.InputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Reports = append(o.Reports, args...)
			return runSnapshot(cmd.Context(), o)
		},
	}
	addInputFlags(cmd.Flags(), &o.InputOptions, "collect")
	stringOnceVarP(cmd.Flags(), &o.Output, "output", "o", "", "write the snapshot to `FILE` instead of standard output")
	stringOnceVar(cmd.Flags(), &o.Window, "window", "", "with --cloudtrail: read the logs this `DURATION` back from each report (7d, 30d; default 7d), the widest window the snapshot will be judged with")
	return cmd
}

func runSnapshot(ctx context.Context, o *SnapshotOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	d := o.Deps
	if err := o.check(); err != nil {
		return err
	}
	window := config.DefaultParams().Window
	if o.Window != "" {
		if len(o.CloudTrail) == 0 {
			return usageError("--window says how far back --cloudtrail is read; give --cloudtrail too (a snapshot is judged with any window later)")
		}
		p := config.DefaultParams()
		if err := p.Set("window", o.Window); err != nil {
			if u := errors.Unwrap(err); u != nil {
				err = u // the flag names the parameter
			}
			return usageError("--window: %v", err)
		}
		window = p.Window
	}
	path, err := outputPath(o.Output, o.inputPaths()...)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	snap, err := collectSnapshot(ctx, d, &o.InputOptions, d.Now().UTC())
	if err != nil {
		return err
	}
	if len(snap.Accounts) == 0 && len(snap.Errors) == 0 {
		return &ExitError{Code: ExitUsage, Err: nothingRead("collected", &o.InputOptions, snap)}
	}
	// The logs are read as far back as --window reaches; the snapshot
	// records what was read, so an audit with a wider window says so.
	if err := addCloudTrail(ctx, d, &o.InputOptions, snap, d.Now().UTC(), window); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, e := range snap.Errors {
		d.logger().Warn("not collected", "account", e.Account, "source", e.Source, "error", e.Message)
	}
	file := snapshotFile{Version: SnapshotVersion, Tool: d.Version, Snapshot: snap}
	if len(snap.Accounts) > 0 || !keepPrevious(path, d.logger()) {
		if err := writeAtomic(path, d.Out, jsonValue{file}.Write); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
	}
	switch {
	case len(snap.Accounts) == 0:
		return &ExitError{Code: ExitUsage, Err: nothingRead("collected", &o.InputOptions, snap)}
	case len(snap.Errors) > 0:
		return &ExitError{Code: ExitPartial}
	}
	return nil
}

// jsonValue writes one value as indented JSON, through the report writer
// plumbing (atomic files, devices written in place).
type jsonValue struct{ v any }

func (j jsonValue) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j.v)
}
