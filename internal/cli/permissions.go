package cli

import (
	"encoding/json"
	"slices"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/collect"
)

type policyStatement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

type policyDocument struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

// Policy roles for --for.
const (
	forAll        = "all"        // every statement: run from the management account, or anywhere
	forManagement = "management" // the account --org runs from
	forMember     = "member"     // the role --org assumes in each member
)

// PermissionsPolicy is the least-privilege IAM policy for a live audit:
// exactly the actions the collectors declare. GenerateCredentialReport, the
// one call that is not a read, has a statement of its own. The member role
// needs the account's reads; the management account also walks the
// organization and opens AssumeRoot sessions.
func PermissionsPolicy(role string) policyDocument {
	var read []string
	gen := false
	for _, a := range append(collect.BaseActions(), collect.Actions(collect.AllCollectors(collect.Options{}))...) {
		if a == "iam:GenerateCredentialReport" {
			gen = true
			continue
		}
		read = append(read, a)
	}
	slices.Sort(read)
	doc := policyDocument{Version: "2012-10-17", Statement: []policyStatement{
		{Sid: "RootwatchAuditRead", Effect: "Allow", Action: read, Resource: "*"},
	}}
	if gen {
		doc.Statement = append(doc.Statement, policyStatement{Sid: "RootwatchGenerateCredentialReport", Effect: "Allow",
			Action: []string{"iam:GenerateCredentialReport"}, Resource: "*"})
	}
	if role == forMember {
		return doc
	}
	// For --org, from the management account or a delegated administrator.
	doc.Statement = append(doc.Statement, policyStatement{Sid: "RootwatchOrganization", Effect: "Allow",
		Action: collect.OrgActions(), Resource: "*"})
	// For --assume-root: the session's reads are granted by the AWS-managed
	// task policy; the caller needs only sts:AssumeRoot.
	doc.Statement = append(doc.Statement, policyStatement{Sid: "RootwatchAssumeRoot", Effect: "Allow",
		Action: []string{"sts:AssumeRoot"}, Resource: "*"})
	return doc
}

func newPermissionsCmd(d *Deps) *cobra.Command {
	role := forAll
	cmd := &cobra.Command{
		Use:   "permissions [--for management|member]",
		Short: "Print the least-privilege IAM policy a live audit needs",
		Long: `Print the IAM policy document with exactly the actions rootwatch's collectors
call. Every action is a read, except iam:GenerateCredentialReport, which asks
IAM to refresh the account's credential report.

  --for member      the role 'audit --org' assumes in each member account
  --for management  the account 'audit --org' runs from (the management account
                    or the IAM delegated administrator): also the organization
                    walk, sts:AssumeRole and sts:AssumeRoot`,
		Example: `  rootwatch permissions --for member > member-role-policy.json
  aws iam create-policy --policy-name rootwatch-audit --policy-document file://member-role-policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch role {
			case forAll, forManagement, forMember:
			default:
				return usageError("--for %q: want management or member", role)
			}
			enc := json.NewEncoder(d.Out)
			enc.SetIndent("", "  ")
			return enc.Encode(PermissionsPolicy(role))
		},
	}
	cmd.Flags().StringVar(&role, "for", forAll, "`WHO` the policy is for: management, member, or all (both in one)")
	return cmd
}
