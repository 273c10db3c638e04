package browsertest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPageRecordsWhatThePageDid: a page that loads an image from another
// origin (a closed local port: refused at once, nothing leaves the
// machine) and opens an alert has both recorded, so a test that finds
// neither in a page of its own has looked.
func TestPageRecordsWhatThePageDid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "page.html")
	const page = `<!doctype html><html><head><meta charset="utf-8"></head><body>` +
		`<img src="http://127.0.0.1:9/x.png"><script>alert("hello")</script><footer>end</footer></body></html>`
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	p := New(t)
	url := FileURL(t, path)
	if err := chromedp.Do(p.Ctx, chromedp.Navigate(url), chromedp.WaitReady("footer")); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	if got := Eval[string](t, p.Ctx, `document.querySelector('footer').textContent`); got != "end" {
		t.Errorf("footer %q", got)
	}
	reqs := p.Requests()
	if !slices.Contains(reqs, url) {
		t.Errorf("requests %q lack the page %s", reqs, url)
	}
	if out := Outside(url, reqs); !slices.Equal(out, []string{"http://127.0.0.1:9/x.png"}) {
		t.Errorf("outside requests %q, want the image's", out)
	}
	if d := p.Dialogs(); !slices.Equal(d, []string{"alert: hello"}) {
		t.Errorf("dialogs %q, want the alert", d)
	}
}

func TestOutside(t *testing.T) {
	const page = "file:///tmp/a/study.html"
	got := Outside(page, []string{page, "data:,", "data:image/png;base64,AAAA", "file:///etc/passwd", "https://cdn.example/x.js", "//x"})
	if want := []string{"file:///etc/passwd", "https://cdn.example/x.js", "//x"}; !slices.Equal(got, want) {
		t.Errorf("Outside = %q, want %q", got, want)
	}
}

func TestArtefactDir(t *testing.T) {
	base := t.TempDir()
	t.Setenv(EnvArtefacts, base)
	dir := ArtefactDir(t)
	if want := filepath.Join(base, "TestArtefactDir"); dir != want {
		t.Errorf("artefact dir %s, want %s", dir, want)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("artefact dir not created: %v", err)
	}
}
