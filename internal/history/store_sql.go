package history

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// sqlStore is the Store of both backends: one schema, one set of queries
// (written with ? placeholders; PostgreSQL's are rebound to $n).
type sqlStore struct {
	db      *sql.DB
	name    string // the URL, for messages
	dialect goose.Dialect
}

func (s *sqlStore) String() string { return s.name }

func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.name, err)
	}
	return nil
}

// q adapts a query's placeholders to the backend.
func (s *sqlStore) q(query string) string {
	if s.dialect != goose.DialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrate brings the schema up to this binary's version with goose, and
// refuses a store whose schema is newer (never a downgrade).
func (s *sqlStore) migrate(ctx context.Context) error {
	dir := "migrations/sqlite"
	if s.dialect == goose.DialectPostgres {
		dir = "migrations/postgres"
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return fmt.Errorf("store %s: migrations: %w", s.name, err)
	}
	// The version is read without a lock: a store that is up to date is
	// opened without waiting for another process's write or migration.
	p, err := goose.NewProvider(s.dialect, s.db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("store %s: migrations: %w", s.name, err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("store %s: read the schema version: %w", s.name, err)
	}
	known := int64(0)
	for _, src := range p.ListSources() {
		known = max(known, src.Version)
	}
	if current > known {
		return fmt.Errorf("store %s: schema version %d is %w (this one knows up to %d); upgrade rootwatch to use it",
			s.name, current, ErrNewerSchema, known)
	}
	if current == known {
		return nil
	}
	// Two rootwatch processes migrating one store take turns: PostgreSQL
	// by goose's advisory lock (asked for every second, for up to five
	// minutes), SQLite by a lease (sqliteLocker). goose reads the versions
	// again under the lock, so the second applies nothing twice.
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect == goose.DialectPostgres {
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("store %s: migration lock: %w", s.name, err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else {
		locker, err := newSQLiteLocker()
		if err != nil {
			return fmt.Errorf("store %s: migration lock: %w", s.name, err)
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	if p, err = goose.NewProvider(s.dialect, s.db, sub, opts...); err != nil {
		return fmt.Errorf("store %s: migrations: %w", s.name, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store %s: migrate the schema: %w", s.name, err)
	}
	return nil
}

// micros stores a time as microseconds since the epoch; zero is NULL.
func micros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromMicros(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

func nullInt(p *int) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*p), Valid: true}
}

func (s *sqlStore) WriteRun(ctx context.Context, in RunInput) (Run, error) {
	if in.Accounts == nil {
		return Run{}, fmt.Errorf("write run to %s: no accounts", s.name)
	}
	run, err := s.writeRun(ctx, in)
	if err != nil {
		return Run{}, fmt.Errorf("write run to %s: %w", s.name, err)
	}
	return run, nil
}

// Batched inserts: rows are sent maxBatchRows at a time in one multi-row
// INSERT, within the parameter limits of both backends (SQLite 32766,
// PostgreSQL 65535; the widest table has 20 columns).
//
// Every insert ignores a row that conflicts (SQLite's INSERT OR IGNORE,
// PostgreSQL's ON CONFLICT DO NOTHING): observations and events are kept
// once that way, and for the run's accounts and findings, where a
// conflict is an error (an account or a finding ID twice in one run), the
// rows inserted are counted instead. In SQLite a statement that can only
// ignore, never abort, needs no statement journal, which otherwise costs
// a third of a large write.
const (
	maxBatchRows = 1000
	maxParams    = 32766
)

// bulk gathers the rows of one table and inserts them a batch at a time:
// memory holds one batch, never the whole run.
type bulk struct {
	s    *sqlStore
	tx   *sql.Tx
	what string // the table, for messages
	// dup says what a conflict means when every row must be inserted;
	// "" when conflicting rows are meant to be left out.
	dup  string
	head string // INSERT INTO t (cols) VALUES
	tail string // ON CONFLICT ...
	cols int
	max  int
	args []any
	n    int
	// first and last name the batch's accounts in messages.
	first, last string
	full        *sql.Stmt // the statement of a full batch, prepared once
}

func newBulk(s *sqlStore, tx *sql.Tx, what, table string, cols []string, dup string) *bulk {
	head, tail := "INSERT OR IGNORE INTO ", ""
	if s.dialect == goose.DialectPostgres {
		head, tail = "INSERT INTO ", "ON CONFLICT DO NOTHING"
	}
	return &bulk{s: s, tx: tx, what: what, dup: dup, head: head + table + " (" + strings.Join(cols, ", ") + ") VALUES ", tail: tail,
		cols: len(cols), max: min(maxBatchRows, maxParams/len(cols))}
}

// add queues one row (its account for messages); a full batch is sent.
func (b *bulk) add(ctx context.Context, account string, vals ...any) error {
	if len(vals) != b.cols {
		return fmt.Errorf("%s: %d values for %d columns", b.what, len(vals), b.cols)
	}
	if b.n == 0 {
		b.first = account
	}
	b.last = account
	b.args = append(b.args, vals...)
	b.n++
	if b.n == b.max {
		return b.flush(ctx)
	}
	return nil
}

func (b *bulk) query(rows int) string {
	var q strings.Builder
	row := "(" + strings.Repeat("?, ", b.cols-1) + "?)"
	q.Grow(len(b.head) + rows*(len(row)+2) + len(b.tail) + 1)
	q.WriteString(b.head)
	for i := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	if b.tail != "" {
		q.WriteString(" " + b.tail)
	}
	return b.s.q(q.String())
}

// flush sends the rows queued.
func (b *bulk) flush(ctx context.Context) error {
	if b.n == 0 {
		return nil
	}
	var err error
	var res sql.Result
	if b.n == b.max {
		if b.full == nil {
			if b.full, err = b.tx.PrepareContext(ctx, b.query(b.max)); err != nil {
				return fmt.Errorf("prepare the %s insert: %w", b.what, err)
			}
		}
		res, err = b.full.ExecContext(ctx, b.args...)
	} else {
		res, err = b.tx.ExecContext(ctx, b.query(b.n), b.args...)
	}
	if err != nil {
		return fmt.Errorf("%s of accounts %s..%s: %w", b.what, b.first, b.last, err)
	}
	if b.dup != "" {
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("%s of accounts %s..%s: count the rows written: %w", b.what, b.first, b.last, err)
		}
		if n != int64(b.n) {
			return fmt.Errorf("%s of accounts %s..%s: %d of %d rows written: %s", b.what, b.first, b.last, n, b.n, b.dup)
		}
	}
	clear(b.args)
	b.args, b.n = b.args[:0], 0
	return nil
}

func (b *bulk) close() {
	if b.full != nil {
		b.full.Close()
	}
}

func (s *sqlStore) writeRun(ctx context.Context, in RunInput) (_ Run, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Run{}, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	pending := make([]byte, 16)
	if _, err := rand.Read(pending); err != nil {
		return Run{}, err
	}
	written := in.WrittenAt.UTC()
	var id int64
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO runs (identity, as_of_us, first_as_of_us, written_at_us, tool_version, accounts, findings, events)
		VALUES (?, 0, 0, ?, ?, 0, 0, 0) RETURNING id`), "pending:"+hex.EncodeToString(pending), written.UnixMicro(), in.ToolVersion).Scan(&id); err != nil {
		return Run{}, fmt.Errorf("insert the run: %w", err)
	}
	accounts := newBulk(s, tx, "accounts", "run_accounts", []string{"run_id", "account", "as_of_us"}, "an account twice in one run")
	observations := newBulk(s, tx, "observations", "observations", []string{"account", "as_of_us", "run_id", "name", "org", "ou_path",
		"created_at_us", "password_last_used_us", "root_unread",
		"key1_active", "key1_last_rotated_us", "key1_last_used_us", "key2_active", "key2_last_rotated_us", "key2_last_used_us",
		"mfa", "assets", "exact_sign_ins", "exact_sign_ins_without_mfa", "exact_key_signed_calls"}, "")
	findingRows := newBulk(s, tx, "findings", "findings", []string{"run_id", "id", "check_id", "status", "severity", "account", "org", "resource", "message"}, "a finding ID twice in one run")
	eventRows := newBulk(s, tx, "root events", "root_events", []string{"account", "event_id", "run_id", "event_time_us", "kind", "name", "success",
		"mfa", "session", "access_key_id", "source_ip", "region", "source"}, "")
	all := []*bulk{accounts, observations, findingRows, eventRows}
	defer func() {
		for _, b := range all {
			b.close()
		}
	}()
	n, findings, events := 0, 0, 0
	for rec, recErr := range in.Accounts {
		if recErr != nil {
			return Run{}, recErr
		}
		if err := ctx.Err(); err != nil {
			return Run{}, err
		}
		o := rec.Observation
		if o.Account == "" || o.AsOf.IsZero() {
			return Run{}, fmt.Errorf("an observation without account or as_of (account %q, as_of %v)", o.Account, o.AsOf)
		}
		asOf := o.AsOf.UnixMicro()
		if err := accounts.add(ctx, o.Account, id, o.Account, asOf); err != nil {
			return Run{}, err
		}
		n++
		var exact [3]sql.NullInt64
		if e := o.Exact; e != nil {
			exact = [3]sql.NullInt64{{Int64: int64(e.SignIns), Valid: true}, {Int64: int64(e.SignInsWithoutMFA), Valid: true}, {Int64: int64(e.KeySignedCalls), Valid: true}}
		}
		if err := observations.add(ctx, o.Account, o.Account, asOf, id, o.Name, o.Org, o.OUPath, micros(o.CreatedAt), micros(o.PasswordLastUsed), o.RootUnread,
			o.Keys[0].Active, micros(o.Keys[0].LastRotated), micros(o.Keys[0].LastUsed),
			o.Keys[1].Active, micros(o.Keys[1].LastRotated), micros(o.Keys[1].LastUsed),
			o.MFA, nullInt(o.Assets), exact[0], exact[1], exact[2]); err != nil {
			return Run{}, err
		}
		for _, f := range rec.Findings {
			if err := findingRows.add(ctx, o.Account, id, f.ID, f.Check, f.Status, f.Severity, f.Account, f.Org, f.Resource, f.Message); err != nil {
				return Run{}, err
			}
			findings++
		}
		for _, e := range rec.Events {
			if e.ID == "" {
				return Run{}, fmt.Errorf("a root event of account %s without an event ID (%s at %v)", o.Account, e.Name, e.Time)
			}
			if err := eventRows.add(ctx, o.Account, o.Account, e.ID, id, e.Time.UnixMicro(), e.Kind, e.Name, e.Success, e.MFA, e.Session,
				e.AccessKeyID, e.SourceIP, e.Region, e.Source); err != nil {
				return Run{}, err
			}
			events++
		}
	}
	if err := ctx.Err(); err != nil {
		return Run{}, err
	}
	if n == 0 {
		return Run{}, errors.New("no account to write")
	}
	for _, b := range all {
		if err := b.flush(ctx); err != nil {
			return Run{}, err
		}
	}
	ident, first, last, err := s.identity(ctx, tx, id)
	if err != nil {
		return Run{}, err
	}
	if existing, ok, err := s.runByIdentity(ctx, tx, ident); err != nil {
		return Run{}, err
	} else if ok {
		_ = tx.Rollback()
		existing.Existing = true
		return existing, nil
	}
	_, updErr := tx.ExecContext(ctx, s.q(`UPDATE runs SET identity = ?, as_of_us = ?, first_as_of_us = ?, accounts = ?, findings = ?, events = ? WHERE id = ?`),
		ident, last, first, n, findings, events, id)
	if updErr == nil {
		updErr = tx.Commit()
	}
	if updErr != nil {
		_ = tx.Rollback()
		// Another process may have written the same run meanwhile
		// (PostgreSQL refuses the second identity): that run is this one.
		if existing, ok, err := s.runByIdentity(ctx, s.db, ident); err == nil && ok && ctx.Err() == nil {
			existing.Existing = true
			return existing, nil
		}
		return Run{}, fmt.Errorf("commit run: %w", updErr)
	}
	return Run{ID: id, AsOf: time.UnixMicro(last).UTC(), FirstAsOf: time.UnixMicro(first).UTC(), WrittenAt: time.UnixMicro(written.UnixMicro()).UTC(),
		ToolVersion: in.ToolVersion, Accounts: n, Findings: findings, Events: events}, nil
}

// identity is the run's identity: a hash of its (account, as_of) pairs in
// account order (bytewise, whatever the database's collation), read back
// from run_accounts so that the run need not be held in memory; with the
// earliest and latest as_of.
func (s *sqlStore) identity(ctx context.Context, tx *sql.Tx, runID int64) (ident string, first, last int64, err error) {
	order := "account"
	if s.dialect == goose.DialectPostgres {
		order = `account COLLATE "C"`
	}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT account, as_of_us FROM run_accounts WHERE run_id = ? ORDER BY `+order), runID)
	if err != nil {
		return "", 0, 0, fmt.Errorf("read the run's accounts back: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var account string
		var asOf int64
		if err := rows.Scan(&account, &asOf); err != nil {
			return "", 0, 0, fmt.Errorf("read the run's accounts back: %w", err)
		}
		if n == 0 {
			first, last = asOf, asOf
		}
		first, last = min(first, asOf), max(last, asOf)
		fmt.Fprintf(h, "%s\x00%d\n", account, asOf)
		n++
	}
	if err := rows.Err(); err != nil {
		return "", 0, 0, fmt.Errorf("read the run's accounts back: %w", err)
	}
	return "v1:" + hex.EncodeToString(h.Sum(nil)), first, last, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

const runColumns = `id, as_of_us, first_as_of_us, written_at_us, tool_version, accounts, findings, events`

func scanRun(rows *sql.Rows) (Run, error) {
	var r Run
	var asOf, first, written int64
	if err := rows.Scan(&r.ID, &asOf, &first, &written, &r.ToolVersion, &r.Accounts, &r.Findings, &r.Events); err != nil {
		return Run{}, err
	}
	r.AsOf, r.FirstAsOf, r.WrittenAt = time.UnixMicro(asOf).UTC(), time.UnixMicro(first).UTC(), time.UnixMicro(written).UTC()
	return r, nil
}

// runs reads the runs a query selects (complete runs only: a run being
// written has a pending identity, and is invisible outside its
// transaction anyway).
func (s *sqlStore) runs(ctx context.Context, db querier, where string, args ...any) ([]Run, error) {
	rows, err := db.QueryContext(ctx, s.q(`SELECT `+runColumns+` FROM runs WHERE identity NOT LIKE 'pending:%' `+where+` ORDER BY as_of_us, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) runByIdentity(ctx context.Context, db querier, ident string) (Run, bool, error) {
	rs, err := s.runs(ctx, db, `AND identity = ?`, ident)
	if err != nil {
		return Run{}, false, fmt.Errorf("look up the run: %w", err)
	}
	if len(rs) == 0 {
		return Run{}, false, nil
	}
	return rs[0], true, nil
}

func (s *sqlStore) Runs(ctx context.Context) ([]Run, error) {
	rs, err := s.runs(ctx, s.db, "")
	if err != nil {
		return nil, fmt.Errorf("list runs in %s: %w", s.name, err)
	}
	return rs, nil
}

func (s *sqlStore) Run(ctx context.Context, id int64) (Run, error) {
	rs, err := s.runs(ctx, s.db, `AND id = ?`, id)
	if err != nil {
		return Run{}, fmt.Errorf("read run %d in %s: %w", id, s.name, err)
	}
	if len(rs) == 0 {
		return Run{}, fmt.Errorf("run %d: %w %s", id, ErrNotFound, s.name)
	}
	return rs[0], nil
}

func (s *sqlStore) Findings(ctx context.Context, runID int64) ([]Finding, error) {
	var out []Finding
	err := s.EachFinding(ctx, FindingFilter{RunID: runID}, func(f Finding) error {
		out = append(out, f)
		return nil
	})
	return out, err
}

func (s *sqlStore) EachFinding(ctx context.Context, f FindingFilter, fn func(Finding) error) error {
	var where []string
	var args []any
	if f.RunID != 0 {
		where, args = append(where, "run_id = ?"), append(args, f.RunID)
	}
	if f.Account != "" {
		where, args = append(where, "account = ?"), append(args, f.Account)
	}
	query := `SELECT run_id, id, check_id, status, severity, account, org, resource, message FROM findings` + whereClause(where) + ` ORDER BY run_id, id`
	err := s.each(ctx, query, args, func(rows *sql.Rows) error {
		var x Finding
		if err := rows.Scan(&x.RunID, &x.ID, &x.Check, &x.Status, &x.Severity, &x.Account, &x.Org, &x.Resource, &x.Message); err != nil {
			return err
		}
		return fn(x)
	})
	if err != nil {
		return fmt.Errorf("read findings in %s: %w", s.name, err)
	}
	return nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// each runs a query and hands its rows over one at a time.
func (s *sqlStore) each(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// observationsQuery selects what Observations returns.
const observationsQuery = `SELECT o.account, o.as_of_us, o.run_id, o.name, o.org, o.ou_path, o.created_at_us, o.password_last_used_us, o.root_unread,
		o.key1_active, o.key1_last_rotated_us, o.key1_last_used_us, o.key2_active, o.key2_last_rotated_us, o.key2_last_used_us,
		o.mfa, o.assets, o.exact_sign_ins, o.exact_sign_ins_without_mfa, o.exact_key_signed_calls
		FROM observations o`

func (s *sqlStore) Observations(ctx context.Context, f ObservationFilter, fn func(Observation) error) error {
	from := ""
	var where []string
	var args []any
	if f.RunID != 0 {
		from = ` JOIN run_accounts ra ON ra.account = o.account AND ra.as_of_us = o.as_of_us`
		where, args = append(where, "ra.run_id = ?"), append(args, f.RunID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "o.as_of_us >= ?"), append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "o.as_of_us < ?"), append(args, f.Until.UnixMicro())
	}
	if f.Org != "" {
		where, args = append(where, "o.org = ?"), append(args, f.Org)
	}
	if f.Account != "" {
		where, args = append(where, "o.account = ?"), append(args, f.Account)
	}
	query := observationsQuery + from + whereClause(where) + ` ORDER BY o.as_of_us, o.account`
	if s.dialect == goose.DialectPostgres {
		// No pipeline: with the server on the same 2 cores it was slower
		// (bench/README.md).
		if err := s.observationsPgx(ctx, query, args, fn); err != nil {
			return fmt.Errorf("read observations in %s: %w", s.name, err)
		}
		return nil
	}
	// SQLite decodes rows in this process: a goroutine of its own does,
	// while fn counts the previous batch.
	produce := func(ctx context.Context, emit func(Observation) error) error {
		return s.each(ctx, query, args, func(rows *sql.Rows) error {
			var o Observation
			var asOf int64
			var n [10]sql.NullInt64
			if err := rows.Scan(&o.Account, &asOf, &o.RunID, &o.Name, &o.Org, &o.OUPath, &n[0], &n[1], &o.RootUnread,
				&o.Keys[0].Active, &n[2], &n[3], &o.Keys[1].Active, &n[4], &n[5], &o.MFA, &n[6], &n[7], &n[8], &n[9]); err != nil {
				return err
			}
			return emit(o.withFacts(asOf, n))
		})
	}
	if err := pipeline(ctx, produce, fn); err != nil {
		return fmt.Errorf("read observations in %s: %w", s.name, err)
	}
	return nil
}

// pipelineBatch is how many observations the reading goroutine hands
// over at a time; at most pipelineDepth+2 batches exist at once.
const (
	pipelineBatch = 512
	pipelineDepth = 2
)

// pipeline runs produce (the rows read and decoded) in a goroutine of its
// own and hands what it emits to fn on the caller's goroutine, in order,
// a batch at a time: the driver's work and the caller's overlap, in
// bounded memory. An error of fn cancels produce and is returned; else
// produce's error is.
func pipeline[T any](ctx context.Context, produce func(context.Context, func(T) error) error, fn func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []T, pipelineDepth)
	free := make(chan []T, pipelineDepth+1)
	done := make(chan struct{})
	var produceErr error
	go func() {
		defer close(done)
		defer close(batches)
		buf := make([]T, 0, pipelineBatch)
		send := func() error {
			select {
			case batches <- buf:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case buf = <-free:
				buf = buf[:0]
			default:
				buf = make([]T, 0, pipelineBatch)
			}
			return nil
		}
		produceErr = produce(ctx, func(v T) error {
			if buf = append(buf, v); len(buf) == pipelineBatch {
				return send()
			}
			return nil
		})
		if produceErr == nil && len(buf) > 0 {
			produceErr = send()
		}
	}()
	var fnErr error
	for b := range batches {
		for i := 0; fnErr == nil && i < len(b); i++ {
			if fnErr = fn(b[i]); fnErr != nil {
				cancel()
			}
		}
		clear(b)
		select {
		case free <- b:
		default:
		}
	}
	<-done
	if fnErr != nil {
		return fnErr
	}
	return produceErr
}

// withFacts sets an observation's times and counts from the columns read:
// created_at, password_last_used, key 1 rotated and used, key 2 rotated
// and used, assets, then the three exact counts.
func (o Observation) withFacts(asOf int64, n [10]sql.NullInt64) Observation {
	o.AsOf = time.UnixMicro(asOf).UTC()
	o.CreatedAt, o.PasswordLastUsed = fromMicros(n[0]), fromMicros(n[1])
	o.Keys[0].LastRotated, o.Keys[0].LastUsed = fromMicros(n[2]), fromMicros(n[3])
	o.Keys[1].LastRotated, o.Keys[1].LastUsed = fromMicros(n[4]), fromMicros(n[5])
	if n[6].Valid {
		a := int(n[6].Int64)
		o.Assets = &a
	}
	if n[7].Valid {
		o.Exact = &ExactCounts{SignIns: int(n[7].Int64), SignInsWithoutMFA: int(n[8].Int64), KeySignedCalls: int(n[9].Int64)}
	}
	return o
}

func (s *sqlStore) Events(ctx context.Context, f EventFilter, fn func(Event) error) error {
	var where []string
	var args []any
	if f.Account != "" {
		where, args = append(where, "account = ?"), append(args, f.Account)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "event_time_us >= ?"), append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "event_time_us < ?"), append(args, f.Until.UnixMicro())
	}
	query := `SELECT account, event_id, run_id, event_time_us, kind, name, success, mfa, session, access_key_id, source_ip, region, source
		FROM root_events` + whereClause(where) + ` ORDER BY event_time_us, account, event_id`
	err := s.each(ctx, query, args, func(rows *sql.Rows) error {
		var e Event
		var t int64
		if err := rows.Scan(&e.Account, &e.ID, &e.RunID, &t, &e.Kind, &e.Name, &e.Success, &e.MFA, &e.Session, &e.AccessKeyID, &e.SourceIP, &e.Region, &e.Source); err != nil {
			return err
		}
		e.Time = time.UnixMicro(t).UTC()
		return fn(e)
	})
	if err != nil {
		return fmt.Errorf("read root events in %s: %w", s.name, err)
	}
	return nil
}

// openSQL opens a store through database/sql and migrates it; name is
// how messages show it (a password hidden).
func openSQL(ctx context.Context, driver, dsn, name string, dialect goose.Dialect) (Store, error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", name, err)
	}
	s := &sqlStore{db: db, name: name, dialect: dialect}
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
