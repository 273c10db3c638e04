// Package report writes audit results: one Writer per format behind one
// interface, chosen by name from a registry (formats.go) that also drives
// --format help and errors for every command.
//
// Writers stream: they get each account with its findings as it is judged
// and keep only what their format needs to the end (counts for the
// table's summary, the rows it shows; everything else is written at once
// or spooled to a temporary file), so memory does not grow with the
// fleet's findings.
package report

import (
	"io"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Report is everything an audit produced, held at once: for tests and small
// callers. An audit streams through Writer instead.
type Report struct {
	GeneratedAt time.Time           `json:"generated_at"`
	Tool        Tool                `json:"tool"`
	Accounts    []Account           `json:"accounts"`
	Findings    []model.Finding     `json:"findings"`
	Errors      []model.SourceError `json:"errors"`
	// Warnings are inputs set aside on purpose (a superseded credential
	// report): listed, but the run is not partial.
	Warnings []model.SourceError `json:"warnings,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Account is one audited account and the count of its findings by status.
type Account struct {
	ID               string                      `json:"id"`
	Name             string                      `json:"name,omitempty"`
	Org              string                      `json:"org,omitempty"`
	OUPath           string                      `json:"ou_path,omitempty"`
	Partition        string                      `json:"partition"`
	IsManagement     bool                        `json:"is_management,omitempty"`
	CreatedAt        *time.Time                  `json:"created_at,omitempty"`
	CredentialReport *model.CredentialReportInfo `json:"credential_report,omitempty"`
	IAMUsers         int                         `json:"iam_users"`
	// Assets are the asset counts and size bucket (live --assets only).
	Assets *model.Assets  `json:"assets,omitempty"`
	Status map[string]int `json:"status"`
}

// NewAccount is the report's view of one account and its findings.
func NewAccount(a *model.Account, findings []model.Finding) Account {
	acct := Account{
		ID: a.ID, Name: a.Name, Org: a.Org, OUPath: a.OUPath, Partition: a.Partition,
		IsManagement: a.IsManagement, CredentialReport: a.CredentialReport, IAMUsers: a.IAMUsers, Assets: a.Assets,
		Status: map[string]int{},
	}
	if !a.CreatedAt.IsZero() {
		t := a.CreatedAt
		acct.CreatedAt = &t
	}
	for i := range findings {
		if findings[i].Account == a.ID {
			acct.Status[findings[i].Status]++
		}
	}
	return acct
}

// New assembles a report from a snapshot and its findings.
func New(snap *model.Snapshot, findings []model.Finding, tool Tool, now time.Time) *Report {
	r := &Report{GeneratedAt: now.UTC(), Tool: tool, Findings: findings, Errors: snap.Errors, Warnings: snap.Warnings}
	if r.Findings == nil {
		r.Findings = []model.Finding{}
	}
	if r.Errors == nil {
		r.Errors = []model.SourceError{}
	}
	byAccount := map[string][]model.Finding{}
	for _, f := range findings {
		byAccount[f.Account] = append(byAccount[f.Account], f)
	}
	r.Accounts = make([]Account, 0, len(snap.Accounts))
	for i := range snap.Accounts {
		r.Accounts = append(r.Accounts, NewAccount(&snap.Accounts[i], byAccount[snap.Accounts[i].ID]))
	}
	return r
}

// Failing returns the failing findings at or above the severity; "none"
// never fails.
func (r *Report) Failing(failOn string) int {
	var t Tally
	t.Add(r.Findings)
	return t.Failing(failOn)
}

// Tally counts what decides an audit's exit code, as findings stream past.
type Tally struct {
	// Failed counts failing findings by severity.
	Failed map[string]int
	// Errors counts findings in error (checks that could not judge).
	Errors int
}

// Add counts findings.
func (t *Tally) Add(fs []model.Finding) {
	for i := range fs {
		switch fs[i].Status {
		case model.StatusFail:
			if t.Failed == nil {
				t.Failed = map[string]int{}
			}
			t.Failed[fs[i].Severity]++
		case model.StatusError:
			t.Errors++
		}
	}
}

// Failing returns the failing findings at or above the severity; "none"
// never fails.
func (t *Tally) Failing(failOn string) int {
	limit := model.SeverityRank(failOn)
	if failOn == "none" || limit < 0 {
		return 0
	}
	n := 0
	for sev, c := range t.Failed {
		if r := model.SeverityRank(sev); r >= 0 && r <= limit {
			n += c
		}
	}
	return n
}

// Options are what writers may need beyond the report.
type Options struct {
	// Color turns on ANSI colour (a terminal only).
	Color bool
	// Terminal: relative times and wider layout for people.
	Terminal bool
	// Width is the column the table's messages wrap at (at word
	// boundaries); 0 does not wrap.
	Width int
	// All lists passing and not-applicable findings in the table too.
	All bool
	// Now is used for relative times.
	Now time.Time
	// Details adds to each root event in jsonl the fields only some kinds
	// have (session, caller, task policy, ...); without it jsonl holds
	// exactly the contract's fields.
	Details bool
	// TempDir is where writers spool what their format must hold back
	// (the table's rows, the JSON report's findings); "" is the system's.
	TempDir string
}

// Header is what is known before any account is judged.
type Header struct {
	GeneratedAt time.Time
	Tool        Tool
	// Checks are the checks the audit runs, for formats that list them
	// before the results (SARIF's rules).
	Checks []Check
	// Errors are the inputs or accounts that could not be read.
	Errors []model.SourceError
	// Warnings are inputs set aside on purpose.
	Warnings []model.SourceError
}

// Check describes one check as it runs (severity overrides applied).
type Check struct {
	ID          string
	Title       string
	Severity    string
	Remediation string
	Compliance  map[string][]string
}

// Writer writes a report in one format as the audit makes it: Begin once,
// then Account for every account in ID order with its findings, then End.
// A writer keeps no reference to the findings after Account returns.
type Writer interface {
	Begin(w io.Writer, h *Header) error
	Account(a *Account, findings []model.Finding) error
	End() error
}

// Write writes a whole report through a writer, each account with its
// findings. The header's checks are those of the findings, in order.
func Write(wr Writer, w io.Writer, r *Report) error {
	h := &Header{GeneratedAt: r.GeneratedAt, Tool: r.Tool, Errors: r.Errors, Warnings: r.Warnings}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.Check] {
			seen[f.Check] = true
			h.Checks = append(h.Checks, Check{ID: f.Check, Title: f.Title, Severity: f.Severity, Remediation: f.Remediation, Compliance: f.Compliance})
		}
	}
	if err := wr.Begin(w, h); err != nil {
		return err
	}
	byAccount := map[string][]model.Finding{}
	for _, f := range r.Findings {
		byAccount[f.Account] = append(byAccount[f.Account], f)
	}
	for i := range r.Accounts {
		a := r.Accounts[i]
		if err := wr.Account(&a, byAccount[a.ID]); err != nil {
			return err
		}
		delete(byAccount, a.ID)
	}
	return wr.End()
}
