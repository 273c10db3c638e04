package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/rootwatch/rootwatch/internal/config"
	"io"

	"github.com/spf13/cobra"
)

// SnapshotOptions are the snapshot command's flags.
type SnapshotOptions struct {
	Deps *Deps
	InputOptions
	Output string
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
  rootwatch audit --snapshot fleet.json --window 30d --format json`,
		Args: reportPaths(&o.InputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Reports = append(o.Reports, args...)
			return runSnapshot(cmd.Context(), o)
		},
	}
	addInputFlags(cmd.Flags(), &o.InputOptions, "collect")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "write the snapshot to `FILE` instead of standard output")
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
	path, err := outputPath(o.Output)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	snap, err := collectSnapshot(ctx, d, &o.InputOptions, d.Now().UTC())
	if err != nil {
		return err
	}
	// The default window's reach: an audit of the snapshot judges within it.
	if err := addCloudTrail(ctx, d, &o.InputOptions, snap, d.Now().UTC(), config.DefaultParams().Window); err != nil {
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
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("nothing could be collected: %d input(s) failed", len(snap.Errors))}
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
