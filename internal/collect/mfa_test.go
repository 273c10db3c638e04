package collect

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rootwatch/rootwatch/internal/model"
)

// fakeSummary is IAM's account summary with root's flags as given (moto
// reports them as 0 and leaves AccountPasswordPresent out); a flag not in
// the map is left out of the summary. listErr fails ListVirtualMFADevices.
type fakeSummary struct {
	IAMAPI
	flags   map[string]int32
	listErr error
}

func (f fakeSummary) GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	return &iam.GetAccountSummaryOutput{SummaryMap: f.flags}, nil
}

func (f fakeSummary) ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	return &iam.ListVirtualMFADevicesOutput{}, nil
}

func collectRootMFA(t *testing.T, root *model.Root, api fakeSummary) (*model.Root, error) {
	t.Helper()
	root.Derive()
	a := model.Account{Root: root}
	err := (&RootMFA{}).Collect(context.Background(), &Clients{IAM: api}, &a)
	return a.Root, err
}

// The live account summary is kept, and a key it sees that the report
// does not (made since) means root's credentials are not absent.
func TestRootMFAReadsTheAccountSummary_FakeIAM(t *testing.T) {
	r, err := collectRootMFA(t, &model.Root{PasswordEnabled: "false"}, fakeSummary{flags: map[string]int32{
		"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 0}})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Summary
	if s == nil || s.AccessKeysPresent == nil || !*s.AccessKeysPresent || s.SigningCertificatesPresent == nil || *s.SigningCertificatesPresent ||
		s.MFAEnabled == nil || *s.MFAEnabled || s.PasswordPresent != nil {
		t.Fatalf("summary %+v", s)
	}
	if r.CredentialsAbsent || !r.KeySinceReport {
		t.Errorf("credentials absent %v, key since report %v: want false, true", r.CredentialsAbsent, r.KeySinceReport)
	}
}

// A flag the summary does not hold is unknown, never "no": a summary
// without AccountAccessKeysPresent does not clear the key the report shows,
// nor one without AccountMFAEnabled the report's MFA.
func TestRootMFAMissingFlagIsUnknown_FakeIAM(t *testing.T) {
	root := &model.Root{PasswordEnabled: "true", MFAActive: true,
		AccessKeys: []model.Key{{Slot: 1, Active: true, LastRotated: model.At(mustTime(t, "2024-01-01T00:00:00Z"))}}}
	r, err := collectRootMFA(t, root, fakeSummary{flags: map[string]int32{"Users": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Summary; s == nil || s.MFAEnabled != nil || s.AccessKeysPresent != nil || s.SigningCertificatesPresent != nil {
		t.Fatalf("summary %+v: want every flag unknown", s)
	}
	if !r.MFA || r.CredentialsAbsent || r.KeySinceReport {
		t.Errorf("mfa %v, credentials absent %v, key since report %v: want true, false, false", r.MFA, r.CredentialsAbsent, r.KeySinceReport)
	}
}

// The fresher fact wins: AccountMFAEnabled 0 is no MFA now, whatever the
// report said, and no hardware MFA is claimed.
func TestRootMFASummaryBeatsReport_FakeIAM(t *testing.T) {
	r, err := collectRootMFA(t, &model.Root{PasswordEnabled: "true", MFAActive: true},
		fakeSummary{flags: map[string]int32{"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0}})
	if err != nil {
		t.Fatal(err)
	}
	if r.MFA || r.HardwareMFA != nil {
		t.Errorf("mfa %v, hardware %v: want false, unknown", r.MFA, r.HardwareMFA)
	}
	r, err = collectRootMFA(t, &model.Root{PasswordEnabled: "true", MFAActive: false},
		fakeSummary{flags: map[string]int32{"AccountMFAEnabled": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.MFA || r.HardwareMFA == nil || !*r.HardwareMFA {
		t.Errorf("mfa %v, hardware %v: want true, true (no virtual device)", r.MFA, r.HardwareMFA)
	}
}

// ListVirtualMFADevices throttled after GetAccountSummary showed a key, a
// certificate and MFA: the derived facts are recomputed from what was read,
// so root is not "credentials absent" on the report's older word.
func TestRootMFAFailingHalfWayLeavesNoStaleFact_FakeIAM(t *testing.T) {
	root := &model.Root{PasswordEnabled: "false"}
	r, err := collectRootMFA(t, root, fakeSummary{
		flags:   map[string]int32{"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 1},
		listErr: errors.New("Throttling: Rate exceeded"),
	})
	if err == nil {
		t.Fatal("want the throttling error")
	}
	if r.CredentialsAbsent || !r.MFA || !r.KeySinceReport || r.HardwareMFA != nil {
		t.Errorf("credentials absent %v, mfa %v, key since report %v, hardware %v: want false, true, true, unknown",
			r.CredentialsAbsent, r.MFA, r.KeySinceReport, r.HardwareMFA)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
