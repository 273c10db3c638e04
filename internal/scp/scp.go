// Package scp judges service control policies for what they do to the root
// user: the effective guardrail on a member account is the strongest Deny
// that applies to root at the account or any OU above it, up to the
// organization root. (An action must also be allowed at every level, but a
// guardrail is an explicit Deny: that is what survives later edits.)
//
// A statement counts only for what it can be proved to deny root of the
// account judged: every action (Action "*"), every resource (Resource "*"),
// under conditions that all hold for that root (condition operators and
// keys are ANDed). Anything this package cannot prove (NotAction,
// NotResource, an unknown condition key or operator, a policy variable it
// cannot resolve) leaves the statement uncounted, with a note when the
// statement names root.
package scp

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"unicode/utf8"
)

// Guardrail kinds, strongest first.
const (
	DenyAll        = "deny-all"         // every root action is denied
	DenyWithoutMFA = "deny-without-mfa" // root is denied unless it signed in with MFA
	// DenyOutsideIPs: root is denied from every source address outside
	// the allowed ranges (NotIpAddress aws:SourceIp), with or without MFA:
	// seed 001's IP allow list. It ranks below deny-without-mfa, since
	// root still acts from the allowed ranges without MFA (a stolen
	// password or key works from inside the corporate network), and above
	// the console-only MFA deny, which leaves root's access keys free from
	// everywhere.
	DenyOutsideIPs = "deny-outside-ip-ranges"
	// DenyWithoutMFAConsoleOnly: root is denied without MFA in console
	// sessions only. The deny's condition is Bool aws:MultiFactorAuthPresent
	// false; calls signed with root's access keys carry no such key, so
	// Bool is false for them and they are not denied (BoolIfExists is).
	DenyWithoutMFAConsoleOnly = "deny-without-mfa-console-only"
	None                      = "none"
)

// rank orders the kinds, strongest highest.
func rank(kind string) int {
	switch kind {
	case DenyAll:
		return 4
	case DenyWithoutMFA:
		return 3
	case DenyOutsideIPs:
		return 2
	case DenyWithoutMFAConsoleOnly:
		return 1
	}
	return 0
}

// Rank orders guardrail kinds, strongest highest (0 for none or an
// unknown kind): deny-all, deny-without-mfa, deny-outside-ip-ranges,
// deny-without-mfa-console-only, none.
func Rank(kind string) int { return rank(kind) }

// ConsoleOnlyReason says why a Bool (not BoolIfExists) MFA deny leaves
// root's access keys free.
const ConsoleOnlyReason = "denies root without MFA in console sessions only: Bool aws:MultiFactorAuthPresent is false for calls signed with root's access keys " +
	"(those requests carry no aws:MultiFactorAuthPresent key), so they are not denied; BoolIfExists would deny them"

// Policy is an SCP attached at one level.
type Policy struct {
	ID, Name string
	// Target is where it is attached: the account, an OU or the root.
	Target   string
	Document string
}

// Guardrail is the effective guardrail on an account's root user.
type Guardrail struct {
	Kind string `json:"kind"`
	// By names the policies that give it, as "name (id) on target".
	By []string `json:"by,omitempty"`
	// AssumedRootExempt: the deny leaves centralized-root (sts:AssumeRoot)
	// sessions out, with "Null": {"aws:AssumedRoot": "true"}.
	AssumedRootExempt bool `json:"assumed_root_exempt"`
	// AllowedRanges are the source address ranges (CIDR) root is confined
	// to when IP allow lists (Deny with NotIpAddress aws:SourceIp) are in
	// force: what every one of them allows. Set whenever one is counted,
	// even under a stronger kind.
	AllowedRanges []string `json:"allowed_ranges,omitempty"`
	// Notes are statements that mention root but were not counted (or
	// counted for less than they seem to deny), and why.
	Notes []string `json:"notes,omitempty"`
}

// Evaluate returns the effective guardrail on root of the account the
// policies are attached above. account is the 12-digit ID, used to match
// principal ARN patterns (in the aws partition).
func Evaluate(account string, policies []Policy) (Guardrail, error) {
	g := Guardrail{Kind: None}
	// Each IP allow list denies on its own: root may act only from what
	// they all allow, the intersection of their ranges.
	var allowed []netip.Prefix
	var ipBy []string
	ipSeen, ipExempt := false, false
	for _, p := range policies {
		stmts, err := statements(p.Document)
		if err != nil {
			return g, fmt.Errorf("policy %s (%s): %w", p.Name, p.ID, err)
		}
		by := fmt.Sprintf("%s (%s) on %s", p.Name, p.ID, p.Target)
		for _, s := range stmts {
			v := judge(account, s)
			if v.note != "" {
				g.Notes = append(g.Notes, by+": "+v.note)
			}
			if v.kind == None {
				continue
			}
			if v.kind == DenyOutsideIPs {
				if ipSeen {
					allowed = intersect(allowed, v.ranges)
				} else {
					allowed, ipSeen = v.ranges, true
				}
				if len(ipBy) == 0 || ipBy[len(ipBy)-1] != by {
					ipBy = append(ipBy, by)
				}
				ipExempt = ipExempt || v.exempt
			}
			g.add(v.kind, by, v.exempt)
		}
	}
	if ipSeen {
		if len(allowed) == 0 {
			// No address is in every list: root is denied from everywhere.
			g.Notes = append(g.Notes, strings.Join(ipBy, ", ")+": the IP allow lists have no range in common, so root is denied from every address")
			for _, by := range ipBy {
				g.add(DenyAll, by, ipExempt)
			}
		}
		g.AllowedRanges = []string{}
		for _, p := range allowed {
			g.AllowedRanges = append(g.AllowedRanges, p.String())
		}
	}
	sort.Strings(g.Notes)
	g.Notes = dedupe(g.Notes)
	return g, nil
}

// add counts a deny of kind by a policy: a stronger one replaces what the
// guardrail holds, an equal one joins it.
func (g *Guardrail) add(kind, by string, exempt bool) {
	switch {
	case rank(kind) > rank(g.Kind):
		g.Kind, g.By, g.AssumedRootExempt = kind, []string{by}, exempt
	case rank(kind) == rank(g.Kind):
		if len(g.By) == 0 || g.By[len(g.By)-1] != by {
			g.By = append(g.By, by)
		}
		g.AssumedRootExempt = g.AssumedRootExempt || exempt
	}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

type statement struct {
	Effect       string                             `json:"Effect"`
	Action       stringOrList                       `json:"Action"`
	NotAction    stringOrList                       `json:"NotAction"`
	Resource     stringOrList                       `json:"Resource"`
	NotResource  stringOrList                       `json:"NotResource"`
	Principal    json.RawMessage                    `json:"Principal"`
	NotPrincipal json.RawMessage                    `json:"NotPrincipal"`
	Condition    map[string]map[string]stringOrList `json:"Condition"`
	Sid          string                             `json:"Sid"`
}

// stringOrList is a policy value: one string or a list, with JSON
// booleans and numbers (as conditions may be written) read as their text.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var many []json.RawMessage
	if err := json.Unmarshal(b, &many); err != nil {
		one, err := scalar(b)
		if err != nil {
			return err
		}
		*s = []string{one}
		return nil
	}
	out := make([]string, 0, len(many))
	for _, m := range many {
		one, err := scalar(m)
		if err != nil {
			return err
		}
		out = append(out, one)
	}
	*s = out
	return nil
}

// scalar reads a JSON string, boolean or number as text.
func scalar(b []byte) (string, error) {
	var v any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return fmt.Sprint(v), nil
	case json.Number:
		return v.String(), nil
	}
	return "", fmt.Errorf("a policy value must be a string, a boolean, a number or a list of them, not %s", strings.TrimSpace(string(b)))
}

func statements(doc string) ([]statement, error) {
	var d struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("not a policy document: %w", err)
	}
	var list []statement
	if err := json.Unmarshal(d.Statement, &list); err == nil {
		return list, nil
	}
	var one statement
	if err := json.Unmarshal(d.Statement, &one); err != nil {
		return nil, fmt.Errorf("unreadable Statement: %w", err)
	}
	return []statement{one}, nil
}

// The verdicts of one condition block for root of the account judged.
const (
	holds    = iota // proved true
	excluded        // proved false: the statement does not apply to root
	unknown         // cannot be proved either way
)

// conditions is what a statement's conditions, ANDed, say of root.
type conditions struct {
	// namesRoot: a block positively selects root (aws:PrincipalArn
	// matching root's ARN, aws:PrincipalType Account).
	namesRoot bool
	excluded  []string // blocks proved false for root
	unknown   []string // blocks not proved
	// mfa is "" (no MFA condition), "if-exists" (BoolIfExists false:
	// every request without MFA) or "console" (Bool false: only requests
	// that carry the key, i.e. not those signed with access keys).
	mfa    string
	exempt bool // Null aws:AssumedRoot true (or BoolIfExists false)
	// ip: a NotIpAddress aws:SourceIp block holds outside ranges (the
	// union of the statement's blocks: they are ANDed negations).
	ip     bool
	ranges []netip.Prefix
	// everywhere names a range that allows every address of a family
	// (0.0.0.0/0, ::/0): such an allow list does not confine root.
	everywhere string
}

// verdict is what one statement does to root of the account judged.
type verdict struct {
	kind   string
	exempt bool // centralized-root sessions are left out
	note   string
	ranges []netip.Prefix // the allowed ranges of an IP allow list
}

// judge classifies one statement's effect on root. The verdict depends on
// no map order: the condition blocks are walked in sorted order, and it is
// their conjunction anyway.
func judge(account string, s statement) verdict {
	none := func(note string) verdict { return verdict{kind: None, note: note} }
	if !strings.EqualFold(strings.TrimSpace(s.Effect), "Deny") {
		return none("")
	}
	c := evalConditions(account, s.Condition)
	switch {
	case len(c.excluded) > 0:
		if c.namesRoot {
			return none("a root deny whose conditions leave this account's root out (" + strings.Join(c.excluded, ", ") + ") does not cover it")
		}
		return none("")
	case c.everywhere != "":
		if c.namesRoot {
			return none("an IP allow list that allows " + c.everywhere + " (every address of its family) does not confine root: not counted")
		}
		return none("")
	case len(c.unknown) > 0:
		if c.namesRoot {
			return none("a root deny narrowed by the conditions " + strings.Join(c.unknown, ", ") + " is not counted")
		}
		return none("")
	}
	// Every condition holds for root (under the MFA, IP and AssumeRoot
	// cases). A statement that does not name root applies to every
	// principal: it is a guardrail on root too, but only noted when it
	// denies it all.
	reason := ""
	switch {
	case len(s.Principal) > 0 || len(s.NotPrincipal) > 0:
		reason = "a root deny with a Principal or NotPrincipal element is not counted: SCPs do not take one, and what it leaves out cannot be judged"
	case len(s.NotAction) > 0:
		reason = "a root deny with NotAction (" + strings.Join(s.NotAction, ", ") + ") is not counted: it leaves those of root's actions allowed"
	case !coversAll(s.Action):
		reason = fmt.Sprintf("denies root only %s, not every action", strings.Join(s.Action, ", "))
	case len(s.NotResource) > 0:
		reason = "a root deny with NotResource (" + strings.Join(s.NotResource, ", ") + ") is not counted: it leaves root's actions on those resources allowed"
	case !coversAll(s.Resource):
		on := "no Resource"
		if len(s.Resource) > 0 {
			on = strings.Join(s.Resource, ", ")
		}
		reason = "denies root only on " + on + ", not every resource"
	case c.ip && c.mfa != "":
		reason = "a root deny that needs both a source outside the allowed ranges and no MFA is not counted: root with MFA acts from everywhere, and without MFA from the allowed ranges"
	}
	if reason != "" {
		if c.namesRoot {
			return none(reason)
		}
		return none("")
	}
	note := ""
	if !c.namesRoot && len(s.Condition) == 0 {
		note = "denies every principal, root among them"
	}
	switch {
	case c.ip:
		return verdict{kind: DenyOutsideIPs, exempt: c.exempt, note: note, ranges: c.ranges}
	case c.mfa == "console":
		return verdict{kind: DenyWithoutMFAConsoleOnly, exempt: c.exempt, note: ConsoleOnlyReason}
	case c.mfa == "if-exists":
		return verdict{kind: DenyWithoutMFA, exempt: c.exempt, note: note}
	}
	return verdict{kind: DenyAll, exempt: c.exempt, note: note}
}

// coversAll reports whether an Action or Resource list holds the
// wildcard that covers every action or resource.
func coversAll(list []string) bool {
	for _, a := range list {
		if a = strings.TrimSpace(a); a == "*" || a == "*:*" {
			return true
		}
	}
	return false
}

// evalConditions judges each condition block (operator, key, values) for
// root of the account, in sorted order.
func evalConditions(account string, cond map[string]map[string]stringOrList) conditions {
	var c conditions
	ops := make([]string, 0, len(cond))
	for op := range cond {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(cond[op]))
		for k := range cond[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, key := range keys {
			label := op + " " + key
			switch evalBlock(account, op, key, cond[op][key], &c) {
			case excluded:
				c.excluded = append(c.excluded, label)
			case unknown:
				c.unknown = append(c.unknown, label)
			}
		}
	}
	return c
}

// rootFacts are the request context keys whose value is known for every
// request root of the account makes: key (lower case) → value.
func rootFacts(account string) map[string]string {
	return map[string]string{
		"aws:principalarn":     "arn:aws:iam::" + account + ":root",
		"aws:principalaccount": account,
		"aws:principaltype":    "Account",
	}
}

// evalBlock judges one condition block, recording the MFA and AssumeRoot
// cases in c.
func evalBlock(account, op, key string, values []string, c *conditions) int {
	if strings.Contains(op, ":") { // ForAnyValue:, ForAllValues: are for multivalued keys
		return unknown
	}
	base, ifExists := strings.CutSuffix(op, "IfExists")
	k := strings.ToLower(key)
	single := func(want string) bool {
		return len(values) == 1 && strings.EqualFold(strings.TrimSpace(values[0]), want)
	}
	switch k {
	case "aws:multifactorauthpresent":
		if base == "Bool" && single("false") {
			if ifExists {
				// Absent (access keys) or false (a session without MFA).
				if c.mfa == "" {
					c.mfa = "if-exists"
				}
			} else {
				c.mfa = "console" // ANDed with anything, only sessions remain
			}
			return holds
		}
		return unknown
	case "aws:sourceip":
		// NotIpAddress holds for root outside the ranges, and for requests
		// without the key (through a VPC endpoint), whether IfExists or
		// not: a negated operator holds when its key is absent.
		if base != "NotIpAddress" {
			return unknown
		}
		ps, err := ParseRanges(values)
		if err != nil || len(ps) == 0 {
			return unknown
		}
		for _, p := range ps {
			if p.Bits() == 0 && c.everywhere == "" {
				c.everywhere = p.String()
			}
		}
		c.ip = true
		c.ranges = union(c.ranges, ps)
		return holds
	case "aws:viaawsservice":
		// False for every request root sends itself: what an AWS service
		// then sends on its behalf follows a request that was judged.
		if strings.HasPrefix(base, "Bool") && single("false") {
			return holds
		}
		return unknown
	case "aws:assumedroot":
		if (op == "Null" && single("true")) || (op == "BoolIfExists" && single("false")) {
			// Holds for every request but those of sts:AssumeRoot sessions.
			c.exempt = true
			return holds
		}
		return unknown
	}
	value, known := rootFacts(account)[k]
	if !known {
		return unknown
	}
	if base == "Null" { // the key is always present in root's requests
		switch {
		case single("false"):
			return holds
		case single("true"):
			return excluded
		}
		return unknown
	}
	var match func(pattern string) int
	switch base {
	case "StringEquals", "StringNotEquals":
		match = func(p string) int { return literal(p, value, account, false) }
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		match = func(p string) int { return literal(p, value, account, true) }
	case "StringLike", "StringNotLike":
		match = func(p string) int { return globString(p, value, account) }
	case "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike":
		// ArnEquals takes wildcards too, component by component.
		match = func(p string) int { return globARN(p, value, account) }
	default:
		return unknown
	}
	negated := strings.Contains(base, "Not")
	// Values are ORed: a positive operator holds when one matches, a
	// negated one when none does.
	matched, unsure := false, false
	for _, v := range values {
		switch match(v) {
		case holds:
			matched = true
		case unknown:
			unsure = true
		}
	}
	var r int
	switch {
	case matched && !negated:
		r = holds
	case matched && negated:
		r = excluded
	case unsure:
		r = unknown
	case negated:
		r = holds
	default:
		r = excluded
	}
	if r == holds && !negated && (k == "aws:principalarn" || k == "aws:principaltype") {
		c.namesRoot = true
	}
	return r
}

// token is one element of a condition pattern: a literal rune, or a
// wildcard.
type token struct {
	r    rune
	star bool
	one  bool // ?
}

// tokens reads a condition value: * and ? are wildcards (when wild), and
// policy variables are resolved: ${aws:PrincipalAccount} and the other
// root facts, and ${*}, ${?}, ${$} for the literal characters. ok is false
// for a variable whose value is not known.
func tokens(pattern, account string, wild bool) (out []token, ok bool) {
	facts := rootFacts(account)
	for i := 0; i < len(pattern); {
		if strings.HasPrefix(pattern[i:], "${") {
			end := strings.IndexByte(pattern[i:], '}')
			if end < 0 {
				return nil, false
			}
			name := pattern[i+2 : i+end]
			i += end + 1
			var lit string
			switch name {
			case "*", "?", "$":
				lit = name
			default:
				v, known := facts[strings.ToLower(name)]
				if !known {
					return nil, false
				}
				lit = v
			}
			for _, r := range lit {
				out = append(out, token{r: r})
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(pattern[i:])
		i += size
		switch {
		case wild && r == '*':
			out = append(out, token{star: true})
		case wild && r == '?':
			out = append(out, token{one: true})
		default:
			out = append(out, token{r: r})
		}
	}
	return out, true
}

// literal compares a value with a pattern that takes no wildcard.
func literal(pattern, value, account string, fold bool) int {
	ts, ok := tokens(pattern, account, false)
	if !ok {
		return unknown
	}
	var b strings.Builder
	for _, t := range ts {
		b.WriteRune(t.r)
	}
	if b.String() == value || (fold && strings.EqualFold(b.String(), value)) {
		return holds
	}
	return excluded
}

// globString matches the whole value, * spanning any characters.
func globString(pattern, value, account string) int {
	ts, ok := tokens(pattern, account, true)
	if !ok {
		return unknown
	}
	if glob(ts, []rune(value)) {
		return holds
	}
	return excluded
}

// globARN matches an ARN component by component (six, split at ':'), as
// ArnLike and ArnEquals do; a pattern that is not six components proves
// nothing.
func globARN(pattern, value, account string) int {
	ts, ok := tokens(pattern, account, true)
	if !ok {
		return unknown
	}
	var parts [][]token
	start := 0
	for i, t := range ts {
		if len(parts) < 5 && !t.star && !t.one && t.r == ':' {
			parts = append(parts, ts[start:i])
			start = i + 1
		}
	}
	parts = append(parts, ts[start:])
	vparts := strings.SplitN(value, ":", 6)
	if len(parts) != 6 || len(vparts) != 6 {
		return unknown
	}
	for i := range parts {
		if !glob(parts[i], []rune(vparts[i])) {
			return excluded
		}
	}
	return holds
}

// glob matches tokens against runes, in time linear in their product at
// worst (the usual backtrack to the last star).
func glob(p []token, s []rune) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && !p[pi].star && (p[pi].one || p[pi].r == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi].star:
			starP, starS = pi, si
			pi++
		case starP >= 0:
			pi = starP + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].star {
		pi++
	}
	return pi == len(p)
}
