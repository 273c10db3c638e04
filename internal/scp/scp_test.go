package scp

import (
	"os"
	"strings"
	"testing"
)

const acct = "123456789012"

func TestSeedSCPDeniesRootWithoutMFA(t *testing.T) {
	// The SCP of shared/seeds/001_0ef1a40b6e253871.txt, as published.
	doc, err := os.ReadFile("testdata/deny-root-without-mfa.json")
	if err != nil {
		t.Fatal(err)
	}
	g, err := Evaluate(acct, []Policy{{ID: "p-1", Name: "root-mfa", Target: "r-abcd", Document: string(doc)}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != DenyWithoutMFA || len(g.By) != 1 || g.AssumedRootExempt {
		t.Errorf("guardrail = %+v", g)
	}
}

func TestEvaluate(t *testing.T) {
	const denyAll = `{"Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}}`
	const denyAllExempt = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::*:root"]},"Null":{"aws:AssumedRoot":"true"}}}]}`
	const denySome = `{"Statement":[{"Effect":"Deny","Action":["iam:CreateAccessKey"],"Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	const denyOther = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}}]}`
	const denyRegion = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`
	const allowAll = `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	const denyThisAccount = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:root"}}}]}`
	const mfaBoolean = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":false},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	for _, tc := range []struct {
		name   string
		docs   []string
		kind   string
		exempt bool
		note   string
	}{
		{"full deny on root", []string{allowAll, denyAll}, DenyAll, false, ""},
		{"deny with the AssumeRoot exemption", []string{denyAllExempt}, DenyAll, true, ""},
		{"the stronger of two levels wins", []string{mfaBoolean, denyAll}, DenyAll, false, ""},
		{"MFA condition written as a JSON boolean", []string{mfaBoolean}, DenyWithoutMFA, false, ""},
		{"only some actions denied", []string{denySome}, None, false, "not every action"},
		{"a deny for other principals", []string{denyOther}, None, false, ""},
		{"narrowed by another condition", []string{denyRegion}, None, false, "aws:RequestedRegion"},
		{"this account's root by exact ARN", []string{denyThisAccount}, DenyAll, false, ""},
		{"FullAWSAccess only", []string{allowAll}, None, false, ""},
		{"nothing attached", nil, None, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ps []Policy
			for i, d := range tc.docs {
				ps = append(ps, Policy{ID: "p-" + string(rune('a'+i)), Name: "n", Target: "ou-x", Document: d})
			}
			g, err := Evaluate(acct, ps)
			if err != nil {
				t.Fatal(err)
			}
			if g.Kind != tc.kind || g.AssumedRootExempt != tc.exempt {
				t.Errorf("guardrail = %+v, want %s (exempt %v)", g, tc.kind, tc.exempt)
			}
			if tc.note != "" && !strings.Contains(strings.Join(g.Notes, "; "), tc.note) {
				t.Errorf("notes %q lack %q", g.Notes, tc.note)
			}
		})
	}
	if _, err := Evaluate(acct, []Policy{{ID: "p-bad", Name: "broken", Document: "{"}}); err == nil || !strings.Contains(err.Error(), "p-bad") {
		t.Errorf("broken policy: %v", err)
	}
}

func FuzzEvaluate(f *testing.F) {
	doc, _ := os.ReadFile("testdata/deny-root-without-mfa.json")
	f.Add(string(doc))
	f.Add(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`)
	f.Add(`{"Statement":[{"Effect":"Deny","NotAction":"iam:*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:ro[ot"}}}]}`)
	f.Fuzz(func(t *testing.T, d string) {
		g, err := Evaluate(acct, []Policy{{ID: "p", Name: "n", Document: d}})
		if err == nil && g.Kind != None && g.Kind != DenyAll && g.Kind != DenyWithoutMFA {
			t.Fatalf("kind %q", g.Kind)
		}
	})
}
