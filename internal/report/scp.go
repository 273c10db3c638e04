package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rootwatch/rootwatch/internal/scp"
)

// SCPSimulateFormats are the formats of 'rootwatch scp simulate' (kept
// out of the registry: a simulation is neither a report nor a list).
func SCPSimulateFormats() []string { return []string{"table", "json"} }

// SCPSimulation is what 'scp simulate --format json' writes: the
// guardrail generated and each placement.
type SCPSimulation struct {
	Organization string           `json:"organization"`
	Management   string           `json:"management_account"`
	Guardrail    scpGuardrail     `json:"guardrail"`
	Placements   []*scp.Placement `json:"placements"`
	Unread       []string         `json:"unread"`
	generated    *scp.Generated
}

type scpGuardrail struct {
	*scp.Generated
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

// NewSCPSimulation gathers a simulation's parts for its writers.
func NewSCPSimulation(org *scp.Org, g *scp.Generated, ps []*scp.Placement) *SCPSimulation {
	unread := org.Unread
	if unread == nil {
		unread = []string{}
	}
	return &SCPSimulation{Organization: org.ID, Management: org.ManagementAccount,
		Guardrail: scpGuardrail{Generated: g, Name: g.Name(), Document: g.Minified}, Placements: ps, Unread: unread, generated: g}
}

// WriteSCPSimulation writes a simulation as a table or JSON.
func WriteSCPSimulation(w io.Writer, format string, s *SCPSimulation) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("write the simulation as JSON: %w", err)
		}
		return nil
	case "table":
		return writeSCPTable(w, s)
	}
	return fmt.Errorf("unknown format %q (valid: %s)", format, strings.Join(SCPSimulateFormats(), ", "))
}

// guardrailText is a guardrail in a table cell: its kind, and what
// qualifies it.
func guardrailText(g scp.Guardrail) string {
	s := g.Kind
	if g.Kind == scp.DenyOutsideIPs && len(g.AllowedRanges) > 0 {
		s += " " + strings.Join(g.AllowedRanges, ",")
	}
	if g.Kind != scp.None && g.AssumedRootExempt {
		s += " (AssumeRoot exempt)"
	}
	return s
}

func writeSCPTable(w io.Writer, s *SCPSimulation) error {
	ew := &scpOut{w: w}
	g := s.generated
	exempt := "centralized-root (AssumeRoot) sessions exempted"
	if !g.AssumedRootExempt {
		exempt = "no aws:AssumedRoot exemption"
	}
	fmt.Fprintf(ew, "Guardrail %s (%s): %d of %d characters, %s\n", g.Name(), g.Guardrail, g.Size, g.MaxSize, exempt)
	for _, p := range s.Placements {
		label := p.Target
		if p.TargetName != "" && p.TargetName != p.Target {
			label += " (" + terminalSafe(p.TargetName) + ")"
		}
		members := 0
		for _, e := range p.Accounts {
			if !e.Management {
				members++
			}
		}
		fmt.Fprintf(ew, "\nAt %s %s: %s newly covered, %d covered already, of %s; SCPs attached there: %d of %d\n",
			p.TargetKind, label, pluralize(p.NewlyCovered, "account"), p.Covered, pluralize(members, "member account"), p.Attached, p.MaxPerTarget)
		if len(p.Accounts) > 0 {
			tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCOUNT\tNAME\tPATH\tNOW\tWITH IT\tCHANGE")
			for _, e := range p.Accounts {
				now, after, change := guardrailText(e.Now), guardrailText(e.After), "none"
				switch {
				case e.Management:
					now, after, change = "-", "-", "never covered: the management account (SCPs do not apply)"
				case e.Newly:
					change = "newly covered"
				case scp.Rank(e.Now.Kind) >= scp.Rank(g.Guardrail):
					change = "covered already"
				}
				if e.KeepRoot {
					change += "; break-glass (--keep-root)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, terminalSafe(e.Name), terminalSafe(e.Path), now, after, change)
			}
			if err := tw.Flush(); err != nil {
				return fmt.Errorf("write the simulation: %w", err)
			}
		} else {
			fmt.Fprintln(ew, "No account under it.")
		}
		if len(p.FullTargets) > 0 {
			fmt.Fprintf(ew, "At the quota of %d SCPs:\n", p.MaxPerTarget)
			for _, f := range p.FullTargets {
				name := ""
				if f.Name != "" && f.Name != f.Target {
					name = " (" + terminalSafe(f.Name) + ")"
				}
				fmt.Fprintf(ew, "  %s%s: %d attached\n", f.Target, name, f.Attached)
			}
		}
		for _, m := range p.Problems {
			fmt.Fprintf(ew, "Blocked: %s\n", terminalSafe(m))
		}
		for _, m := range p.Warnings {
			fmt.Fprintf(ew, "Warning: %s\n", terminalSafe(m))
		}
	}
	if ew.err != nil {
		return fmt.Errorf("write the simulation: %w", ew.err)
	}
	return nil
}

// scpOut keeps the first write error, so the table checks once.
type scpOut struct {
	w   io.Writer
	err error
}

func (o *scpOut) Write(b []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(b)
	o.err = err
	return n, err
}
