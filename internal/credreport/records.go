package credreport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unsafe"
)

// records yields CSV records with their line numbers.
type records interface {
	// Read returns the next record and its first line; io.EOF at the end.
	// The slice is reused by the next call, and the strings may share the
	// input's memory: clone what outlives the input.
	Read() (rec []string, line int, err error)
}

// newRecords returns the reader for data. Credential reports rarely quote a
// field (only an IAM user name with a comma needs it), and a line without a
// quote character is just fields split at commas: plainRecords does that
// without encoding/csv's per-byte state machine, and hands each line that
// has quotes to encoding/csv. FuzzRecords checks that the records, line
// numbers and errors are those of encoding/csv reading the whole input.
func newRecords(data []byte) records {
	return &plainRecords{data: data}
}

func newCSVRecords(data []byte) *csvRecords {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // checked by the caller, with a clearer message
	r.ReuseRecord = true
	return &csvRecords{r: r}
}

type csvRecords struct{ r *csv.Reader }

func (c *csvRecords) Read() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	return rec, line, nil
}

// plainRecords reads CSV line by line with encoding/csv's rules for lines
// without quotes: lines end in \n or \r\n (a \r before the end of the input
// is dropped too), empty lines are skipped, fields are split at every comma
// and kept as written. A line with quotes is read by encoding/csv alone when
// it holds a whole record; otherwise (a quoted field that spans lines, or
// malformed quoting) encoding/csv takes over the rest of the input, so its
// records, line numbers and errors are exactly encoding/csv's.
type plainRecords struct {
	data []byte
	pos  int
	line int
	rec  []string
	// rest reads from the first line encoding/csv had to take over.
	rest *csvRecords
	// restLine is the line number before rest's first line.
	restLine int
}

func (p *plainRecords) Read() ([]string, int, error) {
	if p.rest != nil {
		rec, line, err := p.rest.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				shifted := *pe
				shifted.StartLine += p.restLine
				shifted.Line += p.restLine
				return nil, 0, &shifted
			}
			return nil, 0, err
		}
		return rec, line + p.restLine, nil
	}
	for p.pos < len(p.data) {
		start := p.pos
		p.line++
		rest := p.data[p.pos:]
		end := bytes.IndexByte(rest, '\n')
		// whole is the line with its line end, as encoding/csv would see it.
		var raw, whole []byte
		if end < 0 {
			raw, whole, p.pos = rest, rest, len(p.data)
		} else {
			raw, whole, p.pos = rest[:end], rest[:end+1], p.pos+end+1
		}
		if n := len(raw); n > 0 && raw[n-1] == '\r' {
			raw = raw[:n-1]
		}
		if len(raw) == 0 {
			continue
		}
		if bytes.IndexByte(raw, '"') >= 0 {
			if rec, ok := quotedLine(whole); ok {
				return rec, p.line, nil
			}
			p.rest, p.restLine = newCSVRecords(p.data[start:]), p.line-1
			p.data = nil
			return p.Read()
		}
		// Fields are substrings of the line, viewed in place: the input is
		// never written to, and what a caller keeps it clones (see
		// rowReader.keep), so a report's buffer is not held by the snapshot.
		s := unsafe.String(unsafe.SliceData(raw), len(raw))
		p.rec = p.rec[:0]
		for {
			i := strings.IndexByte(s, ',')
			if i < 0 {
				p.rec = append(p.rec, s)
				break
			}
			p.rec = append(p.rec, s[:i])
			s = s[i+1:]
		}
		return p.rec, p.line, nil
	}
	return nil, 0, io.EOF
}

// quotedLine reads one line with quotes through encoding/csv, when the line
// is a whole, well-formed record on its own.
func quotedLine(raw []byte) ([]string, bool) {
	if bytes.Count(raw, []byte{'"'})%2 != 0 {
		return nil, false // a quoted field open at the end of the line
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, false
	}
	if _, err := r.Read(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return rec, true
}
