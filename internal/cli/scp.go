package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/report"
	"github.com/rootwatch/rootwatch/internal/scp"
	"github.com/rootwatch/rootwatch/internal/scp/orgread"
)

func newScpCmd(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scp",
		Short: "Generate SCP guardrails for the root user and simulate where to attach them",
		Long: `Service control policies are the one thing that restricts a member account's root
user: IAM policies do not apply to it. 'scp generate' writes a guardrail policy,
'scp simulate' shows what attaching it at the organization root, an OU or an
account would do, from the organization as it is. Neither changes anything.

The guardrails (--kind):
  deny-root              deny root every action (judged deny-all)
  deny-root-without-mfa  deny root every action without MFA, seed 001's policy,
                         with BoolIfExists so calls signed with root's access keys
                         are denied too (judged deny-without-mfa)
  root-ip-allowlist      deny root every action from outside --cidr ranges, IPv4
                         or IPv6 (judged deny-outside-ip-ranges); from the ranges
                         root still acts without MFA

Each exempts centralized-root sessions (sts:AssumeRoot from the management
account) with "Null": {"aws:AssumedRoot": "true"}, so the management account can
still delete a member root's credentials; --no-assumed-root-exemption drops it.
SCPs never apply to the management account.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newScpGenerateCmd(d), newScpSimulateCmd(d))
	return cmd
}

// scpGenFlags are the flags that say which guardrail to write.
type scpGenFlags struct {
	kind     string
	cidrs    []string
	noExempt bool
	maxSize  int
}

func (f *scpGenFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	stringOnceVar(fl, &f.kind, "kind", "", "the guardrail `KIND`: "+strings.Join(scp.GenKinds(), ", ")+" (required)")
	fl.StringSliceVar(&f.cidrs, "cidr", nil, "root-ip-allowlist: an allowed source `RANGE` (CIDR, IPv4 or IPv6, or one address); repeat it or separate with commas")
	fl.BoolVar(&f.noExempt, "no-assumed-root-exemption", false, "deny centralized-root (sts:AssumeRoot) sessions too")
	fl.IntVar(&f.maxSize, "max-size", scp.DefaultMaxPolicySize, "the SCP size quota in `CHARACTERS` the minified policy is checked against (AWS raised it from 5120 in May 2026)")
}

// generate writes the guardrail, or says why not as a usage error.
func (f *scpGenFlags) generate() (*scp.Generated, error) {
	if f.kind == "" {
		return nil, usageError("--kind is required: %s", strings.Join(scp.GenKinds(), ", "))
	}
	if f.maxSize <= 0 {
		return nil, usageError("--max-size must be more than 0")
	}
	g, err := scp.Generate(scp.GenerateOptions{Kind: f.kind, CIDRs: f.cidrs, NoAssumedRootExemption: f.noExempt, MaxSize: f.maxSize})
	if err != nil {
		return nil, usageError("scp generate: %v", err)
	}
	return g, nil
}

func newScpGenerateCmd(d *Deps) *cobra.Command {
	var gf scpGenFlags
	var indent bool
	format := "text"
	cmd := &cobra.Command{
		Use:   "generate --kind KIND [--cidr RANGE,...]",
		Short: "Print a guardrail SCP for member accounts' root user",
		Long: `Print the guardrail policy on standard output, minified as it is sent to AWS
Organizations (--indent to read it), checked against the SCP size quota.

  --format text  the policy on stdout, and on stderr what it is: its name, the
                 guardrail 'audit' will judge it, its size against the quota
                 (the default)
  --format json  the policy only

The policy is written from Go structures, so the same flags give the same bytes.
Attach it with 'aws organizations create-policy --type SERVICE_CONTROL_POLICY'
and 'attach-policy', after 'rootwatch scp simulate' has shown where.

Exit codes: 0 written; 2 usage error: an unknown kind, a range that does not
parse, has host bits set or allows every address (0.0.0.0/0, ::/0), ranges
given to another kind, a policy over the size quota; 4 stdout could not be
written.`,
		Example: `  rootwatch scp generate --kind deny-root
  rootwatch scp generate --kind deny-root-without-mfa --indent
  rootwatch scp generate --kind root-ip-allowlist --cidr 203.0.113.0/24,2001:db8::/32 --format json > root-ips.json
  aws organizations create-policy --type SERVICE_CONTROL_POLICY --name rootwatch-root-ip-allowlist \
    --description "root from the corporate ranges only" --content file://root-ips.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usageError("unknown format %q (valid: text, json)", format)
			}
			g, err := gf.generate()
			if err != nil {
				return err
			}
			for _, w := range g.Warnings {
				d.logger().Warn(w)
			}
			if format == "text" {
				exempt := "centralized-root (AssumeRoot) sessions exempted"
				if !g.AssumedRootExempt {
					exempt = "no aws:AssumedRoot exemption"
				}
				fmt.Fprintf(d.ErrOut, "%s: judged %s; %d of %d characters minified; %s\n", g.Name(), g.Guardrail, g.Size, g.MaxSize, exempt)
				if len(g.AllowedRanges) > 0 {
					fmt.Fprintf(d.ErrOut, "root allowed from: %s\n", strings.Join(g.AllowedRanges, ", "))
				}
			}
			doc := g.Minified
			if indent {
				doc = g.Indented()
			}
			if _, err := fmt.Fprintf(d.Out, "%s\n", doc); err != nil {
				return &ExitError{Code: exitInternal, Err: fmt.Errorf("write the policy: %w", err)}
			}
			return nil
		},
	}
	gf.add(cmd)
	cmd.Flags().BoolVar(&indent, "indent", false, "indent the policy for reading (the size checked is the minified one's)")
	stringOnceVarP(cmd.Flags(), &format, "format", "f", "text", "output `FORMAT`: text, json")
	return cmd
}

type scpSimulateOptions struct {
	gen                          scpGenFlags
	targets, keepRoot            []string
	format                       string
	maxPerTarget                 int
	profile, region, endpointURL string
}

func newScpSimulateCmd(d *Deps) *cobra.Command {
	o := &scpSimulateOptions{format: "table"}
	cmd := &cobra.Command{
		Use:   "simulate --target r-...|ou-...|ACCOUNT --kind KIND [--keep-root ACCOUNT,...]",
		Short: "Show which accounts' root a guardrail would newly cover at each placement",
		Long: `Read the organization as it is (from the management account or a delegated
administrator: Organizations reads only, see 'rootwatch permissions --for
management') and show, for each --target, what attaching the generated
guardrail there would do: every account under it with its root's guardrail now
and with it attached (judged as 'audit' judges root-scp-guardrail), those newly
covered, the management account, which SCPs never cover, and the targets on the
way that already hold the quota of SCPs (attaching one more fails with
ConstraintViolationException).

A placement is blocked when its target already holds the quota, or when a
deny-root would cover a --keep-root break-glass account (its root could not
sign in at all). deny-root-without-mfa and root-ip-allowlist do not lock a
break-glass root out: it keeps its way in with its MFA device, or from the
allowed ranges, and simulate says which.

  --format table  per target, a line per account (the default)
  --format json   {organization, management_account, guardrail, placements, unread}

Exit codes: 0 every placement can be made; 2 usage error, a bad --cidr, an
unknown target, the organization could not be read, or a placement is blocked
(the output is written first, the error names the target and the account); 3
parts of the organization could not be listed (their accounts are missing); 4
the output could not be written; 130 interrupted.`,
		Example: `  rootwatch scp simulate --kind deny-root --target r-ab12
  rootwatch scp simulate --kind deny-root --target ou-ab12-11111111 --target ou-ab12-22222222 --keep-root 111122223333
  rootwatch scp simulate --kind root-ip-allowlist --cidr 203.0.113.0/24 --target 444455556666 --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runScpSimulate(cmd.Context(), d, o) },
	}
	o.gen.add(cmd)
	f := cmd.Flags()
	f.StringSliceVar(&o.targets, "target", nil, "`TARGET` where the guardrail would be attached: the root (r-...), an OU (ou-...) or an account ID; repeat it or separate with commas (required)")
	f.StringSliceVar(&o.keepRoot, "keep-root", nil, "break-glass `ACCOUNT` IDs whose root must keep a way in; repeat it or separate with commas")
	f.IntVar(&o.maxPerTarget, "max-scps", scp.DefaultMaxPerTarget, "the quota of SCPs attached to one target (`N`; AWS raised it from 5 in May 2026)")
	stringOnceVarP(f, &o.format, "format", "f", "table", "output `FORMAT`: "+strings.Join(report.SCPSimulateFormats(), ", "))
	stringOnceVar(f, &o.profile, "profile", "", "AWS `PROFILE` from the shared config (default: AWS_PROFILE or the default chain)")
	stringOnceVar(f, &o.region, "region", "", "AWS `REGION` (default: AWS_REGION or the profile's)")
	stringOnceVar(f, &o.endpointURL, "endpoint-url", "", "send AWS calls to this `URL` (emulators, VPC endpoints)")
	return cmd
}

func runScpSimulate(ctx context.Context, d *Deps, o *scpSimulateOptions) error {
	if !slices.Contains(report.SCPSimulateFormats(), o.format) {
		return usageError("unknown format %q (valid: %s)", o.format, strings.Join(report.SCPSimulateFormats(), ", "))
	}
	if len(o.targets) == 0 {
		return usageError("--target is required: the root (r-...), an OU (ou-...) or an account ID")
	}
	for _, t := range o.targets {
		if scp.TargetKind(t) == "" {
			return usageError("--target %q is neither a root (r-...), an OU (ou-...-...) nor an account ID (12 digits)", t)
		}
	}
	for _, k := range o.keepRoot {
		if scp.TargetKind(k) != "account" {
			return usageError("--keep-root %q is not an account ID (12 digits)", k)
		}
	}
	if o.maxPerTarget <= 0 {
		return usageError("--max-scps must be more than 0")
	}
	g, err := o.gen.generate()
	if err != nil {
		return err
	}
	for _, w := range g.Warnings {
		d.logger().Warn(w)
	}
	cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: o.profile, Region: o.region, EndpointURL: o.endpointURL, Record: d.AWSRecord})
	if err != nil {
		return usageError("%v", err)
	}
	var api collect.OrgAPI = organizations.NewFromConfig(cfg)
	if d.OrgAPI != nil {
		api = d.OrgAPI(cfg)
	}
	org, err := orgread.Read(ctx, api, o.targets)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return usageError("read the organization: %v", err)
	}
	var placements []*scp.Placement
	var blocked []string
	for _, t := range o.targets {
		p, err := scp.Simulate(org, t, g, scp.SimulateOptions{KeepRoot: o.keepRoot, MaxPerTarget: o.maxPerTarget})
		if err != nil {
			return usageError("scp simulate --target %s: %v", t, err)
		}
		placements = append(placements, p)
		if err := p.Err(); err != nil {
			blocked = append(blocked, fmt.Sprintf("placing %s at %s is blocked: %v", g.Name(), t, err))
		}
	}
	if err := report.WriteSCPSimulation(d.Out, o.format, report.NewSCPSimulation(org, g, placements)); err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	if len(blocked) > 0 {
		return &ExitError{Code: ExitUsage, Err: errors.New(strings.Join(blocked, "\n"))}
	}
	if len(org.Unread) > 0 {
		return &ExitError{Code: ExitPartial, Err: fmt.Errorf("parts of the organization could not be listed; their accounts are missing: %s", strings.Join(org.Unread, "; "))}
	}
	return nil
}
