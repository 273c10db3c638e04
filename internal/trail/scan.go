package trail

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// ScanOptions say how inputs are read.
type ScanOptions struct {
	Filter Filter
	// Workers read inputs at once (default GOMAXPROCS); events still come
	// out in the inputs' order.
	Workers int
	// Progress, when set, is told of each input read and its size.
	Progress func(size int64)
	// Coverage, when set, records what was read for each account.
	Coverage *Coverage
}

// Stats count what a scan read.
type Stats struct {
	Inputs     int64 `json:"inputs"`
	Records    int64 `json:"records"`
	Events     int64 `json:"root_events"`
	Duplicates int64 `json:"duplicates"`
	Skipped    int64 `json:"skipped"`
	// Warnings are the first MaxKeptWarnings; Skipped counts them all.
	Warnings []Warning `json:"warnings"`
}

// MaxKeptWarnings bounds the warnings kept in Stats.
const MaxKeptWarnings = 1000

// MaxHeld bounds the root events of unknown session held back for the
// AssumeRoot join (a few hundred bytes each); past it they are written
// at once, session unknown.
const MaxHeld = 100_000

// Scan reads every input and calls emit with each root event once, in the
// inputs' order (duplicates by event ID dropped). Inputs are read in
// parallel; memory holds only the inputs in flight, a 16-byte hash of
// each root event seen (for duplicates) and AssumeRoot sessions. Root events in a session of
// unknown origin are held back to the end, when the management account's
// AssumeRoot events (which may come later in the inputs) have been read.
// warn is told of each warning as it happens.
func Scan(ctx context.Context, inputs Inputs, o ScanOptions, emit func(Event) error, warn func(Warning)) (Stats, error) {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		in  Input
		err error
		out chan Result
	}
	// The window bounds the inputs read ahead of the one being written.
	jobs := make(chan job, 4*workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	work := make(chan job)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := reader{track: o.Coverage != nil}
			for j := range work {
				j.out <- rd.readInput(ctx, j.in, &o.Filter)
			}
		}()
	}
	go func() {
		defer close(jobs)
		defer close(work)
		inputs(ctx, func(in Input, err error) bool {
			j := job{in: in, err: err, out: make(chan Result, 1)}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return false
			}
			if err == nil {
				select {
				case work <- j:
				case <-ctx.Done():
					j.out <- Result{Source: in.Name} // the reader is waiting for it
					return false
				}
			}
			return true
		})
	}()

	var st Stats
	seen := map[[16]byte]struct{}{}
	var join Join
	var held []Event
	addWarning := func(w Warning) {
		if len(st.Warnings) < MaxKeptWarnings {
			st.Warnings = append(st.Warnings, w)
		}
		if warn != nil {
			warn(w)
		}
	}
	var emitErr error
	for j := range jobs {
		if emitErr != nil {
			continue // drain, so the producer ends
		}
		st.Inputs++
		if j.err != nil {
			st.Skipped++
			addWarning(Warning{Source: j.in.Name, Msg: j.err.Error()})
			if o.Coverage != nil {
				o.Coverage.failed(j.in.Name)
			}
			continue
		}
		res := <-j.out
		if o.Coverage != nil && ctx.Err() == nil {
			o.Coverage.read(j.in.Name, res.Skipped == 0 && len(res.Warnings) == 0, &res)
		}
		if o.Progress != nil {
			o.Progress(j.in.Size)
		}
		st.Records += res.Records
		st.Skipped += res.Skipped
		for _, w := range res.Warnings {
			addWarning(w)
		}
		for _, ev := range res.Events {
			key := dedupKey(&ev)
			if _, dup := seen[key]; dup {
				st.Duplicates++
				continue
			}
			seen[key] = struct{}{}
			join.Add(ev)
			if ev.joinOnly {
				continue
			}
			if !join.Resolve(&ev) && len(held) < MaxHeld {
				held = append(held, ev)
				continue
			}
			st.Events++
			if err := emit(ev); err != nil {
				emitErr = err
				cancel()
				break
			}
		}
	}
	wg.Wait()
	if emitErr != nil {
		return st, emitErr
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for _, ev := range held {
		join.Resolve(&ev)
		st.Events++
		if err := emit(ev); err != nil {
			return st, err
		}
	}
	return st, nil
}

// dedupKey identifies an event across deliveries. A second delivery of an
// event is the same record, so every field read from it takes part, not
// only the event ID: made-up IDs (documentation examples reuse one for
// different sign-ins) and abbreviated records without one cannot merge
// different events.
//
// The key is a 128-bit FNV hash of those fields, so the filter costs about
// 30 bytes a root event however long the fields are; two different events
// share a hash with odds of about n²/2¹²⁹.
func dedupKey(ev *Event) [16]byte {
	h := fnv.New128a()
	for _, s := range []string{ev.EventID, ev.EventTime.Format(time.RFC3339Nano), ev.Account, ev.Region, ev.EventName, ev.Kind,
		strconv.FormatBool(ev.Success), ev.MFA, ev.AccessKeyID, ev.SourceIP, ev.ErrorCode} {
		// Length-prefixed, so no field's text can pass for a boundary.
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	var k [16]byte
	h.Sum(k[:0])
	return k
}

func (rd *reader) readInput(ctx context.Context, in Input, f *Filter) Result {
	rc, err := in.Open(ctx)
	if err != nil {
		return Result{Source: in.Name, Skipped: 1, Warnings: []Warning{{Source: in.Name, Msg: err.Error()}}}
	}
	defer rc.Close()
	return rd.read(ctx, in.Name, rc, f)
}
