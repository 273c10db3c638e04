package history

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
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

// observationsPgx streams the observations a query selects through pgx's
// own rows, on a connection of the pool: its binary decoding into typed
// values costs half of database/sql's conversions, which were most of a
// whole-store read's time (bench/README.md).
func (s *sqlStore) observationsPgx(ctx context.Context, query string, args []any, fn func(Observation) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("a %T connection, not pgx's", dc)
		}
		rows, err := c.Conn().Query(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var o Observation
		var asOf int64
		var p [10]pgtype.Int8
		dest := []any{&o.Account, &asOf, &o.RunID, &o.Name, &o.Org, &o.OUPath, &p[0], &p[1], &o.RootUnread,
			&o.Keys[0].Active, &p[2], &p[3], &o.Keys[1].Active, &p[4], &p[5], &o.MFA, &p[6], &p[7], &p[8], &p[9]}
		for rows.Next() {
			o = Observation{}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			var n [10]sql.NullInt64
			for i, v := range p {
				n[i] = sql.NullInt64{Int64: v.Int64, Valid: v.Valid}
			}
			if err := fn(o.withFacts(asOf, n)); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}
