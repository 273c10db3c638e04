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

// PermissionsPolicy is the least-privilege IAM policy for a live audit:
// exactly the actions the collectors declare. GenerateCredentialReport, the
// one call that is not a read, has a statement of its own.
func PermissionsPolicy() policyDocument {
	var read []string
	gen := false
	for _, a := range append(collect.BaseActions(), collect.Actions(collect.Collectors(collect.Options{}))...) {
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
	// For --org, from the management account or a delegated administrator:
	// the organization walk and the role assumed in each member, whose own
	// policy needs the two statements above.
	doc.Statement = append(doc.Statement, policyStatement{Sid: "RootwatchOrganization", Effect: "Allow",
		Action: collect.OrgActions(), Resource: "*"})
	// For --assume-root: the session's reads are granted by the AWS-managed
	// task policy; the caller needs only sts:AssumeRoot.
	doc.Statement = append(doc.Statement, policyStatement{Sid: "RootwatchAssumeRoot", Effect: "Allow",
		Action: []string{"sts:AssumeRoot"}, Resource: "*"})
	return doc
}

func newPermissionsCmd(d *Deps) *cobra.Command {
	return &cobra.Command{
		Use:   "permissions",
		Short: "Print the least-privilege IAM policy a live audit needs",
		Long: `Print the IAM policy document with exactly the actions rootwatch's collectors
call. Every action is a read, except iam:GenerateCredentialReport, which asks
IAM to refresh the account's credential report. The RootwatchOrganization
statement is needed only for --org, in the account rootwatch runs from; the
role it assumes in each member account needs the other statements.`,
		Example: `  rootwatch permissions > rootwatch-audit-policy.json
  aws iam create-policy --policy-name rootwatch-audit --policy-document file://rootwatch-audit-policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			enc := json.NewEncoder(d.Out)
			enc.SetIndent("", "  ")
			return enc.Encode(PermissionsPolicy())
		},
	}
}
