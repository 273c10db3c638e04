package trail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Filter narrows the events kept; zero values keep everything.
type Filter struct {
	Since, Until time.Time // Until is exclusive
	Accounts     map[string]bool
	// AlsoRead are accounts whose logs are read though Accounts leaves
	// them out: the management account, where AssumeRoot into the listed
	// accounts is logged. Their events are kept only as far as Accounts
	// asks (an AssumeRoot into a listed account).
	AlsoRead map[string]bool
	Regions  map[string]bool
	// All keeps what AWS services did on root's behalf.
	All bool
	// Pruned, when set, counts the folders and files Skip left unread
	// (so "nothing in the window" can be told from "no logs here").
	Pruned *atomic.Int64
}

func (f *Filter) keep(ev *Event) bool {
	if !f.Since.IsZero() && ev.EventTime.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !ev.EventTime.Before(f.Until) {
		return false
	}
	if len(f.Accounts) > 0 && !f.Accounts[ev.Account] && !f.Accounts[ev.TargetAccount] {
		return false
	}
	if len(f.Regions) > 0 && !f.Regions[ev.Region] {
		return false
	}
	return true
}

// assumeRootLead is how long before Since an AssumeRoot call can have
// opened a session that acts within the window: AssumeRoot credentials last
// at most 900 seconds. Five minutes more allow for clocks.
const assumeRootLead = 20 * time.Minute

// joinOnly says whether an AssumeRoot event that keep leaves out is still
// needed to join its session's events that keep takes: it was made just
// before Since, or in a region not asked for (the management account may
// call STS in any region, and the session then acts in others). Such events
// are read for the join and not written.
func (f *Filter) joinOnly(ev *Event) bool {
	if ev.Kind != KindAssumeRoot {
		return false
	}
	if !f.Since.IsZero() && ev.EventTime.Before(f.Since.Add(-assumeRootLead)) {
		return false
	}
	if !f.Until.IsZero() && !ev.EventTime.Before(f.Until) {
		return false
	}
	return len(f.Accounts) == 0 || f.Accounts[ev.Account] || f.Accounts[ev.TargetAccount]
}

// Warning is a part of an input that was skipped.
type Warning struct {
	Source string `json:"source"`
	Line   int64  `json:"line,omitempty"`
	Offset int64  `json:"offset"`
	Msg    string `json:"message"`
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d (byte %d): %s", w.Source, w.Line, w.Offset, w.Msg)
	}
	return fmt.Sprintf("%s (byte %d): %s", w.Source, w.Offset, w.Msg)
}

// maxWarnings is how many warnings one input gives before the rest of it
// is skipped: past that it is not CloudTrail that is being read.
const maxWarnings = 20

// Result is what one input gave.
type Result struct {
	Source   string
	Events   []Event // root events, in the input's order
	Records  int64   // records read (root or not)
	Skipped  int64   // records (or parts) that could not be read
	Warnings []Warning
	// Seen is, when coverage is tracked and the input is not a delivery
	// file, the span of log file records ({"Records":[...]}) of each
	// account it holds; Selected the accounts that its other records
	// (lookup-events items, EventBridge events, Lake rows, bare records)
	// name.
	Seen     seen
	Selected picked
	// NotCloudTrail: the input is not CloudTrail at all (another service's
	// file beside the logs); it holds nobody's events.
	NotCloudTrail bool
}

func (res *Result) warn(off, line int64, format string, args ...any) {
	res.Warnings = append(res.Warnings, Warning{Source: res.Source, Offset: off, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// gzipMagic starts every gzip stream.
const gzipMagic = "\x1f\x8b"

// ReadStream reads one input: a CloudTrail file, gzip-compressed or not,
// or any of the other shapes. Broken parts are skipped with a warning
// naming the input and the position; the rest is read. Its events are
// those f keeps (Scan also gets the AssumeRoot calls it needs for the join).
func ReadStream(ctx context.Context, source string, r io.Reader, f *Filter) Result {
	var rd reader
	res := rd.read(ctx, source, r, f)
	kept := res.Events[:0]
	for _, ev := range res.Events {
		if !ev.joinOnly {
			kept = append(kept, ev)
		}
	}
	res.Events = kept
	return res
}

// reader holds what reading an input needs, reused from one input to the
// next by a scan worker: buffers and inflater state are a third of a
// megabyte, and thousands of small files would otherwise each allocate
// their own.
type reader struct {
	br *bufio.Reader
	zr *gzip.Reader
	sp *Splitter
	// nested: reading a log file found inside another input (an array of
	// log files), which is not looked into again.
	nested bool
	// track: note each record's account and time (Result.Seen) in inputs
	// whose name does not say what they cover.
	track bool
	// inner reads the log files gathered in an element (not nested).
	inner *reader
}

func (rd *reader) read(ctx context.Context, source string, r io.Reader, f *Filter) (res Result) {
	res = Result{Source: source}
	if rd.br == nil {
		rd.br = bufio.NewReaderSize(r, 64<<10)
	} else {
		rd.br.Reset(r)
	}
	br := rd.br
	in := io.Reader(br)
	if magic, _ := br.Peek(2); string(magic) == gzipMagic {
		var err error
		if rd.zr == nil {
			rd.zr, err = gzip.NewReader(br)
		} else {
			err = rd.zr.Reset(br)
		}
		if err != nil {
			res.Skipped++
			res.warn(0, 0, "not a gzip stream: %v", err)
			return res
		}
		in = rd.zr
	}
	if rd.sp == nil {
		rd.sp = NewSplitter(in)
	} else {
		rd.sp.Reset(in)
	}
	sp := rd.sp
	// A delivery file's name says whose logs it holds and when; any other
	// input's records are each looked at for their account and time.
	_, delivery := ParseDeliveryFile(source)
	track := rd.track && !delivery
	sp.Fast = !track
	if track {
		res.Seen, res.Selected = seen{}, picked{}
	}
	defer func() { res.Records += sp.Passed }()
	first := true
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return res
		}
		el, err := sp.Next()
		if err == io.EOF {
			return res
		}
		if err != nil {
			res.Skipped++
			var se *SyntaxError
			var tl *TooLargeError
			switch {
			case errors.As(err, &tl):
				res.warn(tl.Offset, tl.Line, "one element of %d bytes, over the %d MiB limit, was skipped; reading goes on after it", tl.Size, MaxElement>>20)
			case errors.As(err, &se):
				res.warn(se.Offset, se.Line, "%s; skipped to the next record", se.Msg)
			case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader):
				res.warn(sp.Offset(), 0, "truncated or corrupt gzip stream (%v): the records before this point were read", err)
			default:
				res.warn(sp.Offset(), 0, "%v", err)
			}
			if len(res.Warnings) >= maxWarnings {
				res.warn(sp.Offset(), 0, "too many errors: the rest of this input is skipped")
				return res
			}
			continue
		}
		res.Records++
		if first {
			first = false
			if !looksLikeCloudTrail(el) {
				res.Records, res.Skipped, res.NotCloudTrail = 0, 1, true
				res.warn(el.Offset, sp.Line(el.Offset), "not CloudTrail: its first record has no eventName or eventTime")
				return res
			}
		}
		if track {
			if el.Container == InRecords {
				res.Seen.see(el)
			} else {
				res.Selected.see(el)
			}
		}
		if !MayBeRoot(el.Raw) {
			continue
		}
		rec, err := Decode(el)
		if err != nil {
			if errors.Is(err, errNotCloudTrail) && el.Container == InValue {
				res.Records--
				if !rd.nested && holdsContainer(el.Raw) {
					// Log files or lookup-events pages gathered into one
					// array or stream (jq -s): each is read as an input.
					if rd.inner == nil {
						// One reader for every file of the array: its buffers
						// are a third of a megabyte.
						rd.inner = &reader{nested: true}
					}
					rd.inner.track = rd.track
					sub := rd.inner.read(ctx, source, bytes.NewReader(el.Raw), f)
					if res.Seen != nil {
						for id, sp := range sub.Seen {
							res.Seen.merge(id, sp)
						}
						for id := range sub.Selected {
							res.Selected[id] = true
						}
					}
					res.Records += sub.Records
					res.Skipped += sub.Skipped
					res.Events = append(res.Events, sub.Events...)
					for _, w := range sub.Warnings {
						res.warn(el.Offset+w.Offset, 0, "%s", w.Msg)
					}
					if len(res.Warnings) >= maxWarnings {
						res.warn(sp.Offset(), 0, "too many errors: the rest of this input is skipped")
						return res
					}
				}
				// Otherwise not every value in a JSON array or stream need
				// be a record.
				continue
			}
			res.Skipped++
			res.warn(el.Offset, sp.Line(el.Offset), "record skipped: %v", err)
			var se *json.SyntaxError
			if errors.As(err, &se) {
				// Its bounds may be wrong too: look for the next element
				// from just after its start.
				sp.Reject(el)
			}
			continue
		}
		ev, skip, err := Classify(rec, f.All)
		if err != nil {
			res.Skipped++
			res.warn(el.Offset, sp.Line(el.Offset), "record %s skipped: %v", rec.EventID, err)
			continue
		}
		if skip {
			continue
		}
		if !f.keep(&ev) {
			if !f.joinOnly(&ev) {
				continue
			}
			ev.joinOnly = true
		}
		ev.Source = source
		res.Events = append(res.Events, ev)
	}
}

// holdsContainer: an element holds an array of records, lookup-events
// items or Lake rows. A name written with escapes is read by decoding.
func holdsContainer(raw []byte) bool {
	for _, k := range []string{`"Records"`, `"Events"`, `"QueryResultRows"`} {
		if bytes.Contains(raw, []byte(k)) {
			return true
		}
	}
	if !bytes.Contains(raw, []byte(escapeMark)) {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return false
	}
	for k, v := range top {
		if _, ok := containerOf(k); ok && len(v) > 0 && v[0] == '[' {
			return true
		}
	}
	return false
}

// looksLikeCloudTrail: an element holds one of the names every CloudTrail
// element has (records, EventBridge events, lookup-events items, Lake
// rows). Names written with escapes are read by decoding.
func looksLikeCloudTrail(el Element) bool {
	for _, m := range []string{`"eventName"`, `"eventTime"`, `"EventName"`, `"eventname"`, `"eventTime`, `eventName\"`} {
		if bytes.Contains(el.Raw, []byte(m)) {
			return true
		}
	}
	if !bytes.Contains(el.Raw, []byte(escapeMark)) {
		return false
	}
	_, err := Decode(el)
	return err == nil || (el.Container == InValue && holdsContainer(el.Raw))
}
