// Package browsertest runs pages in headless Chromium for tests: Debian's
// chromium driven over the DevTools protocol by chromedp, with what the
// page asked for (requests, dialogs, console entries) recorded, and files
// kept as test artefacts.
package browsertest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Chromium is Debian's chromium binary, which scripts/test.sh installs.
const Chromium = "/usr/bin/chromium"

// EnvArtefacts names the directory where tests keep their artefacts
// (screenshots, the pages they loaded); without it, a temporary directory
// of the test.
const EnvArtefacts = "ROOTWATCH_TEST_ARTEFACTS"

// Flags are Chromium's command-line flags, without the user data directory
// (a fresh temporary one per browser): headless, no sandbox (tests run as
// root in CI containers), and no traffic of Chromium's own (background
// networking, component updates, sync, QUIC), so that every request a test
// sees comes from the page.
func Flags() []string {
	return []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"disable-background-networking", "disable-component-update", "disable-sync"}
}

// Page is one browser tab: its context runs chromedp actions; it records
// the requests, dialogs and console entries of what it loads.
type Page struct {
	Ctx context.Context

	mu       sync.Mutex
	requests []string
	dialogs  []string
	console  []string
}

// New starts Chromium with a fresh profile, at a 1000×800 window, for the
// test, and closes it when the test ends. The test is skipped, with a
// message saying so, only when the binary is not installed.
func New(t testing.TB) *Page {
	t.Helper()
	if _, err := os.Stat(Chromium); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is not installed: this browser test needs Debian's chromium package (scripts/test.sh installs it)", Chromium)
	} else if err != nil {
		t.Fatalf("look for the browser %s: %v", Chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(Chromium), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 800)}
	for _, f := range Flags() {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	p := &Page{Ctx: ctx}
	err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request != nil {
				p.requests = append(p.requests, e.Request.URL)
			}
		case *page.EventJavascriptDialogOpening:
			p.dialogs = append(p.dialogs, string(e.Type)+": "+e.Message)
		case *log.EventEntryAdded:
			if e.Entry != nil {
				p.console = append(p.console, string(e.Entry.Level)+": "+e.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatalf("start the browser %s: %v", Chromium, err)
	}
	// A dialog stops the page until it is answered: answer each (the test
	// reads Dialogs to fail on them).
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return p
}

// Requests are the URLs of every request the page made, in order.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Dialogs are the JavaScript dialogs (alert, confirm, prompt) the page
// opened: "type: message".
func (p *Page) Dialogs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...)
}

// Console are the browser's log entries for the page ("level: text"),
// Content-Security-Policy violations among them.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// FileURL is the file:// URL of a local file.
func FileURL(t testing.TB, path string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatalf("the absolute path of %s: %v", path, err)
	}
	return "file://" + filepath.ToSlash(abs)
}

// Outside returns the requests that went anywhere but the page itself or
// a data: URL.
func Outside(page string, requests []string) (outside []string) {
	for _, u := range requests {
		if u != page && !strings.HasPrefix(u, "data:") {
			outside = append(outside, u)
		}
	}
	return outside
}

// ArtefactDir is where the test keeps its artefacts: $ROOTWATCH_TEST_ARTEFACTS/<test name>,
// created, else a temporary directory of the test. It logs the path.
func ArtefactDir(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvArtefacts)
	if base == "" {
		dir := t.TempDir()
		t.Logf("artefacts in %s (set %s to keep them)", dir, EnvArtefacts)
		return dir
	}
	dir := filepath.Join(base, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create the artefact directory %s: %v", dir, err)
	}
	t.Logf("artefacts in %s", dir)
	return dir
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value; the test fails if it throws or cannot be decoded into T.
func Eval[T any](t testing.TB, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}
