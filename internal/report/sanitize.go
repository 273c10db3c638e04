package report

import (
	"strings"
	"unicode"
)

// unsafeRune is a control character (which could move the cursor, recolour
// or clear a terminal) or an invisible format character (bidirectional
// overrides reorder what is shown: "Trojan Source").
func unsafeRune(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// terminalSafe replaces unsafe characters with visible escapes. Account
// names, tags and messages can carry text written by whoever controls an
// account.
func terminalSafe(s string) string {
	if strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			if r < 0x100 {
				b.WriteString(`\x`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&0xf])
			} else {
				b.WriteString(`\u`)
				for shift := 12; shift >= 0; shift -= 4 {
					b.WriteByte("0123456789abcdef"[(r>>shift)&0xf])
				}
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// csvSafe defuses cells a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
