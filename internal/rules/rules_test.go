package rules

import (
	"slices"
	"strings"
	"testing"
)

// The compliance mapping of shared/DESIGN.md's table, control by control.
// A change to a rule's mapping that departs from it fails here.
func TestBuiltinComplianceMatchesDesign(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Rule{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	want := map[string]map[string]string{
		"root-access-key-present": {"cis-aws-v1.2": "1.12", "cis-aws-v1.4": "1.4", "cis-aws-v3.0": "1.4", "cis-aws-v4.0": "1.4", "cis-aws-v5.0": "1.3",
			"cis-aws-v6.0": "2.3", "cis-aws-v7.0": "2.4", "aws-securityhub": "IAM.4", "aws-config": "iam-root-access-key-check"},
		"root-mfa-enabled": {"cis-aws-v1.2": "1.13", "cis-aws-v1.4": "1.5", "cis-aws-v4.0": "1.5", "cis-aws-v5.0": "1.4",
			"cis-aws-v6.0": "2.4", "cis-aws-v7.0": "2.5", "aws-securityhub": "IAM.9", "aws-config": "root-account-mfa-enabled"},
		"root-hardware-mfa": {"cis-aws-v1.2": "1.14", "cis-aws-v1.4": "1.6", "cis-aws-v4.0": "1.6", "cis-aws-v5.0": "1.5",
			"cis-aws-v6.0": "2.5", "cis-aws-v7.0": "2.6", "aws-securityhub": "IAM.6", "aws-config": "root-account-hardware-mfa-enabled"},
		"root-recent-use": {"cis-aws-v1.2": "1.1", "cis-aws-v1.4": "1.7", "cis-aws-v4.0": "1.7", "cis-aws-v5.0": "1.6",
			"cis-aws-v6.0": "2.6", "cis-aws-v7.0": "2.7", "trend-conformity": "IAM-035"},
		"root-usage-alarm": {"cis-aws-v1.2": "3.3", "cis-aws-v1.4": "4.3", "cis-aws-v5.0": "4.3", "cis-aws-v6.0": "5.3", "cis-aws-v7.0": "5.3",
			"aws-securityhub": "CloudWatch.1"},
		"centralized-root-access": {"cis-aws-v7.0": "2.1.1"},
		"security-contact-registered": {"cis-aws-v1.2": "1.18", "cis-aws-v1.4": "1.2", "cis-aws-v5.0": "1.2", "cis-aws-v6.0": "2.2",
			"cis-aws-v7.0": "2.3", "aws-securityhub": "Account.1", "aws-config": "security-account-information-provided"},
	}
	for id, fws := range want {
		r := byID[id]
		if r == nil {
			t.Errorf("no rule %s", id)
			continue
		}
		for fw, ctl := range fws {
			if !slices.Contains(r.Compliance[fw], ctl) {
				t.Errorf("%s: %s = %v, want %s", id, fw, r.Compliance[fw], ctl)
			}
		}
	}
	// A check maps only to controls whose test it performs: Security Hub's
	// CloudWatch.1 tests the root-use metric filter and alarm, not use, so
	// a roll-up by control must never fail an account that has the alarm.
	for _, r := range rs {
		if slices.Contains(r.Compliance["aws-securityhub"], "CloudWatch.1") && r.ID != "root-usage-alarm" {
			t.Errorf("%s maps to Security Hub CloudWatch.1, which only root-usage-alarm tests", r.ID)
		}
	}
	// Every framework name is one of the known ones, so a typo is caught.
	known := KnownFrameworks()
	for _, r := range rs {
		for fw := range r.Compliance {
			if !slices.Contains(known, fw) {
				t.Errorf("%s: unknown framework %q", r.ID, fw)
			}
		}
	}
}

func TestBuiltinRulesAreWellFormed(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if !strings.HasSuffix(r.Source, r.ID+".yaml") {
			t.Errorf("rule %s lives in %s: one file per rule, named by its ID", r.ID, r.Source)
		}
		if len(r.Samples) < 2 {
			t.Errorf("rule %s has %d samples", r.ID, len(r.Samples))
		}
	}
}

// A rule file's mistakes are refused when it is parsed, not found later as
// a rule that silently never runs or maps to nothing.
func TestParseRefusesMistakes(t *testing.T) {
	const good = "id: x-check\ntitle: X\nseverity: low\nexpression: 'true'\nfail: no\nremediation: fix it\n"
	if _, err := Parse("good.yaml", []byte(good)); err != nil {
		t.Fatalf("a good rule: %v", err)
	}
	for name, tc := range map[string]struct{ data, says string }{
		"empty file":           {"\n  \n", "empty"},
		"two documents":        {good + "---\n" + strings.Replace(good, "x-check", "y-check", 1), "more than one YAML document"},
		"misspelt need":        {good + "needs: [cloudtrails]\n", `needs "cloudtrails"`},
		"unknown framework":    {good + "compliance: {cis-aws-1.4: [\"1.7\"]}\n", `framework "cis-aws-1.4"`},
		"unknown report field": {good + "report_fields: [mfa_actve]\n", `"mfa_actve" is not a credential report column`},
		"unknown key":          {good + "severty: high\n", "severty"},
	} {
		if _, err := Parse(name+".yaml", []byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.says)
		}
	}
}
