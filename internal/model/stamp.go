package model

import (
	"fmt"
	"time"
)

// Absence markers of the credential report. They mean different things and
// are kept apart: N/A (the credential does not exist), not_supported (the
// report cannot say for this user) and no_information (never used).
const (
	NotApplicable = "N/A"
	NotSupported  = "not_supported"
	NoInformation = "no_information"
)

// Stamp is a credential report time column: a time, or one of the absence
// markers. The zero Stamp means the column was not given at all.
type Stamp struct {
	Time   time.Time
	Marker string
}

// At returns a Stamp holding t.
func At(t time.Time) Stamp { return Stamp{Time: t.UTC()} }

// IsSet reports whether the stamp holds a time.
func (s Stamp) IsSet() bool { return !s.Time.IsZero() }

// String returns the time in RFC 3339 or the absence marker.
func (s Stamp) String() string {
	if s.IsSet() {
		return s.Time.UTC().Format(time.RFC3339)
	}
	return s.Marker
}

// MarshalText writes the stamp as the report would (RFC 3339 or the marker).
func (s Stamp) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads an RFC 3339 time or one of the absence markers.
func (s *Stamp) UnmarshalText(b []byte) error {
	v, err := ParseStamp(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseStamp parses a credential report time column.
func ParseStamp(v string) (Stamp, error) {
	switch v {
	case "":
		return Stamp{}, nil
	case NotApplicable, NotSupported, NoInformation:
		return Stamp{Marker: v}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return Stamp{}, fmt.Errorf("want an RFC 3339 time, %s, %s or %s, got %q", NotApplicable, NotSupported, NoInformation, v)
	}
	return At(t), nil
}

// Latest returns the latest of the stamps that hold a time, and its index
// (-1 when none does).
func Latest(stamps ...Stamp) (Stamp, int) {
	best, idx := Stamp{}, -1
	for i, s := range stamps {
		if s.IsSet() && (idx < 0 || s.Time.After(best.Time)) {
			best, idx = s, i
		}
	}
	return best, idx
}
