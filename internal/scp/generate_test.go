package scp

import (
	"fmt"
	"strings"
	"testing"
)

func TestGenerateDocuments(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    GenerateOptions
		want string
		size int
	}{
		{"deny-root", GenerateOptions{Kind: GenDenyRoot},
			`{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRoot","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Null":{"aws:AssumedRoot":"true"}}}]}`,
			211},
		{"deny-root without the exemption", GenerateOptions{Kind: GenDenyRoot, NoAssumedRootExemption: true},
			`{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRoot","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`,
			177},
		{"deny-root-without-mfa (seed 001, BoolIfExists)", GenerateOptions{Kind: GenDenyRootWithoutMFA},
			`{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootWithoutMFA","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"Null":{"aws:AssumedRoot":"true"}}}]}`,
			275},
		{"root-ip-allowlist, IPv4 and IPv6", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"203.0.113.0/24", " 2001:db8::/32", "203.0.113.0/24"}},
			`{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootOutsideAllowedRanges","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Bool":{"aws:ViaAWSService":"false"},"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},"Null":{"aws:AssumedRoot":"true"}}}]}`,
			335},
		{"a single address is a /32", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"198.51.100.7"}, NoAssumedRootExemption: true},
			`{"Version":"2012-10-17","Statement":[{"Sid":"RootwatchDenyRootOutsideAllowedRanges","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"Bool":{"aws:ViaAWSService":"false"},"NotIpAddress":{"aws:SourceIp":["198.51.100.7/32"]}}}]}`,
			286},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Generate(tc.o)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if string(g.Minified) != tc.want {
				t.Errorf("policy\n got %s\nwant %s", g.Minified, tc.want)
			}
			if g.Size != tc.size || g.MaxSize != 10240 {
				t.Errorf("size %d of %d, want %d of 10240", g.Size, g.MaxSize, tc.size)
			}
			if g.AssumedRootExempt == tc.o.NoAssumedRootExemption {
				t.Errorf("AssumedRootExempt = %v with NoAssumedRootExemption %v", g.AssumedRootExempt, tc.o.NoAssumedRootExemption)
			}
			// Without the exemption the user is warned.
			if warned := strings.Contains(strings.Join(g.Warnings, " "), "sts:AssumeRoot"); warned != tc.o.NoAssumedRootExemption {
				t.Errorf("warnings %q", g.Warnings)
			}
		})
	}
}

func TestGenerateIndented(t *testing.T) {
	g, err := Generate(GenerateOptions{Kind: GenDenyRoot})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "RootwatchDenyRoot",
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {
        "ArnLike": {
          "aws:PrincipalArn": "arn:aws:iam::*:root"
        },
        "Null": {
          "aws:AssumedRoot": "true"
        }
      }
    }
  ]
}`
	if got := string(g.Indented()); got != want {
		t.Errorf("indented:\n%s", got)
	}
	if g.Name() != "rootwatch-deny-root" {
		t.Errorf("name %q", g.Name())
	}
}

// The strongest test: every generated policy, attached above a member
// account, gives Evaluate the kind it was generated for, with the
// exemption as asked and the ranges as given.
func TestGenerateRoundTripsThroughEvaluate(t *testing.T) {
	for _, kind := range []string{GenDenyRoot, GenDenyRootWithoutMFA, GenRootIPAllowlist} {
		for _, noExempt := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s exemption dropped %v", kind, noExempt), func(t *testing.T) {
				o := GenerateOptions{Kind: kind, NoAssumedRootExemption: noExempt}
				if kind == GenRootIPAllowlist {
					o.CIDRs = []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.10"}
				}
				g, err := Generate(o)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{GenDenyRoot: "deny-all", GenDenyRootWithoutMFA: "deny-without-mfa", GenRootIPAllowlist: "deny-outside-ip-ranges"}[kind]
				got, err := Evaluate("210987654321", []Policy{
					{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Target: "r-ab12", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
					{ID: "p-gen", Name: g.Name(), Target: "ou-ab12-prod", Document: string(g.Minified)}})
				if err != nil {
					t.Fatal(err)
				}
				if got.Kind != want || g.Guardrail != want {
					t.Errorf("Evaluate gives %q (Generated says %q), want %q; notes %q", got.Kind, g.Guardrail, want, got.Notes)
				}
				if got.AssumedRootExempt == noExempt {
					t.Errorf("AssumedRootExempt = %v, exemption dropped %v", got.AssumedRootExempt, noExempt)
				}
				if len(got.By) != 1 || got.By[0] != "rootwatch-"+kind+" (p-gen) on ou-ab12-prod" {
					t.Errorf("by %q", got.By)
				}
				if len(got.Notes) != 0 {
					t.Errorf("notes %q", got.Notes)
				}
				wantRanges := ""
				if kind == GenRootIPAllowlist {
					wantRanges = "10.0.0.0/8 192.0.2.10/32 2001:db8::/32"
				}
				if r := strings.Join(got.AllowedRanges, " "); r != wantRanges {
					t.Errorf("allowed ranges %q, want %q", r, wantRanges)
				}
			})
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    GenerateOptions
		want string
	}{
		{"unknown kind", GenerateOptions{Kind: "deny-all"}, `unknown guardrail kind "deny-all" (want one of deny-root, deny-root-without-mfa, root-ip-allowlist)`},
		{"no ranges", GenerateOptions{Kind: GenRootIPAllowlist}, "root-ip-allowlist needs --cidr: the ranges root may act from"},
		{"a CIDR that does not parse", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"10.0.0.0/8", "10.0.0.0/33"}}, `--cidr "10.0.0.0/33" is not a CIDR range`},
		{"a name, not an address", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"vpn.example.com"}}, `--cidr "vpn.example.com" is not a CIDR range nor an IP address`},
		{"an IPv6 zone", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"fe80::1%eth0"}}, `--cidr "fe80::1%eth0" is not a CIDR range nor an IP address`},
		{"host bits set", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"10.1.2.3/8"}}, `--cidr "10.1.2.3/8" has host bits set: did you mean 10.0.0.0/8?`},
		{"every IPv4 address", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"0.0.0.0/0"}}, `--cidr "0.0.0.0/0" allows every IPv4 address`},
		{"every IPv6 address", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"10.0.0.0/8", "::/0"}}, `--cidr "::/0" allows every IPv6 address`},
		{"ranges for another kind", GenerateOptions{Kind: GenDenyRoot, CIDRs: []string{"10.0.0.0/8"}}, "--cidr is for root-ip-allowlist only, not deny-root"},
		// The two-range policy above is 335 characters.
		{"one character over the quota", GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"203.0.113.0/24", "2001:db8::/32"}, MaxSize: 334},
			"the root-ip-allowlist policy is 335 characters minified, over the SCP quota of 334"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Generate(tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Generate = %v, %v; want an error with %q", g, err, tc.want)
			}
		})
	}
	// At the quota exactly, it is written.
	if _, err := Generate(GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: []string{"203.0.113.0/24", "2001:db8::/32"}, MaxSize: 335}); err != nil {
		t.Errorf("at the quota: %v", err)
	}
	// 1,000 single addresses are over the default quota.
	var many []string
	for i := range 1000 {
		many = append(many, fmt.Sprintf("10.0.%d.%d/32", i/250, i%250))
	}
	if _, err := Generate(GenerateOptions{Kind: GenRootIPAllowlist, CIDRs: many}); err == nil || !strings.Contains(err.Error(), "over the SCP quota of 10240") {
		t.Errorf("1,000 ranges: %v", err)
	}
}
