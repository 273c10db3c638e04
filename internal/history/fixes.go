package history

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Fix call results, as the run log writes them.
const (
	FixOK      = "ok"
	FixError   = "error"
	FixSkipped = "skipped"
	// FixFailed: a step that could not start (its account not reached).
	FixFailed = "failed"
)

// FixEntry is one line of a 'rootwatch fix --apply' run log kept in the
// store: a call made (Action and Params), or a step not applied (no
// Action; Result skipped or failed).
type FixEntry struct {
	// RunID names the fix run; every entry of one run shares it.
	RunID   string    `json:"run_id"`
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Region  string    `json:"region,omitempty"`
	Step    string    `json:"step"`
	Kind    string    `json:"kind"`
	Action  string    `json:"action,omitempty"`
	// Params, Output and Undo are JSON (nil: none): the call's parameters,
	// its results, and the calls that take it back.
	Params json.RawMessage `json:"params,omitempty"`
	// Result is FixOK, FixError, FixSkipped or FixFailed.
	Result string          `json:"result"`
	Error  string          `json:"error,omitempty"`
	Output json.RawMessage `json:"output,omitempty"`
	Undo   json.RawMessage `json:"undo,omitempty"`
	// Irreversible: nothing takes the call back (a root credential
	// deleted).
	Irreversible bool `json:"irreversible,omitempty"`
	// Rollback marks an undo call made because a later call of its step
	// failed.
	Rollback bool `json:"rollback,omitempty"`
}

// FixFilter selects fix entries; zero fields select all. Since is
// inclusive, Until exclusive, on the entry's time.
type FixFilter struct {
	Account string
	Step    string
	RunID   string
	Since   time.Time
	Until   time.Time
}

// check refuses an entry the store would not keep as given.
func (e *FixEntry) check() error {
	switch {
	case e.RunID == "":
		return errors.New("no run ID")
	case e.Time.IsZero():
		return errors.New("no time")
	case e.Account == "" || e.Step == "":
		return errors.New("no account or step")
	}
	switch e.Result {
	case FixOK, FixError, FixSkipped, FixFailed:
	default:
		return fmt.Errorf("result %q is not one of ok, error, skipped, failed", e.Result)
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"params", e.Params}, {"output", e.Output}, {"undo", e.Undo}} {
		if len(f.v) > 0 && !json.Valid(f.v) {
			return fmt.Errorf("%s are not JSON", f.name)
		}
	}
	return nil
}

// jsonText is JSON kept as text; none is NULL.
func jsonText(v json.RawMessage) sql.NullString {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return sql.NullString{}
	}
	return sql.NullString{String: string(v), Valid: true}
}

func fromJSONText(s sql.NullString) json.RawMessage {
	if !s.Valid {
		return nil
	}
	return json.RawMessage(s.String)
}

func (s *sqlStore) WriteFixes(ctx context.Context, entries []FixEntry) error {
	if err := s.writeFixes(ctx, entries); err != nil {
		return fmt.Errorf("write %d fix calls to %s: %w", len(entries), s.name, err)
	}
	return nil
}

func (s *sqlStore) writeFixes(ctx context.Context, entries []FixEntry) (err error) {
	for i := range entries {
		if err := entries[i].check(); err != nil {
			e := &entries[i]
			return fmt.Errorf("entry %d (account %s, step %s, %s): %w", i+1, e.Account, e.Step, e.Action, err)
		}
	}
	if len(entries) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	rows := newBulk(s, tx, "fix calls", "fix_calls", []string{"run_id", "time_us", "account", "region", "step_id", "kind", "action",
		"params", "result", "error", "output", "undo", "irreversible", "rollback_call"}, "a fix call the store refused")
	defer rows.close()
	for _, e := range entries {
		if err := rows.add(ctx, e.Account, e.RunID, e.Time.UnixMicro(), e.Account, e.Region, e.Step, e.Kind, e.Action,
			jsonText(e.Params), e.Result, e.Error, jsonText(e.Output), jsonText(e.Undo), e.Irreversible, e.Rollback); err != nil {
			return err
		}
	}
	if err := rows.flush(ctx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *sqlStore) Fixes(ctx context.Context, f FixFilter, fn func(FixEntry) error) error {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"account", f.Account}, {"step_id", f.Step}, {"run_id", f.RunID}} {
		if c.v != "" {
			where, args = append(where, c.col+" = ?"), append(args, c.v)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "time_us >= ?"), append(args, f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time_us < ?"), append(args, f.Until.UnixMicro())
	}
	query := `SELECT run_id, time_us, account, region, step_id, kind, action, params, result, error, output, undo, irreversible, rollback_call
		FROM fix_calls` + whereClause(where) + ` ORDER BY time_us, seq`
	err := s.each(ctx, query, args, func(rows *sql.Rows) error {
		var e FixEntry
		var t int64
		var params, output, undo sql.NullString
		if err := rows.Scan(&e.RunID, &t, &e.Account, &e.Region, &e.Step, &e.Kind, &e.Action, &params, &e.Result, &e.Error,
			&output, &undo, &e.Irreversible, &e.Rollback); err != nil {
			return err
		}
		e.Time = time.UnixMicro(t).UTC()
		e.Params, e.Output, e.Undo = fromJSONText(params), fromJSONText(output), fromJSONText(undo)
		return fn(e)
	})
	if err != nil {
		return fmt.Errorf("read fix calls in %s: %w", s.name, err)
	}
	return nil
}
