package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
)

// rootWorld is what moto cannot emulate of centralized root access
// (awstest.FakeRootAccess: trusted access for IAM, IAM's
// RootCredentialsManagement and RootSessions, sts:AssumeRoot, and each
// member root's credentials as its session sees them), shared by the
// audit's clients and fix's.
type rootWorld struct{ *awstest.FakeRootAccess }

// hooks put the world behind fix's clients of the management account.
func (w *rootWorld) hooks() fixHooks {
	return fixHooks{reach: func(account string, r fix.Reach) fix.Reach {
		if account != motoAccountID {
			return r
		}
		return func(region string) fix.Clients {
			c := r(region)
			c.OrgAccess = w.TrustedAccess(c.OrgAccess)
			c.IAMOrg = w.OrgFeatures()
			c.RootSession = awstest.AssumeRootAs[fix.RootIAMAPI](w.FakeRootAccess)
			return c
		}
	}}
}

// auditClients are the audit's clients: moto's, with the root rows and
// the organization's features from the world, and contact information
// from a fake (moto has none).
func (w *rootWorld) auditClients(cfg aws.Config, account string) *collect.Clients {
	c := collect.NewClients(cfg)
	c.Account = awstest.NewFakeContactInformation(c.Account)
	c.IAM = rootReportFake{motoRootRow{c.IAM, account}, account, w}
	return c
}

// rootReportFake is the audit's IAM: a member's credential report root row
// and account summary say what its root holds in the world; the
// management account's are motoRootRow's; the organization's features are
// the world's.
type rootReportFake struct {
	motoRootRow
	account string
	w       *rootWorld
}

// ListOrganizationsFeatures: as IAM does, refused while trusted access
// for IAM is off.
func (f rootReportFake) ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	if !f.w.Trusted {
		return nil, &smithy.OperationError{ServiceID: "IAM", OperationName: "ListOrganizationsFeatures",
			Err: &smithy.GenericAPIError{Code: "ServiceAccessNotEnabledException", Message: "trusted access is not enabled for IAM"}}
	}
	return f.w.Features(), nil
}

func (f rootReportFake) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	r, ok := f.w.Root(f.account)
	if !ok {
		return f.motoRootRow.GetCredentialReport(ctx, in, o...)
	}
	out, err := f.IAMAPI.GetCredentialReport(ctx, in, o...)
	if err != nil {
		return out, err
	}
	password, used := "false", "N/A"
	if r.Password {
		password, used = "true", "no_information"
	}
	key := func(i int) string {
		if i < len(r.Keys) {
			return "true,2022-01-01T00:00:00+00:00,N/A,N/A,N/A"
		}
		return "false,N/A,N/A,N/A,N/A"
	}
	row := fmt.Sprintf("<root_account>,arn:aws:iam::%s:root,2020-01-01T00:00:00+00:00,%s,%s,not_supported,not_supported,%v,%s,%s,false,N/A,false,N/A",
		f.account, password, used, len(r.MFA) > 0, key(0), key(1))
	out.Content = awstest.InsertRow(out.Content, row)
	out.GeneratedTime = aws.Time(reportTime)
	return out, nil
}

func (f rootReportFake) GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, o ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	r, ok := f.w.Root(f.account)
	if !ok {
		return f.motoRootRow.GetAccountSummary(ctx, in, o...)
	}
	out, err := f.IAMAPI.GetAccountSummary(ctx, in, o...)
	if err != nil {
		return out, err
	}
	flag := func(b bool) int32 {
		if b {
			return 1
		}
		return 0
	}
	out.SummaryMap["AccountMFAEnabled"] = flag(len(r.MFA) > 0)
	out.SummaryMap["AccountAccessKeysPresent"] = flag(len(r.Keys) > 0)
	out.SummaryMap["AccountSigningCertificatesPresent"] = 0
	out.SummaryMap["AccountPasswordPresent"] = flag(r.Password)
	return out, nil
}

// rootAccessFindings audits the organization and returns each member's
// status of the checks.
func rootAccessFindings(t *testing.T, endpoint string, w *rootWorld, ids map[string]string) map[string]string {
	t.Helper()
	d, _, _ := testDeps("")
	d.AWSClients = w.auditClients
	r := runWith(t, d, "audit", "--org", "--endpoint-url", endpoint, "--checks", "centralized-root-access,root-access-key-present,root-mfa-enabled",
		"--format", "json", "--fail-on", "none")
	// Exit 3 when the features could not be read (findings in error).
	if r.code != 0 && r.code != ExitPartial {
		t.Fatalf("audit: exit %d: %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	out := map[string]string{}
	for name, id := range ids {
		for _, check := range []string{"centralized-root-access", "root-access-key-present", "root-mfa-enabled"} {
			f := fs[[2]string{id, check}]
			out[name+" "+check] = fmt.Sprint(f["status"])
		}
	}
	return out
}

// Centralized root access end to end: the organization, its members and
// their roles in moto; trusted access for IAM, IAM's features,
// sts:AssumeRoot and the members' roots through fakes (moto has none of
// them). prod-a's root holds a password, an access key, a FIDO key and a
// virtual MFA device; prod-b's (a --keep-root break-glass account) a
// password and a key; audit's nothing. The first plan turns the features
// on and shows prod-a blocked until they are; the second lists exactly
// what prod-a's root holds and deletes it; the audit then passes prod-a;
// the third plans nothing. prod-b is never reached: not one call names
// it, not even a read in an audit session.
func TestFixRootAccessEndToEnd_FakeRootSessionsOrgFeaturesAndRootRows(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	a, b, audit := ids["prod-a"], ids["prod-b"], ids["audit"]
	fido, virt := "arn:aws:iam::"+a+":u2f/root/yubikey-AAAA", "arn:aws:iam::"+a+":mfa/root-phone"
	w := &rootWorld{&awstest.FakeRootAccess{Management: motoAccountID, OrgID: "o-fake", Roots: map[string]*awstest.FakeRoot{
		a:     {Password: true, Keys: []string{"AKIAPRODAROOTKEY0001"}, MFA: []string{fido, virt}},
		b:     {Password: true, Keys: []string{"AKIAPRODBROOTKEY0001"}},
		audit: {},
	}}}
	never := func(t *testing.T, calls []string) {
		t.Helper()
		for _, c := range calls {
			if strings.Contains(c, b) {
				t.Errorf("the break-glass account %s was reached: %s", b, c)
			}
		}
	}
	before := rootAccessFindings(t, m.Endpoint, w, ids)
	// While trusted access for IAM is off, IAM refuses to list the
	// features: neither can be on, so the check fails (not an error).
	for k, want := range map[string]string{"prod-a centralized-root-access": "fail", "prod-b centralized-root-access": "fail",
		"audit centralized-root-access": "fail", "prod-a root-access-key-present": "fail", "audit root-mfa-enabled": "pass"} {
		if before[k] != want {
			t.Errorf("before: %s = %s, want %s", k, before[k], want)
		}
	}
	dir := t.TempDir()
	args := []string{"--org", "--only", "root-access", "--keep-root", b, "--endpoint-url", m.Endpoint}
	plan := func(t *testing.T, wantCode int, extra ...string) result {
		t.Helper()
		rec := &recorder{}
		d, _, _ := testDeps("")
		d.AWSClients, d.AWSRecord = w.auditClients, rec.record
		r := runFixWith(t, d, w.hooks(), append(slices.Clone(args), extra...)...)
		if r.code != wantCode {
			t.Fatalf("dry run: exit %d, want %d: %s\n%s", r.code, wantCode, r.err, r.out)
		}
		if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
			t.Errorf("the dry run made a mutating call through the SDK: %v", calls)
		}
		return r
	}
	apply := func(t *testing.T, wantCode int, log string) result {
		t.Helper()
		d, _, _ := testDeps("")
		d.AWSClients = w.auditClients
		r := runFixWith(t, d, w.hooks(), append(slices.Clone(args), "--apply", "--yes", "--log", log)...)
		if r.code != wantCode {
			t.Fatalf("apply: exit %d, want %d: %s\n%s", r.code, wantCode, r.err, r.out)
		}
		return r
	}

	// 1. Nothing on: the organization's step, and prod-a blocked (its
	// root cannot be read before RootCredentialsManagement is on). The
	// audit member's root holds nothing: no step.
	r := plan(t, ExitPartial)
	calls := w.Take()
	if !slices.Equal(calls, nil) {
		t.Errorf("the first dry run called the fakes: %v (trusted access is read from moto; IAM's features need it)", calls)
	}
	for _, want := range []string{
		"Plan: 1 step(s) in 1 account(s) to apply, 1 blocked. Nothing changes without --apply.",
		"1. root-access/123456789012/organization  [root-access] account 123456789012 us-east-1",
		`   - organizations:EnableAWSServiceAccess {"ServicePrincipal":"iam.amazonaws.com"}`,
		"   - iam:EnableOrganizationsRootCredentialsManagement {}",
		"   - iam:EnableOrganizationsRootSessions {}",
		"2. root-access/" + a + "/root-credentials  [root-access] account " + a + " us-east-1",
		"   BLOCKED: the root's credentials are listed and deleted in sts:AssumeRoot sessions, which open only once RootCredentialsManagement and RootSessions are on: apply the step root-access/123456789012/organization, then plan again",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("first dry run lacks %q:\n%s", want, r.out)
		}
	}
	// prod-b is among the accounts the organization's features cover,
	// and has no step of its own.
	if strings.Contains(r.out, "root-access/"+b) || strings.Contains(r.out, "root-access/"+audit) || !strings.Contains(r.out, "   covers: ") {
		t.Errorf("first dry run plans for prod-b or audit:\n%s", r.out)
	}

	// 2. Apply: the features are on; prod-a stays blocked (exit 3).
	r = apply(t, ExitPartial, filepath.Join(dir, "run1.jsonl"))
	if want := []string{"123456789012 organizations:EnableAWSServiceAccess iam.amazonaws.com", "123456789012 iam:EnableOrganizationsRootCredentialsManagement",
		"123456789012 iam:EnableOrganizationsRootSessions"}; !slices.Equal(w.Take(), want) || !w.Trusted || !w.Credentials || !w.Sessions {
		t.Errorf("first apply: trusted %v credentials %v sessions %v", w.Trusted, w.Credentials, w.Sessions)
	}
	if !strings.Contains(r.out, "applied  root-access/123456789012/organization  account 123456789012\n") {
		t.Errorf("first apply:\n%s", r.out)
	}

	// 3. Plan again: prod-a's root is read in an audit session and each
	// of its credentials is listed; no deletion is made. The plan is
	// saved.
	planPath := filepath.Join(dir, "plan.json")
	r = plan(t, ExitFailing, "--plan-out", planPath)
	calls = w.Take()
	wantReads := []string{
		"123456789012 iam:ListOrganizationsFeatures",
		"123456789012 sts:AssumeRoot " + a + " IAMAuditRootUserCredentials",
		a + " iam:GetLoginProfile", a + " iam:ListAccessKeys", a + " iam:ListSigningCertificates", a + " iam:ListMFADevices",
	}
	if !slices.Equal(calls, wantReads) {
		t.Errorf("second dry run calls:\n%s\nwant\n%s", strings.Join(calls, "\n"), strings.Join(wantReads, "\n"))
	}
	for _, want := range []string{
		"Plan: 1 step(s) in 1 account(s) to apply. Nothing changes without --apply.",
		"1. root-access/" + a + "/root-credentials  [root-access] account " + a + " us-east-1",
		"its root holds a password; 1 access key(s) AKIAPRODAROOTKEY0001 (active); 2 MFA device(s) " + fido + " (hardware or FIDO), " + virt + " (virtual)",
		"DELETIONS CANNOT BE UNDONE",
		"   made from: account " + motoAccountID + "'s credentials\n" +
			"   as the root of " + a + ": sts:AssumeRoot session, task policy arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials\n" +
			"   ! iam:DeleteLoginProfile {}\n" +
			`   ! iam:DeleteAccessKey {"AccessKeyId":"AKIAPRODAROOTKEY0001"}` + "\n" +
			`   ! iam:DeactivateMFADevice {"SerialNumber":"` + fido + `"}` + "\n" +
			`   ! iam:DeactivateMFADevice {"SerialNumber":"` + virt + `"}` + "\n" +
			`   ! iam:DeleteVirtualMFADevice {"SerialNumber":"` + virt + `"}` + "\n" +
			"   (! marks a call that cannot be undone)\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("second dry run lacks %q:\n%s", want, r.out)
		}
	}

	saved, err := os.ReadFile(planPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(saved), `"root_session": {
        "target_principal": "`+a+`",
        "task_policy_arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
      }`) || strings.Count(string(saved), `"irreversible": true`) != 5 || !strings.Contains(string(saved), `"keep_root": [
    "`+b+`"
  ]`) {
		t.Errorf("saved plan:\n%s", saved)
	}

	// 4. Apply the saved plan: in a delete session, exactly those.
	log := filepath.Join(dir, "run2.jsonl")
	d, _, _ := testDeps("")
	d.AWSClients = w.auditClients
	r = runFixWith(t, d, w.hooks(), "--plan", planPath, "--keep-root", b, "--endpoint-url", m.Endpoint, "--apply", "--yes", "--log", log)
	if r.code != 0 {
		t.Fatalf("apply the saved plan: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	calls = w.Take()
	wantApply := []string{
		"123456789012 sts:AssumeRoot " + a + " IAMDeleteRootUserCredentials",
		a + " iam:DeleteLoginProfile", a + " iam:DeleteAccessKey AKIAPRODAROOTKEY0001",
		a + " iam:DeactivateMFADevice " + fido, a + " iam:DeactivateMFADevice " + virt, a + " iam:DeleteVirtualMFADevice " + virt}
	if !slices.Equal(calls, wantApply) {
		t.Errorf("apply calls:\n%s\nwant\n%s", strings.Join(calls, "\n"), strings.Join(wantApply, "\n"))
	}
	if !strings.Contains(r.out, "applied  root-access/"+a+"/root-credentials  account "+a+"\n") {
		t.Errorf("apply:\n%s", r.out)
	}
	entries := readRunLog(t, log)
	var actions []string
	for _, e := range entries {
		actions = append(actions, fmt.Sprintf("%s %s irreversible=%v", e.Action, e.Result, e.Irreversible))
	}
	wantLog := []string{"sts:AssumeRoot ok irreversible=false", "iam:DeleteLoginProfile ok irreversible=true", "iam:DeleteAccessKey ok irreversible=true",
		"iam:DeactivateMFADevice ok irreversible=true", "iam:DeactivateMFADevice ok irreversible=true", "iam:DeleteVirtualMFADevice ok irreversible=true"}
	if !slices.Equal(actions, wantLog) {
		t.Errorf("run log:\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.Join(wantLog, "\n"))
	}
	if e := entries[0]; e.Account != a || e.Params["TargetPrincipal"] != a {
		t.Errorf("session's log line: %+v", e)
	}
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "SessionToken") || strings.Contains(string(raw), "SecretAccessKey") {
		t.Errorf("the run log holds the session's credentials:\n%s", raw)
	}

	// 5. The audit, re-reading the roots, passes prod-a; prod-b, kept,
	// still fails.
	after := rootAccessFindings(t, m.Endpoint, w, ids)
	for k, want := range map[string]string{"prod-a centralized-root-access": "pass", "prod-a root-access-key-present": "pass", "prod-a root-mfa-enabled": "pass",
		"audit centralized-root-access": "pass", "prod-b centralized-root-access": "fail", "prod-b root-access-key-present": "fail"} {
		if after[k] != want {
			t.Errorf("after: %s = %s, want %s", k, after[k], want)
		}
	}

	// 6. Again: nothing to do.
	r = plan(t, 0)
	if r.out != "Nothing to do.\n" {
		t.Errorf("third dry run:\n%s", r.out)
	}
	calls = w.Take()
	if slices.ContainsFunc(calls, func(c string) bool { return strings.Contains(c, "Delete") || strings.Contains(c, "Enable") }) {
		t.Errorf("third dry run: %v", calls)
	}
	never(t, w.All())
	if r := w.Roots[b]; !r.Password || len(r.Keys) != 1 {
		t.Errorf("prod-b's root was changed: %+v", r)
	}
}

// AccessDenied on one member's deletion (an SCP, a fake) stops that
// member's step and names what it deleted before; the other member's
// step is applied; exit 3 and the failure on stderr.
func TestFixRootAccessOneMemberDenied_FakeRootSessionsOrgFeaturesAndRootRows(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	a, b := ids["prod-a"], ids["prod-b"]
	w := &rootWorld{&awstest.FakeRootAccess{Management: motoAccountID, OrgID: "o-fake", Trusted: true, Credentials: true, Sessions: true, Roots: map[string]*awstest.FakeRoot{
		a:            {Password: true, Keys: []string{"AKIAPRODAROOTKEY0001"}},
		b:            {Password: true, Keys: []string{"AKIAPRODBROOTKEY0001"}},
		ids["audit"]: {},
	}, Fail: map[string]error{a + " iam:DeleteAccessKey": &smithy.OperationError{ServiceID: "IAM", OperationName: "DeleteAccessKey",
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "explicit deny in a service control policy"}}}}}
	d, _, _ := testDeps("")
	d.AWSClients = w.auditClients
	r := runFixWith(t, d, w.hooks(), "--org", "--only", "root-access", "--endpoint-url", m.Endpoint, "--apply", "--yes", "--log", filepath.Join(t.TempDir(), "run.jsonl"))
	if r.code != ExitPartial {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	wantA := "failed   root-access/" + a + "/root-credentials  account " + a + "  account " + a + ", step root-access/" + a + "/root-credentials: iam:DeleteAccessKey: " +
		"operation error IAM: DeleteAccessKey, api error AccessDenied: explicit deny in a service control policy; " +
		"made before the failure, and they cannot be undone: iam:DeleteLoginProfile {} (NOT all undone: see the run log)\n"
	if !strings.Contains(r.out, wantA) || !strings.Contains(r.out, "applied  root-access/"+b+"/root-credentials  account "+b+"\n") {
		t.Errorf("results:\n%s\nwant\n%s", r.out, wantA)
	}
	if !strings.Contains(r.err, "step failed") || !strings.Contains(r.err, "account="+a) {
		t.Errorf("stderr does not name the failed account: %s", r.err)
	}
	if ra, rb := w.Roots[a], w.Roots[b]; ra.Password || len(ra.Keys) != 1 || rb.Password || len(rb.Keys) != 0 {
		t.Errorf("after: prod-a %+v, prod-b %+v", ra, rb)
	}
}
