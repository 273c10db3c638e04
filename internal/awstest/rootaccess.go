package awstest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
)

// rootTaskPolicy prefixes the task policies an sts:AssumeRoot session is
// scoped to; the fake's calls name them without it.
const rootTaskPolicy = "arn:aws:iam::aws:policy/root-task/"

// FakeRootAccess stands in for what moto 5.2.1 cannot emulate of
// centralized root access: Organizations' trusted access for IAM (moto
// rejects iam.amazonaws.com), IAM's organizations features
// (RootCredentialsManagement and RootSessions: moto answers 404),
// sts:AssumeRoot (moto does not implement it) and IAM as a member's root
// in its session, holding what Roots say. It records every call it
// answers, as "account action detail", and fails those Fail names.
type FakeRootAccess struct {
	// Management is the account the organization's calls and
	// sts:AssumeRoot are made from; OrgID the organization's ID.
	Management, OrgID string
	// Trusted is trusted access for IAM; Credentials and Sessions are
	// IAM's RootCredentialsManagement and RootSessions features.
	Trusted, Credentials, Sessions bool
	// Roots are the member roots, by account.
	Roots map[string]*FakeRoot
	// Fail fails a call with its error, by "account action" or "action".
	Fail map[string]error

	mu         sync.Mutex
	calls, all []string
}

// FakeRoot is what a member root holds: a password, access keys (active
// unless Inactive names them), signing certificates and MFA devices.
type FakeRoot struct {
	Password bool
	Keys     []string
	Inactive []string
	Certs    []string
	MFA      []string
}

func (w *FakeRootAccess) record(acct, action, detail string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	call := strings.TrimSpace(acct + " " + action + " " + detail)
	w.calls = append(w.calls, call)
	w.all = append(w.all, call)
	if err := w.Fail[acct+" "+action]; err != nil {
		return err
	}
	return w.Fail[action]
}

// set changes the world's state under its lock.
func (w *FakeRootAccess) set(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
}

// trusted is Trusted, read under the lock.
func (w *FakeRootAccess) trusted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Trusted
}

// Take returns the calls recorded since the last Take.
func (w *FakeRootAccess) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.calls
	w.calls = nil
	return c
}

// All returns every call recorded, Take or not.
func (w *FakeRootAccess) All() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.all)
}

// Root returns a copy of what account's root holds, if Roots has it.
func (w *FakeRootAccess) Root(account string) (FakeRoot, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.Roots[account]
	if !ok {
		return FakeRoot{}, false
	}
	return FakeRoot{Password: r.Password, Keys: slices.Clone(r.Keys), Inactive: slices.Clone(r.Inactive),
		Certs: slices.Clone(r.Certs), MFA: slices.Clone(r.MFA)}, true
}

// Features is iam:ListOrganizationsFeatures's answer as things stand,
// neither recorded nor refused.
func (w *FakeRootAccess) Features() *iam.ListOrganizationsFeaturesOutput {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := &iam.ListOrganizationsFeaturesOutput{OrganizationId: aws.String(w.OrgID)}
	if w.Credentials {
		out.EnabledFeatures = append(out.EnabledFeatures, iamtypes.FeatureTypeRootCredentialsManagement)
	}
	if w.Sessions {
		out.EnabledFeatures = append(out.EnabledFeatures, iamtypes.FeatureTypeRootSessions)
	}
	return out
}

// ServiceAccessLister lists an organization's trusted services.
type ServiceAccessLister interface {
	ListAWSServiceAccessForOrganization(context.Context, *organizations.ListAWSServiceAccessForOrganizationInput, ...func(*organizations.Options)) (*organizations.ListAWSServiceAccessForOrganizationOutput, error)
}

// TrustedAccess is Organizations' trusted access with IAM's from the
// world. The other trusted services are listed by others (moto's, not
// recorded) or, when others is nil, are sso.amazonaws.com (recorded).
func (w *FakeRootAccess) TrustedAccess(others ServiceAccessLister) FakeTrustedAccess {
	return FakeTrustedAccess{others: others, w: w}
}

// FakeTrustedAccess is Organizations' trusted access; see TrustedAccess.
type FakeTrustedAccess struct {
	others ServiceAccessLister
	w      *FakeRootAccess
}

func (f FakeTrustedAccess) ListAWSServiceAccessForOrganization(ctx context.Context, in *organizations.ListAWSServiceAccessForOrganizationInput, o ...func(*organizations.Options)) (*organizations.ListAWSServiceAccessForOrganizationOutput, error) {
	var out *organizations.ListAWSServiceAccessForOrganizationOutput
	if f.others != nil {
		var err error
		if out, err = f.others.ListAWSServiceAccessForOrganization(ctx, in, o...); err != nil {
			return out, err
		}
	} else {
		if err := f.w.record(f.w.Management, "organizations:ListAWSServiceAccessForOrganization", ""); err != nil {
			return nil, err
		}
		out = &organizations.ListAWSServiceAccessForOrganizationOutput{EnabledServicePrincipals: []orgtypes.EnabledServicePrincipal{{ServicePrincipal: aws.String("sso.amazonaws.com")}}}
	}
	if f.w.trusted() {
		out.EnabledServicePrincipals = append(out.EnabledServicePrincipals, orgtypes.EnabledServicePrincipal{ServicePrincipal: aws.String("iam.amazonaws.com")})
	}
	return out, nil
}

func (f FakeTrustedAccess) EnableAWSServiceAccess(_ context.Context, in *organizations.EnableAWSServiceAccessInput, _ ...func(*organizations.Options)) (*organizations.EnableAWSServiceAccessOutput, error) {
	if err := f.w.record(f.w.Management, "organizations:EnableAWSServiceAccess", aws.ToString(in.ServicePrincipal)); err != nil {
		return nil, err
	}
	f.w.set(func() { f.w.Trusted = true })
	return &organizations.EnableAWSServiceAccessOutput{}, nil
}

func (f FakeTrustedAccess) DisableAWSServiceAccess(_ context.Context, in *organizations.DisableAWSServiceAccessInput, _ ...func(*organizations.Options)) (*organizations.DisableAWSServiceAccessOutput, error) {
	if err := f.w.record(f.w.Management, "organizations:DisableAWSServiceAccess", aws.ToString(in.ServicePrincipal)); err != nil {
		return nil, err
	}
	f.w.set(func() { f.w.Trusted = false })
	return &organizations.DisableAWSServiceAccessOutput{}, nil
}

// OrgFeatures is IAM's organizations features, from the management
// account (or the IAM delegated administrator).
func (w *FakeRootAccess) OrgFeatures() FakeOrgFeatures { return FakeOrgFeatures{w} }

// FakeOrgFeatures is IAM's organizations features; see OrgFeatures.
type FakeOrgFeatures struct{ w *FakeRootAccess }

// ListOrganizationsFeatures: as IAM does, refused while trusted access for
// IAM is off.
func (f FakeOrgFeatures) ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	if err := f.w.record(f.w.Management, "iam:ListOrganizationsFeatures", ""); err != nil {
		return nil, err
	}
	if !f.w.trusted() {
		return nil, &smithy.GenericAPIError{Code: "ServiceAccessNotEnabledException", Message: "trusted access is not enabled"}
	}
	return f.w.Features(), nil
}

// feature records action and sets the feature on.
func (f FakeOrgFeatures) feature(action string, feature *bool, on bool) error {
	if err := f.w.record(f.w.Management, action, ""); err != nil {
		return err
	}
	f.w.set(func() { *feature = on })
	return nil
}

func (f FakeOrgFeatures) EnableOrganizationsRootCredentialsManagement(context.Context, *iam.EnableOrganizationsRootCredentialsManagementInput, ...func(*iam.Options)) (*iam.EnableOrganizationsRootCredentialsManagementOutput, error) {
	return &iam.EnableOrganizationsRootCredentialsManagementOutput{}, f.feature("iam:EnableOrganizationsRootCredentialsManagement", &f.w.Credentials, true)
}

func (f FakeOrgFeatures) EnableOrganizationsRootSessions(context.Context, *iam.EnableOrganizationsRootSessionsInput, ...func(*iam.Options)) (*iam.EnableOrganizationsRootSessionsOutput, error) {
	return &iam.EnableOrganizationsRootSessionsOutput{}, f.feature("iam:EnableOrganizationsRootSessions", &f.w.Sessions, true)
}

func (f FakeOrgFeatures) DisableOrganizationsRootCredentialsManagement(context.Context, *iam.DisableOrganizationsRootCredentialsManagementInput, ...func(*iam.Options)) (*iam.DisableOrganizationsRootCredentialsManagementOutput, error) {
	return &iam.DisableOrganizationsRootCredentialsManagementOutput{}, f.feature("iam:DisableOrganizationsRootCredentialsManagement", &f.w.Credentials, false)
}

func (f FakeOrgFeatures) DisableOrganizationsRootSessions(context.Context, *iam.DisableOrganizationsRootSessionsInput, ...func(*iam.Options)) (*iam.DisableOrganizationsRootSessionsOutput, error) {
	return &iam.DisableOrganizationsRootSessionsOutput{}, f.feature("iam:DisableOrganizationsRootSessions", &f.w.Sessions, false)
}

// AssumeRoot is sts:AssumeRoot from the management account: refused while
// RootCredentialsManagement is off; the session may delete only with the
// IAMDeleteRootUserCredentials task policy.
func (w *FakeRootAccess) AssumeRoot(_ context.Context, target, taskPolicyArn string) (FakeRootSession, error) {
	task := strings.TrimPrefix(taskPolicyArn, rootTaskPolicy)
	if err := w.record(w.Management, "sts:AssumeRoot", target+" "+task); err != nil {
		return FakeRootSession{}, err
	}
	if !w.Credentials {
		return FakeRootSession{}, &smithy.GenericAPIError{Code: "AccessDenied", Message: "centralized root access is not enabled"}
	}
	return w.Session(target, task == "IAMDeleteRootUserCredentials"), nil
}

// Session is IAM as account's root in a session already open (none is
// recorded), one that may delete or not.
func (w *FakeRootAccess) Session(account string, deleting bool) FakeRootSession {
	return FakeRootSession{w: w, acct: account, deleting: deleting}
}

// FakeRootSession is IAM as a member's root in an sts:AssumeRoot session;
// unless opened with the delete task policy it refuses deletions.
type FakeRootSession struct {
	w        *FakeRootAccess
	acct     string
	deleting bool
}

func noSuchEntity(what string) error {
	return &smithy.GenericAPIError{Code: "NoSuchEntity", Message: what + " not found"}
}

// read records a read and returns a copy of the root.
func (s FakeRootSession) read(action string) (FakeRoot, error) {
	if err := s.w.record(s.acct, action, ""); err != nil {
		return FakeRoot{}, err
	}
	r, _ := s.w.Root(s.acct)
	return r, nil
}

// delete records a deletion, refused without the delete task policy, and
// makes it with change under the world's lock.
func (s FakeRootSession) delete(action, detail string, change func(*FakeRoot) error) error {
	if err := s.w.record(s.acct, action, detail); err != nil {
		return err
	}
	if !s.deleting {
		return &smithy.GenericAPIError{Code: "AccessDenied", Message: "the audit task policy does not allow " + action}
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	r := s.w.Roots[s.acct]
	if r == nil {
		return noSuchEntity("root of " + s.acct)
	}
	return change(r)
}

// remove takes v out of list, or says it was not there.
func remove(list *[]string, v string) error {
	i := slices.Index(*list, v)
	if i < 0 {
		return noSuchEntity(v)
	}
	*list = slices.Delete(*list, i, i+1)
	return nil
}

func (s FakeRootSession) GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	r, err := s.read("iam:GetLoginProfile")
	if err != nil {
		return nil, err
	}
	if !r.Password {
		return nil, noSuchEntity("login profile")
	}
	return &iam.GetLoginProfileOutput{LoginProfile: &iamtypes.LoginProfile{CreateDate: aws.Time(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))}}, nil
}

func (s FakeRootSession) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	r, err := s.read("iam:ListAccessKeys")
	if err != nil {
		return nil, err
	}
	out := &iam.ListAccessKeysOutput{}
	for _, k := range r.Keys {
		st := iamtypes.StatusTypeActive
		if slices.Contains(r.Inactive, k) {
			st = iamtypes.StatusTypeInactive
		}
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamtypes.AccessKeyMetadata{AccessKeyId: aws.String(k), Status: st})
	}
	return out, nil
}

func (s FakeRootSession) ListSigningCertificates(context.Context, *iam.ListSigningCertificatesInput, ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error) {
	r, err := s.read("iam:ListSigningCertificates")
	if err != nil {
		return nil, err
	}
	out := &iam.ListSigningCertificatesOutput{}
	for _, c := range r.Certs {
		out.Certificates = append(out.Certificates, iamtypes.SigningCertificate{CertificateId: aws.String(c), Status: iamtypes.StatusTypeActive})
	}
	return out, nil
}

func (s FakeRootSession) ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error) {
	r, err := s.read("iam:ListMFADevices")
	if err != nil {
		return nil, err
	}
	out := &iam.ListMFADevicesOutput{}
	for _, m := range r.MFA {
		out.MFADevices = append(out.MFADevices, iamtypes.MFADevice{SerialNumber: aws.String(m)})
	}
	return out, nil
}

func (s FakeRootSession) DeleteLoginProfile(context.Context, *iam.DeleteLoginProfileInput, ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error) {
	err := s.delete("iam:DeleteLoginProfile", "", func(r *FakeRoot) error {
		if !r.Password {
			return noSuchEntity("login profile")
		}
		r.Password = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iam.DeleteLoginProfileOutput{}, nil
}

func (s FakeRootSession) DeleteAccessKey(_ context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	id := aws.ToString(in.AccessKeyId)
	return &iam.DeleteAccessKeyOutput{}, s.delete("iam:DeleteAccessKey", id, func(r *FakeRoot) error { return remove(&r.Keys, id) })
}

func (s FakeRootSession) DeleteSigningCertificate(_ context.Context, in *iam.DeleteSigningCertificateInput, _ ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error) {
	id := aws.ToString(in.CertificateId)
	return &iam.DeleteSigningCertificateOutput{}, s.delete("iam:DeleteSigningCertificate", id, func(r *FakeRoot) error { return remove(&r.Certs, id) })
}

func (s FakeRootSession) DeactivateMFADevice(_ context.Context, in *iam.DeactivateMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error) {
	serial := aws.ToString(in.SerialNumber)
	return &iam.DeactivateMFADeviceOutput{}, s.delete("iam:DeactivateMFADevice", serial, func(r *FakeRoot) error { return remove(&r.MFA, serial) })
}

// DeleteVirtualMFADevice deletes a device DeactivateMFADevice has already
// taken from the root.
func (s FakeRootSession) DeleteVirtualMFADevice(_ context.Context, in *iam.DeleteVirtualMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error) {
	return &iam.DeleteVirtualMFADeviceOutput{}, s.delete("iam:DeleteVirtualMFADevice", aws.ToString(in.SerialNumber), func(*FakeRoot) error { return nil })
}

// AssumeRootAs is w.AssumeRoot returning the session as I, the interface
// of IAM as a root that the code under test takes (a FakeRootSession
// implements the reads and deletions of a root's credentials).
func AssumeRootAs[I any](w *FakeRootAccess) func(ctx context.Context, target, taskPolicyArn string) (I, error) {
	return func(ctx context.Context, target, taskPolicyArn string) (I, error) {
		s, err := w.AssumeRoot(ctx, target, taskPolicyArn)
		if err != nil {
			var none I
			return none, err
		}
		return any(s).(I), nil
	}
}
