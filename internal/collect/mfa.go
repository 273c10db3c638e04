package collect

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// RootMFA reads IAM's account summary of root (AccountMFAEnabled,
// AccountAccessKeysPresent, AccountSigningCertificatesPresent: live, where
// the credential report lags up to 4 hours) and which of root's MFA
// devices are virtual (ListVirtualMFADevices). Root can
// hold up to 8 devices and any one signs in, so one virtual device means no
// hardware MFA, whatever else is registered.
type RootMFA struct{}

func (*RootMFA) Name() string { return "root MFA" }

func (*RootMFA) Facts() []string { return []string{"root"} }

func (*RootMFA) Actions() []string {
	return []string{"iam:GetAccountSummary", "iam:ListVirtualMFADevices"}
}

func (*RootMFA) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	if a.Root == nil {
		// Without the credential report there is no root to add facts to;
		// that failure is already recorded, and the checks say error.
		return nil
	}
	sum, err := cl.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		return err
	}
	m := sum.SummaryMap
	a.Root.Summary = &model.AccountSummary{MFAEnabled: m["AccountMFAEnabled"] == 1,
		AccessKeysPresent: m["AccountAccessKeysPresent"] == 1, SigningCertificatesPresent: m["AccountSigningCertificatesPresent"] == 1}
	if a.Root.Summary.MFAEnabled {
		a.Root.MFAActive = true
	}
	var virtual []string
	p := iam.NewListVirtualMFADevicesPaginator(cl.IAM, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAssigned})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, d := range page.VirtualMFADevices {
			if d.User != nil && strings.HasSuffix(aws.ToString(d.User.Arn), ":root") {
				virtual = append(virtual, aws.ToString(d.SerialNumber))
			}
		}
	}
	a.Root.VirtualMFADevices = virtual
	if a.Root.MFAActive {
		// Every device that is not virtual is a hardware TOTP token or a
		// FIDO key (the API cannot tell a synced passkey from a key).
		hw := len(virtual) == 0
		a.Root.HardwareMFA = &hw
	}
	a.Root.Derive()
	return nil
}
