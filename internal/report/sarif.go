package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/rootwatch/rootwatch/internal/model"
)

// SARIFWriter writes SARIF 2.1.0 with the failing findings as results.
// GitHub code scanning needs a physical location on every result, so each
// has the stable relative URI aws/<account>/root-user, with the ARN as a
// logical location.
type SARIFWriter struct{}

var _ Writer = SARIFWriter{}

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

// BuildSARIF returns the SARIF log of a report.
func BuildSARIF(r *Report) *sarif.Report {
	rep := sarif.NewReport()
	run := sarif.NewRunWithInformationURI(r.Tool.Name, "https://github.com/rootwatch/rootwatch")
	run.Tool.Driver.WithVersion(r.Tool.Version)
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.Check] {
			seen[f.Check] = true
			props := sarif.NewPropertyBag().
				Add("security-severity", securitySeverity(f.Severity)).
				Add("compliance", f.Compliance)
			props.Tags = []string{"security", "aws", "root-user"}
			run.AddRule(f.Check).
				WithName(f.Check).
				WithDescription(f.Title).
				WithFullDescription(sarif.NewMultiformatMessageString().WithText(f.Title)).
				WithHelp(sarif.NewMultiformatMessageString().WithText(f.Remediation)).
				WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(f.Severity))).
				WithProperties(props)
		}
		if f.Status != model.StatusFail {
			continue
		}
		loc := sarif.NewLocationWithPhysicalLocation(
			sarif.NewPhysicalLocation().WithArtifactLocation(
				sarif.NewSimpleArtifactLocation(fmt.Sprintf("aws/%s/root-user", f.Account)))).
			AddLogicalLocation(sarif.NewLogicalLocation().
				WithFullyQualifiedName(f.Resource).WithName(f.Account).WithKind("resource"))
		run.CreateResultForRule(f.Check).
			WithLevel(sarifLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(fmt.Sprintf("%s: %s", f.Account, f.Message))).
			AddLocation(loc).
			WithPartialFingerprints(map[string]string{"rootwatchFindingId/v1": f.ID})
	}
	// Inputs that could not be read and checks that could not be evaluated
	// are tool execution notifications: the run is then not successful.
	inv := sarif.NewInvocation()
	failed := len(r.Errors) > 0
	for _, e := range r.Errors {
		msg := e.Message
		if !strings.Contains(msg, e.Source) {
			msg = e.Source + ": " + msg
		}
		if e.Account != "" && !strings.Contains(msg, e.Account) {
			msg = e.Account + ": " + msg
		}
		inv.AddToolExecutionNotification(sarif.NewNotification().
			WithLevel("error").WithMessage(sarif.NewTextMessage(msg)))
	}
	for _, f := range r.Findings {
		if f.Status == model.StatusError {
			failed = true
			inv.AddToolExecutionNotification(sarif.NewNotification().WithLevel("error").
				WithMessage(sarif.NewTextMessage(fmt.Sprintf("%s: %s could not be evaluated: %s", f.Account, f.Check, f.Message))))
		}
	}
	inv.WithExecutionSuccessful(!failed)
	run.AddInvocation(inv)
	rep.AddRun(run)
	return rep
}

func (SARIFWriter) Write(w io.Writer, r *Report) error {
	if err := BuildSARIF(r).PrettyWrite(w); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}
