package trail

import (
	"slices"
	"strings"
	"time"
)

// Kinds of root event.
const (
	KindConsoleLogin     = "console-login"
	KindAPICall          = "api-call"
	KindCredentialChange = "credential-change"
	KindAssumeRoot       = "assume-root"
)

// Sessions: how a root API call was signed.
const (
	SessionAccessKey  = "access-key"  // a long-term root access key (AKIA…)
	SessionConsole    = "console"     // a console sign-in's session
	SessionAssumeRoot = "assume-root" // an sts:AssumeRoot session opened from the management account
	SessionUnknown    = "unknown"     // a temporary key whose origin these records do not show
)

// Contract is a root event's fields of the jsonl contract (DESIGN.md), in
// its order.
type Contract struct {
	EventID     string    `json:"event_id"`
	EventTime   time.Time `json:"event_time"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	EventSource string    `json:"event_source"`
	EventName   string    `json:"event_name"`
	Kind        string    `json:"kind"`
	Success     bool      `json:"success"`
	MFA         string    `json:"mfa"`
	AccessKeyID string    `json:"access_key_id"`
	SourceIP    string    `json:"source_ip"`
	UserAgent   string    `json:"user_agent"`
	Source      string    `json:"source"`
}

// Event is one root event: the contract's fields, then fields that only
// some kinds have (omitted when empty).
type Event struct {
	Contract

	// Session says how an api-call or credential-change was signed.
	Session string `json:"session,omitempty"`
	// InvokedBy: root's console actions can carry signin.amazonaws.com;
	// with --all, the service that acted on root's behalf.
	InvokedBy string `json:"invoked_by,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	// AssumeRoot: who opened the session (management side), into which
	// account, with which task policy; on the member side, the session's
	// events carry the same when the management account's records were read.
	Caller        string `json:"caller,omitempty"`
	TargetAccount string `json:"target_account,omitempty"`
	TaskPolicy    string `json:"task_policy,omitempty"`
	// ByService: an AWS service acted on root's behalf (shown with --all).
	ByService bool `json:"by_service,omitempty"`

	// joinOnly: read only to join its session's events (Filter.joinOnly);
	// Scan does not emit it.
	joinOnly bool
}

// SigninOutcomeEvents are the sign-in events other than ConsoleLogin
// whose outcome is responseElements.<eventName> ("Success" or "Failure").
// A fixed list, so the Athena query (whose JSON paths are constants) reads
// the same ones.
func SigninOutcomeEvents() []string {
	return []string{"PasswordUpdated", "PasswordRecoveryRequested", "PasswordRecoveryCompleted", "CheckMfa"}
}

// CredentialChangeEvents are the calls that change the root user's own
// credentials (when made by root on itself, not on an IAM user).
func CredentialChangeEvents() []string {
	return []string{"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
		"CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "ChangePassword",
		"PasswordUpdated", "PasswordRecoveryCompleted",
		"EnableMFADevice", "DeactivateMFADevice", "CreateVirtualMFADevice", "DeleteVirtualMFADevice", "ResyncMFADevice",
		"UploadSigningCertificate", "UpdateSigningCertificate", "DeleteSigningCertificate"}
}

// ConsoleInvokers are the invokedBy values of root's own console actions.
func ConsoleInvokers() []string { return []string{"signin.amazonaws.com", "AWS Internal"} }

// Classify says whether a record is a root event and which. skip is true
// for records that are not root's own (not root at all, or AWS services'
// events), unless all is set, which keeps what services did on root's
// behalf (as ByService).
func Classify(r *Record, all bool) (ev Event, skip bool, err error) {
	id := r.UserIdentity
	isAssumeRoot := r.EventName == "AssumeRoot" && r.EventSource == "sts.amazonaws.com"
	// CloudTrail writes the type as "Root", exactly (the CIS filter
	// matches it so too).
	if !isAssumeRoot && (id == nil || id.Type != "Root") {
		return Event{}, true, nil
	}
	t, err := ParseTime(string(r.EventTime))
	if err != nil {
		return Event{}, true, err
	}
	ev = Event{Contract: Contract{EventID: string(r.EventID), EventTime: t, Region: string(r.AWSRegion), EventSource: string(r.EventSource),
		EventName: string(r.EventName), SourceIP: string(r.SourceIPAddress), UserAgent: string(r.UserAgent),
		Success: r.ErrorCode == "", MFA: "unknown"}, ErrorCode: string(r.ErrorCode)}
	if id != nil {
		ev.Account, ev.AccessKeyID = string(id.AccountID), string(id.AccessKeyID)
	}
	if ev.Account == "" {
		ev.Account = string(r.RecipientAccountID)
	}
	if isAssumeRoot {
		ev.Kind = KindAssumeRoot
		if id != nil {
			ev.Caller = string(id.ARN)
			if sc := id.SessionContext; sc != nil {
				ev.MFA = yesNo(string(sc.Attributes.MFAAuthenticated))
			}
		}
		ev.TargetAccount = field(r.RequestParameters, "targetPrincipal")
		ev.TaskPolicy = field(r.RequestParameters, "taskPolicyArn", "arn")
		// The session's key: the member's root events carry it.
		ev.AccessKeyID = field(r.ResponseElements, "credentials", "accessKeyId")
		if ev.Account == "" {
			ev.Account = string(r.RecipientAccountID)
		}
		return ev, false, nil
	}

	// Like the CIS metric filter, AWS services' own events and calls a
	// service made on root's behalf are not root's doing; root's console
	// actions carry invokedBy signin.amazonaws.com or "AWS Internal" and
	// stay (the CIS filter drops them).
	invokedBy := string(id.InvokedBy)
	ev.InvokedBy = invokedBy
	if r.EventType == "AwsServiceEvent" || (invokedBy != "" && !consoleInvoker(invokedBy)) {
		if !all {
			return Event{}, true, nil
		}
		ev.ByService = true
	}

	switch {
	case r.EventName == "ConsoleLogin" && r.EventSource == "signin.amazonaws.com":
		ev.Kind = KindConsoleLogin
		ev.Success = strings.EqualFold(field(r.ResponseElements, "ConsoleLogin"), "Success") && r.ErrorCode == ""
		ev.MFA = yesNo(field(r.AdditionalEventData, "MFAUsed"))
		ev.AccessKeyID = "" // root sign-in records carry "" or none
		return ev, false, nil
	case slices.Contains(CredentialChangeEvents(), string(r.EventName)) && onRoot(field(r.RequestParameters, "userName")):
		ev.Kind = KindCredentialChange
	default:
		ev.Kind = KindAPICall
	}
	if r.EventSource == "signin.amazonaws.com" {
		// PasswordUpdated and the like are console events: their outcome
		// is in responseElements, like ConsoleLogin's.
		if out := field(r.ResponseElements, string(r.EventName)); slices.Contains(SigninOutcomeEvents(), string(r.EventName)) && out != "" {
			ev.Success = strings.EqualFold(out, "Success") && r.ErrorCode == ""
		}
		ev.Session = SessionConsole
		return ev, false, nil
	}
	key := ev.AccessKeyID
	sc := id.SessionContext
	switch {
	case strings.HasPrefix(key, "AKIA"):
		// Signed with a root access key: no MFA is possible.
		ev.Session, ev.MFA = SessionAccessKey, "no"
	case strings.EqualFold(string(r.SessionCredentialFromConsole), "true"):
		ev.Session = SessionConsole
	case consoleInvoker(invokedBy):
		ev.Session = SessionConsole
	default:
		ev.Session = SessionUnknown
	}
	if sc != nil && ev.MFA == "unknown" {
		ev.MFA = yesNo(string(sc.Attributes.MFAAuthenticated))
	}
	return ev, false, nil
}

func consoleInvoker(invokedBy string) bool { return slices.Contains(ConsoleInvokers(), invokedBy) }

// onRoot says whether an IAM call's userName names root itself: absent,
// or "AWS ROOT USER" as CloudTrail writes it for root's MFA device.
func onRoot(userName string) bool {
	return userName == "" || strings.EqualFold(userName, "AWS ROOT USER") || strings.EqualFold(userName, "root")
}

// yesNo reads CloudTrail's MFA flags ("Yes", "YES", "true", "No", "false").
func yesNo(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true":
		return "yes"
	case "no", "false":
		return "no"
	}
	return "unknown"
}

// Join completes the member side of AssumeRoot sessions: a root event whose
// temporary key is an AssumeRoot session's key was done in that session.
type Join struct {
	sessions map[string]Event // access key → the AssumeRoot event
}

// Add remembers an AssumeRoot event's session.
func (j *Join) Add(ev Event) {
	if ev.Kind != KindAssumeRoot || ev.AccessKeyID == "" {
		return
	}
	if j.sessions == nil {
		j.sessions = map[string]Event{}
	}
	j.sessions[ev.AccessKeyID] = ev
}

// Resolve marks ev as done in an AssumeRoot session when its key is one.
// It returns false when ev's session is still unknown.
func (j *Join) Resolve(ev *Event) bool {
	if ev.Kind == KindAssumeRoot || ev.Kind == KindConsoleLogin || (ev.Session != SessionUnknown && ev.Session != SessionAssumeRoot) {
		return true
	}
	s, ok := j.sessions[ev.AccessKeyID]
	if !ok {
		return ev.Session != SessionUnknown
	}
	ev.Session, ev.Caller, ev.TaskPolicy, ev.TargetAccount = SessionAssumeRoot, s.Caller, s.TaskPolicy, ""
	return true
}
