package cli

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
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/collect"
)

// reportTakesTime stands in for IAM taking time to generate a report (moto
// has it ready at once once it has one): until one is asked for there is
// none, and the first request says STARTED.
type reportTakesTime struct {
	collect.IAMAPI
	first func() bool
	asked func() bool
}

func (f reportTakesTime) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	out, err := f.IAMAPI.GetCredentialReport(ctx, in, o...)
	if err == nil && !f.asked() {
		return nil, &iamtypes.CredentialReportNotPresentException{Message: aws.String("no report yet")}
	}
	return out, err
}

func (f reportTakesTime) GenerateCredentialReport(ctx context.Context, in *iam.GenerateCredentialReportInput, o ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	out, err := f.IAMAPI.GenerateCredentialReport(ctx, in, o...)
	if err == nil && f.first() {
		out.State = iamtypes.ReportStateTypeStarted
	}
	return out, err
}

// mustOrg builds an organization in moto: the management account, OUs
// Root/Workloads/Prod and Root/Security, and three members placed in them.
// It returns the member IDs by name.
func mustOrg(t *testing.T, endpoint string) map[string]string {
	t.Helper()
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	roots, err := org.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(parent, name string) string {
		out, err := org.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	workloads := ou(root, "Workloads")
	prod := ou(workloads, "Prod")
	security := ou(root, "Security")
	ids := map[string]string{}
	for name, parent := range map[string]string{"prod-a": prod, "prod-b": prod, "audit": security} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if _, err := org.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(root), DestinationParentId: aws.String(parent)}); err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	// The audit member's security contact, set from the management account.
	if _, err := account.NewFromConfig(cfg).PutAlternateContact(ctx, &account.PutAlternateContactInput{AccountId: aws.String(ids["audit"]),
		AlternateContactType: accounttypes.AlternateContactTypeSecurity, EmailAddress: aws.String("security@example.com"),
		Name: aws.String("Security"), PhoneNumber: aws.String("+1 555 0100"), Title: aws.String("Security")}); err != nil {
		t.Fatal(err)
	}
	// The seed's deny-root-without-MFA SCP on Root/Workloads/Prod.
	doc, err := os.ReadFile("../scp/testdata/deny-root-without-mfa.json")
	if err != nil {
		t.Fatal(err)
	}
	pol, err := org.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("root-mfa"), Description: aws.String("deny root without MFA"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(string(doc))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := org.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pol.Policy.PolicySummary.Id, TargetId: aws.String(prod)}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// The whole organization through the real SDK against moto: the OU tree is
// walked, each member is reached through OrganizationAccountAccessRole, and
// every call made is a declared one. The root row comes from a fake (moto's
// credential report has none).
func TestAuditOrg_FakeRootRowReportTimeAndContactInfo(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	var mu sync.Mutex
	var calls []string
	deps := func() *Deps {
		d, _, _ := testDeps("")
		d.AWSRecord = func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() }
		d.AWSClients = withFakeRootRow
		return d
	}
	r := runWith(t, deps(), "audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, want 1; stderr %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	paths := map[string]string{}
	for _, a := range doc["accounts"].([]any) {
		am := a.(map[string]any)
		paths[am["id"].(string)] = am["ou_path"].(string)
		if am["status"].(map[string]any)["error"] != nil {
			t.Errorf("account %v has errors: %v", am["id"], doc["errors"])
		}
		if mgmt, _ := am["is_management"].(bool); mgmt != (am["id"] == "123456789012") {
			t.Errorf("account %v is_management = %v", am["id"], mgmt)
		}
	}
	want := map[string]string{"123456789012": "Root", ids["prod-a"]: "Root/Workloads/Prod", ids["prod-b"]: "Root/Workloads/Prod", ids["audit"]: "Root/Security"}
	for id, p := range want {
		if paths[id] != p {
			t.Errorf("account %s: OU path %q, want %q (all: %v)", id, paths[id], p, paths)
		}
	}
	fs := findings(doc)
	for id, want := range map[string]string{"123456789012": "not_applicable", ids["prod-a"]: "pass", ids["prod-b"]: "pass", ids["audit"]: "fail"} {
		f := fs[[2]string{id, "root-scp-guardrail"}]
		if f["status"] != want {
			t.Errorf("%s root-scp-guardrail: %v %v, want %s", id, f["status"], f["message"], want)
		}
	}
	// Contacts are read from the management account, by account ID.
	if f := fs[[2]string{ids["audit"], "security-contact-registered"}]; f["status"] != "pass" {
		t.Errorf("audit security contact: %v %v", f["status"], f["message"])
	}
	if f := fs[[2]string{ids["prod-a"], "security-contact-registered"}]; f["status"] != "fail" {
		t.Errorf("prod-a security contact: %v %v", f["status"], f["message"])
	}
	// Centralized root access is on (from the fake: moto lacks the API), but
	// the member roots still hold a password, a key and MFA.
	if f := fs[[2]string{ids["audit"], "centralized-root-access"}]; f["status"] != "fail" || !strings.Contains(f["message"].(string), "a password, access keys, an MFA device") {
		t.Errorf("centralized-root-access: %v %v", f["status"], f["message"])
	}
	if f := fs[[2]string{ids["prod-a"], "root-scp-guardrail"}]; !strings.Contains(f["message"].(string), "without MFA by root-mfa") {
		t.Errorf("message %v", f["message"])
	}
	// Every check but the one that needs CloudTrail (--cloudtrail).
	if want := 4 * numRulesFor(t, "contacts", "primary_contact", "budgets", "root_usage_alarm", "scp", "centralized_root", "email"); len(doc["findings"].([]any)) != want {
		t.Errorf("%d findings, want %d", len(doc["findings"].([]any)), want)
	}
	declared := append(append(collect.BaseActions(), collect.OrgActions()...), collect.Actions(collect.AllCollectors(collect.Options{}))...)
	for _, c := range calls {
		if !slices.Contains(declared, c) {
			t.Errorf("%s was called but is not declared", c)
		}
		op := c[strings.IndexByte(c, ':')+1:]
		if c != "iam:GenerateCredentialReport" && c != "sts:AssumeRole" && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "View") {
			t.Errorf("%s is not a read", c)
		}
	}
	if !slices.Contains(calls, "sts:AssumeRole") {
		t.Errorf("no role assumed: %v", calls)
	}
	// Accounts are audited as the walk lists them: the first account's
	// collection starts before the last OU is listed.
	lastWalk := -1
	for i, c := range calls {
		if c == "organizations:ListAccountsForParent" || c == "organizations:ListOrganizationalUnitsForParent" {
			lastWalk = i
		}
	}
	if first := slices.Index(calls, "iam:GetCredentialReport"); first < 0 || first > lastWalk {
		t.Errorf("collection waited for the whole walk: %v", calls)
	}

	// A run collects only what its checks judge: contacts are read from
	// the management account, SCPs from Organizations, so neither assumes a
	// role or reads IAM; the verdicts are those of the full run.
	for check, wantPrefixes := range map[string][]string{
		"security-contact-registered": {"account:GetAlternateContact"},
		"root-scp-guardrail":          {"organizations:"},
		"root-mfa-enabled":            {"sts:AssumeRole", "iam:GetCredentialReport", "iam:GenerateCredentialReport", "iam:GetAccountSummary", "iam:ListVirtualMFADevices"},
	} {
		mu.Lock()
		calls = nil
		mu.Unlock()
		r := runWith(t, deps(), "audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json", "--checks", check)
		if r.code != ExitFailing && r.code != ExitOK {
			t.Fatalf("--checks %s: exit %d; stderr %s", check, r.code, r.err)
		}
		one := findings(jsonReport(t, r.out))
		if len(one) != 4 {
			t.Errorf("--checks %s: %d findings, want 4", check, len(one))
		}
		for k, f := range one {
			if k[1] != check || f["status"] != fs[k]["status"] {
				t.Errorf("--checks %s: %v says %v, the full run %v", check, k, f["status"], fs[k]["status"])
			}
		}
		for _, c := range calls {
			if c == "sts:GetCallerIdentity" || strings.HasPrefix(c, "organizations:List") || strings.HasPrefix(c, "organizations:Describe") {
				continue // finding the organization and its accounts
			}
			if !slices.ContainsFunc(wantPrefixes, func(p string) bool { return strings.HasPrefix(c, p) }) {
				t.Errorf("--checks %s called %s", check, c)
			}
		}
	}

	// _Fake: IAM taking time to generate reports. With --concurrency 1, an
	// account waiting for its credential report
	// gives its place to the next: between the first account's two
	// GenerateCredentialReport calls (asking, then polling), the next
	// account's report is already being read.
	mu.Lock()
	calls = nil
	mu.Unlock()
	slow := deps()
	started := map[string]bool{}
	slow.AWSClients = func(cfg aws.Config, account string) *collect.Clients {
		c := withFakeContactInformation(cfg, account)
		c.IAM = reportTakesTime{motoRootRow{c.IAM, account}, func() bool {
			mu.Lock()
			defer mu.Unlock()
			first := !started[account]
			started[account] = true
			return first
		}, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return started[account]
		}}
		return c
	}
	if r := runWith(t, slow, "audit", "--org", "--endpoint-url", m.Endpoint, "--concurrency", "1", "--checks", "root-mfa-enabled"); r.code != ExitOK {
		t.Fatalf("--concurrency 1: exit %d; stderr %s", r.code, r.err)
	}
	var gens []int
	for i, c := range calls {
		if c == "iam:GenerateCredentialReport" {
			gens = append(gens, i)
		}
	}
	if len(gens) < 2 || !slices.Contains(calls[gens[0]:gens[1]], "iam:GetCredentialReport") {
		t.Errorf("the wait for a report held the only place: %v", calls)
	}

	// Narrowing the run.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--ous", "Root/Workloads"}, []string{ids["prod-a"], ids["prod-b"]}},
		{[]string{"--ous", "Root/Workloads/,Root/Security"}, []string{ids["prod-a"], ids["prod-b"], ids["audit"]}},
		{[]string{"--accounts", ids["audit"]}, []string{ids["audit"]}},
		{[]string{"--exclude-accounts", ids["prod-a"] + "," + ids["prod-b"]}, []string{"123456789012", ids["audit"]}},
	} {
		r := runWith(t, deps(), append([]string{"audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json"}, tc.args...)...)
		var got []string
		for _, a := range jsonReport(t, r.out)["accounts"].([]any) {
			got = append(got, a.(map[string]any)["id"].(string))
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: accounts %v, want %v", tc.args, got, tc.want)
		}
	}
	for _, bad := range [][]string{{"--accounts", "1234"}, {"--accounts", "999999999999"}, {"--ous", "ou-nope-12345678"}, {"--ous", "Root/Nope"}} {
		r := runWith(t, deps(), append([]string{"audit", "--org", "--endpoint-url", m.Endpoint}, bad...)...)
		if r.code != ExitUsage || bad[0] == "--ous" && !strings.Contains(r.err, "no such OU") {
			t.Errorf("%v: exit %d %s", bad, r.code, r.err)
		}
	}
}

// An account named with --accounts that is not active (closed, suspended)
// is not audited, and the report says so under errors (exit 3).
func TestAuditOrgClosedAccount_FakeRootRowReportTimeAndContactInfo(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	cfg, err := collect.LoadConfig(context.Background(), collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := organizations.NewFromConfig(cfg).CloseAccount(context.Background(), &organizations.CloseAccountInput{AccountId: aws.String(ids["prod-b"])}); err != nil {
		t.Skipf("moto cannot close an account: %v", err)
	}
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	r := runWith(t, d, "audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json", "--accounts", ids["prod-a"]+","+ids["prod-b"])
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3: %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	if n := len(doc["accounts"].([]any)); n != 1 {
		t.Errorf("%d accounts audited, want 1", n)
	}
	errs := fmt.Sprint(doc["errors"])
	if !strings.Contains(errs, ids["prod-b"]) || !strings.Contains(errs, "not audited") {
		t.Errorf("errors: %s", errs)
	}
}

// deniedOU stands in for an OU the caller may not read (moto grants every
// call): listing what is under it is AccessDenied.
type deniedOU struct {
	collect.OrgAPI
	ou string
}

func (f deniedOU) ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, o ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	if aws.ToString(in.ParentId) == f.ou {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
	}
	return f.OrgAPI.ListOrganizationalUnitsForParent(ctx, in, o...)
}

func (f deniedOU) ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, o ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	if aws.ToString(in.ParentId) == f.ou {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "You don't have permissions to access this resource."}
	}
	return f.OrgAPI.ListAccountsForParent(ctx, in, o...)
}

// An OU that cannot be listed costs only its accounts: the others are
// audited, the OU is named under errors, and the run exits 3.
func TestAuditOrgDeniedOU_FakeDeniedRootRowReportTime(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	cfg, err := collect.LoadConfig(context.Background(), collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	var workloads string
	roots, _ := org.ListRoots(context.Background(), &organizations.ListRootsInput{})
	ous, _ := org.ListOrganizationalUnitsForParent(context.Background(), &organizations.ListOrganizationalUnitsForParentInput{ParentId: roots.Roots[0].Id})
	for _, ou := range ous.OrganizationalUnits {
		if aws.ToString(ou.Name) == "Workloads" {
			workloads = aws.ToString(ou.Id)
		}
	}
	for _, narrowed := range []bool{false, true} {
		d, _, _ := testDeps("")
		d.AWSClients = withFakeRootRow
		d.OrgAPI = func(cfg aws.Config) collect.OrgAPI { return deniedOU{organizations.NewFromConfig(cfg), workloads} }
		args := []string{"audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json"}
		if narrowed {
			args = append(args, "--exclude-accounts", ids["prod-b"])
		}
		r := runWith(t, d, args...)
		if r.code != ExitPartial {
			t.Fatalf("narrowed %v: exit %d, want 3: %s", narrowed, r.code, r.err)
		}
		doc := jsonReport(t, r.out)
		var audited []string
		for _, a := range doc["accounts"].([]any) {
			audited = append(audited, a.(map[string]any)["id"].(string))
		}
		slices.Sort(audited)
		want := []string{"123456789012", ids["audit"]}
		slices.Sort(want)
		if !slices.Equal(audited, want) {
			t.Errorf("narrowed %v: audited %v, want %v", narrowed, audited, want)
		}
		if errs := fmt.Sprint(doc["errors"]); !strings.Contains(errs, "Root/Workloads") || !strings.Contains(errs, "access denied") {
			t.Errorf("narrowed %v: errors %s", narrowed, errs)
		}
		for _, e := range doc["errors"].([]any) {
			if c := e.(map[string]any)["class"]; c != "access_denied" {
				t.Errorf("narrowed %v: error %v: class %v, want access_denied", narrowed, e, c)
			}
		}
		if !strings.Contains(r.err, `msg="errors by class" errors=2 access_denied=2`) {
			t.Errorf("narrowed %v: no count by class in %s", narrowed, r.err)
		}
	}
}

// Interrupted, a live audit of one account exits 130 and leaves the
// --output file as it was.
func TestAuditLiveInterrupted_FakeRootRowReportTime(t *testing.T) {
	m := startMoto(t)
	out := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(out, []byte("the previous report"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	d.AWSRecord = func(a string) {
		if a == "iam:GetCredentialReport" {
			cancel()
		}
	}
	cmd := NewRootCmd(d)
	cmd.SetArgs([]string{"audit", "--endpoint-url", m.Endpoint, "--format", "json", "--output", out})
	code, _ := ExitCode(cmd.ExecuteContext(ctx))
	if code != ExitInterrupted {
		t.Errorf("exit %d, want 130", code)
	}
	if b, _ := os.ReadFile(out); string(b) != "the previous report" {
		t.Errorf("--output replaced: %.80s", b)
	}
}

// slowCentralRoot stands in for an IAM call still running when the run is
// interrupted (moto answers at once): it interrupts the run itself.
type slowCentralRoot struct {
	collect.IAMAPI
	cancel func()
}

func (f slowCentralRoot) ListOrganizationsFeatures(ctx context.Context, _ *iam.ListOrganizationsFeaturesInput, _ ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	time.Sleep(1500 * time.Millisecond) // the members are collected meanwhile
	f.cancel()
	<-ctx.Done()
	return nil, ctx.Err()
}

// Interrupted while the organization's centralized root access is still
// being read, an --org audit exits 130, not 3 with the calls cut short
// listed as errors.
func TestAuditOrgInterrupted_FakeSlowIAMRootRowReportTime(t *testing.T) {
	m := startMoto(t)
	mustOrg(t, m.Endpoint)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, _, _ := testDeps("")
	d.AWSClients = func(cfg aws.Config, account string) *collect.Clients {
		c := withFakeRootRow(cfg, account)
		if account == "123456789012" {
			c.IAM = slowCentralRoot{c.IAM, cancel}
		}
		return c
	}
	cmd := NewRootCmd(d)
	cmd.SetArgs([]string{"audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json"})
	if code, _ := ExitCode(cmd.ExecuteContext(ctx)); code != ExitInterrupted {
		t.Errorf("exit %d, want 130", code)
	}
}

// frozenEndpoint is an endpoint that takes requests and never answers them
// (a black-holed VPC endpoint, a hung proxy): what moto cannot be.
func frozenEndpoint(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: the handlers end, then the server
	return srv
}

// One member's IAM endpoint frozen: with --api-timeout the run ends, that
// account is under errors naming the API, the others are audited, and the
// run exits 3. Without a timeout the run waited forever.
func TestAuditOrgFrozenEndpoint_FakeFrozenIAMAndRootRowReportTime(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	frozen := frozenEndpoint(t)
	d, _, _ := testDeps("")
	d.AWSClients = func(cfg aws.Config, account string) *collect.Clients {
		c := withFakeRootRow(cfg, account)
		if account == ids["audit"] {
			c.IAM = iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(frozen.URL) })
		}
		return c
	}
	done := make(chan result, 1)
	go func() {
		done <- runWith(t, d, "audit", "--org", "--endpoint-url", m.Endpoint, "--api-timeout", "5s", "--format", "json")
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the audit hangs on a frozen endpoint")
	}
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	if n := len(doc["accounts"].([]any)); n != 4 {
		t.Errorf("%d accounts audited, want 4", n)
	}
	var frozenErrs []map[string]any
	for _, e := range doc["errors"].([]any) {
		em := e.(map[string]any)
		if em["account"] != ids["audit"] {
			t.Errorf("error of another account: %v", em)
			continue
		}
		frozenErrs = append(frozenErrs, em)
	}
	if len(frozenErrs) == 0 {
		t.Fatalf("no error for the frozen account: %v", doc["errors"])
	}
	for _, e := range frozenErrs {
		msg := e["message"].(string)
		if !strings.HasPrefix(msg, "IAM ") || !strings.Contains(msg, ": timeout: no answer within 5s (--api-timeout)") || e["class"] != "timeout" {
			t.Errorf("error %v: want the API and the timeout named, class timeout", e)
		}
	}
	if want := fmt.Sprintf(`msg="errors by class" errors=%d timeout=%d`, len(frozenErrs), len(frozenErrs)); !strings.Contains(r.err, want) {
		t.Errorf("stderr lacks %s: %s", want, r.err)
	}
	if f := findings(doc)[[2]string{ids["audit"], "root-mfa-enabled"}]; f["status"] != "error" {
		t.Errorf("root-mfa-enabled of the frozen account: %v %v", f["status"], f["message"])
	}
	if f := findings(doc)[[2]string{ids["prod-a"], "root-mfa-enabled"}]; f["status"] != "pass" {
		t.Errorf("root-mfa-enabled of another account: %v %v", f["status"], f["message"])
	}
}
