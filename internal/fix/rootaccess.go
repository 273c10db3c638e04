package fix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Centralized root access: what the root-access kind reads and turns on.
const (
	RootAccessCheck = "centralized-root-access"
	// IAMServicePrincipal is IAM's service principal, whose trusted access
	// in Organizations centralized root access needs.
	IAMServicePrincipal = "iam.amazonaws.com"
	// AuditRootTaskPolicy scopes an sts:AssumeRoot session to reading a
	// member root's credentials; DeleteRootTaskPolicy to deleting them.
	AuditRootTaskPolicy  = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
	DeleteRootTaskPolicy = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
	// RootSessionSeconds is an AssumeRoot session's length, the most AWS
	// allows.
	RootSessionSeconds = 900
)

// OrgServiceAccessAPI is the part of the Organizations client the
// root-access kind uses: IAM's trusted access.
type OrgServiceAccessAPI interface {
	ListAWSServiceAccessForOrganization(context.Context, *organizations.ListAWSServiceAccessForOrganizationInput, ...func(*organizations.Options)) (*organizations.ListAWSServiceAccessForOrganizationOutput, error)
	EnableAWSServiceAccess(context.Context, *organizations.EnableAWSServiceAccessInput, ...func(*organizations.Options)) (*organizations.EnableAWSServiceAccessOutput, error)
	DisableAWSServiceAccess(context.Context, *organizations.DisableAWSServiceAccessInput, ...func(*organizations.Options)) (*organizations.DisableAWSServiceAccessOutput, error)
}

// IAMOrgFeaturesAPI is the part of the IAM client that reads and turns on
// the organization's centralized root access features (from the
// management account or the IAM delegated administrator).
type IAMOrgFeaturesAPI interface {
	ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error)
	EnableOrganizationsRootCredentialsManagement(context.Context, *iam.EnableOrganizationsRootCredentialsManagementInput, ...func(*iam.Options)) (*iam.EnableOrganizationsRootCredentialsManagementOutput, error)
	EnableOrganizationsRootSessions(context.Context, *iam.EnableOrganizationsRootSessionsInput, ...func(*iam.Options)) (*iam.EnableOrganizationsRootSessionsOutput, error)
	DisableOrganizationsRootCredentialsManagement(context.Context, *iam.DisableOrganizationsRootCredentialsManagementInput, ...func(*iam.Options)) (*iam.DisableOrganizationsRootCredentialsManagementOutput, error)
	DisableOrganizationsRootSessions(context.Context, *iam.DisableOrganizationsRootSessionsInput, ...func(*iam.Options)) (*iam.DisableOrganizationsRootSessionsOutput, error)
}

// RootIAMAPI is IAM as a member account's root user sees it in an
// sts:AssumeRoot session: the reads IAMAuditRootUserCredentials allows
// and the deletions IAMDeleteRootUserCredentials allows.
type RootIAMAPI interface {
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	ListSigningCertificates(context.Context, *iam.ListSigningCertificatesInput, ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error)
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	DeleteLoginProfile(context.Context, *iam.DeleteLoginProfileInput, ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	DeleteAccessKey(context.Context, *iam.DeleteAccessKeyInput, ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	DeleteSigningCertificate(context.Context, *iam.DeleteSigningCertificateInput, ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error)
	DeactivateMFADevice(context.Context, *iam.DeactivateMFADeviceInput, ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteVirtualMFADevice(context.Context, *iam.DeleteVirtualMFADeviceInput, ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error)
}

// RootSessionFunc opens an sts:AssumeRoot session as target's root user,
// scoped to a task policy, and returns IAM as that root sees it. The
// session's credentials stay inside the client: never in a plan or log.
type RootSessionFunc func(ctx context.Context, target, taskPolicyArn string) (RootIAMAPI, error)

// RootSession names the sts:AssumeRoot session a step's calls are made in:
// the applier opens it once, before the step's first call, with the
// credentials of the step's Via account.
type RootSession struct {
	// TargetPrincipal is the member account whose root the session is.
	TargetPrincipal string `json:"target_principal"`
	// TaskPolicyArn is the AWS-managed root-task policy scoping it.
	TaskPolicyArn string `json:"task_policy_arn"`
}

// params are the session's sts:AssumeRoot parameters, as the API names
// them (for the run log).
func (r RootSession) params() map[string]any {
	return map[string]any{"TargetPrincipal": r.TargetPrincipal, "TaskPolicyArn": map[string]any{"Arn": r.TaskPolicyArn},
		"DurationSeconds": RootSessionSeconds}
}

// validRootTaskPolicy says whether arn is an AWS-managed root-task policy.
func validRootTaskPolicy(arn string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return false
	}
	partition, name, ok := strings.Cut(rest, ":iam::aws:policy/root-task/")
	return ok && partition != "" && !strings.ContainsAny(partition, ":/") && name != "" && !strings.ContainsAny(name, "/: \t\n")
}

// newRootSession opens AssumeRoot sessions with cfg's credentials (the
// management account's or the IAM delegated administrator's), through
// cfg's region's STS endpoint (AssumeRoot has no global one).
func newRootSession(cfg aws.Config) RootSessionFunc {
	return func(ctx context.Context, target, taskPolicyArn string) (RootIAMAPI, error) {
		out, err := sts.NewFromConfig(cfg).AssumeRoot(ctx, &sts.AssumeRootInput{
			TargetPrincipal: aws.String(target),
			TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(taskPolicyArn)},
			DurationSeconds: aws.Int32(RootSessionSeconds),
		})
		if err != nil {
			return nil, err
		}
		c := out.Credentials
		if c == nil {
			return nil, errors.New("sts:AssumeRoot answered without credentials")
		}
		sc := cfg.Copy()
		sc.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
			aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
		return iam.NewFromConfig(sc), nil
	}
}

// RootAccess turns on centralized root access and deletes member roots'
// credentials where centralized-root-access fails. From the credentials'
// account (the management account, or the IAM delegated administrator):
// trusted access for IAM in Organizations, then IAM's
// RootCredentialsManagement and RootSessions, each only when it is off.
// Then, for each member whose root still holds credentials, one step that
// opens an sts:AssumeRoot session with IAMDeleteRootUserCredentials and
// deletes exactly what the planner read in an IAMAuditRootUserCredentials
// session: the password (login profile), access keys, signing
// certificates, and the MFA devices (deactivated; virtual ones deleted).
// Such sessions open only once both features are on, so until then a
// member's step is Blocked. Deletions cannot be undone. --keep-root
// accounts are never reached at all (not even read), and the management
// account's root is not one centralized root access manages.
type RootAccess struct{}

func (*RootAccess) Name() string     { return "root-access" }
func (*RootAccess) Checks() []string { return []string{RootAccessCheck} }

// Plan plans nothing per account: the kind is planned for the organization.
func (*RootAccess) Plan(context.Context, Target, Reach, Options) ([]Step, error) { return nil, nil }

// orgFeatures is what is on of centralized root access.
type orgFeatures struct {
	trusted, credentials, sessions bool
}

// PlanOrg plans the organization's step and one step per member root
// holding credentials.
func (k *RootAccess) PlanOrg(ctx context.Context, org Org, targets []Target, o Options) ([]Step, []AccountError) {
	var errs []AccountError
	fail := func(acct, format string, args ...any) {
		errs = append(errs, AccountError{Account: acct, Kind: k.Name(), Error: fmt.Sprintf(format, args...)})
	}
	type member struct {
		t Target
		f model.Finding
	}
	var members []member
	var covers []string
	partition := ""
	for _, t := range targets {
		partition = cmp.Or(partition, t.Account.Partition)
		f, ok := t.Finding(RootAccessCheck)
		switch {
		case !ok || t.Account.ID == org.Management || t.Account.IsManagement:
			continue // the management account's root is its own to secure
		case f.Status == model.StatusError && featuresUnread(t):
			// The audit could not read the organization's features (IAM
			// answers ServiceAccessNotEnabled while trusted access is
			// off): they are read here, and the root's credentials were.
		case f.Status == model.StatusError:
			fail(t.Account.ID, "centralized-root-access could not be judged in account %s (%s): nothing is planned for it until an audit reads it", t.Account.ID, f.Message)
			continue
		case !failing(f):
			continue
		}
		covers = append(covers, t.Account.ID)
		if slices.Contains(o.KeepRoot, t.Account.ID) {
			continue // break-glass: its root is never reached, not even read
		}
		members = append(members, member{t, f})
	}
	if len(covers) == 0 {
		return nil, errs
	}
	slices.Sort(covers)
	region := globalRegion(partition)
	if region == "" {
		region = "us-east-1"
	}
	cl := org.Reach(region)
	feats, err := readOrgFeatures(ctx, cl, org)
	if err != nil {
		fail(org.Current, "read the centralized root access of organization %s from account %s: %v", org.ID, org.Current, err)
		return nil, errs
	}

	var steps []Step
	ref := FindingRef{Check: RootAccessCheck}
	if !feats.trusted || !feats.credentials || !feats.sessions {
		var calls []Call
		var what []string
		if !feats.trusted {
			p := map[string]any{"ServicePrincipal": IAMServicePrincipal}
			calls = append(calls, Call{Action: "organizations:EnableAWSServiceAccess", Params: p,
				Undo: []Call{{Action: "organizations:DisableAWSServiceAccess", Params: p}}})
			what = append(what, "trusted access for IAM ("+IAMServicePrincipal+") in Organizations")
		}
		if !feats.credentials {
			calls = append(calls, Call{Action: "iam:EnableOrganizationsRootCredentialsManagement", Params: map[string]any{},
				Undo: []Call{{Action: "iam:DisableOrganizationsRootCredentialsManagement", Params: map[string]any{}}}})
			what = append(what, "RootCredentialsManagement (member roots' credentials audited and deleted centrally)")
		}
		if !feats.sessions {
			calls = append(calls, Call{Action: "iam:EnableOrganizationsRootSessions", Params: map[string]any{},
				Undo: []Call{{Action: "iam:DisableOrganizationsRootSessions", Params: map[string]any{}}}})
			what = append(what, "RootSessions (short sts:AssumeRoot sessions for the few tasks that need root)")
		}
		s := Step{ID: "root-access/" + org.Current + "/organization", Account: org.Current, Region: region, Kind: k.Name(),
			Target: "organization " + org.ID, Finding: ref, Covers: covers, Calls: calls,
			Why: fmt.Sprintf("centralized-root-access fails in %d member account(s); turns on %s. Turning them on removes no credential: "+
				"each member root's are deleted by a step of its own, planned (and listed) once RootCredentialsManagement is on. "+
				"The management account's root (%s) is not one centralized root access manages: secure it yourself (MFA, no access keys)",
				len(covers), strings.Join(what, ", "), org.Management)}
		if !feats.trusted && org.Current != org.Management {
			s.Calls = nil
			s.Blocked = "trusted access for IAM is off, and only the management account (" + org.Management + ") can turn it on: run fix from it"
		}
		steps = append(steps, s)
	}

	for _, m := range members {
		acct := m.t.Account.ID
		s := Step{ID: "root-access/" + acct + "/root-credentials", Account: acct, Region: region, Kind: k.Name(), Target: "arn:" + cmp.Or(m.t.Account.Partition, "aws") + ":iam::" + acct + ":root",
			Finding: FindingRef{Check: RootAccessCheck, ID: m.f.ID}, Via: org.Current, TouchesRootCredentials: true}
		why := "centralized-root-access fails: " + m.f.Message
		// Sessions open once centralized root access is on: both features
		// (AWS's "privileged tasks" are RootSessions' and deleting a root's
		// credentials is one; RootCredentialsManagement is what this check
		// asks for).
		if !feats.credentials || !feats.sessions {
			if r := m.t.Account.Root; r != nil && r.CredentialsAbsent {
				continue // nothing to delete: turning the features on fixes it
			}
			s.Why = why
			s.Blocked = "the root's credentials are listed and deleted in sts:AssumeRoot sessions, which open only once RootCredentialsManagement and RootSessions are on: " +
				"apply the step root-access/" + org.Current + "/organization, then plan again"
			steps = append(steps, s)
			continue
		}
		held, err := readRootCredentials(ctx, cl, acct)
		if err != nil {
			fail(acct, "read the root credentials of account %s in an sts:AssumeRoot session (IAMAuditRootUserCredentials) from account %s: %v", acct, org.Current, err)
			continue
		}
		if held.empty() {
			continue // the audit's evidence is older than the deletion
		}
		s.RootSession = &RootSession{TargetPrincipal: acct, TaskPolicyArn: DeleteRootTaskPolicy}
		s.Calls = held.calls()
		s.Why = why + "; its root holds " + held.words() + " (read just now in an IAMAuditRootUserCredentials session). " +
			"In an sts:AssumeRoot session with IAMDeleteRootUserCredentials opened from account " + org.Current + ", these are deleted: " +
			"the password first, the MFA devices last. DELETIONS CANNOT BE UNDONE: anything still signing with these keys or " +
			"certificates stops working, and a root password comes back only through root password recovery or an " +
			"IAMCreateRootUserPassword session; a failed call stops the step, and what it deleted before stays deleted"
		steps = append(steps, s)
	}
	return steps, errs
}

// featuresUnread says whether an account's centralized-root-access is in
// error only because the organization's features could not be read: its
// root's credentials were.
func featuresUnread(t Target) bool {
	a := t.Account
	return a.Root != nil && slices.Contains(a.FailedCollectors, "centralized root access") &&
		!slices.Contains(a.FailedCollectors, "credential report") && !slices.Contains(a.FailedCollectors, "root MFA")
}

// readOrgFeatures reads what is on: trusted access for IAM (from the
// management account; an IAM delegated administrator exists only with it
// on), then IAM's features (which need it).
func readOrgFeatures(ctx context.Context, cl Clients, org Org) (orgFeatures, error) {
	var f orgFeatures
	if cl.IAMOrg == nil || cl.OrgAccess == nil {
		return f, errors.New("no IAM or Organizations client")
	}
	if org.Current != org.Management {
		f.trusted = true
	} else {
		in := &organizations.ListAWSServiceAccessForOrganizationInput{}
		for {
			out, err := cl.OrgAccess.ListAWSServiceAccessForOrganization(ctx, in)
			if err != nil {
				return f, fmt.Errorf("organizations:ListAWSServiceAccessForOrganization: %w", err)
			}
			for _, p := range out.EnabledServicePrincipals {
				f.trusted = f.trusted || aws.ToString(p.ServicePrincipal) == IAMServicePrincipal
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
	}
	if !f.trusted {
		return f, nil // IAM's features cannot be on without it
	}
	out, err := cl.IAMOrg.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	if err != nil {
		if apiCode(err) == "AccountNotManagementOrDelegatedAdministratorException" {
			return f, fmt.Errorf("iam:ListOrganizationsFeatures: %w (run fix from the management account or the IAM delegated administrator)", err)
		}
		return f, fmt.Errorf("iam:ListOrganizationsFeatures: %w", err)
	}
	for _, x := range out.EnabledFeatures {
		switch x {
		case iamtypes.FeatureTypeRootCredentialsManagement:
			f.credentials = true
		case iamtypes.FeatureTypeRootSessions:
			f.sessions = true
		}
	}
	return f, nil
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// rootHeld is what a member root holds, as its audit session lists it.
type rootHeld struct {
	password bool
	keys     []string // access key IDs
	keyWords []string // "AKIA... (active)"
	certs    []string // certificate IDs
	mfa      []string // serial numbers
}

func (h rootHeld) empty() bool {
	return !h.password && len(h.keys) == 0 && len(h.certs) == 0 && len(h.mfa) == 0
}

// virtualMFA says whether a device is a virtual one (named by an ARN with
// ":mfa/"; FIDO keys have ":u2f/", hardware TOTP tokens a serial number).
func virtualMFA(serial string) bool {
	return strings.HasPrefix(serial, "arn:") && strings.Contains(serial, ":mfa/")
}

// words says what the root holds.
func (h rootHeld) words() string {
	var out []string
	if h.password {
		out = append(out, "a password")
	}
	if len(h.keys) > 0 {
		out = append(out, fmt.Sprintf("%d access key(s) %s", len(h.keys), strings.Join(h.keyWords, ", ")))
	}
	if len(h.certs) > 0 {
		out = append(out, fmt.Sprintf("%d signing certificate(s) %s", len(h.certs), strings.Join(h.certs, ", ")))
	}
	if len(h.mfa) > 0 {
		var ds []string
		for _, m := range h.mfa {
			kind := "hardware or FIDO"
			if virtualMFA(m) {
				kind = "virtual"
			}
			ds = append(ds, m+" ("+kind+")")
		}
		out = append(out, fmt.Sprintf("%d MFA device(s) %s", len(h.mfa), strings.Join(ds, ", ")))
	}
	return strings.Join(out, "; ")
}

// calls deletes exactly what the root holds. The password goes first: a
// failure later leaves no console sign-in without the MFA devices, which
// go last. Deletions have no undo.
func (h rootHeld) calls() []Call {
	var calls []Call
	add := func(action string, params map[string]any) {
		calls = append(calls, Call{Action: action, Params: params, Irreversible: true})
	}
	if h.password {
		add("iam:DeleteLoginProfile", map[string]any{})
	}
	for _, k := range h.keys {
		add("iam:DeleteAccessKey", map[string]any{"AccessKeyId": k})
	}
	for _, c := range h.certs {
		add("iam:DeleteSigningCertificate", map[string]any{"CertificateId": c})
	}
	for _, m := range h.mfa {
		add("iam:DeactivateMFADevice", map[string]any{"SerialNumber": m})
		if virtualMFA(m) {
			add("iam:DeleteVirtualMFADevice", map[string]any{"SerialNumber": m})
		}
	}
	return calls
}

// readRootCredentials lists what a member root holds, in an audit session.
func readRootCredentials(ctx context.Context, cl Clients, acct string) (rootHeld, error) {
	var h rootHeld
	if cl.RootSession == nil {
		return h, errors.New("no STS client to open an sts:AssumeRoot session")
	}
	api, err := cl.RootSession(ctx, acct, AuditRootTaskPolicy)
	if err != nil {
		return h, fmt.Errorf("sts:AssumeRoot: %w", err)
	}
	if _, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err == nil {
		h.password = true
	} else if apiCode(err) != "NoSuchEntity" {
		return h, fmt.Errorf("iam:GetLoginProfile: %w", err)
	}
	keys := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{})
	for keys.HasMorePages() {
		out, err := keys.NextPage(ctx)
		if err != nil {
			return h, fmt.Errorf("iam:ListAccessKeys: %w", err)
		}
		for _, k := range out.AccessKeyMetadata {
			h.keys = append(h.keys, aws.ToString(k.AccessKeyId))
			h.keyWords = append(h.keyWords, aws.ToString(k.AccessKeyId)+" ("+strings.ToLower(string(k.Status))+")")
		}
	}
	certs := iam.NewListSigningCertificatesPaginator(api, &iam.ListSigningCertificatesInput{})
	for certs.HasMorePages() {
		out, err := certs.NextPage(ctx)
		if err != nil {
			return h, fmt.Errorf("iam:ListSigningCertificates: %w", err)
		}
		for _, c := range out.Certificates {
			h.certs = append(h.certs, aws.ToString(c.CertificateId))
		}
	}
	mfa := iam.NewListMFADevicesPaginator(api, &iam.ListMFADevicesInput{})
	for mfa.HasMorePages() {
		out, err := mfa.NextPage(ctx)
		if err != nil {
			return h, fmt.Errorf("iam:ListMFADevices: %w", err)
		}
		for _, d := range out.MFADevices {
			h.mfa = append(h.mfa, aws.ToString(d.SerialNumber))
		}
	}
	return h, nil
}

// rootAccessActions are the actions executeRootAccess makes; inSession
// marks those made as a member's root in the step's AssumeRoot session.
var rootAccessActions = map[string]bool{
	"organizations:EnableAWSServiceAccess": false, "organizations:DisableAWSServiceAccess": false,
	"iam:EnableOrganizationsRootCredentialsManagement": false, "iam:DisableOrganizationsRootCredentialsManagement": false,
	"iam:EnableOrganizationsRootSessions": false, "iam:DisableOrganizationsRootSessions": false,
	"iam:DeleteLoginProfile": true, "iam:DeleteAccessKey": true, "iam:DeleteSigningCertificate": true,
	"iam:DeactivateMFADevice": true, "iam:DeleteVirtualMFADevice": true,
}

// isRootAccessAction says whether executeRootAccess makes the action.
func isRootAccessAction(action string) bool {
	_, ok := rootAccessActions[action]
	return ok
}

// RootAccessActions are the mutating actions of the root-access kind made
// with the caller's credentials (the deletions are made in AssumeRoot
// sessions, which the task policy allows: the caller needs sts:AssumeRoot).
func RootAccessActions() []string {
	out := []string{"sts:AssumeRoot"}
	for a, inSession := range rootAccessActions {
		if !inSession {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// RootAccessReadActions are the root-access planner's reads made with the
// caller's credentials (the root's credentials are listed in an
// IAMAuditRootUserCredentials session).
func RootAccessReadActions() []string {
	return []string{"iam:ListOrganizationsFeatures", "organizations:ListAWSServiceAccessForOrganization", "sts:AssumeRoot"}
}

// executeRootAccess makes the root-access kind's calls: the
// organization's with the caller's clients, the deletions in the step's
// AssumeRoot session (cl.RootIAM, opened by the applier). Deleting what is
// already gone (NoSuchEntity) is what was wanted: it is not an error.
func executeRootAccess(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
	inSession := rootAccessActions[c.Action]
	svc, _, _ := strings.Cut(c.Action, ":")
	switch {
	case inSession && cl.RootIAM == nil:
		return nil, fmt.Errorf("%s: made only as a member's root, in the sts:AssumeRoot session its step names: this step names none", c.Action)
	case !inSession && svc == "iam" && cl.IAMOrg == nil:
		return nil, fmt.Errorf("%s: no IAM client", c.Action)
	case !inSession && svc == "organizations" && cl.OrgAccess == nil:
		return nil, fmt.Errorf("%s: no Organizations client", c.Action)
	}
	var err error
	switch c.Action {
	case "organizations:EnableAWSServiceAccess":
		_, err = call(ctx, c, cl.OrgAccess.EnableAWSServiceAccess)
	case "organizations:DisableAWSServiceAccess":
		_, err = call(ctx, c, cl.OrgAccess.DisableAWSServiceAccess)
	case "iam:EnableOrganizationsRootCredentialsManagement":
		_, err = call(ctx, c, cl.IAMOrg.EnableOrganizationsRootCredentialsManagement)
	case "iam:DisableOrganizationsRootCredentialsManagement":
		_, err = call(ctx, c, cl.IAMOrg.DisableOrganizationsRootCredentialsManagement)
	case "iam:EnableOrganizationsRootSessions":
		_, err = call(ctx, c, cl.IAMOrg.EnableOrganizationsRootSessions)
	case "iam:DisableOrganizationsRootSessions":
		_, err = call(ctx, c, cl.IAMOrg.DisableOrganizationsRootSessions)
	case "iam:DeleteLoginProfile":
		_, err = call(ctx, c, cl.RootIAM.DeleteLoginProfile)
	case "iam:DeleteAccessKey":
		_, err = call(ctx, c, cl.RootIAM.DeleteAccessKey)
	case "iam:DeleteSigningCertificate":
		_, err = call(ctx, c, cl.RootIAM.DeleteSigningCertificate)
	case "iam:DeactivateMFADevice":
		_, err = call(ctx, c, cl.RootIAM.DeactivateMFADevice)
	case "iam:DeleteVirtualMFADevice":
		_, err = call(ctx, c, cl.RootIAM.DeleteVirtualMFADevice)
	default:
		return nil, fmt.Errorf("%s: not an action rootwatch fix makes", c.Action)
	}
	if err != nil && inSession && apiCode(err) == "NoSuchEntity" {
		return map[string]string{"Already": "absent"}, nil
	}
	return nil, err
}

// openRootSession opens the step's AssumeRoot session with the Via
// account's clients and returns them with IAM as the member's root.
func openRootSession(ctx context.Context, cl Clients, rs RootSession) (Clients, error) {
	if cl.RootSession == nil {
		return cl, errors.New("no STS client to open it")
	}
	api, err := cl.RootSession(ctx, rs.TargetPrincipal, rs.TaskPolicyArn)
	if err != nil {
		return cl, err
	}
	cl.RootIAM = api
	return cl, nil
}
