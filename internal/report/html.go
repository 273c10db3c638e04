package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

// The HTML writer: one self-contained page (inline CSS, inline SVG, no
// script, no URL outside the page) made of a layout, shared by every HTML
// report, and one content template per report. html/template escapes every
// value for its context (text, attribute, SVG), which is the escaping of
// untrusted strings; the page's Content-Security-Policy forbids scripts and
// any request, so a page that was somehow given markup still runs nothing
// and fetches nothing.
//
// A report plugs in with a file html/<name>.tmpl that defines "content"
// (and "nav", the section links of the header), and a call
// renderHTML(w, "<name>", page) whose page.Body is what its templates read.

//go:embed html/*.tmpl html/*.css
var htmlFiles embed.FS

// htmlPage is what the layout shows: the title, a subtitle (what the page
// is about), when it was generated and the report's own content.
type htmlPage struct {
	Title     string
	Subtitle  string
	Generated time.Time
	// Version is rootwatch's version, in the footer ("" leaves it out).
	Version string
	Body    any
}

// htmlFuncs are the helpers every HTML template may call.
func htmlFuncs() template.FuncMap {
	return template.FuncMap{
		// text shows control and invisible format characters (bidi
		// overrides, zero-width) as visible escapes, as the table does;
		// html/template escapes markup after it.
		"text":  terminalSafe,
		"count": thousands,
		"share": share,
		"date":  func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"stamp": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"px":    px,
		"add":   func(a, b float64) float64 { return a + b },
		"add1":  func(i int) int { return i + 1 },
		"plural": func(n int, singular string) string {
			if n == 1 {
				return "1 " + singular
			}
			return thousands(n) + " " + singular + "s"
		},
	}
}

// renderHTML writes the page with the content template html/<content>.tmpl.
// The page is rendered into memory first, so a template error never leaves
// half a page behind.
func renderHTML(w io.Writer, content string, page htmlPage) error {
	css, err := htmlFiles.ReadFile("html/page.css")
	if err != nil {
		return fmt.Errorf("read the HTML page's style: %w", err)
	}
	t, err := template.New("layout.tmpl").Funcs(htmlFuncs()).ParseFS(htmlFiles,
		"html/layout.tmpl", "html/chart.tmpl", "html/"+content+".tmpl")
	if err != nil {
		return fmt.Errorf("parse the %s HTML templates: %w", content, err)
	}
	data := struct {
		htmlPage
		// CSS is the page's own embedded style sheet, inlined as is.
		CSS template.CSS
	}{page, template.CSS(css)} // #nosec G203 -- embedded at build time, not input
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.tmpl", data); err != nil {
		return fmt.Errorf("render the %s HTML page: %w", content, err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write the %s HTML page: %w", content, err)
	}
	return nil
}

// thousands writes n with a comma between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// px is a coordinate for SVG, to a tenth.
func px(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
