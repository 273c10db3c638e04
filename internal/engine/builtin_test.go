package engine

import (
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
	if len(rs) < 7 {
		t.Fatalf("only %d built-in rules", len(rs))
	}
	for _, r := range rs {
		t.Run(r.ID, func(t *testing.T) {
			results, err := RunSamples(r)
			if err != nil {
				t.Fatal(err)
			}
			wants := map[string]bool{}
			for _, res := range results {
				if res.Err != nil {
					t.Errorf("%v", res.Err)
					continue
				}
				wants[res.Sample.Want] = true
				if !res.OK() {
					t.Errorf("sample %q: got %s (%s), want %s saying %q", res.Sample.Name, res.Finding.Status, res.Finding.Message, res.Sample.Want, res.Sample.Says)
				}
				if res.Finding.Message == "" {
					t.Errorf("sample %q: empty message", res.Sample.Name)
				}
			}
			// A rule proves itself only with both a passing and a failing sample.
			if !wants[model.StatusPass] || (!wants[model.StatusFail] && !wants[model.StatusManual]) {
				t.Errorf("rule needs pass and fail samples, has %v", wants)
			}
		})
	}
}
