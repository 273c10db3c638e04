package report

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/study"
)

var htmlGenerated = time.Date(2024, 3, 14, 8, 0, 0, 0, time.UTC)

func writeHTML(t *testing.T, s *Study) string {
	t.Helper()
	var b bytes.Buffer
	if err := writeStudyHTMLAt(&b, s, htmlGenerated); err != nil {
		t.Fatalf("write the study page: %v", err)
	}
	return b.String()
}

// htmlHandStudy is handStudy with the offenders' key and console split
// and key holders.
func htmlHandStudy() *Study {
	s := handStudy()
	s.Result.Offenders[0].ConsoleUses, s.Result.Offenders[0].ConsoleUsesWithoutMFA, s.Result.Offenders[0].KeyUses = 2, 2, 1
	s.Result.Offenders[1].ConsoleUses = 1
	s.Result.Offenders[2].ConsoleUses, s.Result.Offenders[2].ConsoleUsesWithoutMFA = 1, 1
	s.Result.KeyHolders = []study.KeyHolder{
		{Account: "444444444444", Name: "legacy", Org: "o-2", Weeks: 2, OldWeeks: 2},
		{Account: "555555555555", Org: "o-1", Weeks: 1, OldWeeks: 0},
	}
	return s
}

// voidElements have no end tag in HTML.
var voidElements = map[string]bool{"meta": true, "link": true, "br": true, "img": true, "input": true, "hr": true, "col": true, "wbr": true}

var tagRE = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>`)

// checkPage fails unless page is one whole HTML document whose elements
// nest (every element but void and self-closed ones closed in order).
func checkPage(t *testing.T, page string) {
	t.Helper()
	if !strings.HasPrefix(page, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">") || !strings.HasSuffix(page, "</body>\n</html>\n") {
		t.Errorf("not a whole page: starts %.60q, ends %q", page, page[max(0, len(page)-20):])
	}
	// Text inside <style> is CSS, not markup.
	body := page
	if i, j := strings.Index(page, "<style>"), strings.Index(page, "</style>"); i >= 0 && j > i {
		body = page[:i+len("<style>")] + page[j:]
	}
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(body, -1) {
		name := strings.ToLower(m[2])
		switch {
		case m[1] == "/":
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		case m[3] == "/", voidElements[name]:
		default:
			stack = append(stack, name)
		}
	}
	if len(stack) > 0 {
		t.Errorf("elements left open: %v", stack)
	}
}

// urlAttrRE finds attributes that load or link to a URL.
var urlAttrRE = regexp.MustCompile(`(?i)\b(src|href|xlink:href|action|srcset|poster|data)\s*=\s*"([^"]*)"`)

// checkNoExternalURL fails on any URL the page could fetch or send the
// reader to outside itself: every src/href is an anchor in the page or a
// data: URL, and no scheme or protocol-relative URL appears anywhere.
func checkNoExternalURL(t *testing.T, page string) {
	t.Helper()
	for _, m := range urlAttrRE.FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[2], "#") && !strings.HasPrefix(m[2], "data:") {
			t.Errorf("%s=%q leaves the page", m[1], m[2])
		}
	}
	for _, s := range []string{"http:", "https:", "ftp:", "file:", "url(", "@import", `="//`, "<script"} {
		if strings.Contains(strings.ToLower(page), s) {
			t.Errorf("the page holds %q", s)
		}
	}
}

func TestStudyHTMLFigures(t *testing.T) {
	got := writeHTML(t, htmlHandStudy())
	checkPage(t, got)
	checkNoExternalURL(t, got)
	for _, frag := range []string{
		"<title>Root use in store sqlite:h.db</title>",
		`<p class="sub">2 weekly audits, 2024-03-06 to 2024-03-13 · window 7d · grace period 30d</p>`,
		`Generated <time datetime="2024-03-14T08:00:00Z">2024-03-14 08:00 UTC</time>`,
		// Key figures.
		`<p class="big">27.3%</p><p><strong>3</strong> of 11 accounts used root</p>`,
		`<p class="big">80.0%</p><p><strong>4</strong> of 5 console uses had no MFA</p>`,
		// The weekly table, CloudTrail's counts where kept.
		`<tr><td><time datetime="2024-03-06T12:00:00Z">2024-03-06</time></td><td>10</td><td>9</td><td>2</td><td>2</td><td>1</td><td>1</td><td>2</td><td>1</td><td>3</td><td>2</td><td>1</td><td>1</td><td>0</td><td class="ct">–</td><td class="ct">–</td><td class="ct">–</td></tr>`,
		`<tr><td><time datetime="2024-03-13T12:00:00Z">2024-03-13</time></td><td>11</td><td>11</td><td>3</td><td>3</td><td>2</td><td>0</td><td>3</td><td>3</td><td>3</td><td>3</td><td>0</td><td>0</td><td>2</td><td class="ct">7</td><td class="ct">5</td><td class="ct">12</td></tr>`,
		// The period's figures with their shares.
		`<tr><td>accounts audited</td><td class="n">11</td><td class="n"></td><td></td></tr>`,
		`<tr><td><a href="#offenders">accounts using root</a></td><td class="n">3</td><td class="n">27.3%</td><td>11 accounts</td></tr>`,
		`<tr><td>console uses without MFA</td><td class="n">4</td><td class="n">80.0%</td><td>5 console uses</td></tr>`,
		`<tr><td>uses by repeat offenders</td><td class="n">2</td><td class="n">40.0%</td><td>5 uses</td></tr>`,
		`<tr><td><a href="#offenders">accounts making half of the uses</a></td><td class="n">1</td><td class="n">33.3%</td><td>3 accounts using root</td></tr>`,
		`<tr><td>organizations with root keys</td><td class="n">2</td><td class="n">66.7%</td><td>3 organizations</td></tr>`,
		// Exact beside sampled.
		`<p class="lead">From the logs of 4 accounts.`,
		`<tr><td>console sign-ins</td><td class="n">7</td><td class="n">5</td><td>console uses</td></tr>`,
		`<tr><td>calls signed with a root key</td><td class="n">12</td><td class="n">1</td><td>key uses</td></tr>`,
		// Repeat offenders and concentration.
		`<strong>1 repeat offender</strong> (33.3% of the 3 accounts using root) used root in two weeks or more and made <strong>2 of the 5 uses</strong> (40.0%). <strong>1 account</strong> (33.3% of those using root) made half of the uses.`,
		`>1 (33.3%) make half</text>`,
		`<title>1 of 3 offending accounts (33.3%) made 2 of the 5 uses (40.0%)</title>`,
		// The accounts, open (short lists), control characters shown.
		`<details id="offenders" open>`,
		`<summary>3 accounts used root in the period, the most uses first</summary>`,
		`<tr class="half"><td class="n">1</td><td class="id">111111111111</td><td>prod\x1b[2J</td><td class="id">o-1</td><td class="n">2</td><td class="n">1</td><td class="n">2</td><td class="n">2</td><td><span class="tag">repeat</span></td><td><span class="tag hot">half</span></td></tr>`,
		`<tr><td class="n">3</td><td class="id">333333333333</td><td></td><td class="id">o-2</td><td class="n">1</td><td class="n">0</td><td class="n">1</td><td class="n">1</td><td></td><td></td></tr>`,
		`<summary>2 accounts had an active root access key, the most weeks first</summary>`,
		`<tr><td class="n">1</td><td class="id">444444444444</td><td>legacy</td><td class="id">o-2</td><td class="n">2</td><td class="n">2</td></tr>`,
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("the page lacks %s", frag)
		}
	}
	// Charts: five weekly, 2 weeks of 2+2+1+2+3 series, and the
	// concentration.
	if n := strings.Count(got, "<svg "); n != 6 {
		t.Errorf("%d charts, want 6", n)
	}
	if n := strings.Count(got, " data-week="); n != 20 {
		t.Errorf("%d weekly points, want 20", n)
	}
	for _, point := range []string{
		`data-series="accounts using root" data-week="2024-03-06" data-value="2"><title>accounts using root, week of the audit of 2024-03-06: 2</title>`,
		`data-series="organizations using root" data-week="2024-03-13" data-value="2">`,
		`data-series="console uses with MFA" data-week="2024-03-06" data-value="1">`,
		`data-series="console uses without MFA" data-week="2024-03-13" data-value="3">`,
		`data-series="key uses" data-week="2024-03-06" data-value="1">`,
		`data-series="accounts with old root keys" data-week="2024-03-06" data-value="2">`,
		`data-series="large accounts" data-week="2024-03-13" data-value="2">`,
	} {
		if !strings.Contains(got, point) {
			t.Errorf("the charts lack the point %s", point)
		}
	}
	if strings.Contains(got, `id="seed"`) {
		t.Error("a seed section without --demo")
	}
}

func TestStudyHTMLSeed(t *testing.T) {
	s := htmlHandStudy()
	s.Seed = []study.Headline{
		{Figure: "root uses over the period", Seed: 510, Computed: 5, Note: "the seed gives 517 & 510"},
		{Figure: "key uses (share of uses)", Percent: true, Seed: 13, Computed: 13.5},
	}
	got := writeHTML(t, s)
	checkPage(t, got)
	for _, frag := range []string{
		`<a href="#seed">Seed vs this fleet</a>`,
		`<tr class="far"><td>root uses over the period</td><td class="n">510</td><td class="n">5</td><td class="n diff">-505</td><td class="note">the seed gives 517 &amp; 510</td></tr>`,
		`<tr><td>key uses (share of uses)</td><td class="n">13%</td><td class="n">13.5%</td><td class="n diff">&#43;0.5 pt</td><td class="note"></td></tr>`,
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("the page lacks %s", frag)
		}
	}
}

func TestStudyHTMLEscapesHostileStrings(t *testing.T) {
	const hostile = `<script>alert(1)</script>"q" 'a' </svg></title><b>`
	s := htmlHandStudy()
	s.Source = "store " + hostile
	for i := range s.Result.Offenders {
		s.Result.Offenders[i].Name = hostile
		s.Result.Offenders[i].Org = hostile + "\u202e"
	}
	s.Result.KeyHolders[0].Account = hostile
	s.Seed = []study.Headline{{Figure: hostile, Seed: 1, Computed: 1, Note: hostile}}
	got := writeHTML(t, s)
	checkPage(t, got)
	checkNoExternalURL(t, got)
	const escaped = `&lt;script&gt;alert(1)&lt;/script&gt;&#34;q&#34; &#39;a&#39; &lt;/svg&gt;&lt;/title&gt;&lt;b&gt;`
	// Title (twice: <title> and <h1>), 3 names in the list of offenders
	// and 3 beside the concentration, 3 organizations (with the override
	// shown as \u202e), 1 key holder, the seed's figure and note.
	if n := strings.Count(got, escaped); n != 14 {
		t.Errorf("%d escaped copies of the hostile string, want 14", n)
	}
	if n := strings.Count(got, escaped+`\u202e`); n != 3 {
		t.Errorf("%d organizations with the override shown as \\u202e, want 3", n)
	}
	for _, raw := range []string{"<script", "</svg></title>", "<b>", "\u202e"} {
		if strings.Contains(got, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if n, m := strings.Count(got, "<svg "), strings.Count(got, "</svg>"); n != 6 || m != 6 {
		t.Errorf("%d <svg and %d </svg>, want 6 of each", n, m)
	}
}

func TestStudyHTMLEmpty(t *testing.T) {
	s := &Study{Source: "store sqlite:empty.db", Window: 7 * 24 * time.Hour, GracePeriod: 30 * 24 * time.Hour}
	got := writeHTML(t, s)
	checkPage(t, got)
	checkNoExternalURL(t, got)
	for _, frag := range []string{
		`<p class="sub">No audit in the period · window 7d · grace period 30d</p>`,
		`<p class="empty">No week with an audit in the period.</p>`,
		`<p class="lead">0 weeks. Accounts`,
		`<tr><td><a href="#offenders">accounts using root</a></td><td class="n">0</td><td class="n">-</td><td>0 accounts</td></tr>`,
		`<p class="empty">No root use in the period.</p>`,
		`<summary>0 accounts used root in the period</summary>`,
		`<summary>0 accounts had an active root access key</summary>`,
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("the empty page lacks %s", frag)
		}
	}
	if n := strings.Count(got, "Nothing to draw: the study holds no week with an audit."); n != 5 {
		t.Errorf("%d empty charts, want 5", n)
	}
	if strings.Contains(got, "<svg") || strings.Contains(got, "<table class=\"accounts\"") {
		t.Error("the empty page draws a chart or lists accounts")
	}
}

func TestStudyHTMLLongLists(t *testing.T) {
	s := htmlHandStudy()
	var offenders []study.Offender
	for i := range 1003 {
		offenders = append(offenders, study.Offender{Account: fmt.Sprintf("%012d", i+1), Uses: 1})
	}
	s.Result.Offenders = offenders
	var holders []study.KeyHolder
	for i := range 31 {
		holders = append(holders, study.KeyHolder{Account: fmt.Sprintf("9%011d", i), Weeks: 1})
	}
	s.Result.KeyHolders = holders
	got := writeHTML(t, s)
	checkPage(t, got)
	for _, frag := range []string{
		`<details id="offenders">`,
		`<summary>1,003 accounts used root in the period, the most uses first</summary>`,
		`<td class="id">000000001000</td>`,
		`<p class="more">… and 3 more accounts, not listed.</p>`,
		`<details id="keyholders">`, // 31 rows: folded
		`<td class="id">900000000030</td>`,
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("the page lacks %s", frag)
		}
	}
	if strings.Contains(got, `<td class="id">000000001001</td>`) {
		t.Error("the 1,001st offender is listed")
	}
	// Beside the concentration: the first 10 only.
	top := got[strings.Index(got, `<div class="top">`):strings.Index(got, `id="accounts"`)]
	if n := strings.Count(top, "<tr"); n != 11 {
		t.Errorf("%d rows beside the concentration, want a header and 10", n)
	}
}

func TestStudyHTMLWriteError(t *testing.T) {
	w, err := NewStudyWriter("html")
	if err != nil {
		t.Fatal(err)
	}
	if err := w(failingWriter{}, htmlHandStudy()); !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "write the study HTML page") {
		t.Errorf("%v, want the write's error, saying what was written", err)
	}
}

func TestNiceScale(t *testing.T) {
	for _, c := range []struct{ top, step, axis int }{
		{0, 1, 4}, {1, 1, 1}, {3, 1, 3}, {4, 1, 4}, {5, 2, 6}, {8, 2, 8}, {9, 5, 10},
		{20, 5, 20}, {34, 10, 40}, {510, 200, 600}, {915, 500, 1000}, {100000, 50000, 100000},
	} {
		if step, axis := niceScale(c.top); step != c.step || axis != c.axis {
			t.Errorf("niceScale(%d) = %d, %d; want %d, %d", c.top, step, axis, c.step, c.axis)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 100000: "100,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWeeklyChartGeometry(t *testing.T) {
	weeks := []time.Time{time.Date(2020, 12, 27, 6, 0, 0, 0, time.UTC), time.Date(2021, 1, 3, 6, 0, 0, 0, time.UTC)}
	c := weeklyChart("t", "T", "", chartStacked, weeks,
		chartSeries{Name: "a", Class: "c1", Values: []int{1, 3}},
		chartSeries{Name: "b", Class: "c2", Values: []int{2, 1}})
	// Stacks of 3 and 4: axis 0..4 by 1; the plot is 44..468 wide, 12..190
	// high, two bands of 212; bars are 70% of a band.
	if len(c.YTicks) != 5 || c.YTicks[4].Label != "4" || c.YTicks[4].Pos != 12 || c.YTicks[0].Pos != 190 {
		t.Errorf("y ticks %+v", c.YTicks)
	}
	want := []chartBar{
		{X: 44 + 106 - 74.2, Y: 190 - 44.5, W: 148.4, H: 44.5, Series: "a", Value: 1},
		{X: 44 + 106 - 74.2, Y: 190 - 133.5, W: 148.4, H: 89, Series: "b", Value: 2},
		{X: 44 + 318 - 74.2, Y: 190 - 133.5, W: 148.4, H: 133.5, Series: "a", Value: 3},
		{X: 44 + 318 - 74.2, Y: 12, W: 148.4, H: 44.5, Series: "b", Value: 1},
	}
	if len(c.Bars) != len(want) {
		t.Fatalf("%d bars, want %d", len(c.Bars), len(want))
	}
	for i, w := range want {
		b := c.Bars[i]
		if px(b.X) != px(w.X) || px(b.Y) != px(w.Y) || px(b.W) != px(w.W) || px(b.H) != px(w.H) || b.Series != w.Series || b.Value != w.Value {
			t.Errorf("bar %d = %+v, want %+v", i, b, w)
		}
	}
	if c.R != 3.2 {
		t.Errorf("point radius %v for 2 weeks, want 3.2", c.R)
	}
	many := make([]time.Time, 27)
	for i := range many {
		many[i] = weeks[0].AddDate(0, 0, 7*i)
	}
	if r := weeklyChart("t", "T", "", chartLines, many, chartSeries{Values: make([]int, 27)}).R; r != 2.2 {
		t.Errorf("point radius %v for 27 weeks, want 2.2", r)
	}
	// The year under the first label and where it changes.
	if len(c.XTicks) != 2 || c.XTicks[0].Label != "Dec 27" || c.XTicks[0].Year != "2020" || c.XTicks[1].Label != "Jan 3" || c.XTicks[1].Year != "2021" {
		t.Errorf("x ticks %+v", c.XTicks)
	}
}
