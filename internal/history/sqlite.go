package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
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
	dsn := fmt.Sprintf("%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate",
		path, sqliteBusyTimeoutMS)
	return openSQL(ctx, "sqlite", dsn, name, goose.DialectSQLite3)
}
