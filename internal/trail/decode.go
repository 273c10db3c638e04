package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// rootMarks are byte strings one of which every record rootwatch reports
// holds: the Root identity type, or the AssumeRoot event name (whose
// caller is a role). In JSON embedded in a string (lookup-events,
// Lake) they appear the same, as neither needs escaping.
const rootMark = "Root"

// MayBeRoot says whether a raw element can hold a root record. It is a
// byte search, so it runs at memory speed; false is certain, true is
// decided by decoding.
func MayBeRoot(raw []byte) bool { return bytes.Contains(raw, []byte(rootMark)) }

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

// decodeLakeRow reads a CloudTrail Lake result row: a list of one-key
// objects, column to value, every value a string. Nested columns
// (userIdentity, additionalEventData, ...) hold JSON, or Lake's
// {key=value, ...} rendering of a struct; dotted column names
// (userIdentity.type) are nested back.
func decodeLakeRow(raw []byte) (*Record, error) {
	var cols []map[string]*string
	if err := json.Unmarshal(raw, &cols); err != nil {
		return nil, jsonErr(err)
	}
	obj := map[string]any{}
	for _, col := range cols {
		for name, v := range col {
			if v == nil {
				continue
			}
			setPath(obj, strings.Split(name, "."), lakeValue(*v))
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("CloudTrail Lake row: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, jsonErr(err)
	}
	if err := check(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// setPath sets obj[a][b]... = v, matching keys without case so Lake's
// lower-cased names land on CloudTrail's.
func setPath(obj map[string]any, path []string, v any) {
	key := lakeKey(path[0])
	if len(path) == 1 {
		obj[key] = v
		return
	}
	sub, ok := obj[key].(map[string]any)
	if !ok {
		sub = map[string]any{}
		obj[key] = sub
	}
	setPath(sub, path[1:], v)
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

// lakeValue reads a Lake cell: JSON when it is JSON, a {k=v, ...} struct
// as an object, anything else as the string it is.
func lakeValue(s string) any {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		var v any
		if json.Unmarshal([]byte(t), &v) == nil {
			return v
		}
		if m, rest, ok := parseLakeStruct(t, 0); ok && strings.TrimSpace(rest) == "" {
			return m
		}
	}
	return s
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
