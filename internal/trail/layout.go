package trail

import (
	"strconv"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Layout is what a key of CloudTrail's S3 delivery layout says:
// [prefix/]AWSLogs/[o-id/]account/CloudTrail/region/YYYY/MM/DD/file.
// Fields a partial key (a folder) does not reach are empty.
type Layout struct {
	Org, Account, Service, Region string
	Year, Month, Day              int
}

// ParseLayout reads the layout from a path or key, as far as it goes; ok is
// false when there is no AWSLogs/ folder in it.
func ParseLayout(path string) (l Layout, ok bool) {
	parts := strings.Split(strings.ReplaceAll(path, "\\", "/"), "/")
	i := -1
	for k, p := range parts {
		if p == "AWSLogs" {
			i = k
		}
	}
	if i < 0 {
		return Layout{}, false
	}
	rest := parts[i+1:]
	if len(rest) > 0 && strings.HasPrefix(rest[0], "o-") && !strings.Contains(rest[0], ".") {
		l.Org, rest = rest[0], rest[1:]
	}
	// Each part is taken only when it has its field's shape, so a file
	// name (AWSLogs/111122223333/export.json) is not read as a service or
	// a region.
	if len(rest) == 0 || !model.ValidAccountID(rest[0]) {
		return l, true
	}
	l.Account, rest = rest[0], rest[1:]
	if len(rest) == 0 || strings.Contains(rest[0], ".") {
		return l, true
	}
	if !strings.HasPrefix(rest[0], "CloudTrail") {
		// Another service's folder beside CloudTrail's in a log archive
		// (Config, vpcflowlogs, elasticloadbalancing): never CloudTrail.
		l.Service = rest[0]
		return l, true
	}
	l.Service, rest = rest[0], rest[1:]
	if len(rest) == 0 || strings.Contains(rest[0], ".") {
		return l, true
	}
	l.Region, rest = rest[0], rest[1:]
	nums := []*int{&l.Year, &l.Month, &l.Day}
	for k := 0; k < len(nums) && len(rest) > 0; k++ {
		n, err := strconv.Atoi(rest[0])
		if err != nil || len(rest[0]) > 4 {
			break
		}
		*nums[k], rest = n, rest[1:]
	}
	return l, true
}

// Skip says whether everything under a path of the delivery layout can be
// left unread: digest and insight files, other accounts and regions, days
// outside the window. The day in a key is the delivery day, up to some
// minutes after the events, so a day of margin is kept on each side.
func (f *Filter) Skip(path string) bool {
	if l, ok := ParseLayout(path); ok && l.Service != "" && l.Service != "CloudTrail" {
		return true // not counted: never what the filter asked for
	}
	skip := f.skip(path)
	if skip && f.Pruned != nil {
		f.Pruned.Add(1)
	}
	return skip
}

func (f *Filter) skip(path string) bool {
	l, ok := ParseLayout(path)
	if !ok {
		return false
	}
	if l.Service != "" && l.Service != "CloudTrail" {
		return true // CloudTrail-Digest, CloudTrail-Insight, CloudTrail-Lake, ...
	}
	if l.Account != "" && len(f.Accounts) > 0 && !f.Accounts[l.Account] && !f.AlsoRead[l.Account] {
		return true
	}
	// The management account's other regions are read for the AssumeRoot
	// calls made there (Filter.joinOnly).
	if l.Region != "" && len(f.Regions) > 0 && !f.Regions[l.Region] && !f.AlsoRead[l.Account] {
		return true
	}
	if l.Year == 0 {
		return false
	}
	// The folder covers [first, last] days.
	first := time.Date(l.Year, time.Month(max(l.Month, 1)), max(l.Day, 1), 0, 0, 0, 0, time.UTC)
	var last time.Time
	switch {
	case l.Day > 0:
		last = first.AddDate(0, 0, 1)
	case l.Month > 0:
		last = first.AddDate(0, 1, 0)
	default:
		last = first.AddDate(1, 0, 0)
	}
	const margin = 24 * time.Hour
	if !f.Since.IsZero() && !last.After(f.Since.Add(-margin)) {
		return true
	}
	if !f.Until.IsZero() && first.After(f.Until.Add(margin)) {
		return true
	}
	return false
}
