// Package collect reads the snapshot live from AWS through aws-sdk-go-v2,
// read-only. Each collector declares the IAM actions it calls, so the
// least-privilege policy is printed from the declarations and a test fails
// when a collector calls an action it did not declare.
package collect

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/rootwatch/rootwatch/internal/model"
)

// IAMAPI is the part of the IAM client the collectors use; tests put fakes
// behind it for what moto cannot emulate.
type IAMAPI interface {
	GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error)
	GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error)
	GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error)
	ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error)
	// As the member's root, in an AssumeRoot session.
	GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	ListSigningCertificates(context.Context, *iam.ListSigningCertificatesInput, ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error)
}

// STSAPI is the part of the STS client rootwatch uses.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRoot(context.Context, *sts.AssumeRootInput, ...func(*sts.Options)) (*sts.AssumeRootOutput, error)
}

// AccountAPI is the part of the Account client rootwatch uses.
type AccountAPI interface {
	GetAlternateContact(context.Context, *account.GetAlternateContactInput, ...func(*account.Options)) (*account.GetAlternateContactOutput, error)
	GetContactInformation(context.Context, *account.GetContactInformationInput, ...func(*account.Options)) (*account.GetContactInformationOutput, error)
}

// BudgetsAPI is the part of the Budgets client rootwatch uses.
type BudgetsAPI interface {
	budgets.DescribeBudgetsAPIClient
	budgets.DescribeNotificationsForBudgetAPIClient
	budgets.DescribeSubscribersForNotificationAPIClient
}

// Clients are the service clients of one account.
type Clients struct {
	IAM     IAMAPI
	STS     STSAPI
	Account AccountAPI
	// ContactsOf, when set, is the member account whose alternate contacts
	// Account reads from the management account (AccountId), needing no
	// role in the member.
	ContactsOf string
	Budgets    BudgetsAPI
	CloudTrail CloudTrailAPI
	S3         interface {
		ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	}
	EC2 interface {
		DescribeRegions(context.Context, *ec2.DescribeRegionsInput, ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
	}
	// Regional returns the clients of a region.
	Regional func(region string) Regional
}

// NewClients builds the clients of one account from its configuration.
func NewClients(cfg aws.Config) *Clients {
	return &Clients{IAM: iam.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg), Account: account.NewFromConfig(cfg),
		Budgets: budgets.NewFromConfig(cfg), CloudTrail: cloudtrail.NewFromConfig(cfg), S3: s3.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg),
		Regional: func(region string) Regional {
			rc := cfg.Copy()
			rc.Region = region
			return Regional{Logs: cloudwatchlogs.NewFromConfig(rc), CloudWatch: cloudwatch.NewFromConfig(rc), SNS: sns.NewFromConfig(rc),
				EC2: ec2.NewFromConfig(rc), RDS: rds.NewFromConfig(rc)}
		}}
}

// BaseActions are called once per run, outside the collectors.
func BaseActions() []string { return []string{"sts:GetCallerIdentity"} }

// CurrentAccount asks STS which account the credentials belong to.
func CurrentAccount(ctx context.Context, c *Clients) (account, partition string, err error) {
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", "", describef(err, "find the current account (sts:GetCallerIdentity)")
	}
	return aws.ToString(out.Account), model.PartitionOf(aws.ToString(out.Arn)), nil
}

// Collector gathers one part of an account's facts.
type Collector interface {
	// Name names the collector in errors ("credential report").
	Name() string
	// Actions are the IAM actions it may call, as "service:Action".
	Actions() []string
	// Facts are the account facts it fills (the names rules' needs use).
	Facts() []string
	// Collect adds its facts to the account.
	Collect(ctx context.Context, c *Clients, a *model.Account) error
}

// pending finishes what a collector's first step began (the credential
// report: asked for, then waited for and read).
type pending func(ctx context.Context, a *model.Account) error

// AllCollectors returns every per-account collector, in the order they
// run (later ones read what earlier ones found: root MFA refines the
// credential report's root, asset counts take its IAM user count, budget
// subscribers the budgets' notifications).
func AllCollectors(o Options) []Collector {
	return []Collector{
		&AlternateContacts{},
		&ContactInformation{},
		&Budgets{},
		&BudgetSubscribers{},
		&RootUsageAlarm{Now: o.Now},
		&CredentialReport{MaxAge: o.MaxReportAge, Poll: o.Poll, Now: o.Now},
		&RootMFA{},
		&AssetCounts{},
	}
}

// Collectors returns the collectors a run needs: those filling one of
// o.Facts (all when nil), and asset counts only with o.Assets (no check
// judges them, and they cost two calls in every enabled region).
func Collectors(o Options) []Collector {
	facts := o.Facts
	if o.Assets && facts != nil {
		// Asset counts take the IAM users from the credential report and
		// the trails from the alarm collector.
		facts = maps.Clone(facts)
		facts["root"], facts["root_usage_alarm"] = true, true
	}
	var out []Collector
	for _, c := range AllCollectors(o) {
		if _, ok := c.(*AssetCounts); ok {
			if o.Assets {
				out = append(out, c)
			}
			continue
		}
		if facts == nil || slices.ContainsFunc(c.Facts(), func(f string) bool { return facts[f] }) {
			out = append(out, c)
		}
	}
	return out
}

// Actions returns every action the collectors declare, sorted.
func Actions(cs []Collector) []string {
	seen := map[string]bool{}
	for _, c := range cs {
		for _, a := range c.Actions() {
			seen[a] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// CollectAccount runs every collector on one account. The collectors
// that read only AWS run at once (the credential report is generated while
// contacts, budgets and trails are read, and an account's calls spread
// over the places a run has free); those that refine what others found
// run after them, in order (root MFA reads the credential report's root,
// asset counts its IAM users and the trails). A collector that fails is
// recorded with the API and the reason, and the others still run.
func CollectAccount(ctx context.Context, cs []Collector, c *Clients, a *model.Account) []model.SourceError {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, col := range cs {
		if !refines(col) {
			wg.Go(func() { errs[i] = col.Collect(ctx, c, a) })
		}
	}
	wg.Wait()
	for i, col := range cs {
		if refines(col) {
			errs[i] = col.Collect(ctx, c, a)
		}
	}
	var out []model.SourceError
	for i, err := range errs {
		if err != nil {
			out = append(out, SourceError(a.ID, cs[i].Name(), err))
			a.FailedCollectors = append(a.FailedCollectors, cs[i].Name())
		}
	}
	return out
}

// refines says whether a collector reads what other collectors found, so
// runs after them.
func refines(c Collector) bool {
	switch c.(type) {
	case *RootMFA, *AssetCounts, *BudgetSubscribers:
		return true
	}
	return false
}

// Describe words an AWS error for a person: the API, the class of failure
// and AWS's own message.
func Describe(err error) string { return describe(err) }

// describe words an AWS error for a person: the API, the class of failure
// and AWS's own message.
func describe(err error) string {
	var d *described
	if errors.As(err, &d) {
		return err.Error() // worded already
	}
	var oe *smithy.OperationError
	api := ""
	if errors.As(err, &oe) {
		api = oe.Service() + " " + oe.Operation() + ": "
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		return api + te.Error()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		class := ""
		switch code := ae.ErrorCode(); {
		case code == "AccessDenied" || code == "AccessDeniedException" || strings.HasSuffix(code, "UnauthorizedOperation"):
			class = "access denied"
		case strings.Contains(code, "Throttl") || code == "RequestLimitExceeded" || code == "TooManyRequestsException":
			class = "throttled past the retries"
		default:
			class = code
		}
		return fmt.Sprintf("%s%s: %s", api, class, ae.ErrorMessage())
	}
	return err.Error()
}

// RecordActions returns an SDK option that reports every call made, as
// "service:Action", before it is sent.
func RecordActions(record func(action string)) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		// At the Serialize step the service metadata is in the context
		// whichever order the Initialize middlewares were added in.
		return s.Serialize.Add(middleware.SerializeMiddlewareFunc("rootwatchRecordAction",
			func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
				record(ActionName(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)))
				return next.HandleSerialize(ctx, in)
			}), middleware.Before)
	}
}

// ActionName turns an SDK service ID and operation into the IAM action
// that authorises it: mostly the same name, except for services whose
// actions are named otherwise (every Budgets read is budgets:ViewBudget,
// every Budgets change budgets:ModifyBudget; EventBridge's prefix is
// events).
func ActionName(serviceID, operation string) string {
	prefix := strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	switch serviceID {
	case "CloudWatch Logs":
		prefix = "logs"
	case "EventBridge":
		prefix = "events"
	case "Budgets":
		if strings.HasPrefix(operation, "Describe") {
			return "budgets:ViewBudget"
		}
		if strings.HasPrefix(operation, "Create") || strings.HasPrefix(operation, "Update") || strings.HasPrefix(operation, "Delete") {
			return "budgets:ModifyBudget"
		}
	case "S3":
		if operation == "ListBuckets" {
			return "s3:ListAllMyBuckets"
		}
	}
	return prefix + ":" + operation
}
