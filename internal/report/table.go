package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rootwatch/rootwatch/internal/model"
)

// TableWriter writes a table for people: the findings that need attention
// (all of them with Opts.All), then a summary of counts and of which accounts
// fail what. Colour only when Opts.Color is set (a terminal).
type TableWriter struct {
	Opts Options
}

var _ Writer = (*TableWriter)(nil)

const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiDim     = "\x1b[2m"
)

func (t *TableWriter) paint(code, s string) string {
	if !t.Opts.Color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func statusColor(s string) string {
	switch s {
	case model.StatusFail:
		return ansiRed
	case model.StatusError:
		return ansiMagenta
	case model.StatusManual:
		return ansiYellow
	case model.StatusPass:
		return ansiGreen
	}
	return ansiDim
}

func (t *TableWriter) Write(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	names := map[string]string{}
	for _, a := range r.Accounts {
		names[a.ID] = a.Name
	}
	var rows []model.Finding
	for _, f := range r.Findings {
		if t.Opts.All || f.Status == model.StatusFail || f.Status == model.StatusError || f.Status == model.StatusManual {
			rows = append(rows, f)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Account != rows[j].Account {
			return rows[i].Account < rows[j].Account
		}
		return model.SeverityRank(rows[i].Severity) < model.SeverityRank(rows[j].Severity)
	})
	if len(rows) > 0 {
		cells := [][]string{{"ACCOUNT", "NAME", "CHECK", "SEVERITY", "STATUS", "MESSAGE"}}
		for _, f := range rows {
			cells = append(cells, []string{f.Account, terminalSafe(names[f.Account]), f.Check,
				f.Severity, strings.ToUpper(f.Status), terminalSafe(f.Message)})
		}
		// Pad the plain text first, then colour it, so escape codes do not
		// count towards column widths.
		width := make([]int, len(cells[0]))
		for _, row := range cells {
			for i, c := range row {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
		for n, row := range cells {
			var b strings.Builder
			for i, c := range row {
				cell := c
				if i < len(row)-1 {
					cell += strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2)
				}
				switch {
				case n == 0:
					cell = t.paint(ansiBold, cell)
				case i == 3 && c == "critical":
					cell = t.paint(ansiBold+ansiRed, cell)
				case i == 4:
					cell = t.paint(statusColor(rows[n-1].Status), cell)
				}
				b.WriteString(cell)
			}
			ew.printf("%s\n", strings.TrimRight(b.String(), " "))
		}
		ew.printf("\n")
	} else if len(r.Findings) > 0 {
		ew.printf("%s\n\n", t.paint(ansiGreen, "No failing, error or manual findings."))
	}
	t.summary(ew, r, names)
	return ew.err
}

func (t *TableWriter) summary(ew *errWriter, r *Report, names map[string]string) {
	byStatus := map[string]int{}
	failSev := map[string]int{}
	failAccounts := map[string]bool{}
	byCheck := map[string][]string{}
	checkSev := map[string]string{}
	for _, f := range r.Findings {
		byStatus[f.Status]++
		if f.Status == model.StatusFail {
			failSev[f.Severity]++
			failAccounts[f.Account] = true
			byCheck[f.Check] = append(byCheck[f.Check], f.Account)
			checkSev[f.Check] = f.Severity
		}
	}
	ew.printf("%s\n", t.paint(ansiBold, "Summary"))
	ew.printf("  %d account(s) audited, %d finding(s): ", len(r.Accounts), len(r.Findings))
	var parts []string
	for _, s := range model.Statuses() {
		parts = append(parts, t.paint(statusColor(s), fmt.Sprintf("%d %s", byStatus[s], s)))
	}
	ew.printf("%s\n", strings.Join(parts, ", "))
	if len(failSev) > 0 {
		parts = parts[:0]
		for _, s := range model.Severities() {
			if failSev[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", failSev[s], s))
			}
		}
		ew.printf("  failing by severity: %s\n", strings.Join(parts, ", "))
	}
	ew.printf("  %d of %d account(s) fail at least one check\n", len(failAccounts), len(r.Accounts))
	t.evidenceAge(ew, r)

	if len(byCheck) > 0 {
		checks := make([]string, 0, len(byCheck))
		for c := range byCheck {
			checks = append(checks, c)
		}
		sort.Slice(checks, func(i, j int) bool {
			ri, rj := model.SeverityRank(checkSev[checks[i]]), model.SeverityRank(checkSev[checks[j]])
			if ri != rj {
				return ri < rj
			}
			return checks[i] < checks[j]
		})
		ew.printf("\n%s\n", t.paint(ansiBold, "Failing checks"))
		for _, c := range checks {
			accts := byCheck[c]
			labels := make([]string, 0, min(len(accts), 8))
			for _, a := range accts[:min(len(accts), 8)] {
				if n := names[a]; n != "" {
					labels = append(labels, fmt.Sprintf("%s (%s)", terminalSafe(n), a))
				} else {
					labels = append(labels, a)
				}
			}
			more := ""
			if len(accts) > 8 {
				more = fmt.Sprintf(" and %d more", len(accts)-8)
			}
			ew.printf("  %s [%s] %d account(s): %s%s\n", c, checkSev[c], len(accts), strings.Join(labels, ", "), more)
		}
	}
	if len(r.Errors) > 0 {
		ew.printf("\n%s\n", t.paint(ansiMagenta+ansiBold, fmt.Sprintf("Errors (%d): inputs not read or facts not collected; a check judging a missing fact says ERROR", len(r.Errors))))
		for _, e := range r.Errors {
			ew.printf("  %s\n", terminalSafe(errorLine(e)))
		}
	}
}

// errorLine names the account and the source of an error where its
// message does not already (a file's errors name the file).
func errorLine(e model.SourceError) string {
	var prefix []string
	if e.Account != "" && !strings.Contains(e.Message, e.Account) {
		prefix = append(prefix, "account "+e.Account)
	}
	if e.Source != "" && !strings.Contains(e.Message, e.Source) {
		prefix = append(prefix, e.Source)
	}
	if len(prefix) == 0 {
		return e.Message
	}
	return strings.Join(prefix, ", ") + ": " + e.Message
}

// evidenceAge says how old the credential reports are: a fix made after a
// report was generated does not show in it.
func (t *TableWriter) evidenceAge(ew *errWriter, r *Report) {
	var oldest, newest time.Time
	fromAuditTime := 0
	for _, a := range r.Accounts {
		cr := a.CredentialReport
		if cr == nil || cr.GeneratedAt.IsZero() {
			continue
		}
		if cr.GeneratedAtSource == "audit-time" {
			fromAuditTime++
		}
		if oldest.IsZero() || cr.GeneratedAt.Before(oldest) {
			oldest = cr.GeneratedAt
		}
		if cr.GeneratedAt.After(newest) {
			newest = cr.GeneratedAt
		}
	}
	if oldest.IsZero() {
		return
	}
	ew.printf("  credential reports generated %s", t.when(oldest))
	if !newest.Equal(oldest) {
		ew.printf(" to %s", t.when(newest))
	}
	ew.printf("\n")
	if stale := countOlder(r, t.Opts.Now, 24*time.Hour); stale > 0 {
		ew.printf("  %s\n", t.paint(ansiYellow, fmt.Sprintf("%d report(s) are more than a day old: their findings show the state when they were generated", stale)))
	}
	if fromAuditTime > 0 {
		ew.printf("  %d report(s) carry no generation time (bare CSV): windows measured from the audit time; use --report-time or the CLI's JSON\n", fromAuditTime)
	}
}

func countOlder(r *Report, now time.Time, age time.Duration) int {
	if now.IsZero() {
		return 0
	}
	n := 0
	for _, a := range r.Accounts {
		if cr := a.CredentialReport; cr != nil && cr.GeneratedAtSource != "audit-time" && now.Sub(cr.GeneratedAt) > age {
			n++
		}
	}
	return n
}

// when writes a time: relative for a person at a terminal, RFC 3339 else.
func (t *TableWriter) when(at time.Time) string {
	ts := at.UTC().Format(time.RFC3339)
	if !t.Opts.Terminal || t.Opts.Now.IsZero() {
		return ts
	}
	age := t.Opts.Now.Sub(at)
	var rel string
	switch {
	case age < time.Hour:
		rel = fmt.Sprintf("%dm ago", int(age.Minutes()))
	case age < 48*time.Hour:
		rel = fmt.Sprintf("%dh ago", int(age.Hours()))
	default:
		rel = fmt.Sprintf("%dd ago", int(age.Hours()/24))
	}
	return fmt.Sprintf("%s (%s)", ts, rel)
}

// errWriter keeps the first write error so the table code stays readable.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
