package collect

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/model"
)

// moto is shared by the tests of this package; nil when moto_server is
// missing (those tests skip).
var moto *awstest.Moto

func TestMain(m *testing.M) {
	var err error
	moto, err = awstest.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "end-to-end tests against moto_server will skip: %v\n", err)
	}
	code := m.Run()
	if moto != nil {
		moto.Stop()
	}
	os.Exit(code)
}

// motoConfig returns an SDK configuration for moto, recording calls.
func motoConfig(t *testing.T, record func(string)) aws.Config {
	t.Helper()
	if moto == nil {
		t.Skip("moto_server is not installed: end-to-end test skipped")
	}
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	awstest.Env(t)
	cfg, err := LoadConfig(context.Background(), Options{EndpointURL: moto.Endpoint, Record: record})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const motoAccount = "123456789012"

// withRootRow stands in for what moto cannot emulate: moto's credential
// report has no <root_account> row, so this fake adds one to the real
// report that moto generated; moto stamps every report 2015-02-02, which a
// live audit refuses as older than a new report can be, so the fake says
// reportTime instead; and moto's account summary says root has no key and
// no MFA, so the fake says what the row says (a key; MFA when mfa is set).
type withRootRow struct {
	IAMAPI
	row string
	mfa bool
}

func (f withRootRow) GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, o ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	out, err := f.IAMAPI.GetAccountSummary(ctx, in, o...)
	if err != nil {
		return out, err
	}
	out.SummaryMap["AccountAccessKeysPresent"], out.SummaryMap["AccountMFAEnabled"] = 1, 0
	if f.mfa {
		out.SummaryMap["AccountMFAEnabled"] = 1
	}
	return out, nil
}

func (f withRootRow) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	out, err := f.IAMAPI.GetCredentialReport(ctx, in, o...)
	if err != nil {
		return out, err
	}
	out.Content = awstest.InsertRow(out.Content, f.row)
	out.GeneratedTime = aws.Time(reportTime)
	return out, nil
}

// reportTime is when the fakes say IAM generated a report: ten minutes
// before the tests' audit time (now).
var reportTime = time.Date(2026, 11, 23, 11, 50, 0, 0, time.UTC)

// clock is the tests' audit time.
func clock() time.Time { return now }

func rootRow(mfa bool) string {
	return fmt.Sprintf("<root_account>,arn:aws:iam::%s:root,2019-05-01T10:00:00+00:00,true,2015-01-30T10:00:00+00:00,not_supported,not_supported,%v,true,2014-12-01T00:00:00+00:00,2015-01-31T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A", motoAccount, mfa)
}

func instantPoll() Poll {
	return Poll{First: time.Millisecond, Max: time.Millisecond, Timeout: time.Minute, Sleep: func(context.Context, time.Duration) error { return nil }}
}

// End to end through the real SDK against moto: the report is generated,
// waited for and read, with a root row from the fake (moto has none).
func TestCollectFromMoto_FakeRootRowReportTimeSummaryContactInfoAndBudgetSubscribers(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	cfg := motoConfig(t, func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() })
	setup := iam.NewFromConfig(cfg)
	for _, u := range []string{"alice", "bob", "ci"} {
		if _, err := setup.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := account.NewFromConfig(cfg).PutAlternateContact(context.Background(), &account.PutAlternateContactInput{
		AlternateContactType: accounttypes.AlternateContactTypeSecurity, EmailAddress: aws.String("security@example.com"),
		Name: aws.String("Security team"), PhoneNumber: aws.String("+1 555 0100"), Title: aws.String("Security")}); err != nil {
		t.Fatal(err)
	}
	if _, err := budgets.NewFromConfig(cfg).CreateBudget(context.Background(), &budgets.CreateBudgetInput{
		AccountId: aws.String(motoAccount),
		Budget: &budgetstypes.Budget{BudgetName: aws.String("monthly"), BudgetType: budgetstypes.BudgetTypeCost, TimeUnit: budgetstypes.TimeUnitMonthly,
			BudgetLimit: &budgetstypes.Spend{Amount: aws.String("100"), Unit: aws.String("USD")}},
		NotificationsWithSubscribers: []budgetstypes.NotificationWithSubscribers{{
			Notification: &budgetstypes.Notification{NotificationType: budgetstypes.NotificationTypeActual, ComparisonOperator: budgetstypes.ComparisonOperatorGreaterThan, Threshold: 80},
			Subscribers:  []budgetstypes.Subscriber{{SubscriptionType: budgetstypes.SubscriptionTypeEmail, Address: aws.String("finops@example.com")}},
		}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.NewFromConfig(cfg).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("data")}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	calls = nil // the setup's calls are not the audit's
	mu.Unlock()

	cl := NewClients(cfg)
	cl.IAM = withRootRow{IAMAPI: cl.IAM, row: rootRow(true), mfa: true}
	contactInfo := awstest.NewFakeContactInformation(cl.Account)
	cl.Account = contactInfo
	// moto lacks DescribeSubscribersForNotification.
	cl.Budgets = awstest.NewFakeBudgetSubscribers(cl.Budgets, map[string][]budgetstypes.Subscriber{
		"monthly": {{SubscriptionType: budgetstypes.SubscriptionTypeEmail, Address: aws.String("finops@example.com")}}})
	cs := Collectors(Options{MaxReportAge: 4 * time.Hour, Poll: instantPoll(), Assets: true, Now: clock})
	a := model.Account{ID: motoAccount} // as the CLI knows it from STS or the organization
	if errs := CollectAccount(context.Background(), cs, cl, &a); len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	if a.ID != motoAccount || a.IAMUsers != 3 || a.Root == nil || a.Partition != "aws" {
		t.Fatalf("account = %+v", a)
	}
	// There was no report: a new one was generated, and the evidence says
	// when.
	if a.CredentialReport.GeneratedAtSource != "report" || !a.CredentialReport.GeneratedAt.Equal(time.Date(2026, 11, 23, 11, 50, 0, 0, time.UTC)) {
		t.Errorf("report info = %+v", a.CredentialReport)
	}
	if !slices.Contains(calls, "iam:GenerateCredentialReport") {
		t.Errorf("no report generated: %v", calls)
	}
	// The collectors run at once: the report is generated while the other
	// collectors' calls are made, and root MFA (which refines the report's
	// root) reads after the report.
	firstGen := slices.Index(calls, "iam:GenerateCredentialReport")
	firstOther := slices.IndexFunc(calls, func(c string) bool { return !strings.HasPrefix(c, "iam:") })
	lastGet, summary := -1, slices.Index(calls, "iam:GetAccountSummary")
	for i, c := range calls {
		if c == "iam:GetCredentialReport" {
			lastGet = i
		}
	}
	if firstGen < 0 || firstOther < 0 || lastGet < firstOther || summary < lastGet {
		t.Errorf("calls out of order (the others before the report is read, root MFA after): %v", calls)
	}
	if got := a.Root.AccessKeys[0]; !got.Active || got.LastUsedService != "iam" {
		t.Errorf("root key 1 = %+v", got)
	}
	// No virtual device is assigned to root, and the report says MFA is
	// active: every root device is hardware.
	if a.Root.HardwareMFA == nil || !*a.Root.HardwareMFA {
		t.Errorf("hardware MFA = %v", a.Root.HardwareMFA)
	}
	// Contacts: the security one that was set, none of the others.
	if c := a.Contacts; c == nil || c.Security == nil || c.Security.Email != "security@example.com" || c.Billing != nil || c.Operations != nil {
		t.Errorf("contacts = %+v", a.Contacts)
	}
	// The contact information comes from the fake (moto lacks the API), for
	// the account's own (no AccountId).
	if c := a.PrimaryContact; c == nil || c.FullName != "Cloud Platform Team" || contactInfo.Calls[""] != 1 {
		t.Errorf("contact information = %+v, calls %v", a.PrimaryContact, contactInfo.Calls)
	}
	if a.Budgets == nil || len(*a.Budgets) != 1 || (*a.Budgets)[0].Name != "monthly" || len((*a.Budgets)[0].Notifications) != 1 {
		t.Errorf("budgets = %+v", a.Budgets)
	} else if al := (*a.Budgets)[0].Alerts; al == nil || len(*al) != 1 || (*al)[0].Subscribers == nil ||
		!reflect.DeepEqual(*(*al)[0].Subscribers, []model.BudgetSubscriber{{Type: "EMAIL", Address: "finops@example.com"}}) {
		t.Errorf("budget alerts = %+v", al)
	}
	if as := a.Assets; as == nil || as.S3Buckets != 1 || as.IAMUsers != 3 || as.Total != 4 || as.Size != "small" || len(as.Regions) == 0 {
		t.Errorf("assets = %+v", a.Assets)
	}
	checkDeclared(t, cs, calls)
}

// Every call the collectors make is one they declared, and all but
// GenerateCredentialReport are reads.
func checkDeclared(t *testing.T, cs []Collector, calls []string) {
	t.Helper()
	declared := Actions(cs)
	if len(calls) == 0 {
		t.Fatal("no calls recorded")
	}
	for _, c := range calls {
		if !slices.Contains(declared, c) {
			t.Errorf("%s was called but no collector declares it", c)
		}
		op := c[strings.IndexByte(c, ':')+1:]
		if c != "iam:GenerateCredentialReport" && !strings.HasPrefix(op, "Get") && !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "View") {
			// reads all start so; s3:ListAllMyBuckets too
			t.Errorf("%s is not a read", c)
		}
	}
}

// virtualRoot stands in for what moto cannot do: assign a virtual MFA
// device to root.
type virtualRoot struct{ IAMAPI }

func (virtualRoot) ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	return &iam.ListVirtualMFADevicesOutput{VirtualMFADevices: []iamtypes.VirtualMFADevice{
		{SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/alice"), User: &iamtypes.User{Arn: aws.String("arn:aws:iam::123456789012:user/alice")}},
		{SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/root-account-mfa-device"), User: &iamtypes.User{Arn: aws.String("arn:aws:iam::123456789012:root")}},
	}}, nil
}

// A virtual device on root means no hardware MFA, even beside a FIDO key.
func TestRootVirtualMFA_FakeAssignmentRootRowReportTimeSummaryAndContactInfo(t *testing.T) {
	cfg := motoConfig(t, nil)
	cl := NewClients(cfg)
	cl.IAM = virtualRoot{withRootRow{IAMAPI: cl.IAM, row: rootRow(true), mfa: true}}
	cl.Account = awstest.NewFakeContactInformation(cl.Account)
	a := model.Account{ID: motoAccount}
	if errs := CollectAccount(context.Background(), Collectors(Options{Poll: instantPoll(), Now: clock}), cl, &a); len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	if a.Root.HardwareMFA == nil || *a.Root.HardwareMFA || len(a.Root.VirtualMFADevices) != 1 {
		t.Errorf("hardware MFA = %v, virtual = %v", a.Root.HardwareMFA, a.Root.VirtualMFADevices)
	}
}

// Without the root row (moto as it is), the account's report cannot be
// used: the error says so, names the API, and no root is invented.
func TestCollectFromMotoWithoutRootRow_FakeContactInfo(t *testing.T) {
	cfg := motoConfig(t, nil)
	a := model.Account{ID: motoAccount} // as the CLI knows it from STS or the organization
	cl := NewClients(cfg)
	cl.Account = awstest.NewFakeContactInformation(cl.Account) // moto lacks it
	errs := CollectAccount(context.Background(), Collectors(Options{Poll: instantPoll()}), cl, &a)
	if len(errs) != 1 || errs[0].Source != "credential report" || !strings.Contains(errs[0].Message, "no <root_account> row") {
		t.Fatalf("errors = %+v", errs)
	}
	if a.Root != nil {
		t.Error("a root was invented")
	}
}

// deniedContactInformation stands in for a role allowed
// account:GetAlternateContact but not account:GetContactInformation (moto
// does not implement the latter, nor refuse anything).
type deniedContactInformation struct{ AccountAPI }

func (deniedContactInformation) GetContactInformation(context.Context, *account.GetContactInformationInput, ...func(*account.Options)) (*account.GetContactInformationOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: account:GetContactInformation"}
}

// Without GetContactInformation, the alternate contacts are still read and
// judged; only the contact information is reported as failed.
func TestContactInformationDenied_FakeDenied(t *testing.T) {
	cfg := motoConfig(t, nil)
	if _, err := account.NewFromConfig(cfg).PutAlternateContact(context.Background(), &account.PutAlternateContactInput{
		AlternateContactType: accounttypes.AlternateContactTypeSecurity, EmailAddress: aws.String("security@example.com"),
		Name: aws.String("Security team"), PhoneNumber: aws.String("+1 555 0100"), Title: aws.String("Security")}); err != nil {
		t.Fatal(err)
	}
	cl := NewClients(cfg)
	cl.Account = deniedContactInformation{cl.Account}
	a := model.Account{ID: motoAccount}
	errs := CollectAccount(context.Background(), []Collector{&AlternateContacts{}, &ContactInformation{}}, cl, &a)
	if len(errs) != 1 || errs[0].Source != "contact information" || !strings.Contains(errs[0].Message, "access denied") {
		t.Errorf("errors: %+v", errs)
	}
	if a.Contacts == nil || a.Contacts.Security == nil || !a.HasFact("contacts") || slices.Contains(a.FailedCollectors, "alternate contacts") {
		t.Errorf("alternate contacts lost: %+v, failed %v", a.Contacts, a.FailedCollectors)
	}
	if a.PrimaryContact != nil || !a.HasFact("primary_contact") {
		t.Errorf("primary contact %+v", a.PrimaryContact)
	}
	// An audit whose checks need only the alternate contacts does not ask.
	for _, c := range Collectors(Options{Facts: map[string]bool{"contacts": true}}) {
		if _, ok := c.(*ContactInformation); ok {
			t.Error("contact information collected though no check needs it")
		}
	}
}

// --assets with --checks keeps what asset counts read from other
// collectors: IAM users from the credential report, trails.
func TestAssetsKeepTheirSources(t *testing.T) {
	var names []string
	for _, c := range Collectors(Options{Facts: map[string]bool{"contacts": true}, Assets: true}) {
		names = append(names, c.Name())
	}
	for _, want := range []string{"credential report", "trails and root usage alarm", "asset counts", "alternate contacts"} {
		if !slices.Contains(names, want) {
			t.Errorf("collectors %v lack %s", names, want)
		}
	}
}
