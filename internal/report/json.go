package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSONWriter writes the JSON report contract. Strings are kept exactly.
type JSONWriter struct{}

var _ Writer = JSONWriter{}

func (JSONWriter) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}
