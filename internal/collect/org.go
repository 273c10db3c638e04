package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rootwatch/rootwatch/internal/model"
)

// OrgAPI is the part of the Organizations client the organization walk uses.
type OrgAPI interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
}

// OrgActions are the calls of the organization walk and of reaching member
// accounts, made from the management (or delegated administrator) account.
func OrgActions() []string {
	return []string{"organizations:DescribeOrganization", "organizations:ListAccountsForParent",
		"organizations:ListOrganizationalUnitsForParent", "organizations:ListRoots", "sts:AssumeRole"}
}

// OrgAccount is an account of the organization with where it sits.
type OrgAccount struct {
	ID, Name, Status string
	// OUPath is the path of OU names from the root, e.g. "Root/Workloads".
	OUPath string
	// OUIDs are the IDs of the root and every OU above the account.
	OUIDs []string
}

// WalkOrganization describes the organization and lists every account with
// its OU path, walking the OU tree from the root.
func WalkOrganization(ctx context.Context, api OrgAPI) (model.Organization, []OrgAccount, error) {
	d, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return model.Organization{}, nil, fmt.Errorf("describe the organization (organizations:DescribeOrganization): %s", describe(err))
	}
	org := model.Organization{
		ID:                aws.ToString(d.Organization.Id),
		ManagementAccount: aws.ToString(d.Organization.MasterAccountId),
		FeatureSet:        string(d.Organization.FeatureSet),
	}
	var roots []orgtypes.Root
	for p := organizations.NewListRootsPaginator(api, &organizations.ListRootsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return org, nil, fmt.Errorf("list the organization's roots: %s", describe(err))
		}
		roots = append(roots, page.Roots...)
	}
	var accounts []OrgAccount
	var walk func(parent, path string, ids []string) error
	walk = func(parent, path string, ids []string) error {
		ids = append(slices.Clone(ids), parent)
		for p := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list the accounts of %s (%s): %s", path, parent, describe(err))
			}
			for _, a := range page.Accounts {
				status := string(a.State)
				if status == "" {
					status = string(a.Status) // Status is retired for State; emulators may still send only Status
				}
				accounts = append(accounts, OrgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Status: status, OUPath: path, OUIDs: ids})
			}
		}
		for p := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list the OUs of %s (%s): %s", path, parent, describe(err))
			}
			for _, ou := range page.OrganizationalUnits {
				if err := walk(aws.ToString(ou.Id), path+"/"+aws.ToString(ou.Name), ids); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range roots {
		name := aws.ToString(r.Name)
		if name == "" {
			name = "Root"
		}
		if err := walk(aws.ToString(r.Id), name, nil); err != nil {
			return org, nil, err
		}
	}
	slices.SortFunc(accounts, func(a, b OrgAccount) int { return strings.Compare(a.ID, b.ID) })
	return org, accounts, nil
}

// AssumeRole returns a configuration whose calls are made in another
// account through a role there (credentials cached and refreshed).
func AssumeRole(base aws.Config, roleARN, externalID string) aws.Config {
	cfg := base.Copy()
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "rootwatch-audit"
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	cfg.Credentials = aws.NewCredentialsCache(provider)
	return cfg
}

// RoleARN is the ARN of a role in an account.
func RoleARN(partition, account, role string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":role/" + role
}
