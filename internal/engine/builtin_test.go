package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// Every built-in rule proves itself on its own samples.
func TestBuiltinRulesProveThemselves(t *testing.T) {
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// Every check of the README's table, and no more: a rule file that
	// fails to embed or parse must not pass unnoticed.
	want := []string{"alternate-contacts", "budget-alert", "budget-daily-alert", "centralized-root-access", "contact-phone-country-code", "iam-billing-access", "root-access-key-present", "root-access-key-stale",
		"root-access-key-used", "root-console-login-without-mfa", "root-email-dedicated", "root-hardware-mfa", "root-mfa-enabled", "root-recent-use",
		"root-scp-guardrail", "root-signing-certificate", "root-usage-alarm", "security-contact-registered"}
	var got []string
	for _, r := range rs {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("built-in rules %v, want %v", got, want)
	}
	for _, r := range rs {
		t.Run(r.ID, func(t *testing.T) {
			results, err := RunSamples(r)
			if err != nil {
				t.Fatal(err)
			}
			wants := map[string]bool{}
			guards := map[int]bool{}
			for _, res := range results {
				if res.Err != nil {
					t.Errorf("%v", res.Err)
					continue
				}
				wants[res.Sample.Want] = true
				guards[res.Guard] = true
				if !res.OK() {
					t.Errorf("sample %q: got %s (%s), want %s saying %q", res.Sample.Name, res.Finding.Status, res.Finding.Message, res.Sample.Want, res.Sample.Says)
				}
				if res.Finding.Message == "" {
					t.Errorf("sample %q: empty message", res.Sample.Name)
				}
				// A message is one line: YAML's folding keeps the line
				// breaks after more-indented lines.
				if strings.ContainsAny(res.Finding.Message, "\n\r") {
					t.Errorf("sample %q: message holds a line break: %q", res.Sample.Name, res.Finding.Message)
				}
			}
			// A rule proves itself only with both a passing and a failing
			// sample, and a sample decided by each of its guards: a guard
			// no sample reaches is a verdict nobody has seen.
			// The one exception: a rule whose last guard is `true` decides
			// every account by its guards (iam-billing-access: no API reads
			// the setting, so it is always manual); its expression is never
			// reached, and a pass or fail sample would have to be faked.
			// Each of its guards is still seen below.
			guardsOnly := len(r.When) > 0 && strings.TrimSpace(r.When[len(r.When)-1].If) == "true"
			if !guardsOnly && (!wants[model.StatusPass] || !wants[model.StatusFail]) {
				t.Errorf("rule needs pass and fail samples, has %v", wants)
			}
			if guardsOnly && guards[-1] {
				t.Errorf("a sample of a rule decided by its guards alone reached the expression")
			}
			for i, g := range r.When {
				if !guards[i] {
					t.Errorf("no sample is decided by when[%d] (%s: %s)", i, g.Status, g.If)
				}
			}
		})
	}
}
