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

// Timeline is one account followed run after run ('rootwatch history
// account'): each observation of it with the checks failing in that run.
type Timeline struct {
	Account string          `json:"account"`
	Store   string          `json:"store"`
	Entries []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one observation of the account with its run's failing
// findings.
type TimelineEntry struct {
	history.Observation
	Failing []TimelineFinding `json:"failing"`
}

// TimelineFinding is a finding failing at one observation.
type TimelineFinding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// TimelineWriter writes an account's timeline.
type TimelineWriter func(w io.Writer, t *Timeline) error

// timelineFormats are the formats of 'rootwatch history account', in the
// order help shows them.
var timelineFormats = []struct {
	name  string
	write TimelineWriter
}{{"table", writeTimelineTable}, {"json", writeTimelineJSON}, {"csv", writeTimelineCSV}}

// TimelineFormats lists the formats of 'rootwatch history account'.
func TimelineFormats() []string {
	names := make([]string, len(timelineFormats))
	for i, f := range timelineFormats {
		names[i] = f.name
	}
	return names
}

// NewTimelineWriter returns the timeline writer of a format, or an error
// listing the valid ones.
func NewTimelineWriter(name string) (TimelineWriter, error) {
	for _, f := range timelineFormats {
		if f.name == name {
			return f.write, nil
		}
	}
	return nil, fmt.Errorf("unknown format %q for 'history account' (valid: %s)", name, strings.Join(TimelineFormats(), ", "))
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

// trailCell says what CloudTrail showed of root in the window before the
// observation: "-" when the run read no CloudTrail for the account.
func trailCell(e *history.ExactCounts) string {
	if e == nil {
		return "-"
	}
	return fmt.Sprintf("%d sign-ins (%d without MFA), %d key calls", e.SignIns, e.SignInsWithoutMFA, e.KeySignedCalls)
}

// writeTimelineTable writes the timeline, one run per line; what the store
// holds is escaped for the terminal.
func writeTimelineTable(w io.Writer, t *Timeline) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tAS OF\tPASSWORD USED\tKEY 1 (ROTATED/USED)\tKEY 2 (ROTATED/USED)\tMFA\tASSETS\tCLOUDTRAIL\tFAILING")
	for _, e := range t.Entries {
		keys := [2]string{"-", "-"}
		for i, k := range e.Keys {
			if k.Active {
				keys[i] = "active " + day(k.LastRotated) + "/" + day(k.LastUsed)
			}
		}
		assets, mfa, password := "-", "no", day(e.PasswordLastUsed)
		if e.Assets != nil {
			assets = strconv.Itoa(*e.Assets)
		}
		if e.MFA {
			mfa = "yes"
		}
		if e.RootUnread {
			keys, mfa, password = [2]string{"?", "?"}, "?", "? (root not read)"
		}
		failing := make([]string, len(e.Failing))
		for i, f := range e.Failing {
			failing[i] = f.Check + " (" + f.Severity + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.RunID, e.AsOf.UTC().Format(time.RFC3339), password, keys[0], keys[1],
			mfa, assets, trailCell(e.Exact), orDash(terminalSafe(strings.Join(failing, ", "))))
	}
	return tw.Flush()
}

func writeTimelineJSON(w io.Writer, t *Timeline) error {
	out := *t
	if out.Entries == nil {
		out.Entries = []TimelineEntry{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// TimelineCSVHeader is the header row of the timeline's CSV.
func TimelineCSVHeader() []string {
	return []string{"run_id", "as_of", "name", "org", "ou_path", "created_at", "root_unread", "password_last_used",
		"key_1_active", "key_1_last_rotated", "key_1_last_used", "key_2_active", "key_2_last_rotated", "key_2_last_used",
		"mfa", "assets", "trail_sign_ins", "trail_sign_ins_without_mfa", "trail_key_signed_calls", "failing_checks"}
}

// writeTimelineCSV writes one RFC 4180 row per observation; a time not
// known, an asset count not known and CloudTrail counts not read are
// empty cells; the failing checks are joined by ';'.
func writeTimelineCSV(w io.Writer, t *Timeline) error {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(TimelineCSVHeader())
	for _, e := range t.Entries {
		row := []string{strconv.FormatInt(e.RunID, 10), stamp(e.AsOf), csvSafe(e.Name), csvSafe(e.Org), csvSafe(e.OUPath),
			stamp(e.CreatedAt), strconv.FormatBool(e.RootUnread), stamp(e.PasswordLastUsed)}
		for _, k := range e.Keys {
			row = append(row, strconv.FormatBool(k.Active), stamp(k.LastRotated), stamp(k.LastUsed))
		}
		assets := ""
		if e.Assets != nil {
			assets = strconv.Itoa(*e.Assets)
		}
		row = append(row, strconv.FormatBool(e.MFA), assets)
		if x := e.Exact; x != nil {
			row = append(row, strconv.Itoa(x.SignIns), strconv.Itoa(x.SignInsWithoutMFA), strconv.Itoa(x.KeySignedCalls))
		} else {
			row = append(row, "", "", "")
		}
		checks := make([]string, len(e.Failing))
		for i, f := range e.Failing {
			checks[i] = f.Check
		}
		_ = cw.Write(append(row, csvSafe(strings.Join(checks, ";"))))
	}
	cw.Flush()
	return cw.Error()
}
