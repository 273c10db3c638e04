package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rootwatch/rootwatch/internal/model"
)

// CSVWriter writes one RFC 4180 row per finding, with a header even when
// there are no findings. Rows are written as accounts are judged.
type CSVWriter struct {
	cw *csv.Writer
}

var _ Writer = (*CSVWriter)(nil)

// CSVHeader is the CSV report's header.
func CSVHeader() []string {
	return []string{"id", "check", "title", "severity", "status", "account", "org", "resource", "message", "compliance", "remediation", "evidence"}
}

// Begin writes the header.
func (c *CSVWriter) Begin(w io.Writer, _ *Header) error {
	c.cw = csv.NewWriter(w)
	c.cw.UseCRLF = true
	if err := c.cw.Write(CSVHeader()); err != nil {
		return fmt.Errorf("write CSV report: %w", err)
	}
	return nil
}

// Account writes one row per finding.
func (c *CSVWriter) Account(_ *Account, fs []model.Finding) error {
	for i := range fs {
		f := &fs[i]
		ev := f.Evidence
		if ev == nil {
			ev = []byte("{}")
		}
		row := []string{f.ID, f.Check, f.Title, f.Severity, f.Status, f.Account, f.Org, f.Resource, f.Message,
			compliance(f.Compliance), f.Remediation, string(ev)}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := c.cw.Write(row); err != nil {
			return fmt.Errorf("write CSV report: %w", err)
		}
	}
	return nil
}

// End flushes.
func (c *CSVWriter) End() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
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
