package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/demo"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/report"
	"github.com/rootwatch/rootwatch/internal/trail"
)

// TrailOptions are the trail command's flags.
type TrailOptions struct {
	Deps *Deps

	Paths       []string
	Demo        bool
	Format      string
	Output      string
	Summary     bool
	Details     bool
	Since       string
	Until       string
	Accounts    []string
	Management  string
	Regions     []string
	All         bool
	BurstCount  int
	BurstWindow string
	Concurrency int
	NoColor     bool

	// AWS, for s3:// inputs and Athena.
	Profile     string
	Region      string
	EndpointURL string

	// Athena: the same classification as SQL, on the organization's table.
	Athena         bool
	PrintSQL       bool
	Database       string
	Table          string
	Workgroup      string
	OutputLocation string
	Partitions     string
}

func newTrailCmd(d *Deps) *cobra.Command {
	opts := &TrailOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "trail PATH... | s3://BUCKET/PREFIX",
		Short: "Find every root action in CloudTrail logs",
		Long: `Read CloudTrail and list every action of the root user: console sign-ins
(with or without MFA, failed ones too), API calls signed with a root access key
or made from a console session, changes to root's credentials, and
centralized root access (sts:AssumeRoot in the management account, and what
each session did in the member account).

It reads CloudTrail log files (.json.gz or .json) and folders in the S3
delivery layout (AWSLogs/[o-id/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/), locally
or from S3; the output of 'aws cloudtrail lookup-events'; EventBridge events;
CloudTrail Lake query results; JSON arrays and JSON lines. '-' reads standard
input. Digest and insight files are skipped; an event delivered twice (an
organization trail and an account trail) is listed once. --since, --until,
--accounts and --regions prune whole folders of the delivery layout.

Like the CIS metric filter, AWS services' own events and calls a service made
on root's behalf are left out; --all shows them.

Broken input (truncated gzip, invalid JSON, records of odd types) is skipped
with a warning naming the file and position, and the rest is read; the run
then exits 3. An element over 16 MiB is skipped the same way.

Nothing read is not nothing found: inputs without a single record (an empty
file, [], {"Records":[]}) exit 2 and write no report (an existing --output is
left as it was); records without a root event print "N records read, no root
event." and exit 0; filters that leave every log file out warn that nothing was
read and exit 0.`,
		Example: `  # The demo organization's root activity (no AWS account needed)
  rootwatch trail --demo --summary

  # Root events in a folder of CloudTrail logs, as a table
  rootwatch trail ./AWSLogs

  # From the organization trail's bucket, last 30 days, as JSON lines
  rootwatch trail s3://org-trail-logs/AWSLogs/o-abc123/ --since 30d --format jsonl

  # Per account: sign-ins without MFA, key-signed calls, failed sign-in bursts
  rootwatch trail ./AWSLogs --summary

  # Recent events from the API
  aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=root > events.json
  rootwatch trail events.json

  # Years of logs: the same classification as SQL, run on Amazon Athena
  rootwatch trail --athena --database security --table cloudtrail_logs --workgroup primary \
      --output-location s3://athena-results/rootwatch/ --since 365d --format jsonl

  # The query, for Athena/Trino and for CloudTrail Lake
  rootwatch trail --print-sql --table security.cloudtrail_logs --since 90d`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.Demo && (opts.Athena || opts.PrintSQL):
				return usageError("--demo reads the bundled log: it does not go with --athena or --print-sql")
			case (opts.Athena || opts.PrintSQL || opts.Demo) && len(args) > 0:
				return usageError("--athena, --print-sql and --demo take no paths")
			case !opts.Athena && !opts.PrintSQL && !opts.Demo && len(args) == 0:
				return usageError("give CloudTrail files, folders or s3:// URLs (or --demo, or --athena)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if err := opts.refuseUnused(cmd.Flags()); err != nil {
				return err
			}
			if opts.PrintSQL {
				return printSQL(opts)
			}
			return runTrail(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Demo, "demo", false, "read the bundled demo organization's CloudTrail log (no AWS account needed)")
	stringOnceVarP(f, &opts.Format, "format", "f", "table", report.FormatFlagHelp(report.CommandTrail))
	stringOnceVarP(f, &opts.Output, "output", "o", "", "write to `FILE` instead of standard output")
	f.BoolVar(&opts.Details, "details", false, "jsonl: add the fields only some events have (session, invoked_by, error_code, caller, target_account, task_policy, by_service) after the contract's")
	f.BoolVar(&opts.Summary, "summary", false, "per account: root events, sign-ins with and without MFA, key-signed calls, first and last seen, source IPs, failed sign-in bursts")
	stringOnceVar(f, &opts.Since, "since", "", "only events at or after `TIME` (RFC 3339, a date, or a duration back from now: 30d, 12h)")
	stringOnceVar(f, &opts.Until, "until", "", "only events before `TIME` (same forms)")
	f.StringSliceVar(&opts.Accounts, "accounts", nil, "only these account `IDs` (comma-separated); AssumeRoot calls into them are logged in the management account: see --management-account")
	stringOnceVar(f, &opts.Management, "management-account", "", "with --accounts or --regions: also read the logs of the management account `ID`, in every region, for the AssumeRoot calls into the listed accounts and regions")
	f.StringSliceVar(&opts.Regions, "regions", nil, "only these `REGIONS` (comma-separated)")
	f.BoolVar(&opts.All, "all", false, "also show what AWS services did on root's behalf")
	f.IntVar(&opts.BurstCount, "burst-failures", 5, "--summary: this many failed root sign-ins...")
	stringOnceVar(f, &opts.BurstWindow, "burst-window", "10m", "--summary: ...within this `DURATION` are flagged as likely password guessing")
	f.IntVar(&opts.Concurrency, "concurrency", 0, "files read at once (default: the number of CPUs; 16 for S3)")
	f.BoolVar(&opts.NoColor, "no-color", false, "never colour the table (also: NO_COLOR)")
	stringOnceVar(f, &opts.Profile, "profile", "", "s3://: AWS `PROFILE` from the shared config")
	stringOnceVar(f, &opts.Region, "region", "", "s3://: AWS `REGION`")
	stringOnceVar(f, &opts.EndpointURL, "endpoint-url", "", "s3:// and --athena: send AWS calls to this `URL`")
	f.BoolVar(&opts.Athena, "athena", false, "run the classification as SQL on Amazon Athena, over the CloudTrail table AWS documents")
	f.BoolVar(&opts.PrintSQL, "print-sql", false, "print the query for Athena/Trino and for CloudTrail Lake, and exit")
	stringOnceVar(f, &opts.Database, "database", "default", "--athena: the Glue `DATABASE` of the table")
	stringOnceVar(f, &opts.Table, "table", "cloudtrail_logs", "--athena: the CloudTrail `TABLE` (for --print-sql, qualify it; for Lake, the event data store ID)")
	stringOnceVar(f, &opts.Workgroup, "workgroup", "primary", "--athena: the Athena `WORKGROUP`")
	stringOnceVar(f, &opts.OutputLocation, "output-location", "", "--athena: `S3-URL` for the query results (default: the workgroup's)")
	stringOnceVar(f, &opts.Partitions, "partitions", "timestamp", "--athena: the table's partition `COLUMNS`, for pruning: timestamp (AWS's projection table), account,region,year,month,day (organization trail), region,year,month,day, or none")
	return cmd
}

// parseWhen reads --since/--until: RFC 3339, a date, or a duration back
// from now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := config.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2024-05-01T00:00:00Z), a date (2024-05-01) or a duration back from now (30d, 12h)", s)
}

func (o *TrailOptions) filter(now time.Time) (trail.Filter, error) {
	f := trail.Filter{All: o.All}
	var err error
	if o.Since != "" {
		if f.Since, err = parseWhen(o.Since, now); err != nil {
			return f, usageError("--since %v", err)
		}
	}
	if o.Until != "" {
		if f.Until, err = parseWhen(o.Until, now); err != nil {
			return f, usageError("--until %v", err)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, usageError("--since %s is not before --until %s", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339))
	}
	if len(o.Accounts) > 0 {
		f.Accounts = map[string]bool{}
		for _, a := range o.Accounts {
			if !model.ValidAccountID(a) {
				return f, usageError("--accounts: %q is not a 12-digit account ID", a)
			}
			f.Accounts[a] = true
		}
	}
	if o.Management != "" {
		if !model.ValidAccountID(o.Management) {
			return f, usageError("--management-account: %q is not a 12-digit account ID", o.Management)
		}
		f.AlsoRead = map[string]bool{o.Management: true}
	}
	if len(o.Regions) > 0 {
		f.Regions = map[string]bool{}
		for _, r := range o.Regions {
			f.Regions[r] = true
		}
	}
	return f, nil
}

func runTrail(ctx context.Context, o *TrailOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	d := o.Deps
	log := d.logger()
	now := d.Now().UTC()
	f, err := o.filter(now)
	if err != nil {
		return err
	}
	f.Pruned = new(atomic.Int64)
	if o.Concurrency < 0 {
		return usageError("--concurrency must be at least 1 (0: the default)")
	}
	if o.OutputLocation != "" {
		if _, _, ok := trail.ParseS3URL(o.OutputLocation); !ok {
			return usageError("--output-location %q: want s3://BUCKET/PREFIX/", o.OutputLocation)
		}
	}
	if o.BurstCount < 2 {
		return usageError("--burst-failures must be at least 2")
	}
	window, err := config.ParseDuration(o.BurstWindow)
	if err != nil || window <= 0 {
		return usageError("--burst-window %q: want a duration such as 10m", o.BurstWindow)
	}
	if _, err := report.NewEventWriter(o.Format, io.Discard, report.Options{}); err != nil {
		return usageError("--format: %v", err)
	}
	if err := o.refuseIgnored(); err != nil {
		return err
	}
	outPath, err := outputPath(o.Output, o.Paths...)
	if err != nil {
		return &ExitError{Code: ExitUsage, Err: err}
	}
	toStdout := outPath == "" || outPath == "-"
	ios := d.IO()
	out := ios.ForOutput(!toStdout, o.NoColor)

	var inputs trail.Inputs
	workers := 0
	var athenaAPI trail.AthenaAPI
	if o.Athena {
		if athenaAPI, err = o.athenaClient(ctx); err != nil {
			return err
		}
	} else if o.Demo {
		log := demo.CloudTrailLog(now)
		inputs = func(ctx context.Context, yield func(trail.Input, error) bool) {
			yield(trail.Input{Name: demo.CloudTrailSource, Size: int64(len(log)), Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(log)), nil
			}}, nil)
		}
	} else if inputs, workers, err = trailInputs(ctx, d, o.Paths, awsWhere{o.Profile, o.Region, o.EndpointURL}, &f, o.Concurrency); err != nil {
		return err
	}
	// The progress line is drawn on standard error while inputs are read,
	// and cleared for good before anything else is written there or to a
	// standard output on the same terminal: the first byte of the report,
	// the end of the scan, or an error.
	var bar *progressbar.ProgressBar
	if ios.ShowProgress() {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(d.ErrOut), progressbar.OptionSetDescription("reading CloudTrail"),
			progressbar.OptionShowBytes(true), progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
	}
	// Progress, warnings, events and the report all come from the scan's
	// calling goroutine: bar needs no lock.
	clearBar := func() {
		if bar != nil {
			_ = bar.Finish() // cleared on finish
			bar = nil
		}
	}
	defer clearBar()
	so := trail.ScanOptions{Filter: f, Workers: workers}
	if bar != nil {
		so.Progress = func(size int64) {
			if bar != nil {
				_ = bar.Add64(size)
			}
		}
	}
	stdout := d.Out
	if bar != nil && out.Terminal {
		stdout = &clearFirst{w: d.Out, clear: clearBar}
	}
	sum := trail.Summary{Rule: trail.BurstRule{Count: o.BurstCount, Window: window}}
	var st trail.Stats
	err = writeAtomic(outPath, stdout, func(w io.Writer) error {
		ew, err := report.NewEventWriter(o.Format, w, report.Options{Color: out.Color, Terminal: out.Terminal, Width: out.Width, Now: now, Details: o.Details})
		if err != nil {
			return err
		}
		emit := func(ev trail.Event) error {
			if o.Summary {
				sum.Add(ev)
				return nil
			}
			return ew.Event(&ev)
		}
		if o.Athena {
			st, err = o.runAthena(ctx, athenaAPI, f, emit)
		} else {
			st, err = trail.Scan(ctx, inputs, so, emit, func(w trail.Warning) {
				if bar != nil {
					_ = bar.Clear()
				}
				if w.Line > 0 || w.Offset > 0 {
					log.Warn("skipped", "input", w.Source, "where", where(w), "reason", w.Msg)
				} else {
					log.Warn("skipped", "input", w.Source, "reason", w.Msg)
				}
			})
		}
		clearBar()
		if err != nil {
			return err
		}
		// Nothing read is not nothing found. With no record read the
		// report is not written (an existing --output file is left as it
		// was) and the run exits 2, unless the filters left every log file
		// out (a quiet day for a daily job).
		from := strings.Join(o.Paths, ", ")
		if o.Demo {
			from = demo.CloudTrailSource
		}
		switch {
		case o.Athena:
		case st.Inputs == 0 && f.Pruned.Load() > 0:
			log.Warn("nothing was read: no log file matches --since, --until, --accounts or --regions", "in", from, "folders_or_files_left_out", f.Pruned.Load())
		case st.Inputs == 0:
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("no CloudTrail file found in %s", from)}
		case st.Skipped > 0 && st.Records == 0:
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("nothing could be read from %s: %s skipped (listed above)", from, counted(st.Skipped, "input or record", "inputs or records"))}
		case st.Records == 0:
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("no CloudTrail record was read from %s: %s read, without a record (empty, [] or {\"Records\":[]})", from, counted(st.Inputs, "input", "inputs"))}
		case st.Events == 0 && !o.Summary:
			// Records read, none root's: said as such, not as an empty report.
			msg := counted(st.Records, "record", "records") + " read, no root event."
			if o.Format == "table" {
				_, err := fmt.Fprintln(w, msg)
				return err
			}
			log.Info(msg)
		}
		if o.Summary {
			if err := ew.Summary(sum.Accounts()); err != nil {
				return err
			}
			if err := ew.Totals(st); err != nil {
				return err
			}
		}
		return ew.Close()
	})
	var ee *ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &ee):
		return err // a usage or input error (Athena's too), not a failure to write
	default:
		return &ExitError{Code: exitInternal, Err: err}
	}
	log.Info("read", "inputs", st.Inputs, "records", st.Records, "root_events", st.Events, "duplicates_removed", st.Duplicates, "skipped", st.Skipped)
	switch {
	case o.Athena:
		return nil
	case st.Skipped > 0:
		log.Warn("partial results", "skipped", st.Skipped)
		return &ExitError{Code: ExitPartial}
	}
	return nil
}

// clearFirst calls clear before the first write to w: the progress line is
// cleared before the report starts on the same terminal.
type clearFirst struct {
	w     io.Writer
	clear func()
}

func (c *clearFirst) Write(p []byte) (int, error) {
	if c.clear != nil {
		c.clear()
		c.clear = nil
	}
	return c.w.Write(p)
}

// counted is n and its noun, singular or plural.
func counted(n int64, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, plural)
}

// refuseUnused refuses flags given for a way of reading that does not use
// them (--database without --athena, --concurrency with --demo, ...).
func (o *TrailOptions) refuseUnused(fs *pflag.FlagSet) error {
	mode, what := "files", "reading files"
	switch {
	case o.PrintSQL:
		mode, what = "sql", "--print-sql"
	case o.Athena:
		mode, what = "athena", "--athena"
	case o.Demo:
		mode, what = "demo", "--demo"
	}
	s3 := slices.ContainsFunc(o.Paths, func(p string) bool { return strings.HasPrefix(p, "s3://") })
	for _, u := range []struct {
		flag  string
		modes string
	}{
		{"format", "files demo athena"}, {"output", "files demo athena"}, {"summary", "files demo athena"},
		{"details", "files demo athena"}, {"burst-failures", "files demo athena"}, {"burst-window", "files demo athena"},
		{"no-color", "files demo athena"}, {"concurrency", "files"},
		{"database", "athena"}, {"workgroup", "athena"}, {"output-location", "athena"},
		{"table", "athena sql"}, {"partitions", "athena sql"},
		{"profile", "athena s3"}, {"region", "athena s3"}, {"endpoint-url", "athena s3"},
	} {
		if !fs.Changed(u.flag) {
			continue
		}
		modes := strings.Fields(u.modes)
		if slices.Contains(modes, mode) || (mode == "files" && s3 && slices.Contains(modes, "s3")) {
			continue
		}
		if mode == "files" && slices.Contains(modes, "s3") {
			what = "local files (it is for s3:// and --athena)"
		}
		return usageError("--%s does nothing with %s: leave it out", u.flag, what)
	}
	return nil
}

// refuseIgnored refuses flags that would be silently ignored beside the
// others given.
func (o *TrailOptions) refuseIgnored() error {
	switch {
	case o.Details && o.Summary:
		return usageError("--details adds fields to events, and --summary writes accounts, not events: give one of them")
	case o.Details && o.Format == "table":
		return usageError("--details adds fields to --format jsonl (csv always has them); the table has no room for them: use --format jsonl or csv")
	case o.All && o.Format == "jsonl" && !o.Details && !o.Summary:
		return usageError("--all with --format jsonl needs --details: its by_service field tells what services did from root's own actions")
	case o.Management != "" && len(o.Accounts) == 0 && len(o.Regions) == 0:
		return usageError("--management-account only matters with --accounts or --regions (it adds that account's logs to theirs); without them every account's logs are read")
	}
	return nil
}

func where(w trail.Warning) string {
	if w.Line > 0 {
		return fmt.Sprintf("line %d, byte %d", w.Line, w.Offset)
	}
	return fmt.Sprintf("byte %d", w.Offset)
}

// awsWhere says how to reach AWS for s3:// inputs.
type awsWhere struct{ Profile, Region, EndpointURL string }

// trailInputs are the local paths and s3:// URLs given, in order, and how
// many to read at once.
func trailInputs(ctx context.Context, d *Deps, paths []string, aw awsWhere, f *trail.Filter, concurrency int) (trail.Inputs, int, error) {
	var parts []trail.Inputs
	workers := concurrency
	var s3api trail.S3API
	var local []string
	flush := func() {
		if len(local) > 0 {
			parts = append(parts, trail.LocalInputs(local, d.In, f))
			local = nil
		}
	}
	for _, p := range paths {
		if !strings.HasPrefix(p, "s3://") {
			local = append(local, p)
			continue
		}
		if _, _, ok := trail.ParseS3URL(p); !ok {
			return nil, 0, usageError("%q: want s3://BUCKET/PREFIX", p)
		}
		flush()
		if s3api == nil {
			cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: aw.Profile, Region: aw.Region, EndpointURL: aw.EndpointURL, Record: d.AWSRecord})
			if err != nil {
				return nil, 0, &ExitError{Code: ExitUsage, Err: err}
			}
			s3api = s3.NewFromConfig(cfg, func(so *s3.Options) {
				so.UsePathStyle = aw.EndpointURL != "" // emulators answer on one host
				// CloudTrail objects are gzip: S3 returns no checksum for
				// them to validate, and the SDK would log that for each.
				so.DisableLogOutputChecksumValidationSkipped = true
			})
			if workers == 0 {
				workers = 16 // downloads wait on the network, not the CPU
			}
		}
		parts = append(parts, trail.S3Inputs(s3api, p, f))
	}
	flush()
	return func(ctx context.Context, yield func(trail.Input, error) bool) {
		for _, p := range parts {
			stop := false
			p(ctx, func(in trail.Input, err error) bool {
				if !yield(in, err) {
					stop = true
					return false
				}
				return true
			})
			if stop {
				return
			}
		}
	}, workers, nil
}

func (o *TrailOptions) sqlOptions(f trail.Filter) (trail.SQLOptions, error) {
	parts := o.Partitions
	if parts == "none" {
		parts = ""
	}
	for _, p := range strings.Split(parts, ",") {
		switch strings.TrimSpace(p) {
		case "", "timestamp", "account", "region", "year", "month", "day":
		default:
			return trail.SQLOptions{}, usageError("--partitions: %q is not a partition rootwatch can prune (timestamp, account, region, year, month, day)", p)
		}
	}
	if o.Table == "" {
		return trail.SQLOptions{}, usageError("--table is empty")
	}
	return trail.SQLOptions{Table: o.Table, Filter: f, Partitions: parts}, nil
}

// printSQL prints the Athena query and the CloudTrail Lake one.
func printSQL(o *TrailOptions) error {
	f, err := o.filter(o.Deps.Now().UTC())
	if err != nil {
		return err
	}
	so, err := o.sqlOptions(f)
	if err != nil {
		return err
	}
	lake := so
	lake.Table = o.Table
	_, err = fmt.Fprintf(o.Deps.Out, "-- Amazon Athena (Trino), over the CloudTrail table AWS documents\n%s\n-- CloudTrail Lake (event data store %s)\n%s",
		trail.AthenaSQL(so), o.Table, trail.LakeSQL(lake))
	return err
}

func (o *TrailOptions) athenaClient(ctx context.Context) (trail.AthenaAPI, error) {
	cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: o.Profile, Region: o.Region, EndpointURL: o.EndpointURL, Record: o.Deps.AWSRecord})
	if err != nil {
		return nil, &ExitError{Code: ExitUsage, Err: err}
	}
	return athena.NewFromConfig(cfg), nil
}

// runAthena runs the query on Athena and emits its rows; the stats count
// them as records and events.
func (o *TrailOptions) runAthena(ctx context.Context, api trail.AthenaAPI, f trail.Filter, emit func(trail.Event) error) (trail.Stats, error) {
	so, err := o.sqlOptions(f)
	if err != nil {
		return trail.Stats{}, err
	}
	table := o.Table
	log := o.Deps.logger()
	log.Info("running the query on Athena", "database", o.Database, "table", table, "workgroup", o.Workgroup)
	res, err := trail.RunAthena(ctx, api, trail.AthenaQuery{SQL: trail.AthenaSQL(so), Database: o.Database, Workgroup: o.Workgroup, OutputLocation: o.OutputLocation}, emit)
	if err != nil {
		return trail.Stats{}, &ExitError{Code: ExitUsage, Err: fmt.Errorf("%s", collect.Describe(err))}
	}
	log.Info("Athena query done", "query_id", res.QueryID, "root_events", res.Rows, "scanned_bytes", res.ScannedBytes, "engine_time", res.Elapsed)
	return trail.Stats{Inputs: 1, Records: res.Rows, Events: res.Rows}, nil
}
