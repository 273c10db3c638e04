package report

import (
	"io"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/study"
)

// htmlMaxRows bounds each list of accounts in an HTML page; a line says
// how many more there are.
const htmlMaxRows = 1000

// htmlOpenRows: a list of accounts this long or shorter is shown open,
// a longer one folded in <details>.
const htmlOpenRows = 30

// htmlTopOffenders is how many offenders stand beside the concentration.
const htmlTopOffenders = 10

// studyView is what html/study.tmpl reads.
type studyView struct {
	Source      string
	Window      string
	GracePeriod string
	// From and To are the first and last weeks' audits (zero without weeks).
	From, To time.Time
	Weeks    []study.Week
	Period   study.Period
	// Exact: some week holds CloudTrail's exact counts.
	Exact bool
	// Key are the headline figures shown first.
	Key     []htmlFigure
	Figures []htmlFigure
	Charts  []chart
	Seed    []seedRow
	// Concentration is the cumulative share of uses by offending accounts,
	// the most uses first.
	Concentration *chart
	// Top are the offenders with the most uses, beside the concentration.
	Top        []study.Offender
	Offenders  htmlRows[study.Offender]
	KeyHolders htmlRows[study.KeyHolder]
}

// htmlFigure is one of the period's figures: N, and where it is a share,
// N of Of (OfWhat) as a percentage.
type htmlFigure struct {
	Label  string
	N      int
	Of     int
	OfWhat string
	// Anchor links the figure to the accounts behind it.
	Anchor string
}

// Share is N of Of as a percentage to a tenth; "" for a plain count.
func (f htmlFigure) Share() string {
	if f.OfWhat == "" {
		return ""
	}
	return share(f.N, f.Of)
}

// seedRow is one of the seed's headline figures beside this fleet's.
type seedRow struct {
	Figure, Seed, Computed, Diff, Note string
	// Close: within 1 point (percentages) or 1 (counts) of the seed.
	Close bool
}

// htmlRows is a list of accounts, cut at htmlMaxRows.
type htmlRows[T any] struct {
	Rows  []T
	Total int
	More  int
	Open  bool
}

func newHTMLRows[T any](all []T) htmlRows[T] {
	r := htmlRows[T]{Rows: all, Total: len(all), Open: len(all) <= htmlOpenRows}
	if len(all) > htmlMaxRows {
		r.Rows, r.More = all[:htmlMaxRows], len(all)-htmlMaxRows
	}
	return r
}

// periodFigures are the period's figures with their shares, as the table
// writes them.
func periodFigures(p study.Period) []htmlFigure {
	return []htmlFigure{
		{Label: "accounts audited", N: p.Accounts},
		{Label: "organizations audited", N: p.Orgs},
		{Label: "accounts using root", N: p.AccountsUsedRoot, Of: p.Accounts, OfWhat: "accounts", Anchor: "offenders"},
		{Label: "organizations using root", N: p.OrgsUsedRoot, Of: p.Orgs, OfWhat: "organizations"},
		{Label: "root uses (account-weeks)", N: p.Uses},
		{Label: "key uses", N: p.KeyUses, Of: p.Uses, OfWhat: "uses"},
		{Label: "console uses", N: p.ConsoleUses, Of: p.Uses, OfWhat: "uses"},
		{Label: "console uses without MFA", N: p.ConsoleUsesWithoutMFA, Of: p.ConsoleUses, OfWhat: "console uses"},
		{Label: "repeat offenders", N: p.RepeatOffenders, Of: p.AccountsUsedRoot, OfWhat: "accounts using root", Anchor: "offenders"},
		{Label: "uses by repeat offenders", N: p.UsesByRepeatOffenders, Of: p.Uses, OfWhat: "uses"},
		{Label: "accounts making half of the uses", N: p.ConcentrationHalfOfUses, Of: p.AccountsUsedRoot, OfWhat: "accounts using root", Anchor: "offenders"},
		{Label: "accounts with root keys", N: p.AccountsWithRootKeys, Of: p.Accounts, OfWhat: "accounts", Anchor: "keyholders"},
		{Label: "organizations with root keys", N: p.OrgsWithRootKeys, Of: p.Orgs, OfWhat: "organizations"},
	}
}

// writeStudyHTML writes the study as one self-contained HTML page.
func writeStudyHTML(w io.Writer, s *Study) error {
	at := s.Generated
	if at.IsZero() {
		at = time.Now()
	}
	return writeStudyHTMLAt(w, s, at)
}

func writeStudyHTMLAt(w io.Writer, s *Study, now time.Time) error {
	v := newStudyView(s)
	sub := "No audit in the period"
	if len(v.Weeks) > 0 {
		sub = pluralize(v.Period.Weeks, "weekly audit") + ", " + v.From.UTC().Format(time.DateOnly) + " to " + v.To.UTC().Format(time.DateOnly)
	}
	return renderHTML(w, "study", htmlPage{
		Title:     "Root use in " + s.Source,
		Subtitle:  sub + " · window " + v.Window + " · grace period " + v.GracePeriod,
		Generated: now,
		Body:      v,
	})
}

// keyAge words the age past which a root key is old.
func keyAge(s *Study) string {
	if s.KeyMaxAge <= 0 {
		return config.FormatDuration(study.DefaultOptions().KeyMaxAge)
	}
	return config.FormatDuration(s.KeyMaxAge)
}

func newStudyView(s *Study) studyView {
	r := s.Result
	p := r.Period
	v := studyView{Source: s.Source, Window: config.FormatDuration(s.Window), GracePeriod: config.FormatDuration(s.GracePeriod),
		Weeks: r.Weeks, Period: p, Figures: periodFigures(p),
		Offenders: newHTMLRows(r.Offenders), KeyHolders: newHTMLRows(r.KeyHolders)}
	if n := len(r.Weeks); n > 0 {
		v.From, v.To = r.Weeks[0].AsOf, r.Weeks[n-1].AsOf
	}
	v.Key = []htmlFigure{
		{Label: "used root", N: p.AccountsUsedRoot, Of: p.Accounts, OfWhat: "accounts"},
		{Label: "used root", N: p.OrgsUsedRoot, Of: p.Orgs, OfWhat: "organizations"},
		{Label: "had no MFA", N: p.ConsoleUsesWithoutMFA, Of: p.ConsoleUses, OfWhat: "console uses"},
		{Label: "were by repeat offenders", N: p.UsesByRepeatOffenders, Of: p.Uses, OfWhat: "uses"},
		{Label: "made half of the uses", N: p.ConcentrationHalfOfUses, Of: p.AccountsUsedRoot, OfWhat: "offending accounts"},
		{Label: "had an active root key", N: p.AccountsWithRootKeys, Of: p.Accounts, OfWhat: "accounts"},
	}
	for _, wk := range r.Weeks {
		if wk.Exact != nil {
			v.Exact = true
		}
	}
	v.Charts = studyCharts(r.Weeks, keyAge(s))
	for _, h := range s.Seed {
		unit := ""
		if h.Percent {
			unit = "%"
		}
		d := round2(h.Diff())
		v.Seed = append(v.Seed, seedRow{Figure: h.Figure, Seed: num(h.Seed) + unit, Computed: num(h.Computed) + unit,
			Diff: signed(h.Diff(), h.Percent), Note: h.Note, Close: d >= -1 && d <= 1})
	}
	if len(r.Offenders) > 0 {
		c := concentrationChart(r.Offenders, p.Uses)
		v.Concentration = &c
		v.Top = r.Offenders[:min(len(r.Offenders), htmlTopOffenders)]
	}
	return v
}

// weeklySeries is one series of a weekly chart: its name, colour class
// and the figure it draws from each week.
type weeklySeries struct {
	name, class string
	of          func(study.Week) int
}

// studyCharts are the weekly series: accounts and organizations using
// root, console uses with and without MFA, key uses, accounts with root
// keys and old keys, offending accounts by size.
func studyCharts(weeks []study.Week, keyMaxAge string) []chart {
	specs := []struct {
		id, title, caption string
		kind               chartKind
		series             []weeklySeries
	}{
		{"using-root", "Accounts and organizations using root",
			"Eligible accounts whose root password or key was last used within the window before the week's audit, and their organizations.",
			chartLines, []weeklySeries{
				{"accounts using root", "c1", func(w study.Week) int { return w.AccountsUsedRoot }},
				{"organizations using root", "c2", func(w study.Week) int { return w.OrgsUsedRoot }}}},
		{"console", "Console uses, with and without MFA",
			"Account-weeks whose root password was used within the window, split by whether root had MFA at the audit.",
			chartStacked, []weeklySeries{
				{"console uses with MFA", "ok", func(w study.Week) int { return w.ConsoleUses - w.ConsoleUsesWithoutMFA }},
				{"console uses without MFA", "bad", func(w study.Week) int { return w.ConsoleUsesWithoutMFA }}}},
		{"key-uses", "Key uses",
			"Account-weeks whose root access key was used within the window.",
			chartStacked, []weeklySeries{
				{"key uses", "c3", func(w study.Week) int { return w.KeyUses }}}},
		{"root-keys", "Accounts with root keys",
			"Accounts with an active root access key at the audit (young ones included), and those whose key was last rotated more than " + keyMaxAge + " before.",
			chartLines, []weeklySeries{
				{"accounts with root keys", "c1", func(w study.Week) int { return w.AccountsWithRootKeys }},
				{"accounts with old root keys", "bad", func(w study.Week) int { return w.AccountsWithOldRootKeys }}}},
		{"by-size", "Offending accounts by size",
			"Accounts using root by their asset count at the audit (IAM users, RDS instances, S3 buckets, EC2 instances, trails): small < 50, medium 50–250, large > 250.",
			chartStacked, []weeklySeries{
				{"small accounts", "s1", func(w study.Week) int { return w.UsedRootBySize.Small }},
				{"medium accounts", "s2", func(w study.Week) int { return w.UsedRootBySize.Medium }},
				{"large accounts", "s3", func(w study.Week) int { return w.UsedRootBySize.Large }}}},
	}
	at := make([]time.Time, len(weeks))
	for i, w := range weeks {
		at[i] = w.AsOf
	}
	charts := make([]chart, 0, len(specs))
	for _, sp := range specs {
		series := make([]chartSeries, len(sp.series))
		for j, ws := range sp.series {
			series[j] = chartSeries{Name: ws.name, Class: ws.class, Values: make([]int, len(weeks))}
			for i, w := range weeks {
				series[j].Values[i] = ws.of(w)
			}
		}
		charts = append(charts, weeklyChart(sp.id, sp.title, sp.caption, sp.kind, at, series...))
	}
	return charts
}
