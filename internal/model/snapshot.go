// Package model holds the snapshot: the plain facts every source produces and
// every rule reads. Sources compute facts; rules only judge them.
package model

import (
	"time"
)

// Snapshot is one collection of facts about a fleet of AWS accounts.
type Snapshot struct {
	// CollectedAt is when the snapshot was assembled (the audit time).
	CollectedAt   time.Time      `json:"collected_at"`
	Organizations []Organization `json:"organizations,omitempty"`
	Accounts      []Account      `json:"accounts"`
	// Errors are inputs or accounts that could not be read; the rest of the
	// snapshot is still valid.
	Errors []SourceError `json:"errors,omitempty"`
	// Warnings are inputs read and set aside on purpose (a superseded
	// credential report of an account): nothing is missing.
	Warnings []SourceError `json:"warnings,omitempty"`
}

// Organization is an AWS Organization the accounts belong to.
type Organization struct {
	ID string `json:"id"`
	// Name is the organization's name as the user calls it (a fleet file's
	// org_name); AWS Organizations has no name of its own.
	Name              string `json:"name,omitempty"`
	ManagementAccount string `json:"management_account,omitempty"`
	FeatureSet        string `json:"feature_set,omitempty"`
}

// SourceError records an input or account that could not be evaluated.
type SourceError struct {
	Account string `json:"account"`
	Source  string `json:"source"`
	Message string `json:"message"`
	// Class is what kind of failure a live AWS error was: access_denied,
	// not_enabled (opt-in region, feature or service access not enabled,
	// account not active), throttled, not_found, timeout or other. Empty
	// for errors of files.
	Class string `json:"class,omitempty"`
}

// Account is one AWS account and everything known about its root user.
type Account struct {
	// ID is the 12-digit account ID, always as a string.
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Partition is aws, aws-cn or aws-us-gov, taken from the ARNs.
	Partition string `json:"partition"`
	Org       string `json:"org,omitempty"`
	// OUPath is the path of organizational units from the root, e.g.
	// "Root/Workloads/Prod".
	OUPath       string `json:"ou_path,omitempty"`
	IsManagement bool   `json:"is_management,omitempty"`
	// CreatedAt is when the account (its root user) was created.
	CreatedAt time.Time `json:"created_at"`
	// Email is the root user's email address: the account's email in AWS
	// Organizations (a live --org audit) or a fleet file's email column;
	// "" when not known (credential reports hold none).
	Email string `json:"email,omitempty"`
	// EmailSharedWith (derived, see DeriveEmails) are the other accounts
	// of the snapshot whose root email is the same address, case aside.
	EmailSharedWith []string `json:"email_shared_with,omitempty"`
	// EmailInboxSharedWith (derived) are the other accounts whose address
	// differs only by a +tag in the local part (team+prod@ and team+dev@):
	// distinct addresses to AWS, one inbox to whoever reads it.
	EmailInboxSharedWith []string `json:"email_inbox_shared_with,omitempty"`
	// EmailPeersUnlisted (derived) is set when the snapshot says part of
	// the organization's accounts could not be listed: another account
	// may share the address unseen.
	EmailPeersUnlisted bool `json:"email_peers_unlisted,omitempty"`

	CredentialReport *CredentialReportInfo `json:"credential_report,omitempty"`
	Root             *Root                 `json:"root,omitempty"`
	// IAMUsers is the number of IAM users in the credential report (one of
	// the asset counts of the account size buckets).
	IAMUsers int `json:"iam_users"`

	// Contacts are the account's alternate contacts; nil when not collected
	// (credential reports hold none).
	Contacts *Contacts `json:"contacts,omitempty"`
	// PrimaryContact is the account's contact information (account:
	// GetContactInformation): whom AWS reaches about the account itself,
	// root's recovery included; nil when not set or not collected.
	PrimaryContact *PrimaryContact `json:"primary_contact,omitempty"`
	// Trails are the CloudTrail trails the account sees (its own and the
	// organization's); nil when not collected.
	Trails *[]Trail `json:"trails,omitempty"`
	// RootUsageAlarm is the CIS root-usage monitoring chain as found; nil
	// when not collected.
	RootUsageAlarm *RootUsageAlarm `json:"root_usage_alarm,omitempty"`
	// CentralizedRoot says whether the organization manages member roots
	// centrally (IAM's Organizations features); nil when not collected.
	CentralizedRoot *CentralizedRoot `json:"centralized_root,omitempty"`
	// SCP is the effective service control policy guardrail on root; nil
	// when not collected (only --org reads SCPs).
	SCP *SCPGuardrail `json:"scp,omitempty"`
	// Assets are the counts of the seed study's account size buckets; nil
	// when not collected.
	Assets *Assets `json:"assets,omitempty"`
	// Budgets are the account's AWS Budgets; nil when not collected.
	Budgets *[]Budget `json:"budgets,omitempty"`
	// CloudTrail is what CloudTrail shows root doing (audit --cloudtrail);
	// nil when no trail was read.
	CloudTrail *RootActivity `json:"cloudtrail,omitempty"`
	// FailedCollectors names the live collectors that failed on this
	// account: their facts are unknown, and checks on them say error.
	FailedCollectors []string `json:"failed_collectors,omitempty"`
}

// RootActivity is the root user's events read from CloudTrail for the
// audit: every one in [Since, Until), not only the credential report's
// last use.
type RootActivity struct {
	Since  time.Time   `json:"since"`
	Until  time.Time   `json:"until"`
	Events []RootEvent `json:"events"` // newest first
	// Coverage is what was actually read of the account's logs: events
	// that were not read are not absent. Snapshots written before it was
	// recorded have none, and prove no absence.
	Coverage *LogCoverage `json:"coverage,omitempty"`
}

// LogCoverage is what was read of one account's CloudTrail logs.
type LogCoverage struct {
	// ReadFrom and ReadTo bound what was read: the delivery times of the
	// delivery layout's files (from their names) and the times of the
	// records of other inputs (lookup-events output, Lake results, ...).
	// Zero when nothing of the account was read.
	ReadFrom time.Time `json:"read_from,omitzero"`
	ReadTo   time.Time `json:"read_to,omitzero"`
	// Files counts the log files read that hold the account's logs.
	Files int `json:"files"`
	// Selections counts the inputs that hold some of the account's events
	// but were chosen by a query, rule or filter (lookup-events output,
	// EventBridge events, Lake results, bare records): their events count,
	// but they cover no time.
	Selections int `json:"selections,omitempty"`
	// Regions are the regions of the delivery files read.
	Regions []string `json:"regions,omitempty"`
	// Gaps are the parts of the span read in which nothing of the account
	// was read: days without a delivery file, time between log files.
	Gaps []Span `json:"gaps,omitempty"`
	// Unread are inputs that could not be read in whole and may hold the
	// account's events (its own files, or inputs of no known account), the
	// first 20 of UnreadTotal.
	Unread      []string `json:"unread,omitempty"`
	UnreadTotal int      `json:"unread_total,omitempty"`
}

// CloudTrailDeliveryLag is how far the last log read may end before the
// end of a span judged and still cover it: CloudTrail delivers a file
// some minutes after its events, and a quiet account's files come further
// apart.
const CloudTrailDeliveryLag = time.Hour

// Complete reports whether the log files read cover [from, to] whole:
// nothing unread, read from at or before from to at least to less
// CloudTrailDeliveryLag, and no gap inside. Selections alone cover
// nothing (a query chose their events).
func (c *LogCoverage) Complete(from, to time.Time) bool {
	if c == nil || c.UnreadTotal > 0 || len(c.Unread) > 0 || c.Files == 0 || c.ReadFrom.IsZero() ||
		c.ReadFrom.After(from) || c.ReadTo.Before(to.Add(-CloudTrailDeliveryLag)) {
		return false
	}
	for _, g := range c.Gaps {
		if g.To.After(from) && g.From.Before(to) {
			return false
		}
	}
	return true
}

// Span is a span of time from From up to To.
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Later returns the later of two times.
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Earlier returns the earlier of two times.
func Earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// RootEvent is one root event (see 'rootwatch trail' for the kinds).
type RootEvent struct {
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	Success     bool      `json:"success"`
	MFA         string    `json:"mfa"`
	Session     string    `json:"session,omitempty"`
	AccessKeyID string    `json:"access_key_id,omitempty"`
	SourceIP    string    `json:"source_ip,omitempty"`
	Region      string    `json:"region,omitempty"`
	Source      string    `json:"source"`
}

// Trail is a CloudTrail trail.
type Trail struct {
	Name         string `json:"name"`
	ARN          string `json:"arn"`
	HomeRegion   string `json:"home_region"`
	MultiRegion  bool   `json:"multi_region"`
	Organization bool   `json:"organization"`
	// Logging is read only for the account's own trails: an organization
	// trail seen from a member belongs to OwnerAccount, whose audit reads
	// its status (a member may not).
	Logging      bool   `json:"logging"`
	OwnerAccount string `json:"owner_account,omitempty"`
	LogGroupARN  string `json:"log_group_arn,omitempty"`
	// ManagementEvents is what the trail's event selectors record of
	// management events: read-write, read-only, write-only or none; empty
	// when not read (another account's trail).
	ManagementEvents string `json:"management_events,omitempty"`
	// CloudWatchLogsDeliveryError and LatestCloudWatchLogsDelivery are
	// GetTrailStatus's account of delivery to the log group (own trails
	// only).
	CloudWatchLogsDeliveryError  string    `json:"cloudwatch_logs_delivery_error,omitempty"`
	LatestCloudWatchLogsDelivery time.Time `json:"latest_cloudwatch_logs_delivery,omitzero"`
}

// RootUsageAlarm is the chain CIS asks for: a multi-region trail that is
// logging to CloudWatch Logs, a metric filter for root use on its log group,
// an alarm on the filter's metric, and an SNS topic with a confirmed
// subscription among the alarm's actions. Complete says whether one chain
// is whole; Missing names the first missing link of the longest one found.
type RootUsageAlarm struct {
	Complete bool   `json:"complete"`
	Missing  string `json:"missing,omitempty"`
	// ElsewhereAccount is set when the only logging multi-region trail is
	// an organization trail whose log group (and so the alarm) lives in
	// another account: the chain is judged there.
	ElsewhereAccount       string `json:"elsewhere_account,omitempty"`
	Trail                  string `json:"trail,omitempty"`
	LogGroup               string `json:"log_group,omitempty"`
	Filter                 string `json:"filter,omitempty"`
	FilterPattern          string `json:"filter_pattern,omitempty"`
	Metric                 string `json:"metric,omitempty"`
	Alarm                  string `json:"alarm,omitempty"`
	Topic                  string `json:"topic,omitempty"`
	ConfirmedSubscriptions int    `json:"confirmed_subscriptions"`
	// TrailARN and LogGroupARN name the chain's trail and log group
	// exactly (account and region): a member's organization trail counts
	// only through that trail and group.
	TrailARN    string `json:"trail_arn,omitempty"`
	LogGroupARN string `json:"log_group_arn,omitempty"`
}

// CentralizedRoot is the organization's centralized root access, as
// iam:ListOrganizationsFeatures reports it.
type CentralizedRoot struct {
	// CredentialsManagement: the management account (or delegated admin)
	// can delete and audit member roots' credentials.
	CredentialsManagement bool `json:"credentials_management"`
	// RootSessions: it can open short root sessions (sts:AssumeRoot) in
	// members for the few tasks that need root.
	RootSessions bool `json:"root_sessions"`
}

// SCPGuardrail is what the SCPs attached at the account, its OUs and the
// organization root do to the root user.
type SCPGuardrail struct {
	// Kind is deny-all, deny-without-mfa, deny-outside-ip-ranges (an IP
	// allow list: NotIpAddress aws:SourceIp), deny-without-mfa-console-only
	// (a Bool, not BoolIfExists, MFA condition: root's access keys are not
	// denied) or none.
	Kind              string   `json:"kind"`
	By                []string `json:"by,omitempty"`
	AssumedRootExempt bool     `json:"assumed_root_exempt"`
	// AllowedRanges are the source ranges (CIDR) IP allow lists confine
	// root to: what all of them allow. Empty when none is in force.
	AllowedRanges []string `json:"allowed_ranges,omitempty"`
	Notes         []string `json:"notes,omitempty"`
	// Policies are every SCP in force, as "name (id) on target".
	Policies []string `json:"policies"`
}

// Assets counts what the seed study sized accounts by: IAM users, RDS
// instances, S3 buckets, EC2 instances and CloudTrail trails, in the regions
// enabled for the account.
type Assets struct {
	IAMUsers     int      `json:"iam_users"`
	RDSInstances int      `json:"rds_instances"`
	S3Buckets    int      `json:"s3_buckets"`
	EC2Instances int      `json:"ec2_instances"`
	Trails       int      `json:"trails"`
	Regions      []string `json:"regions"`
	// Total is the sum; Size is small (< 50), medium (50–250) or large.
	Total int    `json:"total"`
	Size  string `json:"size"`
}

// SizeOf buckets an asset total as the seed study did.
func SizeOf(total int) string {
	switch {
	case total < 50:
		return "small"
	case total <= 250:
		return "medium"
	}
	return "large"
}

// Budget is one AWS Budget and its notifications.
type Budget struct {
	Name string `json:"name"`
	// Type is COST, USAGE, RI_UTILIZATION, RI_COVERAGE,
	// SAVINGS_PLANS_UTILIZATION or SAVINGS_PLANS_COVERAGE: only a COST
	// budget watches the bill.
	Type string `json:"type"`
	// TimeUnit is DAILY, MONTHLY, QUARTERLY, ANNUALLY or CUSTOM.
	TimeUnit string `json:"time_unit,omitempty"`
	// Start and End bound the budget's time period (AWS's default End is
	// 2087-06-15): it watches spend only while Start <= now < End. Zero
	// (absent to rules) when not known.
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
	// Limit is the budget's limit; nil when it has none (a budget with
	// planned limits per period).
	Limit *Spend `json:"limit,omitempty"`
	// Filters name what the budget is narrowed to (CostFilters keys such
	// as "Service" or "Region", "FilterExpression"): such a budget watches
	// only part of the bill. Empty when it watches all of it.
	Filters []string `json:"filters,omitempty"`
	// Notifications are "ACTUAL GREATER_THAN 80 PERCENTAGE"-style
	// descriptions; AWS requires a subscriber on every notification.
	Notifications []string `json:"notifications"`
	// Alerts are the same notifications as facts; nil in snapshots written
	// before they were recorded.
	Alerts *[]BudgetAlert `json:"alerts,omitempty"`
}

// Spend is an amount in a unit (USD for cost budgets).
type Spend struct {
	Amount float64 `json:"amount"`
	Unit   string  `json:"unit"`
}

// BudgetAlert is one budget notification: it fires when the spend of Type
// compares to the threshold as Comparison says.
type BudgetAlert struct {
	// Type is ACTUAL or FORECASTED.
	Type string `json:"type"`
	// Comparison is GREATER_THAN, LESS_THAN or EQUAL_TO.
	Comparison string  `json:"comparison"`
	Threshold  float64 `json:"threshold"`
	// ThresholdType is PERCENTAGE (of the limit; AWS's default) or
	// ABSOLUTE_VALUE (in the limit's unit).
	ThresholdType string `json:"threshold_type"`
	// Subscribers are who the notification is sent to (budgets:
	// DescribeSubscribersForNotification); nil in snapshots written before
	// they were recorded.
	Subscribers *[]BudgetSubscriber `json:"subscribers,omitempty"`
}

// BudgetSubscriber is one recipient of a budget notification.
type BudgetSubscriber struct {
	// Type is EMAIL or SNS.
	Type string `json:"type"`
	// Address is the email address or the SNS topic's ARN.
	Address string `json:"address"`
}

// OptionalFacts are the facts only some inputs collect, by the names
// HasFact and a rule's needs use.
func OptionalFacts() []string {
	return []string{"contacts", "primary_contact", "budgets", "root_usage_alarm", "scp", "centralized_root", "cloudtrail", "email"}
}

// HasFact reports whether a fact that only some inputs collect was
// collected (or tried: a failed collector counts) for the account.
func (a *Account) HasFact(name string) bool {
	switch name {
	case "contacts":
		return a.Contacts != nil || a.failed("alternate contacts")
	case "primary_contact":
		return a.PrimaryContact != nil || a.failed("contact information")
	case "budgets":
		return a.Budgets != nil || a.failed("budgets")
	case "root_usage_alarm":
		return a.RootUsageAlarm != nil || a.failed("trails and root usage alarm")
	case "scp":
		return a.SCP != nil || a.failed("service control policies") || a.IsManagement
	case "centralized_root":
		return a.CentralizedRoot != nil || a.failed("centralized root access")
	case "cloudtrail":
		return a.CloudTrail != nil || a.failed("cloudtrail")
	case "email":
		return a.Email != ""
	}
	return false
}

func (a *Account) failed(collector string) bool {
	for _, c := range a.FailedCollectors {
		if c == collector {
			return true
		}
	}
	return false
}

// Contacts are an account's alternate contacts; a nil one is not set.
type Contacts struct {
	Billing    *Contact `json:"billing,omitempty"`
	Operations *Contact `json:"operations,omitempty"`
	Security   *Contact `json:"security,omitempty"`
	// LegacyPrimary is where snapshots written before the contact
	// information had a collector of its own kept it; reading moves it to
	// Account.PrimaryContact.
	LegacyPrimary *PrimaryContact `json:"primary,omitempty" cel:"-"`
}

// PrimaryContact is the account's contact information.
type PrimaryContact struct {
	FullName     string `json:"full_name"`
	CompanyName  string `json:"company_name,omitempty"`
	AddressLine1 string `json:"address_line_1"`
	City         string `json:"city"`
	CountryCode  string `json:"country_code"`
	PhoneNumber  string `json:"phone_number"`
	WebsiteURL   string `json:"website_url,omitempty"`
}

// Contact is one alternate contact, as the account's owner wrote it.
type Contact struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// CredentialReportInfo says where the credential report came from and how old
// the evidence is.
type CredentialReportInfo struct {
	Source string `json:"source"`
	// GeneratedAt is the report's generation time: the moment its facts are
	// true. Usage windows are measured back from it.
	GeneratedAt time.Time `json:"generated_at"`
	// GeneratedAtSource says how GeneratedAt was learned: "report" (the
	// GeneratedTime of the API/CLI response), "flag" (--report-time) or
	// "audit-time" (a bare CSV carries no generation time).
	GeneratedAtSource string `json:"generated_at_source"`
}

// AccountSummary is what iam:GetAccountSummary says of root. A flag the
// summary did not hold is nil: unknown, never "no" (emulators and older
// partitions leave some out).
type AccountSummary struct {
	MFAEnabled                 *bool `json:"mfa_enabled,omitempty"`
	AccessKeysPresent          *bool `json:"access_keys_present,omitempty"`
	SigningCertificatesPresent *bool `json:"signing_certificates_present,omitempty"`
	PasswordPresent            *bool `json:"password_present,omitempty"`
}

// Root is the root user's credentials as the credential report shows them.
type Root struct {
	ARN       string    `json:"arn"`
	CreatedAt time.Time `json:"created_at"`
	// PasswordEnabled is "true", "false" or "not_supported" (older reports).
	PasswordEnabled     string `json:"password_enabled"`
	PasswordLastUsed    Stamp  `json:"password_last_used"`
	PasswordLastChanged Stamp  `json:"password_last_changed"`
	MFAActive           bool   `json:"mfa_active"`
	// HardwareMFA is whether every MFA device of root is a hardware or FIDO
	// device; nil when not collected (the credential report cannot say).
	HardwareMFA *bool `json:"hardware_mfa,omitempty"`
	// VirtualMFADevices are the serials of virtual MFA devices assigned to
	// root (live collection only).
	VirtualMFADevices []string `json:"virtual_mfa_devices,omitempty"`
	// Summary is IAM's account summary of root's credentials, live and
	// without the credential report's up to 4 hours' lag; nil when not
	// collected.
	Summary      *AccountSummary `json:"account_summary,omitempty"`
	AccessKeys   []Key           `json:"access_keys"`
	Certificates []Cert          `json:"certificates"`

	// Derived facts.

	// MFA is whether root has MFA now: the live account summary's
	// AccountMFAEnabled when it was read, else the report's mfa_active.
	// The fresher fact wins both ways: a device removed since the report
	// was generated is no MFA.
	MFA bool `json:"mfa"`
	// KeySinceReport: the account summary shows a root access key that the
	// report does not; it was created since the report was generated, and
	// the report cannot show its use.
	KeySinceReport bool `json:"key_since_report,omitempty"`
	// CredentialsAbsent is true when root has no password, no key (active
	// or not), no certificate and no MFA: it was never given credentials
	// (accounts created by Organizations) or they were removed through
	// centralized root access. Credential checks pass such a root.
	CredentialsAbsent bool `json:"credentials_absent"`
	// LastUsed is the latest of password_last_used and both keys'
	// last_used_date; LastUsedBy names which credential it was.
	LastUsed   Stamp  `json:"last_used"`
	LastUsedBy string `json:"last_used_by,omitempty"`

	// Row is the root row's known columns exactly as written, keyed by
	// column: evidence for findings. Rules read the typed fields above.
	Row map[string]string `json:"report_row,omitempty" cel:"-"`
}

// Key is one of root's two access key slots.
type Key struct {
	Slot            int    `json:"slot"`
	Active          bool   `json:"active"`
	LastRotated     Stamp  `json:"last_rotated"`
	LastUsed        Stamp  `json:"last_used"`
	LastUsedRegion  string `json:"last_used_region,omitempty"`
	LastUsedService string `json:"last_used_service,omitempty"`
}

// Cert is one of root's two X.509 signing certificate slots.
type Cert struct {
	Slot        int   `json:"slot"`
	Active      bool  `json:"active"`
	LastRotated Stamp `json:"last_rotated"`
}
