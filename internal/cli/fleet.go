package cli

import (
	"context"
	"strings"

	"github.com/rootwatch/rootwatch/internal/fleet"
	"github.com/rootwatch/rootwatch/internal/model"
)

// checkFleet refuses --fleet where it would change nothing: the demo has
// its own organizations, and live runs collect theirs (--assets).
func (in *InputOptions) checkFleet() error {
	if in.Fleet == "-" {
		return usageError("--fleet reads a file, not standard input: give its path")
	}
	if in.Fleet == "" || len(in.Reports) > 0 || in.SnapshotPath != "" {
		return nil
	}
	if in.Demo {
		return usageError("--fleet describes the accounts of --credential-report or --snapshot files: the demo fleet has its own organizations and asset counts")
	}
	return usageError("--fleet describes the accounts of --credential-report or --snapshot files: a live audit reads organizations and OU paths from AWS Organizations (--org) and counts assets with --assets")
}

// loadFleet reads --fleet, before any other input, so a bad file stops the
// run at once; nil without --fleet.
func loadFleet(ctx context.Context, in *InputOptions) (*fleet.Fleet, error) {
	if in.Fleet == "" {
		return nil, nil
	}
	fl, err := fleet.Load(ctx, in.Fleet)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return fl, nil
}

// firstFew is how many account IDs a log line names.
const firstFew = 5

// applyFleet gives the snapshot's accounts the fleet file's names,
// organizations, OU paths and asset counts, where the input has none, and
// says which accounts the file does not describe.
func applyFleet(d *Deps, fl *fleet.Fleet, snap *model.Snapshot) {
	if fl == nil {
		return
	}
	log := d.logger()
	res := fl.Apply(snap)
	if n := len(res.Missing); n > 0 {
		log.Warn("accounts not in the fleet file: no organization, OU path or asset counts for them",
			"fleet", fl.File, "count", n, "first", strings.Join(res.Missing[:min(n, firstFew)], ","))
	}
	if n := len(res.Disagree); n > 0 {
		log.Warn("the fleet file disagrees with the input: the input's name, organization, OU path, email or asset counts are kept",
			"fleet", fl.File, "count", n, "first", strings.Join(res.Disagree[:min(n, firstFew)], ","))
	}
	if res.Unused > 0 {
		log.Info("fleet file accounts not in the input, ignored", "fleet", fl.File, "count", res.Unused)
	}
}
