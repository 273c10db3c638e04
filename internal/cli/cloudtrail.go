package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
	// What was read for each account: no events prove nothing where the
	// account's logs were not read.
	cov := trail.NewCoverage()
	byAccount := map[string][]model.RootEvent{}
	st, err := trail.Scan(ctx, inputs, trail.ScanOptions{Filter: f, Workers: workers, Coverage: cov}, func(ev trail.Event) error {
		if ev.Kind == trail.KindAssumeRoot {
			return nil // the management side: a role's call, not the account's root
		}
		byAccount[ev.Account] = append(byAccount[ev.Account], model.RootEvent{ID: ev.EventID, Time: ev.EventTime, Kind: ev.Kind, Name: ev.EventName,
			Success: ev.Success, MFA: ev.MFA, Session: ev.Session, AccessKeyID: ev.AccessKeyID, SourceIP: ev.SourceIP, Region: ev.Region, Source: ev.Source})
		return nil
	}, nil)
	if err != nil {
		return fmt.Errorf("read CloudTrail: %w", err)
	}
	for _, w := range st.Warnings {
		snap.Errors = append(snap.Errors, model.SourceError{Source: "cloudtrail " + w.Source, Message: trailWarning(w)})
	}
	if n := st.Skipped - int64(len(st.Warnings)); n > 0 {
		snap.Errors = append(snap.Errors, model.SourceError{Source: "cloudtrail", Message: plural(int(n), "more part", "more parts") + " skipped"})
	}
	d.logger().Info("read CloudTrail", "inputs", st.Inputs, "records", st.Records, "root_events", st.Events, "since", f.Since.Format(time.RFC3339))
	from := strings.Join(in.CloudTrail, ", ")
	for i := range snap.Accounts {
		a := &snap.Accounts[i]
		// Events that were read always count, whatever else could not be.
		evs := byAccount[a.ID]
		slices.SortStableFunc(evs, func(x, y model.RootEvent) int { return y.Time.Compare(x.Time) })
		if evs == nil {
			evs = []model.RootEvent{}
		}
		c := cov.For(a.ID, f.Since, now)
		a.CloudTrail = &model.RootActivity{Since: f.Since, Until: now, Events: evs, Coverage: &c}
		switch {
		case len(c.Unread) > 0:
			counted := ""
			if len(evs) > 0 {
				counted = fmt.Sprintf("; the %s read count", plural(len(evs), "root event", "root events"))
			}
			snap.Errors = append(snap.Errors, model.SourceError{Account: a.ID, Source: "cloudtrail",
				Message: fmt.Sprintf("%s that may hold the account's events could not be read, or only in part (see errors): %s%s",
					plural(max(c.UnreadTotal, len(c.Unread)), "input", "inputs"), strings.Join(c.Unread, ", "), counted)})
		case c.Files == 0 && c.Selections == 0:
			snap.Errors = append(snap.Errors, model.SourceError{Account: a.ID, Source: "cloudtrail",
				Message: fmt.Sprintf("no CloudTrail log of the account from %s on was read from %s (a delivery file of its AWSLogs/%s/ folder, or records naming it): no root activity can be shown absent",
					f.Since.Format(time.RFC3339), from, a.ID)})
		}
	}
	return nil
}

func trailWarning(w trail.Warning) string {
	if w.Line > 0 || w.Offset > 0 {
		return where(w) + ": " + w.Msg
	}
	return w.Msg
}
