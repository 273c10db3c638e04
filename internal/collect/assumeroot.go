package collect

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// AuditRootTaskPolicy is the AssumeRoot task policy that allows reading a
// member root's credentials, and nothing else.
const AuditRootTaskPolicy = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"

// AssumeRootActions are what --assume-root calls: sts:AssumeRoot from the
// management account, then, as the member's root with the audit task
// policy, the reads that policy allows.
func AssumeRootActions() []string {
	return []string{"iam:GetAccessKeyLastUsed", "iam:GetLoginProfile", "iam:GetUser", "iam:ListAccessKeys",
		"iam:ListMFADevices", "iam:ListSigningCertificates", "sts:AssumeRoot"}
}

// AssumeRootConfig returns a configuration whose calls are made as the
// member account's root user, in a session limited to the audit task policy
// (at most 15 minutes; refreshed as needed).
func AssumeRootConfig(base aws.Config, stsAPI STSAPI, member string) aws.Config {
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(noRetryCredentials(aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		out, err := stsAPI.AssumeRoot(ctx, &sts.AssumeRootInput{
			TargetPrincipal: aws.String(member),
			TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(AuditRootTaskPolicy)},
			DurationSeconds: aws.Int32(900),
		})
		if err != nil {
			return aws.Credentials{}, err
		}
		c := out.Credentials
		return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: aws.ToTime(c.Expiration), Source: "sts:AssumeRoot"}, nil
	})))
	return cfg
}

// RootFromSession reads a member root's credentials directly, in an
// AssumeRoot session: login profile, access keys with their last use, MFA
// devices and signing certificates. It needs no role in the member account
// and is not subject to the credential report's 4-hour lag.
func RootFromSession(ctx context.Context, api IAMAPI, a *model.Account, now time.Time) error {
	user, err := api.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		return err
	}
	u := user.User
	root := model.Root{ARN: aws.ToString(u.Arn), CreatedAt: aws.ToTime(u.CreateDate).UTC(), PasswordEnabled: "true",
		PasswordLastUsed: model.Stamp{Marker: model.NoInformation}, PasswordLastChanged: model.Stamp{Marker: model.NotSupported}}
	if u.PasswordLastUsed != nil {
		root.PasswordLastUsed = model.At(*u.PasswordLastUsed)
	}
	if _, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err != nil {
		if apiCode(err) != "NoSuchEntity" {
			return err
		}
		root.PasswordEnabled = "false"
		if u.PasswordLastUsed == nil {
			root.PasswordLastUsed = model.Stamp{Marker: model.NotApplicable}
		}
	}
	keys, err := api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		return err
	}
	for i := range 2 {
		k := model.Key{Slot: i + 1, LastRotated: model.Stamp{Marker: model.NotApplicable}, LastUsed: model.Stamp{Marker: model.NotApplicable}}
		if i < len(keys.AccessKeyMetadata) {
			m := keys.AccessKeyMetadata[i]
			k.Active = m.Status == iamtypes.StatusTypeActive
			k.LastRotated = model.At(aws.ToTime(m.CreateDate))
			used, err := api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: m.AccessKeyId})
			if err != nil {
				return err
			}
			if lu := used.AccessKeyLastUsed; lu != nil && lu.LastUsedDate != nil {
				k.LastUsed = model.At(*lu.LastUsedDate)
				k.LastUsedRegion, k.LastUsedService = aws.ToString(lu.Region), aws.ToString(lu.ServiceName)
			}
		}
		root.AccessKeys = append(root.AccessKeys, k)
	}
	mfa, err := api.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil {
		return err
	}
	var virtual []string
	for _, d := range mfa.MFADevices {
		// Virtual devices are named by an ARN with ":mfa/"; FIDO keys by
		// ":u2f/"; hardware TOTP tokens by a serial number.
		if serial := aws.ToString(d.SerialNumber); strings.Contains(serial, ":mfa/") {
			virtual = append(virtual, serial)
		}
	}
	root.MFAActive = len(mfa.MFADevices) > 0
	root.VirtualMFADevices = virtual
	if root.MFAActive {
		hw := len(virtual) == 0
		root.HardwareMFA = &hw
	}
	certs, err := api.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{})
	if err != nil {
		return err
	}
	for i := range 2 {
		c := model.Cert{Slot: i + 1, LastRotated: model.Stamp{Marker: model.NotApplicable}}
		if i < len(certs.Certificates) {
			c.Active = certs.Certificates[i].Status == iamtypes.StatusTypeActive
			c.LastRotated = model.At(aws.ToTime(certs.Certificates[i].UploadDate))
		}
		root.Certificates = append(root.Certificates, c)
	}
	root.Derive()
	if a.ID != "" && !strings.HasSuffix(root.ARN, ":"+a.ID+":root") {
		return fmt.Errorf("the AssumeRoot session is of %s, not of account %s's root", root.ARN, a.ID)
	}
	a.Root, a.CreatedAt = &root, root.CreatedAt
	a.CredentialReport = &model.CredentialReportInfo{Source: "sts:AssumeRoot (" + AuditRootTaskPolicy + ")", GeneratedAt: now.UTC(), GeneratedAtSource: "live"}
	return nil
}
