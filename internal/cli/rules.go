package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/report"
	"github.com/rootwatch/rootwatch/internal/rules"
)

func newRulesCmd(d *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List and show the checks rootwatch runs",
		Long: `Every check is a YAML rule with CEL expressions, its compliance mapping and
samples it must judge a known way. 'rules list' lists them; 'rules show ID'
shows one, and runs its samples.`,
	}
	cmd.AddCommand(newRulesListCmd(d), newRulesShowCmd(d))
	return cmd
}

// RulesListOptions are the flags of 'rules list'.
type RulesListOptions struct {
	Deps      *Deps
	Format    string
	Framework string
}

func newRulesListCmd(d *Deps) *cobra.Command {
	o := &RulesListOptions{Deps: d}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in checks",
		Example: `  rootwatch rules list
  rootwatch rules list --framework cis-aws-v5.0
  rootwatch rules list --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := rules.Builtin()
			if err != nil {
				return &ExitError{Code: exitInternal, Err: err}
			}
			if o.Framework != "" && !slices.Contains(rules.KnownFrameworks(), o.Framework) {
				return usageError("--framework %q: known frameworks are %s", o.Framework, strings.Join(rules.KnownFrameworks(), ", "))
			}
			return listRules(o, rs)
		},
	}
	stringOnceVarP(cmd.Flags(), &o.Format, "format", "f", "table", report.FormatFlagHelp(report.CommandRules))
	stringOnceVar(cmd.Flags(), &o.Framework, "framework", "", "only the checks mapped to this `FRAMEWORK` (e.g. cis-aws-v5.0, aws-securityhub), with its controls")
	return cmd
}

type ruleSummary struct {
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Severity   string              `json:"severity"`
	Compliance map[string][]string `json:"compliance"`
}

func listRules(o *RulesListOptions, rs []*rules.Rule) error {
	if o.Framework != "" {
		// Only the checks that map to a control of the framework, each
		// with that framework's controls only.
		rs = slices.DeleteFunc(slices.Clone(rs), func(r *rules.Rule) bool { return len(r.Compliance[o.Framework]) == 0 })
	}
	switch o.Format {
	case "json":
		out := make([]ruleSummary, 0, len(rs))
		for _, r := range rs {
			out = append(out, ruleSummary{r.ID, r.Title, r.Severity, r.Compliance})
			if o.Framework != "" {
				out[len(out)-1].Compliance = map[string][]string{o.Framework: r.Compliance[o.Framework]}
			}
		}
		enc := json.NewEncoder(o.Deps.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "table":
	default:
		return usageError("--format: %v", report.CheckFormat(report.CommandRules, o.Format))
	}
	tw := tabwriter.NewWriter(o.Deps.Out, 0, 0, 2, ' ', 0)
	col := "FRAMEWORKS"
	if o.Framework != "" {
		col = strings.ToUpper(o.Framework)
	}
	fmt.Fprintf(tw, "ID\tSEVERITY\tTITLE\t%s\n", col)
	for _, r := range rs {
		var mapping string
		if o.Framework != "" {
			mapping = strings.Join(r.Compliance[o.Framework], ", ")
		} else {
			mapping = fmt.Sprint(len(r.Compliance))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, mapping)
	}
	return tw.Flush()
}

func newRulesShowCmd(d *Deps) *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show one check: what it judges, its mapping, and its samples with their results",
		Example: `  rootwatch rules show root-recent-use`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := rules.Builtin()
			if err != nil {
				return &ExitError{Code: exitInternal, Err: err}
			}
			var ids []string
			for _, r := range rs {
				if r.ID == args[0] {
					return showRule(d.Out, r)
				}
				ids = append(ids, r.ID)
			}
			return usageError("no check %q (checks: %s)", args[0], strings.Join(ids, ", "))
		},
	}
}

func showRule(w io.Writer, r *rules.Rule) error {
	ew := &printer{w: w}
	ew.printf("%s\n  %s\n\nSeverity: %s\n", r.ID, r.Title, r.Severity)
	if r.Description != "" {
		ew.printf("\n%s\n", wrap(strings.TrimSpace(r.Description), 78, ""))
	}
	ew.printf("\nJudged by (CEL):\n")
	for _, g := range r.When {
		ew.printf("  if %s -> %s: %s\n", g.If, g.Status, oneLine(g.Message))
	}
	ew.printf("  pass when %s\n", r.Expression)
	ew.printf("\nRemediation:\n%s\n", wrap(strings.TrimSpace(r.Remediation), 78, "  "))
	ew.printf("\nCompliance:\n")
	if len(r.Compliance) == 0 {
		ew.printf("  (no published control)\n")
	}
	fws := make([]string, 0, len(r.Compliance))
	for fw := range r.Compliance {
		fws = append(fws, fw)
	}
	sort.Strings(fws)
	for _, fw := range fws {
		ew.printf("  %-16s %s\n", fw, strings.Join(r.Compliance[fw], ", "))
	}
	results, err := engine.RunSamples(r)
	if err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	ew.printf("\nSamples:\n")
	for _, res := range results {
		mark := "ok  "
		if !res.OK() {
			mark = "FAIL"
		}
		ew.printf("  %s want %-14s got %-14s %s\n", mark, res.Sample.Want, res.Finding.Status, res.Sample.Name)
	}
	for _, ref := range r.References {
		ew.printf("\nSee %s\n", ref)
	}
	return ew.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func wrap(s string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(s) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}
