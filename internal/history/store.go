package history

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// EnvStore names the environment variable that gives the store's URL when
// --store does not.
const EnvStore = "ROOTWATCH_STORE"

// ErrNotFound is returned when a run asked for by ID is not in the store.
var ErrNotFound = errors.New("not in the store")

// ErrBadURL is returned for a store URL of no known form (a usage error,
// not a store that failed).
var ErrBadURL = errors.New("not a store URL")

// ErrNewerSchema is returned when the store was migrated by a newer
// rootwatch than this one: it is never downgraded.
var ErrNewerSchema = errors.New("written by a newer rootwatch")

// Store keeps audit runs: SQLite (the default) or PostgreSQL, one interface
// and one behaviour.
type Store interface {
	// WriteRun writes a run in one transaction: the run, its accounts'
	// observations, its findings and the CloudTrail root events read. A
	// run is identified by the set of (account, report generation time)
	// it holds: writing the same reports again writes nothing and returns
	// the run already there (Run.Existing). An observation is kept once
	// per (account, as_of) and an event once per (account, event ID), so
	// overlapping runs do not count them twice. When the context is
	// cancelled or in.Accounts yields an error, nothing is kept.
	WriteRun(ctx context.Context, in RunInput) (Run, error)
	// Runs lists the runs, oldest as_of first.
	Runs(ctx context.Context) ([]Run, error)
	// Run returns one run; ErrNotFound when there is none of that ID.
	Run(ctx context.Context, id int64) (Run, error)
	// Findings returns a run's findings, ordered by finding ID.
	Findings(ctx context.Context, runID int64) ([]Finding, error)
	// EachFinding streams the findings the filter selects, ordered by run
	// and finding ID, so two runs can be diffed by a merge in bounded
	// memory and one account's findings followed run after run.
	EachFinding(ctx context.Context, f FindingFilter, fn func(Finding) error) error
	// Observations streams the observations the filter selects, ordered
	// by as_of then account, one at a time whatever the store's size. An
	// error returned by fn stops the stream and is returned.
	Observations(ctx context.Context, f ObservationFilter, fn func(Observation) error) error
	// Events streams the CloudTrail root events kept, ordered by time.
	Events(ctx context.Context, f EventFilter, fn func(Event) error) error
	// WriteFixes appends the entries of a 'rootwatch fix --apply' run
	// log, in one transaction: all or none. An entry without run ID,
	// time, account or step, of an unknown result, or whose params,
	// output or undo are not JSON is refused, naming it.
	WriteFixes(ctx context.Context, entries []FixEntry) error
	// Fixes streams the fix entries the filter selects, ordered by time,
	// then in the order they were written.
	Fixes(ctx context.Context, f FixFilter, fn func(FixEntry) error) error
	// Close releases the store.
	Close() error
	// String names the store (its URL without a password), for messages.
	String() string
}

// Run is one audit written to the store.
type Run struct {
	ID int64 `json:"id"`
	// AsOf is the latest generation time of the run's credential reports,
	// FirstAsOf the earliest: the facts are true as of then, whenever the
	// audit ran.
	AsOf      time.Time `json:"as_of"`
	FirstAsOf time.Time `json:"first_as_of"`
	// WrittenAt is when the run was written (the audit time).
	WrittenAt   time.Time `json:"written_at"`
	ToolVersion string    `json:"tool_version"`
	Accounts    int       `json:"accounts"`
	Findings    int       `json:"findings"`
	Events      int       `json:"events"`
	// Existing says that WriteRun found the run already written (the same
	// reports) and wrote nothing.
	Existing bool `json:"-"`
}

// RunInput is what WriteRun writes.
type RunInput struct {
	WrittenAt   time.Time
	ToolVersion string
	// Accounts yields each account of the run once; it is read once,
	// inside the write's transaction, so a whole fleet's findings need
	// not be in memory. An error it yields aborts the write.
	Accounts iter.Seq2[AccountRecord, error]
}

// AccountRecord is one account of a run: its observation (AsOf is its
// report's generation time; RunID is set by the store), its findings and
// the CloudTrail root events the audit read for it.
type AccountRecord struct {
	Observation Observation
	Findings    []Finding
	Events      []model.RootEvent
}

// Records yields the given records, for callers that hold them all.
func Records(recs ...AccountRecord) iter.Seq2[AccountRecord, error] {
	return func(yield func(AccountRecord, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Finding is what the store keeps of one finding: enough to diff runs by
// stable ID and to show what changed.
type Finding struct {
	RunID    int64  `json:"run_id"`
	ID       string `json:"id"`
	Check    string `json:"check"`
	Status   string `json:"status"`
	Severity string `json:"severity"`
	Account  string `json:"account"`
	Org      string `json:"org,omitempty"`
	Resource string `json:"resource,omitempty"`
	Message  string `json:"message"`
}

// Event is one CloudTrail root event kept in the store.
type Event struct {
	Account string `json:"account"`
	// RunID is the run that first wrote the event.
	RunID int64 `json:"run_id"`
	model.RootEvent
}

// FindingFilter selects findings; zero fields select all.
type FindingFilter struct {
	RunID   int64
	Account string
}

// ObservationFilter selects observations; zero fields select all. Since
// is inclusive, Until exclusive, both on as_of.
type ObservationFilter struct {
	Since   time.Time
	Until   time.Time
	Org     string
	Account string
	// RunID selects the observations of the run's accounts (including
	// those an earlier run wrote first, with the same reports).
	RunID int64
}

// EventFilter selects events; zero fields select all. Since is inclusive,
// Until exclusive, on the event time.
type EventFilter struct {
	Account string
	Since   time.Time
	Until   time.Time
}

// Open opens the store at url and migrates its schema: "sqlite:PATH" (or a
// path with no scheme), "postgres://..." or "postgresql://...". A URL
// that cannot be opened or migrated is an error naming it; so is a store
// whose schema is newer than this rootwatch knows (ErrNewerSchema).
func Open(ctx context.Context, url string) (Store, error) {
	kind, target, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	switch kind {
	case "postgres":
		return openPostgres(ctx, target)
	default:
		return openSQLite(ctx, target)
	}
}

// parseURL tells the backend of a store URL and what to open.
func parseURL(url string) (kind, target string, err error) {
	switch {
	case url == "":
		return "", "", fmt.Errorf("store: empty URL: %w (give sqlite:PATH, postgres://... or a file path)", ErrBadURL)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "postgres", url, nil
	case strings.HasPrefix(url, "sqlite://"):
		return "sqlite", strings.TrimPrefix(url, "sqlite://"), nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return "", "", fmt.Errorf("store %s: no file path after the sqlite: scheme: %w (sqlite:PATH)", url, ErrBadURL)
		}
		return "sqlite", path, nil
	}
	if i := strings.Index(url, "://"); i > 0 {
		return "", "", fmt.Errorf("store %s: unknown scheme %q: %w (want sqlite:PATH, postgres://... or a file path)", url, url[:i], ErrBadURL)
	}
	return "sqlite", url, nil
}

// DefaultURL is the store used when --store gives no URL: $ROOTWATCH_STORE
// when set, else sqlite:$XDG_DATA_HOME/rootwatch/history.db, with
// XDG_DATA_HOME defaulting to ~/.local/share (on every system: a data
// file, not a configuration). getenv reads the environment.
func DefaultURL(getenv func(string) string) (string, error) {
	if u := getenv(EnvStore); u != "" {
		return u, nil
	}
	dir := getenv("XDG_DATA_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("default store: no home directory (set %s or XDG_DATA_HOME): %w", EnvStore, err)
			}
			home = h
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return "sqlite:" + filepath.Join(dir, "rootwatch", "history.db"), nil
}
