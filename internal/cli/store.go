package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/pflag"

	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// StoreOptions say where an audit's run is kept.
type StoreOptions struct {
	// Store is --store: a URL (sqlite:PATH, postgres://..., a file path)
	// or "default" for history.DefaultURL. Empty: ROOTWATCH_STORE when
	// set, else no store.
	Store string
}

func addStoreFlag(f *pflag.FlagSet, o *StoreOptions) {
	stringOnceVar(f, &o.Store, "store", "", "keep the run in the history store at `URL`: sqlite:PATH, postgres://..., a file path, or 'default' ($"+history.EnvStore+", else ~/.local/share/rootwatch/history.db); $"+history.EnvStore+" alone also keeps it")
}

// storeURL is the store an audit writes to; "" when none.
func (o *StoreOptions) storeURL(getenv func(string) string) (string, error) {
	switch o.Store {
	case "":
		return getenv(history.EnvStore), nil
	case "default":
		return history.DefaultURL(getenv)
	}
	return o.Store, nil
}

// openAuditStore opens the audit's store before anything is read, so a
// store that cannot be opened or migrated stops the run before a long
// audit (exit 4, as a report that cannot be written; a URL of no known
// kind is a usage error). Nil when the run is not kept.
func openAuditStore(ctx context.Context, d *Deps, o *StoreOptions) (history.Store, error) {
	url, err := o.storeURL(d.Getenv)
	if err != nil {
		return nil, &ExitError{Code: exitInternal, Err: err}
	}
	if url == "" {
		return nil, nil
	}
	st, err := history.Open(ctx, url)
	if err != nil {
		if errors.Is(err, history.ErrBadURL) {
			return nil, &ExitError{Code: ExitUsage, Err: fmt.Errorf("--store: %w", err)}
		}
		return nil, &ExitError{Code: exitInternal, Err: fmt.Errorf("the run cannot be kept: %w", err)}
	}
	return st, nil
}

// writeStoreRun judges the accounts again as of their reports' generation
// times (a year of weekly exports imported today gives the figures each
// week had) and writes the run, its observations, findings and root events
// to the store in one transaction. Nothing is written when a report has no
// generation time (a bare CSV without --report-time: the same file would
// be a new run every day), nor when anything fails (exit 4).
func writeStoreRun(ctx context.Context, d *Deps, st history.Store, snap *model.Snapshot, eng engine.Options, builtin []*rules.Rule, window time.Duration, now time.Time) error {
	for i := range snap.Accounts {
		if cr := snap.Accounts[i].CredentialReport; cr != nil && cr.GeneratedAtSource == "audit-time" {
			return usageError("--store: the credential report of account %s (%s) carries no generation time: give it with --report-time, so the run is kept as of then", snap.Accounts[i].ID, cr.Source)
		}
	}
	eng.AtReportTime = true
	eng.NoEvidence = true
	e, err := engine.New(builtin, eng)
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	accounts := slices.Clone(snap.Accounts) // the report's pass lets each account go once written
	records := func(yield func(history.AccountRecord, error) bool) {
		stop := errors.New("stop")
		err := e.EvaluateEach(ctx, accounts, func(i int, fs []model.Finding) error {
			if !yield(accountRecord(&accounts[i], fs, eng.Now, window), nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(history.AccountRecord{}, err)
		}
	}
	run, err := st.WriteRun(ctx, history.RunInput{WrittenAt: now, ToolVersion: d.Version, Accounts: records})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ExitError{Code: exitInternal, Err: fmt.Errorf("the run could not be kept (nothing of it was written): %w", err)}
	}
	if run.Existing {
		fmt.Fprintf(d.ErrOut, "run %d already in %s: the same reports (%s, %s); nothing written\n", run.ID, st, plural(run.Accounts, "account", ""), plural(run.Findings, "finding", ""))
		return nil
	}
	fmt.Fprintf(d.ErrOut, "run %d written to %s (%s, %s)\n", run.ID, st, plural(run.Accounts, "account", ""), plural(run.Findings, "finding", ""))
	return nil
}

// accountRecord is what the store keeps of one account: its root facts as
// of its report, its findings and the root events read.
func accountRecord(a *model.Account, fs []model.Finding, now time.Time, window time.Duration) history.AccountRecord {
	asOf := now
	if a.CredentialReport != nil && !a.CredentialReport.GeneratedAt.IsZero() {
		asOf = a.CredentialReport.GeneratedAt
	}
	o := history.Observation{Account: a.ID, Name: a.Name, Org: a.Org, OUPath: a.OUPath, AsOf: asOf.UTC(), CreatedAt: a.CreatedAt.UTC(),
		RootUnread: a.Root == nil}
	if r := a.Root; r != nil {
		if o.CreatedAt.IsZero() {
			o.CreatedAt = r.CreatedAt.UTC()
		}
		if r.PasswordLastUsed.IsSet() {
			o.PasswordLastUsed = r.PasswordLastUsed.Time.UTC()
		}
		for _, k := range r.AccessKeys {
			if k.Slot < 1 || k.Slot > 2 {
				continue
			}
			kf := &o.Keys[k.Slot-1]
			kf.Active = k.Active
			if k.LastRotated.IsSet() {
				kf.LastRotated = k.LastRotated.Time.UTC()
			}
			if k.LastUsed.IsSet() {
				kf.LastUsed = k.LastUsed.Time.UTC()
			}
		}
		o.MFA = r.MFA
	}
	if a.Assets != nil {
		total := a.Assets.Total
		o.Assets = &total
	}
	rec := history.AccountRecord{Observation: o}
	if ct := a.CloudTrail; ct != nil {
		rec.Events = ct.Events
		// Exact counts only where the log files cover the whole window:
		// a gap, an unread file or a selection would undercount.
		if ct.Coverage.Complete(asOf.Add(-window), asOf) {
			rec.Observation.Exact = exactCounts(ct.Events, asOf.Add(-window), asOf)
		}
	}
	for _, f := range fs {
		rec.Findings = append(rec.Findings, history.Finding{ID: f.ID, Check: f.Check, Status: f.Status, Severity: f.Severity,
			Account: f.Account, Org: f.Org, Resource: f.Resource, Message: f.Message})
	}
	return rec
}

// exactCounts counts CloudTrail's root events in [since, until]: successful
// console sign-ins, those without MFA, and calls signed with a root access
// key.
func exactCounts(events []model.RootEvent, since, until time.Time) *history.ExactCounts {
	c := &history.ExactCounts{}
	for _, e := range events {
		if e.Time.Before(since) || e.Time.After(until) {
			continue
		}
		switch {
		case e.Kind == "console-login" && e.Success:
			c.SignIns++
			if e.MFA == "no" {
				c.SignInsWithoutMFA++
			}
		case e.Session == "access-key":
			c.KeySignedCalls++
		}
	}
	return c
}
