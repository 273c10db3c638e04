package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/study"
)

// A chart is a weekly series drawn as inline SVG by html/chart.tmpl: lines
// (one point a week) or stacked bars (one bar a week). Every point carries
// data-series, data-week and data-value attributes and a <title> tooltip,
// so a reader hovering it, and a test reading the page, get the number.

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartW      = 480
	chartH      = 230
	chartLeft   = 44
	chartRight  = 12
	chartTop    = 12
	chartBottom = 40
	// chartMaxXLabels bounds the week labels under the axis.
	chartMaxXLabels = 8
)

type chartKind int

const (
	chartLines chartKind = iota
	chartStacked
)

// chartSeries is one named series: its class picks its colour in page.css.
type chartSeries struct {
	Name   string
	Class  string
	Values []int
}

type chart struct {
	ID      string
	Title   string
	Caption string
	W, H    int
	// Left, Right, Top, Bottom bound the plot area.
	Left, Right, Top, Bottom float64
	YTicks                   []chartTick
	XTicks                   []chartTick
	Series                   []chartLine
	Bars                     []chartBar
	// Guides are reference lines; Marks points with a label beside them.
	Guides []chartGuide
	Marks  []chartMark
	Legend []chartSeries
	// XLabel names the x axis where it is not the weeks.
	XLabel string
	// R is the radius of a line's points: smaller as weeks get many.
	R float64
}

type chartGuide struct {
	X1, Y1, X2, Y2 float64
	Class          string
}

type chartMark struct {
	X, Y  float64
	Label string
	Tip   string
}

type chartTick struct {
	Pos   float64
	Label string
	// Year is a second line under a week label: the year, where it starts
	// or changes.
	Year string
}

// chartLine is a line series: its path and its points.
type chartLine struct {
	Name   string
	Class  string
	Path   string
	Points []chartPoint
}

type chartPoint struct {
	X, Y  float64
	Week  string
	Value int
	Tip   string
}

// chartBar is one segment of a stacked bar.
type chartBar struct {
	X, Y, W, H float64
	Series     string
	Class      string
	Week       string
	Value      int
	Tip        string
}

// weeklyChart lays out series over weeks (the audits' dates). Stacked
// series are drawn bottom up in the order given.
func weeklyChart(id, title, caption string, kind chartKind, weeks []time.Time, series ...chartSeries) chart {
	c := chart{ID: id, Title: title, Caption: caption, W: chartW, H: chartH,
		Left: chartLeft, Right: chartW - chartRight, Top: chartTop, Bottom: chartH - chartBottom, Legend: series}
	n := len(weeks)
	if n == 0 {
		return c
	}
	c.R = 3.2
	if n > 26 {
		c.R = 2.2
	}
	top := 0
	for i := range n {
		sum := 0
		for _, s := range series {
			if kind == chartLines {
				top = max(top, s.Values[i])
			} else {
				sum += s.Values[i]
			}
		}
		top = max(top, sum)
	}
	step, top := niceScale(top)
	y := func(v int) float64 { return c.Bottom - float64(v)/float64(top)*(c.Bottom-c.Top) }
	for v := 0; v <= top; v += step {
		c.YTicks = append(c.YTicks, chartTick{Pos: y(v), Label: thousands(v)})
	}
	band := (c.Right - c.Left) / float64(n)
	x := func(i int) float64 { return c.Left + band*(float64(i)+0.5) }
	every := (n + chartMaxXLabels - 1) / chartMaxXLabels
	for i := 0; i < n; i += every {
		t := chartTick{Pos: x(i), Label: weeks[i].UTC().Format("Jan 2")}
		if i == 0 || weeks[i].UTC().Year() != weeks[i-every].UTC().Year() {
			t.Year = weeks[i].UTC().Format("2006")
		}
		c.XTicks = append(c.XTicks, t)
	}
	day := func(i int) string { return weeks[i].UTC().Format(time.DateOnly) }
	switch kind {
	case chartLines:
		for _, s := range series {
			l := chartLine{Name: s.Name, Class: s.Class}
			var d strings.Builder
			for i, v := range s.Values[:n] {
				p := chartPoint{X: x(i), Y: y(v), Week: day(i), Value: v,
					Tip: fmt.Sprintf("%s, week of the audit of %s: %s", s.Name, day(i), thousands(v))}
				if i == 0 {
					fmt.Fprintf(&d, "M%s %s", px(p.X), px(p.Y))
				} else {
					fmt.Fprintf(&d, " L%s %s", px(p.X), px(p.Y))
				}
				l.Points = append(l.Points, p)
			}
			l.Path = d.String()
			c.Series = append(c.Series, l)
		}
	case chartStacked:
		w := band * 0.7
		for i := range n {
			base := 0
			for _, s := range series {
				v := s.Values[i]
				c.Bars = append(c.Bars, chartBar{X: x(i) - w/2, Y: y(base + v), W: w, H: y(base) - y(base+v),
					Series: s.Name, Class: s.Class, Week: day(i), Value: v,
					Tip: fmt.Sprintf("%s, week of the audit of %s: %s", s.Name, day(i), thousands(v))})
				base += v
			}
		}
	}
	return c
}

// niceScale picks the axis' step (1, 2 or 5 times a power of ten, at least
// 1) so that about four steps cover top, and the axis' top, a multiple of
// the step at or above top (4 steps of 1 when top is 0).
func niceScale(top int) (step, axisTop int) {
	if top <= 0 {
		return 1, 4
	}
	raw := float64(top) / 4
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step = int(pow)
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			step = int(m * pow)
			break
		}
	}
	step = max(step, 1)
	return step, (top + step - 1) / step * step
}

// concentrationMaxPoints bounds the points of the concentration curve.
const concentrationMaxPoints = 400

// concentrationChart draws the cumulative share of the uses made by the
// offending accounts, the most uses first, and marks the fewest accounts
// making half of them (those marked InHalf).
func concentrationChart(offenders []study.Offender, uses int) chart {
	c := chart{ID: "concentration", Title: "Concentration of root use",
		Caption: "Share of all uses made by the offending accounts, the most uses first. The dashed lines mark half of the uses and the accounts that make it; the dotted diagonal is an even spread.",
		W:       chartW, H: chartH, Left: chartLeft, Right: chartW - chartRight, Top: chartTop, Bottom: chartH - chartBottom,
		XLabel: "share of offending accounts",
		Legend: []chartSeries{{Name: "cumulative share of uses", Class: "c1"}}}
	n := len(offenders)
	if n == 0 || uses <= 0 {
		return c
	}
	x := func(i int) float64 { return c.Left + float64(i)/float64(n)*(c.Right-c.Left) }
	y := func(u int) float64 { return c.Bottom - float64(u)/float64(uses)*(c.Bottom-c.Top) }
	for q := 0; q <= 4; q++ {
		c.YTicks = append(c.YTicks, chartTick{Pos: c.Bottom - float64(q)/4*(c.Bottom-c.Top), Label: fmt.Sprintf("%d%%", q*25)})
		c.XTicks = append(c.XTicks, chartTick{Pos: c.Left + float64(q)/4*(c.Right-c.Left), Label: fmt.Sprintf("%d%%", q*25)})
	}
	every := max(1, (n+concentrationMaxPoints-1)/concentrationMaxPoints)
	var d strings.Builder
	fmt.Fprintf(&d, "M%s %s", px(x(0)), px(y(0)))
	sum, half, halfUses := 0, 0, 0
	for i, o := range offenders {
		sum += o.Uses
		if o.InHalf {
			half, halfUses = i+1, sum
		}
		if (i+1)%every == 0 || i == n-1 || o.InHalf && (i+1 == n || !offenders[i+1].InHalf) {
			fmt.Fprintf(&d, " L%s %s", px(x(i+1)), px(y(sum)))
		}
	}
	c.Series = []chartLine{{Name: "cumulative share of uses", Class: "c1", Path: d.String()}}
	c.Guides = []chartGuide{
		{X1: c.Left, Y1: c.Bottom, X2: c.Right, Y2: c.Top, Class: "even"},
		{X1: c.Left, Y1: y(0) - (y(0)-y(uses))/2, X2: c.Right, Y2: y(0) - (y(0)-y(uses))/2, Class: "half"},
	}
	if half > 0 {
		c.Guides = append(c.Guides, chartGuide{X1: x(half), Y1: c.Bottom, X2: x(half), Y2: c.Top, Class: "half"})
		c.Marks = []chartMark{{X: x(half), Y: y(halfUses),
			Label: fmt.Sprintf("%s (%s) make half", thousands(half), share(half, n)),
			Tip: fmt.Sprintf("%s of %s offending accounts (%s) made %s of the %s uses (%s)",
				thousands(half), thousands(n), share(half, n), thousands(halfUses), thousands(uses), share(halfUses, uses))}}
	}
	return c
}
