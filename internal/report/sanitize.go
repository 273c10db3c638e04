package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every writer escapes untrusted strings (account names, tags, contact
// fields, CloudTrail's user agents and request parameters, and messages
// built from them) for its medium, as DESIGN.md says:
//
//   - terminal (table): no control or invisible format characters;
//   - CSV: no cell a spreadsheet would run as a formula;
//   - SARIF: no control or bidirectional characters in text;
//   - JSON: strings kept exactly.

// unsafeRune is a control character (which could move the cursor, recolour
// or clear a terminal), an invisible format character (bidirectional
// overrides and isolates reorder what is shown: "Trojan Source"; zero-width
// characters hide text) or a line or paragraph separator.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}

// escapeRunes replaces every rune for which unsafe is true with a visible
// escape: \x1b for a byte-sized rune, \u202e above, \xff for a byte that
// is not UTF-8.
func escapeRunes(s string, unsafe func(rune) bool) string {
	if strings.IndexFunc(s, unsafe) < 0 && utf8.ValidString(s) {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case !unsafe(r):
			b.WriteString(s[i : i+size])
		case r < 0x100:
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		}
		i += size
	}
	return b.String()
}

// terminalSafe replaces unsafe characters with visible escapes, so what a
// terminal shows is what the string holds.
func terminalSafe(s string) string { return escapeRunes(s, unsafeRune) }

// sarifSafe is terminalSafe keeping line feeds and tabs: SARIF viewers
// (GitHub code scanning, IDEs, `jq -r`) show a message's text as it is, so
// escape sequences and bidirectional overrides must not reach them, while a
// multi-line remediation may keep its lines.
func sarifSafe(s string) string {
	return escapeRunes(s, func(r rune) bool { return r != '\n' && r != '\t' && unsafeRune(r) })
}

// formulaRune is a character that makes a spreadsheet cell a formula when
// it comes first (OWASP's list: = + - @, tab and carriage return), and the
// full-width forms that some spreadsheets read as the same (＝ ＋ － ＠).
func formulaRune(r rune) bool {
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\uff1d', '\uff0b', '\uff0d', '\uff20':
		return true
	}
	return false
}

// csvSafe defuses cells a spreadsheet would run as a formula: one whose
// first character, or first after leading white space or line breaks
// (spreadsheets trim them), starts a formula is prefixed with a single
// quote, which makes it text. The rest is kept exactly.
func csvSafe(s string) string {
	for _, r := range s {
		if formulaRune(r) {
			return "'" + s
		}
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && r != 0 {
			return s
		}
	}
	return s
}
