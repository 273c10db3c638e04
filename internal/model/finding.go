package model

import "encoding/json"

// Finding statuses.
const (
	StatusPass          = "pass"
	StatusFail          = "fail"
	StatusError         = "error"
	StatusNotApplicable = "not_applicable"
	StatusManual        = "manual"
)

// Statuses lists every status in report order.
func Statuses() []string {
	return []string{StatusFail, StatusError, StatusManual, StatusPass, StatusNotApplicable}
}

// Severities lists the severities from the most to the least severe.
func Severities() []string { return []string{"critical", "high", "medium", "low", "info"} }

// SeverityRank returns 0 for critical up to 4 for info, and -1 for an
// unknown severity.
func SeverityRank(s string) int {
	for i, v := range Severities() {
		if v == s {
			return i
		}
	}
	return -1
}

// Finding is one check's verdict on one resource of one account. Its JSON
// shape is the report contract.
type Finding struct {
	// ID is stable across runs: a hash of check, account and resource.
	ID       string `json:"id"`
	Check    string `json:"check"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Account  string `json:"account"`
	Org      string `json:"org"`
	Resource string `json:"resource"`
	Message  string `json:"message"`
	// Evidence is a JSON object, encoded when the finding is made: a fleet's
	// findings are many, and encoded evidence takes a fraction of the
	// memory of the maps it comes from. Nil when the output shows none.
	Evidence    json.RawMessage     `json:"evidence"`
	Compliance  map[string][]string `json:"compliance"`
	Remediation string              `json:"remediation"`
}
