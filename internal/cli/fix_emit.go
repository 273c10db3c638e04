package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rootwatch/rootwatch/internal/fix"
	"github.com/rootwatch/rootwatch/internal/fix/emit"
)

// EmitOptions are fix's flags that write the plan as code for review
// instead of applying it.
type EmitOptions struct {
	Emit    string
	EmitDir string
	Force   bool
}

func addEmitFlags(f *pflag.FlagSet, e *EmitOptions) {
	stringOnceVar(f, &e.Emit, "emit", "", "write the plan as code in `FORMAT` cloudformation or terraform, for review (nothing is applied)")
	stringOnceVar(f, &e.EmitDir, "emit-dir", "", "--emit: write the files to `DIR` (made if missing; default rootwatch-FORMAT in the current directory)")
	f.BoolVar(&e.Force, "force", false, "--emit: replace the files an earlier --emit wrote in --emit-dir (and remove those it does not write again)")
}

// check validates the emit flags; apply is --apply.
func (e *EmitOptions) check(apply bool) error {
	switch e.Emit {
	case "":
		if e.EmitDir != "" || e.Force {
			return usageError("--emit-dir and --force go with --emit")
		}
		return nil
	case "cloudformation", "terraform":
	default:
		return usageError("--emit %q: want cloudformation or terraform", e.Emit)
	}
	if apply {
		return usageError("--emit writes the plan as code for review and applies nothing: it does not go with --apply")
	}
	if e.EmitDir == "" {
		e.EmitDir = "rootwatch-" + e.Emit
	}
	if fi, err := os.Stat(e.EmitDir); err == nil && !fi.IsDir() {
		return usageError("--emit-dir %s is not a directory", e.EmitDir)
	}
	return nil
}

// emit writes the plan as CloudFormation or Terraform to --emit-dir and
// says what it wrote and what no resource makes. The exit code is the
// plan's, as for a dry run.
func (o *FixOptions) emit(w *world, p *fix.Plan) error {
	d := o.Deps
	if len(p.Steps) == 0 {
		if err := writePlan(d.Out, o.Format, p); err != nil {
			return &ExitError{Code: exitInternal, Err: err}
		}
		return planExit(p)
	}
	opts := emit.Options{Management: w.management, Current: w.current, Partition: w.partition, RoleName: o.roleName, ExternalID: o.externalID}
	var out *emit.Output
	var err error
	if o.Emit == "terraform" {
		out, err = emit.Terraform(p, opts)
	} else {
		out, err = emit.CloudFormation(p, opts)
	}
	if err != nil {
		return usageError("--emit %s: %v", o.Emit, err)
	}
	log := d.logger()
	for _, s := range out.Skipped {
		log.Warn("not expressible as "+o.Emit+": apply with rootwatch fix --apply or by hand", "account", s.Account, "step", s.Step, "action", s.Action, "why", s.Why)
	}
	if err := writeEmitted(o.EmitDir, out.Files, o.Force); err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			return err
		}
		return &ExitError{Code: exitInternal, Err: err}
	}
	if err := writeEmitSummary(d.Out, o.Format, o.Emit, o.EmitDir, out); err != nil {
		return &ExitError{Code: exitInternal, Err: err}
	}
	return planExit(p)
}

// emittedPatterns name the files an earlier --emit may have left in its
// folder: with --force, those the new output does not replace are
// removed, so that no stale template or list stays beside the new ones.
func emittedPatterns() []string {
	return []string{"account*.template.json", "members*.template.json", "management*.template.json", emit.NotExpressibleFile, emit.TerraformFile}
}

// writeEmitted writes the files into dir, each through a temporary file
// renamed into place once all are written. Files already there, and
// those an earlier --emit left, are refused, all before any is written,
// unless force; with force, the earlier ones not replaced are removed.
func writeEmitted(dir string, files []emit.File, force bool) error {
	if len(files) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError("--emit-dir: %v", err)
	}
	var there []string
	for _, f := range files {
		fi, err := os.Lstat(filepath.Join(dir, f.Name))
		switch {
		case err == nil && fi.IsDir():
			return usageError("--emit-dir %s: %s is a directory", dir, f.Name)
		case err == nil:
			there = append(there, f.Name)
		case !os.IsNotExist(err):
			return usageError("--emit-dir %s: %v", dir, err)
		}
	}
	var stale []string
	for _, pat := range emittedPatterns() {
		names, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return fmt.Errorf("--emit-dir %s: %w", dir, err)
		}
		for _, n := range names {
			n = filepath.Base(n)
			if !slices.ContainsFunc(files, func(f emit.File) bool { return f.Name == n }) && !slices.Contains(stale, n) {
				stale = append(stale, n)
			}
		}
	}
	there = append(there, stale...)
	if len(there) > 0 && !force {
		return usageError("--emit-dir %s holds %s already: give --force to replace them, or another --emit-dir", dir, strings.Join(there, ", "))
	}
	tmps := make([]string, 0, len(files))
	defer func() {
		for _, t := range tmps {
			_ = os.Remove(t) // gone once renamed
		}
	}()
	for _, f := range files {
		tmp, err := os.CreateTemp(dir, "."+f.Name+".*")
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
		tmps = append(tmps, tmp.Name())
		_, err = tmp.Write(f.Data)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), 0o644)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	for i, f := range files {
		if err := os.Rename(tmps[i], filepath.Join(dir, f.Name)); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	for _, n := range stale {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s, left by an earlier --emit: %w", filepath.Join(dir, n), err)
		}
	}
	return nil
}

// writeEmitSummary says what was written, where each template deploys,
// and what no resource makes.
func writeEmitSummary(w io.Writer, format, kind, dir string, out *emit.Output) error {
	var names []string
	for _, f := range out.Files {
		names = append(names, filepath.Join(dir, f.Name))
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		sum := map[string]any{"emit": kind, "files": names, "resources": out.Resources, "not_expressible": out.Skipped}
		if out.Stacks != nil {
			sum["stacks"] = out.Stacks
		}
		if names == nil {
			sum["files"] = []string{}
		}
		if out.Skipped == nil {
			sum["not_expressible"] = []emit.Skipped{}
		}
		return enc.Encode(sum)
	}
	bw := bufio.NewWriter(w)
	if len(names) == 0 {
		fmt.Fprintf(bw, "Nothing to write as %s: no call of the plan has a resource.\n", kind)
	} else {
		fmt.Fprintf(bw, "Wrote %d file(s) to %s (%d resource(s)). Nothing was applied.\n", len(names), termSafe(dir), out.Resources)
		for _, n := range names {
			fmt.Fprintf(bw, "  %s\n", termSafe(n))
		}
	}
	if len(out.Stacks) > 0 {
		fmt.Fprintln(bw, "\nStacks to deploy (template, account, region, parameters):")
		for _, s := range out.Stacks {
			fmt.Fprintf(bw, "  %s  account %s  %s", s.Template, s.Account, s.Region)
			keys := make([]string, 0, len(s.Parameters))
			for k := range s.Parameters {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(bw, "  %s=%s", k, termSafe(s.Parameters[k]))
			}
			fmt.Fprintln(bw)
		}
	}
	if len(out.Skipped) > 0 {
		fmt.Fprintf(bw, "\nNot expressible as %s, or blocked (listed in %s too): apply with rootwatch fix --apply or by hand:\n", kind, termSafe(filepath.Join(dir, emit.NotExpressibleFile)))
		for _, s := range out.Skipped {
			fmt.Fprintf(bw, "  - %s\n", termSafe(s.String()))
		}
	}
	return bw.Flush()
}
