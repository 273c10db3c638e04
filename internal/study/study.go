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

// Study accumulates observations; memory is one small record per
// account-week, whatever the number of observations. Not safe for
// concurrent use.
type Study struct {
	opts     Options
	index    map[string]int32
	accounts []account
	orgIndex map[string]int32
	orgs     []string
	exact    []history.ExactCounts
}

type account struct {
	id     string
	name   string
	nameAt int64
	cells  []cell
}

// cell is the kept audit of one account in one week.
type cell struct {
	run   int64
	asOf  int64 // Unix seconds
	week  int32 // weeks since the Monday before the Unix epoch
	org   int32 // index in Study.orgs; -1 none
	exact int32 // index in Study.exact; -1 none
	flags uint16
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
	return &Study{opts: opts, index: map[string]int32{}, orgIndex: map[string]int32{}}, nil
}

// ErrBadObservation is wrapped by Add's errors about an observation it
// cannot place.
var ErrBadObservation = errors.New("observation cannot be studied")

// Add counts one observation, in any order. Observations outside Since,
// Until or Org are skipped. An observation without an account or an as-of
// time is an error (wrapping ErrBadObservation) and changes nothing.
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
	c := cell{run: o.RunID, asOf: o.AsOf.Unix(), org: -1, exact: -1, flags: s.flags(o)}
	c.week = int32(floorDiv(c.asOf+mondayOffset, weekSeconds))
	if o.Org != "" {
		c.org = s.org(o.Org)
	}
	i, ok := s.index[o.Account]
	if !ok {
		i = int32(len(s.accounts))
		s.index[o.Account] = i
		s.accounts = append(s.accounts, account{id: o.Account, name: o.Name, nameAt: c.asOf})
	}
	a := &s.accounts[i]
	if c.asOf > a.nameAt || (c.asOf == a.nameAt && o.Name > a.name) {
		a.name, a.nameAt = o.Name, c.asOf
	}
	for j := range a.cells {
		old := &a.cells[j]
		if old.week != c.week {
			continue
		}
		if s.compare(c, o.Exact, *old) <= 0 {
			return nil
		}
		c.exact = old.exact
		s.setExact(&c, o.Exact)
		*old = c
		return nil
	}
	s.setExact(&c, o.Exact)
	a.cells = append(a.cells, c)
	return nil
}

// setExact points c at a copy of e, reusing the slot c already holds.
func (s *Study) setExact(c *cell, e *history.ExactCounts) {
	switch {
	case e == nil:
		c.exact = -1
	case c.exact >= 0:
		s.exact[c.exact] = *e
	default:
		c.exact = int32(len(s.exact))
		s.exact = append(s.exact, *e)
	}
}

// compare orders a new observation's cell against a kept one: the later
// audit wins, then the higher run, then a fixed order of the facts, so
// that which one is kept never depends on the order of Add calls.
func (s *Study) compare(c cell, e *history.ExactCounts, old cell) int {
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
	var oe *history.ExactCounts
	if old.exact >= 0 {
		oe = &s.exact[old.exact]
	}
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

type weekAgg struct {
	w          Week
	asOf       int64
	orgs       map[int32]struct{}
	orgsUsed   map[int32]struct{}
	exact      Exact
	exactFound bool
}

// Result computes the figures of the observations added so far. It can be
// called again after more are added.
func (s *Study) Result() Result {
	weeks := map[int32]*weekAgg{}
	periodOrgs := map[int32]struct{}{}
	periodOrgsUsed := map[int32]struct{}{}
	periodOrgsKeys := map[int32]struct{}{}
	var p Period
	var pe Exact
	var peFound bool
	var offenders []Offender
	for ai := range s.accounts {
		a := &s.accounts[ai]
		if len(a.cells) == 0 {
			continue
		}
		p.Accounts++
		uses, keys, exact, last := 0, false, false, a.cells[0]
		for _, c := range a.cells {
			if c.asOf > last.asOf || (c.asOf == last.asOf && c.week > last.week) {
				last = c
			}
			wa := weeks[c.week]
			if wa == nil {
				wa = &weekAgg{orgs: map[int32]struct{}{}, orgsUsed: map[int32]struct{}{}, asOf: c.asOf}
				wa.w.Start = time.Unix(int64(c.week)*weekSeconds-mondayOffset, 0).UTC()
				weeks[c.week] = wa
			}
			wa.asOf = max(wa.asOf, c.asOf)
			w := &wa.w
			w.Accounts++
			if c.org >= 0 {
				wa.orgs[c.org] = struct{}{}
				periodOrgs[c.org] = struct{}{}
			}
			if c.flags&fActiveKey != 0 {
				w.AccountsWithRootKeys++
				keys = true
				if c.org >= 0 {
					periodOrgsKeys[c.org] = struct{}{}
				}
			}
			if c.flags&fOldKey != 0 {
				w.AccountsWithOldRootKeys++
			}
			if c.flags&fEligible == 0 {
				continue
			}
			w.AccountsEligible++
			if c.exact >= 0 {
				e := s.exact[c.exact]
				wa.exactFound, exact = true, true
				wa.exact.Accounts++
				wa.exact.SignIns += e.SignIns
				wa.exact.SignInsWithoutMFA += e.SignInsWithoutMFA
				wa.exact.KeySignedCalls += e.KeySignedCalls
			}
			if !c.used() {
				continue
			}
			uses++
			w.AccountsUsedRoot++
			if c.org >= 0 {
				wa.orgsUsed[c.org] = struct{}{}
				periodOrgsUsed[c.org] = struct{}{}
			}
			if c.flags&fKey != 0 {
				w.KeyUses++
			}
			if c.flags&fConsole != 0 {
				w.ConsoleUses++
				if c.flags&fNoMFA != 0 {
					w.ConsoleUsesWithoutMFA++
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
		if keys {
			p.AccountsWithRootKeys++
		}
		if exact {
			peFound = true
			pe.Accounts++
		}
		if uses > 0 {
			p.AccountsUsedRoot++
			o := Offender{Account: a.id, Name: a.name, Org: s.orgName(last.org), Uses: uses, Repeat: uses >= 2}
			if o.Repeat {
				p.RepeatOffenders++
				p.UsesByRepeatOffenders += uses
			}
			offenders = append(offenders, o)
		}
	}

	keys := make([]int32, 0, len(weeks))
	for k := range weeks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r := Result{Weeks: make([]Week, 0, len(keys))}
	for _, k := range keys {
		wa := weeks[k]
		w := wa.w
		w.AsOf = time.Unix(wa.asOf, 0).UTC()
		w.Orgs, w.OrgsUsedRoot = len(wa.orgs), len(wa.orgsUsed)
		if wa.exactFound {
			e := wa.exact
			w.Exact = &e
			pe.SignIns += e.SignIns
			pe.SignInsWithoutMFA += e.SignInsWithoutMFA
			pe.KeySignedCalls += e.KeySignedCalls
		}
		p.Uses += w.AccountsUsedRoot
		p.KeyUses += w.KeyUses
		p.ConsoleUses += w.ConsoleUses
		p.ConsoleUsesWithoutMFA += w.ConsoleUsesWithoutMFA
		r.Weeks = append(r.Weeks, w)
	}
	p.Weeks = len(r.Weeks)
	p.Orgs, p.OrgsUsedRoot, p.OrgsWithRootKeys = len(periodOrgs), len(periodOrgsUsed), len(periodOrgsKeys)
	if peFound {
		p.Exact = &pe
	}

	slices.SortFunc(offenders, func(a, b Offender) int {
		return cmp.Or(cmp.Compare(b.Uses, a.Uses), cmp.Compare(a.Account, b.Account))
	})
	sum := 0
	for i := range offenders {
		if 2*sum >= p.Uses {
			break
		}
		sum += offenders[i].Uses
		offenders[i].InHalf = true
		p.ConcentrationHalfOfUses++
	}
	r.Period, r.Offenders = p, offenders
	return r
}
