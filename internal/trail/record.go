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
// (Lake and Athena lower-case nested names).
func field(raw json.RawMessage, path ...string) string {
	for _, key := range path {
		if len(raw) == 0 || raw[0] != '{' {
			return ""
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return ""
		}
		v, ok := m[key]
		if !ok {
			for k, kv := range m {
				if strings.EqualFold(k, key) {
					v, ok = kv, true
					break
				}
			}
		}
		if !ok {
			return ""
		}
		raw = v
	}
	var t Text
	if json.Unmarshal(raw, &t) != nil || (len(raw) > 0 && (raw[0] == '{' || raw[0] == '[')) {
		return ""
	}
	return string(t)
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
