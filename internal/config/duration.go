// Package config reads rootwatch's YAML configuration: thresholds, severity
// overrides and disabled checks.
package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDays bounds durations (a century), far from time.Duration's limit.
const maxDays = 36500

// durationForms is what ParseDuration accepts, for error messages.
const durationForms = "write days, hours and minutes such as 7d, 36h, 1d12h or 90m"

// ParseDuration reads a duration written in days and/or Go units: "7d",
// "36h", "1d12h", "90m".
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	var total time.Duration
	if i := strings.IndexByte(in, 'd'); i > 0 {
		days, err := strconv.ParseUint(in[:i], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %s", s, durationForms)
		}
		if days > maxDays {
			return 0, fmt.Errorf("%q is too long: at most %dd", s, maxDays)
		}
		total = time.Duration(days) * 24 * time.Hour
		in = in[i+1:]
		if in == "" {
			return total, nil
		}
	}
	d, err := time.ParseDuration(in)
	switch {
	case err != nil || d < 0:
		return 0, fmt.Errorf("%q is not a duration: %s", s, durationForms)
	case d > maxDays*24*time.Hour || total+d > maxDays*24*time.Hour:
		return 0, fmt.Errorf("%q is too long: at most %dd", s, maxDays)
	}
	return total + d, nil
}

// FormatDuration writes d as ParseDuration reads it: in days when it is a
// whole number of days ("7d"), hours up to two days ("36h"), else days
// and the rest ("90d12h", "2d3h5m": to the minute, as an age of days needs
// no seconds), Go units under a day.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + FormatDuration(-d)
	}
	day := 24 * time.Hour
	switch {
	case d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d%time.Hour == 0 && d <= 2*day:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d > day:
		rest := (d % day).Truncate(time.Minute)
		if rest == 0 {
			return fmt.Sprintf("%dd", d/day)
		}
		h, m := rest/time.Hour, (rest%time.Hour)/time.Minute
		switch {
		case m == 0:
			return fmt.Sprintf("%dd%dh", d/day, h)
		case h == 0:
			return fmt.Sprintf("%dd%dm", d/day, m)
		}
		return fmt.Sprintf("%dd%dh%dm", d/day, h, m)
	}
	return d.String()
}
