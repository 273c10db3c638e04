package history

import (
	"context"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
)

// openPostgres opens the PostgreSQL store at the URL (a libpq connection
// URL, e.g. postgres://user@/db?host=/var/run/postgresql) and migrates it.
func openPostgres(ctx context.Context, rawURL string) (Store, error) {
	return openSQL(ctx, "pgx", rawURL, redact(rawURL), goose.DialectPostgres)
}

// redact hides a password in a URL shown in messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(a URL that does not parse)"
	}
	return u.Redacted()
}
