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
	// Whatever is read below, and however far, the derived facts are
	// recomputed from it: a call that fails half-way leaves none stale.
	defer a.Root.Derive()
	sum, err := cl.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		return err
	}
	a.Root.Summary = summaryOf(sum.SummaryMap)
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
	a.Root.Derive()
	if a.Root.MFA {
		// Every device that is not virtual is a hardware TOTP token or a
		// FIDO key (the API cannot tell a synced passkey from a key).
		hw := len(virtual) == 0
		a.Root.HardwareMFA = &hw
	}
	return nil
}

// summaryOf reads root's flags from GetAccountSummary's map. A flag the
// map does not hold is unknown (nil), never "no".
func summaryOf(m map[string]int32) *model.AccountSummary {
	flag := func(key string) *bool {
		v, ok := m[key]
		if !ok {
			return nil
		}
		b := v > 0
		return &b
	}
	return &model.AccountSummary{MFAEnabled: flag("AccountMFAEnabled"), AccessKeysPresent: flag("AccountAccessKeysPresent"),
		SigningCertificatesPresent: flag("AccountSigningCertificatesPresent"), PasswordPresent: flag("AccountPasswordPresent")}
}
