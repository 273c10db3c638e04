package cli

import (
	"strings"
	"testing"
)

// One registry of formats serves audit, trail and rules: each command's
// --format help and its error for an unknown format list exactly the
// formats it accepts.
func TestFormatHelpAndErrorsListTheAcceptedFormats(t *testing.T) {
	cases := []struct {
		args  []string
		valid string
	}{
		{[]string{"audit", "--demo"}, "table, json, csv, sarif"},
		{[]string{"trail", "--demo"}, "table, jsonl, csv"},
		{[]string{"rules", "list"}, "table, json"},
	}
	for _, c := range cases {
		help := run(t, append(c.args[:len(c.args):len(c.args)], "--help")...)
		if !strings.Contains(help.out, "output FORMAT: "+c.valid+" ") {
			t.Errorf("%s --help does not list %q:\n%s", c.args[0], c.valid, help.out)
		}
		r := run(t, append(c.args[:len(c.args):len(c.args)], "--format", "yaml")...)
		want := `--format: unknown format "yaml" (valid: ` + c.valid + ")"
		if r.code != ExitUsage || !strings.Contains(r.err, want) {
			t.Errorf("%s --format yaml: exit %d, %q; want exit 2 and %q", c.args[0], r.code, r.err, want)
		}
	}
}
