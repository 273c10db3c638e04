package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/demo"
	"github.com/rootwatch/rootwatch/internal/model"
)

// InputOptions say where a snapshot comes from: files, the demo, a saved
// snapshot, or AWS live (the current account or the organization).
type InputOptions struct {
	Demo         bool
	Reports      []string
	ReportTime   string
	SnapshotPath string

	// Live collection.
	Org             bool
	RoleName        string
	ExternalID      string
	Accounts        []string
	ExcludeAccounts []string
	OUs             []string
	Concurrency     int
	AssumeRoot      bool
	Profile         string
	Region          string
	EndpointURL     string
	MaxReportAge    string
	Assets          bool
	APITimeout      time.Duration
	// CloudTrail are paths or s3:// URLs of CloudTrail logs whose root
	// events are added to the accounts.
	CloudTrail []string

	// facts are the account facts the run's checks need (nil: all), so a
	// live run collects only those.
	facts map[string]bool

	// Parsed by check.
	reportTime   time.Time
	maxReportAge time.Duration
	// skipped are the organization's accounts left out as not active;
	// notAudited, those of them --accounts named.
	skipped    []string
	notAudited []model.SourceError
}

// reportPaths accepts arguments as more paths of --credential-report
// (--credential-report a.csv b.csv, as a shell glob gives them), and only
// then.
func reportPaths(in *InputOptions) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 0 && len(in.Reports) == 0 {
			return usageError("unexpected argument %q: give report paths after --credential-report", args[0])
		}
		return nil
	}
}

// defaultMaxReportAge is how old a credential report may be reused: IAM
// makes a new one at most every 4 hours anyway.
const defaultMaxReportAge = "4h"

// defaultRoleName is the role Organizations creates in the accounts it
// creates.
const defaultRoleName = "OrganizationAccountAccessRole"

func addInputFlags(f *pflag.FlagSet, in *InputOptions, verb string) {
	f.BoolVar(&in.Demo, "demo", false, verb+" the bundled demo organization (no AWS account needed)")
	f.StringArrayVar(&in.Reports, "credential-report", nil, "credential report `PATH` (CSV, the CLI's JSON, a directory, or - for stdin); repeatable")
	f.StringVar(&in.ReportTime, "report-time", "", "generation `TIME` (RFC 3339) of reports that carry none (bare CSV); default: now")
	f.StringVar(&in.Profile, "profile", "", "live: AWS `PROFILE` from the shared config (default: AWS_PROFILE or the default chain)")
	f.StringVar(&in.Region, "region", "", "live: AWS `REGION` (default: AWS_REGION or the profile's)")
	f.StringVar(&in.EndpointURL, "endpoint-url", "", "live: send AWS calls to this `URL` (emulators, VPC endpoints)")
	f.StringVar(&in.MaxReportAge, "max-report-age", defaultMaxReportAge, "live: reuse a credential report younger than this `DURATION`, else ask IAM for a new one (IAM makes at most one every 4 hours, so a shorter DURATION can still get a report up to 4 hours old)")
	f.BoolVar(&in.Assets, "assets", false, "live: also count IAM users, S3 buckets, EC2 and RDS instances in every enabled region, and trails (the account's size bucket; no check needs them)")
	f.StringArrayVar(&in.CloudTrail, "cloudtrail", nil, "CloudTrail logs (`PATH` or s3://BUCKET/PREFIX, any form 'rootwatch trail' reads): every root action in the window becomes evidence; repeatable")
	f.BoolVar(&in.Org, "org", false, "live: "+verb+" every active account of the organization (from the management account or a delegated administrator)")
	f.StringVar(&in.RoleName, "role-name", defaultRoleName, "--org: the `ROLE` assumed in each member account")
	f.StringVar(&in.ExternalID, "external-id", "", "--org: the external `ID` the role requires")
	f.StringSliceVar(&in.Accounts, "accounts", nil, "--org: only these account `IDs` (comma-separated)")
	f.StringSliceVar(&in.ExcludeAccounts, "exclude-accounts", nil, "--org: leave out these account `IDs`")
	f.StringSliceVar(&in.OUs, "ous", nil, "--org: only accounts under these `OUs` (ou-/r- IDs, or paths such as Root/Workloads)")
	f.IntVar(&in.Concurrency, "concurrency", 16, "--org: accounts collected at once")
	f.DurationVar(&in.APITimeout, "api-timeout", collect.DefaultAPITimeout, "live: give up on an AWS request unanswered after this `DURATION` (not retried: the account gets an error naming the API, and the run goes on)")
	f.BoolVar(&in.AssumeRoot, "assume-root", false, "--org: read member roots' credentials in sts:AssumeRoot sessions (IAMAuditRootUserCredentials), even where no role can be assumed")
}

// needs says whether the run's checks need a fact.
func (in *InputOptions) needs(fact string) bool { return in.facts == nil || in.facts[fact] }

// check validates the input flags before any work is done.
func (in *InputOptions) check() error {
	sources := 0
	for _, set := range []bool{in.Demo, len(in.Reports) > 0, in.SnapshotPath != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return usageError("give one of --demo, --credential-report and --snapshot")
	}
	if in.Org && sources > 0 {
		return usageError("--org collects live: it does not go with --demo, --credential-report or --snapshot")
	}
	if in.AssumeRoot && !in.Org {
		return usageError("--assume-root reads the roots of an organization's members: use it with --org")
	}
	if !in.Org {
		// Accepted and ignored, they would look as if they had narrowed or
		// changed the run.
		for _, fl := range []struct {
			name string
			set  bool
		}{{"--accounts", len(in.Accounts) > 0}, {"--exclude-accounts", len(in.ExcludeAccounts) > 0}, {"--ous", len(in.OUs) > 0},
			{"--role-name", in.RoleName != defaultRoleName}, {"--external-id", in.ExternalID != ""}} {
			if fl.set {
				return usageError("%s applies to an organization's accounts: use it with --org", fl.name)
			}
		}
	}
	if !in.Org && (len(in.Reports) > 0 || in.Demo || in.SnapshotPath != "") {
		age, _ := config.ParseDuration(in.MaxReportAge)
		def, _ := config.ParseDuration(defaultMaxReportAge)
		for _, fl := range []struct {
			name string
			set  bool
		}{{"--max-report-age", age != def}, {"--assets", in.Assets}, {"--api-timeout", in.APITimeout != collect.DefaultAPITimeout}} {
			if fl.set {
				return usageError("%s applies to a live audit: it does not go with --demo, --credential-report or --snapshot", fl.name)
			}
		}
	}
	stdin := 0
	for _, p := range append(append(slices.Clone(in.Reports), in.CloudTrail...), in.SnapshotPath) {
		if p == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageError("standard input (-) can be read once: give --credential-report or --cloudtrail a file for the other")
	}
	var err error
	if in.maxReportAge, err = config.ParseDuration(in.MaxReportAge); err != nil {
		return usageError("--max-report-age: %v", err)
	}
	if in.ReportTime != "" {
		if in.reportTime, err = time.Parse(time.RFC3339, in.ReportTime); err != nil {
			return usageError("--report-time %q: want an RFC 3339 time such as 2025-06-01T12:00:00Z", in.ReportTime)
		}
	}
	if in.APITimeout <= 0 {
		return usageError("--api-timeout must be more than 0")
	}
	if in.Concurrency < 1 {
		return usageError("--concurrency must be at least 1")
	}
	return nil
}

// collectSnapshot builds the snapshot from the chosen input. An error is an
// ExitError with the right code.
func collectSnapshot(ctx context.Context, d *Deps, in *InputOptions, now time.Time) (*model.Snapshot, error) {
	switch {
	case in.SnapshotPath != "":
		snap, err := readSnapshot(in.SnapshotPath, d.In)
		if err != nil {
			return nil, &ExitError{Code: ExitUsage, Err: err}
		}
		return snap, nil
	case in.Demo:
		snap, err := demo.Snapshot(now)
		if err != nil {
			return nil, &ExitError{Code: exitInternal, Err: err}
		}
		return snap, nil
	case len(in.Reports) > 0:
		lo := credreport.LoadOptions{Stdin: d.In, ReportTime: in.reportTime, AuditTime: now}
		var progress *fileProgress
		if d.ErrIsTerminal {
			progress = &fileProgress{w: d.ErrOut}
			lo.Progress = progress
		}
		loaded, err := credreport.Load(ctx, in.Reports, lo)
		if progress != nil {
			progress.Finish()
		}
		if err != nil {
			return nil, &ExitError{Code: exitInternal, Err: err}
		}
		for _, w := range loaded.Warnings {
			d.logger().Warn("set aside", "account", w.Account, "source", w.Source, "reason", w.Message)
		}
		return &model.Snapshot{CollectedAt: now, Accounts: loaded.Accounts, Errors: loaded.Errors, Warnings: loaded.Warnings}, nil
	}
	snap, err := collectLive(ctx, d, in, now)
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return snap, nil
}

// SnapshotVersion is the version of the snapshot file format.
const SnapshotVersion = 1

// snapshotFile is a snapshot as written by 'rootwatch snapshot'.
type snapshotFile struct {
	Version int    `json:"rootwatch_snapshot"`
	Tool    string `json:"tool_version"`
	*model.Snapshot
}

// readSnapshot reads a snapshot file, refusing fields it does not know so a
// file from a newer rootwatch is not silently misread.
func readSnapshot(path string, stdin io.Reader) (*model.Snapshot, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	f := snapshotFile{Snapshot: &model.Snapshot{}}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("snapshot %s: %v", path, err)
	}
	if f.Version != SnapshotVersion {
		return nil, fmt.Errorf("snapshot %s: version %d, this rootwatch reads version %d", path, f.Version, SnapshotVersion)
	}
	for i := range f.Accounts {
		a := &f.Accounts[i]
		if !model.ValidAccountID(a.ID) {
			return nil, fmt.Errorf("snapshot %s: account %q is not a 12-digit account ID", path, a.ID)
		}
		if a.Root != nil {
			a.Root.Derive() // derived facts are recomputed, never trusted from the file
		}
		if c := a.Contacts; c != nil && c.LegacyPrimary != nil {
			if a.PrimaryContact == nil {
				a.PrimaryContact = c.LegacyPrimary
			}
			c.LegacyPrimary = nil
		}
	}
	return f.Snapshot, nil
}
