package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/pause"
)

// collectLive audits the account of the current AWS credentials or, with
// --org, every active account of its organization. An error means nothing
// could be collected (no credentials, not an organization); accounts and
// collectors that fail are recorded in the snapshot's errors instead.
func collectLive(ctx context.Context, d *Deps, o *InputOptions, now time.Time) (*model.Snapshot, error) {
	cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: o.Profile, Region: o.Region, EndpointURL: o.EndpointURL, Record: d.AWSRecord, APITimeout: o.APITimeout})
	if err != nil {
		return nil, err
	}
	current, partition, err := collect.CurrentAccount(ctx, collect.NewClients(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w\n(rootwatch uses the AWS credential chain: AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID, SSO, instance and container roles)", err)
	}
	// --concurrency bounds the accounts being worked on; one waiting for its
	// credential report to be generated gives its place to another
	// meanwhile, so the wait costs no throughput.
	sem := semaphore.NewWeighted(int64(max(1, o.Concurrency)))
	poll := collect.DefaultPoll()
	poll.Sleep = func(ctx context.Context, d time.Duration) error {
		sem.Release(1)
		err := pause.Sleep(ctx, d)
		// Taken back whatever happened, as the account's goroutine gives it
		// back when it ends.
		_ = sem.Acquire(context.Background(), 1)
		return err
	}
	cs := collect.Collectors(collect.Options{MaxReportAge: o.maxReportAge, Poll: poll, Facts: o.facts, Assets: o.Assets, Now: d.Now})
	snap := &model.Snapshot{CollectedAt: now}
	if !o.Org {
		d.logger().Info("auditing the current account", "account", current)
		a := model.Account{ID: current, Partition: partition}
		_ = sem.Acquire(context.Background(), 1) // the poll gives it back while it waits
		snap.Errors = collect.CollectAccount(ctx, cs, d.awsClients(cfg, current), &a)
		sem.Release(1)
		if err := ctx.Err(); err != nil {
			return nil, err // interrupted: the collectors' errors say only that
		}
		snap.Accounts = []model.Account{a}
		logErrorClasses(d, snap.Errors)
		return snap, nil
	}

	orgAPI := d.orgAPI(cfg)
	org, err := collect.DescribeOrganization(ctx, orgAPI)
	if err != nil {
		return nil, fmt.Errorf("%w\n(--org runs from the organization's management account or a delegated administrator)", err)
	}
	snap.Organizations = []model.Organization{org}

	scps := &collect.SCPReader{API: orgAPI}
	// Centralized root access is a fact of the organization, read once from
	// here while the members are collected; a failure leaves it unknown for
	// every member.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var central *model.CentralizedRoot
	var centralErr error
	centralDone := make(chan struct{})
	go func() {
		defer close(centralDone)
		if o.needs("centralized_root") {
			central, centralErr = collect.CentralizedRootAccess(wctx, d.awsClients(cfg, current).IAM)
		}
	}()
	// stop ends the run early: nothing of it is kept.
	stop := func(err error) (*model.Snapshot, error) {
		cancel()
		<-centralDone
		return nil, err
	}

	var mu sync.Mutex // guards accounts, snap.Errors and the progress
	var accounts []model.Account
	var progress *fileProgress
	audited := 0
	g, gctx := errgroup.WithContext(wctx)
	audit := func(m collect.OrgAccount) {
		if err := sem.Acquire(gctx, 1); err != nil {
			return // cancelled: g.Wait says why
		}
		g.Go(func() error {
			defer sem.Release(1)
			a := model.Account{ID: m.ID, Name: m.Name, Partition: partition, Org: org.ID, OUPath: m.OUPath, IsManagement: m.ID == org.ManagementAccount}
			errs := collectMember(gctx, d, o, cfg, current, cs, &a)
			if o.AssumeRoot && !a.IsManagement && o.needs("root") {
				errs = append(errs, readRootInSession(gctx, d, cfg, current, &a, now)...)
			}
			// SCPs never apply to the management account: not read for it.
			if !a.IsManagement && o.needs("scp") {
				if guard, err := scps.Guardrail(gctx, m); err != nil {
					errs = append(errs, collect.SourceError(a.ID, "service control policies", err))
					a.FailedCollectors = append(a.FailedCollectors, "service control policies")
				} else {
					a.SCP = guard
				}
			}
			mu.Lock()
			accounts = append(accounts, a)
			snap.Errors = append(snap.Errors, errs...)
			audited++
			if progress != nil {
				progress.Add(1)
			}
			mu.Unlock()
			return gctx.Err()
		})
	}
	startProgress := func(total int) {
		if !d.ErrIsTerminal {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		progress = &fileProgress{w: d.ErrOut, what: "auditing accounts", unit: "accounts", threshold: 2}
		progress.Start(total)
		progress.Add(audited)
	}

	var targets []collect.OrgAccount
	if len(o.Accounts)+len(o.ExcludeAccounts)+len(o.OUs) > 0 {
		// Narrowed: the names given are checked against the whole
		// organization before anything is collected.
		members, skipped, err := collect.WalkAccounts(ctx, orgAPI, nil)
		if err != nil {
			return stop(err)
		}
		if targets, err = o.selectAccounts(members, len(skipped) > 0); err != nil {
			return stop(withSkipped(err, skipped))
		}
		snap.Errors = append(snap.Errors, skipped...)
		d.logger().Info("auditing the organization", "org", org.ID, "accounts", len(targets), "concurrency", o.Concurrency)
		startProgress(len(targets))
		for _, m := range targets {
			audit(m)
		}
	} else {
		// Every active account: each is audited as soon as the walk lists
		// it, so a large organization's dozens of pages overlap the work.
		d.logger().Info("auditing the organization as its accounts are listed", "org", org.ID, "concurrency", o.Concurrency)
		queue := make(chan collect.OrgAccount, 1<<16)
		dispatched := make(chan struct{})
		go func() {
			defer close(dispatched)
			for m := range queue {
				audit(m)
			}
		}()
		members, skipped, werr := collect.WalkAccounts(gctx, orgAPI, func(m collect.OrgAccount) {
			if m.Status == "ACTIVE" {
				queue <- m
			}
		})
		close(queue)
		<-dispatched
		if werr == nil {
			targets, werr = o.selectAccounts(members, len(skipped) > 0)
		}
		// Parts of the tree that could not be listed: what was listed is
		// audited, and the run exits 3.
		mu.Lock()
		snap.Errors = append(snap.Errors, skipped...)
		mu.Unlock()
		if werr != nil {
			cancel()
			_ = g.Wait()
			return stop(withSkipped(werr, skipped))
		}
		d.logger().Info("organization listed", "accounts", len(targets))
		startProgress(len(targets))
	}
	if len(o.skipped) > 0 {
		d.logger().Info("accounts not audited: not active", "accounts", strings.Join(o.skipped, ", "))
	}
	mu.Lock() // the workers are running
	snap.Errors = append(snap.Errors, o.notAudited...)
	mu.Unlock()
	err = g.Wait()
	<-centralDone
	if err == nil {
		err = ctx.Err() // interrupted while the centralized-root read went on
	}
	if progress != nil {
		progress.Finish()
	}
	if err != nil {
		return nil, err
	}
	if centralErr != nil {
		snap.Errors = append(snap.Errors, collect.SourceError(current, "centralized root access", centralErr))
	}
	slices.SortFunc(accounts, func(a, b model.Account) int { return strings.Compare(a.ID, b.ID) })
	for i := range accounts {
		if !o.needs("centralized_root") {
			continue
		}
		if centralErr != nil {
			accounts[i].FailedCollectors = append(accounts[i].FailedCollectors, "centralized root access")
		} else {
			accounts[i].CentralizedRoot = central
		}
	}
	slices.SortFunc(snap.Errors, func(a, b model.SourceError) int { return strings.Compare(a.Account, b.Account) })
	snap.Accounts = accounts
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

// collectMember reaches one account (through a role, unless it is the one
// the credentials are of) and runs the collectors there.
func collectMember(ctx context.Context, d *Deps, o *InputOptions, base aws.Config, current string, cs []collect.Collector, a *model.Account) []model.SourceError {
	cfg := base
	// A member's alternate contacts are read from here, with its account
	// ID: no role needed in the member.
	fromHere := d.awsClients(base, current)
	withContacts := func(c *collect.Clients) *collect.Clients {
		if a.ID != current {
			c.Account, c.ContactsOf = fromHere.Account, a.ID
		}
		return c
	}
	// Contacts are read from here: a run that needs nothing else assumes no
	// role.
	inMember := slices.ContainsFunc(cs, func(c collect.Collector) bool { return !collect.ReadsContacts(c) })
	if a.ID != current && !inMember {
		return collect.CollectAccount(ctx, cs, withContacts(collect.NewClients(base)), a)
	}
	if a.ID != current {
		role := collect.RoleARN(a.Partition, a.ID, o.RoleName)
		cfg = collect.AssumeRole(base, role, o.ExternalID)
		// Assume the role now, so a role that cannot be assumed is reported
		// as that, not as the first collector's failure.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			// Nothing could be read in the account: every collector's facts
			// are unknown, so their checks say error (--assume-root may
			// still read the root's credentials).
			errs := []model.SourceError{{Account: a.ID, Source: "sts:AssumeRole",
				Message: fmt.Sprintf("cannot assume %s: %s", role, collect.Describe(err)), Class: collect.Classify(err)}}
			var contacts []collect.Collector
			for _, c := range cs {
				if collect.ReadsContacts(c) {
					contacts = append(contacts, c)
					continue
				}
				a.FailedCollectors = append(a.FailedCollectors, c.Name())
			}
			return append(errs, collect.CollectAccount(ctx, contacts, withContacts(collect.NewClients(base)), a)...)
		}
	}
	return collect.CollectAccount(ctx, cs, withContacts(d.awsClients(cfg, a.ID)), a)
}

// readRootInSession reads a member root's credentials in an AssumeRoot
// session with the audit task policy. They replace what the credential
// report said (a live read has no 4-hour lag); the report's IAM user count
// is kept.
func readRootInSession(ctx context.Context, d *Deps, base aws.Config, current string, a *model.Account, now time.Time) []model.SourceError {
	rootCfg := collect.AssumeRootConfig(base, d.awsClients(base, current).STS, a.ID)
	// The session is opened once, with its own retries, before any call
	// in it: a refusal is reported as that, and costs one AssumeRoot call
	// (and its retries), not one for each attempt of each read.
	if _, err := rootCfg.Credentials.Retrieve(ctx); err != nil {
		return []model.SourceError{collect.SourceError(a.ID, "sts:AssumeRoot", err)}
	}
	if err := collect.RootFromSession(ctx, d.awsClients(rootCfg, a.ID).IAM, a, now); err != nil {
		return []model.SourceError{collect.SourceError(a.ID, "sts:AssumeRoot", err)}
	}
	a.FailedCollectors = slices.DeleteFunc(a.FailedCollectors, func(c string) bool { return c == "credential report" || c == "root MFA" })
	return nil
}

// selectAccounts keeps the active accounts that --accounts, --exclude-accounts
// and --ous select; naming an account or OU that is not there is an error.
// withSkipped adds to an error of the account selection the parts of the
// organization that could not be listed: often the reason nothing was
// selected.
func withSkipped(err error, skipped []model.SourceError) error {
	if len(skipped) == 0 {
		return err
	}
	var msgs []string
	for _, s := range skipped {
		msgs = append(msgs, s.Message)
	}
	return fmt.Errorf("%w; parts of the organization could not be listed: %s", err, strings.Join(msgs, "; "))
}

// incomplete says the walk missed parts of the tree: an account ID not
// seen may be there, so it is not refused, only reported if asked for.
func (o *InputOptions) selectAccounts(members []collect.OrgAccount, incomplete bool) ([]collect.OrgAccount, error) {
	for i, ou := range o.OUs {
		o.OUs[i] = strings.TrimSuffix(ou, "/") // Root/Workloads/ is Root/Workloads
	}
	known := map[string]bool{}
	ous := map[string]bool{}
	for _, m := range members {
		known[m.ID] = true
		for _, id := range m.OUIDs {
			ous[id] = true
		}
	}
	for _, id := range append(slices.Clone(o.Accounts), o.ExcludeAccounts...) {
		if !model.ValidAccountID(id) {
			return nil, fmt.Errorf("%q is not a 12-digit account ID", id)
		}
		switch {
		case known[id]:
		case !incomplete:
			return nil, fmt.Errorf("account %s is not in the organization", id)
		case slices.Contains(o.Accounts, id):
			o.notAudited = append(o.notAudited, model.SourceError{Account: id, Source: "organizations",
				Message: fmt.Sprintf("account %s was not found in the parts of the organization that could be listed: not audited", id), Class: collect.ClassNotFound})
		}
	}
	// OU paths that hold accounts, and every path above them.
	paths := map[string]bool{}
	for _, m := range members {
		for p := m.OUPath; p != ""; {
			paths[p] = true
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	for _, ou := range o.OUs {
		switch {
		case ous[ou] || paths[ou]:
		case incomplete:
			o.notAudited = append(o.notAudited, model.SourceError{Source: "organizations",
				Message: fmt.Sprintf("--ous %s was not found in the parts of the organization that could be listed: not audited", ou), Class: collect.ClassNotFound})
		default:
			return nil, fmt.Errorf("--ous %q: no such OU or root ID, nor an OU path holding accounts, in the organization (give an ou-/r- ID or a path such as Root/Workloads)", ou)
		}
	}
	var out []collect.OrgAccount
	for _, m := range members {
		switch {
		case m.Status != "ACTIVE":
			o.skipped = append(o.skipped, m.ID+" ("+strings.ToLower(m.Status)+")")
			if slices.Contains(o.Accounts, m.ID) {
				// Asked for by name: say it was not audited, and why.
				o.notAudited = append(o.notAudited, model.SourceError{Account: m.ID, Source: "organizations:ListAccountsForParent",
					Message: fmt.Sprintf("account %s is %s in the organization: not audited", m.ID, m.Status), Class: collect.ClassNotEnabled})
			}
			continue
		case len(o.Accounts) > 0 && !slices.Contains(o.Accounts, m.ID):
			continue
		case slices.Contains(o.ExcludeAccounts, m.ID):
			continue
		case len(o.OUs) > 0 && !slices.ContainsFunc(o.OUs, func(ou string) bool {
			return slices.Contains(m.OUIDs, ou) || m.OUPath == ou || strings.HasPrefix(m.OUPath, ou+"/")
		}):
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		if len(o.skipped) > 0 {
			return nil, fmt.Errorf("no active account of the organization is selected (not active: %s)", strings.Join(o.skipped, ", "))
		}
		return nil, fmt.Errorf("no active account of the organization is selected")
	}
	return out, nil
}
