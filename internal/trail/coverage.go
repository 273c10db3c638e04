package trail

import (
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Coverage records what a scan actually read for each account, so that no
// root event is taken as absent where the account's logs were never read:
//
//   - a file of CloudTrail's delivery layout
//     (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_xxxx.json.gz) covers its
//     account at its delivery time, read off its name, and the day it was
//     delivered;
//   - any other input (lookup-events output, EventBridge events, Lake
//     results, arrays) covers, for each account its records name, the
//     span from its first to its last record;
//   - an input that could not be read in whole (not opened, truncated,
//     broken records) leaves its account's logs incomplete, or, when it
//     names no account, every account's.
//
// It is safe for use by the scan's goroutines.
type Coverage struct {
	mu       sync.Mutex
	accounts map[string]*AccountCoverage
	// unplaced are the inputs of no known account that were not read in
	// whole: any account's events may be in them.
	unplaced []string
}

// AccountCoverage is what was read of one account's logs.
type AccountCoverage struct {
	// From and To bound the delivery times (delivery layout) and record
	// times (other shapes) read; zero when nothing was read.
	From, To time.Time
	// Files counts the inputs read for the account.
	Files int
	// days are the delivery days (UTC, at midnight) of the delivery
	// layout's files read; nil when none was.
	days map[time.Time]bool
	// Unread are the account's inputs that were not read in whole.
	Unread []string
}

// maxUnreadNamed bounds the inputs named as unread, per account and for
// inputs of no account.
const maxUnreadNamed = 20

// NewCoverage returns an empty coverage record.
func NewCoverage() *Coverage { return &Coverage{accounts: map[string]*AccountCoverage{}} }

func (c *Coverage) account(id string) *AccountCoverage {
	a := c.accounts[id]
	if a == nil {
		a = &AccountCoverage{}
		c.accounts[id] = a
	}
	return a
}

func (a *AccountCoverage) add(t time.Time) {
	if t.IsZero() {
		return
	}
	if a.From.IsZero() || t.Before(a.From) {
		a.From = t
	}
	if t.After(a.To) {
		a.To = t
	}
}

func (a *AccountCoverage) unread(name string) {
	if len(a.Unread) < maxUnreadNamed && !slices.Contains(a.Unread, name) {
		a.Unread = append(a.Unread, name)
	}
}

// read notes one input read: whole says it was read without a warning or
// a skipped part; seen holds, for an input outside the delivery layout, the
// span of each account its records name.
func (c *Coverage) read(name string, whole bool, seen map[string]model.Span) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := ParseDeliveryFile(name); ok {
		a := c.account(d.Account)
		a.Files++
		a.add(d.Time)
		if a.days == nil {
			a.days = map[time.Time]bool{}
		}
		a.days[d.Time.Truncate(24*time.Hour)] = true
		if !whole {
			a.unread(name)
		}
		return
	}
	for id, s := range seen {
		a := c.account(id)
		a.Files++
		a.add(s.From)
		a.add(s.To)
	}
	if !whole {
		if l, ok := ParseLayout(name); ok && l.Account != "" {
			c.account(l.Account).unread(name)
		} else if len(c.unplaced) < maxUnreadNamed {
			c.unplaced = append(c.unplaced, name)
		}
	}
}

// failed notes an input that could not be opened or listed.
func (c *Coverage) failed(name string) { c.read(name, false, nil) }

// For returns what was read of an account's logs: its span, the days
// inside [from, to) on which no delivery file of the account was read
// (for accounts read through the delivery layout), and the inputs not read
// in whole that may hold its events.
func (c *Coverage) For(account string, from, to time.Time) model.LogCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out model.LogCoverage
	a := c.accounts[account]
	if a != nil {
		out.ReadFrom, out.ReadTo, out.Files = a.From, a.To, a.Files
		out.Unread = append(out.Unread, a.Unread...)
		if a.days != nil {
			out.Gaps = missingDays(a.days, model.Later(from, a.From), model.Earlier(to, a.To))
		}
	}
	out.Unread = append(out.Unread, c.unplaced...)
	return out
}

// missingDays lists the runs of days in [from, to] on which no delivery
// file was read. from and to lie inside the span read, so the days holding
// its first and last files are never missing.
func missingDays(days map[time.Time]bool, from, to time.Time) []model.Span {
	var gaps []model.Span
	for day := from.Truncate(24 * time.Hour); !day.After(to); day = day.AddDate(0, 0, 1) {
		if days[day] {
			continue
		}
		if n := len(gaps); n > 0 && gaps[n-1].To.Equal(day) {
			gaps[n-1].To = day.AddDate(0, 0, 1)
			continue
		}
		gaps = append(gaps, model.Span{From: day, To: day.AddDate(0, 0, 1)})
	}
	return gaps
}

// DeliveryFile is what the name of a file CloudTrail delivered says.
type DeliveryFile struct {
	Account, Region string
	Time            time.Time
}

// ParseDeliveryFile reads a delivery file's name,
// ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json[.gz], wherever the
// file lies (a folder of the delivery layout or a flat copy); ok is false
// for any other name.
func ParseDeliveryFile(name string) (d DeliveryFile, ok bool) {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	parts := strings.Split(base, "_")
	if len(parts) != 5 || parts[1] != "CloudTrail" || !model.ValidAccountID(parts[0]) || parts[2] == "" {
		return DeliveryFile{}, false
	}
	t, err := time.Parse("20060102T1504Z", parts[3])
	if err != nil {
		return DeliveryFile{}, false
	}
	return DeliveryFile{Account: parts[0], Region: parts[2], Time: t.UTC()}, true
}

// seen is the span of records of each account an input holds.
type seen map[string]model.Span

// see notes a record's account and time.
func (s seen) see(r *Record) {
	id := string(r.RecipientAccountID)
	if id == "" && r.UserIdentity != nil {
		id = string(r.UserIdentity.AccountID)
	}
	if !model.ValidAccountID(id) {
		return
	}
	t, err := ParseTime(string(r.EventTime))
	if err != nil {
		return
	}
	s.merge(id, model.Span{From: t, To: t})
}

// merge widens an account's span to hold sp.
func (s seen) merge(id string, sp model.Span) {
	cur, ok := s[id]
	if !ok {
		s[id] = sp
		return
	}
	if sp.From.Before(cur.From) {
		cur.From = sp.From
	}
	if sp.To.After(cur.To) {
		cur.To = sp.To
	}
	s[id] = cur
}
