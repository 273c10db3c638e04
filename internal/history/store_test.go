package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history/historytest"
	"github.com/rootwatch/rootwatch/internal/model"
)

// backend opens a fresh, empty store of one kind; url is what Open takes.
type backend struct {
	name string
	url  func(t testing.TB) string
}

// backends are the stores every test runs against: SQLite always,
// PostgreSQL when scripts/test.sh started one (ROOTWATCH_TEST_POSTGRES) or
// one answers on the local socket.
func backends() []backend {
	return []backend{
		{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "history.db") }},
		{"postgres", historytest.Postgres},
	}
}

func forEachBackend(t *testing.T, test func(t *testing.T, url string)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			test(t, b.url(t))
		})
	}
}

func openT(t *testing.T, url string) Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ptr[T any](v T) *T { return &v }

var (
	week1 = time.Date(2020, 9, 13, 8, 0, 0, 0, time.UTC)
	week2 = time.Date(2020, 9, 20, 8, 0, 0, 0, time.UTC)
	audit = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)
)

// two accounts of organization o-a, as of week 1 (the second's report an
// hour later).
func sampleRecords(asOf time.Time) []AccountRecord {
	return []AccountRecord{
		{
			Observation: Observation{Account: "111111111111", Name: "prod", Org: "o-a", OUPath: "Root/Prod", AsOf: asOf,
				CreatedAt:        time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC),
				PasswordLastUsed: time.Date(2020, 9, 12, 22, 15, 0, 0, time.UTC),
				Keys: [2]KeyFacts{{Active: true, LastRotated: time.Date(2018, 5, 1, 0, 0, 0, 0, time.UTC), LastUsed: time.Date(2020, 9, 10, 11, 0, 0, 0, time.UTC)},
					{}},
				MFA: false, Assets: ptr(312),
				Exact: &ExactCounts{SignIns: 3, SignInsWithoutMFA: 2, KeySignedCalls: 17}},
			Findings: []Finding{
				{ID: "f-key-111", Check: "root-access-key-present", Status: "fail", Severity: "critical", Account: "111111111111", Org: "o-a", Resource: "arn:aws:iam::111111111111:root", Message: "1 active root access key"},
				{ID: "f-mfa-111", Check: "root-mfa-enabled", Status: "fail", Severity: "critical", Account: "111111111111", Org: "o-a", Resource: "arn:aws:iam::111111111111:root", Message: "root has no MFA"},
			},
			Events: []model.RootEvent{
				{ID: "ev-1", Time: time.Date(2020, 9, 12, 22, 15, 0, 0, time.UTC), Kind: "console-login", Name: "ConsoleLogin", Success: true, MFA: "no", SourceIP: "198.51.100.7", Region: "us-east-1", Source: "logs/a.json.gz"},
			},
		},
		{
			Observation: Observation{Account: "222222222222", Name: "dev", Org: "o-a", OUPath: "Root/Dev", AsOf: asOf.Add(time.Hour), MFA: true},
			Findings: []Finding{
				{ID: "f-key-222", Check: "root-access-key-present", Status: "pass", Severity: "critical", Account: "222222222222", Org: "o-a", Resource: "arn:aws:iam::222222222222:root", Message: "no active root access key"},
			},
		},
	}
}

func observations(t *testing.T, s Store, f ObservationFilter) []Observation {
	t.Helper()
	var out []Observation
	if err := s.Observations(context.Background(), f, func(o Observation) error { out = append(out, o); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStoreWritesAndReadsARun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		run, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, ToolVersion: "v1.2.3", Accounts: Records(sampleRecords(week1)...)})
		if err != nil {
			t.Fatal(err)
		}
		want := Run{ID: run.ID, AsOf: time.Date(2020, 9, 13, 9, 0, 0, 0, time.UTC), FirstAsOf: week1, WrittenAt: audit, ToolVersion: "v1.2.3",
			Accounts: 2, Findings: 3, Events: 1}
		if run != want {
			t.Errorf("WriteRun = %+v, want %+v", run, want)
		}
		runs, err := s.Runs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 || runs[0] != want {
			t.Errorf("Runs = %+v, want [%+v]", runs, want)
		}
		got, err := s.Run(ctx, run.ID)
		if err != nil || got != want {
			t.Errorf("Run(%d) = %+v, %v", run.ID, got, err)
		}
		if _, err := s.Run(ctx, run.ID+1000); !errors.Is(err, ErrNotFound) {
			t.Errorf("Run(missing) error = %v, want ErrNotFound", err)
		}

		fs, err := s.Findings(ctx, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range fs {
			ids = append(ids, f.ID+"/"+f.Status)
		}
		if strings.Join(ids, " ") != "f-key-111/fail f-key-222/pass f-mfa-111/fail" {
			t.Errorf("findings = %v", ids)
		}
		wantF := Finding{RunID: run.ID, ID: "f-mfa-111", Check: "root-mfa-enabled", Status: "fail", Severity: "critical", Account: "111111111111", Org: "o-a",
			Resource: "arn:aws:iam::111111111111:root", Message: "root has no MFA"}
		if fs[2] != wantF {
			t.Errorf("finding = %+v, want %+v", fs[2], wantF)
		}

		obs := observations(t, s, ObservationFilter{})
		if len(obs) != 2 {
			t.Fatalf("observations = %d, want 2", len(obs))
		}
		want0 := sampleRecords(week1)[0].Observation
		want0.RunID = run.ID
		if !reflect.DeepEqual(obs[0], want0) {
			t.Errorf("observation\n got %+v\nwant %+v", obs[0], want0)
		}
		want1 := Observation{RunID: run.ID, Account: "222222222222", Name: "dev", Org: "o-a", OUPath: "Root/Dev", AsOf: time.Date(2020, 9, 13, 9, 0, 0, 0, time.UTC), MFA: true}
		if !reflect.DeepEqual(obs[1], want1) {
			t.Errorf("observation\n got %+v\nwant %+v", obs[1], want1)
		}

		var evs []Event
		if err := s.Events(ctx, EventFilter{Account: "111111111111"}, func(e Event) error { evs = append(evs, e); return nil }); err != nil {
			t.Fatal(err)
		}
		wantE := Event{Account: "111111111111", RunID: run.ID, RootEvent: model.RootEvent{ID: "ev-1", Time: time.Date(2020, 9, 12, 22, 15, 0, 0, time.UTC),
			Kind: "console-login", Name: "ConsoleLogin", Success: true, MFA: "no", SourceIP: "198.51.100.7", Region: "us-east-1", Source: "logs/a.json.gz"}}
		if len(evs) != 1 || evs[0] != wantE {
			t.Errorf("events = %+v, want [%+v]", evs, wantE)
		}
	})
}

func TestStoreWritingTheSameReportsTwiceCountsThemOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		first, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, ToolVersion: "v1", Accounts: Records(sampleRecords(week1)...)})
		if err != nil {
			t.Fatal(err)
		}
		// The same reports, in another order, audited a day later.
		recs := sampleRecords(week1)
		again, err := s.WriteRun(ctx, RunInput{WrittenAt: audit.Add(24 * time.Hour), ToolVersion: "v2", Accounts: Records(recs[1], recs[0])})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Existing || again.ID != first.ID || again.WrittenAt != audit || again.Findings != 3 {
			t.Errorf("second write = %+v, want the first run (%d, written %v, 3 findings) marked existing", again, first.ID, audit)
		}
		if runs, err := s.Runs(ctx); err != nil || len(runs) != 1 {
			t.Errorf("runs = %+v, %v; want 1", runs, err)
		}
		if n := len(observations(t, s, ObservationFilter{})); n != 2 {
			t.Errorf("observations = %d, want 2", n)
		}

		// Week 2: account 111 has a new report, 222 the same one as week 1.
		recs = sampleRecords(week2)
		recs[1] = sampleRecords(week1)[1]
		second, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, ToolVersion: "v1", Accounts: Records(recs...)})
		if err != nil {
			t.Fatal(err)
		}
		if second.Existing || second.ID == first.ID || second.AsOf != week2 || second.FirstAsOf != week1.Add(time.Hour) {
			t.Errorf("week 2 run = %+v", second)
		}
		runs, err := s.Runs(ctx)
		if err != nil || len(runs) != 2 || runs[0].ID != first.ID || runs[1].ID != second.ID {
			t.Errorf("runs = %+v, %v; want week 1 then week 2", runs, err)
		}
		// 222's observation is kept once, by the run that wrote it first.
		all := observations(t, s, ObservationFilter{})
		var got []string
		for _, o := range all {
			got = append(got, fmt.Sprintf("%s@%s", o.Account, o.AsOf.Format("01-02T15")))
		}
		if strings.Join(got, " ") != "111111111111@09-13T08 222222222222@09-13T09 111111111111@09-20T08" {
			t.Errorf("observations = %v", got)
		}
		ofSecond := observations(t, s, ObservationFilter{RunID: second.ID})
		if len(ofSecond) != 2 || ofSecond[0].Account != "222222222222" || ofSecond[0].RunID != first.ID || ofSecond[1].RunID != second.ID {
			t.Errorf("run 2's observations = %+v", ofSecond)
		}
		// The same CloudTrail event read again is kept once.
		n := 0
		if err := s.Events(ctx, EventFilter{}, func(Event) error { n++; return nil }); err != nil || n != 1 {
			t.Errorf("events = %d, %v; want 1", n, err)
		}
		// Each run keeps its own findings.
		var perRun []string
		if err := s.EachFinding(ctx, FindingFilter{Account: "111111111111"}, func(f Finding) error {
			label := map[int64]string{first.ID: "week1", second.ID: "week2"}[f.RunID]
			perRun = append(perRun, label+":"+f.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(perRun, " ") != "week1:f-key-111 week1:f-mfa-111 week2:f-key-111 week2:f-mfa-111" {
			t.Errorf("findings of 111 = %v", perRun)
		}
	})
}

func TestStoreKeepsNothingOfAnInterruptedRun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		recs := sampleRecords(week1)
		// Cancelled during the write, after the first account.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cancelling := func(yield func(AccountRecord, error) bool) {
			if !yield(recs[0], nil) {
				return
			}
			cancel()
			yield(recs[1], nil)
		}
		if _, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: cancelling}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled write: error = %v, want context.Canceled", err)
		}
		// An error part-way.
		broken := errors.New("account 222222222222: report unreadable")
		failing := func(yield func(AccountRecord, error) bool) {
			if yield(recs[0], nil) {
				yield(AccountRecord{}, broken)
			}
		}
		if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: failing}); !errors.Is(err, broken) || !strings.Contains(err.Error(), s.String()) {
			t.Errorf("failed write: error = %v, want %v naming the store", err, broken)
		}
		// A bad record after a good one (an account twice).
		if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: Records(recs[0], recs[0])}); err == nil {
			t.Error("an account twice in one run was written")
		}
		ctx = context.Background()
		if runs, err := s.Runs(ctx); err != nil || len(runs) != 0 {
			t.Errorf("runs = %+v, %v; want none", runs, err)
		}
		if obs := observations(t, s, ObservationFilter{}); len(obs) != 0 {
			t.Errorf("observations kept: %+v", obs)
		}
		n := 0
		if err := s.EachFinding(ctx, FindingFilter{}, func(Finding) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("findings kept: %d, %v", n, err)
		}
		if err := s.Events(ctx, EventFilter{}, func(Event) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("events kept: %d, %v", n, err)
		}
		// The store is still usable.
		if run, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: Records(recs...)}); err != nil || run.Accounts != 2 {
			t.Errorf("write after the failures = %+v, %v", run, err)
		}
		if _, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: Records()}); err == nil || !strings.Contains(err.Error(), "no account") {
			t.Errorf("empty run: error = %v", err)
		}
	})
}

func TestStoreObservationFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		for _, w := range []time.Time{week1, week2} {
			recs := sampleRecords(w)
			recs[1].Observation.Org = "o-b"
			if _, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: Records(recs...)}); err != nil {
				t.Fatal(err)
			}
		}
		count := func(f ObservationFilter) int { return len(observations(t, s, f)) }
		for _, c := range []struct {
			name string
			f    ObservationFilter
			want int
		}{
			{"all", ObservationFilter{}, 4},
			{"since week 2 (inclusive)", ObservationFilter{Since: week2}, 2},
			{"until week 2 (exclusive)", ObservationFilter{Until: week2}, 2},
			{"one instant", ObservationFilter{Since: week1, Until: week1.Add(time.Second)}, 1},
			{"org o-b", ObservationFilter{Org: "o-b"}, 2},
			{"org o-b since week 2", ObservationFilter{Org: "o-b", Since: week2}, 1},
			{"account", ObservationFilter{Account: "111111111111"}, 2},
			{"no such org", ObservationFilter{Org: "o-zzz"}, 0},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d observations, want %d", c.name, got, c.want)
			}
		}
		// The callback's error stops the stream and comes back.
		stop := errors.New("enough")
		n := 0
		err := s.Observations(ctx, ObservationFilter{}, func(Observation) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("stopped stream: %d read, error %v", n, err)
		}
	})
}

func TestStoreConcurrentWriters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		// Two stores on one database stand for two processes: their own
		// connections, their own transactions.
		a, b := openT(t, url), openT(t, url)
		const weeks = 6
		var wg sync.WaitGroup
		errs := make(chan error, 2*weeks+2)
		for i := range weeks {
			for _, s := range []Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: Records(sampleRecords(week1.Add(time.Duration(i) * 7 * 24 * time.Hour))...)})
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		// Each week written by both: one run per week, each account-week
		// observed once.
		runs, err := a.Runs(ctx)
		if err != nil || len(runs) != weeks {
			t.Errorf("runs = %d, %v; want %d", len(runs), err, weeks)
		}
		if n := len(observations(t, b, ObservationFilter{})); n != 2*weeks {
			t.Errorf("observations = %d, want %d", n, 2*weeks)
		}
	})
}

func TestStoreRefusesANewerSchema(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		ss := s.(*sqlStore)
		if _, err := ss.db.Exec(ss.q(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`), 99, true); err != nil {
			t.Fatal(err)
		}
		_, err := Open(context.Background(), url)
		if !errors.Is(err, ErrNewerSchema) || !strings.Contains(err.Error(), "written by a newer rootwatch") || !strings.Contains(err.Error(), "schema version 99") ||
			!strings.Contains(err.Error(), s.String()) {
			t.Errorf("Open of a newer store: %v", err)
		}
		// The store was not touched: its version is still 99.
		var v int64
		if err := ss.db.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil || v != 99 {
			t.Errorf("schema version after the refusal = %d, %v", v, err)
		}
	})
}

func TestStoreReopensAMigratedStore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: Records(sampleRecords(week1)...)}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		again := openT(t, url)
		if runs, err := again.Runs(context.Background()); err != nil || len(runs) != 1 {
			t.Errorf("runs after reopening = %+v, %v", runs, err)
		}
	})
}

func TestOpenBadStores(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		url  string
		want string
	}{
		{"", "empty URL"},
		{"sqlite:", "no file path"},
		{"mysql://db/rootwatch", `unknown scheme "mysql"`},
		{"sqlite:" + dir, "is a directory"},
		{"sqlite:" + notDB, "sqlite:" + notDB},
		{"sqlite:" + filepath.Join(file, "sub", "h.db"), "sqlite:" + filepath.Join(file, "sub", "h.db")},
		{"postgres://nobody@/rootwatch?host=" + filepath.Join(dir, "no-socket") + "&connect_timeout=2", "postgres://nobody@/rootwatch"},
	} {
		s, err := Open(context.Background(), c.url)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", c.url)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) = %v, want it to say %q", c.url, err, c.want)
		}
		if bad := errors.Is(err, ErrBadURL); bad != (i < 3) {
			t.Errorf("Open(%q): errors.Is(ErrBadURL) = %v", c.url, bad)
		}
	}
}

func TestOpenPathWithoutScheme(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deep", "er", "h.db")
	s := openT(t, path)
	if s.String() != "sqlite:"+path {
		t.Errorf("store = %s", s)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the file was not created: %v", err)
	}
}

func TestPostgresURLPasswordRedacted(t *testing.T) {
	if got := redact("postgres://u:s3cret@db.example:5432/h?sslmode=require"); got != "postgres://u:xxxxx@db.example:5432/h?sslmode=require" {
		t.Errorf("redact = %s", got)
	}
}

func TestDefaultURL(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ROOTWATCH_STORE": "postgres://h/db", "XDG_DATA_HOME": "/x"}, "postgres://h/db"},
		{map[string]string{"XDG_DATA_HOME": "/data", "HOME": "/home/ann"}, "sqlite:/data/rootwatch/history.db"},
		{map[string]string{"HOME": "/home/ann"}, "sqlite:/home/ann/.local/share/rootwatch/history.db"},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/home/ann"}, "sqlite:/home/ann/.local/share/rootwatch/history.db"},
	} {
		got, err := DefaultURL(env(c.env))
		if err != nil || got != c.want {
			t.Errorf("DefaultURL(%v) = %q, %v; want %q", c.env, got, err, c.want)
		}
	}
}
