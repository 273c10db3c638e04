package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// rootMark is a byte string every record rootwatch reports holds, as
// CloudTrail writes it: in the Root identity type, or the AssumeRoot
// event name (whose caller is a role). In JSON embedded in a string
// (lookup-events, Lake) it appears the same, as it needs no escaping.
const rootMark = "Root"

// escapeMark starts a JSON \uXXXX escape, the one way JSON can spell a
// letter otherwise ("\u0052oot", an escaped key "\u0074ype"): an element
// holding one may be root's however its bytes read, so it is decoded. An
// escaped backslash before a u ("\\u") holds it too: harmless, and it
// covers JSON embedded in a string, whose escapes are escaped again.
const escapeMark = `\u`

// MayBeRoot says whether a raw element can hold a root record. It is a
// byte search, so it runs at memory speed; false is certain, true is
// decided by decoding.
func MayBeRoot(raw []byte) bool { return mayBeRootAt(raw) >= 0 }

// mayBeRootAt is where in b the first sign that a record may be root's
// is: rootMark, or an escape before it; -1 when there is none.
func mayBeRootAt(b []byte) int {
	p := bytes.Index(b, []byte(rootMark))
	head := b
	if p >= 0 {
		head = b[:p]
	}
	// Escapes are searched for only before the mark: each byte is
	// searched at most twice.
	if q := bytes.Index(head, []byte(escapeMark)); q >= 0 {
		return q
	}
	return p
}

// envelope is an element's outer shape, to find the record inside.
type envelope struct {
	Record
	// EventBridge: {"detail-type": "AWS API Call via CloudTrail", "detail": {...}}.
	DetailType Text            `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
	// lookup-events: {"EventId": ..., "CloudTrailEvent": "<the record as a JSON string>"}.
	CloudTrailEvent *string `json:"CloudTrailEvent"`
}

// Decode reads the record in an element, whichever shape holds it.
func Decode(el Element) (*Record, error) {
	raw := el.Raw
	if el.Container == InRows || (len(raw) > 0 && raw[0] == '[') {
		return decodeLakeRow(raw)
	}
	if el.Container == InRecords {
		return decodeRecord(raw)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, jsonErr(err)
	}
	switch {
	case env.CloudTrailEvent != nil:
		return decodeRecord([]byte(*env.CloudTrailEvent))
	case len(env.Detail) > 0 && env.DetailType != "":
		return decodeRecord(env.Detail)
	}
	r := env.Record
	if err := check(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

func decodeRecord(raw []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, jsonErr(err)
	}
	if err := check(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// check refuses what is not a CloudTrail record.
func check(r *Record) error {
	if r.EventName == "" || r.EventTime == "" {
		return errNotCloudTrail
	}
	return nil
}

// jsonErr words a decoding error without Go type names.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("field %s is a JSON %s, not what CloudTrail writes there", te.Field, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d of the record: %w", se.Offset, err)
	}
	return fmt.Errorf("invalid record: %w", err)
}

// maxLakeSegments bounds the dotted parts of a Lake column name:
// CloudTrail's deepest field (userIdentity.sessionContext.attributes.x)
// has four.
const maxLakeSegments = 16

// lakeColumn is one column of a Lake row: its name's parts (CloudTrail's
// spelling) and its value as JSON.
type lakeColumn struct {
	path  []string
	value []byte
}

// decodeLakeRow reads a CloudTrail Lake result row: a list of one-key
// objects, column to value, every value a string. Nested columns
// (userIdentity, additionalEventData, ...) hold JSON, or Lake's
// {key=value, ...} rendering of a struct; dotted column names
// (userIdentity.type) are nested back.
//
// The record is written as JSON from the columns sorted by path, without
// building a tree: memory stays a small multiple of the row's size
// whatever its names, and nothing recurses.
func decodeLakeRow(raw []byte) (*Record, error) {
	var cells []json.RawMessage
	if err := json.Unmarshal(raw, &cells); err != nil {
		return nil, jsonErr(err)
	}
	cols := make([]lakeColumn, 0, len(cells))
	for n, cell := range cells {
		var err error
		ok := eachMember(cell, func(name string, v []byte) bool {
			if string(v) == "null" {
				return true
			}
			if len(v) == 0 || v[0] != '"' {
				err = fmt.Errorf("CloudTrail Lake row: column %d (%.40q) is not a string", n+1, name)
				return false
			}
			if parts := strings.Count(name, ".") + 1; parts > maxLakeSegments {
				err = fmt.Errorf("CloudTrail Lake row: column %d (%.40q…) has %d dotted parts, more than %d: not a CloudTrail column", n+1, name, parts, maxLakeSegments)
				return false
			}
			var text string
			if json.Unmarshal(v, &text) != nil {
				err = fmt.Errorf("CloudTrail Lake row: column %d (%.40q): invalid string", n+1, name)
				return false
			}
			path := strings.Split(name, ".")
			for i := range path {
				path[i] = lakeKey(path[i])
			}
			cols = append(cols, lakeColumn{path: path, value: lakeValue(text)})
			return true
		})
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("CloudTrail Lake row: column %d is not an object", n+1)
		}
	}
	var r Record
	if err := json.Unmarshal(lakeJSON(cols), &r); err != nil {
		return nil, jsonErr(err)
	}
	if err := check(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// lakeJSON writes columns as one JSON object, dotted paths nested. A name
// given twice is written twice (the last counts when decoded); a path that
// is both a value and the prefix of others is written as the value, then
// as an object of the others (decoded, the two merge into a struct field).
func lakeJSON(cols []lakeColumn) []byte {
	slices.SortStableFunc(cols, func(a, b lakeColumn) int { return slices.Compare(a.path, b.path) })
	var out bytes.Buffer
	out.WriteByte('{')
	var open []string     // the objects open, outermost first
	first := []bool{true} // per level: nothing written in it yet
	for _, c := range cols {
		dir := c.path[:len(c.path)-1]
		common := 0
		for common < len(open) && common < len(dir) && open[common] == dir[common] {
			common++
		}
		for len(open) > common {
			out.WriteByte('}')
			open = open[:len(open)-1]
			first = first[:len(first)-1]
		}
		for _, k := range dir[common:] {
			writeKey(&out, first, k)
			out.WriteByte('{')
			open = append(open, k)
			first = append(first, true)
		}
		writeKey(&out, first, c.path[len(c.path)-1])
		out.Write(c.value)
	}
	for range open {
		out.WriteByte('}')
	}
	out.WriteByte('}')
	return out.Bytes()
}

// writeKey writes an object key at the innermost level of first.
func writeKey(out *bytes.Buffer, first []bool, k string) {
	if !first[len(first)-1] {
		out.WriteByte(',')
	}
	first[len(first)-1] = false
	b, _ := json.Marshal(k) // a string always marshals
	out.Write(b)
	out.WriteByte(':')
}

// lakeKey gives a Lake column's (lower-cased) name CloudTrail's spelling.
func lakeKey(k string) string {
	for _, n := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
		"additionalEventData", "requestID", "eventID", "eventType", "recipientAccountId", "principalId",
		"accountId", "accessKeyId", "invokedBy", "sessionContext", "sessionIssuer", "creationDate",
		"mfaAuthenticated", "sessionCredentialFromConsole", "assumedRoot", "attributes"} {
		if strings.EqualFold(k, n) {
			return n
		}
	}
	return k
}

// lakeValue reads a Lake cell, as JSON: a JSON object as it is, a
// {k=v, ...} struct as an object, anything else as the string it is.
func lakeValue(s string) []byte {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		if json.Valid([]byte(t)) {
			return []byte(t)
		}
		if m, rest, ok := parseLakeStruct(t, 0); ok && strings.TrimSpace(rest) == "" {
			if b, err := json.Marshal(m); err == nil {
				return b
			}
		}
	}
	b, _ := json.Marshal(s) // a string always marshals
	return b
}

// maxLakeDepth bounds the nesting of a Lake cell's {key=value} rendering.
const maxLakeDepth = 32

// parseLakeStruct reads Trino's rendering of a row or map,
// {key=value, key={nested=value}}, as an object; values are strings.
func parseLakeStruct(s string, depth int) (map[string]any, string, bool) {
	// CloudTrail's structs nest a few levels; a deeper cell is not one, and
	// must not exhaust the stack.
	if !strings.HasPrefix(s, "{") || depth > maxLakeDepth {
		return nil, s, false
	}
	s = s[1:]
	m := map[string]any{}
	for {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, "}") {
			return m, s[1:], true
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, s, false
		}
		key := lakeKey(strings.TrimSpace(s[:eq]))
		s = s[eq+1:]
		if strings.HasPrefix(s, "{") {
			sub, rest, ok := parseLakeStruct(s, depth+1)
			if !ok {
				return nil, s, false
			}
			m[key], s = sub, rest
		} else {
			// A scalar runs to the next ", key=" or the closing brace.
			end := len(s)
			depth := 0
		scan:
			for i := 0; i < len(s); i++ {
				switch s[i] {
				case '{':
					depth++
				case '}':
					if depth == 0 {
						end = i
						break scan
					}
					depth--
				case ',':
					if depth == 0 && nextIsKey(s[i+1:]) {
						end = i
						break scan
					}
				}
			}
			v := s[:end]
			if v != "null" {
				m[key] = v
			}
			s = s[end:]
		}
		s = strings.TrimPrefix(strings.TrimLeft(s, " "), ",")
	}
}

// nextIsKey: does s start (after spaces) with "name=" ?
func nextIsKey(s string) bool {
	s = strings.TrimLeft(s, " ")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			return i > 0
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return false
}
