// Package historytest gives tests a history store of their own on the
// PostgreSQL server the test command started.
package historytest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"os/user"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// EnvPostgres names the variable holding an admin URL of the PostgreSQL
// server the tests may create databases on; scripts/test.sh sets it.
const EnvPostgres = "ROOTWATCH_TEST_POSTGRES"

// Postgres creates a database of the test's own on the server that
// ROOTWATCH_TEST_POSTGRES names, else on the local socket as the current
// user, drops it when the test ends, and returns its URL. The test is
// skipped, saying why, only when the variable is unset and no local server
// answers; a server the variable names that does not answer fails it.
func Postgres(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvPostgres)
	fromEnv := admin != ""
	if !fromEnv {
		name := "postgres"
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		admin = "postgres://" + name + "@/postgres?host=/var/run/postgresql"
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("%s %s: %v", EnvPostgres, admin, err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		if fromEnv {
			t.Fatalf("%s=%s does not answer: %v", EnvPostgres, admin, err)
		}
		t.Skipf("PostgreSQL tests skipped: %s is not set and no server answers at %s (%v); scripts/test.sh starts one", EnvPostgres, admin, err)
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "rootwatch_test_" + hex.EncodeToString(b)
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
