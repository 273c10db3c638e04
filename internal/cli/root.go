package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// NewRootCmd builds the rootwatch command tree.
func NewRootCmd(d *Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "rootwatch",
		Short: "Find, prove and stop use of the AWS root user across your accounts",
		Long: `rootwatch audits the root user of one or many AWS accounts: root access keys,
MFA, recent use and signing certificates, contacts, alarms, SCP guardrails and
centralized root access, judged by built-in checks mapped to CIS AWS
Foundations, Security Hub, AWS Config, PCI DSS, NIST 800-53 and Trend
Conformity. It finds every root action in CloudTrail, from log files on a
laptop to Amazon Athena.

Try it without an AWS account:
  rootwatch audit --demo
  rootwatch trail --demo --summary`,
		Version:       d.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Reading standard input stops when the run is interrupted: a blocked
	// read would otherwise make Ctrl-C do nothing.
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if ctx := cmd.Context(); ctx != nil {
			d.In = newContextReader(ctx, d.In)
		}
		return nil
	}
	root.SetIn(d.In)
	root.SetOut(d.Out)
	root.SetErr(d.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		msg := err.Error()
		// pflag writes `invalid argument "csv" for "-f, --format" flag:
		// --format given twice ...`: the flag's own message says it all.
		if i := strings.Index(msg, " flag: --"); strings.HasPrefix(msg, "invalid argument ") && i > 0 && strings.Contains(msg, " given twice ") {
			msg = msg[i+len(" flag: "):]
		}
		return usageError("%s (see '%s --help')", msg, c.CommandPath())
	})
	root.AddCommand(newAuditCmd(d), newSnapshotCmd(d), newTrailCmd(d), newRulesCmd(d), newPermissionsCmd(d))
	root.AddCommand(newStudyCmd(d))
	root.AddCommand(newHistoryCmd(d))
	root.AddCommand(newScpCmd(d))
	root.AddCommand(newFixCmd(d))
	return root
}
