package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBusyTimeoutMS is how long a writer waits for another process's
// write to end before giving up: two audits writing one file take turns.
const sqliteBusyTimeoutMS = 60_000

// openSQLite opens (creating it and its directory if need be) the SQLite
// store at path, in WAL mode so readers never block the writer. Write
// transactions take the write lock when they begin (_txlock=immediate), so
// concurrent writers wait for each other (busy_timeout) rather than fail
// half-way.
func openSQLite(ctx context.Context, path string) (Store, error) {
	name := "sqlite:" + path
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store %s: a file path with ? or # is not supported; rename the file", name)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store %s is a directory; give a file path", name)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store %s: create its directory: %w", name, err)
		}
	}
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_txlock=immediate",
		path, sqliteBusyTimeoutMS)
	// Opening a new file sets WAL mode, and another process may be
	// setting it too or migrating: SQLite then answers SQLITE_BUSY at once
	// rather than wait (that wait could deadlock), so the open is tried
	// again, for as long as a writer would wait.
	deadline := time.Now().Add(sqliteBusyTimeoutMS * time.Millisecond)
	pause := 5 * time.Millisecond
	for {
		s, err := openSQL(ctx, "sqlite", dsn, name, goose.DialectSQLite3)
		if err == nil || !sqliteBusy(err) {
			return s, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("store %s is busy (another process holds it; try again): %w", name, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("open store %s: %w", name, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// sqliteBusy tells an error of a database locked by another connection
// (SQLITE_BUSY, SQLITE_LOCKED and their extended codes).
func sqliteBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// sqliteLocker makes goose's migrations of a SQLite file one process at a
// time, as PostgreSQL's advisory lock does there (SQLite's own locks
// belong to a connection, and goose migrates over several transactions):
// a lease, one row in a table of its own, taken in a write transaction
// (which waits busy_timeout for other writers), kept alive while the
// migration runs and deleted at the end. A process that crashed holding
// it holds it no longer than the lease.
type sqliteLocker struct {
	owner  string
	lease  time.Duration
	wait   time.Duration // how long Lock waits for another holder
	stop   chan struct{}
	beaten chan struct{}
}

func newSQLiteLocker() (*sqliteLocker, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &sqliteLocker{owner: fmt.Sprintf("pid %d/%x", os.Getpid(), b), lease: time.Minute, wait: 5 * time.Minute}, nil
}

func (l *sqliteLocker) Lock(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS rootwatch_migration_lock (
		id INTEGER PRIMARY KEY CHECK (id = 1), owner TEXT NOT NULL, expires_us INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	deadline := time.Now().Add(l.wait)
	for {
		holder, err := l.try(ctx, db)
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		if holder == "" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("migration lock: another process (%s) has been migrating the store for over %v", holder, l.wait)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migration lock: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	l.stop, l.beaten = make(chan struct{}), make(chan struct{})
	go l.heartbeat(context.WithoutCancel(ctx), db)
	return nil
}

// try takes the lease if no one holds it (or the holder's lapsed), else
// names the holder.
func (l *sqliteLocker) try(ctx context.Context, db *sql.DB) (holder string, err error) {
	tx, err := db.BeginTx(ctx, nil) // immediate: the write lock
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	now := time.Now()
	var expires int64
	switch err := tx.QueryRowContext(ctx, `SELECT owner, expires_us FROM rootwatch_migration_lock WHERE id = 1`).Scan(&holder, &expires); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return "", err
	case expires > now.UnixMicro():
		return holder, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO rootwatch_migration_lock (id, owner, expires_us) VALUES (1, ?, ?)`,
		l.owner, now.Add(l.lease).UnixMicro()); err != nil {
		return "", err
	}
	return "", tx.Commit()
}

// heartbeat renews the lease until Unlock.
func (l *sqliteLocker) heartbeat(ctx context.Context, db *sql.DB) {
	defer close(l.beaten)
	t := time.NewTicker(l.lease / 4)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			// A failure here is not fatal: the migration's own
			// transactions keep it safe; the lease only keeps others
			// waiting.
			_, _ = db.ExecContext(ctx, `UPDATE rootwatch_migration_lock SET expires_us = ? WHERE id = 1 AND owner = ?`,
				time.Now().Add(l.lease).UnixMicro(), l.owner)
		}
	}
}

func (l *sqliteLocker) Unlock(ctx context.Context, db *sql.DB) error {
	if l.stop != nil {
		close(l.stop)
		<-l.beaten
		l.stop = nil
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM rootwatch_migration_lock WHERE id = 1 AND owner = ?`, l.owner); err != nil {
		return fmt.Errorf("release the migration lock: %w", err)
	}
	return nil
}
