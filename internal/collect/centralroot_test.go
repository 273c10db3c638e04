package collect

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// centralRootFake answers ListOrganizationsFeatures with err.
type centralRootFake struct {
	IAMAPI
	err error
}

func (f centralRootFake) ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	return nil, f.err
}

// While trusted access for IAM is off, IAM refuses to list the features:
// neither can be on, which is a fact (both off), not an unread input.
// AccessDenied stays an error.
func TestCentralizedRootAccessTrustedAccessOff_Fake(t *testing.T) {
	off := &smithy.OperationError{ServiceID: "IAM", OperationName: "ListOrganizationsFeatures",
		Err: &smithy.GenericAPIError{Code: "ServiceAccessNotEnabledException", Message: "trusted access is not enabled"}}
	c, err := CentralizedRootAccess(context.Background(), centralRootFake{err: off})
	if err != nil || c == nil || c.CredentialsManagement || c.RootSessions {
		t.Errorf("trusted access off: %+v, %v; want both features off, no error", c, err)
	}
	denied := &smithy.OperationError{ServiceID: "IAM", OperationName: "ListOrganizationsFeatures",
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}}
	c, err = CentralizedRootAccess(context.Background(), centralRootFake{err: denied})
	var ae smithy.APIError
	if c != nil || !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("AccessDenied: %+v, %v; want the error", c, err)
	}
}
