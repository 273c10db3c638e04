package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/study"
)

// Study is what 'rootwatch study' writes: the study's result, the
// parameters it was computed with and, for --demo, the seed's headline
// figures beside the computed ones.
type Study struct {
	Result      study.Result
	Window      time.Duration
	GracePeriod time.Duration
	// Source names where the observations came from (a store, "the demo
	// fleet"), for the table's title.
	Source string
	// Seed is set by --demo: the table adds "Seed vs this fleet", the JSON
	// a "seed" array; CSV leaves it out (one row per week).
	Seed []study.Headline
	// MaxOffenders bounds the table's list of repeat offenders (0: 25).
	MaxOffenders int
	// KeyMaxAge is the age past which an active root key is old (0: the
	// default, 90 days), for the words beside the figures.
	KeyMaxAge time.Duration
	// Generated is when the study was computed (zero: now), for the HTML
	// page's header.
	Generated time.Time
}

// StudyWriter writes a study in one format.
type StudyWriter func(w io.Writer, s *Study) error

// NewStudyWriter returns the study writer of a format, or an error listing
// the valid ones.
func NewStudyWriter(name string) (StudyWriter, error) {
	f, err := lookup(CommandStudy, name)
	if err != nil {
		return nil, err
	}
	return f.study, nil
}

// studyHeadline is a headline as the JSON writes it: the difference
// included, figures rounded to 0.01 (no float noise).
type studyHeadline struct {
	Figure   string  `json:"figure"`
	Percent  bool    `json:"percent"`
	Seed     float64 `json:"seed"`
	Computed float64 `json:"computed"`
	Diff     float64 `json:"diff"`
	Note     string  `json:"note,omitempty"`
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// writeStudyJSON writes study.Result's JSON (issue 12's shape) and, for the
// demo, "seed": the seed's headline figures beside the computed ones.
func writeStudyJSON(w io.Writer, s *Study) error {
	doc := struct {
		study.Result
		Seed []studyHeadline `json:"seed,omitempty"`
	}{Result: s.Result}
	if doc.Weeks == nil {
		doc.Weeks = []study.Week{}
	}
	for _, h := range s.Seed {
		doc.Seed = append(doc.Seed, studyHeadline{Figure: h.Figure, Percent: h.Percent, Seed: round2(h.Seed),
			Computed: round2(h.Computed), Diff: round2(h.Diff()), Note: h.Note})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "(< 50 assets)" reads as written
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write study JSON: %w", err)
	}
	return nil
}

// StudyCSVHeader is the header of the study's CSV: one row per week, then
// one row whose as_of is "period". A cell with no meaning for its row is
// empty: weeks, repeat offenders, concentration and organizations with root
// keys on a week's row; accounts_eligible, old keys and sizes on the
// period's; exact_* where no CloudTrail count was kept.
func StudyCSVHeader() []string {
	return []string{"as_of", "weeks", "accounts", "accounts_eligible", "orgs", "accounts_used_root", "orgs_used_root",
		"uses", "key_uses", "console_uses", "console_uses_without_mfa", "accounts_with_root_keys",
		"accounts_with_old_root_keys", "used_root_small", "used_root_medium", "used_root_large",
		"repeat_offenders", "uses_by_repeat_offenders", "concentration_half_of_uses", "orgs_with_root_keys",
		"exact_accounts", "exact_sign_ins", "exact_sign_ins_without_mfa", "exact_key_signed_calls"}
}

func exactCells(e *study.Exact) []string {
	if e == nil {
		return []string{"", "", "", ""}
	}
	return []string{strconv.Itoa(e.Accounts), strconv.Itoa(e.SignIns), strconv.Itoa(e.SignInsWithoutMFA), strconv.Itoa(e.KeySignedCalls)}
}

func writeStudyCSV(w io.Writer, s *Study) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	i := strconv.Itoa
	rows := [][]string{StudyCSVHeader()}
	for _, wk := range s.Result.Weeks {
		row := []string{wk.AsOf.UTC().Format(time.RFC3339), "", i(wk.Accounts), i(wk.AccountsEligible), i(wk.Orgs),
			i(wk.AccountsUsedRoot), i(wk.OrgsUsedRoot), i(wk.AccountsUsedRoot), i(wk.KeyUses), i(wk.ConsoleUses),
			i(wk.ConsoleUsesWithoutMFA), i(wk.AccountsWithRootKeys), i(wk.AccountsWithOldRootKeys),
			i(wk.UsedRootBySize.Small), i(wk.UsedRootBySize.Medium), i(wk.UsedRootBySize.Large), "", "", "", ""}
		rows = append(rows, append(row, exactCells(wk.Exact)...))
	}
	p := s.Result.Period
	row := []string{"period", i(p.Weeks), i(p.Accounts), "", i(p.Orgs), i(p.AccountsUsedRoot), i(p.OrgsUsedRoot),
		i(p.Uses), i(p.KeyUses), i(p.ConsoleUses), i(p.ConsoleUsesWithoutMFA), i(p.AccountsWithRootKeys), "", "", "", "",
		i(p.RepeatOffenders), i(p.UsesByRepeatOffenders), i(p.ConcentrationHalfOfUses), i(p.OrgsWithRootKeys)}
	rows = append(rows, append(row, exactCells(p.Exact)...))
	for _, r := range rows {
		for j := range r {
			r[j] = csvSafe(r[j])
		}
		if err := cw.Write(r); err != nil {
			return fmt.Errorf("write study CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write study CSV: %w", err)
	}
	return nil
}

// share is n as a percentage of of, to one decimal ("15.6%"); "-" when
// of is 0.
func share(n, of int) string {
	if of == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

// writeStudyTable writes the weekly table, the period's figures with their
// shares, the repeat offenders and the concentration, CloudTrail's exact
// counts beside the sampled ones, and for the demo the seed's figures.
func writeStudyTable(w io.Writer, s *Study) error {
	ew := &studyOut{w: w}
	r := s.Result
	p := r.Period
	fmt.Fprintf(ew, "Root use in %s, week by week (window %s, grace period %s)\n\n",
		terminalSafe(s.Source), config.FormatDuration(s.Window), config.FormatDuration(s.GracePeriod))
	exact := p.Exact != nil
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "AS OF\tACCOUNTS\tELIGIBLE\tORGS\tUSED ROOT\tORGS USED\tKEY\tCONSOLE\tNO MFA\tROOT KEYS\tOLD KEYS\tSMALL\tMEDIUM\tLARGE\t"
	if exact {
		head += "CT SIGN-INS\tCT NO MFA\tCT KEY CALLS\t"
	}
	fmt.Fprintln(tw, head)
	for _, wk := range r.Weeks {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t", wk.AsOf.UTC().Format(time.RFC3339),
			wk.Accounts, wk.AccountsEligible, wk.Orgs, wk.AccountsUsedRoot, wk.OrgsUsedRoot, wk.KeyUses, wk.ConsoleUses,
			wk.ConsoleUsesWithoutMFA, wk.AccountsWithRootKeys, wk.AccountsWithOldRootKeys,
			wk.UsedRootBySize.Small, wk.UsedRootBySize.Medium, wk.UsedRootBySize.Large)
		if exact {
			if e := wk.Exact; e != nil {
				fmt.Fprintf(tw, "%d\t%d\t%d\t", e.SignIns, e.SignInsWithoutMFA, e.KeySignedCalls)
			} else {
				fmt.Fprint(tw, "-\t-\t-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write study table: %w", err)
	}
	if exact {
		fmt.Fprintln(ew, "CT: CloudTrail's exact counts over the window, for the eligible accounts whose logs were read (- where none was).")
	}
	if n := len(r.Weeks); n > 0 {
		fmt.Fprintf(ew, "\nOver the period (%s, %s to %s):\n", pluralize(p.Weeks, "week"),
			r.Weeks[0].AsOf.UTC().Format(time.DateOnly), r.Weeks[n-1].AsOf.UTC().Format(time.DateOnly))
	} else {
		fmt.Fprintf(ew, "\nOver the period (%s):\n", pluralize(p.Weeks, "week"))
	}
	lines := []struct {
		label string
		n     int
		share string
	}{
		{"accounts audited", p.Accounts, ""},
		{"organizations audited", p.Orgs, ""},
		{"accounts using root", p.AccountsUsedRoot, share(p.AccountsUsedRoot, p.Accounts) + " of accounts"},
		{"organizations using root", p.OrgsUsedRoot, share(p.OrgsUsedRoot, p.Orgs) + " of organizations"},
		{"root uses (account-weeks)", p.Uses, ""},
		{"key uses", p.KeyUses, share(p.KeyUses, p.Uses) + " of uses"},
		{"console uses", p.ConsoleUses, share(p.ConsoleUses, p.Uses) + " of uses"},
		{"console uses without MFA", p.ConsoleUsesWithoutMFA, share(p.ConsoleUsesWithoutMFA, p.ConsoleUses) + " of console uses"},
		{"repeat offenders", p.RepeatOffenders, share(p.RepeatOffenders, p.AccountsUsedRoot) + " of accounts using root"},
		{"uses by repeat offenders", p.UsesByRepeatOffenders, share(p.UsesByRepeatOffenders, p.Uses) + " of uses"},
		{"accounts making half of the uses", p.ConcentrationHalfOfUses, share(p.ConcentrationHalfOfUses, p.AccountsUsedRoot) + " of accounts using root"},
		{"accounts with root keys", p.AccountsWithRootKeys, share(p.AccountsWithRootKeys, p.Accounts) + " of accounts"},
		{"organizations with root keys", p.OrgsWithRootKeys, share(p.OrgsWithRootKeys, p.Orgs) + " of organizations"},
	}
	for _, l := range lines {
		if l.share != "" {
			fmt.Fprintf(ew, "  %-34s %7d  %s\n", l.label, l.n, l.share)
		} else {
			fmt.Fprintf(ew, "  %-34s %7d\n", l.label, l.n)
		}
	}
	if e := p.Exact; e != nil {
		fmt.Fprintf(ew, "\nExact, from CloudTrail (%s whose logs were read), beside the sampled figures:\n", pluralize(e.Accounts, "account"))
		fmt.Fprintf(ew, "  %-34s %7d  sampled console uses: %d\n", "console sign-ins", e.SignIns, p.ConsoleUses)
		fmt.Fprintf(ew, "  %-34s %7d  sampled console uses without MFA: %d\n", "sign-ins without MFA", e.SignInsWithoutMFA, p.ConsoleUsesWithoutMFA)
		fmt.Fprintf(ew, "  %-34s %7d  sampled key uses: %d\n", "calls signed with a root key", e.KeySignedCalls, p.KeyUses)
	}
	writeOffenders(ew, s)
	if len(s.Seed) > 0 {
		fmt.Fprintf(ew, "\nSeed vs this fleet:\n")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  FIGURE\tSEED\tTHIS FLEET\tDIFF")
		for _, h := range s.Seed {
			unit := ""
			if h.Percent {
				unit = "%"
			}
			fmt.Fprintf(tw, "  %s\t%s%s\t%s%s\t%s\n", terminalSafe(h.Figure), num(h.Seed), unit, num(h.Computed), unit, signed(h.Diff(), h.Percent))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write study table: %w", err)
		}
	}
	if ew.err != nil {
		return fmt.Errorf("write study table: %w", ew.err)
	}
	return nil
}

// writeOffenders lists the repeat offenders, the most uses first, marking
// those that make half of the uses.
func writeOffenders(w io.Writer, s *Study) {
	p := s.Result.Period
	if p.Uses == 0 {
		fmt.Fprintf(w, "\nNo root use in the period.\n")
		return
	}
	fmt.Fprintf(w, "\nConcentration: %s of %d made half of the %s (%s).\n",
		pluralize(p.ConcentrationHalfOfUses, "account"), p.AccountsUsedRoot, pluralize(p.Uses, "use"), share(p.ConcentrationHalfOfUses, p.AccountsUsedRoot))
	if p.RepeatOffenders == 0 {
		fmt.Fprintf(w, "No repeat offender: no account used root in two weeks or more.\n")
		return
	}
	limit := s.MaxOffenders
	if limit <= 0 {
		limit = 25
	}
	fmt.Fprintf(w, "Repeat offenders (uses in two weeks or more; * among those making half of the uses):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  \tACCOUNT\tNAME\tORG\tUSES")
	shown := 0
	for _, o := range s.Result.Offenders {
		if !o.Repeat {
			continue
		}
		if shown == limit {
			break
		}
		shown++
		mark := ""
		if o.InHalf {
			mark = "*"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\n", mark, terminalSafe(o.Account), terminalSafe(o.Name), terminalSafe(o.Org), o.Uses)
	}
	_ = tw.Flush() // the caller's studyOut keeps a write error
	if more := p.RepeatOffenders - shown; more > 0 {
		fmt.Fprintf(w, "  ... and %d more\n", more)
	}
}

func num(f float64) string { return strconv.FormatFloat(round2(f), 'f', -1, 64) }

func signed(d float64, percent bool) string {
	d = round2(d)
	unit := ""
	if percent {
		unit = " pt"
	}
	if d > 0 {
		return "+" + num(d) + unit
	}
	if d == 0 {
		return "0" + unit
	}
	return num(d) + unit
}

func pluralize(n int, singular string) string {
	if n == 1 {
		return "1 " + singular
	}
	return strconv.Itoa(n) + " " + singular + "s"
}

// studyOut keeps the first write error, so a table made of many small
// writes checks once.
type studyOut struct {
	w   io.Writer
	err error
}

func (e *studyOut) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
