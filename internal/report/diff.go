package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

// RunsWriter writes the runs of a store ('rootwatch history').
type RunsWriter func(w io.Writer, runs []history.Run) error

// NewRunsWriter returns the runs writer of a format, or an error listing
// the valid ones.
func NewRunsWriter(name string) (RunsWriter, error) {
	f, err := lookup(CommandHistory, name)
	if err != nil {
		return nil, err
	}
	return f.runs, nil
}

func runTimes(r history.Run) (first, asOf, written string) {
	return r.FirstAsOf.UTC().Format(time.RFC3339), r.AsOf.UTC().Format(time.RFC3339), r.WrittenAt.UTC().Format(time.RFC3339)
}

func writeRunsTable(w io.Writer, runs []history.Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tAS OF (FIRST)\tAS OF (LAST)\tWRITTEN AT\tACCOUNTS\tFINDINGS\tVERSION")
	for _, r := range runs {
		first, asOf, written := runTimes(r)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", r.ID, first, asOf, written, r.Accounts, r.Findings, terminalSafe(r.ToolVersion))
	}
	return tw.Flush()
}

func writeRunsJSON(w io.Writer, runs []history.Run) error {
	if runs == nil {
		runs = []history.Run{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"runs": runs})
}

func writeRunsCSV(w io.Writer, runs []history.Run) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "first_as_of", "as_of", "written_at", "accounts", "findings", "events", "tool_version"})
	for _, r := range runs {
		first, asOf, written := runTimes(r)
		_ = cw.Write([]string{strconv.FormatInt(r.ID, 10), first, asOf, written, strconv.Itoa(r.Accounts), strconv.Itoa(r.Findings), strconv.Itoa(r.Events), csvSafe(r.ToolVersion)})
	}
	cw.Flush()
	return cw.Error()
}

// DiffHeader says which runs of which store a diff compares.
type DiffHeader struct {
	Store  string
	Before history.Run
	After  history.Run
	// Tool is the rootwatch diffing, and Checks the checks it knows, for
	// formats that describe them (SARIF's tool and rules).
	Tool   Tool
	Checks []Check
}

// DiffSummary closes a diff: the counts of each change, the accounts the
// newer run added or no longer holds, and the new failing findings at or
// above the --fail-on severity.
type DiffSummary struct {
	New           int      `json:"new"`
	Fixed         int      `json:"fixed"`
	Still         int      `json:"still_failing"`
	Gone          int      `json:"failing_in_gone_accounts"`
	AccountsAdded []string `json:"accounts_added"`
	AccountsGone  []string `json:"accounts_gone"`
	FailOn        string   `json:"fail_on"`
	NewAtFailOn   int      `json:"new_at_fail_on"`
}

// DiffWriter writes a diff as the merge goes: the header, each change in
// finding ID order, then the summary.
type DiffWriter interface {
	Begin(h DiffHeader) error
	Change(c history.Change) error
	End(s DiffSummary) error
}

// NewDiffWriter returns the diff writer of a format, or an error listing
// the valid ones.
func NewDiffWriter(name string, w io.Writer) (DiffWriter, error) {
	f, err := lookup(CommandHistoryDiff, name)
	if err != nil {
		return nil, err
	}
	return f.diff(w), nil
}

type diffTable struct {
	w  io.Writer
	tw *tabwriter.Writer
}

func newDiffTable(w io.Writer) DiffWriter { return &diffTable{w: w} }

func (t *diffTable) Begin(h DiffHeader) error {
	_, err := fmt.Fprintf(t.w, "Store %s: run %d (as of %s) -> run %d (as of %s)\n\n", terminalSafe(h.Store),
		h.Before.ID, h.Before.AsOf.UTC().Format(time.RFC3339), h.After.ID, h.After.AsOf.UTC().Format(time.RFC3339))
	t.tw = tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t.tw, "CHANGE\tSEVERITY\tCHECK\tACCOUNT\tBEFORE\tAFTER\tMESSAGE")
	return err
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (t *diffTable) Change(c history.Change) error {
	f := c.Finding
	label := map[string]string{history.ChangeNew: "NEW", history.ChangeFixed: "FIXED", history.ChangeStill: "STILL", history.ChangeGone: "GONE"}[c.Change]
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", label, terminalSafe(f.Severity), terminalSafe(f.Check), terminalSafe(f.Account),
		orDash(terminalSafe(c.Before)), orDash(terminalSafe(c.After)), terminalSafe(f.Message))
	return err
}

func (t *diffTable) End(s DiffSummary) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(t.w, "\n%d new, %d fixed, %d still failing, %d failing in accounts gone\n", s.New, s.Fixed, s.Still, s.Gone)
	fmt.Fprintf(t.w, "Accounts added: %s\n", orDash(terminalSafe(strings.Join(s.AccountsAdded, ", "))))
	fmt.Fprintf(t.w, "Accounts gone: %s\n", orDash(terminalSafe(strings.Join(s.AccountsGone, ", "))))
	_, err := fmt.Fprintf(t.w, "New failing at or above %s: %d\n", s.FailOn, s.NewAtFailOn)
	return err
}

type diffJSON struct {
	w     io.Writer
	first bool
}

func newDiffJSON(w io.Writer) DiffWriter { return &diffJSON{w: w, first: true} }

func (j *diffJSON) Begin(h DiffHeader) error {
	store, _ := json.Marshal(h.Store)
	before, _ := json.Marshal(h.Before)
	after, _ := json.Marshal(h.After)
	_, err := fmt.Fprintf(j.w, "{\n  \"store\": %s,\n  \"before\": %s,\n  \"after\": %s,\n  \"changes\": [", store, before, after)
	return err
}

func (j *diffJSON) Change(c history.Change) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	sep := ","
	if j.first {
		sep, j.first = "", false
	}
	_, err = fmt.Fprintf(j.w, "%s\n    %s", sep, b)
	return err
}

func (j *diffJSON) End(s DiffSummary) error {
	if s.AccountsAdded == nil {
		s.AccountsAdded = []string{}
	}
	if s.AccountsGone == nil {
		s.AccountsGone = []string{}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	end := "\n  ]"
	if j.first {
		end = "]"
	}
	_, err = fmt.Fprintf(j.w, "%s,\n  \"summary\": %s\n}\n", end, b)
	return err
}

type diffCSV struct{ cw *csv.Writer }

func newDiffCSV(w io.Writer) DiffWriter { return &diffCSV{cw: csv.NewWriter(w)} }

// DiffCSVHeader is the header row of the diff's CSV.
func DiffCSVHeader() []string {
	return []string{"change", "id", "check", "severity", "account", "org", "resource", "before", "after", "message"}
}

func (c *diffCSV) Begin(DiffHeader) error { return c.cw.Write(DiffCSVHeader()) }

func (c *diffCSV) Change(ch history.Change) error {
	f := ch.Finding
	// Every cell but the change comes from the store: defused alike.
	return c.cw.Write([]string{ch.Change, csvSafe(f.ID), csvSafe(f.Check), csvSafe(f.Severity), csvSafe(f.Account), csvSafe(f.Org), csvSafe(f.Resource),
		csvSafe(ch.Before), csvSafe(ch.After), csvSafe(f.Message)})
}

// End writes a row per account added ("account-added") or gone
// ("account-gone").
func (c *diffCSV) End(s DiffSummary) error {
	for _, a := range s.AccountsAdded {
		_ = c.cw.Write([]string{"account-added", "", "", "", csvSafe(a), "", "", "", "", ""})
	}
	for _, a := range s.AccountsGone {
		_ = c.cw.Write([]string{"account-gone", "", "", "", csvSafe(a), "", "", "", "", ""})
	}
	c.cw.Flush()
	return c.cw.Error()
}
