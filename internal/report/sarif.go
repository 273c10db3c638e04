package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/model"
)

// SARIFWriter writes SARIF 2.1.0 with the failing findings as results.
// GitHub code scanning needs a physical location on every result, so each
// has the stable relative URI aws/<account>/root-user, with the ARN as a
// logical location.
//
// It streams: the rules (the checks run) are known before any account is
// judged, so results are written as they come; only the notifications of
// checks that could not judge are spooled, for the invocation at the end.
// Every text field is escaped (sarifSafe): viewers show it as it is.
type SARIFWriter struct {
	Opts Options

	bw      *bufio.Writer
	rules   map[string]int
	results int
	// notes holds the encoded notifications; failed says whether any.
	notes  *spool
	nNotes int
}

var _ Writer = (*SARIFWriter)(nil)

// securitySeverity is GitHub's numeric scale for a severity.
func securitySeverity(s string) string {
	switch s {
	case "critical":
		return "9.5"
	case "high":
		return "8.0"
	case "medium":
		return "5.5"
	case "low":
		return "3.0"
	}
	return "0.0"
}

func sarifLevel(s string) string {
	switch s {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

func indentJSON(v any, prefix string) ([]byte, error) {
	return json.MarshalIndent(v, prefix, "  ")
}

// Begin writes the log's head and the tool with its rules.
func (s *SARIFWriter) Begin(w io.Writer, h *Header) error {
	s.bw = bufio.NewWriterSize(w, 256<<10)
	s.notes = newSpool(s.Opts.TempDir)
	run := newSARIFRun(h.Tool)
	s.rules = addSARIFRules(run, h.Checks)
	if err := writeSARIFHead(s.bw, run); err != nil {
		return err
	}
	// Inputs that could not be read are tool execution notifications: the
	// run is then not successful.
	for _, e := range h.Errors {
		msg := e.Message
		if !strings.Contains(msg, e.Source) {
			msg = e.Source + ": " + msg
		}
		if e.Account != "" && !strings.Contains(msg, e.Account) {
			msg = e.Account + ": " + msg
		}
		if err := s.note(msg); err != nil {
			return err
		}
	}
	return nil
}

// newSARIFRun is a run of the tool, with no rules yet.
func newSARIFRun(tool Tool) *sarif.Run {
	run := sarif.NewRunWithInformationURI(sarifSafe(tool.Name), "https://github.com/rootwatch/rootwatch")
	run.Tool.Driver.WithVersion(sarifSafe(tool.Version))
	return run
}

// addSARIFRules adds the checks to the run's rules, each once, and returns
// the index of each check's rule.
func addSARIFRules(run *sarif.Run, checks []Check) map[string]int {
	idx := map[string]int{}
	for _, c := range checks {
		if _, dup := idx[c.ID]; dup {
			continue
		}
		idx[c.ID] = len(run.Tool.Driver.Rules)
		props := sarif.NewPropertyBag().
			Add("security-severity", securitySeverity(c.Severity)).
			Add("compliance", c.Compliance)
		props.Tags = []string{"security", "aws", "root-user"}
		rule := run.AddRule(sarifSafe(c.ID)).
			WithName(sarifSafe(c.ID)).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(c.Severity))).
			WithProperties(props)
		if c.Title != "" {
			rule.WithDescription(sarifSafe(c.Title)).
				WithFullDescription(sarif.NewMultiformatMessageString().WithText(sarifSafe(c.Title)))
		}
		if c.Remediation != "" {
			rule.WithHelp(sarif.NewMultiformatMessageString().WithText(sarifSafe(c.Remediation)))
		}
	}
	return idx
}

// writeSARIFHead writes the log's head and the run's members as the
// library writes them, but results and invocations, which come last,
// streamed: it ends inside the open results array.
func writeSARIFHead(bw *bufio.Writer, run *sarif.Run) error {
	rep := sarif.NewReport()
	b, err := json.Marshal(run)
	if err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	delete(members, "results")
	delete(members, "invocations")
	fmt.Fprintf(bw, "{\n  \"$schema\": %q,\n  \"version\": %q,\n  \"runs\": [\n    {", rep.Schema, rep.Version)
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var v bytes.Buffer
		if err := json.Indent(&v, members[k], "      ", "  "); err != nil {
			return fmt.Errorf("write SARIF report: %w", err)
		}
		fmt.Fprintf(bw, "\n      %q: %s,", k, v.Bytes())
	}
	bw.WriteString("\n      \"results\": [")
	return nil
}

// sarifFindingResult is the result of a failing finding: the check as
// ruleId (with its rule's index when the run lists it), the severity's
// level, the account's stable relative URI aws/<account>/root-user (the
// account percent-encoded: a store or an input may hold anything) with
// the resource's ARN as logical location, and the finding's stable ID as
// fingerprint.
func sarifFindingResult(f *model.Finding, rules map[string]int) *sarif.Result {
	loc := sarif.NewLocationWithPhysicalLocation(
		sarif.NewPhysicalLocation().WithArtifactLocation(
			sarif.NewSimpleArtifactLocation("aws/" + url.PathEscape(f.Account) + "/root-user"))).
		AddLogicalLocation(sarif.NewLogicalLocation().
			WithFullyQualifiedName(sarifSafe(f.Resource)).WithName(sarifSafe(f.Account)).WithKind("resource"))
	res := sarif.NewRuleResult(sarifSafe(f.Check)).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(sarifSafe(fmt.Sprintf("%s: %s", f.Account, f.Message)))).
		AddLocation(loc).
		WithPartialFingerprints(map[string]string{"rootwatchFindingId/v1": f.ID})
	if idx, ok := rules[f.Check]; ok {
		res.WithRuleIndex(idx)
	}
	return res
}

// writeSARIFResult writes one result into the open results array; n is
// the count of results written before it.
func writeSARIFResult(w io.Writer, res *sarif.Result, n int) error {
	b, err := indentJSON(res, "        ")
	if err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	sep := "\n        "
	if n > 0 {
		sep = "," + sep
	}
	if _, err := io.WriteString(w, sep); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}

// writeSARIFTail closes the results array (n results written), writes the
// invocation with the nNotes notifications read from notes (nil for none)
// and closes the log.
func writeSARIFTail(bw *bufio.Writer, n int, notes io.Reader, nNotes int) error {
	if n > 0 {
		bw.WriteString("\n      ")
	}
	fmt.Fprintf(bw, "],\n      \"invocations\": [\n        {\n          \"executionSuccessful\": %t,\n          \"toolExecutionNotifications\": [", nNotes == 0)
	if notes != nil {
		if _, err := bw.ReadFrom(notes); err != nil {
			return fmt.Errorf("write SARIF report: %w", err)
		}
	}
	if nNotes > 0 {
		bw.WriteString("\n          ")
	}
	bw.WriteString("]\n        }\n      ]\n    }\n  ]\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}

func (s *SARIFWriter) note(msg string) error {
	n := sarif.NewNotification().WithLevel("error").WithMessage(sarif.NewTextMessage(sarifSafe(msg)))
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	if s.nNotes > 0 {
		s.notes.WriteString(",")
	}
	s.notes.WriteString("\n            ")
	if _, err := s.notes.Write(b); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	s.nNotes++
	return nil
}

// Account writes the account's failing findings as results; findings in
// error become notifications.
func (s *SARIFWriter) Account(_ *Account, fs []model.Finding) error {
	for i := range fs {
		f := &fs[i]
		switch f.Status {
		case model.StatusError:
			if err := s.note(fmt.Sprintf("%s: %s could not be evaluated: %s", f.Account, f.Check, f.Message)); err != nil {
				return err
			}
			continue
		case model.StatusFail:
		default:
			continue
		}
		if err := writeSARIFResult(s.bw, sarifFindingResult(f, s.rules), s.results); err != nil {
			return err
		}
		s.results++
	}
	return nil
}

// End writes the invocation, with its notifications, and closes the log.
func (s *SARIFWriter) End() error {
	defer s.notes.Close()
	r, err := s.notes.reader()
	if err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return writeSARIFTail(s.bw, s.results, r, s.nNotes)
}
