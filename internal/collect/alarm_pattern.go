package collect

import (
	"fmt"
	"strconv"
	"strings"
)

// This file parses CloudWatch Logs filter patterns of the JSON-selector
// kind, the kind the CIS root-usage metric filter is written in:
//
//	pattern  = "{" expr "}"
//	expr     = and { "||" and }
//	and      = unary { "&&" unary }
//	unary    = "(" expr ")" | term
//	term     = selector ( op value | "NOT" "EXISTS" | "IS" ( "NULL" | "TRUE" | "FALSE" ) )
//	op       = "=" | "!=" | "<" | "<=" | ">" | ">="
//	value    = "\"" chars "\"" | bare word | number | "%" regex "%"
//
// Keywords are read in any case, and whitespace is free between tokens, so
// every spelling CloudWatch Logs accepts for the same terms parses to the
// same tree.

// maxPatternDepth bounds the nesting of parentheses: the parser recurses
// once per level.
const maxPatternDepth = 64

// valueKind says how a term's value was written.
type valueKind int

const (
	noValue     valueKind = iota // NOT EXISTS, IS NULL…
	stringValue                  // "Root" or Root: the same string
	numberValue                  // 1, -2.5
	regexValue                   // %Ro+t%
)

// patternTerm is one comparison of a filter pattern.
type patternTerm struct {
	selector string // $.userIdentity.type
	op       string // =, !=, <…, or NOT EXISTS, IS NULL, IS TRUE, IS FALSE
	kind     valueKind
	value    string // a string's raw characters between its quotes
}

// patternNode is a term, or an && / || of two or more nodes.
type patternNode struct {
	op   string // "&&", "||"; "" for a term
	kids []*patternNode
	term patternTerm
}

// String renders the node canonically: every compound in parentheses,
// strings quoted, keywords in capitals. Parsing the rendering gives the
// same tree.
func (n *patternNode) String() string {
	if n.op == "" {
		t := n.term
		switch t.kind {
		case noValue:
			return t.selector + " " + t.op
		case stringValue:
			return t.selector + " " + t.op + ` "` + t.value + `"`
		case regexValue:
			return t.selector + " " + t.op + " %" + t.value + "%"
		}
		return t.selector + " " + t.op + " " + t.value
	}
	parts := make([]string, len(n.kids))
	for i, k := range n.kids {
		parts[i] = k.String()
	}
	return "(" + strings.Join(parts, " "+n.op+" ") + ")"
}

// patternToken is one token: its kind and text.
type patternToken struct {
	kind string // { } ( ) && || op str regex word
	text string
	pos  int
}

// tokenizePattern cuts a filter pattern into tokens.
func tokenizePattern(p string) ([]patternToken, error) {
	var out []patternToken
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '{' || c == '}' || c == '(' || c == ')':
			out = append(out, patternToken{kind: string(c), text: string(c), pos: i})
			i++
		case c == '&' || c == '|':
			if i+1 >= len(p) || p[i+1] != c {
				return nil, fmt.Errorf("a single %q at byte %d (want %q)", c, i, string([]byte{c, c}))
			}
			out = append(out, patternToken{kind: p[i : i+2], text: p[i : i+2], pos: i})
			i += 2
		case c == '=' || c == '!' || c == '<' || c == '>':
			n := 1
			if i+1 < len(p) && p[i+1] == '=' && c != '=' {
				n = 2
			}
			op := p[i : i+n]
			if op == "!" {
				return nil, fmt.Errorf("a '!' not followed by '=' at byte %d", i)
			}
			out = append(out, patternToken{kind: "op", text: op, pos: i})
			i += n
		case c == '"':
			j := i + 1
			for j < len(p) && p[j] != '"' {
				if p[j] == '\\' {
					j++ // the escaped character, whatever it is
				}
				j++
			}
			if j >= len(p) {
				return nil, fmt.Errorf("a string opened at byte %d is not closed", i)
			}
			out = append(out, patternToken{kind: "str", text: p[i+1 : j], pos: i})
			i = j + 1
		case c == '%':
			j := strings.IndexByte(p[i+1:], '%')
			if j < 0 {
				return nil, fmt.Errorf("a regular expression opened at byte %d is not closed", i)
			}
			out = append(out, patternToken{kind: "regex", text: p[i+1 : i+1+j], pos: i})
			i += j + 2
		default:
			j := i
			for j < len(p) && !strings.ContainsRune(" \t\n\r{}()&|=!<>\"%\\", rune(p[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q at byte %d", c, i)
			}
			out = append(out, patternToken{kind: "word", text: p[i:j], pos: i})
			i = j
		}
	}
	return out, nil
}

// patternParser is a recursive-descent parser over the tokens.
type patternParser struct {
	toks []patternToken
	i    int
}

func (p *patternParser) peek() patternToken {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return patternToken{kind: "end"}
}

func (p *patternParser) next() patternToken {
	t := p.peek()
	if p.i < len(p.toks) {
		p.i++
	}
	return t
}

func (t patternToken) describe() string {
	if t.kind == "end" {
		return "the end"
	}
	return fmt.Sprintf("%q at byte %d", t.text, t.pos)
}

// parseFilterPattern parses a JSON-selector filter pattern.
func parseFilterPattern(s string) (*patternNode, error) {
	toks, err := tokenizePattern(s)
	if err != nil {
		return nil, err
	}
	p := &patternParser{toks: toks}
	if t := p.next(); t.kind != "{" {
		return nil, fmt.Errorf("want '{' to open a JSON selector pattern, got %s", t.describe())
	}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != "}" {
		return nil, fmt.Errorf("want '}', got %s", t.describe())
	}
	if t := p.peek(); t.kind != "end" {
		return nil, fmt.Errorf("%s after the closing '}'", t.describe())
	}
	return n, nil
}

// expr and and read a chain of one operator; the other binds as the
// grammar says (&& tighter than ||).
func (p *patternParser) expr(depth int) (*patternNode, error) {
	return p.chain(depth, "||", p.and)
}

func (p *patternParser) and(depth int) (*patternNode, error) {
	return p.chain(depth, "&&", p.unary)
}

func (p *patternParser) chain(depth int, op string, sub func(int) (*patternNode, error)) (*patternNode, error) {
	first, err := sub(depth)
	if err != nil {
		return nil, err
	}
	kids := []*patternNode{first}
	for p.peek().kind == op {
		p.next()
		k, err := sub(depth)
		if err != nil {
			return nil, err
		}
		kids = append(kids, k)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return &patternNode{op: op, kids: kids}, nil
}

func (p *patternParser) unary(depth int) (*patternNode, error) {
	if p.peek().kind == "(" {
		if depth >= maxPatternDepth {
			return nil, fmt.Errorf("parentheses nested deeper than %d", maxPatternDepth)
		}
		p.next()
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != ")" {
			return nil, fmt.Errorf("want ')', got %s", t.describe())
		}
		return n, nil
	}
	return p.term()
}

func (p *patternParser) term() (*patternNode, error) {
	sel := p.next()
	if sel.kind != "word" || !strings.HasPrefix(sel.text, "$") {
		return nil, fmt.Errorf("want a selector ($.field), got %s", sel.describe())
	}
	t := patternTerm{selector: sel.text}
	op := p.next()
	switch {
	case op.kind == "op":
		t.op = op.text
		v := p.next()
		switch v.kind {
		case "str":
			t.kind, t.value = stringValue, v.text
		case "regex":
			t.kind, t.value = regexValue, v.text
		case "word":
			t.kind, t.value = stringValue, v.text
			if _, err := strconv.ParseFloat(v.text, 64); err == nil {
				t.kind = numberValue
			}
		default:
			return nil, fmt.Errorf("want a value after %q, got %s", op.text, v.describe())
		}
	case op.kind == "word" && strings.EqualFold(op.text, "NOT"):
		if w := p.next(); w.kind != "word" || !strings.EqualFold(w.text, "EXISTS") {
			return nil, fmt.Errorf("want EXISTS after NOT, got %s", w.describe())
		}
		t.op = "NOT EXISTS"
	case op.kind == "word" && strings.EqualFold(op.text, "IS"):
		w := p.next()
		kw := strings.ToUpper(w.text)
		if w.kind != "word" || (kw != "NULL" && kw != "TRUE" && kw != "FALSE") {
			return nil, fmt.Errorf("want NULL, TRUE or FALSE after IS, got %s", w.describe())
		}
		t.op = "IS " + kw
	default:
		return nil, fmt.Errorf("want an operator after %s, got %s", sel.text, op.describe())
	}
	return &patternNode{term: t}, nil
}

// rootUsageTerms are the three terms of the CIS root-usage filter.
func rootUsageTerms() [3]patternTerm {
	return [3]patternTerm{
		{selector: "$.userIdentity.type", op: "=", kind: stringValue, value: "Root"},
		{selector: "$.userIdentity.invokedBy", op: "NOT EXISTS"},
		{selector: "$.eventType", op: "!=", kind: stringValue, value: "AwsServiceEvent"},
	}
}

// IsRootUsagePattern reports whether a metric filter pattern is the CIS
// root-usage filter, {$.userIdentity.type="Root" && $.userIdentity.invokedBy
// NOT EXISTS && $.eventType !="AwsServiceEvent"}, in any form CloudWatch
// Logs reads the same: Root quoted or not, any spacing, parentheses, the
// three terms in any order (a term repeated changes nothing). Any other
// term, or an ||, makes it another filter.
func IsRootUsagePattern(p string) bool {
	n, err := parseFilterPattern(p)
	if err != nil {
		return false
	}
	var terms []patternTerm
	if !andTerms(n, &terms) {
		return false
	}
	want := rootUsageTerms()
	var seen [3]bool
	for _, t := range terms {
		i := 0
		for i < len(want) && want[i] != t {
			i++
		}
		if i == len(want) {
			return false
		}
		seen[i] = true
	}
	return seen[0] && seen[1] && seen[2]
}

// andTerms collects the terms of a conjunction; false when the node holds
// an ||.
func andTerms(n *patternNode, out *[]patternTerm) bool {
	switch n.op {
	case "":
		*out = append(*out, n.term)
		return true
	case "&&":
		for _, k := range n.kids {
			if !andTerms(k, out) {
				return false
			}
		}
		return true
	}
	return false
}
