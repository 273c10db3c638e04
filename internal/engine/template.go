package engine

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/rootwatch/rootwatch/internal/config"
)

var reflectAny = reflect.TypeFor[any]()

// template is a message with {{ CEL }} parts.
type template struct {
	parts []templatePart
}

type templatePart struct {
	text string
	prg  cel.Program // nil for text
	src  string
}

func parseTemplate(env *cel.Env, s string) (*template, error) {
	// A finding's message is one line: YAML's folded style keeps the
	// break after a more-indented line.
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	t := &template{}
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			t.parts = append(t.parts, templatePart{text: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{text: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q", s)
		}
		src := strings.TrimSpace(s[i+2 : i+j])
		prg, err := program(env, src, nil)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, templatePart{prg: prg, src: src})
		s = s[i+j+2:]
	}
	return t, nil
}

// render evaluates the parts. A part that fails shows as <source: error>
// and its error is returned (the first, if several fail).
func (t *template) render(vars cel.Activation) (string, error) {
	var b strings.Builder
	var first error
	for _, p := range t.parts {
		if p.prg == nil {
			b.WriteString(p.text)
			continue
		}
		v, _, err := p.prg.Eval(vars)
		if err != nil {
			fmt.Fprintf(&b, "<%s: %v>", p.src, err)
			if first == nil {
				first = fmt.Errorf("{{ %s }}: %w", p.src, err)
			}
			continue
		}
		b.WriteString(formatValue(plain(v)))
	}
	return strings.TrimSpace(b.String()), first
}

func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case time.Duration:
		return config.FormatDuration(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
