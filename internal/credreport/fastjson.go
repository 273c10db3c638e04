package credreport

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"
)

// fastCLIJSON reads the JSON `aws iam get-credential-report` prints, a flat
// object of plain strings, without encoding/json's byte-by-byte scanner:
// most of such a file is the base64 Content, which IndexByte skips at memory
// speed. It handles only that exact shape (ASCII keys, string values without
// escapes or control characters, nothing after the object); for anything
// else ok is false and the caller uses encoding/json, which also words the
// errors. FuzzCLIJSON checks that both agree wherever this one answers.
func fastCLIJSON(data []byte) (j cliJSON, raw, content []byte, ok bool) {
	p := skipSpace(data, 0)
	if p >= len(data) || data[p] != '{' {
		return j, nil, nil, false
	}
	p = skipSpace(data, p+1)
	var rawContent []byte
	haveContent := false
	if p < len(data) && data[p] == '}' {
		p++
	} else {
		for {
			key, next, ok := plainString(data, p)
			if !ok {
				return j, nil, nil, false
			}
			p = skipSpace(data, next)
			if p >= len(data) || data[p] != ':' {
				return j, nil, nil, false
			}
			val, next, ok := plainString(data, skipSpace(data, p+1))
			if !ok {
				return j, nil, nil, false
			}
			if hasControlOrNonASCII(key) {
				return j, nil, nil, false
			}
			// encoding/json matches keys without regard to case, and keeps
			// the last of repeated keys: so does this (a repeated Content is
			// left to encoding/json).
			switch {
			case bytes.EqualFold(key, []byte("Content")):
				if haveContent {
					return j, nil, nil, false // only the last would count, unchecked
				}
				rawContent, haveContent = val, true
			case bytes.EqualFold(key, []byte("ReportFormat")) || bytes.EqualFold(key, []byte("GeneratedTime")):
				if hasControlOrNonASCII(val) {
					return j, nil, nil, false
				}
				if bytes.EqualFold(key, []byte("ReportFormat")) {
					j.ReportFormat = string(val)
				} else {
					j.GeneratedTime = string(val)
				}
			default:
				if hasControl(val) || !utf8.Valid(val) {
					return j, nil, nil, false
				}
			}
			p = skipSpace(data, next)
			if p >= len(data) {
				return j, nil, nil, false
			}
			if data[p] == '}' {
				p++
				break
			}
			if data[p] != ',' {
				return j, nil, nil, false
			}
			p = skipSpace(data, p+1)
		}
	}
	if skipSpace(data, p) != len(data) || !haveContent {
		return j, nil, nil, false
	}
	// The base64 decoder skips \r and \n, which a JSON string may not hold
	// raw; any other stray byte fails the decode. Either way: slow path.
	if bytes.IndexByte(rawContent, '\n') >= 0 || bytes.IndexByte(rawContent, '\r') >= 0 {
		return j, nil, nil, false
	}
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(rawContent)))
	n, err := base64.StdEncoding.Decode(buf, rawContent)
	if err != nil {
		return j, nil, nil, false
	}
	// j.Content is left nil: the base64 text is returned as it is in data
	// (no escapes), not copied into a string nobody reads.
	return j, rawContent, buf[:n], true
}

func skipSpace(b []byte, p int) int {
	for p < len(b) {
		switch b[p] {
		case ' ', '\t', '\n', '\r':
			p++
		default:
			return p
		}
	}
	return p
}

// plainString reads a JSON string that has no escapes, returning its
// contents and the index after its closing quote.
func plainString(b []byte, p int) (s []byte, next int, ok bool) {
	if p >= len(b) || b[p] != '"' {
		return nil, p, false
	}
	end := bytes.IndexByte(b[p+1:], '"')
	if end < 0 {
		return nil, p, false
	}
	s = b[p+1 : p+1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, p, false
	}
	return s, p + 2 + end, true
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func hasControlOrNonASCII(b []byte) bool { return hasControl(b) || !isASCII(b) }
