package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/trail"
)

// EventWriter writes root events as they stream past, and the per-account
// summary.
type EventWriter interface {
	Event(ev *trail.Event) error
	Summary(s []trail.AccountSummary) error
	// Totals says what was read (the table shows it under the summary;
	// the other formats leave it to the log).
	Totals(st trail.Stats) error
	// Close flushes what is buffered.
	Close() error
}

func newJSONLEvents(w io.Writer, o Options) EventWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // JSON keeps untrusted strings exactly
	return &jsonlEvents{bw: bw, enc: enc, details: o.Details}
}

func newCSVEvents(w io.Writer, _ Options) EventWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true // RFC 4180, as the audit's CSV
	return &csvEvents{bw: bw, cw: cw}
}

func newTableEvents(w io.Writer, o Options) EventWriter {
	return &tableEvents{bw: bufio.NewWriterSize(w, 64<<10), o: o}
}

type jsonlEvents struct {
	bw      *bufio.Writer
	enc     *json.Encoder
	details bool
}

func (j *jsonlEvents) Event(ev *trail.Event) error {
	if j.details {
		return j.enc.Encode(ev)
	}
	return j.enc.Encode(ev.Contract)
}

func (j *jsonlEvents) Summary(s []trail.AccountSummary) error {
	for i := range s {
		if err := j.enc.Encode(&s[i]); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonlEvents) Totals(trail.Stats) error { return nil }

func (j *jsonlEvents) Close() error { return j.bw.Flush() }

// EventCSVHeader is the CSV header of events: the jsonl contract's fields,
// then the ones only some kinds have.
func EventCSVHeader() []string {
	return []string{"event_id", "event_time", "account", "region", "event_source", "event_name", "kind", "success", "mfa",
		"access_key_id", "source_ip", "user_agent", "source", "session", "invoked_by", "error_code", "caller", "target_account", "task_policy", "by_service"}
}

// SummaryCSVHeader is the CSV header of the summary.
func SummaryCSVHeader() []string {
	return []string{"account", "root_events", "console_sign_ins", "sign_ins_with_mfa", "sign_ins_without_mfa", "sign_ins_mfa_unknown",
		"failed_sign_ins", "key_signed_calls", "credential_changes", "assume_root_sessions_opened", "first_seen", "last_seen",
		"source_ips", "failed_sign_in_bursts"}
}

type csvEvents struct {
	bw      *bufio.Writer
	cw      *csv.Writer
	header  bool
	summary bool // the summary's header, not the events'
}

func (c *csvEvents) row(header []string, cells []string) error {
	if !c.header {
		c.header = true
		if err := c.cw.Write(header); err != nil {
			return err
		}
	}
	for i := range cells {
		cells[i] = csvSafe(cells[i])
	}
	return c.cw.Write(cells)
}

func (c *csvEvents) Event(ev *trail.Event) error {
	return c.row(EventCSVHeader(), []string{ev.EventID, ev.EventTime.UTC().Format(time.RFC3339), ev.Account, ev.Region, ev.EventSource, ev.EventName,
		ev.Kind, strconv.FormatBool(ev.Success), ev.MFA, ev.AccessKeyID, ev.SourceIP, ev.UserAgent, ev.Source, ev.Session, ev.InvokedBy,
		ev.ErrorCode, ev.Caller, ev.TargetAccount, ev.TaskPolicy, strconv.FormatBool(ev.ByService)})
}

func (c *csvEvents) Summary(s []trail.AccountSummary) error {
	c.summary = true
	for _, a := range s {
		var bursts []string
		for _, b := range a.Bursts {
			bursts = append(bursts, fmt.Sprintf("%d failures %s..%s from %s", b.Failures, b.Start.Format(time.RFC3339), b.End.Format(time.RFC3339), strings.Join(b.SourceIPs, " ")))
		}
		if err := c.row(SummaryCSVHeader(), []string{a.Account, strconv.Itoa(a.Events), strconv.Itoa(a.SignIns), strconv.Itoa(a.SignInsWithMFA),
			strconv.Itoa(a.SignInsWithoutMFA), strconv.Itoa(a.SignInsMFAUnknown), strconv.Itoa(a.FailedSignIns), strconv.Itoa(a.KeySignedCalls),
			strconv.Itoa(a.CredentialChanges), strconv.Itoa(a.AssumeRootCalls), a.FirstSeen.Format(time.RFC3339), a.LastSeen.Format(time.RFC3339),
			strings.Join(a.SourceIPs, " "), strings.Join(bursts, "; ")}); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvEvents) Totals(trail.Stats) error { return nil }

// Close writes the header of an empty report (a header even with no rows)
// and flushes.
func (c *csvEvents) Close() error {
	if !c.header {
		header := EventCSVHeader()
		if c.summary {
			header = SummaryCSVHeader()
		}
		if err := c.cw.Write(header); err != nil {
			return err
		}
	}
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// tableEvents writes one aligned line per event as it comes: fixed column
// widths, so nothing is held back to measure them.
type tableEvents struct {
	bw         *bufio.Writer
	o          Options
	rows       int
	summarized bool
}

const eventLine = "%-20s  %-12s  %-14s  %-17s  %-28s  %-4s  %-7s  %-22s  %s\n"

func (t *tableEvents) Event(ev *trail.Event) error {
	if t.rows == 0 {
		fmt.Fprintf(t.bw, eventLine, "TIME (UTC)", "ACCOUNT", "REGION", "KIND", "EVENT", "OK", "MFA", "SIGNED WITH", "SOURCE IP")
	}
	t.rows++
	ok := "yes"
	if !ev.Success {
		ok = "NO"
	}
	mfa := ev.MFA
	if ev.Kind != trail.KindConsoleLogin && mfa == "unknown" {
		mfa = "-"
	}
	signed := ev.Session
	switch {
	case ev.Kind == trail.KindConsoleLogin:
		signed = "password"
	case ev.Kind == trail.KindAssumeRoot:
		signed = "→ " + ev.TargetAccount
	case ev.Session == trail.SessionAccessKey:
		signed = ev.AccessKeyID
	}
	name := ev.EventSource
	name = strings.TrimSuffix(name, ".amazonaws.com") + ":" + ev.EventName
	if ev.ByService {
		name += " (by " + ev.InvokedBy + ")"
	}
	_, err := fmt.Fprintf(t.bw, eventLine, ev.EventTime.UTC().Format("2006-01-02 15:04:05"), terminalSafe(ev.Account), terminalSafe(ev.Region),
		ev.Kind, clip(terminalSafe(name), 28), ok, mfa, clip(terminalSafe(signed), 22), terminalSafe(ev.SourceIP))
	return err
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (t *tableEvents) Summary(s []trail.AccountSummary) error {
	t.summarized = true
	if len(s) == 0 {
		_, err := fmt.Fprintln(t.bw, "No root activity found.")
		return err
	}
	const line = "%-12s  %6s  %8s  %8s  %8s  %6s  %9s  %-20s  %-20s  %s\n"
	fmt.Fprintf(t.bw, line, "ACCOUNT", "EVENTS", "SIGN-INS", "NO MFA", "FAILED", "KEY", "CRED CHG", "FIRST SEEN (UTC)", "LAST SEEN (UTC)", "SOURCE IPS")
	for _, a := range s {
		fmt.Fprintf(t.bw, line, terminalSafe(a.Account), strconv.Itoa(a.Events), strconv.Itoa(a.SignIns), strconv.Itoa(a.SignInsWithoutMFA),
			strconv.Itoa(a.FailedSignIns), strconv.Itoa(a.KeySignedCalls), strconv.Itoa(a.CredentialChanges),
			a.FirstSeen.Format("2006-01-02 15:04:05"), a.LastSeen.Format("2006-01-02 15:04:05"), terminalSafe(strings.Join(a.SourceIPs, ", ")))
	}
	for _, a := range s {
		for _, b := range a.Bursts {
			fmt.Fprintf(t.bw, "\n! %s: %d failed root sign-ins between %s and %s from %s: likely password guessing\n", terminalSafe(a.Account), b.Failures,
				b.Start.Format("2006-01-02 15:04:05"), b.End.Format("15:04:05"), terminalSafe(strings.Join(b.SourceIPs, ", ")))
		}
	}
	return nil
}

func (t *tableEvents) Totals(st trail.Stats) error {
	if !t.summarized {
		return nil
	}
	_, err := fmt.Fprintf(t.bw, "\nRead %s, %s: %s, %s removed, %s skipped.\n",
		counted(int(st.Inputs), "input", "inputs"), counted(int(st.Records), "record", "records"), counted(int(st.Events), "root event", "root events"),
		counted(int(st.Duplicates), "duplicate delivery", "duplicate deliveries"), counted(int(st.Skipped), "record or input", "records or inputs"))
	return err
}

func (t *tableEvents) Close() error {
	if t.rows == 0 && !t.summarized {
		fmt.Fprintln(t.bw, "No root events.")
	}
	return t.bw.Flush()
}
