package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
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
	// Fleet is a fleet file (CSV) giving file inputs' accounts their
	// organization, OU path and asset counts.
	Fleet string

	// facts are the account facts the run's checks need (nil: all), so a
	// live run collects only those.
	facts map[string]bool

	// Parsed by check.
	reportTime   time.Time
	maxReportAge time.Duration
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
	stringOnceVar(f, &in.ReportTime, "report-time", "", "generation `TIME` (RFC 3339) of reports that carry none (bare CSV); default: now")
	stringOnceVar(f, &in.Profile, "profile", "", "live: AWS `PROFILE` from the shared config (default: AWS_PROFILE or the default chain)")
	stringOnceVar(f, &in.Region, "region", "", "live: AWS `REGION` (default: AWS_REGION or the profile's)")
	stringOnceVar(f, &in.EndpointURL, "endpoint-url", "", "live: send AWS calls to this `URL` (emulators, VPC endpoints)")
	stringOnceVar(f, &in.MaxReportAge, "max-report-age", defaultMaxReportAge, "live: reuse a credential report younger than this `DURATION`, else ask IAM for a new one (IAM makes at most one every 4 hours, so a shorter DURATION can still get a report up to 4 hours old)")
	f.BoolVar(&in.Assets, "assets", false, "live: also count IAM users, S3 buckets, EC2 and RDS instances in every enabled region, and trails (the account's size bucket; no check needs them)")
	stringOnceVar(f, &in.Fleet, "fleet", "", "with --credential-report or --snapshot: a CSV `FILE` giving each account its name, organization, OU path and asset counts (account_id, account_name, org_id, org_name, ou_path, iam_users, rds_instances, s3_buckets, ec2_instances, trails)")
	f.StringArrayVar(&in.CloudTrail, "cloudtrail", nil, "CloudTrail logs (`PATH` or s3://BUCKET/PREFIX, any form 'rootwatch trail' reads): every root action in the window becomes evidence; repeatable")
	f.BoolVar(&in.Org, "org", false, "live: "+verb+" every active account of the organization (from the management account or a delegated administrator)")
	stringOnceVar(f, &in.RoleName, "role-name", defaultRoleName, "--org: the `ROLE` assumed in each member account")
	stringOnceVar(f, &in.ExternalID, "external-id", "", "--org: the external `ID` the role requires")
	f.StringSliceVar(&in.Accounts, "accounts", nil, "--org: only these account `IDs` (comma-separated)")
	f.StringSliceVar(&in.ExcludeAccounts, "exclude-accounts", nil, "--org: leave out these account `IDs`")
	f.StringSliceVar(&in.OUs, "ous", nil, "--org: only accounts under these `OUs` (ou-/r- IDs, or paths such as Root/Workloads)")
	f.IntVar(&in.Concurrency, "concurrency", 16, "--org: accounts collected at once, and AWS requests in flight at once")
	f.DurationVar(&in.APITimeout, "api-timeout", collect.DefaultAPITimeout, "live: give up on an AWS request unanswered after this `DURATION` (not retried: the account gets an error naming the API, and the run goes on)")
	f.BoolVar(&in.AssumeRoot, "assume-root", false, "--org: read member roots' credentials in sts:AssumeRoot sessions (IAMAuditRootUserCredentials), even where no role can be assumed")
}

// inputPaths are the local files and folders the run reads, and more
// (a configuration file): --output must be none of them.
func (in *InputOptions) inputPaths(more ...string) []string {
	paths := append(slices.Clone(in.Reports), in.CloudTrail...)
	return append(append(paths, in.SnapshotPath, in.Fleet), more...)
}

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
	if err := in.checkFleet(); err != nil {
		return err
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
	if in.ReportTime != "" && len(in.Reports) == 0 {
		// Only a bare CSV lacks a generation time: the demo, a snapshot and
		// live reports carry their own, so the flag would change nothing.
		return usageError("--report-time is the generation time of --credential-report files that carry none (bare CSV): it does not go with --demo, --snapshot or a live audit")
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
	fl, err := loadFleet(ctx, in)
	if err != nil {
		return nil, err
	}
	snap, err := collectInput(ctx, d, in, now)
	if err == nil {
		applyFleet(d, fl, snap)
		// Which accounts share a root email is a fact of the whole fleet:
		// computed once every input's emails are in, never read from a file.
		snap.DeriveEmails()
	}
	return snap, err
}

// collectInput reads or collects the snapshot of the chosen input.
func collectInput(ctx context.Context, d *Deps, in *InputOptions, now time.Time) (*model.Snapshot, error) {
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
		if d.IO().ShowProgress() {
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
// file from a newer rootwatch is not silently misread. It is read as a
// stream, one account at a time: memory holds the accounts, never the
// file's text (a 2 GB snapshot took 8 GB read whole). A file that is
// another of rootwatch's inputs or outputs is named as such.
func readSnapshot(path string, stdin io.Reader) (*model.Snapshot, error) {
	name := stdinName(path)
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read snapshot: %w", err)
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if err := notJSONObject(br, name); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	fail := func(err error) (*model.Snapshot, error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("read snapshot %s: %w", name, err)
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("snapshot %s: %v", name, err)
	}
	if _, err := dec.Token(); err != nil { // the '{' notJSONObject saw
		return fail(err)
	}
	// Every field but the accounts is small: kept raw, decoded strictly at
	// the end.
	rest := map[string]json.RawMessage{}
	var accounts []model.Account
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		if !snapshotKey(key) {
			return nil, notSnapshot(name, key)
		}
		if key != "accounts" {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return fail(err)
			}
			rest[key] = v
			continue
		}
		if tok, err := dec.Token(); err != nil {
			return fail(err)
		} else if tok == nil {
			continue // "accounts": null
		} else if d, ok := tok.(json.Delim); !ok || d != '[' {
			return fail(fmt.Errorf("accounts: want a list of accounts, got %v", tok))
		}
		for dec.More() {
			var a model.Account
			if err := dec.Decode(&a); err != nil {
				return fail(fmt.Errorf("account %d: %w", len(accounts)+1, err))
			}
			accounts = append(accounts, a)
		}
		if _, err := dec.Token(); err != nil { // ']'
			return fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fail(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fail(fmt.Errorf("more data after the snapshot"))
	}
	head, err := json.Marshal(rest)
	if err != nil {
		return fail(err)
	}
	f := snapshotFile{Snapshot: &model.Snapshot{}}
	hdec := json.NewDecoder(bytes.NewReader(head))
	hdec.DisallowUnknownFields()
	if err := hdec.Decode(&f); err != nil {
		return fail(err)
	}
	if f.Version != SnapshotVersion {
		return nil, fmt.Errorf("snapshot %s: version %d, this rootwatch reads version %d", name, f.Version, SnapshotVersion)
	}
	f.Accounts = accounts
	for i := range f.Accounts {
		a := &f.Accounts[i]
		if !model.ValidAccountID(a.ID) {
			return nil, fmt.Errorf("snapshot %s: account %q is not a 12-digit account ID", name, a.ID)
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

// snapshotKey says whether key is a top-level field of a snapshot file.
func snapshotKey(key string) bool {
	switch key {
	case "rootwatch_snapshot", "tool_version", "collected_at", "organizations", "accounts", "errors":
		return true
	}
	return false
}

// notSnapshot names what a JSON object with field key is, when it is
// another of rootwatch's inputs or outputs, and says what to do.
func notSnapshot(name, key string) error {
	const write = "write a snapshot with 'rootwatch snapshot --output FILE' and the inputs to judge"
	switch key {
	case "generated_at", "tool", "findings":
		return fmt.Errorf("%s is an audit report (rootwatch audit --format json), not a snapshot: an audit's verdicts cannot be judged again; %s", name, write)
	case "Content", "ReportFormat", "GeneratedTime", "ResponseMetadata":
		return fmt.Errorf("%s is a credential report (aws iam get-credential-report), not a snapshot: give it to --credential-report, or %s", name, write)
	case "Records", "Events", "QueryResultRows", "detail":
		return fmt.Errorf("%s holds CloudTrail events, not a snapshot: give it to --cloudtrail with the accounts' reports, or to 'rootwatch trail'", name)
	case "event_id", "event_time":
		return fmt.Errorf("%s holds root events written by 'rootwatch trail', not a snapshot: %s", name, write)
	}
	return fmt.Errorf("snapshot %s: unknown field %q (a snapshot from a newer rootwatch, or not a snapshot)", name, key)
}

// notJSONObject refuses an input that does not start with a JSON object:
// a credential report's CSV is named as such.
func notJSONObject(br *bufio.Reader, name string) error {
	for {
		b, err := br.Peek(1)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("snapshot %s is empty: %s", name, "write a snapshot with 'rootwatch snapshot --output FILE'")
			}
			return fmt.Errorf("read snapshot %s: %w", name, err)
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
			continue
		case '{':
			return nil
		}
		head, _ := br.Peek(64)
		head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
		if bytes.HasPrefix(head, []byte("user,arn,")) || bytes.HasPrefix(head, []byte(`"user","arn",`)) {
			return fmt.Errorf("%s is a credential report (CSV), not a snapshot: give it to --credential-report, or write a snapshot with 'rootwatch snapshot --credential-report %s --output FILE'", name, name)
		}
		return fmt.Errorf("snapshot %s: not a snapshot (a snapshot is a JSON object written by 'rootwatch snapshot')", name)
	}
}

// contextReader reads from r until ctx is done, then fails with ctx's
// error at once, even while a Read of r is blocked (standard input from a
// terminal or a pipe that stays open): Ctrl-C must end a run that reads
// standard input. The blocked Read is left to finish in its goroutine; the
// process is about to exit.
type contextReader struct {
	ctx     context.Context
	r       io.Reader
	buf     []byte
	rest    []byte
	err     error
	pending chan readResult
}

type readResult struct {
	n   int
	err error
}

func newContextReader(ctx context.Context, r io.Reader) io.Reader {
	switch r.(type) {
	case *bytes.Reader, *bytes.Buffer, *strings.Reader:
		return r // never blocks
	}
	return &contextReader{ctx: ctx, r: r}
}

func (c *contextReader) Read(p []byte) (int, error) {
	if len(c.rest) > 0 {
		n := copy(p, c.rest)
		c.rest = c.rest[n:]
		return n, nil
	}
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.pending == nil {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
		if cap(c.buf) < len(p) {
			c.buf = make([]byte, len(p))
		}
		buf, ch := c.buf[:len(p)], make(chan readResult, 1)
		c.pending = ch
		go func() {
			n, err := c.r.Read(buf)
			ch <- readResult{n, err}
		}()
	}
	select {
	case res := <-c.pending:
		c.pending = nil
		n := copy(p, c.buf[:res.n])
		c.rest = c.buf[n:res.n]
		c.err = res.err
		if len(c.rest) > 0 {
			return n, nil
		}
		return n, res.err
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
	}
}

// nothingRead says why a run has no account to audit or collect: the
// inputs that failed (logged above), or an input that holds no account.
func nothingRead(verb string, in *InputOptions, snap *model.Snapshot) error {
	if n := len(snap.Errors); n > 0 {
		return fmt.Errorf("nothing could be %s: %s failed (listed above)", verb, plural(n, "input", ""))
	}
	if in.SnapshotPath != "" {
		return fmt.Errorf("nothing could be %s: snapshot %s holds no accounts", verb, stdinName(in.SnapshotPath))
	}
	return fmt.Errorf("nothing could be %s: the input holds no accounts", verb)
}

// stdinName names an input path in messages: "-" is standard input.
func stdinName(path string) string {
	if path == "-" {
		return "(standard input)"
	}
	return path
}
