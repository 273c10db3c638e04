package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/fix"
	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
	"github.com/rootwatch/rootwatch/internal/scp"
)

// FixOptions are the fix command's flags and dependencies.
type FixOptions struct {
	Deps *Deps
	InputOptions
	StoreOptions

	ReportPath string
	PlanPath   string
	PlanOut    string
	Apply      bool
	Yes        bool
	Only       []string
	KeepRoot   []string
	Notify     []string

	// The scp kind's guardrail: --guardrail, --cidr, --guardrail-target,
	// --max-scps.
	Guardrail        string
	GuardrailCIDRs   []string
	GuardrailTargets []string
	MaxSCPs          int

	Format     string
	LogPath    string
	MaxPlanAge time.Duration
	// Emit writes the plan as code (--emit, --emit-dir, --force).
	EmitOptions

	// Account hygiene: --contacts, --budget-limit, --budget-notify.
	ContactsPath string
	BudgetLimit  string
	BudgetNotify []string

	// Parsed by check.
	notify       []fix.Endpoint
	contacts     *fix.ContactsFile
	budgetNotify []fix.BudgetRecipient
	// accounts narrow the plan (--accounts); roleName and externalID
	// reach the members named by a file or plan.
	accounts   []string
	roleName   string
	externalID string
	// unread are the accounts the audit could not read.
	unread []fix.AccountError

	// hooks are tests' way in; zero in the binary.
	hooks fixHooks
}

// fixHooks let tests put fakes behind the calls fix makes.
type fixHooks struct {
	// reach wraps an account's clients (faults such as AccessDenied).
	reach func(account string, r fix.Reach) fix.Reach
}

// defaultMaxPlanAge is how old a saved plan may be applied.
const defaultMaxPlanAge = 24 * time.Hour

func newFixCmd(d *Deps) *cobra.Command { return newFixCommand(d, fixHooks{}) }

func newFixCommand(d *Deps, hooks fixHooks) *cobra.Command {
	opts := &FixOptions{Deps: d, hooks: hooks}
	cmd := &cobra.Command{
		Use:   "fix [--apply] [--only KIND,...] [audit inputs | --report FILE | --plan FILE]",
		Short: "Plan the API calls that fix an audit's findings, and apply them when told",
		Long: `Plan, from an audit, the AWS API calls that fix its findings: one step per fix,
with the account, the calls and their parameters, and why. Nothing changes
without --apply.

Inputs: the audit's (with none, the current account is audited live; --org,
--snapshot FILE), a JSON report written by 'rootwatch audit --format json'
(--report FILE), or a plan saved with --plan-out (--plan FILE). Planning reads
the live state of what the steps would change (reads only), so a plan is
idempotent: applied, it plans nothing the next time.

Step kinds (--only):
  alarm  where root-usage-alarm fails: on the trail's log group the CIS
         metric filter rootwatch-root-usage (CISBenchmark/RootAccountUsageCount),
         the alarm rootwatch-root-usage (Sum >= 1 in 5 minutes), the SNS
         topic rootwatch-root-activity with the --notify subscriptions, and
         the EventBridge rule rootwatch-root-activity sending every root
         sign-in and root API call to the topic as it happens: in the log
         group's region and in us-east-1 (where console sign-ins and the
         calls of IAM and other global services are recorded), each with
         a topic of its region. Root calls in other regions are caught
         by the alarm (the trail is multi-region).
         A chain broken before the log group (no trail, not multi-region,
         not logging, no delivery to CloudWatch Logs) is shown blocked: fix
         does not create trails.
  root-access
         where centralized-root-access fails, from the management account
         (or the IAM delegated administrator): trusted access for IAM
         (organizations:EnableAWSServiceAccess iam.amazonaws.com), then
         iam:EnableOrganizationsRootCredentialsManagement and
         iam:EnableOrganizationsRootSessions, each only when off; then, per
         member whose root still holds credentials, a step that opens an
         sts:AssumeRoot session (IAMDeleteRootUserCredentials) and deletes
         exactly what the plan lists, read in an IAMAuditRootUserCredentials
         session: the password, access keys, signing certificates, and MFA
         devices (deactivated; virtual ones deleted). DELETIONS CANNOT BE
         UNDONE. Until both features are on, member steps are shown
         blocked: apply, then plan again. --keep-root accounts are
         never reached, not even read; the management account's root is not
         one centralized root access manages.
  scp    where root-scp-guardrail fails, from the management account: the
         SCP rootwatch-GUARDRAIL as 'rootwatch scp generate' writes it
         (--guardrail, default deny-root-without-mfa, seed 001's policy),
         created (the SCP policy type enabled first if off) and attached to
         each failing member account, or to --guardrail-target instead, as
         'rootwatch scp simulate' judges the placement. Blocked: a target at
         --max-scps, a deny-root over a --keep-root account (its root could
         not sign in) or a deny without MFA over one whose root has no MFA,
         a policy of that name with another document. SCPs
         never apply to the management account.
  contacts
         where alternate-contacts or security-contact-registered fails: in
         the account itself, account:PutAlternateContact for each billing,
         operations or security contact that is missing or differs from the
         --contacts file (YAML: a default block, and per 12-digit account ID
         the contacts that replace the default's; each contact a name,
         email, phone with its country code, and an optional title). Undo
         puts the previous contact back, or deletes the one made.
  budget where budget-daily-alert fails: the COST budget rootwatch-daily with
         the DAILY time unit and the --budget-limit (USD), alerting the
         --budget-notify recipients (at least two) when a day's actual
         spend passes 100% of it (seed 003); an existing rootwatch-daily
         gets only the alert or recipients it lacks.
         Without --contacts (contacts) or --budget-notify (budget) these two
         plan only when --only names them: blocked, saying what to give.

Applying: --apply asks "Apply N steps in M accounts? [y/N]" on a terminal;
elsewhere it needs --yes. Steps run account by account in plan order; a
failed call undoes the calls its step made (nothing is half-applied) and
stops that account's remaining steps; other accounts go on. Every call is
appended to the run log (--log, JSON lines: time, account, step, action,
params, result, output, undo). With --store (or $ROOTWATCH_STORE) the run
log's entries are also written to the history store when the run ends,
under a run ID ('rootwatch history fixes' lists them); a store that cannot
take them is exit 3, the run log keeping them.

As code: --emit cloudformation|terraform writes the plan to --emit-dir
(default rootwatch-FORMAT) instead of showing it, for teams that apply
through code review, and applies nothing: CloudFormation templates (one,
StackSet-ready, for the member accounts, the log group its parameter; one
for the management account) or one Terraform configuration (main.tf, a
provider per account and region). Calls no resource makes (root credential
deletions, trusted access, policy types) are listed in not-expressible.json
and on stderr. Files already there are replaced only with --force.

A saved plan (--plan) is applied as it was planned (its calls are puts and
creates that AWS treats as idempotent), keeping its --keep-root accounts, and
is refused when its evidence is older than
--max-plan-age, when the credentials' account or organization is not the
plan's, or, with --store, when an account was audited again after the
evidence the plan rests on.

Exit codes: 0 nothing to do, or every step applied; 1 steps planned (dry run);
2 usage or input error; 3 some accounts could not be planned, steps are
blocked, steps failed, or --store did not keep the calls; 130 interrupted.`,
		Example: `  # What would be done in the current account
  rootwatch fix --notify email:security@example.com

  # Save the plan, review it, apply it
  rootwatch fix --org --notify email:security@example.com --plan-out plan.json
  rootwatch fix --plan plan.json --apply`,
		Args: reportPaths(&opts.InputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Reports = append(opts.Reports, args...)
			return runFix(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addInputFlags(f, &opts.InputOptions, "plan fixes for")
	addStoreFlag(f, &opts.StoreOptions)
	f.Lookup("store").Usage = "the history store at `URL` (sqlite:PATH, postgres://..., a file path, or 'default'; $" + history.EnvStore + " alone too): with --apply, keep every call made there ('rootwatch history fixes'); with --plan, refuse a plan older than an audit kept there"
	stringOnceVar(f, &opts.SnapshotPath, "snapshot", "", "plan from a snapshot `FILE` written by 'rootwatch snapshot'")
	stringOnceVar(f, &opts.ReportPath, "report", "", "plan from a JSON report `FILE` written by 'rootwatch audit --format json'")
	stringOnceVar(f, &opts.PlanPath, "plan", "", "apply (or show) a plan `FILE` saved with --plan-out")
	stringOnceVar(f, &opts.PlanOut, "plan-out", "", "save the plan to `FILE` (JSON) for review and a later --plan")
	f.BoolVar(&opts.Apply, "apply", false, "make the calls (default: show them)")
	f.BoolVar(&opts.Yes, "yes", false, "with --apply: do not ask for confirmation")
	f.StringSliceVar(&opts.Only, "only", nil, "only these step `KINDS`: "+strings.Join(fix.KindNames(), ", "))
	f.StringSliceVar(&opts.KeepRoot, "keep-root", nil, "break-glass account `IDs` whose root credentials are never touched")
	f.StringSliceVar(&opts.Notify, "notify", nil, "alarm: the root-activity topic's subscriptions (`email:ADDRESS,https:URL`)")
	stringOnceVar(f, &opts.Guardrail, "guardrail", "", "scp: the guardrail `KIND`: "+strings.Join(scp.GenKinds(), ", ")+" (default "+fix.DefaultGuardrail+", seed 001's policy)")
	f.StringSliceVar(&opts.GuardrailCIDRs, "cidr", nil, "scp, root-ip-allowlist: an allowed source `RANGE` (CIDR, IPv4 or IPv6, or one address); repeat it or separate with commas")
	f.StringSliceVar(&opts.GuardrailTargets, "guardrail-target", nil, "scp: attach the guardrail to these `TARGETS` (r-..., ou-..., account IDs) instead of each failing account")
	f.IntVar(&opts.MaxSCPs, "max-scps", scp.DefaultMaxPerTarget, "scp: the quota of SCPs attached to one target (`N`; AWS raised it from 5 in May 2026)")
	stringOnceVar(f, &opts.ContactsPath, "contacts", "", "contacts: the alternate contacts `FILE` (YAML: default and per-account billing, operations, security)")
	stringOnceVar(f, &opts.BudgetLimit, "budget-limit", "", "budget: the daily budget's limit (`USD`), some 50% above a typical day")
	f.StringSliceVar(&opts.BudgetNotify, "budget-notify", nil, "budget: the daily alert's recipients, at least two (`email:ADDRESS,sns:TOPIC-ARN`)")
	stringOnceVarP(f, &opts.Format, "format", "f", "table", "plan and results as table or json")
	stringOnceVar(f, &opts.LogPath, "log", "", "with --apply: append the run log to `FILE` (default rootwatch-fix-TIME.jsonl in the current directory)")
	f.DurationVar(&opts.MaxPlanAge, "max-plan-age", defaultMaxPlanAge, "--plan: refuse a plan whose evidence is older than this `DURATION`")
	addEmitFlags(f, &opts.EmitOptions)
	return cmd
}

// check validates the flags before any work is done.
func (o *FixOptions) check() error {
	if o.Format != "table" && o.Format != "json" {
		return usageError("--format %q: want table or json", o.Format)
	}
	if err := fix.CheckKinds(o.Only); err != nil {
		return usageError("--only: %v", err)
	}
	for _, fl := range []struct {
		name string
		ids  []string
	}{{"--keep-root", o.KeepRoot}, {"--accounts", o.Accounts}} {
		for _, id := range fl.ids {
			if !fix.IsAccountID(id) {
				return usageError("%s %q: not a 12-digit account ID", fl.name, id)
			}
		}
	}
	var err error
	if o.notify, err = fix.ParseNotify(o.Notify); err != nil {
		return usageError("%v", err)
	}
	if err := o.checkHygiene(); err != nil {
		return err
	}
	if err := o.checkGuardrail(); err != nil {
		return err
	}
	if o.Yes && !o.Apply {
		return usageError("--yes confirms --apply: give --apply too")
	}
	if o.LogPath != "" && !o.Apply {
		return usageError("--log is the run log of --apply: give --apply too")
	}
	if err := o.EmitOptions.check(o.Apply); err != nil {
		return err
	}
	if o.MaxPlanAge <= 0 {
		return usageError("--max-plan-age must be more than 0")
	}
	files := 0
	for _, set := range []bool{o.ReportPath != "", o.PlanPath != "", o.SnapshotPath != "", o.Demo, len(o.Reports) > 0} {
		if set {
			files++
		}
	}
	if files > 1 {
		return usageError("give one of --snapshot, --report and --plan")
	}
	if o.Demo || len(o.Reports) > 0 {
		return usageError("fix acts on AWS: plan from a live audit, --snapshot, --report or --plan, not --demo or credential reports")
	}
	if o.PlanPath != "" && (len(o.Only) > 0 || len(o.Notify) > 0) {
		return usageError("--plan applies a saved plan as it is: --only and --notify shape a new plan")
	}
	if o.PlanPath == "-" && o.Apply && !o.Yes {
		return usageError("--plan - reads the plan from standard input, where the confirmation would be read: give --yes")
	}
	if o.PlanOut != "" && o.PlanPath != "" {
		return usageError("--plan-out saves a new plan: it does not go with --plan")
	}
	// --accounts narrows the plan whatever the input; --role-name and
	// --external-id reach the members a file names. The audit's input
	// flags take them with --org only, so they are taken out of its check.
	o.accounts = slices.Clone(o.Accounts)
	o.roleName, o.externalID = o.RoleName, o.ExternalID
	if !o.Org {
		o.Accounts, o.RoleName, o.ExternalID = nil, defaultRoleName, ""
	}
	if (o.ReportPath != "" || o.PlanPath != "") && o.Org {
		return usageError("--org audits live: it does not go with --report or --plan")
	}
	return o.InputOptions.check()
}

func runFix(ctx context.Context, o *FixOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	d := o.Deps
	now := d.Now().UTC()
	if err := o.check(); err != nil {
		return err
	}
	if o.PlanOut != "" {
		if _, err := outputPath(o.PlanOut, o.inputPaths(o.ReportPath, o.PlanPath)...); err != nil {
			return &ExitError{Code: ExitUsage, Err: fmt.Errorf("--plan-out: %w", err)}
		}
	}
	if o.Apply && !o.Yes && !d.ErrIsTerminal {
		return usageError("--apply needs --yes when there is no terminal to confirm on")
	}
	st, err := openAuditStore(ctx, d, &o.StoreOptions)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	w, err := o.world(ctx)
	if err != nil {
		return err
	}

	var plan *fix.Plan
	if o.PlanPath != "" {
		if plan, err = o.readPlan(ctx, w, st, now); err != nil {
			return err
		}
	} else {
		targets, org, err := o.targets(ctx, w, now)
		if err != nil {
			return err
		}
		if plan, err = o.plan(ctx, w, targets, org, now); err != nil {
			return err
		}
	}
	plan.Narrow(nil, o.accounts, o.KeepRoot)
	if o.PlanOut != "" {
		if err := writeAtomic(o.PlanOut, d.Out, plan.Write); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
	}
	if o.Emit != "" {
		return o.emit(w, plan)
	}
	if !o.Apply {
		if err := writePlan(d.Out, o.Format, plan); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
		return planExit(plan)
	}
	return o.apply(ctx, w, plan, now, st)
}

// world is where fix acts: the credentials' account, partition and
// organization, and how each account is reached.
type world struct {
	cfg       aws.Config
	current   string
	partition string
	org       string // "" outside an organization
	// management is the organization's management account.
	management string
}

func (o *FixOptions) world(ctx context.Context) (*world, error) {
	d := o.Deps
	cfg, err := collect.LoadConfig(ctx, collect.Options{Profile: o.Profile, Region: o.Region, EndpointURL: o.EndpointURL, Record: d.AWSRecord, APITimeout: o.APITimeout})
	if err != nil {
		return nil, usageError("%v", err)
	}
	current, partition, err := collect.CurrentAccount(ctx, collect.NewClients(cfg))
	if err != nil {
		return nil, usageError("%v", err)
	}
	w := &world{cfg: cfg, current: current, partition: partition}
	var api collect.OrgAPI = organizations.NewFromConfig(cfg)
	if d.OrgAPI != nil {
		api = d.OrgAPI(cfg)
	}
	org, err := collect.DescribeOrganization(ctx, api)
	var ae smithy.APIError
	switch {
	case err == nil:
		w.org, w.management = org.ID, org.ManagementAccount
	case errors.As(err, &ae) && ae.ErrorCode() == "AWSOrganizationsNotInUseException":
	default:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Not allowed to describe it (a member without the permission):
		// only the current account can be fixed.
		d.logger().Info("the organization could not be read: only the current account can be fixed", "error", err)
	}
	return w, nil
}

// reach gives an account's clients: the credentials' own, or a role in a
// member of their organization.
func (o *FixOptions) reach(w *world, account string) fix.Reach {
	cfg := w.cfg
	if account != w.current {
		cfg = collect.AssumeRole(w.cfg, collect.RoleARN(w.partition, account, o.roleName), o.externalID)
	}
	r := fix.NewReach(cfg)
	if o.hooks.reach != nil {
		r = o.hooks.reach(account, r)
	}
	return r
}

// reachable refuses an account fix cannot act on from these credentials:
// neither the current account nor a member of its organization.
func (w *world) reachable(account, org string) error {
	switch {
	case account == w.current:
		return nil
	case w.org == "":
		return fmt.Errorf("account %s is not the credentials' account %s, which is in no organization", account, w.current)
	case org == "":
		return fmt.Errorf("account %s is not the credentials' account %s, and the input does not say it belongs to their organization %s", account, w.current, w.org)
	case org != w.org:
		return fmt.Errorf("account %s belongs to organization %s, the credentials to organization %s: plan from an audit of this organization", account, org, w.org)
	}
	return nil
}

// kindChecks are the checks the chosen kinds fix.
func kindChecks(only []string) map[string]bool {
	checks := map[string]bool{}
	for _, k := range fix.Kinds() {
		if len(only) == 0 || slices.Contains(only, k.Name()) {
			for _, c := range k.Checks() {
				checks[c] = true
			}
		}
	}
	return checks
}

// targets are the accounts to plan for, from the input, with their
// findings of the checks the kinds fix.
func (o *FixOptions) targets(ctx context.Context, w *world, now time.Time) ([]fix.Target, string, error) {
	checks := kindChecks(o.Only)
	if o.ReportPath != "" {
		return readFixReport(o.ReportPath, o.Deps.In, checks)
	}
	builtin, err := rules.Builtin()
	if err != nil {
		return nil, "", &ExitError{Code: exitInternal, Err: err}
	}
	o.facts = map[string]bool{}
	disabled := map[string]bool{}
	for _, r := range builtin {
		disabled[r.ID] = !checks[r.ID]
		if checks[r.ID] {
			for _, f := range r.Needs {
				o.facts[f] = true
			}
		}
	}
	if checks[fix.RootAccessCheck] && w.org != "" {
		// The check judges member roots' credentials too; outside an
		// organization it plans nothing.
		o.facts["root"] = true
	}
	snap, err := collectSnapshot(ctx, o.Deps, &o.InputOptions, now)
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	for _, e := range snap.Errors {
		o.Deps.logger().Warn("not read or collected", "account", e.Account, "source", e.Source, "error", e.Message)
	}
	// Accounts the audit could not read at all are not planned: said in
	// the plan, not taken for "nothing to do".
	o.unread = nil
	for _, e := range snap.Errors {
		if e.Account != "" && !slices.ContainsFunc(snap.Accounts, func(a model.Account) bool { return a.ID == e.Account }) {
			o.unread = append(o.unread, fix.AccountError{Account: e.Account, Error: "not audited: " + e.Source + ": " + e.Message})
		}
	}
	if len(snap.Accounts) == 0 {
		return nil, "", &ExitError{Code: ExitUsage, Err: nothingRead("planned", &o.InputOptions, snap)}
	}
	asOf := now
	if o.SnapshotPath != "" && !snap.CollectedAt.IsZero() {
		asOf = snap.CollectedAt
	}
	eng, err := engine.New(builtin, engine.Options{Params: config.DefaultParams(), Now: asOf, Severity: map[string]string{}, Disabled: disabled})
	if err != nil {
		return nil, "", &ExitError{Code: exitInternal, Err: err}
	}
	org := ""
	if len(snap.Organizations) == 1 {
		org = snap.Organizations[0].ID
	}
	var targets []fix.Target
	for i := range snap.Accounts {
		a := &snap.Accounts[i]
		targets = append(targets, fix.Target{Account: a, Findings: eng.EvaluateAccount(a), AsOf: asOf})
	}
	return targets, org, nil
}

// plan plans every target, refusing accounts of another organization.
func (o *FixOptions) plan(ctx context.Context, w *world, targets []fix.Target, org string, now time.Time) (*fix.Plan, error) {
	p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: now, Organization: w.org, Evidence: map[string]time.Time{}}
	chosen := func(account string) bool { return len(o.accounts) == 0 || slices.Contains(o.accounts, account) }
	for _, e := range o.unread {
		if chosen(e.Account) {
			p.Errors = append(p.Errors, e)
		}
	}
	// --accounts narrows the targets once, for every kind.
	targets = slices.DeleteFunc(slices.Clone(targets), func(t fix.Target) bool { return !chosen(t.Account.ID) })
	for _, t := range targets {
		aorg := t.Account.Org
		if aorg == "" {
			aorg = org
		}
		if err := w.reachable(t.Account.ID, aorg); err != nil {
			return nil, usageError("%v", err)
		}
	}
	add := func(steps []fix.Step, errs []fix.AccountError) {
		p.Steps = append(p.Steps, steps...)
		p.Errors = append(p.Errors, errs...)
		for _, e := range errs {
			o.Deps.logger().Warn("not planned", "account", e.Account, "kind", e.Kind, "error", e.Error)
		}
	}
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p.Evidence[t.Account.ID] = t.AsOf.UTC()
		add(fix.PlanAccount(ctx, t, o.reach(w, t.Account.ID), o.fixOptions(), o.Only))
	}
	// The organization's kinds plan from every target together, with the
	// credentials' clients (the management account or a delegated
	// administrator); outside an organization there is nothing for them.
	if w.org != "" {
		org := fix.Org{ID: w.org, Management: w.management, Current: w.current, Reach: o.reach(w, w.current), AsOf: now}
		steps, errs := fix.PlanOrg(ctx, org, targets, o.fixOptions(), o.Only)
		for _, s := range steps {
			// Steps made from the credentials' account rest on the
			// organization as read now, besides their accounts' audit.
			for _, a := range []string{s.Account, s.Via} {
				if _, ok := p.Evidence[a]; a != "" && !ok {
					p.Evidence[a] = now
				}
			}
		}
		add(steps, errs)
	}
	return p, nil
}

// checkGuardrail validates the scp kind's flags as 'scp simulate' does.
func (o *FixOptions) checkGuardrail() error {
	kind := cmp.Or(o.Guardrail, fix.DefaultGuardrail)
	if !slices.Contains(scp.GenKinds(), kind) {
		return usageError("--guardrail %q: want one of %s", o.Guardrail, strings.Join(scp.GenKinds(), ", "))
	}
	if kind == scp.GenRootIPAllowlist {
		if _, err := scp.AllowlistRanges(o.GuardrailCIDRs); err != nil {
			return usageError("--guardrail %s: %v", kind, err)
		}
	} else if len(o.GuardrailCIDRs) > 0 {
		return usageError("--cidr is for --guardrail %s only, not %s", scp.GenRootIPAllowlist, kind)
	}
	for _, t := range o.GuardrailTargets {
		if scp.TargetKind(t) == "" {
			return usageError("--guardrail-target %q is neither a root (r-...), an OU (ou-...-...) nor an account ID (12 digits)", t)
		}
	}
	if o.MaxSCPs <= 0 {
		return usageError("--max-scps must be more than 0")
	}
	if o.PlanPath != "" && (o.Guardrail != "" || len(o.GuardrailCIDRs) > 0 || len(o.GuardrailTargets) > 0) {
		return usageError("--plan applies a saved plan as it is: --guardrail, --cidr and --guardrail-target shape a new plan")
	}
	return nil
}

// fixOptions are the planners' options from the flags.
func (o *FixOptions) fixOptions() fix.Options {
	return fix.Options{Notify: o.notify, KeepRoot: o.KeepRoot,
		Guardrail: o.Guardrail, GuardrailCIDRs: o.GuardrailCIDRs, GuardrailTargets: o.GuardrailTargets, MaxSCPs: o.MaxSCPs,
		Contacts: o.contacts, BudgetLimit: o.BudgetLimit, BudgetNotify: o.budgetNotify, Only: o.Only}
}

// checkHygiene validates the contacts and budget kinds' flags and reads
// the contacts file.
func (o *FixOptions) checkHygiene() error {
	if o.PlanPath != "" && (o.ContactsPath != "" || o.BudgetLimit != "" || len(o.BudgetNotify) > 0) {
		return usageError("--plan applies a saved plan as it is: --contacts, --budget-limit and --budget-notify shape a new plan")
	}
	var err error
	if o.budgetNotify, err = fix.ParseBudgetNotify(o.BudgetNotify); err != nil {
		return usageError("%v", err)
	}
	if o.BudgetLimit != "" {
		if err := fix.CheckBudgetLimit(o.BudgetLimit); err != nil {
			return usageError("%v", err)
		}
	}
	if o.ContactsPath != "" {
		f, err := os.Open(o.ContactsPath)
		if err != nil {
			return usageError("--contacts: %v", err)
		}
		defer f.Close()
		if o.contacts, err = fix.ReadContactsFile(f, o.ContactsPath); err != nil {
			return usageError("--contacts: %v", err)
		}
	}
	return nil
}

// readPlan reads --plan and refuses a plan that is stale or made for
// other credentials.
func (o *FixOptions) readPlan(ctx context.Context, w *world, st history.Store, now time.Time) (*fix.Plan, error) {
	var r io.Reader
	if o.PlanPath == "-" {
		r = o.Deps.In
	} else {
		f, err := os.Open(o.PlanPath)
		if err != nil {
			return nil, usageError("--plan: %v", err)
		}
		defer f.Close()
		r = f
	}
	p, err := fix.ReadPlan(r, stdinName(o.PlanPath))
	if err != nil {
		return nil, usageError("%v", err)
	}
	for _, acct := range slices.Sorted(maps.Keys(p.Evidence)) {
		if err := w.reachable(acct, p.Organization); err != nil {
			return nil, usageError("plan %s: %v", o.PlanPath, err)
		}
		at := p.Evidence[acct]
		if age := now.Sub(at); age > o.MaxPlanAge {
			return nil, usageError("plan %s rests on evidence of account %s from %s, %s old, more than --max-plan-age %s: plan again from a new audit",
				o.PlanPath, acct, at.Format(time.RFC3339), age.Round(time.Second), o.MaxPlanAge)
		}
		if st == nil {
			continue
		}
		var newer time.Time
		err := st.Observations(ctx, history.ObservationFilter{Account: acct, Since: at.Add(time.Microsecond)}, func(ob history.Observation) error {
			newer = ob.AsOf
			return errStopObservations
		})
		if err != nil && !errors.Is(err, errStopObservations) {
			return nil, &ExitError{Code: exitInternal, Err: fmt.Errorf("read the audits of account %s in store %s: %w", acct, st, err)}
		}
		if !newer.IsZero() {
			return nil, usageError("plan %s rests on evidence of account %s from %s, and store %s holds a newer audit of it (%s): plan again from that audit",
				o.PlanPath, acct, at.Format(time.RFC3339), st, newer.UTC().Format(time.RFC3339))
		}
	}
	// The plan's break-glass accounts stay protected, whatever
	// --keep-root adds.
	for _, a := range p.KeepRoot {
		if !slices.Contains(o.KeepRoot, a) {
			o.KeepRoot = append(o.KeepRoot, a)
		}
	}
	return p, nil
}

var errStopObservations = errors.New("stop")

// planExit: 3 when accounts could not be planned or steps are blocked, 1
// when steps are planned, else 0.
func planExit(p *fix.Plan) error {
	blocked := slices.ContainsFunc(p.Steps, func(s fix.Step) bool { return s.Blocked != "" })
	switch {
	case len(p.Errors) > 0 || blocked:
		return &ExitError{Code: ExitPartial}
	case len(p.Applicable()) > 0:
		return &ExitError{Code: ExitFailing}
	}
	return nil
}

// apply applies the plan's steps, writing every call to the run log and,
// once the run ends, to the store st (nil: none) under a run ID of its own.
func (o *FixOptions) apply(ctx context.Context, w *world, p *fix.Plan, now time.Time, st history.Store) error {
	d := o.Deps
	log := d.logger()
	steps := p.Applicable()
	if len(steps) == 0 {
		if err := writePlan(d.Out, o.Format, p); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
		log.Info("nothing to apply")
		return planExit(p)
	}
	if !o.Yes {
		if err := writePlan(d.ErrOut, "table", p); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
		fmt.Fprintf(d.ErrOut, "Apply %d steps in %d accounts? [y/N] ", len(steps), len(p.Accounts()))
		line, err := bufio.NewReader(d.In).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			return &ExitError{Code: ExitUsage, Err: errors.New("not applied: not confirmed")}
		}
	}
	logPath := o.LogPath
	if logPath == "" {
		logPath = "rootwatch-fix-" + now.Format("20060102T150405Z") + ".jsonl"
	}
	runLog, err := fix.OpenRunLog(logPath)
	if err != nil {
		return usageError("--log: %v", err)
	}
	ap := &fix.Applier{
		Reach:       func(_ context.Context, account string) (fix.Reach, error) { return o.reach(w, account), nil },
		Log:         runLog,
		Concurrency: o.Concurrency,
		Now:         d.Now,
	}
	var kept fixRecord
	runID := ""
	if st != nil {
		if runID, err = fixRunID(now); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
		kept.kinds = map[string]string{}
		for _, s := range steps {
			kept.kinds[s.ID] = s.Kind
		}
		ap.Record = kept.add
	}
	log.Info("applying", "steps", len(steps), "accounts", len(p.Accounts()), "log", logPath)
	results := ap.Apply(ctx, steps)
	logErr := runLog.Close()
	if err := writeResults(d.Out, o.Format, results); err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	// The calls were made whatever happens next: the store gets them even
	// when the run was interrupted, the run log (on disk first) when the
	// store refuses them.
	var storeErr error
	if st != nil {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		entries := kept.entries(runID)
		if storeErr = st.WriteFixes(wctx, entries); storeErr != nil {
			storeErr = fmt.Errorf("store %s did not keep the %s of fix run %s (the run log %s has them): %w", st, plural(len(entries), "run log entry", "run log entries"), runID, logPath, storeErr)
		} else {
			fmt.Fprintf(d.ErrOut, "fix run %s written to %s (%s)\n", runID, st, plural(len(entries), "run log entry", "run log entries"))
		}
		cancel()
	}
	if logErr != nil {
		return &ExitError{Code: exitInternal, Err: errors.Join(logErr, storeErr)}
	}
	if err := ctx.Err(); err != nil {
		if storeErr != nil {
			log.Error("interrupted, and the calls made are not in the store", "error", storeErr)
		}
		return err
	}
	failed := 0
	for _, r := range results {
		if r.Status != fix.Applied {
			failed++
		}
		if r.Status == fix.Failed {
			log.Error("step failed", "account", r.Account, "step", r.Step, "error", r.Error, "rolled_back", r.RolledBack)
		}
	}
	if storeErr != nil {
		return &ExitError{Code: ExitPartial, Err: storeErr}
	}
	if failed > 0 || len(p.Errors) > 0 || len(steps) < len(p.Steps) {
		log.Warn("not all applied", "applied", len(results)-failed, "not_applied", failed, "blocked", len(p.Steps)-len(steps), "accounts_not_planned", len(p.Errors))
		return &ExitError{Code: ExitPartial}
	}
	log.Info("applied", "steps", len(results), "log", logPath)
	return nil
}

// writePlan writes the plan: for people, account by account with each
// call and its parameters; json, the plan itself.
func writePlan(w io.Writer, format string, p *fix.Plan) error {
	if format == "json" {
		return p.Write(w)
	}
	bw := bufio.NewWriter(w)
	n := len(p.Applicable())
	if n == 0 && len(p.Steps) == 0 && len(p.Errors) == 0 {
		fmt.Fprintln(bw, "Nothing to do.")
		return bw.Flush()
	}
	fmt.Fprintf(bw, "Plan: %d step(s) in %d account(s) to apply", n, len(p.Accounts()))
	if b := len(p.Steps) - n; b > 0 {
		fmt.Fprintf(bw, ", %d blocked", b)
	}
	fmt.Fprintln(bw, ". Nothing changes without --apply.")
	for i, s := range p.Steps {
		fmt.Fprintf(bw, "\n%d. %s  [%s] account %s", i+1, termSafe(s.ID), s.Kind, s.Account)
		if s.Region != "" {
			fmt.Fprintf(bw, " %s", s.Region)
		}
		fmt.Fprintf(bw, "\n   fixes: %s %s\n   why: %s\n", s.Finding.Check, s.Finding.ID, termSafe(s.Why))
		if len(s.Covers) > 0 {
			fmt.Fprintf(bw, "   covers: %s\n", strings.Join(s.Covers, ", "))
		}
		if s.Via != "" {
			fmt.Fprintf(bw, "   made from: account %s's credentials\n", s.Via)
		}
		if rs := s.RootSession; rs != nil {
			fmt.Fprintf(bw, "   as the root of %s: sts:AssumeRoot session, task policy %s\n", rs.TargetPrincipal, termSafe(rs.TaskPolicyArn))
		}
		if s.Blocked != "" {
			fmt.Fprintf(bw, "   BLOCKED: %s\n", termSafe(s.Blocked))
		}
		irreversible := false
		for _, c := range s.Calls {
			mark := "-"
			if c.Irreversible {
				mark, irreversible = "!", true
			}
			fmt.Fprintf(bw, "   %s %s\n", mark, termSafe(c.String()))
		}
		if irreversible {
			fmt.Fprintln(bw, "   (! marks a call that cannot be undone)")
		}
	}
	for _, e := range p.Errors {
		kind := ""
		if e.Kind != "" {
			kind = " (" + e.Kind + ")"
		}
		fmt.Fprintf(bw, "\nnot planned: account %s%s: %s\n", e.Account, kind, termSafe(e.Error))
	}
	return bw.Flush()
}

// writeResults writes what became of each step.
func writeResults(w io.Writer, format string, rs []fix.StepResult) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rs == nil {
			rs = []fix.StepResult{}
		}
		return enc.Encode(map[string]any{"results": rs})
	}
	bw := bufio.NewWriter(w)
	for _, r := range rs {
		fmt.Fprintf(bw, "%-8s %s  account %s", r.Status, termSafe(r.Step), r.Account)
		if r.Error != "" {
			fmt.Fprintf(bw, "  %s", termSafe(r.Error))
			if r.Status == fix.Failed {
				if r.RolledBack {
					fmt.Fprint(bw, " (its calls were undone)")
				} else {
					fmt.Fprint(bw, " (NOT all undone: see the run log)")
				}
			}
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

// termSafe keeps control characters from a report or an API answer out
// of the terminal.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return '?'
		}
		return r
	}, s)
}

// fixReport is what fix reads of a JSON report.
type fixReport struct {
	GeneratedAt time.Time `json:"generated_at"`
	Accounts    []struct {
		ID        string `json:"id"`
		Org       string `json:"org"`
		Partition string `json:"partition"`
	} `json:"accounts"`
	Findings []model.Finding `json:"findings"`
}

// readFixReport reads an audit's JSON report: its accounts and the
// findings of the checks the kinds fix, with the facts their evidence
// carries (root-usage-alarm's trail and log group).
func readFixReport(path string, stdin io.Reader, checks map[string]bool) ([]fix.Target, string, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, "", usageError("--report: %v", err)
		}
		defer f.Close()
		r = f
	}
	var rep fixReport
	dec := json.NewDecoder(io.LimitReader(r, 1<<30))
	if err := dec.Decode(&rep); err != nil {
		return nil, "", usageError("--report %s: not a rootwatch JSON report: %v", stdinName(path), err)
	}
	if rep.GeneratedAt.IsZero() || rep.Accounts == nil {
		return nil, "", usageError("--report %s: not a rootwatch JSON report (no generated_at or accounts)", stdinName(path))
	}
	var targets []fix.Target
	byID := map[string]int{}
	for _, a := range rep.Accounts {
		if !fix.IsAccountID(a.ID) {
			return nil, "", usageError("--report %s: account %q is not a 12-digit account ID", stdinName(path), a.ID)
		}
		if _, dup := byID[a.ID]; dup {
			return nil, "", usageError("--report %s: account %s twice", stdinName(path), a.ID)
		}
		byID[a.ID] = len(targets)
		targets = append(targets, fix.Target{Account: &model.Account{ID: a.ID, Org: a.Org, Partition: a.Partition}, AsOf: rep.GeneratedAt.UTC()})
	}
	for _, f := range rep.Findings {
		i, ok := byID[f.Account]
		if !ok || !checks[f.Check] {
			continue
		}
		t := &targets[i]
		t.Findings = append(t.Findings, f)
		if f.Check == fix.AlarmCheck {
			var ev struct {
				Trail       string `json:"trail"`
				TrailARN    string `json:"trail_arn"`
				LogGroup    string `json:"log_group"`
				LogGroupARN string `json:"log_group_arn"`
			}
			if len(f.Evidence) > 0 {
				if err := json.Unmarshal(f.Evidence, &ev); err != nil {
					return nil, "", usageError("--report %s: evidence of finding %s: %v", stdinName(path), f.ID, err)
				}
			}
			t.Account.RootUsageAlarm = &model.RootUsageAlarm{Complete: f.Status == model.StatusPass, Missing: f.Message,
				Trail: ev.Trail, TrailARN: ev.TrailARN, LogGroup: ev.LogGroup, LogGroupARN: ev.LogGroupARN}
		}
	}
	return targets, "", nil
}
