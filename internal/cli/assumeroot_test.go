package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/collect"
)

// fakeAssumeRoot stands in for sts:AssumeRoot, which moto does not
// implement: it hands out credentials that the fake IAM below recognises.
type fakeAssumeRoot struct {
	collect.STSAPI
	mu    *sync.Mutex // accounts are collected concurrently
	calls *[]string
}

func (f fakeAssumeRoot) AssumeRoot(_ context.Context, in *sts.AssumeRootInput, _ ...func(*sts.Options)) (*sts.AssumeRootOutput, error) {
	f.mu.Lock()
	*f.calls = append(*f.calls, aws.ToString(in.TargetPrincipal)+" "+aws.ToString(in.TaskPolicyArn.Arn))
	f.mu.Unlock()
	return &sts.AssumeRootOutput{Credentials: &ststypes.Credentials{AccessKeyId: aws.String("ASIAROOT" + aws.ToString(in.TargetPrincipal)),
		SecretAccessKey: aws.String("x"), SessionToken: aws.String("y"), Expiration: aws.Time(time.Now().Add(15 * time.Minute))}}, nil
}

// rootSession is IAM as a member's root sees it in an AssumeRoot session
// (moto cannot open one): no password; for one account a virtual MFA
// device and an access key.
type rootSession struct {
	collect.IAMAPI
	account   string
	withStuff bool
}

func (r rootSession) GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return &iam.GetUserOutput{User: &iamtypes.User{Arn: aws.String("arn:aws:iam::" + r.account + ":root"), UserId: aws.String(r.account),
		UserName: aws.String("root"), Path: aws.String("/"), CreateDate: aws.Time(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))}}, nil
}

func (r rootSession) GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	if r.withStuff {
		return &iam.GetLoginProfileOutput{LoginProfile: &iamtypes.LoginProfile{CreateDate: aws.Time(time.Now())}}, nil
	}
	return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "login profile not found"}
}

func (r rootSession) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	if !r.withStuff {
		return &iam.ListAccessKeysOutput{}, nil
	}
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: []iamtypes.AccessKeyMetadata{{AccessKeyId: aws.String("AKIAROOTKEY"),
		Status: iamtypes.StatusTypeInactive, CreateDate: aws.Time(time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC))}}}, nil
}

func (r rootSession) GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return &iam.GetAccessKeyLastUsedOutput{AccessKeyLastUsed: &iamtypes.AccessKeyLastUsed{Region: aws.String("N/A"), ServiceName: aws.String("N/A")}}, nil
}

func (r rootSession) ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error) {
	if !r.withStuff {
		return &iam.ListMFADevicesOutput{}, nil
	}
	return &iam.ListMFADevicesOutput{MFADevices: []iamtypes.MFADevice{
		{SerialNumber: aws.String("arn:aws:iam::" + r.account + ":u2f/root/yubikey"), UserName: aws.String("root"), EnableDate: aws.Time(time.Now())},
		{SerialNumber: aws.String("arn:aws:iam::" + r.account + ":mfa/root-phone"), UserName: aws.String("root"), EnableDate: aws.Time(time.Now())},
	}}, nil
}

func (r rootSession) ListSigningCertificates(context.Context, *iam.ListSigningCertificatesInput, ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error) {
	return &iam.ListSigningCertificatesOutput{}, nil
}

// --assume-root reads each member's root in an AssumeRoot session with the
// audit task policy: the organization through moto, the sessions through
// fakes (moto implements neither AssumeRoot nor root's own IAM view).
func TestAuditOrgAssumeRoot_FakeAssumeRootRootRowReportTimeContactInfo(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	var assumed []string
	var mu sync.Mutex
	d, _, _ := testDeps("")
	d.AWSClients = func(cfg aws.Config, account string) *collect.Clients {
		c := collect.NewClients(cfg)
		if creds, err := cfg.Credentials.Retrieve(context.Background()); err == nil && creds.Source == "sts:AssumeRoot" {
			c.IAM = rootSession{IAMAPI: c.IAM, account: account, withStuff: account == ids["prod-a"]}
			return c
		}
		c.IAM = motoRootRow{c.IAM, account}
		c.Account = awstest.NewFakeContactInformation(c.Account)
		c.STS = fakeAssumeRoot{STSAPI: c.STS, mu: &mu, calls: &assumed}
		return c
	}
	r := runWith(t, d, "audit", "--org", "--assume-root", "--endpoint-url", m.Endpoint, "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, want 1; stderr %s", r.code, r.err)
	}
	if len(assumed) != 3 || !strings.HasSuffix(assumed[0], collect.AuditRootTaskPolicy) {
		t.Errorf("AssumeRoot calls = %v, want one per member with the audit task policy", assumed)
	}
	fs := findings(jsonReport(t, r.out))
	// The audit member's root holds nothing: with centralized root access
	// on, that passes, and it is no missing-MFA failure.
	for check, want := range map[string]string{"root-mfa-enabled": "pass", "centralized-root-access": "pass", "root-access-key-present": "pass"} {
		if f := fs[[2]string{ids["audit"], check}]; f["status"] != want {
			t.Errorf("audit %s: %v %v, want %s", check, f["status"], f["message"], want)
		}
	}
	// prod-a's root has a password, an inactive key, a FIDO key and a
	// virtual device: no hardware MFA, and still holding credentials.
	for check, want := range map[string]string{"root-hardware-mfa": "fail", "centralized-root-access": "fail", "root-mfa-enabled": "pass"} {
		if f := fs[[2]string{ids["prod-a"], check}]; f["status"] != want {
			t.Errorf("prod-a %s: %v %v, want %s", check, f["status"], f["message"], want)
		}
	}
	// The management account's root is read from its credential report.
	if f := fs[[2]string{"123456789012", "root-access-key-present"}]; !strings.Contains(f["evidence"].(map[string]any)["credential_report"].(map[string]any)["source"].(string), "GetCredentialReport") {
		t.Errorf("management evidence = %v", f["evidence"])
	}
	if f := fs[[2]string{ids["audit"], "root-mfa-enabled"}]; !strings.Contains(f["evidence"].(map[string]any)["credential_report"].(map[string]any)["source"].(string), "AssumeRoot") {
		t.Errorf("member evidence = %v", f["evidence"])
	}
	if r := run(t, "audit", "--assume-root"); r.code != ExitUsage || !strings.Contains(r.err, "--org") {
		t.Errorf("--assume-root without --org: exit %d %s", r.code, r.err)
	}
}

// failingSTS is an STS endpoint whose AssumeRoot always fails with a
// retryable error (moto does not implement AssumeRoot): it counts the
// requests.
func failingSTS(t *testing.T, calls *atomic.Int64) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRoot" {
			http.Error(w, "only AssumeRoot is faked here", http.StatusBadRequest)
			return
		}
		calls.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>STS is having a bad day</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// An AssumeRoot that keeps failing costs one call's retry budget per
// member, not one for every attempt of every read in the session (it cost
// 6 × 6 = 36 requests), and the member's error names sts:AssumeRoot.
func TestAuditOrgAssumeRootRetryBudget_FakeFailingSTSAndRootRowReportTime(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	var calls atomic.Int64
	fake := failingSTS(t, &calls)
	// Backoffs shortened so the test is quick; the attempts are the SDK's.
	fast := func(r aws.Retryer) aws.Retryer { return retry.AddWithMaxBackoffDelay(r, time.Millisecond) }
	// The attempts the SDK makes for one logical call, as rootwatch
	// configures it.
	base, err := collect.LoadConfig(context.Background(), collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	maxAttempts := sts.NewFromConfig(base).Options().Retryer.MaxAttempts()
	d, _, _ := testDeps("")
	d.AWSClients = func(cfg aws.Config, account string) *collect.Clients {
		c := withFakeRootRow(cfg, account)
		c.IAM = motoRootRow{iam.NewFromConfig(cfg, func(o *iam.Options) { o.Retryer = fast(o.Retryer) }), account}
		c.STS = sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint, o.Retryer = aws.String(fake.URL), fast(o.Retryer) })
		return c
	}
	r := runWith(t, d, "audit", "--org", "--assume-root", "--accounts", ids["audit"], "--endpoint-url", m.Endpoint, "--format", "json")
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", r.code, r.err)
	}
	if n := calls.Load(); n < 1 || n > int64(maxAttempts) || maxAttempts != 6 {
		t.Errorf("%d AssumeRoot requests for one member, want at most %d (one call's attempts)", n, maxAttempts)
	}
	errs := jsonReport(t, r.out)["errors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("errors: %v", errs)
	}
	if e := errs[0].(map[string]any); e["source"] != "sts:AssumeRoot" || e["account"] != ids["audit"] || e["class"] != "other" ||
		!strings.Contains(e["message"].(string), "STS AssumeRoot: InternalFailure: STS is having a bad day") {
		t.Errorf("error: %v", e)
	}
}
