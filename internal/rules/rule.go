// Package rules defines the rule format: a check as data (YAML), with CEL
// expressions over the snapshot, its compliance mapping and the samples that
// prove it. The built-in rules are embedded from builtin/.
package rules

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
)

// Rule is one check, as written in its YAML file. It is a definition only:
// results live in model.Finding.
type Rule struct {
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	Severity    string `yaml:"severity"`
	Description string `yaml:"description"`
	// When are guards tried in order before Expression; the first whose If
	// is true decides the status (not_applicable, manual, error or pass)
	// with its message.
	When []Guard `yaml:"when"`
	// Expression is CEL: true passes, false fails.
	Expression string `yaml:"expression"`
	// Pass and Fail are message templates: text with {{ CEL }} parts.
	Pass string `yaml:"pass"`
	Fail string `yaml:"fail"`
	// Evidence maps names to CEL expressions whose values go in the finding.
	Evidence map[string]string `yaml:"evidence"`
	// ReportFields are credential report columns copied, as written, from
	// the root row into the evidence.
	ReportFields []string `yaml:"report_fields"`
	// Needs names the account facts (snapshot JSON names) the rule judges
	// that only some inputs collect. A run whose input collected none of
	// them for any account does not run the rule (and says so), rather
	// than report it manual on every account.
	Needs       []string            `yaml:"needs"`
	Remediation string              `yaml:"remediation"`
	Compliance  map[string][]string `yaml:"compliance"`
	References  []string            `yaml:"references"`
	Samples     []Sample            `yaml:"samples"`

	// Source is the file the rule was read from.
	Source string `yaml:"-"`
}

// Guard is a condition that decides a status before the main expression.
type Guard struct {
	If      string `yaml:"if"`
	Status  string `yaml:"status"`
	Message string `yaml:"message"`
}

// Sample is an account the rule must judge a known way.
type Sample struct {
	Name string `yaml:"name"`
	Want string `yaml:"want"`
	// Says, when set, is text the finding's message must hold.
	Says string `yaml:"says"`
	// AsOf is the evidence time; SampleAsOf when empty.
	AsOf string `yaml:"as_of"`
	// Now is the audit time; the evidence time when empty (a report
	// judged as soon as it was generated).
	Now string `yaml:"now"`
	// Params override the default parameters.
	Params map[string]string `yaml:"params"`
	// Account is a snapshot account in its JSON shape; id, partition and
	// the credential report default to a plausible account.
	Account map[string]any `yaml:"account"`
}

// SampleAsOf is the evidence time samples are written against, unless a
// sample gives its own as_of.
func SampleAsOf() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// isStatus reports whether s is a finding status.
func isStatus(s string) bool {
	for _, v := range model.Statuses() {
		if v == s {
			return true
		}
	}
	return false
}

// Validate checks the rule's shape (not its CEL, which the engine compiles).
func (r *Rule) Validate() error {
	var errs []string
	if !idPattern.MatchString(r.ID) {
		errs = append(errs, fmt.Sprintf("id %q is not kebab-case", r.ID))
	}
	if r.Title == "" {
		errs = append(errs, "title is empty")
	}
	if model.SeverityRank(r.Severity) < 0 {
		errs = append(errs, fmt.Sprintf("severity %q is not one of %s", r.Severity, strings.Join(model.Severities(), ", ")))
	}
	if r.Expression == "" {
		errs = append(errs, "expression is empty")
	}
	if r.Fail == "" {
		errs = append(errs, "fail message is empty")
	}
	if r.Remediation == "" {
		errs = append(errs, "remediation is empty")
	}
	for i, g := range r.When {
		if g.If == "" || !isStatus(g.Status) || g.Message == "" {
			errs = append(errs, fmt.Sprintf("when[%d] needs if, a status (pass, fail, not_applicable, manual, error) and a message", i))
		}
	}
	for _, n := range r.Needs {
		if !slices.Contains(model.OptionalFacts(), n) {
			errs = append(errs, fmt.Sprintf("needs %q is not one of %s", n, strings.Join(model.OptionalFacts(), ", ")))
		}
	}
	for fw := range r.Compliance {
		if !slices.Contains(KnownFrameworks(), fw) {
			errs = append(errs, fmt.Sprintf("compliance framework %q is not one of %s", fw, strings.Join(KnownFrameworks(), ", ")))
		}
	}
	for _, f := range r.ReportFields {
		if !slices.Contains(credreport.Columns(), f) {
			errs = append(errs, fmt.Sprintf("report_fields: %q is not a credential report column", f))
		}
	}
	for _, s := range r.Samples {
		if !isStatus(s.Want) {
			errs = append(errs, fmt.Sprintf("sample %q: want %q is not a status", s.Name, s.Want))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("rule %s: %s", r.Source, strings.Join(errs, "; "))
	}
	return nil
}

// KnownFrameworks are the compliance framework names rules may map to.
func KnownFrameworks() []string {
	return []string{
		"cis-aws-v1.2", "cis-aws-v1.4", "cis-aws-v1.5", "cis-aws-v2.0", "cis-aws-v3.0", "cis-aws-v4.0",
		"cis-aws-v5.0", "cis-aws-v6.0", "cis-aws-v7.0",
		"aws-securityhub", "aws-config", "trend-conformity", "pci-dss-v3.2.1", "pci-dss-v4.0.1", "nist-800-53-r5",
	}
}

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin returns the built-in rules, sorted by ID.
func Builtin() ([]*Rule, error) {
	return LoadFS(builtinFS, "builtin")
}

// LoadFS reads every *.yaml rule file in dir of fsys.
func LoadFS(fsys fs.FS, dir string) ([]*Rule, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read rules in %s: %w", dir, err)
	}
	var out []*Rule
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || (!strings.HasSuffix(e.Name(), ".yaml") && !strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		p := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read rule %s: %w", p, err)
		}
		r, err := Parse(p, data)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[r.ID]; dup {
			return nil, fmt.Errorf("rule id %s is defined in %s and %s", r.ID, prev, p)
		}
		seen[r.ID] = p
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Parse reads one rule file, refusing unknown fields.
func Parse(source string, data []byte) (*Rule, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("parse rule %s: the file is empty", source)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var r Rule
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("parse rule %s: %w", source, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		// A second rule after --- would otherwise be dropped unseen.
		return nil, fmt.Errorf("parse rule %s: more than one YAML document; one rule a file", source)
	}
	r.Source = source
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}
