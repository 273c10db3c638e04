package cli

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPostgres creates a database of the test's own on the PostgreSQL
// server that ROOTWATCH_TEST_POSTGRES names (an admin URL, as
// scripts/test.sh sets it), else on the local socket as the current user,
// and drops it at the end. It returns the database's URL. The test is
// skipped, saying why, only when the variable is unset and no local server
// answers; a server the variable names that does not answer fails it.
func testPostgres(t *testing.T) string {
	t.Helper()
	admin, fromEnv := os.LookupEnv("ROOTWATCH_TEST_POSTGRES")
	fromEnv = fromEnv && admin != ""
	if !fromEnv {
		name := "postgres"
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		admin = "postgres://" + name + "@/postgres?host=/var/run/postgresql"
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("PostgreSQL %s: %v", admin, err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if fromEnv {
			t.Fatalf("ROOTWATCH_TEST_POSTGRES=%s does not answer: %v", admin, err)
		}
		t.Skipf("PostgreSQL CLI tests skipped: ROOTWATCH_TEST_POSTGRES is not set and no server answers at %s (%v); scripts/test.sh starts one", admin, err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "rootwatch_cli_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// The history commands read a PostgreSQL store written by 'audit --store'
// exactly as they read a SQLite one: the same literal outputs.
func TestHistoryPostgres(t *testing.T) {
	url := testPostgres(t)
	writeHistoryRuns(t, url)
	t.Run("list", func(t *testing.T) { checkHistoryList(t, url) })
	t.Run("diff", func(t *testing.T) { checkHistoryDiff(t, url) })
	t.Run("diff sarif", func(t *testing.T) { checkHistoryDiffSARIF(t, url) })
	t.Run("account", func(t *testing.T) { checkHistoryAccount(t, url) })
	t.Run("account csv", func(t *testing.T) { checkHistoryAccountCSV(t, url) })
	t.Run("output", func(t *testing.T) { checkHistoryOutput(t, url) })
	t.Run("usage errors", func(t *testing.T) { checkHistoryUsageErrors(t, url) })
	// Last: it adds a run.
	t.Run("accounts added and gone", func(t *testing.T) { checkHistoryDiffAccountsAddedAndGone(t, url) })
}

// An empty PostgreSQL store holds no runs (exit 2, naming it); one that
// cannot be reached is exit 4, naming it, and leaves --output alone.
func TestHistoryPostgresEmptyAndUnreachable(t *testing.T) {
	url := testPostgres(t)
	if r := run(t, "history", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+" holds no runs (keep audits with 'rootwatch audit --store')") {
		t.Errorf("empty: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "diff", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+" holds 0 runs: a diff needs two") {
		t.Errorf("empty diff: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "account", "278368863034", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+` holds no run with account "278368863034"`) {
		t.Errorf("empty account: exit %d, stderr %s", r.code, r.err)
	}
	dir := t.TempDir()
	nowhere := "postgres://nobody@/none?host=" + filepath.Join(dir, "no-socket-here") + "&connect_timeout=2"
	out := filepath.Join(dir, "runs.txt")
	if err := os.WriteFile(out, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "history", "--store", nowhere, "-o", out); r.code != 4 || !strings.Contains(r.err, "postgres://nobody@/none") {
		t.Errorf("unreachable: exit %d, stderr %s", r.code, r.err)
	}
	if got := readFile(t, out); got != "previous" {
		t.Errorf("the output file became %q", got)
	}
}
