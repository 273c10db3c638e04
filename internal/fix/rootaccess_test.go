package fix

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/model"
)

// Accounts of the root-access tests: the management account, members,
// and a break-glass member.
const (
	raMgmt  = "999999999999"
	raA     = "111111111111"
	raB     = "222222222222"
	raC     = "333333333333"
	raKeep  = "444444444444"
	raOrgID = "o-abcdef1234"
	raVirt  = "arn:aws:iam::111111111111:mfa/root-phone"
	raFIDO  = "arn:aws:iam::111111111111:u2f/root/yubikey-AAAA"
)

// raReach gives the management account's clients: the fake world of
// awstest.FakeRootAccess (moto emulates neither IAM's trusted access and
// organizations features nor sts:AssumeRoot).
func raReach(w *awstest.FakeRootAccess) Reach {
	return func(string) Clients {
		return Clients{OrgAccess: w.TrustedAccess(nil), IAMOrg: w.OrgFeatures(), RootSession: awstest.AssumeRootAs[RootIAMAPI](w)}
	}
}

// raTarget is an account as the audit saw it: its centralized-root-access
// finding, and its root's credentials (absent or not).
func raTarget(acct string, status, msg string, absent bool) Target {
	a := &model.Account{ID: acct, Partition: "aws", Org: raOrgID, IsManagement: acct == raMgmt,
		Root: &model.Root{PasswordEnabled: "true", CredentialsAbsent: absent}}
	if absent {
		a.Root.PasswordEnabled = "false"
	}
	return Target{Account: a, AsOf: applyTime, Findings: []model.Finding{{ID: "f-" + acct, Check: RootAccessCheck, Status: status, Account: acct, Message: msg}}}
}

func raOrgOf(w *awstest.FakeRootAccess) Org {
	return Org{ID: raOrgID, Management: raMgmt, Current: raMgmt, Reach: raReach(w), AsOf: applyTime}
}

// fullRoot is member A's root: a password, two keys, a certificate, a
// FIDO key and a virtual device.
func fullRoot() *awstest.FakeRoot {
	return &awstest.FakeRoot{Password: true, Keys: []string{"AKIAAAAAAAAAAAAAAAA1", "AKIAAAAAAAAAAAAAAAA2"}, Inactive: []string{"AKIAAAAAAAAAAAAAAAA2"}, Certs: []string{"CERTAAAAAAAAAAAAAAAAAAAAAAAAAAA1"},
		MFA: []string{raFIDO, raVirt}}
}

// From nothing: trusted access, both features off. One organization step
// turns all three on (each with its undo); member A, whose root holds
// credentials, is blocked until sessions can open; member B's root holds
// none (turning the feature on fixes it); the break-glass member and the
// management account get nothing. No session is opened, nothing is
// changed.
func TestRootAccessPlanFromNothing_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Roots: map[string]*awstest.FakeRoot{raA: fullRoot(), raKeep: fullRoot()}}
	targets := []Target{
		raTarget(raMgmt, model.StatusNotApplicable, "centralized root access manages member accounts' roots", false),
		raTarget(raA, model.StatusFail, "RootCredentialsManagement is not enabled for the organization", false),
		raTarget(raB, model.StatusFail, "RootCredentialsManagement is not enabled for the organization", true),
		raTarget(raKeep, model.StatusFail, "RootCredentialsManagement is not enabled for the organization", false),
		raTarget(raC, model.StatusPass, "root credentials removed", true),
	}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), targets, Options{KeepRoot: []string{raKeep}})
	if len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	if got := w.Take(); !slices.Equal(got, []string{"999999999999 organizations:ListAWSServiceAccessForOrganization"}) {
		t.Errorf("calls: %v", got)
	}
	if len(steps) != 2 {
		t.Fatalf("steps: %+v", steps)
	}
	org := steps[0]
	if org.ID != "root-access/999999999999/organization" || org.Account != raMgmt || org.Via != "" || org.Region != "us-east-1" ||
		org.Target != "organization o-abcdef1234" || org.TouchesRootCredentials || org.Blocked != "" ||
		!slices.Equal(org.Covers, []string{raA, raB, raKeep}) || org.Finding != (FindingRef{Check: "centralized-root-access"}) {
		t.Errorf("organization step: %+v", org)
	}
	var calls []string
	for _, c := range org.Calls {
		u := ""
		for _, x := range c.Undo {
			u += " undo " + x.String()
		}
		calls = append(calls, c.String()+u)
	}
	want := []string{
		`organizations:EnableAWSServiceAccess {"ServicePrincipal":"iam.amazonaws.com"} undo organizations:DisableAWSServiceAccess {"ServicePrincipal":"iam.amazonaws.com"}`,
		`iam:EnableOrganizationsRootCredentialsManagement {} undo iam:DisableOrganizationsRootCredentialsManagement {}`,
		`iam:EnableOrganizationsRootSessions {} undo iam:DisableOrganizationsRootSessions {}`,
	}
	if !slices.Equal(calls, want) {
		t.Errorf("organization calls:\n%s\nwant\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	for _, s := range []string{"centralized-root-access fails in 3 member account(s)", "removes no credential",
		"The management account's root (999999999999) is not one centralized root access manages"} {
		if !strings.Contains(org.Why, s) {
			t.Errorf("organization why lacks %q: %s", s, org.Why)
		}
	}
	a := steps[1]
	if a.ID != "root-access/111111111111/root-credentials" || a.Account != raA || a.Via != raMgmt || !a.TouchesRootCredentials || len(a.Calls) != 0 ||
		a.RootSession != nil || a.Target != "arn:aws:iam::111111111111:root" || a.Finding != (FindingRef{Check: "centralized-root-access", ID: "f-111111111111"}) ||
		a.Blocked != "the root's credentials are listed and deleted in sts:AssumeRoot sessions, which open only once RootCredentialsManagement and RootSessions are on: apply the step root-access/999999999999/organization, then plan again" {
		t.Errorf("member step: %+v", a)
	}
}

// With the features on, each failing member's root is read in an audit
// session, and the step deletes exactly what it holds, password first, MFA
// devices last, in a session with the delete task policy. A member whose
// root holds nothing now gets no step; the break-glass member is never
// reached, not even read.
func TestRootAccessPlanMembers_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Trusted: true, Credentials: true, Sessions: true,
		Roots: map[string]*awstest.FakeRoot{raA: fullRoot(), raB: {}, raKeep: fullRoot()}}
	msg := "centralized root access is enabled, but this root still holds a password, access keys, signing certificates, an MFA device"
	targets := []Target{
		raTarget(raMgmt, model.StatusNotApplicable, "n/a", false),
		raTarget(raA, model.StatusFail, msg, false),
		raTarget(raB, model.StatusFail, "centralized root access is enabled, but this root still holds a password", false),
		raTarget(raKeep, model.StatusFail, msg, false),
	}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), targets, Options{KeepRoot: []string{raKeep}})
	if len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	wantCalls := []string{
		"999999999999 organizations:ListAWSServiceAccessForOrganization",
		"999999999999 iam:ListOrganizationsFeatures",
		"999999999999 sts:AssumeRoot 111111111111 IAMAuditRootUserCredentials",
		"111111111111 iam:GetLoginProfile", "111111111111 iam:ListAccessKeys", "111111111111 iam:ListSigningCertificates", "111111111111 iam:ListMFADevices",
		"999999999999 sts:AssumeRoot 222222222222 IAMAuditRootUserCredentials",
		"222222222222 iam:GetLoginProfile", "222222222222 iam:ListAccessKeys", "222222222222 iam:ListSigningCertificates", "222222222222 iam:ListMFADevices",
	}
	if got := w.Take(); !slices.Equal(got, wantCalls) {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantCalls, "\n"))
	}
	if len(steps) != 1 {
		t.Fatalf("steps: %+v", steps)
	}
	s := steps[0]
	if s.ID != "root-access/111111111111/root-credentials" || s.Account != raA || s.Via != raMgmt || !s.TouchesRootCredentials || s.Blocked != "" ||
		s.RootSession == nil || *s.RootSession != (RootSession{TargetPrincipal: raA, TaskPolicyArn: "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"}) {
		t.Errorf("step: %+v", s)
	}
	var calls []string
	for _, c := range s.Calls {
		if !c.Irreversible || len(c.Undo) != 0 {
			t.Errorf("%s: irreversible %v, undo %v", c.Action, c.Irreversible, c.Undo)
		}
		calls = append(calls, c.String())
	}
	want := []string{
		`iam:DeleteLoginProfile {}`,
		`iam:DeleteAccessKey {"AccessKeyId":"AKIAAAAAAAAAAAAAAAA1"}`,
		`iam:DeleteAccessKey {"AccessKeyId":"AKIAAAAAAAAAAAAAAAA2"}`,
		`iam:DeleteSigningCertificate {"CertificateId":"CERTAAAAAAAAAAAAAAAAAAAAAAAAAAA1"}`,
		`iam:DeactivateMFADevice {"SerialNumber":"arn:aws:iam::111111111111:u2f/root/yubikey-AAAA"}`,
		`iam:DeactivateMFADevice {"SerialNumber":"arn:aws:iam::111111111111:mfa/root-phone"}`,
		`iam:DeleteVirtualMFADevice {"SerialNumber":"arn:aws:iam::111111111111:mfa/root-phone"}`,
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	for _, part := range []string{
		"centralized-root-access fails: " + msg,
		"its root holds a password; 2 access key(s) AKIAAAAAAAAAAAAAAAA1 (active), AKIAAAAAAAAAAAAAAAA2 (inactive); 1 signing certificate(s) CERTAAAAAAAAAAAAAAAAAAAAAAAAAAA1; " +
			"2 MFA device(s) arn:aws:iam::111111111111:u2f/root/yubikey-AAAA (hardware or FIDO), arn:aws:iam::111111111111:mfa/root-phone (virtual)",
		"DELETIONS CANNOT BE UNDONE",
	} {
		if !strings.Contains(s.Why, part) {
			t.Errorf("why lacks %q:\n%s", part, s.Why)
		}
	}
}

// From an IAM delegated administrator: trusted access is on (there is no
// delegated administrator without it) and is not read; Organizations'
// management account is not asked. Credentials that are neither the
// management account's nor the delegated administrator's plan nothing and
// say why.
func TestRootAccessDelegatedAdministrator_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Trusted: true, Roots: map[string]*awstest.FakeRoot{raA: fullRoot()}}
	org := raOrgOf(w)
	org.Current = raC
	targets := []Target{raTarget(raA, model.StatusFail, "RootCredentialsManagement is not enabled for the organization", false)}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), org, targets, Options{})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	if got := w.Take(); !slices.Equal(got, []string{"999999999999 iam:ListOrganizationsFeatures"}) {
		t.Errorf("calls: %v", got)
	}
	if s := steps[0]; s.Account != raC || s.ID != "root-access/333333333333/organization" || len(s.Calls) != 2 ||
		s.Calls[0].Action != "iam:EnableOrganizationsRootCredentialsManagement" || s.Calls[1].Action != "iam:EnableOrganizationsRootSessions" {
		t.Errorf("organization step: %+v", s)
	}
	if s := steps[1]; s.Via != raC || s.Blocked == "" {
		t.Errorf("member step: %+v", s)
	}

	w.Fail = map[string]error{"iam:ListOrganizationsFeatures": &smithy.GenericAPIError{Code: "AccountNotManagementOrDelegatedAdministratorException",
		Message: "not the management account or a delegated administrator"}}
	steps, errs = (&RootAccess{}).PlanOrg(context.Background(), org, targets, Options{})
	if len(steps) != 0 || len(errs) != 1 || errs[0].Account != raC || errs[0].Kind != "root-access" ||
		errs[0].Error != "read the centralized root access of organization o-abcdef1234 from account 333333333333: iam:ListOrganizationsFeatures: "+
			"api error AccountNotManagementOrDelegatedAdministratorException: not the management account or a delegated administrator "+
			"(run fix from the management account or the IAM delegated administrator)" {
		t.Errorf("steps %+v, errors %+v", steps, errs)
	}
}

// A finding the audit could not judge is said, not taken for nothing to
// do; an audit session refused in one member is that member's error, the
// others are planned.
func TestRootAccessPlanErrors_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Trusted: true, Credentials: true, Sessions: true, Roots: map[string]*awstest.FakeRoot{raA: fullRoot(), raB: {Password: true}},
		Fail: map[string]error{"111111111111 iam:ListAccessKeys": &smithy.GenericAPIError{Code: "AccessDenied", Message: "denied by an SCP"}}}
	targets := []Target{
		raTarget(raA, model.StatusFail, "still holds", false),
		raTarget(raB, model.StatusFail, "still holds a password", false),
		raTarget(raC, model.StatusError, "the organization's centralized root access could not be read (see errors)", false),
	}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), targets, Options{})
	wantErrs := []AccountError{
		{Account: raC, Kind: "root-access", Error: "centralized-root-access could not be judged in account 333333333333 (the organization's centralized root access could not be read (see errors)): nothing is planned for it until an audit reads it"},
		{Account: raA, Kind: "root-access", Error: "read the root credentials of account 111111111111 in an sts:AssumeRoot session (IAMAuditRootUserCredentials) from account 999999999999: iam:ListAccessKeys: api error AccessDenied: denied by an SCP"},
	}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors:\n%+v\nwant\n%+v", errs, wantErrs)
	}
	if len(steps) != 1 || steps[0].Account != raB || len(steps[0].Calls) != 1 || steps[0].Calls[0].String() != "iam:DeleteLoginProfile {}" {
		t.Errorf("steps: %+v", steps)
	}
}

// raApplier applies with the fakes: the management account's clients
// for every step (members' steps are made via it).
func raApplier(w *awstest.FakeRootAccess, log *RunLog) *Applier {
	return &Applier{Reach: func(_ context.Context, account string) (Reach, error) {
		if account != raMgmt {
			return func(string) Clients { return Clients{} }, nil
		}
		return raReach(w), nil
	}, Log: log, Now: func() time.Time { return applyTime }}
}

// Planned and applied: each member's session is opened with the delete
// task policy before its first deletion, its root then holds nothing,
// and planning again plans nothing. The run log has the session's
// parameters, never its credentials, and marks every deletion
// irreversible.
func TestRootAccessApply_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Trusted: true, Credentials: true, Sessions: true, Roots: map[string]*awstest.FakeRoot{raA: fullRoot(), raB: {Keys: []string{"AKIABBBBBBBBBBBBBBB1"}}}}
	targets := []Target{raTarget(raA, model.StatusFail, "still holds", false), raTarget(raB, model.StatusFail, "still holds keys", false)}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), targets, Options{})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	w.Take()
	path := filepath.Join(t.TempDir(), "run.jsonl")
	log, err := OpenRunLog(path)
	if err != nil {
		t.Fatal(err)
	}
	rs := raApplier(w, log).Apply(context.Background(), steps)
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Status != Applied {
			t.Errorf("%s: %s %s", r.Step, r.Status, r.Error)
		}
	}
	var a, b []string
	for _, c := range w.Take() {
		switch {
		case strings.Contains(c, raA):
			a = append(a, c)
		case strings.Contains(c, raB):
			b = append(b, c)
		}
	}
	wantA := []string{
		"999999999999 sts:AssumeRoot 111111111111 IAMDeleteRootUserCredentials",
		"111111111111 iam:DeleteLoginProfile",
		"111111111111 iam:DeleteAccessKey AKIAAAAAAAAAAAAAAAA1",
		"111111111111 iam:DeleteAccessKey AKIAAAAAAAAAAAAAAAA2",
		"111111111111 iam:DeleteSigningCertificate CERTAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
		"111111111111 iam:DeactivateMFADevice " + raFIDO,
		"111111111111 iam:DeactivateMFADevice " + raVirt,
		"111111111111 iam:DeleteVirtualMFADevice " + raVirt,
	}
	if !slices.Equal(a, wantA) {
		t.Errorf("member A:\n%s\nwant\n%s", strings.Join(a, "\n"), strings.Join(wantA, "\n"))
	}
	if want := []string{"999999999999 sts:AssumeRoot 222222222222 IAMDeleteRootUserCredentials", "222222222222 iam:DeleteAccessKey AKIABBBBBBBBBBBBBBB1"}; !slices.Equal(b, want) {
		t.Errorf("member B: %v", b)
	}
	for _, acct := range []string{raA, raB} {
		if r := w.Roots[acct]; r.Password || len(r.Keys)+len(r.Certs)+len(r.MFA) != 0 {
			t.Errorf("root of %s still holds %+v", acct, r)
		}
	}
	entries := readLog(t, path)
	var first Entry
	for _, e := range entries {
		if e.Account == raB {
			first = e
			break
		}
	}
	if first.Action != "sts:AssumeRoot" || first.Result != "ok" || first.Step != "root-access/222222222222/root-credentials" ||
		string(canonical(first.Params)) != `{"DurationSeconds":900,"TargetPrincipal":"222222222222","TaskPolicyArn":{"Arn":"arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"}}` {
		t.Errorf("session's log line: %+v", first)
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "iam:") {
			n++
			if !e.Irreversible || e.Undo != nil {
				t.Errorf("%s logged without irreversible: %+v", e.Action, e)
			}
		}
	}
	if n != 8 {
		t.Errorf("%d deletions logged, want 8", n)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"SecretAccessKey", "SessionToken", "ASIA"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the run log holds %s", secret)
		}
	}

	// Again: the roots hold nothing, nothing is planned.
	steps, errs = (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), targets, Options{})
	if len(steps) != 0 || len(errs) != 0 {
		t.Errorf("again: steps %+v, errors %+v", steps, errs)
	}
}

// AccessDenied on member A's second key stops A's step: the result names
// exactly what was deleted before (it stays deleted: no undo claimed);
// nothing after it is tried; member B is applied whole.
func TestRootAccessApplyAccessDeniedStopsThatMember_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Trusted: true, Credentials: true, Sessions: true, Roots: map[string]*awstest.FakeRoot{raA: fullRoot(), raB: {Password: true}}}
	targets := []Target{raTarget(raA, model.StatusFail, "still holds", false), raTarget(raB, model.StatusFail, "still holds a password", false)}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), targets, Options{})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	w.Take()
	denied := &smithy.OperationError{ServiceID: "IAM", OperationName: "DeleteAccessKey",
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "explicit deny in a service control policy"}}
	// The second key only.
	api := raReach(w)
	reach := func(r string) Clients {
		c := api(r)
		open := c.RootSession
		c.RootSession = func(ctx context.Context, target, policy string) (RootIAMAPI, error) {
			s, err := open(ctx, target, policy)
			if err != nil || target != raA {
				return s, err
			}
			return denySecondKey{s.(awstest.FakeRootSession), denied}, nil
		}
		return c
	}
	ap := &Applier{Reach: func(_ context.Context, account string) (Reach, error) { return reach, nil }, Now: func() time.Time { return applyTime }}
	rs := ap.Apply(context.Background(), steps)
	if len(rs) != 2 {
		t.Fatalf("results: %+v", rs)
	}
	a, b := rs[0], rs[1]
	if a.Account != raA || a.Status != Failed || a.Call != "iam:DeleteAccessKey" || a.RolledBack ||
		a.Error != "account 111111111111, step root-access/111111111111/root-credentials: iam:DeleteAccessKey: operation error IAM: DeleteAccessKey, "+
			"api error AccessDenied: explicit deny in a service control policy; made before the failure, and they cannot be undone: "+
			`iam:DeleteLoginProfile {}; iam:DeleteAccessKey {"AccessKeyId":"AKIAAAAAAAAAAAAAAAA1"}` {
		t.Errorf("member A: %+v", a)
	}
	if b.Account != raB || b.Status != Applied {
		t.Errorf("member B: %+v", b)
	}
	if r := w.Roots[raA]; r.Password || !slices.Equal(r.Keys, []string{"AKIAAAAAAAAAAAAAAAA2"}) || len(r.Certs) != 1 || len(r.MFA) != 2 {
		t.Errorf("root of A after: %+v", r)
	}
	if w.Roots[raB].Password {
		t.Errorf("root of B still has its password")
	}
}

// denySecondKey refuses the deletion of member A's second access key.
type denySecondKey struct {
	awstest.FakeRootSession
	err error
}

func (d denySecondKey) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, o ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	if aws.ToString(in.AccessKeyId) == "AKIAAAAAAAAAAAAAAAA2" {
		return nil, d.err
	}
	return d.FakeRootSession.DeleteAccessKey(ctx, in, o...)
}

// A refused AssumeRoot fails the step before any deletion: nothing
// changed, said so; the log has the refused session.
func TestRootAccessSessionRefused_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Roots: map[string]*awstest.FakeRoot{raA: fullRoot()},
		Fail: map[string]error{"999999999999 sts:AssumeRoot": &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform sts:AssumeRoot"}}}
	step := Step{ID: "root-access/111111111111/root-credentials", Account: raA, Via: raMgmt, Kind: "root-access", TouchesRootCredentials: true,
		RootSession: &RootSession{TargetPrincipal: raA, TaskPolicyArn: DeleteRootTaskPolicy},
		Calls:       []Call{{Action: "iam:DeleteLoginProfile", Params: map[string]any{}, Irreversible: true}}}
	path := filepath.Join(t.TempDir(), "run.jsonl")
	log, err := OpenRunLog(path)
	if err != nil {
		t.Fatal(err)
	}
	rs := raApplier(w, log).Apply(context.Background(), []Step{step})
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Status != Failed || rs[0].Call != "sts:AssumeRoot" || !rs[0].RolledBack ||
		rs[0].Error != "account 111111111111, step root-access/111111111111/root-credentials: sts:AssumeRoot (arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials): "+
			"api error AccessDenied: not authorized to perform sts:AssumeRoot: nothing was changed" {
		t.Errorf("results: %+v", rs)
	}
	if !w.Roots[raA].Password {
		t.Error("the password was deleted")
	}
	if e := readLog(t, path); len(e) != 1 || e[0].Action != "sts:AssumeRoot" || e[0].Result != "error" {
		t.Errorf("log: %+v", e)
	}
}

// The organization step is all or nothing: RootSessions refused, the
// features it turned on are turned off again, last first.
func TestRootAccessOrgStepRollsBack_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Roots: map[string]*awstest.FakeRoot{}, Fail: map[string]error{"iam:EnableOrganizationsRootSessions": &smithy.GenericAPIError{Code: "ServiceFailure", Message: "try later"}}}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), []Target{raTarget(raA, model.StatusFail, "not enabled", true)}, Options{})
	if len(errs) != 0 || len(steps) != 1 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	w.Take()
	rs := raApplier(w, nil).Apply(context.Background(), steps)
	want := []string{
		"999999999999 organizations:EnableAWSServiceAccess iam.amazonaws.com",
		"999999999999 iam:EnableOrganizationsRootCredentialsManagement",
		"999999999999 iam:EnableOrganizationsRootSessions",
		"999999999999 iam:DisableOrganizationsRootCredentialsManagement",
		"999999999999 organizations:DisableAWSServiceAccess iam.amazonaws.com",
	}
	if got := w.Take(); !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rs) != 1 || rs[0].Status != Failed || !rs[0].RolledBack || w.Trusted || w.Credentials || w.Sessions {
		t.Errorf("results %+v; trusted %v credentials %v sessions %v", rs, w.Trusted, w.Credentials, w.Sessions)
	}
}

// A deletion is made only in the session its step names; a deletion of
// what is already gone is what was wanted.
func TestRootAccessExecute_Fake(t *testing.T) {
	_, err := Execute(context.Background(), Clients{}, Call{Action: "iam:DeleteAccessKey", Params: map[string]any{"AccessKeyId": "AKIA1"}})
	if err == nil || err.Error() != "iam:DeleteAccessKey: made only as a member's root, in the sts:AssumeRoot session its step names: this step names none" {
		t.Errorf("without a session: %v", err)
	}
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Roots: map[string]*awstest.FakeRoot{raA: {}}}
	cl := Clients{RootIAM: w.Session(raA, true)}
	out, err := Execute(context.Background(), cl, Call{Action: "iam:DeleteAccessKey", Params: map[string]any{"AccessKeyId": "AKIA1"}})
	if err != nil || out["Already"] != "absent" {
		t.Errorf("already gone: %v %v", out, err)
	}
	if _, err := Execute(context.Background(), cl, Call{Action: "iam:DeleteAccessKey", Params: map[string]any{"AccessKeyId": "AKIA1", "UserName": "bob", "Bogus": 1}}); err == nil ||
		!strings.Contains(err.Error(), `unknown field "Bogus"`) {
		t.Errorf("unknown parameter: %v", err)
	}
}

// A plan's root session round-trips, and one that is not of its step's
// account, not made via another, or not with a root-task policy is
// refused.
func TestReadPlanRootSession(t *testing.T) {
	base := func() *Plan {
		return &Plan{Version: PlanVersion, CreatedAt: applyTime, Evidence: map[string]time.Time{raA: applyTime},
			Steps: []Step{{ID: "root-access/111111111111/root-credentials", Account: raA, Via: raMgmt, Kind: "root-access", TouchesRootCredentials: true,
				RootSession: &RootSession{TargetPrincipal: raA, TaskPolicyArn: DeleteRootTaskPolicy},
				Calls:       []Call{{Action: "iam:DeleteLoginProfile", Params: map[string]any{}, Irreversible: true}}}}}
	}
	var b strings.Builder
	if err := base().Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"root_session": {
        "target_principal": "111111111111",
        "task_policy_arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
      }`) || !strings.Contains(b.String(), `"irreversible": true`) {
		t.Errorf("written:\n%s", b.String())
	}
	p, err := ReadPlan(strings.NewReader(b.String()), "plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if *p.Steps[0].RootSession != *base().Steps[0].RootSession || !p.Steps[0].Calls[0].Irreversible {
		t.Errorf("read: %+v", p.Steps[0])
	}
	for name, mut := range map[string]func(*Step){
		"another account":  func(s *Step) { s.RootSession.TargetPrincipal = raB },
		"no via":           func(s *Step) { s.Via = "" },
		"not a task":       func(s *Step) { s.RootSession.TaskPolicyArn = "arn:aws:iam::aws:policy/AdministratorAccess" },
		"customer managed": func(s *Step) { s.RootSession.TaskPolicyArn = "arn:aws:iam::999999999999:policy/root-task/Mine" },
	} {
		p := base()
		mut(&p.Steps[0])
		var b strings.Builder
		if err := p.Write(&b); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadPlan(strings.NewReader(b.String()), "plan.json"); err == nil ||
			err.Error() != "read plan plan.json: step root-access/111111111111/root-credentials: root_session must be of the step's account 111111111111, made via another account, with an AWS root-task policy" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// From a fresh organization the audit cannot read the features (IAM
// answers ServiceAccessNotEnabled while trusted access for it is off), so
// the check is in error; the root's credentials were read, and the
// planner reads the features itself: the organization's step is planned.
// An account whose root was not read stays an error.
func TestRootAccessFeaturesUnreadByTheAudit_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Roots: map[string]*awstest.FakeRoot{}}
	unread := raTarget(raA, model.StatusError, "the organization's centralized root access could not be read (see errors)", true)
	unread.Account.FailedCollectors = []string{"centralized root access"}
	noRoot := raTarget(raB, model.StatusError, "the organization's centralized root access could not be read (see errors)", false)
	noRoot.Account.FailedCollectors = []string{"centralized root access", "credential report"}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), []Target{unread, noRoot}, Options{})
	if len(errs) != 1 || errs[0].Account != raB {
		t.Errorf("errors: %+v", errs)
	}
	if len(steps) != 1 || steps[0].ID != "root-access/999999999999/organization" || len(steps[0].Calls) != 3 || !slices.Equal(steps[0].Covers, []string{raA}) {
		t.Errorf("steps: %+v", steps)
	}
}

// The real SDK's session, against a local endpoint standing in for STS and
// IAM (moto implements no AssumeRoot): sts:AssumeRoot is sent with the
// target, the task policy and 900 seconds, with the caller's credentials;
// the IAM calls made in the session are signed with the session's.
func TestNewReachRootSession_FakeSTSAndIAMEndpoint(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		key, _, _ := strings.Cut(cred, "/")
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %s target=%s policy=%s duration=%s token=%q", key, r.Form.Get("Action"), r.Form.Get("TargetPrincipal"),
			r.Form.Get("TaskPolicyArn.arn"), r.Form.Get("DurationSeconds"), r.Header.Get("X-Amz-Security-Token")))
		mu.Unlock()
		rw.Header().Set("Content-Type", "text/xml")
		switch r.Form.Get("Action") {
		case "AssumeRoot":
			fmt.Fprint(rw, `<AssumeRootResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRootResult><Credentials>`+
				`<AccessKeyId>ASIAROOTSESSION00001</AccessKeyId><SecretAccessKey>session-secret</SecretAccessKey><SessionToken>session-token</SessionToken>`+
				`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRootResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRootResponse>`)
		case "ListAccessKeys":
			fmt.Fprint(rw, `<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListAccessKeysResult><AccessKeyMetadata>`+
				`<member><AccessKeyId>AKIAROOTKEY000000001</AccessKeyId><Status>Active</Status></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>`+
				`</ListAccessKeysResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></ListAccessKeysResponse>`)
		default:
			http.Error(rw, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAMANAGEMENT000001", "mgmt-secret", "")}
	api, err := NewReach(cfg)("us-east-1").RootSession(context.Background(), raA, DeleteRootTaskPolicy)
	if err != nil {
		t.Fatal(err)
	}
	out, err := api.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AccessKeyMetadata) != 1 || aws.ToString(out.AccessKeyMetadata[0].AccessKeyId) != "AKIAROOTKEY000000001" {
		t.Errorf("keys: %+v", out.AccessKeyMetadata)
	}
	want := []string{
		`AKIAMANAGEMENT000001 AssumeRoot target=111111111111 policy=arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials duration=900 token=""`,
		`ASIAROOTSESSION00001 ListAccessKeys target= policy= duration= token="session-token"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// RootCredentialsManagement on, RootSessions off: the organization's step
// turns RootSessions on, and the member holding credentials waits for it
// (no session is opened before both are on).
func TestRootAccessSessionsOff_Fake(t *testing.T) {
	w := &awstest.FakeRootAccess{Management: raMgmt, OrgID: raOrgID, Trusted: true, Credentials: true, Roots: map[string]*awstest.FakeRoot{raA: fullRoot()}}
	steps, errs := (&RootAccess{}).PlanOrg(context.Background(), raOrgOf(w), []Target{raTarget(raA, model.StatusFail, "still holds", false)}, Options{})
	if len(errs) != 0 || len(steps) != 2 {
		t.Fatalf("steps %+v, errors %+v", steps, errs)
	}
	if c := steps[0].Calls; len(c) != 1 || c[0].String() != "iam:EnableOrganizationsRootSessions {}" {
		t.Errorf("organization calls: %+v", c)
	}
	if steps[1].Blocked == "" || steps[1].RootSession != nil {
		t.Errorf("member step: %+v", steps[1])
	}
	if got := w.Take(); !slices.Equal(got, []string{"999999999999 organizations:ListAWSServiceAccessForOrganization", "999999999999 iam:ListOrganizationsFeatures"}) {
		t.Errorf("calls: %v", got)
	}
}
