package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Container says what an element came out of, which decides how it is read.
type Container int

const (
	// InValue: a top-level value, or an element of a top-level array (a
	// record, an EventBridge event, a lookup-events item, one JSON line).
	InValue Container = iota
	// InRecords: an element of a log file's "Records" array.
	InRecords
	// InEvents: an element of lookup-events' "Events" array.
	InEvents
	// InRows: a row of CloudTrail Lake's "QueryResultRows".
	InRows
)

// containerOf says whether a key's array holds records (or rows or items
// that hold one), and which.
func containerOf(key string) (Container, bool) {
	switch key {
	case "Records":
		return InRecords, true
	case "Events":
		return InEvents, true
	case "QueryResultRows":
		return InRows, true
	}
	return InValue, false
}

// MaxElement is the largest element read; CloudTrail caps an event at 256
// KiB, so anything past this is not one and is skipped.
const MaxElement = 16 << 20

// SyntaxError is a place in the input that is not JSON.
type SyntaxError struct {
	Offset int64 // bytes from the start of the (decompressed) input
	Line   int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d (byte %d): %s", e.Line, e.Offset, e.Msg)
}

// Splitter cuts a stream of JSON into elements without decoding them: the
// records of a log file's Records array, lookup-events' Events, Lake's
// rows, the elements of a top-level array, or top-level values (JSON
// lines). Only the structure between strings is looked at byte by byte;
// string bodies are skipped with IndexByte, so it runs near memory speed,
// and a record that cannot be root need never be decoded.
//
// Memory is bounded by the largest element (MaxElement), not the input.
type Splitter struct {
	r   io.Reader
	buf []byte
	pos int // next byte to look at
	end int // bytes of buf filled
	// keep is the first byte that must stay in buf (an element or
	// top-level object being read), or -1.
	keep int
	// base is the input offset of buf[0]; lines counts the newlines before
	// buf[linePos] (lines are counted lazily, only where one is asked for).
	base    int64
	lines   int64
	linePos int
	rerr    error // the reader's error, once it has returned one

	// stack of the values being read at the top: see Next.
	state splitState

	// Fast: inside a log file's Records array, where CloudTrail starts
	// every record with {"eventVersion", return only the records that hold
	// "Root" (the only ones that can be root's), found with one byte
	// search, and count the others in Passed without walking them. Their
	// JSON is not checked: gzip's checksum guards what CloudTrail wrote.
	Fast   bool
	Passed int64
}

type splitState struct {
	inArray   bool      // inside a container or top-level array
	container Container // what the array's elements are
	inObject  bool      // inside a top-level object whose keys are being read (from s.keep)
	sawArray  bool      // the object held a container (so it is not itself an element)
	afterElem bool      // an element was just read: a ',' or ']' is next
	// big: a value of the top-level object was over MaxElement, so the
	// object, if it is an element, is skipped.
	big *TooLargeError
}

// NewSplitter reads from r.
func NewSplitter(r io.Reader) *Splitter {
	return &Splitter{r: r, buf: make([]byte, 256<<10), keep: -1}
}

// Reset makes the splitter read r from its start, keeping its buffer
// (unless a huge element grew it).
func (s *Splitter) Reset(r io.Reader) {
	buf := s.buf
	if len(buf) > 1<<20 {
		buf = make([]byte, 256<<10)
	}
	*s = Splitter{r: r, buf: buf, keep: -1}
}

// Offset is the input offset of the next byte to be read.
func (s *Splitter) Offset() int64 { return s.base + int64(s.pos) }

// line is the line number (from 1) of buf[i]. Asked for in input order it
// costs one pass over the input in all.
func (s *Splitter) line(i int) int64 {
	i = min(i, s.end)
	if i >= s.linePos {
		s.lines += int64(bytes.Count(s.buf[s.linePos:i], []byte{'\n'}))
	} else {
		s.lines -= int64(bytes.Count(s.buf[i:s.linePos], []byte{'\n'}))
	}
	s.linePos = i
	return s.lines + 1
}

// Line is the line number of an input offset in the element last returned.
func (s *Splitter) Line(offset int64) int64 { return s.line(int(offset - s.base)) }

func (s *Splitter) errAt(i int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: s.base + int64(i), Line: s.line(i), Msg: fmt.Sprintf(format, args...)}
}

// fill reads more input, sliding out what is no longer needed. It returns
// false at the end of the input or on a read error (in s.rerr).
func (s *Splitter) fill() bool {
	if s.rerr != nil {
		return false
	}
	drop := s.pos
	if s.keep >= 0 {
		drop = min(drop, s.keep)
	}
	if drop > 0 {
		s.line(drop)
		s.linePos -= drop
		copy(s.buf, s.buf[drop:s.end])
		s.end -= drop
		s.pos -= drop
		s.base += int64(drop)
		if s.keep >= 0 {
			s.keep -= drop
		}
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= MaxElement+1 {
			s.rerr = errTooLarge
			return false
		}
		nb := make([]byte, min(2*len(s.buf), MaxElement+1))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

var errTooLarge = errors.New("an element larger than 16 MiB")

// tooLarge says whether the last fill stopped at MaxElement (the element
// being read is over the limit), not at the input's end.
func (s *Splitter) tooLarge() bool { return s.rerr == errTooLarge }

// TooLargeError is an element over MaxElement. It was skipped whole, and
// the splitter is past it: the next call to Next reads what follows it.
type TooLargeError struct {
	Offset int64 // where the element starts
	Line   int64
	Size   int64 // its length in bytes
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("line %d (byte %d): one element of %d bytes, over the %d MiB limit, was skipped", e.Line, e.Offset, e.Size, MaxElement>>20)
}

// skipTooLarge moves past the value starting at buf[start] when reading
// it stopped at MaxElement, without keeping it: a byte-wise walk of its
// strings and brackets over as much input as it takes, in constant
// memory. It returns the value's size, or the error that ended the input
// inside it.
func (s *Splitter) skipTooLarge(start int) (int64, error) {
	off := s.base + int64(start)
	s.rerr = nil // the limit's, not the reader's
	s.keep = -1
	s.pos = start
	depth := 0
	inStr, esc := false, false
	for {
		if s.pos >= s.end && !s.fill() {
			return 0, s.endErr("an element over the size limit")
		}
		b := s.buf[s.pos:s.end]
		for i, c := range b {
			done := false
			switch {
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					done = depth == 0
				}
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				done = depth <= 0
			case depth == 0 && !isLiteral(c):
				// The end of a literal at the top (a number of 16 MiB).
				s.pos += i
				return s.base + int64(s.pos) - off, nil
			}
			if done {
				s.pos += i + 1
				return s.base + int64(s.pos) - off, nil
			}
		}
		s.pos = s.end
	}
}

// ReadErr is the error that ended the input, if it was not a clean end
// (a truncated gzip stream, say).
func (s *Splitter) ReadErr() error {
	if s.rerr == nil || s.rerr == io.EOF {
		return nil
	}
	return s.rerr
}

// skipSpace moves past white space and returns the next byte, or false at
// the end of the input.
func (s *Splitter) skipSpace() (byte, bool) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// skipString moves past the string whose opening quote is at s.pos.
func (s *Splitter) skipString() error {
	i := s.pos + 1
	for {
		j := bytes.IndexByte(s.buf[i:s.end], '"')
		if j < 0 {
			i = s.end
			off := i - s.pos
			if !s.fill() {
				return s.endErr("a string")
			}
			i = s.pos + off
			continue
		}
		i += j
		// An odd run of backslashes before it escapes the quote.
		k := i - 1
		for k > s.pos && s.buf[k] == '\\' {
			k--
		}
		if (i-k-1)%2 == 1 {
			i++
			continue
		}
		s.pos = i + 1
		return nil
	}
}

func (s *Splitter) endErr(what string) error {
	if err := s.ReadErr(); err != nil {
		return fmt.Errorf("input ends inside %s: %w", what, err)
	}
	return s.errAt(s.end, "input ends inside %s", what)
}

// skipValue moves past the JSON value at s.pos. It checks the structure
// (brackets, strings), not the literals: what is not a candidate for root
// is never validated, only skipped.
func (s *Splitter) skipValue() error {
	if s.pos >= s.end && !s.fill() {
		return s.endErr("a value")
	}
	switch c := s.buf[s.pos]; {
	case c == '"':
		return s.skipString()
	case c == '{' || c == '[':
		return s.skipContainer()
	case isLiteral(c):
		for {
			for s.pos < s.end && isLiteral(s.buf[s.pos]) {
				s.pos++
			}
			if s.pos < s.end || !s.fill() {
				return nil
			}
		}
	default:
		return s.errAt(s.pos, "unexpected %q", c)
	}
}

// skipContainer moves past the object or array at s.pos.
func (s *Splitter) skipContainer() error {
	depth := 0
	for {
		if s.pos >= s.end && !s.fill() {
			return s.endErr("an object or array")
		}
		switch s.buf[s.pos] {
		case '"':
			if err := s.skipString(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.pos++
				return nil
			}
		}
		s.pos++
	}
}

// isLiteral: the bytes of true, false, null and numbers.
func isLiteral(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E'
}

// readKey reads an object key at s.pos (a string) and the ':' after it.
func (s *Splitter) readKey() (string, error) {
	// An input offset, not a buffer index: skipString may refill and slide
	// the buffer (never past the key's opening quote, which is at s.pos).
	startOff := s.base + int64(s.pos)
	if err := s.skipString(); err != nil {
		return "", err
	}
	start := int(startOff - s.base)
	key := string(s.buf[start+1 : s.pos-1])
	if strings.IndexByte(key, '\\') >= 0 {
		// An escaped key ("\u0052ecords") names what it decodes to.
		var k string
		if json.Unmarshal(s.buf[start:s.pos], &k) == nil {
			key = k
		}
	}
	c, ok := s.skipSpace()
	if !ok {
		return "", s.endErr("an object")
	}
	if c != ':' {
		return "", s.errAt(s.pos, "want ':' after key %q, found %q", key, c)
	}
	s.pos++
	return key, nil
}

// Element is one element's bytes (valid until the next call to Next),
// what it came out of, and where it starts (Splitter.Line gives the line).
type Element struct {
	Raw       []byte
	Container Container
	Offset    int64
}

// Next returns the next element. io.EOF ends the input. A *SyntaxError (or
// a read error) is returned once; the splitter then resynchronises: at the
// next record of a log file, or at the next line of JSON lines, so the rest
// is still read.
func (s *Splitter) Next() (Element, error) {
	for {
		st := &s.state
		c, ok := s.skipSpace()
		if !ok {
			if st.inArray || st.inObject {
				err := s.endErr("the input's outer value")
				*st = splitState{}
				s.rerr = io.EOF // told once
				return Element{}, err
			}
			if err := s.ReadErr(); err != nil {
				s.rerr = io.EOF
				return Element{}, err
			}
			return Element{}, io.EOF
		}
		switch {
		case st.inArray:
			if st.afterElem {
				switch c {
				case ',':
					s.pos++
					st.afterElem = false
					continue
				case ']':
					s.pos++
					st.inArray, st.afterElem = false, false
					continue
				}
				return Element{}, s.resync(s.errAt(s.pos, "want ',' or ']' between elements, found %q", c))
			}
			if c == ']' { // an empty array
				s.pos++
				st.inArray = false
				continue
			}
			if s.Fast && st.container == InRecords && s.atRecordMark() {
				el, found, err := s.nextFast()
				if tl := (*TooLargeError)(nil); errors.As(err, &tl) {
					st.afterElem = true
					return Element{}, err
				}
				if err != nil {
					return Element{}, s.resync(err)
				}
				if !found {
					continue // the rest of the array held no root
				}
				st.afterElem = true
				return el, nil
			}
			el, err := s.element(st.container)
			if tl := (*TooLargeError)(nil); errors.As(err, &tl) {
				st.afterElem = true
				return Element{}, err
			}
			if err != nil {
				return Element{}, s.resync(err)
			}
			st.afterElem = true
			return el, nil
		case st.inObject:
			switch c {
			case ',':
				s.pos++
				continue
			case '}':
				s.pos++
				st.inObject = false
				if !st.sawArray && st.big != nil {
					big := st.big
					big.Size = s.base + int64(s.pos) - big.Offset
					st.big = nil
					return Element{}, big
				}
				if !st.sawArray {
					// An object with no container is itself an element.
					start := s.keep
					s.keep = -1
					return Element{Raw: s.buf[start:s.pos], Container: InValue, Offset: s.base + int64(start)}, nil
				}
				continue
			case '"':
			default:
				return Element{}, s.resync(s.errAt(s.pos, "want a key, found %q", c))
			}
			key, err := s.readKey()
			if err != nil {
				return Element{}, s.resync(err)
			}
			if ct, ok := containerOf(key); ok {
				if c, ok := s.skipSpace(); ok && c == '[' {
					s.pos++
					st.sawArray, st.inArray, st.container = true, true, ct
					st.big = nil
					s.keep = -1
					continue
				}
			}
			if _, ok := s.skipSpace(); !ok {
				return Element{}, s.resync(s.endErr("an object"))
			}
			valOff := s.base + int64(s.pos)
			err = s.skipValue()
			if s.tooLarge() && s.keep >= 0 {
				// The object is over the limit: its value is skipped, and so
				// is the object, unless it turns out to hold a container.
				big := &TooLargeError{Offset: s.base + int64(s.keep), Line: s.line(s.keep)}
				if _, err := s.skipTooLarge(int(valOff - s.base)); err != nil {
					return Element{}, s.resync(err)
				}
				st.big = big
				continue
			}
			if err != nil {
				return Element{}, s.resync(err)
			}
		default:
			switch c {
			case '[':
				s.pos++
				st.inArray, st.container, st.afterElem = true, InValue, false
			case '{':
				*st = splitState{inObject: true}
				s.keep = s.pos
				s.pos++
			default:
				return Element{}, s.resync(s.errAt(s.pos, "want a JSON object or array, found %q", c))
			}
		}
	}
}

// element reads one array element at s.pos.
func (s *Splitter) element(ct Container) (Element, error) {
	start := s.pos
	s.keep = start
	defer func() { s.keep = -1 }()
	err := s.skipValue()
	if s.tooLarge() {
		// Over the limit (skipValue stopped there, or took the limit for
		// the end of a literal): skipped whole, and reading goes on after it.
		start := s.keep
		line := s.line(start)
		size, err := s.skipTooLarge(start)
		if err != nil {
			return Element{}, err
		}
		return Element{}, &TooLargeError{Offset: s.base + int64(s.pos) - size, Line: line, Size: size}
	}
	if err != nil {
		// Look for the next record from just after this one's start: a
		// broken record (a string never closed) must not take the
		// records after it along.
		start := s.keep
		s.pos = start + 1
		if s.ReadErr() != nil {
			return Element{}, err
		}
		var se *SyntaxError
		msg := err.Error()
		if errors.As(err, &se) {
			msg = se.Msg
		}
		return Element{}, s.errAt(start, "a record that is not valid JSON (%s)", msg)
	}
	// skipValue may have slid the buffer: start moved with keep.
	start = s.keep
	return Element{Raw: s.buf[start:s.pos], Container: ct, Offset: s.base + int64(start)}, nil
}

// atRecordMark says whether the input at s.pos starts a record as
// CloudTrail writes one.
func (s *Splitter) atRecordMark() bool {
	for s.end-s.pos < len(recordMark) {
		if !s.fill() {
			return false
		}
	}
	return bytes.HasPrefix(s.buf[s.pos:s.end], []byte(recordMark))
}

// nextFast finds the next record that may be root's (MayBeRoot), from
// s.pos (a record's start), counting the records before it in Passed. found is false when
// the array ended first; s.pos is then at its closing bracket.
func (s *Splitter) nextFast() (el Element, found bool, err error) {
	for {
		win := s.buf[s.pos:s.end]
		if p := mayBeRootAt(win); p >= 0 {
			// The record holding it starts at the last mark before it (a
			// mark cannot be inside a string: its quotes would be escaped).
			start := max(bytes.LastIndex(win[:p], []byte(recordMark)), 0)
			s.Passed += int64(bytes.Count(win[:start], []byte(recordMark)))
			s.pos += start
			el, err := s.element(InRecords)
			return el, err == nil, err
		}
		// No root in what is read: the records wholly read are passed; the
		// last one, maybe incomplete, is kept with the next read.
		if last := bytes.LastIndex(win, []byte(recordMark)); last > 0 {
			s.Passed += int64(bytes.Count(win[:last], []byte(recordMark)))
			s.pos += last
		}
		s.keep = s.pos
		more := s.fill()
		s.keep = -1
		if !more && s.tooLarge() {
			// One record fills the buffer at its largest: walk it, which
			// skips it whole.
			s.rerr = nil
			el, err := s.element(InRecords)
			return el, err == nil, err
		}
		if !more {
			if err := s.ReadErr(); err != nil {
				return Element{}, false, fmt.Errorf("input ends inside the Records array: %w", err)
			}
			// The last records, then "]}": go on at the array's closing
			// bracket, which the caller's structure checks.
			rest := s.buf[s.pos:s.end]
			s.Passed += int64(bytes.Count(rest, []byte(recordMark)))
			end := bytes.LastIndexByte(rest, ']')
			if end < 0 {
				return Element{}, false, s.errAt(s.end, "input ends inside the Records array")
			}
			s.pos += end
			s.state.afterElem = true
			return Element{}, false, nil
		}
	}
}

// resyncMarks are where reading can pick up after a broken part: the start
// of the next record of a log file (CloudTrail writes eventVersion first),
// or of the next line.
const recordMark = `{"eventVersion"`

// Reject says that the element last returned is not valid JSON: its
// bounds were found by brackets and quotes alone, and a broken string can
// make them span the elements after it. Reading goes on at the next
// element start after its beginning. Only for elements of a container.
func (s *Splitter) Reject(el Element) {
	start := int(el.Offset - s.base)
	if start < 0 || start >= s.pos || !s.state.inArray || s.state.container == InValue {
		return
	}
	s.pos = start + 1
	_ = s.resync(nil)
}

// resync returns err after moving to where reading can go on: inside a
// container, the start of its next element (a record, a lookup-events
// item, a Lake row, pretty-printed or not); otherwise the next line. At a
// read error (a truncated gzip stream) there is nothing more to read.
func (s *Splitter) resync(err error) error {
	s.keep = -1
	if s.ReadErr() != nil || errors.Is(err, errTooLarge) {
		// Nothing more can be read: the error says why, once.
		s.pos = s.end
		s.state = splitState{}
		s.rerr = io.EOF
		return err
	}
	st := &s.state
	inContainer := st.inArray && st.container != InValue
	for {
		var i int
		if inContainer {
			i = elementStart(s.buf[s.pos:s.end], st.container)
		} else {
			i = bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		}
		if i >= 0 {
			s.pos += i
			if inContainer {
				st.afterElem = false
			} else {
				s.pos++
				s.state = splitState{}
			}
			return err
		}
		// Keep the tail: an element's start may straddle the refill.
		s.pos = max(s.pos, s.end-resyncTail)
		if !s.fill() {
			s.pos = s.end
			s.state = splitState{}
			return err
		}
	}
}

// resyncTail is how much of the searched input is searched again after a
// refill: an element's start with its indentation.
const resyncTail = 256

// elementStart finds where the next element of a container starts: "{"
// then the key each of its elements begins with (eventVersion for records,
// EventId for lookup-events items), or for Lake rows "[" then "{", white
// space allowed between. -1 when there is none in b.
func elementStart(b []byte, ct Container) int {
	open, next := byte('{'), `"eventVersion"`
	switch ct {
	case InEvents:
		next = `"EventId"`
	case InRows:
		open, next = '[', "{"
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], open)
		if j < 0 {
			return -1
		}
		k := i + j + 1
		for k < len(b) && (b[k] == ' ' || b[k] == '\n' || b[k] == '\r' || b[k] == '\t') {
			k++
		}
		if bytes.HasPrefix(b[k:], []byte(next)) {
			return i + j
		}
		i += j + 1
	}
}
