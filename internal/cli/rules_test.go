package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRulesList(t *testing.T) {
	r := run(t, "rules", "list")
	for _, id := range []string{"root-access-key-present", "root-access-key-stale", "root-access-key-used", "root-mfa-enabled",
		"root-hardware-mfa", "root-recent-use", "root-signing-certificate"} {
		if !strings.Contains(r.out, id) {
			t.Errorf("rules list lacks %s", id)
		}
	}
	r = run(t, "rules", "list", "--framework", "cis-aws-v1.4")
	if !strings.Contains(r.out, "CIS-AWS-V1.4") || !strings.Contains(r.out, "1.7") {
		t.Errorf("framework column:\n%s", r.out)
	}
	if r := run(t, "rules", "list", "--framework", "cis-aws-v9"); r.code != ExitUsage || !strings.Contains(r.err, "cis-aws-v7.0") {
		t.Errorf("unknown framework: exit %d %s", r.code, r.err)
	}
	r = run(t, "rules", "list", "--format", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list) != numRules(t) {
		t.Fatalf("json list: %v %d", err, len(list))
	}
}

func TestRulesShow(t *testing.T) {
	r := run(t, "rules", "show", "root-recent-use")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.err)
	}
	for _, want := range []string{"root-recent-use", "Severity: high", "trend-conformity", "IAM-035", "cis-aws-v5.0", "1.6",
		"ok   want fail", "account created 10 days before the report"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("rules show lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "FAIL want") {
		t.Errorf("a sample fails:\n%s", r.out)
	}
	if r := run(t, "rules", "show", "nope"); r.code != ExitUsage || !strings.Contains(r.err, "root-mfa-enabled") {
		t.Errorf("unknown rule: exit %d %s", r.code, r.err)
	}
}
