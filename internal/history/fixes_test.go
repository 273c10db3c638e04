package history

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
)

var fixTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// sampleFixes are two runs: the first applies a topic step in 111 (three
// calls at one time, in order) and fails a metric filter step, whose
// topic call is rolled back; the second, a day later, skips a step of 222.
func sampleFixes() []FixEntry {
	topic := "alarm/111111111111/us-east-1/topic:rootwatch-root-activity"
	filter := "alarm/111111111111/us-east-1/metric-filter:ct/rootwatch-root-usage"
	return []FixEntry{
		{RunID: "r1", Time: fixTime, Account: "111111111111", Region: "us-east-1", Step: topic, Kind: "alarm", Action: "sns:CreateTopic",
			Params: json.RawMessage(`{"Name":"rootwatch-root-activity"}`), Result: FixOK,
			Output: json.RawMessage(`{"TopicArn":"arn:aws:sns:us-east-1:111111111111:rootwatch-root-activity"}`),
			Undo:   json.RawMessage(`[{"action":"sns:DeleteTopic","params":{"TopicArn":"arn:aws:sns:us-east-1:111111111111:rootwatch-root-activity"}}]`)},
		{RunID: "r1", Time: fixTime, Account: "111111111111", Region: "us-east-1", Step: topic, Kind: "alarm", Action: "sns:Subscribe",
			Params: json.RawMessage(`{"Endpoint":"sec@example.com","Protocol":"email"}`), Result: FixOK},
		{RunID: "r1", Time: fixTime, Account: "111111111111", Region: "us-east-1", Step: filter, Kind: "alarm", Action: "logs:PutMetricFilter",
			Params: json.RawMessage(`{"LogGroupName":"ct"}`), Result: FixError, Error: "AccessDeniedException: not authorized"},
		{RunID: "r1", Time: fixTime.Add(time.Second), Account: "111111111111", Region: "us-east-1", Step: filter, Kind: "alarm", Action: "logs:DeleteMetricFilter",
			Params: json.RawMessage(`{"FilterName":"old"}`), Result: FixOK, Rollback: true},
		{RunID: "r2", Time: fixTime.Add(24 * time.Hour), Account: "222222222222", Step: "root-access/222222222222/login-profile", Kind: "root-access",
			Result: FixSkipped, Error: "not applied: step x failed"},
		{RunID: "r2", Time: fixTime.Add(24 * time.Hour), Account: "222222222222", Step: "root-access/222222222222/keys", Kind: "root-access",
			Action: "iam:DeleteAccessKey", Params: json.RawMessage(`{"AccessKeyId":"AKIAEXAMPLE"}`), Result: FixOK, Irreversible: true},
	}
}

func fixes(t *testing.T, s Store, f FixFilter) []FixEntry {
	t.Helper()
	var out []FixEntry
	if err := s.Fixes(context.Background(), f, func(e FixEntry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// steps lists the entries as "run action result" for comparisons.
func steps(es []FixEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.RunID+" "+e.Action+" "+e.Result)
	}
	return out
}

func TestStoreWritesAndReadsFixes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		if got := fixes(t, s, FixFilter{}); len(got) != 0 {
			t.Fatalf("a new store holds fixes: %+v", got)
		}
		all := sampleFixes()
		// The second run written first: reading orders by time.
		if err := s.WriteFixes(ctx, all[4:]); err != nil {
			t.Fatal(err)
		}
		if err := s.WriteFixes(ctx, all[:4]); err != nil {
			t.Fatal(err)
		}
		got := fixes(t, s, FixFilter{})
		if !reflect.DeepEqual(got, sampleFixes()) {
			t.Errorf("fixes read back\n got %+v\nwant %+v", got, sampleFixes())
		}
		for _, c := range []struct {
			name string
			f    FixFilter
			want []string
		}{
			{"account", FixFilter{Account: "222222222222"}, []string{"r2  skipped", "r2 iam:DeleteAccessKey ok"}},
			{"step", FixFilter{Step: "alarm/111111111111/us-east-1/metric-filter:ct/rootwatch-root-usage"},
				[]string{"r1 logs:PutMetricFilter error", "r1 logs:DeleteMetricFilter ok"}},
			{"since inclusive", FixFilter{Since: fixTime.Add(time.Second)}, []string{"r1 logs:DeleteMetricFilter ok", "r2  skipped", "r2 iam:DeleteAccessKey ok"}},
			{"until exclusive", FixFilter{Until: fixTime.Add(time.Second)}, []string{"r1 sns:CreateTopic ok", "r1 sns:Subscribe ok", "r1 logs:PutMetricFilter error"}},
			{"run", FixFilter{RunID: "r2"}, []string{"r2  skipped", "r2 iam:DeleteAccessKey ok"}},
			{"account and since", FixFilter{Account: "111111111111", Since: fixTime.Add(time.Hour)}, nil},
		} {
			if got := steps(fixes(t, s, c.f)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}
		// Reading stops at the first error of fn, returning it.
		n := 0
		stop := errors.New("stop")
		err := s.Fixes(ctx, FixFilter{}, func(FixEntry) error { n++; return stop })
		if n != 1 || !errors.Is(err, stop) {
			t.Errorf("a stopped read: %d entries, %v", n, err)
		}
	})
}

// A batch is all or none: one bad entry keeps the good ones out too, and
// the error names it.
func TestStoreRefusesABadFixEntry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		for _, c := range []struct {
			name string
			bad  func(e *FixEntry)
			want string
		}{
			{"result", func(e *FixEntry) { e.Result = "done" }, `entry 2 (account 111111111111, step alarm/111111111111/us-east-1/topic:rootwatch-root-activity, sns:Subscribe): result "done" is not one of ok, error, skipped, failed`},
			{"params", func(e *FixEntry) { e.Params = json.RawMessage(`{"Name":`) }, "entry 2 (account 111111111111, step alarm/111111111111/us-east-1/topic:rootwatch-root-activity, sns:Subscribe): params are not JSON"},
			{"run", func(e *FixEntry) { e.RunID = "" }, "entry 2 (account 111111111111, step alarm/111111111111/us-east-1/topic:rootwatch-root-activity, sns:Subscribe): no run ID"},
			{"time", func(e *FixEntry) { e.Time = time.Time{} }, "): no time"},
		} {
			es := sampleFixes()
			c.bad(&es[1])
			err := s.WriteFixes(ctx, es)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "write 6 fix calls to "+s.String()) {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if got := fixes(t, s, FixFilter{}); len(got) != 0 {
			t.Errorf("refused batches left %d entries", len(got))
		}
		if err := s.WriteFixes(ctx, nil); err != nil {
			t.Errorf("no entries: %v", err)
		}
	})
}

// A cancelled write keeps nothing.
func TestStoreFixesWriteCancelled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.WriteFixes(ctx, sampleFixes()); err == nil {
			t.Fatal("a cancelled write succeeded")
		}
		if got := fixes(t, s, FixFilter{}); len(got) != 0 {
			t.Errorf("a cancelled write left %d entries", len(got))
		}
	})
}

// A store at version 3 (as the rootwatch before fix calls left it) is
// migrated on Open: its runs kept, fix calls taken.
func TestStoreMigratesAVersion3Store(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, dialect, sub := rawDB(t, url)
		p, err := goose.NewProvider(dialect, db, sub, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 3); err != nil {
			t.Fatalf("migrate to version 3: %v", err)
		}
		old := &sqlStore{db: db, name: url, dialect: dialect}
		run, err := old.WriteRun(ctx, RunInput{WrittenAt: audit, ToolVersion: "v1.0", Accounts: Records(sampleRecords(week1)...)})
		if err != nil {
			t.Fatalf("write a run at version 3: %v", err)
		}
		var tables int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id = 4`).Scan(&tables); err != nil || tables != 0 {
			t.Fatalf("version 4 applied before Open: %d, %v", tables, err)
		}

		s := openT(t, url)
		var v int64
		if err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil || v != 4 {
			t.Errorf("schema version after Open = %d, %v; want 4", v, err)
		}
		runs, err := s.Runs(ctx)
		if err != nil || len(runs) != 1 || runs[0].ID != run.ID || runs[0].ToolVersion != "v1.0" || runs[0].Findings != 3 {
			t.Errorf("runs after the migration = %+v, %v", runs, err)
		}
		if err := s.WriteFixes(ctx, sampleFixes()[:2]); err != nil {
			t.Fatal(err)
		}
		if got := steps(fixes(t, s, FixFilter{})); !reflect.DeepEqual(got, []string{"r1 sns:CreateTopic ok", "r1 sns:Subscribe ok"}) {
			t.Errorf("fixes after the migration: %q", got)
		}
	})
}
