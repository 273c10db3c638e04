package report

import (
	"strings"

	"github.com/rivo/uniseg"
)

// displayWidth is how many terminal columns s takes (wide East Asian
// characters take two, combining marks none).
func displayWidth(s string) int { return uniseg.StringWidth(s) }

// wrap breaks s into lines of at most width columns at spaces; a word wider
// than width alone is cut, and only then is a word cut. width <= 0, or a
// string that fits, gives s as it is.
func wrap(s string, width int) []string { return wrapHanging(s, width, width) }

// wrapHanging is wrap with the first line width columns wide and the
// others next columns wide (a hanging indent).
func wrapHanging(s string, width, next int) []string {
	if width <= 0 || displayWidth(s) <= width {
		return []string{s}
	}
	next = max(next, 1)
	var lines []string
	var line strings.Builder
	lineW := 0
	flush := func() {
		lines = append(lines, line.String())
		line.Reset()
		lineW = 0
		width = next
	}
	for _, word := range strings.Split(s, " ") {
		if word == "" {
			continue
		}
		w := displayWidth(word)
		if lineW > 0 && lineW+1+w <= width {
			line.WriteByte(' ')
			line.WriteString(word)
			lineW += 1 + w
			continue
		}
		if lineW > 0 {
			flush()
		}
		for w > width {
			head, rest := cut(word, width)
			lines = append(lines, head)
			width = next
			word, w = rest, displayWidth(rest)
		}
		line.WriteString(word)
		lineW = w
	}
	if lineW > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// cut splits s after as many whole graphemes as fit in width columns (at
// least one).
func cut(s string, width int) (head, rest string) {
	g := uniseg.NewGraphemes(s)
	w, end := 0, 0
	for g.Next() {
		gw := g.Width()
		if w+gw > width && end > 0 {
			break
		}
		w += gw
		_, end = g.Positions()
	}
	return s[:end], s[end:]
}

// pad right-pads s with spaces to width columns.
func pad(s string, width int) string {
	if n := width - displayWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
