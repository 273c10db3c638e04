package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// TableWriter writes a table for people: the findings that need attention
// (all of them with Opts.All), then a summary of counts and of which accounts
// fail what. Colour only when Opts.Color is set (a terminal). Messages wrap
// at word boundaries to Opts.Width.
//
// It streams: accounts come in ID order, the rows to show are spooled (their
// column widths are known only at the end) and the summary keeps counts,
// never the findings.
type TableWriter struct {
	Opts Options

	w     io.Writer
	rows  *spool
	nRows int
	// width is the widest cell of each column (header included).
	width []int
	// accounts and findings count what was judged; byStatus, failSev,
	// failAccounts and checks sum it up.
	accounts, findings int
	byStatus           map[string]int
	failSev            map[string]int
	failAccounts       int
	checks             map[string]*failingCheck
	errors             []model.SourceError
	age                reportAge
}

// failingCheck is what the summary shows of one failing check.
type failingCheck struct {
	severity string
	accounts int
	// labels name the first accounts (labelMax of them).
	labels []string
}

const labelMax = 8

// reportAge is what the summary says of the credential reports' age.
type reportAge struct {
	oldest, newest time.Time
	fromAuditTime  int
	stale          int
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

// tableHeader is the findings table's header; the message is last.
func tableHeader() []string {
	return []string{"ACCOUNT", "NAME", "CHECK", "SEVERITY", "STATUS", "MESSAGE"}
}

// Begin starts counting; nothing is written until End.
func (t *TableWriter) Begin(w io.Writer, h *Header) error {
	t.w = w
	t.rows = newSpool(t.Opts.TempDir)
	t.byStatus, t.failSev, t.checks = map[string]int{}, map[string]int{}, map[string]*failingCheck{}
	t.errors = h.Errors
	for _, c := range tableHeader() {
		t.width = append(t.width, displayWidth(c))
	}
	return nil
}

// Account counts the account's findings and spools the rows to show.
func (t *TableWriter) Account(a *Account, fs []model.Finding) error {
	t.accounts++
	t.findings += len(fs)
	t.age.add(a.CredentialReport, t.Opts.Now)
	name := terminalSafe(a.Name)
	label := terminalSafe(a.ID)
	if name != "" {
		label = fmt.Sprintf("%s (%s)", name, label)
	}
	var show []*model.Finding
	failed := false
	for i := range fs {
		f := &fs[i]
		t.byStatus[f.Status]++
		if f.Status == model.StatusFail {
			failed = true
			t.failSev[f.Severity]++
			c := t.checks[f.Check]
			if c == nil {
				c = &failingCheck{severity: f.Severity}
				t.checks[f.Check] = c
			}
			c.accounts++
			if len(c.labels) < labelMax {
				c.labels = append(c.labels, label)
			}
		}
		if t.Opts.All || f.Status == model.StatusFail || f.Status == model.StatusError || f.Status == model.StatusManual {
			show = append(show, f)
		}
	}
	if failed {
		t.failAccounts++
	}
	sort.SliceStable(show, func(i, j int) bool {
		return model.SeverityRank(show[i].Severity) < model.SeverityRank(show[j].Severity)
	})
	for _, f := range show {
		cells := []string{terminalSafe(f.Account), name, terminalSafe(f.Check), terminalSafe(f.Severity),
			strings.ToUpper(terminalSafe(f.Status)), terminalSafe(f.Message)}
		for i, c := range cells {
			t.width[i] = max(t.width[i], displayWidth(c))
		}
		// terminalSafe leaves no control character: \x1f and \n
		// separate cells and rows.
		if _, err := t.rows.WriteString(strings.Join(cells, "\x1f") + "\n"); err != nil {
			return err
		}
		t.nRows++
	}
	return nil
}

// End writes the table and the summary.
func (t *TableWriter) End() error {
	defer t.rows.Close()
	ew := &errWriter{w: bufio.NewWriterSize(t.w, 64<<10)}
	if t.nRows > 0 {
		if err := t.writeRows(ew); err != nil {
			return err
		}
		ew.printf("\n")
	} else if t.findings > 0 {
		ew.printf("%s\n\n", t.paint(ansiGreen, "No failing, error or manual findings."))
	}
	t.summary(ew)
	if ew.err == nil {
		ew.err = ew.w.(*bufio.Writer).Flush()
	}
	return ew.err
}

// minMessage is the narrowest message column worth a column of its own;
// below it each message goes under its row, indented.
const minMessage = 30

// messageIndent indents a message written under its row.
const messageIndent = 4

// writeRows lays the rows out: on one line each, the message wrapped at
// word boundaries within the terminal's width; on a terminal too narrow
// for a message column, the row without its name and message, and under
// it the name and the message, indented and wrapped.
func (t *TableWriter) writeRows(ew *errWriter) error {
	header := tableHeader()
	const nameCol, msgCol = 1, 5
	prefix := 0
	for _, w := range t.width[:msgCol] {
		prefix += w + 2
	}
	total := t.Opts.Width
	stacked := total > 0 && total-prefix < minMessage
	// cols are the columns on the row's line.
	cols := []int{0, 1, 2, 3, 4, 5}
	if stacked {
		cols = []int{0, 2, 3, 4}
	}
	line := func(cells []string, status string, isHeader bool) {
		var b strings.Builder
		for n, i := range cols {
			c := cells[i]
			cell := c
			if n < len(cols)-1 {
				cell = pad(c, t.width[i]+2)
			}
			if i == msgCol {
				// The message is last: wrapped into its column.
				lines := wrap(c, total-prefix)
				b.WriteString(lines[0])
				for _, l := range lines[1:] {
					b.WriteString("\n" + strings.Repeat(" ", prefix) + l)
				}
				continue
			}
			switch {
			case isHeader:
				cell = t.paint(ansiBold, cell)
			case i == 3 && c == "critical":
				cell = t.paint(ansiBold+ansiRed, cell)
			case i == 4:
				cell = t.paint(statusColor(status), cell)
			}
			b.WriteString(cell)
		}
		ew.printf("%s\n", strings.TrimRight(b.String(), " "))
		if stacked && !isHeader {
			msg := cells[msgCol]
			if cells[nameCol] != "" {
				msg = cells[nameCol] + ": " + msg
			}
			for _, l := range wrap(msg, total-messageIndent) {
				ew.printf("%s%s\n", strings.Repeat(" ", messageIndent), l)
			}
		}
	}
	line(header, "", true)
	r, err := t.rows.reader()
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		row, err := br.ReadString('\n')
		if err == io.EOF && row == "" {
			break
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read the table's spool: %w", err)
		}
		cells := strings.Split(strings.TrimSuffix(row, "\n"), "\x1f")
		if len(cells) != len(header) {
			return fmt.Errorf("read the table's spool: a row of %d cells", len(cells))
		}
		line(cells, strings.ToLower(cells[4]), false)
	}
	return ew.err
}

// wrapped writes a summary line, wrapped to the width with its
// continuation lines indented by four spaces.
func (t *TableWriter) wrapped(ew *errWriter, s string) {
	lead := len(s) - len(strings.TrimLeft(s, " "))
	lines := []string{s}
	if t.Opts.Width > 0 {
		lines = wrapHanging(s[lead:], t.Opts.Width-lead, t.Opts.Width-lead-2)
		for i := range lines {
			if i == 0 {
				lines[i] = s[:lead] + lines[i]
			} else {
				lines[i] = s[:lead] + "  " + lines[i]
			}
		}
	}
	for _, l := range lines {
		ew.printf("%s\n", l)
	}
}

func (t *TableWriter) summary(ew *errWriter) {
	ew.printf("%s\n", t.paint(ansiBold, "Summary"))
	ew.printf("  %s audited, %s: ", counted(t.accounts, "account", "accounts"), counted(t.findings, "finding", "findings"))
	var parts []string
	for _, s := range model.Statuses() {
		parts = append(parts, t.paint(statusColor(s), fmt.Sprintf("%d %s", t.byStatus[s], s)))
	}
	ew.printf("%s\n", strings.Join(parts, ", "))
	if len(t.failSev) > 0 {
		parts = parts[:0]
		for _, s := range model.Severities() {
			if t.failSev[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", t.failSev[s], s))
			}
		}
		ew.printf("  failing by severity: %s\n", strings.Join(parts, ", "))
	}
	verb := "fail"
	if t.failAccounts == 1 {
		verb = "fails"
	}
	ew.printf("  %d of %s %s at least one check\n", t.failAccounts, counted(t.accounts, "account", "accounts"), verb)
	t.evidenceAge(ew)

	if len(t.checks) > 0 {
		checks := make([]string, 0, len(t.checks))
		for c := range t.checks {
			checks = append(checks, c)
		}
		sort.Slice(checks, func(i, j int) bool {
			ri, rj := model.SeverityRank(t.checks[checks[i]].severity), model.SeverityRank(t.checks[checks[j]].severity)
			if ri != rj {
				return ri < rj
			}
			return checks[i] < checks[j]
		})
		ew.printf("\n%s\n", t.paint(ansiBold, "Failing checks"))
		for _, id := range checks {
			c := t.checks[id]
			more := ""
			if c.accounts > len(c.labels) {
				more = fmt.Sprintf(" and %d more", c.accounts-len(c.labels))
			}
			t.wrapped(ew, fmt.Sprintf("  %s [%s] %s: %s%s", terminalSafe(id), terminalSafe(c.severity), counted(c.accounts, "account", "accounts"), strings.Join(c.labels, ", "), more))
		}
	}
	if len(t.errors) > 0 {
		ew.printf("\n%s\n", t.paint(ansiMagenta+ansiBold, fmt.Sprintf("Errors (%d%s): inputs not read or facts not collected; a check judging a missing fact says ERROR",
			len(t.errors), classCounts(t.errors))))
		for _, e := range t.errors {
			t.wrapped(ew, "  "+terminalSafe(errorLine(e)))
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

// add counts one account's credential report.
func (r *reportAge) add(cr *model.CredentialReportInfo, now time.Time) {
	if cr == nil || cr.GeneratedAt.IsZero() {
		return
	}
	if cr.GeneratedAtSource == "audit-time" {
		r.fromAuditTime++
	} else if !now.IsZero() && now.Sub(cr.GeneratedAt) > 24*time.Hour {
		r.stale++
	}
	if r.oldest.IsZero() || cr.GeneratedAt.Before(r.oldest) {
		r.oldest = cr.GeneratedAt
	}
	if cr.GeneratedAt.After(r.newest) {
		r.newest = cr.GeneratedAt
	}
}

// evidenceAge says how old the credential reports are: a fix made after a
// report was generated does not show in it.
func (t *TableWriter) evidenceAge(ew *errWriter) {
	a := t.age
	if a.oldest.IsZero() {
		return
	}
	ew.printf("  credential reports generated %s", t.when(a.oldest))
	if !a.newest.Equal(a.oldest) {
		ew.printf(" to %s", t.when(a.newest))
	}
	ew.printf("\n")
	if a.stale > 0 {
		ew.printf("  %s\n", t.paint(ansiYellow, fmt.Sprintf("%s more than a day old: their findings show the state when they were generated",
			counted(a.stale, "report is", "reports are"))))
	}
	if a.fromAuditTime > 0 {
		ew.printf("  %s no generation time (bare CSV): windows measured from the audit time; use --report-time or the CLI's JSON\n",
			counted(a.fromAuditTime, "report carries", "reports carry"))
	}
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

// classCounts words how many errors of AWS each class has, most first
// (": 3 access_denied, 2 timeout"); "" when none has a class (files).
func classCounts(errs []model.SourceError) string {
	n := map[string]int{}
	for _, e := range errs {
		if e.Class != "" {
			n[e.Class]++
		}
	}
	classes := make([]string, 0, len(n))
	for c := range n {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		if n[classes[i]] != n[classes[j]] {
			return n[classes[i]] > n[classes[j]]
		}
		return classes[i] < classes[j]
	})
	var parts []string
	for _, c := range classes {
		parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

// counted writes a count with the words that go with it: "1 account",
// "12 accounts".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
