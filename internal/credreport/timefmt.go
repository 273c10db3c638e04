package credreport

import (
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// parseTime reads an RFC 3339 time. The credential report writes every time
// as YYYY-MM-DDTHH:MM:SS+00:00; that layout is read by hand (a report of a
// large account holds tens of thousands of times), anything else by
// time.Parse.
func parseTime(s string) (time.Time, error) {
	if len(s) == 25 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19:] == "+00:00" {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && h < 24 && mi < 60 && sec < 60 {
			t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
			if t.Day() == d { // not normalized past the month's end
				return t, nil
			}
		}
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
	switch v {
	case model.NotApplicable, model.NotSupported, model.NoInformation:
		return model.Stamp{Marker: v}, nil
	}
	t, err := parseTime(v)
	if err != nil {
		return model.Stamp{}, err
	}
	return model.Stamp{Time: t}, nil
}
