package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

// FixCalls are the calls 'rootwatch fix --apply' made, as a history store
// kept them ('rootwatch history fixes').
type FixCalls struct {
	Store string             `json:"store"`
	Fixes []history.FixEntry `json:"fixes"`
}

// FixesWriter writes the fix calls.
type FixesWriter func(w io.Writer, f *FixCalls) error

// fixesFormats are the formats of 'rootwatch history fixes', in the order
// help shows them.
func fixesFormats() []struct {
	name  string
	write FixesWriter
} {
	return []struct {
		name  string
		write FixesWriter
	}{{"table", writeFixesTable}, {"json", writeFixesJSON}}
}

// FixesFormats lists the formats of 'rootwatch history fixes'.
func FixesFormats() []string {
	var names []string
	for _, f := range fixesFormats() {
		names = append(names, f.name)
	}
	return names
}

// NewFixesWriter returns the fix calls' writer of a format, or an error
// listing the valid ones.
func NewFixesWriter(name string) (FixesWriter, error) {
	for _, f := range fixesFormats() {
		if f.name == name {
			return f.write, nil
		}
	}
	return nil, fmt.Errorf("unknown format %q for 'history fixes' (valid: %s)", name, strings.Join(FixesFormats(), ", "))
}

// writeFixesTable writes one line per call: a step not applied has no
// action ("-"); an undo made by a rollback, and a call nothing can undo,
// say so beside the result. What the store holds is escaped for the
// terminal.
func writeFixesTable(w io.Writer, f *FixCalls) error {
	if len(f.Fixes) == 0 {
		_, err := fmt.Fprintf(w, "No fix calls kept in %s.\n", terminalSafe(f.Store))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACCOUNT\tSTEP\tACTION\tRESULT\tERROR")
	for _, e := range f.Fixes {
		result := e.Result
		if e.Rollback {
			result += " (rollback)"
		}
		if e.Irreversible {
			result += " (irreversible)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), terminalSafe(e.Account), terminalSafe(e.Step),
			orDash(terminalSafe(e.Action)), terminalSafe(result), terminalSafe(e.Error))
	}
	return tw.Flush()
}

// writeFixesJSON writes {"store", "fixes": [...]}, the entries as the run
// log has them, with their run ID and kind.
func writeFixesJSON(w io.Writer, f *FixCalls) error {
	out := *f
	if out.Fixes == nil {
		out.Fixes = []history.FixEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
