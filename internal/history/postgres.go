package history

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
)

// openPostgres opens the PostgreSQL store at the URL (a libpq connection
// URL, e.g. postgres://user@/db?host=/var/run/postgresql) and migrates it.
func openPostgres(ctx context.Context, rawURL string) (Store, error) {
	name := redact(rawURL)
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	s := &sqlStore{db: db, name: name, dialect: goose.DialectPostgres}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// redact hides a password in a URL shown in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	return u.Redacted()
}
