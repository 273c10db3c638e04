package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
)

// CSVWriter writes one RFC 4180 row per finding, with a header even when
// there are no findings.
type CSVWriter struct{}

var _ Writer = CSVWriter{}

// CSVHeader is the CSV report's header.
func CSVHeader() []string {
	return []string{"id", "check", "title", "severity", "status", "account", "org", "resource", "message", "compliance", "remediation", "evidence"}
}

func (CSVWriter) Write(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader()); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	for _, f := range r.Findings {
		ev := f.Evidence
		if ev == nil {
			ev = []byte("{}")
		}
		row := []string{f.ID, f.Check, f.Title, f.Severity, f.Status, f.Account, f.Org, f.Resource, f.Message,
			compliance(f.Compliance), f.Remediation, string(ev)}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write CSV report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	return nil
}

// compliance writes a mapping as "framework:c1|c2; framework2:c3".
func compliance(m map[string][]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + strings.Join(m[k], "|")
	}
	return strings.Join(parts, "; ")
}
