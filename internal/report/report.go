// Package report writes audit results: one Writer per format behind one
// interface, chosen by name from a registry that also drives --format help.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Report is everything an audit produced.
type Report struct {
	GeneratedAt time.Time           `json:"generated_at"`
	Tool        Tool                `json:"tool"`
	Accounts    []Account           `json:"accounts"`
	Findings    []model.Finding     `json:"findings"`
	Errors      []model.SourceError `json:"errors"`
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

// New assembles a report from a snapshot and its findings.
func New(snap *model.Snapshot, findings []model.Finding, tool Tool, now time.Time) *Report {
	counts := map[string]map[string]int{}
	for _, f := range findings {
		if counts[f.Account] == nil {
			counts[f.Account] = map[string]int{}
		}
		counts[f.Account][f.Status]++
	}
	r := &Report{GeneratedAt: now.UTC(), Tool: tool, Findings: findings, Errors: snap.Errors}
	if r.Findings == nil {
		r.Findings = []model.Finding{}
	}
	if r.Errors == nil {
		r.Errors = []model.SourceError{}
	}
	r.Accounts = make([]Account, 0, len(snap.Accounts))
	for _, a := range snap.Accounts {
		acct := Account{
			ID: a.ID, Name: a.Name, Org: a.Org, OUPath: a.OUPath, Partition: a.Partition,
			IsManagement: a.IsManagement, CredentialReport: a.CredentialReport, IAMUsers: a.IAMUsers, Assets: a.Assets,
			Status: counts[a.ID],
		}
		if !a.CreatedAt.IsZero() {
			t := a.CreatedAt
			acct.CreatedAt = &t
		}
		if acct.Status == nil {
			acct.Status = map[string]int{}
		}
		r.Accounts = append(r.Accounts, acct)
	}
	return r
}

// Failing returns the failing findings at or above the severity; "none"
// never fails.
func (r *Report) Failing(failOn string) int {
	limit := model.SeverityRank(failOn)
	if failOn == "none" || limit < 0 {
		return 0
	}
	n := 0
	for _, f := range r.Findings {
		if f.Status == model.StatusFail && model.SeverityRank(f.Severity) <= limit {
			n++
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
	// All lists passing and not-applicable findings in the table too.
	All bool
	// Now is used for relative times.
	Now time.Time
	// Details adds to each root event in jsonl the fields only some kinds
	// have (session, caller, task policy, ...); without it jsonl holds
	// exactly the contract's fields.
	Details bool
}

// Writer writes a report in one format.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

type format struct {
	help string
	make func(Options) Writer
	// evidence says whether the format shows findings' evidence.
	evidence bool
}

func formats() map[string]format {
	return map[string]format{
		"table": {"a table for people, with a summary (the default)", func(o Options) Writer { return &TableWriter{Opts: o} }, false},
		"json":  {"the JSON report contract", func(Options) Writer { return JSONWriter{} }, true},
		"csv":   {"one RFC 4180 row per finding", func(Options) Writer { return CSVWriter{} }, true},
		"sarif": {"SARIF 2.1.0 for code scanning (failing findings)", func(Options) Writer { return SARIFWriter{} }, false},
	}
}

// ShowsEvidence reports whether a format writes findings' evidence, so the
// engine can skip building it for those that do not.
func ShowsEvidence(name string) bool { return formats()[name].evidence }

// Formats lists the format names, sorted.
func Formats() []string {
	var names []string
	for n := range formats() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FormatHelp describes every format, one per line.
func FormatHelp() string {
	f := formats()
	var b strings.Builder
	for _, n := range Formats() {
		fmt.Fprintf(&b, "  %-6s %s\n", n, f[n].help)
	}
	return b.String()
}

// NewWriter returns the writer for a format name, or an error listing the
// valid ones: an unknown format never falls back silently.
func NewWriter(name string, o Options) (Writer, error) {
	f, ok := formats()[name]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (valid: %s)", name, strings.Join(Formats(), ", "))
	}
	return f.make(o), nil
}
