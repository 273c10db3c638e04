package cli

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
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
	forAll        = "all"        // every statement: every command, from the management account or anywhere
	forManagement = "management" // the account --org runs from
	forMember     = "member"     // the role --org assumes in each member
	forS3Logs     = "s3-logs"    // reading CloudTrail logs from S3: trail s3://, audit --cloudtrail s3://
	forAthena     = "athena"     // trail --athena
	forFix        = "fix"        // fix: its planning reads and --apply's changes
)

// permissionsFor are the values --for accepts, in the order help lists them.
func permissionsFor() []string {
	return []string{forAll, forManagement, forMember, forS3Logs, forAthena, forFix}
}

// s3LogActions are what reading CloudTrail logs from S3 calls (trail's
// S3 reader): ListObjectsV2, authorised by s3:ListBucket, and GetObject.
// kms:Decrypt reads logs encrypted with SSE-KMS, as CIS asks trails to be.
func s3LogActions() []string { return []string{"kms:Decrypt", "s3:GetObject", "s3:ListBucket"} }

// athenaActions are what trail --athena calls (StopQueryExecution when
// interrupted), and what Athena needs of the caller to read the table:
// its definition in Glue.
func athenaActions() []string {
	return []string{"athena:GetQueryExecution", "athena:GetQueryResults", "athena:StartQueryExecution", "athena:StopQueryExecution",
		"glue:GetDatabase", "glue:GetPartitions", "glue:GetTable"}
}

// athenaS3Actions are what Athena does in S3 with the caller's rights: read
// the table's logs, and write the results to the output location and read
// them back.
func athenaS3Actions() []string {
	return []string{"kms:Decrypt", "s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket",
		"s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:PutObject"}
}

// PermissionsPolicy is the least-privilege IAM policy for what role does
// (one of permissionsFor). A live audit needs exactly the actions the
// collectors declare; GenerateCredentialReport, the one call that is not a
// read, has a statement of its own. The member role needs the account's
// reads; the management account also walks the organization and opens
// AssumeRoot sessions. Reading CloudTrail logs from S3 and querying them
// on Athena have statements of their own.
func PermissionsPolicy(role string) policyDocument {
	doc := policyDocument{Version: "2012-10-17"}
	add := func(sid string, actions []string) {
		doc.Statement = append(doc.Statement, policyStatement{Sid: sid, Effect: "Allow", Action: actions, Resource: "*"})
	}
	if role == forAll || role == forManagement || role == forMember {
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
		add("RootwatchAuditRead", read)
		if gen {
			add("RootwatchGenerateCredentialReport", []string{"iam:GenerateCredentialReport"})
		}
	}
	if role == forAll || role == forManagement {
		// For --org, from the management account or a delegated
		// administrator.
		add("RootwatchOrganization", collect.OrgActions())
		// For --assume-root: the session's reads are granted by the
		// AWS-managed task policy; the caller needs only sts:AssumeRoot.
		add("RootwatchAssumeRoot", []string{"sts:AssumeRoot"})
	}
	if role == forAll || role == forS3Logs {
		add("RootwatchCloudTrailLogsRead", s3LogActions())
	}
	if role == forAll || role == forAthena {
		add("RootwatchAthenaQuery", athenaActions())
		add("RootwatchAthenaS3", athenaS3Actions())
	}
	if role == forFix {
		// Never part of "all": the only policy that changes AWS.
		add("RootwatchFixPlanRead", sortedUnique(fix.ReadActions()))
		add("RootwatchFixApply", sortedUnique(fix.Actions()))
	}
	return doc
}

// sortedUnique is a policy's action list: sorted, each once.
func sortedUnique(actions []string) []string {
	out := slices.Clone(actions)
	slices.Sort(out)
	return slices.Compact(out)
}

func newPermissionsCmd(d *Deps) *cobra.Command {
	role := forAll
	values := strings.Join(permissionsFor(), ", ")
	cmd := &cobra.Command{
		Use:   "permissions [--for " + strings.Join(permissionsFor(), "|") + "]",
		Short: "Print the least-privilege IAM policy rootwatch's AWS calls need",
		Long: `Print the IAM policy document with exactly the actions rootwatch calls. Every
action is a read, except iam:GenerateCredentialReport, which asks IAM to
refresh the account's credential report, and the S3 writes Athena makes to
the query output location; and, only with --for fix, the changes 'fix --apply'
makes.

  --for all         every read statement below, in one policy (the default)
  --for member      the role 'audit --org' assumes in each member account, and
                    what 'rootwatch audit' with no input needs in its account
  --for management  the account 'audit --org' runs from (the management account
                    or the IAM delegated administrator): also the organization
                    walk, sts:AssumeRole and sts:AssumeRoot
  --for s3-logs     reading CloudTrail logs from S3: 'trail s3://...' and
                    'audit --cloudtrail s3://...' (s3:ListBucket, s3:GetObject,
                    and kms:Decrypt for logs encrypted with SSE-KMS)
  --for athena      'trail --athena': the Athena query, the table in Glue, and
                    Athena's S3 reads of the logs and writes of the results
  --for fix         'rootwatch fix': the reads it makes to plan (beyond the
                    audit's: give the member/management policy too when it
                    audits live) and the changes --apply makes, in the
                    accounts and the management account it acts in. Never
                    part of "all": attach it only where fixes are applied

Resource is "*" throughout: narrow the S3 and KMS statements to the log
bucket, the output location and their keys where you know them.`,
		Example: `  rootwatch permissions --for member > member-role-policy.json
  aws iam create-policy --policy-name rootwatch-audit --policy-document file://member-role-policy.json
  rootwatch permissions --for s3-logs
  rootwatch permissions --for fix > fix-policy.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(permissionsFor(), role) {
				return usageError("--for %q: want one of %s", role, values)
			}
			enc := json.NewEncoder(d.Out)
			enc.SetIndent("", "  ")
			return enc.Encode(PermissionsPolicy(role))
		},
	}
	cmd.Flags().StringVar(&role, "for", forAll, "`WHO` the policy is for: "+values)
	return cmd
}
