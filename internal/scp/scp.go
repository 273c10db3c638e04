// Package scp judges service control policies for what they do to the root
// user: the effective guardrail on a member account is the strongest Deny
// that applies to root at the account or any OU above it, up to the
// organization root. (An action must also be allowed at every level, but a
// guardrail is an explicit Deny: that is what survives later edits.)
package scp

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Guardrail kinds, strongest first.
const (
	DenyAll        = "deny-all"         // every root action is denied
	DenyWithoutMFA = "deny-without-mfa" // root is denied unless it signed in with MFA
	None           = "none"
)

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
	// Notes are statements that mention root but were not counted, and why.
	Notes []string `json:"notes,omitempty"`
}

// Evaluate returns the effective guardrail on root of the account the
// policies are attached above. account is the 12-digit ID, used to match
// principal ARN patterns.
func Evaluate(account string, policies []Policy) (Guardrail, error) {
	g := Guardrail{Kind: None}
	rank := map[string]int{None: 0, DenyWithoutMFA: 1, DenyAll: 2}
	for _, p := range policies {
		stmts, err := statements(p.Document)
		if err != nil {
			return g, fmt.Errorf("policy %s (%s): %w", p.Name, p.ID, err)
		}
		for _, s := range stmts {
			kind, exempt, note := judge(account, s)
			if note != "" {
				g.Notes = append(g.Notes, fmt.Sprintf("%s (%s) on %s: %s", p.Name, p.ID, p.Target, note))
			}
			if kind == None {
				continue
			}
			by := fmt.Sprintf("%s (%s) on %s", p.Name, p.ID, p.Target)
			switch {
			case rank[kind] > rank[g.Kind]:
				g.Kind, g.By, g.AssumedRootExempt = kind, []string{by}, exempt
			case rank[kind] == rank[g.Kind]:
				g.By = append(g.By, by)
				g.AssumedRootExempt = g.AssumedRootExempt || exempt
			}
		}
	}
	sort.Strings(g.Notes)
	return g, nil
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

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		// Bool conditions may be written as JSON booleans.
		var bl bool
		if err2 := json.Unmarshal(b, &bl); err2 == nil {
			*s = []string{fmt.Sprint(bl)}
			return nil
		}
		return err
	}
	*s = many
	return nil
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

// judge classifies one statement's effect on root.
func judge(account string, s statement) (kind string, assumedRootExempt bool, note string) {
	if !strings.EqualFold(s.Effect, "Deny") {
		return None, false, ""
	}
	rootARN := "arn:aws:iam::" + account + ":root"
	principalKey, mfaFalse := false, false
	var other []string
	for op, keys := range s.Condition {
		base := strings.TrimSuffix(op, "IfExists")
		for key, values := range keys {
			switch k := strings.ToLower(key); {
			case k == "aws:principalarn" && (base == "ArnLike" || base == "StringLike" || base == "ArnEquals" || base == "StringEquals"):
				for _, v := range values {
					if matches(base, v, rootARN) {
						principalKey = true
					}
				}
				if !principalKey {
					return None, false, ""
				}
			case k == "aws:multifactorauthpresent" && base == "Bool":
				if len(values) == 1 && strings.EqualFold(values[0], "false") {
					mfaFalse = true
				} else {
					other = append(other, op+" "+key)
				}
			case k == "aws:assumedroot" && op == "Null":
				if len(values) == 1 && strings.EqualFold(values[0], "true") {
					assumedRootExempt = true
				} else {
					other = append(other, op+" "+key)
				}
			default:
				other = append(other, op+" "+key)
			}
		}
	}
	if !principalKey {
		if len(s.Condition) == 0 && covers(s.Action) && len(s.NotAction) == 0 {
			return DenyAll, false, "denies every principal, root among them"
		}
		return None, false, ""
	}
	switch {
	case len(s.NotAction) > 0 || len(s.NotResource) > 0 || len(s.NotPrincipal) > 0:
		return None, false, "a root deny with NotAction, NotResource or NotPrincipal is not counted: it leaves some of root's actions allowed"
	case !covers(s.Action):
		return None, false, fmt.Sprintf("denies root only %s, not every action", strings.Join(s.Action, ", "))
	case len(other) > 0:
		sort.Strings(other)
		return None, false, "a root deny narrowed by the conditions " + strings.Join(other, ", ") + " is not counted"
	case mfaFalse:
		return DenyWithoutMFA, assumedRootExempt, ""
	}
	return DenyAll, assumedRootExempt, ""
}

// covers reports whether an Action list covers every action.
func covers(actions []string) bool {
	for _, a := range actions {
		if a == "*" || a == "*:*" {
			return true
		}
	}
	return false
}

// matches applies an IAM condition operator's pattern to a value.
func matches(op, pattern, value string) bool {
	if op == "ArnEquals" || op == "StringEquals" {
		return pattern == value
	}
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(value, "/", "\x00"))
	return err == nil && ok
}
