// Package trail reads CloudTrail records from every shape users hold them
// in (log files, lookup-events output, EventBridge events, CloudTrail Lake
// results, JSON arrays and lines), finds the root user's actions among
// them and classifies each one.
//
// Reading is split from decoding: the Splitter cuts the input into records
// without decoding them, a byte search throws out every record that cannot
// be root, and only the rest is decoded. Root is a tiny share of a trail,
// so almost all of the input is only looked at, never parsed.
package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Text is a JSON value read as text whatever its type: CloudTrail's own
// fields are strings, but documentation examples and other tools write
// booleans and numbers for some ("assumedRoot": true), and a field of an
// odd type must not cost the record.
type Text string

func (t *Text) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	default:
		*t = Text(bytes.TrimSpace(b))
	}
	return nil
}

// Record is the part of a CloudTrail record rootwatch reads.
type Record struct {
	EventVersion        Text            `json:"eventVersion"`
	UserIdentity        *Identity       `json:"userIdentity"`
	EventTime           Text            `json:"eventTime"`
	EventSource         Text            `json:"eventSource"`
	EventName           Text            `json:"eventName"`
	AWSRegion           Text            `json:"awsRegion"`
	SourceIPAddress     Text            `json:"sourceIPAddress"`
	UserAgent           Text            `json:"userAgent"`
	ErrorCode           Text            `json:"errorCode"`
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
	RequestID           Text            `json:"requestID"`
	EventID             Text            `json:"eventID"`
	EventType           Text            `json:"eventType"`
	RecipientAccountID  Text            `json:"recipientAccountId"`
	// SessionCredentialFromConsole is "true" on calls made from a console
	// session (a top-level field since eventVersion 1.08).
	SessionCredentialFromConsole Text `json:"sessionCredentialFromConsole"`
}

// Identity is the record's userIdentity.
type Identity struct {
	Type           Text            `json:"type"`
	PrincipalID    Text            `json:"principalId"`
	ARN            Text            `json:"arn"`
	AccountID      Text            `json:"accountId"`
	AccessKeyID    Text            `json:"accessKeyId"`
	InvokedBy      Text            `json:"invokedBy"`
	SessionContext *SessionContext `json:"sessionContext"`
}

// SessionContext is userIdentity.sessionContext.
type SessionContext struct {
	Attributes struct {
		CreationDate     Text `json:"creationDate"`
		MFAAuthenticated Text `json:"mfaAuthenticated"`
	} `json:"attributes"`
	SessionIssuer struct {
		Type Text `json:"type"`
		ARN  Text `json:"arn"`
	} `json:"sessionIssuer"`
	AssumedRoot Text `json:"assumedRoot"`
}

// field reads a string (or any scalar) at a dotted path in a raw object;
// "" when it is not there. Keys are matched exactly, then without case
// (Lake and Athena lower-case nested names); of keys given twice, the last
// counts, as in encoding/json. Only the path is looked at: the rest of the
// object is skipped, not decoded, so a wide object costs no memory.
func field(raw json.RawMessage, path ...string) string {
	for _, key := range path {
		var exact, folded []byte
		if !eachMember(raw, func(k string, v []byte) bool {
			switch {
			case k == key:
				exact = v
			case strings.EqualFold(k, key):
				folded = v
			}
			return true
		}) {
			return ""
		}
		switch {
		case exact != nil:
			raw = exact
		case folded != nil:
			raw = folded
		default:
			return ""
		}
	}
	var t Text
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') || json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return string(t)
}

// eachMember calls fn with each key (unescaped) and raw value of the JSON
// object raw, in order, until fn returns false. It walks the bytes without
// recursion or decoding values, and returns false when raw is no object or
// is cut short.
func eachMember(raw []byte, fn func(key string, val []byte) bool) bool {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipWS(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return true
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return false
		}
		end := stringEnd(raw, i)
		if end < 0 {
			return false
		}
		var key string
		if bytes.IndexByte(raw[i+1:end-1], '\\') >= 0 {
			if json.Unmarshal(raw[i:end], &key) != nil {
				return false
			}
		} else {
			key = string(raw[i+1 : end-1])
		}
		i = skipWS(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipWS(raw, i+1)
		vend := valueEnd(raw, i)
		if vend < 0 {
			return false
		}
		if !fn(key, raw[i:vend]) {
			return true
		}
		i = skipWS(raw, vend)
		switch {
		case i < len(raw) && raw[i] == ',':
			i = skipWS(raw, i+1)
		case i < len(raw) && raw[i] == '}':
			return true
		default:
			return false
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index after the closing quote of the string whose
// opening quote is at b[i]; -1 when it does not close.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd is the index after the JSON value at b[i]; -1 when it does not
// end. Nesting is counted, not recursed into.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && isLiteral(b[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// timeLayouts are the eventTime forms met: CloudTrail's own, with
// fractions, and CloudTrail Lake's.
func timeLayouts() []string {
	return []string{time.RFC3339, time.RFC3339Nano, "2006-01-02 15:04:05.000", "2006-01-02 15:04:05", "2006-01-02T15:04:05.000Z07:00"}
}

// ParseTime reads an eventTime. Epoch seconds (lookup-events' EventTime)
// are accepted too.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts() {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC().Truncate(time.Millisecond), nil
	}
	return time.Time{}, fmt.Errorf("eventTime %q is not a time CloudTrail writes (want RFC 3339, such as 2024-10-25T20:52:11Z)", s)
}

// errNotCloudTrail marks JSON that is no CloudTrail record.
var errNotCloudTrail = errors.New("not a CloudTrail record (no eventName or eventTime)")
