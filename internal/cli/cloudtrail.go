package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/trail"
)

// addCloudTrail reads the root events of the snapshot's accounts from the
// --cloudtrail inputs and attaches them to the accounts (newest first), so
// checks judge every root action, not only the credential report's last
// use. Only what the window can reach is read: from the earliest evidence
// time less the window. What could not be read is listed under errors.
func addCloudTrail(ctx context.Context, d *Deps, in *InputOptions, snap *model.Snapshot, now time.Time, window time.Duration) error {
	if len(in.CloudTrail) == 0 || len(snap.Accounts) == 0 {
		return nil
	}
	earliest := now
	f := trail.Filter{Accounts: map[string]bool{}}
	for _, a := range snap.Accounts {
		f.Accounts[a.ID] = true
		if cr := a.CredentialReport; cr != nil && cr.GeneratedAt.Before(earliest) {
			earliest = cr.GeneratedAt
		}
	}
	f.Since = earliest.Add(-window)
	// AssumeRoot into these accounts is logged in the management account.
	f.AlsoRead = map[string]bool{}
	for _, org := range snap.Organizations {
		f.AlsoRead[org.ManagementAccount] = true
	}
	inputs, workers, err := trailInputs(ctx, d, in.CloudTrail, awsWhere{in.Profile, in.Region, in.EndpointURL}, &f, 0)
	if err != nil {
		return err
	}
	// What the inputs covered: the accounts of the delivery layout's
	// folders read, and the inputs that could not be read at all. No
	// events is evidence of no root activity only where logs were read.
	cov := coverage{read: map[string]bool{}, failed: map[string]bool{}}
	inputs = cov.watch(inputs)
	byAccount := map[string][]model.RootEvent{}
	st, err := trail.Scan(ctx, inputs, trail.ScanOptions{Filter: f, Workers: workers}, func(ev trail.Event) error {
		if ev.Kind == trail.KindAssumeRoot {
			return nil // the management side: a role's call, not the account's root
		}
		byAccount[ev.Account] = append(byAccount[ev.Account], model.RootEvent{ID: ev.EventID, Time: ev.EventTime, Kind: ev.Kind, Name: ev.EventName,
			Success: ev.Success, MFA: ev.MFA, Session: ev.Session, AccessKeyID: ev.AccessKeyID, SourceIP: ev.SourceIP, Region: ev.Region, Source: ev.Source})
		return nil
	}, cov.warned)
	if err != nil {
		return fmt.Errorf("read CloudTrail: %w", err)
	}
	for _, w := range st.Warnings {
		snap.Errors = append(snap.Errors, model.SourceError{Source: "cloudtrail " + w.Source, Message: trailWarning(w)})
	}
	if n := st.Skipped - int64(len(st.Warnings)); n > 0 {
		snap.Errors = append(snap.Errors, model.SourceError{Source: "cloudtrail", Message: fmt.Sprintf("%d more part(s) skipped", n)})
	}
	d.logger().Info("read CloudTrail", "inputs", st.Inputs, "records", st.Records, "root_events", st.Events, "since", f.Since.Format(time.RFC3339))
	for i := range snap.Accounts {
		a := &snap.Accounts[i]
		if why := cov.gap(a.ID, st, in.CloudTrail, f.Since); why != "" {
			a.FailedCollectors = append(a.FailedCollectors, "cloudtrail")
			snap.Errors = append(snap.Errors, model.SourceError{Account: a.ID, Source: "cloudtrail", Message: why})
			continue
		}
		evs := byAccount[a.ID]
		slices.SortStableFunc(evs, func(x, y model.RootEvent) int { return y.Time.Compare(x.Time) })
		if evs == nil {
			evs = []model.RootEvent{}
		}
		a.CloudTrail = &model.RootActivity{Since: f.Since, Until: now, Events: evs}
	}
	return nil
}

func trailWarning(w trail.Warning) string {
	if w.Line > 0 || w.Offset > 0 {
		return where(w) + ": " + w.Msg
	}
	return w.Msg
}

// coverage follows the inputs of a CloudTrail scan: which accounts' folders
// of the delivery layout were read, which inputs failed, and whether any
// input lay outside the layout (and so may hold any account's events).
type coverage struct {
	// mu: the inputs are yielded by one goroutine, warnings told by another.
	mu           sync.Mutex
	read, failed map[string]bool // account → an input of its folder read / failed
	failedAll    bool            // an input outside the layout failed
	unplaced     bool            // an input outside the layout was read
}

// watch passes the inputs through, noting each.
func (c *coverage) watch(inputs trail.Inputs) trail.Inputs {
	return func(ctx context.Context, yield func(trail.Input, error) bool) {
		inputs(ctx, func(in trail.Input, err error) bool {
			c.mu.Lock() // not held across yield, which waits for the reader
			l, ok := trail.ParseLayout(in.Name)
			switch {
			case ok && l.Account != "" && err != nil:
				c.failed[l.Account] = true
			case ok && l.Account != "":
				c.read[l.Account] = true
			case err != nil:
				c.failedAll = true
			default:
				c.unplaced = true
			}
			c.mu.Unlock()
			return yield(in, err)
		})
	}
}

// warned notes a file that could not be opened or was read only in part
// (corrupt gzip, broken records): its account's logs are incomplete. Scan
// calls it from its one writing goroutine.
func (c *coverage) warned(w trail.Warning) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := trail.ParseLayout(w.Source); ok && l.Account != "" {
		c.failed[l.Account] = true
	} else {
		c.failedAll = true
	}
}

// gap says why an account's CloudTrail evidence is missing or incomplete,
// "" when it is not: an account with no events must be one whose logs were
// read.
func (c *coverage) gap(account string, st trail.Stats, paths []string, since time.Time) string {
	from := strings.Join(paths, ", ")
	switch {
	case st.Records == 0:
		return fmt.Sprintf("no CloudTrail record of the window (from %s) was read from %s: no root activity can be shown absent", since.Format(time.RFC3339), from)
	case c.failedAll:
		return fmt.Sprintf("part of %s could not be read (see errors): the account's root activity may be in it", from)
	case c.failed[account]:
		return fmt.Sprintf("some of the account's CloudTrail logs in %s could not be read (see errors)", from)
	case !c.unplaced && !c.read[account]:
		return fmt.Sprintf("no CloudTrail log of the account was found in %s (its AWSLogs/%s/ folder, for the window)", from, account)
	}
	return ""
}
