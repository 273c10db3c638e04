package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/pause"
)

// RunOptions say what a live run collects and how it reaches the accounts.
type RunOptions struct {
	// Options say what to collect (Facts, Assets, MaxReportAge) and the
	// clock (Now). Poll is set by the run.
	Options
	// Concurrency bounds the accounts being worked on at once.
	Concurrency int
	// RoleName is the role assumed in each member account, with
	// ExternalID when the role requires one.
	RoleName, ExternalID string
	// AssumeRoot reads member roots' credentials in sts:AssumeRoot
	// sessions with the audit task policy.
	AssumeRoot bool
	// Accounts, ExcludeAccounts and OUs narrow the organization's accounts
	// (IDs; ou-/r- IDs or paths such as Root/Workloads).
	Accounts, ExcludeAccounts, OUs []string
	// Clients builds an account's clients from its configuration; nil
	// means NewClients. Tests put fakes behind it.
	Clients func(cfg aws.Config, account string) *Clients
	// OrgAPI builds the Organizations client; nil means the SDK's.
	OrgAPI func(cfg aws.Config) OrgAPI
}

// needs says whether the run's checks need a fact.
func (o *RunOptions) needs(fact string) bool { return o.Facts == nil || o.Facts[fact] }

func (o *RunOptions) clients(cfg aws.Config, account string) *Clients {
	if o.Clients != nil {
		return o.Clients(cfg, account)
	}
	return NewClients(cfg)
}

// OrgEvents are told of an organization run's progress. Each is called
// from one goroutine at a time.
type OrgEvents struct {
	// Started is told the organization, before its accounts are listed.
	Started func(org model.Organization)
	// Listed is told how many accounts the run audits once the walk has
	// listed them all (some may be done before).
	Listed func(total int)
	// Account is told each account when it is done, with its errors.
	Account func(a model.Account, errs []model.SourceError)
}

// OrgRun is what an organization run found out besides its accounts.
type OrgRun struct {
	Organization model.Organization
	// Errors are the organization's: parts of it that could not be
	// listed, accounts asked for and not audited, centralized root access
	// that could not be read.
	Errors []model.SourceError
	// NotActive are the accounts left out as not active ("ID (status)").
	NotActive []string
}

// run is one live run: the semaphores bounding the accounts worked on and
// the requests in flight, and what every account needs.
type run struct {
	o         RunOptions
	cfg       aws.Config // with the requests' semaphore
	current   string
	partition string
	// accounts bounds the accounts being worked on, and calls the
	// requests in flight: both o.Concurrency. An account's collectors run
	// at once, so when fewer accounts are left than places (at the end of
	// a run), their requests take the free places instead of leaving them
	// idle.
	accounts, calls *semaphore.Weighted
	collectors      []Collector
}

func newRun(cfg aws.Config, current, partition string, o RunOptions) *run {
	n := int64(max(1, o.Concurrency))
	r := &run{o: o, current: current, partition: partition, accounts: semaphore.NewWeighted(n), calls: semaphore.NewWeighted(n)}
	r.cfg = cfg.Copy()
	r.cfg.APIOptions = append(slices.Clone(cfg.APIOptions), requestPlaces(r.calls))
	// An account waiting for its credential report to be generated gives
	// its place to another meanwhile, so the wait costs no throughput.
	poll := DefaultPoll()
	poll.Sleep = func(ctx context.Context, d time.Duration) error {
		r.accounts.Release(1)
		err := pause.Sleep(ctx, d)
		// Taken back whatever happened, as the account's goroutine gives it
		// back when it ends.
		_ = r.accounts.Acquire(context.Background(), 1)
		return err
	}
	opts := o.Options
	opts.Poll = poll
	r.collectors = Collectors(opts)
	return r
}

// RunAccount collects the account of the credentials (current).
func RunAccount(ctx context.Context, cfg aws.Config, current, partition string, o RunOptions) (model.Account, []model.SourceError) {
	r := newRun(cfg, current, partition, o)
	a := model.Account{ID: current, Partition: partition}
	_ = r.accounts.Acquire(context.Background(), 1) // the poll gives it back while it waits
	defer r.accounts.Release(1)
	return a, CollectAccount(ctx, r.collectors, r.o.clients(r.cfg, current), &a)
}

// RunOrg collects every active account of the organization (or those
// o.Accounts, o.ExcludeAccounts and o.OUs select), o.Concurrency at a
// time, each from the moment the walk lists it, and tells ev.Account of
// each when it is done. SCPs and centralized root access are read from
// here; members are reached through o.RoleName (and, with o.AssumeRoot,
// AssumeRoot sessions).
//
// An error means the run could not go on: not an organization, the
// accounts asked for are not there, or ctx ended. Accounts and collectors
// that fail are in their errors instead.
func RunOrg(ctx context.Context, cfg aws.Config, current, partition string, o RunOptions, ev OrgEvents) (*OrgRun, error) {
	r := newRun(cfg, current, partition, o)
	cfg = r.cfg
	orgAPI := organizationsAPI(cfg, o)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The organization is described while its accounts are listed: the
	// first page of accounts does not wait for it, only their audit does.
	var org model.Organization
	var orgErr error
	described := make(chan struct{})
	go func() {
		defer close(described)
		org, orgErr = DescribeOrganization(wctx, orgAPI)
		if orgErr != nil {
			orgErr = fmt.Errorf("%w\n(--org runs from the organization's management account or a delegated administrator)", orgErr)
		}
	}()
	var started sync.Once
	isOrg := func() bool {
		<-described
		started.Do(func() {
			if orgErr == nil && ev.Started != nil {
				ev.Started(org)
			}
		})
		return orgErr == nil
	}
	res := &OrgRun{}
	scps := &SCPReader{API: orgAPI}

	// Centralized root access is a fact of the organization, read once
	// from here while the members are collected; a failure leaves it
	// unknown for every member.
	var central *model.CentralizedRoot
	var centralErr error
	centralDone := make(chan struct{})
	go func() {
		defer close(centralDone)
		if o.needs("centralized_root") {
			central, centralErr = CentralizedRootAccess(wctx, o.clients(cfg, current).IAM)
		}
	}()
	// stop ends the run early: nothing of it is kept. Not being an
	// organization is the reason, if it is one.
	stop := func(err error) (*OrgRun, error) {
		if !isOrg() {
			err = orgErr
		}
		cancel()
		<-centralDone
		return nil, err
	}

	var mu sync.Mutex // serialises ev.Account and res.Errors
	g, gctx := errgroup.WithContext(wctx)
	audit := func(m OrgAccount) {
		if !isOrg() {
			return // stop says why
		}
		if err := r.accounts.Acquire(gctx, 1); err != nil {
			return // cancelled: g.Wait says why
		}
		g.Go(func() error {
			a := model.Account{ID: m.ID, Name: m.Name, Email: m.Email, Partition: partition, Org: org.ID, OUPath: m.OUPath, IsManagement: m.ID == org.ManagementAccount}
			errs := r.member(gctx, scps, m, &a)
			r.accounts.Release(1)
			// Centralized root access is the organization's: every member
			// waits for it, without holding a place.
			select {
			case <-centralDone:
			case <-gctx.Done():
				return gctx.Err()
			}
			if o.needs("centralized_root") {
				if centralErr != nil {
					a.FailedCollectors = append(a.FailedCollectors, "centralized root access")
				} else {
					a.CentralizedRoot = central
				}
			}
			if err := gctx.Err(); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if ev.Account != nil {
				ev.Account(a, errs)
			}
			return nil
		})
	}

	sel := selection{accounts: o.Accounts, exclude: o.ExcludeAccounts, ous: o.OUs}
	var targets []OrgAccount
	if sel.narrowed() {
		// Narrowed: the names given are checked against the whole
		// organization before anything is collected.
		members, skipped, err := WalkAccounts(ctx, orgAPI, nil)
		if err != nil {
			return stop(err)
		}
		if targets, err = sel.choose(members, len(skipped) > 0); err != nil {
			return stop(withSkipped(err, skipped))
		}
		if !isOrg() {
			return stop(orgErr)
		}
		res.Errors = append(res.Errors, skipped...)
		if ev.Listed != nil {
			ev.Listed(len(targets))
		}
		for _, m := range targets {
			audit(m)
		}
	} else {
		// Every active account: each is audited as soon as the walk lists
		// it, so a large organization's dozens of pages overlap the work.
		queue := make(chan OrgAccount, 1<<16)
		dispatched := make(chan struct{})
		go func() {
			defer close(dispatched)
			for m := range queue {
				audit(m)
			}
		}()
		members, skipped, werr := WalkAccounts(gctx, orgAPI, func(m OrgAccount) {
			if m.Status == "ACTIVE" {
				queue <- m
			}
		})
		close(queue)
		<-dispatched
		if werr == nil {
			targets, werr = sel.choose(members, len(skipped) > 0)
		}
		// Parts of the tree that could not be listed: what was listed is
		// audited, and the run exits 3.
		mu.Lock()
		res.Errors = append(res.Errors, skipped...)
		mu.Unlock()
		if werr == nil && !isOrg() {
			werr = orgErr
		}
		if werr != nil {
			cancel()
			_ = g.Wait()
			return stop(withSkipped(werr, skipped))
		}
		if ev.Listed != nil {
			mu.Lock()
			ev.Listed(len(targets))
			mu.Unlock()
		}
	}
	mu.Lock() // the workers are running
	res.Errors = append(res.Errors, sel.notAudited...)
	mu.Unlock()
	res.NotActive = sel.notActive
	err := g.Wait()
	<-centralDone
	if err == nil {
		err = ctx.Err() // interrupted while the centralized-root read went on
	}
	if err != nil {
		return nil, err
	}
	if centralErr != nil {
		res.Errors = append(res.Errors, SourceError(current, "centralized root access", centralErr))
	}
	res.Organization = org
	return res, nil
}

// organizationsAPI builds the Organizations client of a run.
func organizationsAPI(cfg aws.Config, o RunOptions) OrgAPI {
	if o.OrgAPI != nil {
		return o.OrgAPI(cfg)
	}
	return organizations.NewFromConfig(cfg)
}

// member collects one member account: its collectors (through a role
// unless it is the current account), its root in an AssumeRoot session,
// and the SCPs over it.
func (r *run) member(ctx context.Context, scps *SCPReader, m OrgAccount, a *model.Account) []model.SourceError {
	// The SCPs over the account are read from here while its collectors
	// run. They never apply to the management account: not read for it.
	var guard *model.SCPGuardrail
	var scpErr error
	var wg sync.WaitGroup
	if !a.IsManagement && r.o.needs("scp") {
		wg.Go(func() { guard, scpErr = scps.Guardrail(ctx, m) })
	}
	errs := r.collectMember(ctx, a)
	if r.o.AssumeRoot && !a.IsManagement && r.o.needs("root") {
		errs = append(errs, r.rootInSession(ctx, a)...)
	}
	wg.Wait()
	switch {
	case scpErr != nil:
		errs = append(errs, SourceError(a.ID, "service control policies", scpErr))
		a.FailedCollectors = append(a.FailedCollectors, "service control policies")
	case guard != nil:
		a.SCP = guard
	}
	return errs
}

// collectMember reaches one account (through a role, unless it is the one
// the credentials are of) and runs the collectors there.
func (r *run) collectMember(ctx context.Context, a *model.Account) []model.SourceError {
	cfg := r.cfg
	// A member's alternate contacts are read from here, with its account
	// ID: no role needed in the member.
	fromHere := r.o.clients(r.cfg, r.current)
	withContacts := func(c *Clients) *Clients {
		if a.ID != r.current {
			c.Account, c.ContactsOf = fromHere.Account, a.ID
		}
		return c
	}
	// Contacts are read from here: a run that needs nothing else assumes no
	// role.
	inMember := slices.ContainsFunc(r.collectors, func(c Collector) bool { return !ReadsContacts(c) })
	if a.ID != r.current && !inMember {
		return CollectAccount(ctx, r.collectors, withContacts(NewClients(r.cfg)), a)
	}
	if a.ID != r.current {
		role := RoleARN(a.Partition, a.ID, r.o.RoleName)
		cfg = AssumeRole(r.cfg, role, r.o.ExternalID)
		// Assume the role now, so a role that cannot be assumed is reported
		// as that, not as the first collector's failure.
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			// Nothing could be read in the account: every collector's facts
			// are unknown, so their checks say error (--assume-root may
			// still read the root's credentials).
			errs := []model.SourceError{{Account: a.ID, Source: "sts:AssumeRole",
				Message: fmt.Sprintf("cannot assume %s: %s", role, describe(err)), Class: Classify(err)}}
			var contacts []Collector
			for _, c := range r.collectors {
				if ReadsContacts(c) {
					contacts = append(contacts, c)
					continue
				}
				a.FailedCollectors = append(a.FailedCollectors, c.Name())
			}
			return append(errs, CollectAccount(ctx, contacts, withContacts(NewClients(r.cfg)), a)...)
		}
	}
	return CollectAccount(ctx, r.collectors, withContacts(r.o.clients(cfg, a.ID)), a)
}

// rootInSession reads a member root's credentials in an AssumeRoot
// session with the audit task policy. They replace what the credential
// report said (a live read has no 4-hour lag); the report's IAM user count
// is kept.
func (r *run) rootInSession(ctx context.Context, a *model.Account) []model.SourceError {
	rootCfg := AssumeRootConfig(r.cfg, r.o.clients(r.cfg, r.current).STS, a.ID)
	// The session is opened once, with its own retries, before any call
	// in it: a refusal is reported as that, and costs one AssumeRoot call
	// (and its retries), not one for each attempt of each read.
	if _, err := rootCfg.Credentials.Retrieve(ctx); err != nil {
		return []model.SourceError{SourceError(a.ID, "sts:AssumeRoot", err)}
	}
	if err := RootFromSession(ctx, r.o.clients(rootCfg, a.ID).IAM, a, r.o.now()); err != nil {
		return []model.SourceError{SourceError(a.ID, "sts:AssumeRoot", err)}
	}
	a.FailedCollectors = slices.DeleteFunc(a.FailedCollectors, func(c string) bool { return c == "credential report" || c == "root MFA" })
	return nil
}

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

// selection is --accounts, --exclude-accounts and --ous, and what
// choosing with them found: accounts left out as not active, and accounts
// or OUs asked for that were not audited.
type selection struct {
	accounts, exclude, ous []string
	notActive              []string
	notAudited             []model.SourceError
}

func (s *selection) narrowed() bool { return len(s.accounts)+len(s.exclude)+len(s.ous) > 0 }

// choose keeps the active accounts the selection names; naming an account
// or OU that is not there is an error. incomplete says the walk missed
// parts of the tree: an account ID not seen may be there, so it is not
// refused, only reported if asked for.
func (s *selection) choose(members []OrgAccount, incomplete bool) ([]OrgAccount, error) {
	ous := make([]string, len(s.ous))
	for i, ou := range s.ous {
		ous[i] = strings.TrimSuffix(ou, "/") // Root/Workloads/ is Root/Workloads
	}
	known := map[string]bool{}
	ouIDs := map[string]bool{}
	for _, m := range members {
		known[m.ID] = true
		for _, id := range m.OUIDs {
			ouIDs[id] = true
		}
	}
	for _, id := range append(slices.Clone(s.accounts), s.exclude...) {
		if !model.ValidAccountID(id) {
			return nil, fmt.Errorf("%q is not a 12-digit account ID", id)
		}
		switch {
		case known[id]:
		case !incomplete:
			return nil, fmt.Errorf("account %s is not in the organization", id)
		case slices.Contains(s.accounts, id):
			s.notAudited = append(s.notAudited, model.SourceError{Account: id, Source: "organizations", Class: ClassNotFound,
				Message: fmt.Sprintf("account %s was not found in the parts of the organization that could be listed: not audited", id)})
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
	for _, ou := range ous {
		switch {
		case ouIDs[ou] || paths[ou]:
		case incomplete:
			s.notAudited = append(s.notAudited, model.SourceError{Source: "organizations", Class: ClassNotFound,
				Message: fmt.Sprintf("--ous %s was not found in the parts of the organization that could be listed: not audited", ou)})
		default:
			return nil, fmt.Errorf("--ous %q: no such OU or root ID, nor an OU path holding accounts, in the organization (give an ou-/r- ID or a path such as Root/Workloads)", ou)
		}
	}
	var out []OrgAccount
	for _, m := range members {
		switch {
		case m.Status != "ACTIVE":
			s.notActive = append(s.notActive, m.ID+" ("+strings.ToLower(m.Status)+")")
			if slices.Contains(s.accounts, m.ID) {
				// Asked for by name: say it was not audited, and why.
				s.notAudited = append(s.notAudited, model.SourceError{Account: m.ID, Source: "organizations:ListAccountsForParent", Class: ClassNotEnabled,
					Message: fmt.Sprintf("account %s is %s in the organization: not audited", m.ID, m.Status)})
			}
			continue
		case len(s.accounts) > 0 && !slices.Contains(s.accounts, m.ID):
			continue
		case slices.Contains(s.exclude, m.ID):
			continue
		case len(ous) > 0 && !slices.ContainsFunc(ous, func(ou string) bool {
			return slices.Contains(m.OUIDs, ou) || m.OUPath == ou || strings.HasPrefix(m.OUPath, ou+"/")
		}):
			continue
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		if len(s.notActive) > 0 {
			return nil, fmt.Errorf("no active account of the organization is selected (not active: %s)", strings.Join(s.notActive, ", "))
		}
		return nil, fmt.Errorf("no active account of the organization is selected")
	}
	return out, nil
}

// holdsPlace marks a context whose request holds a place of the run: the
// credentials fetched for it (sts:AssumeRole, sts:AssumeRoot, made inside
// the request) use that place, or every place could be held by requests
// waiting for credentials that wait for a place.
type holdsPlace struct{}

// requestPlaces makes every attempt of every call hold one of places
// while it is sent and answered. The wait for a place comes before the
// attempt's timeout starts, and after the retryer's backoff.
func requestPlaces(places *semaphore.Weighted) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("rootwatchRequestPlace",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if ctx.Value(holdsPlace{}) != nil {
					return next.HandleFinalize(ctx, in)
				}
				if err := places.Acquire(ctx, 1); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, err
				}
				defer places.Release(1)
				return next.HandleFinalize(context.WithValue(ctx, holdsPlace{}, true), in)
			})
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return s.Finalize.Add(mw, middleware.Before)
	}
}
