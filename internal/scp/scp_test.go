package scp

import (
	"os"
	"reflect"
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
		{"Bool (not BoolIfExists) MFA condition covers console sessions only", []string{mfaBoolean}, DenyWithoutMFAConsoleOnly, false, "access keys"},
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
	doc, err := os.ReadFile("testdata/deny-root-without-mfa.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(doc))
	f.Add(`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`)
	f.Add(`{"Statement":[{"Effect":"Deny","NotAction":"iam:*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:ro[ot"}}}]}`)
	f.Add(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::999999999999:root"}}}]}`)
	f.Add(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:${aws:PrincipalType}:iam::${*}${?}:root"},"NumericLessThan":{"aws:MultiFactorAuthAge":[1,2.5]},"Bool":{"aws:MultiFactorAuthPresent":false}}}]}`)
	f.Add(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","0.0.0.0/0"]},"NotIpAddressIfExists":{"aws:SourceIp":"10.1.2.3"},"Bool":{"aws:ViaAWSService":false}}}]}`)
	f.Add(`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8"]}}},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.168.0.0/16"]}}}]}`)
	f.Fuzz(func(t *testing.T, d string) {
		ps := []Policy{{ID: "p", Name: "n", Document: d}, {ID: "q", Name: "m", Document: d}}
		g, err := Evaluate(acct, ps)
		if err == nil && rank(g.Kind) == 0 && g.Kind != None {
			t.Fatalf("kind %q", g.Kind)
		}
		// The verdict never depends on map order.
		for range 3 {
			g2, err2 := Evaluate(acct, ps)
			if (err == nil) != (err2 == nil) || !reflect.DeepEqual(g, g2) {
				t.Fatalf("two evaluations differ: %+v (%v) and %+v (%v)", g, err, g2, err2)
			}
		}
	})
}
