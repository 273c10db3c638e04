package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rootwatch/rootwatch/internal/browsertest"
	"github.com/rootwatch/rootwatch/internal/study"
)

// hostileName is an account name made to break out of HTML, an attribute
// and the SVG.
const hostileName = `<script>alert(1)</script>"'></svg><img src=x onerror=alert(2)>`

// demoStudy is 'rootwatch study --demo': the demo fleet's study with the
// seed's headlines beside it, its top offender given a hostile name.
func demoStudy(t *testing.T) *Study {
	t.Helper()
	opts := study.DefaultOptions()
	s, err := study.New(opts)
	if err != nil {
		t.Fatalf("new study: %v", err)
	}
	for obs := range study.DemoFleet(1) {
		if err := s.Add(obs); err != nil {
			t.Fatalf("add a demo observation: %v", err)
		}
	}
	r := s.Result()
	if len(r.Offenders) == 0 {
		t.Fatal("the demo fleet has no offender")
	}
	r.Offenders[0].Name = hostileName
	return &Study{Result: r, Window: opts.Window, GracePeriod: opts.GracePeriod, Source: "the demo fleet", Seed: study.Headlines(r)}
}

// TestStudyHTMLInChromium opens the demo's study page from disk in
// headless Chromium: the rendered figures, charts and accounts, the
// hostile name shown as text with no dialog, no request leaving the page,
// and a full-page screenshot kept as an artefact.
func TestStudyHTMLInChromium(t *testing.T) {
	s := demoStudy(t)
	dir := browsertest.ArtefactDir(t)
	path := filepath.Join(dir, "study.html")
	var b bytes.Buffer
	if err := writeStudyHTMLAt(&b, s, time.Date(2021, 1, 25, 9, 30, 0, 0, time.UTC)); err != nil {
		t.Fatalf("write the study page: %v", err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	url := browsertest.FileURL(t, path)

	p := browsertest.New(t)
	ctx, cancel := context.WithTimeout(p.Ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("footer")); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	title := browsertest.Eval[string](t, ctx, `document.title`)
	if title != "Root use in the demo fleet" {
		t.Errorf("title %q", title)
	}

	// The period's figures, as rendered (hand-computed shares of the
	// demo's calibration: 143 of 915 accounts, 510 uses, ...).
	rows := browsertest.Eval[[][]string](t, ctx, `Array.from(document.querySelectorAll('#period table.figures')[0].tBodies[0].rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))`)
	want := [][]string{
		{"accounts audited", "915", "", ""},
		{"organizations audited", "153", "", ""},
		{"accounts using root", "143", "15.6%", "915 accounts"},
		{"organizations using root", "65", "42.5%", "153 organizations"},
		{"root uses (account-weeks)", "510", "", ""},
		{"key uses", "64", "12.5%", "510 uses"},
		{"console uses", "464", "91.0%", "510 uses"},
		{"console uses without MFA", "283", "61.0%", "464 console uses"},
		{"repeat offenders", "72", "50.3%", "143 accounts using root"},
		{"uses by repeat offenders", "439", "86.1%", "510 uses"},
		{"accounts making half of the uses", "17", "11.9%", "143 accounts using root"},
		{"accounts with root keys", "54", "5.9%", "915 accounts"},
		{"organizations with root keys", "34", "22.2%", "153 organizations"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("period figures:\n got %q\nwant %q", rows, want)
	}

	// A seed row.
	seed := browsertest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#seed tbody tr')).map(r => r.innerText).filter(t => t.startsWith('root uses over the period'))`)
	if len(seed) != 1 || !strings.HasPrefix(seed[0], "root uses over the period\t510\t510\t0\t") {
		t.Errorf("seed row of the uses: %q", seed)
	}

	// Charts: five weekly charts and the concentration; 20 weeks of 2, 2,
	// 1, 2 and 3 series are 200 points.
	charts := browsertest.Eval[int](t, ctx, `document.querySelectorAll('svg.chart').length`)
	points := browsertest.Eval[int](t, ctx, `document.querySelectorAll('svg.chart [data-week]').length`)
	if charts != 6 || points != 200 {
		t.Errorf("%d charts, %d weekly points; want 6 and 200", charts, points)
	}
	// The weekly points add up to the period's sums.
	for series, want := range map[string]int{"accounts using root": 510, "console uses without MFA": 283, "console uses with MFA": 181, "key uses": 64} {
		sum := browsertest.Eval[int](t, ctx, `Array.from(document.querySelectorAll('svg.chart [data-series="`+series+`"]')).reduce((s, e) => s + Number(e.dataset.value), 0)`)
		if sum != want {
			t.Errorf("the %q points add up to %d, want %d", series, sum, want)
		}
	}
	mark := browsertest.Eval[string](t, ctx, `document.querySelector('#chart-concentration .marklabel').textContent`)
	if mark != "17 (11.9%) make half" {
		t.Errorf("concentration mark %q", mark)
	}

	// The accounts behind the figures: 143 offenders, the first with the
	// hostile name shown as text, in a page with no script.
	offenders := browsertest.Eval[int](t, ctx, `document.querySelectorAll('#offenders tbody tr').length`)
	scripts := browsertest.Eval[int](t, ctx, `document.querySelectorAll('script, img').length`)
	if offenders != 143 || scripts != 0 {
		t.Errorf("%d offender rows, %d script or img elements; want 143 and 0", offenders, scripts)
	}
	first := browsertest.Eval[[]string](t, ctx, `Array.from(document.querySelector('#offenders tbody tr').cells).map(c => c.textContent)`)
	if len(first) < 3 || first[1] != s.Result.Offenders[0].Account || first[2] != hostileName {
		t.Errorf("first offender row %q: want account %s named %q", first, s.Result.Offenders[0].Account, hostileName)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("the screenshot is not a PNG (%d bytes)", len(png))
	}
	shot := filepath.Join(dir, "study.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatalf("write %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)

	if d := p.Dialogs(); len(d) > 0 {
		t.Errorf("the page opened dialogs: %q", d)
	}
	reqs := p.Requests()
	if out := browsertest.Outside(url, reqs); len(out) > 0 {
		t.Errorf("requests leaving the page: %q", out)
	}
	if !slices.Contains(reqs, url) {
		t.Errorf("no request for the page %s itself among %q: the network events were not recorded", url, reqs)
	}
	if c := p.Console(); len(c) > 0 {
		t.Errorf("browser console: %q", c)
	}
}
