package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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
	s.rules = map[string]int{}
	s.notes = newSpool(s.Opts.TempDir)
	rep := sarif.NewReport()
	run := sarif.NewRunWithInformationURI(sarifSafe(h.Tool.Name), "https://github.com/rootwatch/rootwatch")
	run.Tool.Driver.WithVersion(sarifSafe(h.Tool.Version))
	for _, c := range h.Checks {
		if _, dup := s.rules[c.ID]; dup {
			continue
		}
		s.rules[c.ID] = len(run.Tool.Driver.Rules)
		props := sarif.NewPropertyBag().
			Add("security-severity", securitySeverity(c.Severity)).
			Add("compliance", c.Compliance)
		props.Tags = []string{"security", "aws", "root-user"}
		run.AddRule(sarifSafe(c.ID)).
			WithName(sarifSafe(c.ID)).
			WithDescription(sarifSafe(c.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString().WithText(sarifSafe(c.Title))).
			WithHelp(sarif.NewMultiformatMessageString().WithText(sarifSafe(c.Remediation))).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(c.Severity))).
			WithProperties(props)
	}
	// The run's members as the library writes them, but results and
	// invocations, which come last, streamed.
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
	fmt.Fprintf(s.bw, "{\n  \"$schema\": %q,\n  \"version\": %q,\n  \"runs\": [\n    {", rep.Schema, rep.Version)
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
		fmt.Fprintf(s.bw, "\n      %q: %s,", k, v.Bytes())
	}
	s.bw.WriteString("\n      \"results\": [")
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
		loc := sarif.NewLocationWithPhysicalLocation(
			sarif.NewPhysicalLocation().WithArtifactLocation(
				sarif.NewSimpleArtifactLocation(fmt.Sprintf("aws/%s/root-user", sarifSafe(f.Account))))).
			AddLogicalLocation(sarif.NewLogicalLocation().
				WithFullyQualifiedName(sarifSafe(f.Resource)).WithName(sarifSafe(f.Account)).WithKind("resource"))
		res := sarif.NewRuleResult(sarifSafe(f.Check)).
			WithLevel(sarifLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(sarifSafe(fmt.Sprintf("%s: %s", f.Account, f.Message)))).
			AddLocation(loc).
			WithPartialFingerprints(map[string]string{"rootwatchFindingId/v1": f.ID})
		if idx, ok := s.rules[f.Check]; ok {
			res.WithRuleIndex(idx)
		}
		b, err := indentJSON(res, "        ")
		if err != nil {
			return fmt.Errorf("write SARIF report: %w", err)
		}
		if s.results > 0 {
			s.bw.WriteByte(',')
		}
		s.bw.WriteString("\n        ")
		if _, err := s.bw.Write(b); err != nil {
			return fmt.Errorf("write SARIF report: %w", err)
		}
		s.results++
	}
	return nil
}

// End writes the invocation, with its notifications, and closes the log.
func (s *SARIFWriter) End() error {
	defer s.notes.Close()
	if s.results > 0 {
		s.bw.WriteString("\n      ")
	}
	fmt.Fprintf(s.bw, "],\n      \"invocations\": [\n        {\n          \"executionSuccessful\": %t,\n          \"toolExecutionNotifications\": [", s.nNotes == 0)
	r, err := s.notes.reader()
	if err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	if _, err := s.bw.ReadFrom(r); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	if s.nNotes > 0 {
		s.bw.WriteString("\n          ")
	}
	s.bw.WriteString("]\n        }\n      ]\n    }\n  ]\n}\n")
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}
