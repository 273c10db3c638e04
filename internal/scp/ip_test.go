package scp

import (
	"strings"
	"testing"
)

// ipDeny is a root deny outside the ranges (a JSON list, written as is).
func ipDeny(op, ranges, extra string) string {
	return `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"},"` +
		op + `":{"aws:SourceIp":` + ranges + `}` + extra + `}}]}`
}

func TestIPAllowList(t *testing.T) {
	for _, tc := range []struct {
		name, doc, kind, ranges, note string
		exempt                        bool
	}{
		{"seed 001's allow list", ipDeny("NotIpAddress", `["203.0.113.0/24","198.51.100.0/24"]`, ""), DenyOutsideIPs, "198.51.100.0/24 203.0.113.0/24", "", false},
		{"one range as a string, with the exemption", ipDeny("NotIpAddress", `"203.0.113.0/24"`, `,"Null":{"aws:AssumedRoot":"true"}`), DenyOutsideIPs, "203.0.113.0/24", "", true},
		{"IfExists is the same for a negated operator", ipDeny("NotIpAddressIfExists", `["2001:db8::/32"]`, ""), DenyOutsideIPs, "2001:db8::/32", "", false},
		{"host bits are cleared, an address is a /32, a range inside another is dropped", ipDeny("NotIpAddress", `["10.9.8.7/8","10.1.0.0/16","192.0.2.1"]`, ""), DenyOutsideIPs, "10.0.0.0/8 192.0.2.1/32", "", false},
		{"direct calls only (aws:ViaAWSService false)", ipDeny("NotIpAddress", `["203.0.113.0/24"]`, `,"Bool":{"aws:ViaAWSService":"false"}`), DenyOutsideIPs, "203.0.113.0/24", "", false},
		{"calls via services only is narrowed", ipDeny("NotIpAddress", `["203.0.113.0/24"]`, `,"Bool":{"aws:ViaAWSService":"true"}`), None, "", "Bool aws:ViaAWSService", false},
		{"every IPv4 address allowed", ipDeny("NotIpAddress", `["203.0.113.0/24","0.0.0.0/0"]`, ""), None, "", "allows 0.0.0.0/0 (every address of its family)", false},
		{"a block list is not an allow list", ipDeny("IpAddress", `["203.0.113.0/24"]`, ""), None, "", "IpAddress aws:SourceIp", false},
		{"a range that does not parse proves nothing", ipDeny("NotIpAddress", `["203.0.113.0/33"]`, ""), None, "", "NotIpAddress aws:SourceIp", false},
		{"an empty list proves nothing", ipDeny("NotIpAddress", `[]`, ""), None, "", "NotIpAddress aws:SourceIp", false},
		{"outside the ranges and without MFA, ANDed, is not counted", ipDeny("NotIpAddress", `["203.0.113.0/24"]`, `,"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}`), None, "", "both a source outside the allowed ranges and no MFA", false},
		{"two blocks in one statement allow either range", ipDeny("NotIpAddress", `["203.0.113.0/24"]`, `,"NotIpAddressIfExists":{"aws:SourceIp":"198.51.100.0/24"}`), DenyOutsideIPs, "198.51.100.0/24 203.0.113.0/24", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := judgeOne(t, "123456789012", tc.doc)
			if g.Kind != tc.kind || strings.Join(g.AllowedRanges, " ") != tc.ranges || g.AssumedRootExempt != tc.exempt {
				t.Errorf("guardrail %+v, want %s over %q (exempt %v)", g, tc.kind, tc.ranges, tc.exempt)
			}
			if tc.note != "" && !strings.Contains(strings.Join(g.Notes, "; "), tc.note) {
				t.Errorf("notes %q lack %q", g.Notes, tc.note)
			}
			if tc.note == "" && len(g.Notes) > 0 {
				t.Errorf("notes %q", g.Notes)
			}
		})
	}
}

// AWS's own source-IP SCP names no principal: it confines every
// principal, root among them.
func TestIPAllowListForEveryPrincipal(t *testing.T) {
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"Bool":{"aws:ViaAWSService":"false"}}}]}`
	g := judgeOne(t, "123456789012", doc)
	if g.Kind != DenyOutsideIPs || strings.Join(g.AllowedRanges, " ") != "192.0.2.0/24 203.0.113.0/24" {
		t.Errorf("guardrail %+v", g)
	}
	// The same with 0.0.0.0/0 confines nothing, and names no root: no note.
	g = judgeOne(t, "123456789012", strings.Replace(doc, "192.0.2.0/24", "0.0.0.0/0", 1))
	if g.Kind != None || len(g.Notes) != 0 {
		t.Errorf("guardrail %+v", g)
	}
}

// Allow lists at two levels each deny on their own: root acts only from
// what both allow.
func TestIPAllowListsAtTwoLevelsIntersect(t *testing.T) {
	root := Policy{ID: "p-1", Name: "corp", Target: "r-ab12", Document: ipDeny("NotIpAddress", `["10.0.0.0/8","192.168.0.0/16"]`, `,"Null":{"aws:AssumedRoot":"true"}`)}
	ou := Policy{ID: "p-2", Name: "vpn", Target: "ou-ab12-prod", Document: ipDeny("NotIpAddress", `["10.1.0.0/16","172.16.0.0/12","192.168.5.0/24"]`, "")}
	g, err := Evaluate("123456789012", []Policy{root, ou})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != DenyOutsideIPs || strings.Join(g.AllowedRanges, " ") != "10.1.0.0/16 192.168.5.0/24" ||
		strings.Join(g.By, "; ") != "corp (p-1) on r-ab12; vpn (p-2) on ou-ab12-prod" || !g.AssumedRootExempt {
		t.Errorf("guardrail %+v", g)
	}
	// Lists with nothing in common deny root from everywhere.
	other := Policy{ID: "p-3", Name: "office", Target: "123456789012", Document: ipDeny("NotIpAddress", `["203.0.113.0/24"]`, "")}
	g, err = Evaluate("123456789012", []Policy{root, other})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != DenyAll || len(g.AllowedRanges) != 0 || g.AllowedRanges == nil ||
		strings.Join(g.By, "; ") != "corp (p-1) on r-ab12; office (p-3) on 123456789012" ||
		strings.Join(g.Notes, "; ") != "corp (p-1) on r-ab12, office (p-3) on 123456789012: the IP allow lists have no range in common, so root is denied from every address" {
		t.Errorf("guardrail %+v", g)
	}
	// A stronger deny elsewhere decides the kind; the ranges are kept.
	mfa := Policy{ID: "p-4", Name: "mfa", Target: "ou-ab12-prod", Document: `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`}
	g, err = Evaluate("123456789012", []Policy{root, mfa})
	if err != nil {
		t.Fatal(err)
	}
	if g.Kind != DenyWithoutMFA || strings.Join(g.By, "; ") != "mfa (p-4) on ou-ab12-prod" || strings.Join(g.AllowedRanges, " ") != "10.0.0.0/8 192.168.0.0/16" || g.AssumedRootExempt {
		t.Errorf("guardrail %+v", g)
	}
}

func TestRankOrder(t *testing.T) {
	order := []string{DenyAll, DenyWithoutMFA, DenyOutsideIPs, DenyWithoutMFAConsoleOnly, None}
	for i := 1; i < len(order); i++ {
		if Rank(order[i-1]) <= Rank(order[i]) {
			t.Errorf("%s ranks %d, not above %s (%d)", order[i-1], Rank(order[i-1]), order[i], Rank(order[i]))
		}
	}
	if Rank("bogus") != 0 || Rank(None) != 0 {
		t.Error("unknown kinds rank 0")
	}
}

// Whatever the input, AllowlistRanges either refuses it or returns
// ranges that are masked, narrower than everything, and read back the
// same.
func FuzzAllowlistRanges(f *testing.F) {
	for _, s := range []string{"203.0.113.0/24", "2001:db8::/32", "0.0.0.0/0", "10.1.2.3/8", "::ffff:10.0.0.0/104", "fe80::1%eth0", "192.0.2.1", " 10.0.0.0/8 ", "1.2.3.4/-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := AllowlistRanges([]string{s})
		if err != nil {
			return
		}
		for _, p := range ps {
			if p != p.Masked() || p.Bits() == 0 {
				t.Fatalf("%q gave %s", s, p)
			}
			back, err := ParseRanges([]string{p.String()})
			if err != nil || len(back) != 1 || back[0] != p {
				t.Fatalf("%s reads back as %v (%v)", p, back, err)
			}
		}
	})
}
