package report

import (
	"fmt"
	"io"
	"strings"
)

// The commands whose --format the registry serves.
const (
	CommandAudit = "audit"
	CommandTrail = "trail"
	CommandRules = "rules"
	CommandStudy = "study"
	// CommandHistory lists a store's runs; CommandHistoryDiff diffs two.
	CommandHistory     = "history"
	CommandHistoryDiff = "history diff"
)

// format is one output format: what it is, which commands write it, and
// how (one constructor per kind of output).
type format struct {
	name string
	// help says what the format is, per command when it differs.
	help map[string]string
	// evidence says whether the audit's format shows findings' evidence,
	// so the engine can skip building it for those that do not.
	evidence bool
	audit    func(Options) Writer
	trail    func(io.Writer, Options) EventWriter
	// rules: 'rules list' writes it itself (a list of checks, not a
	// report); the registry only says it accepts the format.
	rules bool
	study StudyWriter
	runs  RunsWriter
	diff  func(io.Writer) DiffWriter
}

// registry lists every output format, in the order help shows them.
func registry() []format {
	return []format{
		{name: "table", help: map[string]string{
			CommandAudit:       "a table for people, with a summary (the default)",
			CommandTrail:       "one line per root event, then a summary per account (the default)",
			CommandRules:       "one line per check (the default)",
			CommandStudy:       "the weekly table, then the period's figures with their shares (the default)",
			CommandHistory:     "one line per run (the default)",
			CommandHistoryDiff: "one line per change, then the counts and the accounts added and gone (the default)",
		}, audit: func(o Options) Writer { return &TableWriter{Opts: o} }, trail: newTableEvents, rules: true, study: writeStudyTable,
			runs: writeRunsTable, diff: newDiffTable},
		{name: "json", help: map[string]string{
			CommandAudit:       "the JSON report contract",
			CommandRules:       "the checks as a JSON array",
			CommandStudy:       "the weeks and the period (integer counts; --demo adds \"seed\")",
			CommandHistory:     "{\"runs\": [...]}",
			CommandHistoryDiff: "{store, before, after, changes, summary}",
		}, evidence: true, audit: func(o Options) Writer { return &JSONWriter{Opts: o} }, rules: true, study: writeStudyJSON,
			runs: writeRunsJSON, diff: newDiffJSON},
		{name: "jsonl", help: map[string]string{
			CommandTrail: "one JSON object per root event (the root events contract)",
		}, trail: newJSONLEvents},
		{name: "csv", help: map[string]string{
			CommandAudit:       "one RFC 4180 row per finding",
			CommandTrail:       "one RFC 4180 row per root event",
			CommandStudy:       "one RFC 4180 row per week, then a row whose as_of is \"period\"",
			CommandHistory:     "one RFC 4180 row per run",
			CommandHistoryDiff: "one RFC 4180 row per change, then one per account added or gone",
		}, evidence: true, audit: func(Options) Writer { return &CSVWriter{} }, trail: newCSVEvents, study: writeStudyCSV,
			runs: writeRunsCSV, diff: newDiffCSV},
		{name: "html", help: map[string]string{
			CommandStudy: "one self-contained HTML page: charts, the period's figures, the accounts behind them",
		}, study: writeStudyHTML},
		{name: "sarif", help: map[string]string{
			CommandAudit:       "SARIF 2.1.0 for code scanning (failing findings)",
			CommandHistoryDiff: "SARIF 2.1.0: one result per change, its baselineState new, unchanged or absent",
		}, audit: func(Options) Writer { return &SARIFWriter{} }, diff: newDiffSARIF},
	}
}

func (f *format) accepts(command string) bool {
	switch command {
	case CommandAudit:
		return f.audit != nil
	case CommandTrail:
		return f.trail != nil
	case CommandRules:
		return f.rules
	case CommandStudy:
		return f.study != nil
	case CommandHistory:
		return f.runs != nil
	case CommandHistoryDiff:
		return f.diff != nil
	}
	return false
}

func lookup(command, name string) (*format, error) {
	for _, f := range registry() {
		if f.name == name && f.accepts(command) {
			return &f, nil
		}
	}
	return nil, fmt.Errorf("unknown format %q (valid: %s)", name, strings.Join(FormatsFor(command), ", "))
}

// FormatsFor lists the formats a command accepts, in the registry's order.
func FormatsFor(command string) []string {
	var names []string
	for _, f := range registry() {
		if f.accepts(command) {
			names = append(names, f.name)
		}
	}
	return names
}

// FormatFlagHelp is the usage of a command's --format flag.
func FormatFlagHelp(command string) string {
	return "output `FORMAT`: " + strings.Join(FormatsFor(command), ", ")
}

// FormatHelp describes a command's formats, one per line.
func FormatHelp(command string) string {
	var b strings.Builder
	for _, f := range registry() {
		if f.accepts(command) {
			fmt.Fprintf(&b, "  %-6s %s\n", f.name, f.help[command])
		}
	}
	return b.String()
}

// CheckFormat says whether a command accepts a format, with an error
// listing those it does: an unknown format never falls back silently.
func CheckFormat(command, name string) error {
	_, err := lookup(command, name)
	return err
}

// Formats lists the audit's format names.
func Formats() []string { return FormatsFor(CommandAudit) }

// EventFormats lists the formats of 'rootwatch trail'.
func EventFormats() []string { return FormatsFor(CommandTrail) }

// ShowsEvidence reports whether an audit format writes findings' evidence.
func ShowsEvidence(name string) bool {
	f, err := lookup(CommandAudit, name)
	return err == nil && f.evidence
}

// NewWriter returns the audit writer of a format, or an error listing the
// valid ones.
func NewWriter(name string, o Options) (Writer, error) {
	f, err := lookup(CommandAudit, name)
	if err != nil {
		return nil, err
	}
	return f.audit(o), nil
}

// NewEventWriter returns the writer of root events of a format, or an error
// listing the valid ones.
func NewEventWriter(name string, w io.Writer, o Options) (EventWriter, error) {
	f, err := lookup(CommandTrail, name)
	if err != nil {
		return nil, err
	}
	return f.trail(w, o), nil
}
