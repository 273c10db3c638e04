package scp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The guardrails Generate writes (rootwatch scp generate --kind).
const (
	// GenDenyRoot denies root every action: Evaluate judges it deny-all.
	GenDenyRoot = "deny-root"
	// GenDenyRootWithoutMFA denies root every action without MFA, seed
	// 001's policy written with BoolIfExists so calls signed with root's
	// access keys are denied too: deny-without-mfa.
	GenDenyRootWithoutMFA = "deny-root-without-mfa"
	// GenRootIPAllowlist denies root every action from outside the given
	// ranges (seed 001's IP allow list): deny-outside-ip-ranges.
	GenRootIPAllowlist = "root-ip-allowlist"
)

// GenKinds lists the guardrails Generate writes, in the order help shows
// them.
func GenKinds() []string { return []string{GenDenyRoot, GenDenyRootWithoutMFA, GenRootIPAllowlist} }

// GuardrailOf is the kind Evaluate gives a member account's root under
// the guardrail Generate writes for kind.
func GuardrailOf(kind string) string {
	switch kind {
	case GenDenyRoot:
		return DenyAll
	case GenDenyRootWithoutMFA:
		return DenyWithoutMFA
	case GenRootIPAllowlist:
		return DenyOutsideIPs
	}
	return None
}

// RootARNPattern matches the root user of every account (in the aws
// partition), as aws:PrincipalArn is matched with ArnLike.
const RootARNPattern = "arn:aws:iam::*:root"

// Quotas of AWS Organizations (raised from 5,120 characters and 5 SCPs on
// 15 May 2026 in every partition). An SCP saved through the API is
// stored, and counted, exactly as sent: Generate counts the minified
// document, the one fix sends.
const (
	DefaultMaxPolicySize = 10240
	DefaultMaxPerTarget  = 10
)

// GenerateOptions say which guardrail to write.
type GenerateOptions struct {
	Kind string
	// CIDRs are the allowed source ranges of root-ip-allowlist.
	CIDRs []string
	// NoAssumedRootExemption drops the "Null": {"aws:AssumedRoot":
	// "true"} condition, so the deny covers centralized-root
	// (sts:AssumeRoot) sessions too.
	NoAssumedRootExemption bool
	// MaxSize is the SCP size quota in characters (DefaultMaxPolicySize
	// when 0).
	MaxSize int
}

// Document is an SCP policy document as Generate writes it.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a generated SCP. Condition maps an
// operator to keys and their values (a string or a list of strings);
// encoding/json writes map keys sorted, so the document is the same
// every time.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    string                    `json:"Action"`
	Resource  string                    `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition"`
}

// Generated is a guardrail ready to create: its document, minified (what
// is sent and counted against the quota), and what it is.
type Generated struct {
	Kind string `json:"kind"`
	// Guardrail is the kind Evaluate gives a member account's root under
	// it.
	Guardrail string   `json:"guardrail"`
	Document  Document `json:"document"`
	// Minified is the document as sent to Organizations; Size is its
	// length in characters and MaxSize the quota it was checked against.
	Minified []byte `json:"-"`
	Size     int    `json:"size"`
	MaxSize  int    `json:"max_size"`
	// AssumedRootExempt: centralized-root sessions are left out.
	AssumedRootExempt bool `json:"assumed_root_exempt"`
	// AllowedRanges are the ranges of an IP allow list, as written.
	AllowedRanges []string `json:"allowed_ranges,omitempty"`
	// Warnings say what the user should know before attaching it.
	Warnings []string `json:"warnings,omitempty"`
}

// Name is the name fix gives the policy it creates: one per kind, so a
// second run finds it instead of creating another.
func (g *Generated) Name() string { return "rootwatch-" + g.Kind }

// Description is the policy's description.
func (g *Generated) Description() string {
	switch g.Kind {
	case GenDenyRoot:
		return "rootwatch: deny the root user of member accounts every action"
	case GenDenyRootWithoutMFA:
		return "rootwatch: deny the root user of member accounts every action without MFA"
	}
	return "rootwatch: deny the root user of member accounts every action from outside " + strings.Join(g.AllowedRanges, ", ")
}

// Indented is the document indented by two spaces, for reading.
func (g *Generated) Indented() []byte {
	var b bytes.Buffer
	_ = json.Indent(&b, g.Minified, "", "  ") // valid JSON: Marshal wrote it
	return b.Bytes()
}

// Generate writes a guardrail SCP for member accounts' root: a Deny of
// every action and resource to aws:PrincipalArn arn:aws:iam::*:root (ArnLike),
// with BoolIfExists aws:MultiFactorAuthPresent false (deny-root-without-mfa)
// or NotIpAddress aws:SourceIp (root-ip-allowlist), and by default
// "Null": {"aws:AssumedRoot": "true"} so centralized-root sessions still
// work. It refuses a kind it does not know, ranges that do not parse or
// allow every address, ranges given to another kind, and a document over
// the size quota.
func Generate(o GenerateOptions) (*Generated, error) {
	limit := o.MaxSize
	if limit <= 0 {
		limit = DefaultMaxPolicySize
	}
	if !slices.Contains(GenKinds(), o.Kind) {
		return nil, fmt.Errorf("unknown guardrail kind %q (want one of %s)", o.Kind, strings.Join(GenKinds(), ", "))
	}
	g := &Generated{Kind: o.Kind, Guardrail: GuardrailOf(o.Kind), MaxSize: limit, AssumedRootExempt: !o.NoAssumedRootExemption}
	cond := map[string]map[string]any{"ArnLike": {"aws:PrincipalArn": RootARNPattern}}
	sid := ""
	switch o.Kind {
	case GenDenyRoot:
		sid = "RootwatchDenyRoot"
	case GenDenyRootWithoutMFA:
		sid = "RootwatchDenyRootWithoutMFA"
		// BoolIfExists: calls signed with root's access keys carry no
		// aws:MultiFactorAuthPresent key and are denied too.
		cond["BoolIfExists"] = map[string]any{"aws:MultiFactorAuthPresent": "false"}
	case GenRootIPAllowlist:
		sid = "RootwatchDenyRootOutsideAllowedRanges"
		ranges, err := AllowlistRanges(o.CIDRs)
		if err != nil {
			return nil, err
		}
		for _, p := range ranges {
			g.AllowedRanges = append(g.AllowedRanges, p.String())
		}
		cond["NotIpAddress"] = map[string]any{"aws:SourceIp": g.AllowedRanges}
		// What AWS services send on root's behalf comes from their
		// addresses; it follows a request of root's that was judged.
		cond["Bool"] = map[string]any{"aws:ViaAWSService": "false"}
	}
	if o.Kind != GenRootIPAllowlist && len(o.CIDRs) > 0 {
		return nil, fmt.Errorf("--cidr is for %s only, not %s", GenRootIPAllowlist, o.Kind)
	}
	if g.AssumedRootExempt {
		cond["Null"] = map[string]any{"aws:AssumedRoot": "true"}
	} else {
		g.Warnings = append(g.Warnings, "without the aws:AssumedRoot exemption the deny covers centralized-root (sts:AssumeRoot) sessions too: "+
			"the management account can no longer delete a member root's credentials or unlock its bucket and queue policies")
	}
	g.Document = Document{Version: "2012-10-17", Statement: []Statement{{Sid: sid, Effect: "Deny", Action: "*", Resource: "*", Condition: cond}}}
	doc, err := json.Marshal(g.Document)
	if err != nil {
		return nil, fmt.Errorf("write the %s policy: %w", o.Kind, err)
	}
	g.Minified, g.Size = doc, len(doc)
	if g.Size > limit {
		return nil, fmt.Errorf("the %s policy is %d characters minified, over the SCP quota of %d: give fewer or wider ranges", o.Kind, g.Size, limit)
	}
	return g, nil
}

// AllowlistRanges checks the ranges of an IP allow list: each a CIDR
// range (IPv4 or IPv6) or an address, without host bits set, none
// allowing every address (0.0.0.0/0, ::/0: an allow list of everything
// confines nothing). Duplicates are dropped; the order is kept.
func AllowlistRanges(cidrs []string) ([]netip.Prefix, error) {
	if len(cidrs) == 0 {
		return nil, fmt.Errorf("%s needs --cidr: the ranges root may act from", GenRootIPAllowlist)
	}
	var out []netip.Prefix
	for _, c := range cidrs {
		p, err := parseRange(c)
		if err != nil {
			return nil, fmt.Errorf("--cidr %w", err)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("--cidr %q has host bits set: did you mean %s?", strings.TrimSpace(c), p.Masked())
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("--cidr %q allows every %s address: an allow list of everything confines nothing", strings.TrimSpace(c), family(p))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func family(p netip.Prefix) string {
	if p.Addr().Is4() {
		return "IPv4"
	}
	return "IPv6"
}
