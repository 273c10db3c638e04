package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/model"
)

// collectLive audits the account of the current AWS credentials or, with
// --org, every active account of its organization: internal/collect does
// the work; this glues the flags, the progress line and the snapshot. An
// error means nothing could be collected (no credentials, not an
// organization); accounts and collectors that fail are recorded in the
// snapshot's errors instead.
func collectLive(ctx context.Context, d *Deps, o *InputOptions, now time.Time) (*model.Snapshot, error) {
	cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: o.Profile, Region: o.Region, EndpointURL: o.EndpointURL, Record: d.AWSRecord, APITimeout: o.APITimeout})
	if err != nil {
		return nil, err
	}
	current, partition, err := collect.CurrentAccount(ctx, collect.NewClients(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w\n(rootwatch uses the AWS credential chain: AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID, SSO, instance and container roles)", err)
	}
	ro := collect.RunOptions{
		Options:     collect.Options{MaxReportAge: o.maxReportAge, Facts: o.facts, Assets: o.Assets, Now: d.Now},
		Concurrency: o.Concurrency, RoleName: o.RoleName, ExternalID: o.ExternalID, AssumeRoot: o.AssumeRoot,
		Accounts: o.Accounts, ExcludeAccounts: o.ExcludeAccounts, OUs: o.OUs,
		Clients: d.AWSClients, OrgAPI: d.OrgAPI,
	}
	snap := &model.Snapshot{CollectedAt: now}
	log := d.logger()
	if !o.Org {
		log.Info("auditing the current account", "account", current)
		a, errs := collect.RunAccount(ctx, cfg, current, partition, ro)
		if err := ctx.Err(); err != nil {
			return nil, err // interrupted: the collectors' errors say only that
		}
		snap.Accounts, snap.Errors = []model.Account{a}, errs
		logErrorClasses(d, snap.Errors)
		return snap, nil
	}

	var mu sync.Mutex // guards the progress line, started by Listed
	var progress *fileProgress
	done := 0
	ev := collect.OrgEvents{
		Started: func(org model.Organization) {
			if len(o.Accounts)+len(o.ExcludeAccounts)+len(o.OUs) > 0 {
				log.Info("auditing the organization", "org", org.ID, "concurrency", o.Concurrency)
			} else {
				log.Info("auditing the organization as its accounts are listed", "org", org.ID, "concurrency", o.Concurrency)
			}
		},
		Listed: func(total int) {
			log.Info("organization listed", "accounts", total)
			if !d.IO().ShowProgress() {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			progress = &fileProgress{w: d.ErrOut, what: "auditing accounts", unit: "accounts", threshold: 2}
			progress.Start(total)
			progress.Add(done)
		},
		Account: func(a model.Account, errs []model.SourceError) {
			snap.Accounts = append(snap.Accounts, a)
			snap.Errors = append(snap.Errors, errs...)
			mu.Lock()
			defer mu.Unlock()
			done++
			if progress != nil {
				progress.Add(1)
			}
		},
	}
	res, err := collect.RunOrg(ctx, cfg, current, partition, ro, ev)
	if progress != nil {
		progress.Finish()
	}
	if err != nil {
		return nil, err
	}
	if len(res.NotActive) > 0 {
		log.Info("accounts not audited: not active", "accounts", strings.Join(res.NotActive, ", "))
	}
	snap.Organizations = []model.Organization{res.Organization}
	snap.Errors = append(snap.Errors, res.Errors...)
	slices.SortFunc(snap.Accounts, func(a, b model.Account) int { return strings.Compare(a.ID, b.ID) })
	slices.SortStableFunc(snap.Errors, func(a, b model.SourceError) int { return strings.Compare(a.Account, b.Account) })
	snap.ResolveElsewhereAlarms()
	logErrorClasses(d, snap.Errors)
	return snap, nil
}

// logErrorClasses counts the run's errors by class (access_denied,
// not_enabled, throttled, not_found, timeout, other): what to fix first.
func logErrorClasses(d *Deps, errs []model.SourceError) {
	counts := collect.CountByClass(errs)
	if len(counts) == 0 {
		return
	}
	args := []any{"errors", len(errs)}
	for _, c := range counts {
		args = append(args, c.Class, c.Count)
	}
	d.logger().Warn("errors by class", args...)
}
