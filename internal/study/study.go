// Package study computes the seed study's figures (seeds/000: root use
// across a fleet audited weekly) from the observations a history store
// keeps, week by week and over the period.
//
// The method, exactly (issue 12):
//
//   - A week is an ISO week in UTC: from Monday 00:00:00 UTC to the next
//     Monday, exclusive. An observation belongs to the week that holds its
//     AsOf (its credential report's generation time). Several audits of an
//     account in one week count as that week's last audit: the observation
//     with the latest AsOf is kept (ties: the higher RunID, then a fixed
//     order of the facts, so the order observations arrive in never changes
//     a figure). Weeks without an observation are not listed.
//   - A use is an account-week whose kept observation shows root's password
//     or either access key (active or not: the use happened) last used
//     within the window before AsOf: AsOf - last_used <= window, as the
//     root-recent-use check judges it. A key use is one whose key last-used
//     date is in the window, a console use one whose password last-used date
//     is; a console use is without MFA when root had no MFA at that audit.
//     An account-week with both is one use, one key use and one console use.
//   - Accounts created less than the grace period before AsOf (AsOf -
//     created_at < grace, as the checks judge it) are left out of every use
//     figure; accounts_eligible counts the others. An account whose
//     creation time is not known is eligible.
//   - Root keys count every account audited that week, young ones included:
//     accounts with an active root key, and accounts with an active key last
//     rotated more than KeyMaxAge (default 90 days) before AsOf (exactly 90
//     days is not old; an active key without a rotation date is not counted
//     as old).
//   - used_root_by_size buckets the week's using accounts by the asset count
//     at that audit (model.SizeOf: small < 50, medium 50-250, large > 250).
//     Accounts whose asset count is not known (or negative) are in no
//     bucket, so the buckets may add up to less than accounts_used_root.
//   - orgs counts the organizations of the week's accounts, orgs_used_root
//     those with at least one account-use that week. An account without an
//     organization is in no organization figure.
//   - Over the period: weeks is the number of weeks listed; accounts and
//     organizations are the distinct ones audited in any week; uses (and
//     key, console and without-MFA uses) are the sums of the weekly ones;
//     a repeat offender is an account with uses in two weeks or more;
//     concentration_half_of_uses is the smallest number of using accounts
//     whose uses add up to at least half of all uses (0 with no use);
//     accounts and organizations with root keys are those with an active
//     root key at any kept audit. An account's organization is the one it
//     sat in at each audit.
//   - Exact beside sampled: where kept observations carry CloudTrail counts
//     (history.ExactCounts, counted by the audit over its own window), the
//     week's exact object sums them over the eligible accounts that have
//     them, and the period's sums the weeks'; absent when no kept
//     observation has them.
//
// Since and Until bound the observations' AsOf (both inclusive; zero is
// unbounded); Org keeps only observations of that organization. Both filter
// observations before weeks are formed, so a week cut by Until counts the
// last audit at or before Until.
package study

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/model"
)

// Options are the study's parameters.
type Options struct {
	// Window is how far back before an audit a last use counts (default
	// 7 days).
	Window time.Duration
	// GracePeriod: accounts created less than this before an audit are
	// left out of the use figures (default 30 days).
	GracePeriod time.Duration
	// KeyMaxAge: an active root key last rotated more than this before an
	// audit is old (default 90 days).
	KeyMaxAge time.Duration
	// Since and Until bound the observations' AsOf, both inclusive; zero
	// is unbounded.
	Since, Until time.Time
	// Org keeps only observations of this organization; "" keeps all.
	Org string
	// Ordered says Add receives observations in non-decreasing AsOf order
	// (a store's order): each week is folded once a later one arrives,
	// so memory does not grow with the number of weeks.
	Ordered bool
}

// DefaultOptions are the seed study's parameters (config.DefaultParams).
func DefaultOptions() Options {
	p := config.DefaultParams()
	return Options{Window: p.Window, GracePeriod: p.GracePeriod, KeyMaxAge: p.KeyMaxAge}
}

// Result is the study: its JSON is `rootwatch study --format json`.
type Result struct {
	Weeks  []Week `json:"weeks"`
	Period Period `json:"period"`
	// Offenders are the accounts with at least one use, the most uses
	// first (ties: account ID ascending): the accounts behind the period's
	// use figures, for the table and HTML writers.
	Offenders []Offender `json:"-"`
	// KeyHolders are the accounts with an active root key at any kept
	// audit, the most weeks first (ties: account ID ascending): the
	// accounts behind accounts_with_root_keys.
	KeyHolders []KeyHolder `json:"-"`
	// RootUnread counts the observations left out because the audit could
	// not read root's facts (history.Observation.RootUnread).
	RootUnread int `json:"-"`
}

// KeyHolder is one account with an active root key over the period.
type KeyHolder struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"`
	// Org is the account's organization at its last kept audit.
	Org string `json:"org,omitempty"`
	// Weeks counts the weeks whose kept audit saw an active root key;
	// OldWeeks those where it was last rotated more than KeyMaxAge before.
	Weeks    int `json:"weeks"`
	OldWeeks int `json:"old_weeks"`
}

// Week is one ISO week's figures, from its last audit of each account.
type Week struct {
	// Start is the week's Monday 00:00 UTC.
	Start time.Time `json:"-"`
	// AsOf is the latest AsOf of the observations kept for the week (the
	// week's last audit), in UTC to the second.
	AsOf                    time.Time `json:"as_of"`
	Accounts                int       `json:"accounts"`
	AccountsEligible        int       `json:"accounts_eligible"`
	Orgs                    int       `json:"orgs"`
	AccountsUsedRoot        int       `json:"accounts_used_root"`
	OrgsUsedRoot            int       `json:"orgs_used_root"`
	KeyUses                 int       `json:"key_uses"`
	ConsoleUses             int       `json:"console_uses"`
	ConsoleUsesWithoutMFA   int       `json:"console_uses_without_mfa"`
	AccountsWithRootKeys    int       `json:"accounts_with_root_keys"`
	AccountsWithOldRootKeys int       `json:"accounts_with_old_root_keys"`
	UsedRootBySize          BySize    `json:"used_root_by_size"`
	Exact                   *Exact    `json:"exact,omitempty"`
}

// BySize counts accounts by the seed's size buckets.
type BySize struct {
	Small  int `json:"small"`
	Medium int `json:"medium"`
	Large  int `json:"large"`
}

// Period is the figures over every week.
type Period struct {
	Weeks                   int    `json:"weeks"`
	Accounts                int    `json:"accounts"`
	Orgs                    int    `json:"orgs"`
	AccountsUsedRoot        int    `json:"accounts_used_root"`
	OrgsUsedRoot            int    `json:"orgs_used_root"`
	Uses                    int    `json:"uses"`
	KeyUses                 int    `json:"key_uses"`
	ConsoleUses             int    `json:"console_uses"`
	ConsoleUsesWithoutMFA   int    `json:"console_uses_without_mfa"`
	RepeatOffenders         int    `json:"repeat_offenders"`
	UsesByRepeatOffenders   int    `json:"uses_by_repeat_offenders"`
	ConcentrationHalfOfUses int    `json:"concentration_half_of_uses"`
	AccountsWithRootKeys    int    `json:"accounts_with_root_keys"`
	OrgsWithRootKeys        int    `json:"orgs_with_root_keys"`
	Exact                   *Exact `json:"exact,omitempty"`
}

// Exact sums CloudTrail's root counts where observations carry them.
type Exact struct {
	// Accounts is, for a week, the eligible accounts whose kept audit read
	// CloudTrail; for the period, the distinct such accounts.
	Accounts          int `json:"accounts"`
	SignIns           int `json:"sign_ins"`
	SignInsWithoutMFA int `json:"sign_ins_without_mfa"`
	KeySignedCalls    int `json:"key_signed_calls"`
}

// Offender is one account with uses over the period.
type Offender struct {
	Account string `json:"account"`
	Name    string `json:"name,omitempty"`
	// Org is the account's organization at its last kept audit.
	Org  string `json:"org,omitempty"`
	Uses int    `json:"uses"`
	// KeyUses, ConsoleUses and ConsoleUsesWithoutMFA split Uses as the
	// weekly figures do (a week can be both a key and a console use).
	KeyUses               int `json:"key_uses"`
	ConsoleUses           int `json:"console_uses"`
	ConsoleUsesWithoutMFA int `json:"console_uses_without_mfa"`
	// Repeat: uses in two weeks or more.
	Repeat bool `json:"repeat"`
	// InHalf: among the concentration_half_of_uses accounts (the first
	// ones in this order).
	InHalf bool `json:"in_half"`
}

// Study accumulates observations. Memory is one small record per account
// plus the cells of the weeks not yet folded: with Options.Ordered (the
// store's order), one week at a time, so it does not grow with the number
// of weeks the store holds; without it, every account-week until Result.
// Not safe for concurrent use.
type Study struct {
	opts     Options
	index    map[string]int32
	accounts []account
	orgIndex map[string]int32
	orgs     []string
	// open holds the kept cell of each account in each week not yet
	// folded: week -> account index -> cell.
	open map[int32]map[int32]cell
	// agg holds the folded weeks.
	agg aggregate
	// latest is the latest open week; spare a folded week's emptied map.
	latest int32
	spare  map[int32]cell
	// folded is the last week folded (Ordered only); hasFolded says one is.
	folded    int32
	hasFolded bool
	unread    int
}

// account is an account's identity: its name as of its latest audit.
type account struct {
	id     string
	name   string
	nameAt int64
}

// cell is the kept audit of one account in one week.
type cell struct {
	run   int64
	asOf  int64 // Unix seconds
	org   int32 // index in Study.orgs; -1 none
	flags uint16
	// exact is set when the audit counted CloudTrail's root events.
	exact *history.ExactCounts
}

const (
	fEligible uint16 = 1 << iota
	fConsole
	fKey
	fNoMFA
	fActiveKey
	fOldKey
	fSizeShift = iota // two bits: 0 unknown, 1 small, 2 medium, 3 large
)

const (
	weekSeconds = 7 * 24 * 3600
	// mondayOffset: 1970-01-01 was a Thursday; the Monday before it is
	// three days earlier.
	mondayOffset = 3 * 24 * 3600
)

// New returns an empty study with these options.
func New(opts Options) (*Study, error) {
	switch {
	case opts.Window <= 0:
		return nil, fmt.Errorf("study window %v: must be positive", opts.Window)
	case opts.GracePeriod < 0:
		return nil, fmt.Errorf("study grace period %v: must not be negative", opts.GracePeriod)
	case opts.KeyMaxAge <= 0:
		return nil, fmt.Errorf("study key age limit %v: must be positive", opts.KeyMaxAge)
	case !opts.Since.IsZero() && !opts.Until.IsZero() && opts.Until.Before(opts.Since):
		return nil, fmt.Errorf("study period: until %s is before since %s", opts.Until.UTC().Format(time.RFC3339), opts.Since.UTC().Format(time.RFC3339))
	}
	return &Study{opts: opts, index: map[string]int32{}, orgIndex: map[string]int32{}, open: map[int32]map[int32]cell{}}, nil
}

// ErrBadObservation is wrapped by Add's errors about an observation it
// cannot place.
var ErrBadObservation = errors.New("observation cannot be studied")

// ErrOutOfOrder is wrapped by Add's error, with Options.Ordered, about an
// observation of a week already folded.
var ErrOutOfOrder = errors.New("observation out of AsOf order")

// Add counts one observation, in any order (with Options.Ordered, in
// non-decreasing AsOf order). Observations outside Since, Until or Org are
// skipped, and so are those whose root facts were not read (RootUnread:
// counted in Result.RootUnread). An observation without an account or an
// as-of time is an error (wrapping ErrBadObservation) and changes nothing.
func (s *Study) Add(o history.Observation) error {
	switch {
	case o.Account == "":
		return fmt.Errorf("run %d: %w: no account", o.RunID, ErrBadObservation)
	case o.AsOf.IsZero():
		return fmt.Errorf("run %d, account %s: %w: no as-of time", o.RunID, o.Account, ErrBadObservation)
	}
	if (!s.opts.Since.IsZero() && o.AsOf.Before(s.opts.Since)) ||
		(!s.opts.Until.IsZero() && o.AsOf.After(s.opts.Until)) ||
		(s.opts.Org != "" && o.Org != s.opts.Org) {
		return nil
	}
	asOf := o.AsOf.Unix()
	week := int32(floorDiv(asOf+mondayOffset, weekSeconds))
	if s.opts.Ordered {
		if s.hasFolded && week <= s.folded {
			return fmt.Errorf("run %d, account %s at %s: %w: its week was already counted", o.RunID, o.Account,
				o.AsOf.UTC().Format(time.RFC3339), ErrOutOfOrder)
		}
		if len(s.open) > 0 && week > s.latest {
			s.foldBefore(week)
		}
	}
	if o.RootUnread {
		s.unread++
		return nil
	}
	c := cell{run: o.RunID, asOf: asOf, org: -1, flags: s.flags(o)}
	if o.Org != "" {
		c.org = s.org(o.Org)
	}
	if o.Exact != nil {
		e := *o.Exact
		c.exact = &e
	}
	i, ok := s.index[o.Account]
	if !ok {
		i = int32(len(s.accounts))
		s.index[o.Account] = i
		s.accounts = append(s.accounts, account{id: o.Account, name: o.Name, nameAt: asOf})
	}
	a := &s.accounts[i]
	if asOf > a.nameAt || (asOf == a.nameAt && o.Name > a.name) {
		a.name, a.nameAt = o.Name, asOf
	}
	cells := s.open[week]
	if cells == nil {
		cells, s.spare = s.spare, nil
		if cells == nil {
			cells = map[int32]cell{}
		}
		s.open[week] = cells
	}
	if len(s.open) == 1 || week > s.latest {
		s.latest = week
	}
	if old, ok := cells[i]; ok && s.compare(c, old) <= 0 {
		return nil
	}
	cells[i] = c
	return nil
}

// foldBefore folds the open weeks before week into the aggregate and frees
// them (Ordered only: no observation of them can come any more).
func (s *Study) foldBefore(week int32) {
	for _, w := range s.openWeeks() {
		if w >= week {
			break
		}
		cells := s.open[w]
		s.agg.fold(s, w, cells)
		delete(s.open, w)
		clear(cells)
		s.spare = cells // the next week's cells reuse its space
		s.folded, s.hasFolded = w, true
	}
}

// openWeeks lists the open weeks in ascending order.
func (s *Study) openWeeks() []int32 {
	ws := make([]int32, 0, len(s.open))
	for w := range s.open {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	return ws
}

// compare orders a new observation's cell against a kept one: the later
// audit wins, then the higher run, then a fixed order of the facts, so
// that which one is kept never depends on the order of Add calls.
func (s *Study) compare(c, old cell) int {
	if r := cmp.Compare(c.asOf, old.asOf); r != 0 {
		return r
	}
	if r := cmp.Compare(c.run, old.run); r != 0 {
		return r
	}
	if r := cmp.Compare(c.flags, old.flags); r != 0 {
		return r
	}
	if r := cmp.Compare(s.orgName(c.org), s.orgName(old.org)); r != 0 {
		return r
	}
	e, oe := c.exact, old.exact
	switch {
	case e == nil && oe == nil:
		return 0
	case e == nil:
		return -1
	case oe == nil:
		return 1
	}
	return cmp.Or(cmp.Compare(e.SignIns, oe.SignIns), cmp.Compare(e.SignInsWithoutMFA, oe.SignInsWithoutMFA), cmp.Compare(e.KeySignedCalls, oe.KeySignedCalls))
}

func (s *Study) org(name string) int32 {
	if i, ok := s.orgIndex[name]; ok {
		return i
	}
	i := int32(len(s.orgs))
	s.orgIndex[name] = i
	s.orgs = append(s.orgs, name)
	return i
}

func (s *Study) orgName(i int32) string {
	if i < 0 {
		return ""
	}
	return s.orgs[i]
}

// flags judges an observation's facts with the study's options.
func (s *Study) flags(o history.Observation) uint16 {
	var f uint16
	if o.CreatedAt.IsZero() || o.AsOf.Sub(o.CreatedAt) >= s.opts.GracePeriod {
		f |= fEligible
	}
	if s.inWindow(o.AsOf, o.PasswordLastUsed) {
		f |= fConsole
		if !o.MFA {
			f |= fNoMFA
		}
	}
	for _, k := range o.Keys {
		if s.inWindow(o.AsOf, k.LastUsed) {
			f |= fKey
		}
		if k.Active {
			f |= fActiveKey
			if !k.LastRotated.IsZero() && o.AsOf.Sub(k.LastRotated) > s.opts.KeyMaxAge {
				f |= fOldKey
			}
		}
	}
	if o.Assets != nil && *o.Assets >= 0 {
		switch model.SizeOf(*o.Assets) {
		case "small":
			f |= 1 << fSizeShift
		case "medium":
			f |= 2 << fSizeShift
		default:
			f |= 3 << fSizeShift
		}
	}
	return f
}

func (s *Study) inWindow(asOf, used time.Time) bool {
	return !used.IsZero() && asOf.Sub(used) <= s.opts.Window
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// used reports whether a kept audit is a use.
func (c cell) used() bool { return c.flags&fEligible != 0 && c.flags&(fConsole|fKey) != 0 }

// aggregate is what the folded weeks add up to: their figures, and per
// account and organization what the period's figures need.
type aggregate struct {
	weeks []Week
	stats []accountStats // by account index
	// orgs marks, per organization index, what it did over the period.
	orgs []orgStats
	pe   Exact
	// peFound: some kept audit carried exact counts.
	peFound bool
}

// accountStats is one account over the folded weeks.
type accountStats struct {
	weeks, uses, keyUses, consoleUses, withoutMFA, keyWeeks, oldKeyWeeks int32
	lastAsOf                                                             int64
	lastOrg                                                              int32
	exact                                                                bool
}

// orgStats is one organization over the folded weeks; seenWeek and
// usedWeek are 1 + the index of the last week it was counted in, so a
// week's distinct organizations are counted without clearing a set.
type orgStats struct {
	seenWeek, usedWeek int32
	used, keys         bool
}

// clone copies the aggregate so that Result can fold the open weeks
// without changing what later Adds build on.
func (g *aggregate) clone() aggregate {
	c := *g
	c.weeks = slices.Clone(g.weeks)
	c.stats = slices.Clone(g.stats)
	c.orgs = slices.Clone(g.orgs)
	return c
}

// fold adds one week's kept cells.
func (g *aggregate) fold(s *Study, week int32, cells map[int32]cell) {
	if n := len(s.accounts); len(g.stats) < n {
		g.stats = append(g.stats, make([]accountStats, n-len(g.stats))...)
	}
	if n := len(s.orgs); len(g.orgs) < n {
		g.orgs = append(g.orgs, make([]orgStats, n-len(g.orgs))...)
	}
	stamp := int32(len(g.weeks)) + 1
	w := Week{Start: time.Unix(int64(week)*weekSeconds-mondayOffset, 0).UTC()}
	var asOf int64
	var ex Exact
	var exFound bool
	for ai, c := range cells {
		st := &g.stats[ai]
		asOf = max(asOf, c.asOf)
		st.weeks++
		if st.weeks == 1 || c.asOf > st.lastAsOf {
			st.lastAsOf, st.lastOrg = c.asOf, c.org
		}
		var org *orgStats
		if c.org >= 0 {
			org = &g.orgs[c.org]
			if org.seenWeek != stamp {
				org.seenWeek = stamp
				w.Orgs++
			}
		}
		w.Accounts++
		if c.flags&fActiveKey != 0 {
			w.AccountsWithRootKeys++
			st.keyWeeks++
			if org != nil {
				org.keys = true
			}
		}
		if c.flags&fOldKey != 0 {
			w.AccountsWithOldRootKeys++
			st.oldKeyWeeks++
		}
		if c.flags&fEligible == 0 {
			continue
		}
		w.AccountsEligible++
		if c.exact != nil {
			exFound, st.exact = true, true
			ex.Accounts++
			ex.SignIns += c.exact.SignIns
			ex.SignInsWithoutMFA += c.exact.SignInsWithoutMFA
			ex.KeySignedCalls += c.exact.KeySignedCalls
		}
		if !c.used() {
			continue
		}
		st.uses++
		w.AccountsUsedRoot++
		if org != nil {
			org.used = true
			if org.usedWeek != stamp {
				org.usedWeek = stamp
				w.OrgsUsedRoot++
			}
		}
		if c.flags&fKey != 0 {
			w.KeyUses++
			st.keyUses++
		}
		if c.flags&fConsole != 0 {
			w.ConsoleUses++
			st.consoleUses++
			if c.flags&fNoMFA != 0 {
				w.ConsoleUsesWithoutMFA++
				st.withoutMFA++
			}
		}
		switch c.flags >> fSizeShift & 3 {
		case 1:
			w.UsedRootBySize.Small++
		case 2:
			w.UsedRootBySize.Medium++
		case 3:
			w.UsedRootBySize.Large++
		}
	}
	w.AsOf = time.Unix(asOf, 0).UTC()
	if exFound {
		w.Exact = &ex
		g.peFound = true
		g.pe.SignIns += ex.SignIns
		g.pe.SignInsWithoutMFA += ex.SignInsWithoutMFA
		g.pe.KeySignedCalls += ex.KeySignedCalls
	}
	g.weeks = append(g.weeks, w)
}

// Result computes the figures of the observations added so far. It can be
// called again after more are added.
func (s *Study) Result() Result {
	g := s.agg.clone()
	for _, w := range s.openWeeks() {
		g.fold(s, w, s.open[w])
	}
	r := Result{Weeks: g.weeks, RootUnread: s.unread}
	if r.Weeks == nil {
		r.Weeks = []Week{}
	}
	p := &r.Period
	p.Weeks = len(g.weeks)
	for _, w := range g.weeks {
		p.Uses += w.AccountsUsedRoot
		p.KeyUses += w.KeyUses
		p.ConsoleUses += w.ConsoleUses
		p.ConsoleUsesWithoutMFA += w.ConsoleUsesWithoutMFA
	}
	for _, o := range g.orgs {
		if o.seenWeek > 0 {
			p.Orgs++
		}
		if o.used {
			p.OrgsUsedRoot++
		}
		if o.keys {
			p.OrgsWithRootKeys++
		}
	}
	for ai, st := range g.stats {
		if st.weeks == 0 {
			continue
		}
		p.Accounts++
		a := s.accounts[ai]
		if st.exact {
			g.pe.Accounts++
		}
		if st.keyWeeks > 0 {
			p.AccountsWithRootKeys++
			r.KeyHolders = append(r.KeyHolders, KeyHolder{Account: a.id, Name: a.name, Org: s.orgName(st.lastOrg),
				Weeks: int(st.keyWeeks), OldWeeks: int(st.oldKeyWeeks)})
		}
		if st.uses == 0 {
			continue
		}
		p.AccountsUsedRoot++
		o := Offender{Account: a.id, Name: a.name, Org: s.orgName(st.lastOrg), Uses: int(st.uses), KeyUses: int(st.keyUses),
			ConsoleUses: int(st.consoleUses), ConsoleUsesWithoutMFA: int(st.withoutMFA), Repeat: st.uses >= 2}
		if o.Repeat {
			p.RepeatOffenders++
			p.UsesByRepeatOffenders += o.Uses
		}
		r.Offenders = append(r.Offenders, o)
	}
	if g.peFound {
		pe := g.pe
		p.Exact = &pe
	}
	slices.SortFunc(r.KeyHolders, func(a, b KeyHolder) int {
		return cmp.Or(cmp.Compare(b.Weeks, a.Weeks), cmp.Compare(a.Account, b.Account))
	})
	slices.SortFunc(r.Offenders, func(a, b Offender) int {
		return cmp.Or(cmp.Compare(b.Uses, a.Uses), cmp.Compare(a.Account, b.Account))
	})
	sum := 0
	for i := range r.Offenders {
		if 2*sum >= p.Uses {
			break
		}
		sum += r.Offenders[i].Uses
		r.Offenders[i].InHalf = true
		p.ConcentrationHalfOfUses++
	}
	return r
}
