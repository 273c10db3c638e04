package trail

import (
	"bytes"
	"path"
	"slices"
	"sort"
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
//     account on the day it was delivered, read off its name;
//   - any other log file ({"Records":[...]}) covers, for each account its
//     records name, the span from its first to its last record; separate
//     files are separate spans, and what lies between them is not read;
//   - lookup-events output, EventBridge events, CloudTrail Lake results
//     and bare arrays or lines of records are selections (a query, a rule,
//     a filter chose them): their events count, but they cover nothing,
//     since what was left out of them is unknown;
//   - an input that could not be read in whole (not opened, truncated,
//     broken records) leaves its account's logs incomplete, or, when it
//     names no account, every account's.
//
// It is safe for use by the scan's goroutines.
type Coverage struct {
	mu       sync.Mutex
	accounts map[string]*accountCoverage
	// unplaced are the inputs of no known account that were not read in
	// whole: any account's events may be in them.
	unplaced      []string
	unplacedTotal int
}

// accountCoverage is what was read of one account's logs.
type accountCoverage struct {
	first, last time.Time // delivery times and record times read
	files       int       // log files read
	selections  int       // selections naming the account
	days        map[time.Time]bool
	spans       []model.Span
	regions     map[string]bool
	unread      []string
	unreadTotal int
}

// maxUnreadNamed bounds the inputs named as unread, per account and for
// inputs of no account; the count goes on.
const maxUnreadNamed = 20

// NewCoverage returns an empty coverage record.
func NewCoverage() *Coverage { return &Coverage{accounts: map[string]*accountCoverage{}} }

func (c *Coverage) account(id string) *accountCoverage {
	a := c.accounts[id]
	if a == nil {
		a = &accountCoverage{days: map[time.Time]bool{}, regions: map[string]bool{}}
		c.accounts[id] = a
	}
	return a
}

func (a *accountCoverage) add(t time.Time) {
	if t.IsZero() {
		return
	}
	if a.first.IsZero() || t.Before(a.first) {
		a.first = t
	}
	if t.After(a.last) {
		a.last = t
	}
}

func (a *accountCoverage) addUnread(name string) {
	if slices.Contains(a.unread, name) {
		return
	}
	a.unreadTotal++
	if len(a.unread) < maxUnreadNamed {
		a.unread = append(a.unread, name)
	}
}

// read notes one input read: whole says it was read without a warning or
// a skipped part; res says what its records were.
func (c *Coverage) read(name string, whole bool, res *Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if res != nil && res.NotCloudTrail {
		return // another service's file: nobody's CloudTrail events
	}
	if d, ok := ParseDeliveryFile(name); ok {
		a := c.account(d.Account)
		a.files++
		a.add(d.Time)
		a.days[d.Time.Truncate(24*time.Hour)] = true
		a.regions[d.Region] = true
		if !whole {
			a.addUnread(name)
		}
		return
	}
	if res != nil {
		for id, s := range res.Seen {
			a := c.account(id)
			a.files++
			a.add(s.From)
			a.add(s.To)
			a.spans = append(a.spans, s)
		}
		for id := range res.Selected {
			c.account(id).selections++
		}
	}
	if !whole {
		if l, ok := ParseLayout(name); ok && l.Account != "" {
			c.account(l.Account).addUnread(name)
		} else {
			c.unplacedTotal++
			if len(c.unplaced) < maxUnreadNamed {
				c.unplaced = append(c.unplaced, name)
			}
		}
	}
}

// failed notes an input that could not be opened or listed.
func (c *Coverage) failed(name string) { c.read(name, false, nil) }

// For returns what was read of an account's logs for [from, to]: the span
// read within it, the parts of it inside that span where nothing of the
// account was read, and the inputs not read in whole that may hold its
// events. Records before from were not kept, so the span starts at from
// at the earliest.
func (c *Coverage) For(account string, from, to time.Time) model.LogCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out model.LogCoverage
	if a := c.accounts[account]; a != nil {
		out.Files, out.Selections = a.files, a.selections
		if !a.first.IsZero() {
			out.ReadFrom, out.ReadTo = model.Later(a.first, from), a.last
			if out.ReadTo.Before(out.ReadFrom) {
				out.ReadFrom = out.ReadTo // all of it before from: nothing of the span
			}
			out.Gaps = holes(a.read(), out.ReadFrom, model.Earlier(to, out.ReadTo))
		}
		out.Unread = append(out.Unread, a.unread...)
		out.UnreadTotal = a.unreadTotal
		for r := range a.regions {
			out.Regions = append(out.Regions, r)
		}
		sort.Strings(out.Regions)
	}
	out.Unread = append(out.Unread, c.unplaced...)
	out.UnreadTotal += c.unplacedTotal
	return out
}

// read is what was read of the account as spans: each delivery day whole,
// each other log file from its first record to its last.
func (a *accountCoverage) read() []model.Span {
	out := make([]model.Span, 0, len(a.days)+len(a.spans))
	for d := range a.days {
		out = append(out, model.Span{From: d, To: d.Add(24 * time.Hour)})
	}
	return append(out, a.spans...)
}

// holes lists the parts of [from, to] that no span covers.
func holes(spans []model.Span, from, to time.Time) []model.Span {
	sort.Slice(spans, func(i, j int) bool { return spans[i].From.Before(spans[j].From) })
	var gaps []model.Span
	at := from // covered up to here
	for _, s := range spans {
		if !at.Before(to) {
			break
		}
		if s.From.After(at) {
			gaps = append(gaps, model.Span{From: at, To: model.Earlier(s.From, to)})
		}
		at = model.Later(at, s.To)
	}
	if at.Before(to) {
		gaps = append(gaps, model.Span{From: at, To: to})
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

// see notes a log file record's account and time.
func (s seen) see(el Element) {
	if id, at, ok := recordAccount(el); ok && !at.IsZero() {
		s.merge(id, model.Span{From: at, To: at})
	}
}

// recordAccount returns a record's account and time, read with a byte
// search where the record is plainly written (decoding every record of a
// large export would cost nine times the read), else decoded; the time is
// zero when the record has none that parses.
func recordAccount(el Element) (string, time.Time, bool) {
	if id, at, ok := accountAndTime(el.Raw); ok {
		return id, at, model.ValidAccountID(id)
	}
	r, err := Decode(el)
	if err != nil {
		return "", time.Time{}, false
	}
	id := string(r.RecipientAccountID)
	if id == "" && r.UserIdentity != nil {
		id = string(r.UserIdentity.AccountID)
	}
	at, _ := ParseTime(string(r.EventTime))
	return id, at, model.ValidAccountID(id)
}

// accountAndTime finds a record's recipientAccountId and eventTime by
// their keys; ok is false when either is missing or written with escapes.
func accountAndTime(raw []byte) (string, time.Time, bool) {
	if bytes.Contains(raw, []byte(`\u`)) {
		return "", time.Time{}, false
	}
	id, ok := stringAt(raw, `"recipientAccountId"`)
	if !ok {
		return "", time.Time{}, false
	}
	ts, ok := stringAt(raw, `"eventTime"`)
	if !ok {
		return "", time.Time{}, false
	}
	at, err := ParseTime(ts)
	if err != nil {
		return "", time.Time{}, false
	}
	return id, at, true
}

// stringAt returns the string value after the first occurrence of key.
func stringAt(raw []byte, key string) (string, bool) {
	i := bytes.Index(raw, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := bytes.TrimLeft(raw[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return "", false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '"' {
		return "", false
	}
	end := bytes.IndexAny(rest[1:], `"\`)
	if end < 0 || rest[1+end] != '"' {
		return "", false
	}
	return string(rest[1 : 1+end]), true
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

// picked notes the accounts that records of a selection name.
type picked map[string]bool

func (p picked) see(el Element) {
	if id, _, ok := recordAccount(el); ok {
		p[id] = true
	}
}
