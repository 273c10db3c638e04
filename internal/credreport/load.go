package credreport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/rootwatch/rootwatch/internal/fswalk"
	"github.com/rootwatch/rootwatch/internal/model"
)

// LoadOptions say how to read a set of credential report inputs.
type LoadOptions struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
	// ReportTime is the generation time to assume for inputs that carry
	// none (bare CSV); zero means the audit time.
	ReportTime time.Time
	// AuditTime is now; the fallback generation time.
	AuditTime time.Time
	// Workers bounds parallel reads; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is told the number of inputs once they are
	// listed, then called once per input read (from several goroutines).
	Progress interface {
		Start(total int)
		Add(n int)
	}
}

// Loaded is the outcome of reading inputs: the accounts that could be read
// and an error for each input that could not.
type Loaded struct {
	Accounts []model.Account
	Errors   []model.SourceError
	// Warnings name what was read and set aside on purpose: an older
	// report of an account beside a newer one (a folder of daily
	// reports). They do not make the run partial.
	Warnings []model.SourceError
}

// Load reads every credential report under paths (files, directories walked
// recursively, "-" for standard input), one account each. A bad input is
// recorded and skipped; the others are still read.
func Load(ctx context.Context, paths []string, opts LoadOptions) (*Loaded, error) {
	var inputs []string
	var out Loaded
	seen := map[string]bool{}
	for _, p := range paths {
		if p == "" {
			out.Errors = append(out.Errors, model.SourceError{Source: p, Message: "an empty path was given as a credential report"})
			continue
		}
		if p == "-" {
			inputs = append(inputs, p)
			continue
		}
		files, errs := expand(p)
		out.Errors = append(out.Errors, errs...)
		for _, f := range files {
			// A file named twice (a path and its directory, say) is one input.
			if c := filepath.Clean(f); !seen[c] {
				seen[c] = true
				inputs = append(inputs, f)
			}
		}
	}

	type result struct {
		rep *Report
		err error
	}
	results := make([]result, len(inputs))
	if opts.Progress != nil {
		opts.Progress.Start(len(inputs))
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	var stdinOnce sync.Once
	for i, in := range inputs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			var data []byte
			var err error
			if in == "-" {
				err = fmt.Errorf("standard input read twice")
				stdinOnce.Do(func() { data, err = readStdin(opts.Stdin) })
			} else {
				data, err = readFile(in)
			}
			if err != nil {
				results[i].err = &Error{Source: in, Msg: fmt.Sprintf("read: %v", fswalk.Unwrap(err))}
				if opts.Progress != nil {
					opts.Progress.Add(1)
				}
				return nil
			}
			results[i].rep, results[i].err = Parse(in, data)
			if opts.Progress != nil {
				opts.Progress.Add(1)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("read credential reports: %w", err)
	}

	// One report per account: keep the newest and name the others.
	type kept struct {
		acct model.Account
		src  string
	}
	byAccount := make(map[string]*kept)
	for i, r := range results {
		if r.err != nil {
			out.Errors = append(out.Errors, model.SourceError{Source: inputs[i], Message: r.err.Error()})
			continue
		}
		acct := accountFrom(inputs[i], r.rep, opts)
		if err := consistentTime(inputs[i], acct, opts.AuditTime); err != nil {
			out.Errors = append(out.Errors, model.SourceError{Account: acct.ID, Source: inputs[i], Message: err.Error()})
			continue
		}
		prev, dup := byAccount[acct.ID]
		if !dup {
			byAccount[acct.ID] = &kept{acct: acct, src: inputs[i]}
			continue
		}
		cur := &kept{acct: acct, src: inputs[i]}
		older, newer, why := prev, cur, "generated later"
		switch known := func(k *kept) bool { return k.acct.CredentialReport.GeneratedAtSource != "audit-time" }; {
		case known(prev) && !known(cur):
			older, newer, why = cur, prev, "chosen: it carries its generation time"
		case !known(prev) && known(cur):
			why = "chosen: it carries its generation time"
		case !known(prev) && !known(cur):
			older, newer, why = cur, prev, "chosen: neither carries a generation time (bare CSV) and it came first"
		case acct.CredentialReport.GeneratedAt.Before(prev.acct.CredentialReport.GeneratedAt):
			older, newer = cur, prev
		case acct.CredentialReport.GeneratedAt.Equal(prev.acct.CredentialReport.GeneratedAt):
			older, newer, why = cur, prev, "chosen: both were generated at the same time and it came first"
		}
		byAccount[acct.ID] = newer
		out.Warnings = append(out.Warnings, model.SourceError{
			Account: acct.ID,
			Source:  older.src,
			Message: fmt.Sprintf("%s: not audited: another credential report of account %s, in %s, was %s", older.src, acct.ID, newer.src, why),
		})
	}
	for _, k := range byAccount {
		out.Accounts = append(out.Accounts, k.acct)
	}
	sort.Slice(out.Accounts, func(i, j int) bool { return out.Accounts[i].ID < out.Accounts[j].ID })
	return &out, nil
}

// MaxReportSize bounds what is read of one input. IAM allows 5,000 users
// in an account, so a real report is at most a few MiB; a larger input is
// something else given by mistake, and is refused rather than loaded.
const MaxReportSize = 64 << 20

func readStdin(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, fmt.Errorf("no standard input")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxReportSize+1))
	if err == nil && len(data) > MaxReportSize {
		return nil, fmt.Errorf("larger than %d MiB: not a credential report", MaxReportSize>>20)
	}
	return data, err
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return readStdin(f)
	}
	if fi.Size() > MaxReportSize {
		return nil, fmt.Errorf("%.1f MiB, larger than any credential report (%d MiB at most)", float64(fi.Size())/(1<<20), MaxReportSize>>20)
	}
	// Read into a buffer of the file's size (and a read's slack, for a file
	// still growing): io.ReadAll would grow and copy it a dozen times, and
	// the garbage costs more than the reading over 10,000 reports.
	buf := bytes.NewBuffer(make([]byte, 0, fi.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxReportSize+1)); err != nil {
		return nil, err
	}
	if buf.Len() > MaxReportSize {
		return nil, fmt.Errorf("larger than %d MiB: not a credential report", MaxReportSize>>20)
	}
	return buf.Bytes(), nil
}

// expand lists the files of one path: itself, or a directory's regular
// files, recursively, in lexical order, skipping hidden entries. An entry
// that cannot be read is reported and the walk goes on.
func expand(p string) ([]string, []model.SourceError) {
	var files []string
	var errs []model.SourceError
	_, _ = fswalk.Walk(context.Background(), p, nil, func(e fswalk.Entry) bool {
		if e.Err != nil {
			errs = append(errs, model.SourceError{Source: e.Path, Message: fmt.Sprintf("%s: %v", e.Path, e.Err)})
		} else {
			files = append(files, e.Path)
		}
		return true
	})
	if len(files) == 0 && len(errs) == 0 {
		errs = append(errs, model.SourceError{Source: p, Message: p + ": directory holds no files"})
	}
	return files, errs
}

// consistentTime refuses a report whose evidence time is earlier than the
// times it holds: windows measured from it would run backwards. It catches
// a wrong --report-time, and a clock set in the past.
//
// A generation time after the audit time (a --report-time or GeneratedTime
// in the future) is refused too: every window would reach into the future
// and pass on nothing.
func consistentTime(source string, a model.Account, now time.Time) error {
	cr := a.CredentialReport
	const skew = time.Hour // clocks differ a little
	if !now.IsZero() && cr.GeneratedAt.After(now.Add(skew)) {
		what := "the report says it was generated at"
		if cr.GeneratedAtSource == "flag" {
			what = "--report-time"
		}
		return fmt.Errorf("%s: %s %s, after the audit time %s: give a time in the past (is this machine's clock right?)",
			source, what, cr.GeneratedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	latest, col := a.Root.LatestTime()
	if !latest.After(cr.GeneratedAt.Add(15 * time.Minute)) { // key use is recorded to 15 minutes
		return nil
	}
	switch cr.GeneratedAtSource {
	case "flag":
		return fmt.Errorf("%s: --report-time %s is before the report's %s of root (%s): give the time the report was generated",
			source, cr.GeneratedAt.Format(time.RFC3339), col, latest.Format(time.RFC3339))
	case "audit-time":
		return fmt.Errorf("%s: the report's %s of root (%s) is after the audit time %s: is this machine's clock right?",
			source, col, latest.Format(time.RFC3339), cr.GeneratedAt.Format(time.RFC3339))
	}
	return fmt.Errorf("%s: the report says it was generated at %s, before its %s of root (%s)",
		source, cr.GeneratedAt.Format(time.RFC3339), col, latest.Format(time.RFC3339))
}

// CheckTime refuses a report whose generation time is earlier than the
// times it holds, or after now, as loading report files does: live
// collection checks IAM's reports so too.
func CheckTime(source string, a model.Account, now time.Time) error {
	return consistentTime(source, a, now)
}

// accountFrom turns a parsed report into the snapshot's account.
func accountFrom(source string, r *Report, opts LoadOptions) model.Account {
	info := &model.CredentialReportInfo{Source: source, GeneratedAt: r.GeneratedAt, GeneratedAtSource: "report"}
	switch {
	case !r.GeneratedAt.IsZero():
	case !opts.ReportTime.IsZero():
		info.GeneratedAt, info.GeneratedAtSource = opts.ReportTime.UTC(), "flag"
	default:
		info.GeneratedAt, info.GeneratedAtSource = opts.AuditTime.UTC(), "audit-time"
	}
	root := r.Root
	return model.Account{
		ID:               r.Account,
		Partition:        r.Partition,
		CreatedAt:        root.CreatedAt,
		CredentialReport: info,
		Root:             &root,
		IAMUsers:         r.Users,
	}
}
