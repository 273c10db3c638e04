package history

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The helper process: when the test binary is run again with these set, it
// opens the store, waits for the go file to appear (so that both
// processes open a new store at the same moment) and writes one week's
// run. It is a real process, with its own connections and locks.
const (
	envHelperURL  = "ROOTWATCH_HISTORY_HELPER_URL"
	envHelperWeek = "ROOTWATCH_HISTORY_HELPER_WEEK"
	envHelperGo   = "ROOTWATCH_HISTORY_HELPER_GO"
)

func TestHelperProcessWriteRun(t *testing.T) {
	url := os.Getenv(envHelperURL)
	if url == "" {
		return // not a helper: nothing to do
	}
	week, err := strconv.Atoi(os.Getenv(envHelperWeek))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: bad week:", err)
		os.Exit(2)
	}
	for {
		if _, err := os.Stat(os.Getenv(envHelperGo)); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper: open:", err)
		os.Exit(1)
	}
	defer s.Close()
	if _, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, ToolVersion: "helper", Accounts: manyRecords(300, week1.Add(time.Duration(week)*7*24*time.Hour))}); err != nil {
		fmt.Fprintln(os.Stderr, "helper: write:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestStoreTwoProcessesCreateOneStore starts two processes that open the
// same new store at once (both migrate it) and write a run each: both
// succeed, and the store holds both runs, at the latest schema version.
func TestStoreTwoProcessesCreateOneStore(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for round := range 4 {
				url := b.url(t)
				goFile := filepath.Join(t.TempDir(), "go")
				var procs []*exec.Cmd
				var outs []*strings.Builder
				for w := range 2 {
					cmd := exec.Command(exe, "-test.run=^TestHelperProcessWriteRun$")
					cmd.Env = append(os.Environ(), envHelperURL+"="+url, envHelperWeek+"="+strconv.Itoa(w), envHelperGo+"="+goFile)
					out := &strings.Builder{}
					cmd.Stdout, cmd.Stderr = out, out
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					procs, outs = append(procs, cmd), append(outs, out)
				}
				time.Sleep(100 * time.Millisecond) // both processes up, waiting
				if err := os.WriteFile(goFile, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				for i, cmd := range procs {
					if err := cmd.Wait(); err != nil {
						t.Errorf("round %d, process %d: %v\n%s", round, i, err, outs[i])
					}
				}
				s := openT(t, url)
				runs, err := s.Runs(context.Background())
				if err != nil || len(runs) != 2 {
					t.Errorf("round %d: runs = %+v, %v; want 2", round, runs, err)
				}
				if o, f, e := count(t, s); o != 600 || f != 1200 || e != 300 {
					t.Errorf("round %d: kept %d observations, %d findings, %d events; want 600, 1200, 300 (the weeks share event IDs)", round, o, f, e)
				}
				ss := s.(*sqlStore)
				var versions, top int64
				if err := ss.db.QueryRow(`SELECT count(*), max(version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&versions, &top); err != nil {
					t.Fatal(err)
				}
				if want := latestVersion(url); versions != want || top != want {
					t.Errorf("round %d: %d migrations recorded, up to version %d; want %d, up to %d", round, versions, top, want, want)
				}
				s.Close()
			}
		})
	}
}

func TestSQLiteMigrationLease(t *testing.T) {
	ctx := context.Background()
	url := "sqlite:" + filepath.Join(t.TempDir(), "h.db")
	s := openT(t, url)
	db := s.(*sqlStore).db
	// A process that crashed while migrating left its lease, lapsed.
	if _, err := db.Exec(`INSERT INTO rootwatch_migration_lock (id, owner, expires_us) VALUES (1, 'pid 1/dead', 1)`); err != nil {
		t.Fatal(err)
	}
	a, err := newSQLiteLocker()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Lock(ctx, db); err != nil {
		t.Fatalf("a lapsed lease was not taken over: %v", err)
	}
	// Held: another waits, then gives up naming the holder.
	b, err := newSQLiteLocker()
	if err != nil {
		t.Fatal(err)
	}
	b.wait = 200 * time.Millisecond
	if err := b.Lock(ctx, db); err == nil || !strings.Contains(err.Error(), a.owner) {
		t.Errorf("second Lock while held: %v, want an error naming %s", err, a.owner)
	}
	// b's Unlock leaves a's lease alone.
	if err := b.Unlock(ctx, db); err != nil {
		t.Fatal(err)
	}
	var owner string
	if err := db.QueryRow(`SELECT owner FROM rootwatch_migration_lock`).Scan(&owner); err != nil || owner != a.owner {
		t.Errorf("lease after another's Unlock: %q, %v; want %s", owner, err, a.owner)
	}
	if err := a.Unlock(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(ctx, db); err != nil {
		t.Errorf("Lock after the holder's Unlock: %v", err)
	}
	if err := b.Unlock(ctx, db); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM rootwatch_migration_lock`).Scan(&n); err != nil || n != 0 {
		t.Errorf("leases left: %d, %v", n, err)
	}
}

// TestStoreOpensWhileAnotherWrites: an up-to-date store opens and reads
// while another connection holds its write lock (an audit writing a
// large run): the schema version is read without taking a lock.
func TestStoreOpensWhileAnotherWrites(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: Records(sampleRecords(week1)...)}); err != nil {
			t.Fatal(err)
		}
		ss := s.(*sqlStore)
		tx, err := ss.db.BeginTx(context.Background(), nil) // SQLite: BEGIN IMMEDIATE, the write lock
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if _, err := tx.Exec(ss.q(`UPDATE runs SET tool_version = ? WHERE id > 0`), "writing"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		reader, err := Open(ctx, url)
		if err != nil {
			t.Fatalf("Open while another writes: %v", err)
		}
		defer reader.Close()
		if runs, err := reader.Runs(ctx); err != nil || len(runs) != 1 || runs[0].ToolVersion != "" {
			t.Errorf("runs read while another writes = %+v, %v; want the committed run", runs, err)
		}
	})
}
