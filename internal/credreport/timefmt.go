package credreport

import (
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// validTimeLayout reports whether s is a valid time in the report's own
// layout, YYYY-MM-DDTHH:MM:SS+00:00, without building it (user rows are
// only checked). false means "not that layout, or invalid": ask parseTime.
func validTimeLayout(s string) bool {
	f, ok := layoutFields(s)
	return ok && f[2] <= daysIn(f[1], f[0])
}

// layoutFields splits YYYY-MM-DDTHH:MM:SS+00:00 into year, month, day, hour,
// minute and second, with each in its range (the day only up to 31).
func layoutFields(s string) (f [6]int, ok bool) {
	if len(s) != 25 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19:] != "+00:00" {
		return f, false
	}
	for i, part := range [6]string{s[0:4], s[5:7], s[8:10], s[11:13], s[14:16], s[17:19]} {
		if f[i], ok = digits(part); !ok {
			return f, false
		}
	}
	return f, f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= 31 && f[3] < 24 && f[4] < 60 && f[5] < 60
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseTime reads an RFC 3339 time. The credential report writes every time
// as YYYY-MM-DDTHH:MM:SS+00:00; that layout is read by hand (a report of a
// large account holds tens of thousands of times), anything else by
// time.Parse.
func parseTime(s string) (time.Time, error) {
	if f, ok := layoutFields(s); ok && f[2] <= daysIn(f[1], f[0]) {
		return time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, time.UTC), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseStamp reads a time column: a time or an absence marker.
func parseStamp(v string) (model.Stamp, error) {
	// The markers are returned as constants, never as v, which may view the
	// input buffer.
	switch v {
	case model.NotApplicable:
		return model.Stamp{Marker: model.NotApplicable}, nil
	case model.NotSupported:
		return model.Stamp{Marker: model.NotSupported}, nil
	case model.NoInformation:
		return model.Stamp{Marker: model.NoInformation}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return model.Stamp{}, err
	}
	return model.Stamp{Time: t}, nil
}
