package collect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rootwatch/rootwatch/internal/model"
)

// op wraps err as the SDK returns it from an operation.
func op(service, operation string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: operation, Err: err}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{op("IAM", "GetCredentialReport", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}), "access_denied"},
		{op("EC2", "DescribeRegions", &smithy.GenericAPIError{Code: "UnauthorizedOperation"}), "access_denied"},
		{op("STS", "AssumeRole", &smithy.GenericAPIError{Code: "InvalidClientTokenId"}), "access_denied"},
		{op("IAM", "ListOrganizationsFeatures", &smithy.GenericAPIError{Code: "AccountNotManagementOrDelegatedAdministratorException"}), "access_denied"},
		{op("EC2", "DescribeInstances", &smithy.GenericAPIError{Code: "OptInRequired"}), "not_enabled"},
		{op("IAM", "ListOrganizationsFeatures", &smithy.GenericAPIError{Code: "ServiceAccessNotEnabledException"}), "not_enabled"},
		{op("Organizations", "DescribeOrganization", &smithy.GenericAPIError{Code: "AWSOrganizationsNotInUseException"}), "not_enabled"},
		{op("STS", "AssumeRoot", &smithy.GenericAPIError{Code: "RegionDisabledException"}), "not_enabled"},
		{op("IAM", "GetAccountSummary", &smithy.GenericAPIError{Code: "Throttling"}), "throttled"},
		{op("EC2", "DescribeInstances", &smithy.GenericAPIError{Code: "RequestLimitExceeded"}), "throttled"},
		{op("Organizations", "ListAccountsForParent", &smithy.GenericAPIError{Code: "TooManyRequestsException"}), "throttled"},
		{op("IAM", "GetLoginProfile", &smithy.GenericAPIError{Code: "NoSuchEntity"}), "not_found"},
		{op("Account", "GetAlternateContact", &smithy.GenericAPIError{Code: "ResourceNotFoundException"}), "not_found"},
		{op("IAM", "GetCredentialReport", &iamtypes.CredentialReportNotPresentException{}), "not_found"},
		{op("IAM", "GenerateCredentialReport", &iamtypes.LimitExceededException{}), "other"},
		{op("IAM", "GetUser", &TimeoutError{After: time.Second, Err: context.DeadlineExceeded}), "timeout"},
		{op("IAM", "GetUser", &smithy.CanceledError{Err: context.DeadlineExceeded}), "timeout"},
		{&reportNotReady{after: 3 * time.Minute}, "timeout"},
		{op("STS", "AssumeRoot", &smithy.GenericAPIError{Code: "InternalFailure"}), "other"},
		{op("IAM", "GetUser", &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}}, Err: errors.New("forbidden")}), "access_denied"},
		{fmt.Errorf("parse the credential report: %w", errors.New("no <root_account> row")), "other"},
		{describef(op("Organizations", "ListPoliciesForTarget", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}), "SCPs attached to ou-1"), "access_denied"},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// An error worded with what was being done keeps those words, and the
// AWS error's class.
func TestDescribefKeepsWordsAndClass(t *testing.T) {
	err := describef(op("Organizations", "ListPoliciesForTarget", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}), "SCPs attached to %s", "ou-1")
	e := SourceError("111122223333", "service control policies", fmt.Errorf("guardrail: %w", err))
	want := model.SourceError{Account: "111122223333", Source: "service control policies", Class: "access_denied",
		Message: "guardrail: SCPs attached to ou-1: Organizations ListPoliciesForTarget: access denied: no"}
	if e != want {
		t.Errorf("got %+v\nwant %+v", e, want)
	}
}

func TestCountByClass(t *testing.T) {
	got := CountByClass([]model.SourceError{{Class: "timeout"}, {Class: "access_denied"}, {}, {Class: "timeout"}})
	want := []ClassCount{{"access_denied", 1}, {"timeout", 2}, {"other", 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
