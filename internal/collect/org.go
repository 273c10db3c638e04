package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/scp"
)

// OrgAPI is the part of the Organizations client the organization walk uses.
type OrgAPI interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListPoliciesForTarget(context.Context, *organizations.ListPoliciesForTargetInput, ...func(*organizations.Options)) (*organizations.ListPoliciesForTargetOutput, error)
	DescribePolicy(context.Context, *organizations.DescribePolicyInput, ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
}

// OrgActions are the calls of the organization walk and of reaching member
// accounts, made from the management (or delegated administrator) account.
func OrgActions() []string {
	return []string{"organizations:DescribeOrganization", "organizations:DescribePolicy", "organizations:ListAccountsForParent",
		"organizations:ListOrganizationalUnitsForParent", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "sts:AssumeRole",
		"iam:ListOrganizationsFeatures"}
}

// OrgAccount is an account of the organization with where it sits.
type OrgAccount struct {
	ID, Name, Status string
	// Email is the account's email address in Organizations: its root
	// user's email.
	Email string
	// OUPath is the path of OU names from the root, e.g. "Root/Workloads".
	OUPath string
	// OUIDs are the IDs of the root and every OU above the account.
	OUIDs []string
}

// DescribeOrganization reads the organization's ID, management account
// and feature set.
func DescribeOrganization(ctx context.Context, api OrgAPI) (model.Organization, error) {
	d, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return model.Organization{}, describef(err, "describe the organization (organizations:DescribeOrganization)")
	}
	return model.Organization{
		ID:                aws.ToString(d.Organization.Id),
		ManagementAccount: aws.ToString(d.Organization.MasterAccountId),
		FeatureSet:        string(d.Organization.FeatureSet),
	}, nil
}

// WalkAccounts lists every account with its OU path, walking the OU tree
// from the root, and returns them by ID. emit, when set, is told of each
// account as its page arrives, so work on it can start while the walk
// goes on (a large organization takes dozens of pages).
//
// A part of the tree that cannot be listed (an OU a delegated administrator
// may not read, throttling past the retries) is reported in skipped and the
// walk goes on with the rest. err is set only when nothing can be walked
// (the roots cannot be listed) or ctx ends.
func WalkAccounts(ctx context.Context, api OrgAPI, emit func(OrgAccount)) (accounts []OrgAccount, skipped []model.SourceError, err error) {
	var roots []orgtypes.Root
	for p := organizations.NewListRootsPaginator(api, &organizations.ListRootsInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, describef(err, "list the organization's roots")
		}
		roots = append(roots, page.Roots...)
	}
	skip := func(action string, cause error, format string, args ...any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		skipped = append(skipped, SourceError("", action, describef(cause, format, args...)))
		return nil
	}
	var walk func(parent, path string, ids []string) error
	walk = func(parent, path string, ids []string) error {
		ids = append(slices.Clone(ids), parent)
		for p := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				if err := skip("organizations:ListAccountsForParent", err, "the accounts of %s (%s) were not listed, nor audited", path, parent); err != nil {
					return err
				}
				break // its OUs may still be listed
			}
			for _, a := range page.Accounts {
				status := string(a.State)
				if status == "" {
					status = string(a.Status) // Status is retired for State; emulators may still send only Status
				}
				acct := OrgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), Status: status, OUPath: path, OUIDs: ids}
				accounts = append(accounts, acct)
				if emit != nil {
					emit(acct)
				}
			}
		}
		for p := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)}); p.HasMorePages(); {
			page, err := p.NextPage(ctx)
			if err != nil {
				return skip("organizations:ListOrganizationalUnitsForParent", err, "the OUs under %s (%s) were not listed, nor their accounts audited", path, parent)
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
			return nil, nil, err
		}
	}
	slices.SortFunc(accounts, func(a, b OrgAccount) int { return strings.Compare(a.ID, b.ID) })
	return accounts, skipped, nil
}

// SCPReader reads the SCPs attached to targets, each policy once.
type SCPReader struct {
	API      OrgAPI
	mu       sync.Mutex
	attached map[string][]orgtypes.PolicySummary
	content  map[string]string
}

// Guardrail returns the effective SCP guardrail on root of a member
// account: the policies attached to it and to every OU and root above it.
func (r *SCPReader) Guardrail(ctx context.Context, m OrgAccount) (*model.SCPGuardrail, error) {
	var policies []scp.Policy
	for _, target := range append(slices.Clone(m.OUIDs), m.ID) {
		summaries, err := r.attachedTo(ctx, target)
		if err != nil {
			return nil, err
		}
		for _, s := range summaries {
			doc, err := r.document(ctx, aws.ToString(s.Id))
			if err != nil {
				return nil, err
			}
			policies = append(policies, scp.Policy{ID: aws.ToString(s.Id), Name: aws.ToString(s.Name), Target: target, Document: doc})
		}
	}
	g, err := scp.Evaluate(m.ID, policies)
	if err != nil {
		return nil, err
	}
	out := &model.SCPGuardrail{Kind: g.Kind, By: g.By, AssumedRootExempt: g.AssumedRootExempt, AllowedRanges: g.AllowedRanges, Notes: g.Notes, Policies: []string{}}
	for _, p := range policies {
		out.Policies = append(out.Policies, fmt.Sprintf("%s (%s) on %s", p.Name, p.ID, p.Target))
	}
	return out, nil
}

// Policies returns the SCPs attached directly to a target (the root, an
// OU or an account), with their documents.
func (r *SCPReader) Policies(ctx context.Context, target string) ([]scp.Policy, error) {
	summaries, err := r.attachedTo(ctx, target)
	if err != nil {
		return nil, err
	}
	out := make([]scp.Policy, 0, len(summaries))
	for _, s := range summaries {
		doc, err := r.document(ctx, aws.ToString(s.Id))
		if err != nil {
			return nil, err
		}
		out = append(out, scp.Policy{ID: aws.ToString(s.Id), Name: aws.ToString(s.Name), Target: target, Document: doc})
	}
	return out, nil
}

func (r *SCPReader) attachedTo(ctx context.Context, target string) ([]orgtypes.PolicySummary, error) {
	r.mu.Lock()
	if r.attached == nil {
		r.attached, r.content = map[string][]orgtypes.PolicySummary{}, map[string]string{}
	}
	got, ok := r.attached[target]
	r.mu.Unlock()
	if ok {
		return got, nil
	}
	var list []orgtypes.PolicySummary
	p := organizations.NewListPoliciesForTargetPaginator(r.API, &organizations.ListPoliciesForTargetInput{
		TargetId: aws.String(target), Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, describef(err, "SCPs attached to %s", target)
		}
		list = append(list, page.Policies...)
	}
	r.mu.Lock()
	r.attached[target] = list
	r.mu.Unlock()
	return list, nil
}

func (r *SCPReader) document(ctx context.Context, id string) (string, error) {
	r.mu.Lock()
	doc, ok := r.content[id]
	r.mu.Unlock()
	if ok {
		return doc, nil
	}
	out, err := r.API.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)})
	if err != nil {
		return "", describef(err, "SCP %s", id)
	}
	doc = aws.ToString(out.Policy.Content)
	r.mu.Lock()
	r.content[id] = doc
	r.mu.Unlock()
	return doc, nil
}

// CentralizedRootAccess reads which centralized root access features the
// organization has enabled (an IAM API, answered only for the management
// account or the IAM delegated administrator).
func CentralizedRootAccess(ctx context.Context, api IAMAPI) (*model.CentralizedRoot, error) {
	out, err := api.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ServiceAccessNotEnabledException" {
		// IAM answers so while trusted access for iam.amazonaws.com is
		// off: neither feature can be on without it. A fact, not a gap.
		return &model.CentralizedRoot{}, nil
	}
	if err != nil {
		return nil, describef(err, "iam:ListOrganizationsFeatures")
	}
	c := &model.CentralizedRoot{}
	for _, f := range out.EnabledFeatures {
		switch f {
		case iamtypes.FeatureTypeRootCredentialsManagement:
			c.CredentialsManagement = true
		case iamtypes.FeatureTypeRootSessions:
			c.RootSessions = true
		}
	}
	return c, nil
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
	cfg.Credentials = aws.NewCredentialsCache(noRetryCredentials(provider))
	return cfg
}

// RoleARN is the ARN of a role in an account.
func RoleARN(partition, account, role string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":role/" + role
}
