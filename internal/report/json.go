package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/rootwatch/rootwatch/internal/model"
)

// JSONWriter writes the JSON report contract: generated_at, tool,
// accounts, findings, errors, in that order. Strings are kept exactly.
//
// A fleet's report is large (hundreds of thousands of findings), so it is
// streamed, one account, finding or error per line: accounts are written as
// they are judged, and their findings, which the contract puts after every
// account, are spooled (in memory, then in a temporary file) and copied
// after the last account. Memory stays flat whatever the fleet's size.
type JSONWriter struct {
	Opts Options

	bw       *bufio.Writer
	buf      bytes.Buffer
	enc      *json.Encoder
	accounts int
	findings int
	errors   []model.SourceError
	warnings []model.SourceError
	spool    *spool
	// spoolMemory overrides how much of the findings stays in memory
	// before the spool moves to a file (tests).
	spoolMemory int
}

var _ Writer = (*JSONWriter)(nil)

// encode returns v's JSON on one line; the slice is valid until the next
// call.
func (j *JSONWriter) encode(v any) []byte {
	j.buf.Reset()
	if err := j.enc.Encode(v); err != nil {
		// Only values the report never holds (channels, NaN) fail.
		j.buf.Reset()
		fmt.Fprintf(&j.buf, "%q\n", "unencodable: "+err.Error())
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte{'\n'})
}

// Begin writes generated_at and tool, and opens the accounts.
func (j *JSONWriter) Begin(w io.Writer, h *Header) error {
	j.bw = bufio.NewWriterSize(w, 256<<10)
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	j.spool = newSpool(j.Opts.TempDir)
	if j.spoolMemory > 0 {
		j.spool.limit = j.spoolMemory
	}
	j.errors, j.warnings = h.Errors, h.Warnings
	fmt.Fprintf(j.bw, "{\n  \"generated_at\": %s,\n", j.encode(h.GeneratedAt.UTC()))
	fmt.Fprintf(j.bw, "  \"tool\": %s,\n  \"accounts\": [", j.encode(h.Tool))
	return nil
}

// Account writes the account and spools its findings.
func (j *JSONWriter) Account(a *Account, fs []model.Finding) error {
	writeItem(j.bw, j.accounts, j.encode(a))
	j.accounts++
	for i := range fs {
		if j.findings > 0 {
			j.spool.WriteString(",")
		}
		j.spool.WriteString("\n    ")
		if _, err := j.spool.Write(j.encode(&fs[i])); err != nil {
			return fmt.Errorf("write JSON report: %w", err)
		}
		j.findings++
	}
	return nil
}

// End writes the findings and the errors.
func (j *JSONWriter) End() error {
	defer j.spool.Close()
	closeList(j.bw, j.accounts)
	j.bw.WriteString(",\n  \"findings\": [")
	r, err := j.spool.reader()
	if err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	if _, err := j.bw.ReadFrom(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	closeList(j.bw, j.findings)
	j.bw.WriteString(",\n  \"errors\": [")
	for i := range j.errors {
		writeItem(j.bw, i, j.encode(&j.errors[i]))
	}
	closeList(j.bw, len(j.errors))
	if len(j.warnings) > 0 {
		j.bw.WriteString(",\n  \"warnings\": [")
		for i := range j.warnings {
			writeItem(j.bw, i, j.encode(&j.warnings[i]))
		}
		closeList(j.bw, len(j.warnings))
	}
	j.bw.WriteString("\n}\n")
	if err := j.bw.Flush(); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

func writeItem(w *bufio.Writer, i int, b []byte) {
	if i > 0 {
		w.WriteByte(',')
	}
	w.WriteString("\n    ")
	w.Write(b)
}

func closeList(w *bufio.Writer, n int) {
	if n > 0 {
		w.WriteString("\n  ")
	}
	w.WriteByte(']')
}
