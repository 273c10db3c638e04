package history

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
)

func TestStoreKeepsRootUnread(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		recs := sampleRecords(week1)
		// 222's root facts could not be read: nothing but where it sat.
		recs[1].Observation = Observation{Account: "222222222222", Name: "dev", Org: "o-a", OUPath: "Root/Dev", AsOf: week1.Add(time.Hour), RootUnread: true}
		run, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: Records(recs...)})
		if err != nil {
			t.Fatal(err)
		}
		obs := observations(t, s, ObservationFilter{})
		if len(obs) != 2 {
			t.Fatalf("observations = %d, want 2", len(obs))
		}
		want := Observation{RunID: run.ID, Account: "222222222222", Name: "dev", Org: "o-a", OUPath: "Root/Dev", AsOf: time.Date(2020, 9, 13, 9, 0, 0, 0, time.UTC), RootUnread: true}
		if !reflect.DeepEqual(obs[1], want) {
			t.Errorf("unread observation\n got %+v\nwant %+v", obs[1], want)
		}
		if obs[0].RootUnread {
			t.Errorf("111's observation came back unread: %+v", obs[0])
		}
	})
}

// rawDB opens a store's database without migrating it.
func rawDB(t *testing.T, url string) (*sql.DB, goose.Dialect, fs.FS) {
	t.Helper()
	driver, dsn, dialect, dir := "pgx", url, goose.DialectPostgres, "migrations/postgres"
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		driver, dsn, dialect, dir = "sqlite", path, goose.DialectSQLite3, "migrations/sqlite"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { db.Close() })
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		t.Fatal(err)
	}
	return db, dialect, sub
}

func TestStoreMigratesAVersion1Store(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, dialect, sub := rawDB(t, url)
		p, err := goose.NewProvider(dialect, db, sub, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.UpTo(ctx, 1); err != nil {
			t.Fatalf("migrate to version 1: %v", err)
		}
		// A run as rootwatch wrote it at version 1 (no root_unread).
		s := &sqlStore{db: db, name: url, dialect: dialect}
		var runID int64
		if err := db.QueryRowContext(ctx, `INSERT INTO runs (identity, as_of_us, first_as_of_us, written_at_us, tool_version, accounts, findings, events)
			VALUES ('v1:abc', 1600000000000000, 1600000000000000, 1767605400000000, 'v0.9', 1, 0, 0) RETURNING id`).Scan(&runID); err != nil {
			t.Fatalf("insert a version 1 run: %v", err)
		}
		if _, err := db.ExecContext(ctx, s.q(`INSERT INTO run_accounts (run_id, account, as_of_us) VALUES (?, '111111111111', 1600000000000000)`), runID); err != nil {
			t.Fatalf("insert a version 1 run's account: %v", err)
		}
		if _, err := db.ExecContext(ctx, s.q(`INSERT INTO observations (account, as_of_us, run_id, name, org, ou_path, password_last_used_us, key1_active, key2_active, mfa, assets)
			VALUES ('111111111111', 1600000000000000, ?, 'prod', 'o-a', 'Root/Prod', 1599900000000000, ?, ?, ?, 12)`), runID, true, false, true); err != nil {
			t.Fatalf("insert a version 1 observation: %v", err)
		}
		var cols int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id = 2`).Scan(&cols); err != nil || cols != 0 {
			t.Fatalf("version 2 applied before Open: %d, %v", cols, err)
		}

		migrated := openT(t, url)
		var v int64
		if err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil || v != latestVersion(url) {
			t.Errorf("schema version after Open = %d, %v; want %d", v, err, latestVersion(url))
		}
		obs := observations(t, migrated, ObservationFilter{})
		want := []Observation{{RunID: runID, Account: "111111111111", Name: "prod", Org: "o-a", OUPath: "Root/Prod", AsOf: time.Date(2020, 9, 13, 12, 26, 40, 0, time.UTC),
			PasswordLastUsed: time.Date(2020, 9, 12, 8, 40, 0, 0, time.UTC), Keys: [2]KeyFacts{{Active: true}, {}}, MFA: true, Assets: ptr(12)}}
		if !reflect.DeepEqual(obs, want) {
			t.Errorf("observations after the migration\n got %+v\nwant %+v", obs, want)
		}
		runs, err := migrated.Runs(ctx)
		if err != nil || len(runs) != 1 || runs[0].ToolVersion != "v0.9" {
			t.Errorf("runs after the migration = %+v, %v", runs, err)
		}
		// The migrated store takes new runs with the new column.
		recs := sampleRecords(week2)
		recs[1].Observation.RootUnread = true
		if _, err := migrated.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: Records(recs...)}); err != nil {
			t.Fatal(err)
		}
		if obs := observations(t, migrated, ObservationFilter{Account: "222222222222"}); len(obs) != 1 || !obs[0].RootUnread {
			t.Errorf("new unread observation = %+v", obs)
		}
	})
}

// latestVersion is the schema version this rootwatch migrates a store to,
// the same in both backends (PostgreSQL's 00003 changes nothing).
func latestVersion(string) int64 { return 4 }

// TestSQLiteReadsObservationsInTableOrder: the study's read walks the
// clustered table, with no sort and no lookup per row.
func TestSQLiteReadsObservationsInTableOrder(t *testing.T) {
	s := openT(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	ss := s.(*sqlStore)
	rows, err := ss.db.Query(`EXPLAIN QUERY PLAN ` + observationsQuery + ` ORDER BY o.as_of_us, o.account`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan, "; "); got != "SCAN o" {
		t.Errorf("plan = %q, want %q", got, "SCAN o")
	}
}
