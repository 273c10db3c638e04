// Package history keeps audits over time: the runs written to a store
// (SQLite or PostgreSQL), and the root facts of each account at each run,
// which the seed study's figures and the diffs between runs are computed
// from.
package history

import "time"

// Observation is what is kept of one account at one run: the root facts
// as of its credential report's generation time (AsOf), which the study
// judges (a use is a last-used date within the window before AsOf), and
// where the account sat in the fleet then.
type Observation struct {
	RunID   int64     `json:"run_id"`
	Account string    `json:"account"`
	Name    string    `json:"name,omitempty"`
	Org     string    `json:"org,omitempty"`
	OUPath  string    `json:"ou_path,omitempty"`
	AsOf    time.Time `json:"as_of"`
	// RootUnread says the audit could not read the account's root facts
	// (no row for root in its credential report, a collector that
	// failed): the facts below are empty, not "never used", and the study
	// leaves the observation out. False for every observation written
	// before the field existed (they were all read).
	RootUnread bool `json:"root_unread,omitempty"`
	// CreatedAt is when the account (its root user) was created; zero
	// when not known.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// PasswordLastUsed is root's password_last_used; zero when never used
	// or no password.
	PasswordLastUsed time.Time `json:"password_last_used,omitzero"`
	// Keys are root's two access key slots.
	Keys [2]KeyFacts `json:"keys"`
	// MFA is whether root had MFA at the audit.
	MFA bool `json:"mfa"`
	// Assets is the asset count of the seed's size buckets (IAM users +
	// RDS instances + S3 buckets + EC2 instances + trails; model.SizeOf
	// buckets it); nil when not known (no --fleet, no --assets).
	Assets *int `json:"assets,omitempty"`
	// Exact holds what CloudTrail showed of root in the window before
	// AsOf, when the run read CloudTrail for the account; nil otherwise.
	Exact *ExactCounts `json:"exact,omitempty"`
}

// KeyFacts is one root access key slot at the audit.
type KeyFacts struct {
	Active      bool      `json:"active"`
	LastRotated time.Time `json:"last_rotated,omitzero"`
	LastUsed    time.Time `json:"last_used,omitzero"`
}

// ExactCounts are CloudTrail's root events of an account in the window
// before an audit, beside the credential report's sampled last use.
type ExactCounts struct {
	SignIns           int `json:"sign_ins"`
	SignInsWithoutMFA int `json:"sign_ins_without_mfa"`
	KeySignedCalls    int `json:"key_signed_calls"`
}
