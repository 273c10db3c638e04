package scp

import (
	"strings"
	"testing"
)

// judgeOne evaluates one policy document for an account.
func judgeOne(t *testing.T, account, doc string) Guardrail {
	t.Helper()
	g, err := Evaluate(account, []Policy{{ID: "p-1", Name: "guard", Target: "r-ab12", Document: doc}})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return g
}

// Condition operators are ANDed: a deny on every root (ArnLike *:root)
// that also requires another account's root (StringEquals) covers only
// that other account. Go's map order must never decide the verdict, so
// the same policy is judged 50 times.
func TestConditionOperatorsAreANDedWhateverTheMapOrder(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{
		"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},
		"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::999999999999:root"}}}]}`
	for i := range 50 {
		if g := judgeOne(t, "123456789012", doc); g.Kind != None {
			t.Fatalf("run %d: account 123456789012 judged %q (by %v), want none: the deny names only 999999999999's root", i, g.Kind, g.By)
		}
		if g := judgeOne(t, "999999999999", doc); g.Kind != DenyAll {
			t.Fatalf("run %d: account 999999999999 judged %q, want deny-all", i, g.Kind)
		}
	}
}

// A root deny limited to some resources leaves root free on the rest.
func TestResourceLimitedDenyIsNoGuardrail(t *testing.T) {
	for _, tc := range []struct{ name, resource, note string }{
		{"one bucket", `"Resource":"arn:aws:s3:::logs/*"`, "arn:aws:s3:::logs/*"},
		{"a list without *", `"Resource":["arn:aws:iam::*:user/*","arn:aws:ec2:*:*:instance/*"]`, "not every resource"},
		{"NotResource", `"NotResource":"arn:aws:s3:::public/*"`, "NotResource"},
		{"no Resource at all", ``, "not every resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.resource
			if res != "" {
				res += ","
			}
			doc := `{"Statement":[{"Effect":"Deny","Action":"*",` + res + `"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
			g := judgeOne(t, "123456789012", doc)
			if g.Kind != None {
				t.Errorf("kind = %q, want none", g.Kind)
			}
			if !strings.Contains(strings.Join(g.Notes, "; "), tc.note) {
				t.Errorf("notes %q lack %q", g.Notes, tc.note)
			}
		})
	}
	// Resource "*" inside a list is every resource.
	doc := `{"Statement":[{"Effect":"Deny","Action":"*","Resource":["arn:aws:s3:::x","*"],"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	if g := judgeOne(t, "123456789012", doc); g.Kind != DenyAll {
		t.Errorf("Resource list with *: kind = %q, want deny-all", g.Kind)
	}
}

// Bool aws:MultiFactorAuthPresent false is false for calls signed with
// root's access keys (they carry no MFA key): such a deny covers console
// sessions only. BoolIfExists covers both.
func TestBoolVersusBoolIfExistsMFA(t *testing.T) {
	const boolDoc = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	const boolJSON = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":false},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	const ifExists = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	const both = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"Bool":{"aws:MultiFactorAuthPresent":"false"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	const mfaTrue = `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	for _, tc := range []struct{ name, doc, kind, note string }{
		{"Bool", boolDoc, DenyWithoutMFAConsoleOnly, "access keys"},
		{"Bool with a JSON boolean", boolJSON, DenyWithoutMFAConsoleOnly, "BoolIfExists"},
		{"BoolIfExists", ifExists, DenyWithoutMFA, ""},
		{"Bool and BoolIfExists together are ANDed", both, DenyWithoutMFAConsoleOnly, "access keys"},
		{"a deny of MFA sessions is no guardrail", mfaTrue, None, "aws:MultiFactorAuthPresent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := judgeOne(t, "123456789012", tc.doc)
			if g.Kind != tc.kind {
				t.Errorf("kind = %q, want %q", g.Kind, tc.kind)
			}
			if tc.note != "" && !strings.Contains(strings.Join(g.Notes, "; "), tc.note) {
				t.Errorf("notes %q lack %q", g.Notes, tc.note)
			}
		})
	}
	// BoolIfExists elsewhere is stronger than a console-only deny.
	g, err := Evaluate("123456789012", []Policy{
		{ID: "p-1", Name: "console", Target: "r-ab12", Document: boolDoc},
		{ID: "p-2", Name: "full", Target: "ou-ab12-x", Document: ifExists}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != DenyWithoutMFA || len(g.By) != 1 || g.By[0] != "full (p-2) on ou-ab12-x" {
		t.Errorf("guardrail = %+v, want deny-without-mfa by full (p-2) on ou-ab12-x", g)
	}
}

// What cannot be proved to deny root every action is not deny-all.
func TestConservativeJudgement(t *testing.T) {
	const acct = "123456789012"
	stmt := func(body string) string { return `{"Statement":[{"Effect":"Deny",` + body + `}]}` }
	root := `"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}`
	for _, tc := range []struct{ name, doc, kind, note string }{
		{"NotAction", stmt(`"NotAction":"sts:*","Resource":"*",` + root), None, "NotAction"},
		{"an Action list without *", stmt(`"Action":["iam:*","ec2:*"],"Resource":"*",` + root), None, "iam:*, ec2:*"},
		{"Action *:*", stmt(`"Action":"*:*","Resource":"*",` + root), DenyAll, ""},
		{"NotPrincipal", stmt(`"Action":"*","Resource":"*","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/x"},` + root), None, "NotPrincipal"},
		{"StringNotLike on the principal, other roles only", stmt(`"Action":"*","Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`), DenyAll, ""},
		{"StringNotLike that leaves root out", stmt(`"Action":"*","Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":["arn:aws:iam::*:root","arn:aws:iam::*:role/Admin"]}}`), None, ""},
		{"ArnNotLike this account's root", stmt(`"Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::1234567890*:root"}}`), None, "leave this account's root out"},
		{"ForAnyValue operator", stmt(`"Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"ForAnyValue:StringEquals":{"aws:CalledVia":"cloudformation.amazonaws.com"}}`), None, "aws:CalledVia"},
		{"a numeric condition is read, and narrows", stmt(`"Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}`), None, "NumericGreaterThan"},
		{"a character class is literal in IAM", stmt(`"Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::[0-9]*:root"}}`), None, ""},
		{"? matches one character", stmt(`"Action":"*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::12345678901?:root"}}`), DenyAll, ""},
		{"ArnLike * does not cross a colon", stmt(`"Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*"}}`), None, ""},
		{"ArnEquals takes wildcards per component", stmt(`"Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}`), DenyAll, ""},
		{"StringEquals takes no wildcard", stmt(`"Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}`), None, ""},
		{"a policy variable for the account", stmt(`"Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::${aws:PrincipalAccount}:root"}}`), DenyAll, ""},
		{"an unknown policy variable proves nothing", stmt(`"Action":"*","Resource":"*","Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::${aws:SourceAccount}:root"}}`), None, ""},
		{"principal type Account is root", stmt(`"Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalType":"Account"}}`), DenyAll, ""},
		{"Null aws:MultiFactorAuthPresent covers only key-signed calls", stmt(`"Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:MultiFactorAuthPresent":"true"}}`), None, "Null aws:MultiFactorAuthPresent"},
		{"an Allow is no guardrail", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*",` + root + `}]}`, None, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := judgeOne(t, acct, tc.doc)
			if g.Kind != tc.kind {
				t.Errorf("kind = %q, want %q (notes %q)", g.Kind, tc.kind, g.Notes)
			}
			if tc.note != "" && !strings.Contains(strings.Join(g.Notes, "; "), tc.note) {
				t.Errorf("notes %q lack %q", g.Notes, tc.note)
			}
		})
	}
}
