package cli

import (
	"fmt"

	"github.com/spf13/pflag"
)

// onceString is a string flag that may be given once: pflag's StringVar
// keeps the last of repeated values silently, so "--format json ... --format
// csv" would write CSV while the user reads the first. The default is not a
// Set, so only what the command line gives counts.
type onceString struct {
	p    *string
	name string
	set  bool
}

func (o *onceString) String() string {
	if o.p == nil {
		return ""
	}
	return *o.p
}

func (o *onceString) Set(v string) error {
	if o.set {
		return fmt.Errorf("--%s given twice (%q, then %q): give it once", o.name, *o.p, v)
	}
	o.set = true
	*o.p = v
	return nil
}

func (o *onceString) Type() string { return "string" }

// stringOnceVarP defines a string flag, like pflag's StringVarP, that is
// refused when given twice: exit 2 naming the flag. Use it for every flag
// whose repeats would be silently dropped (--format, --output, ...).
func stringOnceVarP(f *pflag.FlagSet, p *string, name, shorthand, value, usage string) {
	*p = value
	f.VarP(&onceString{p: p, name: name}, name, shorthand, usage)
}

// stringOnceVar is stringOnceVarP without a shorthand.
func stringOnceVar(f *pflag.FlagSet, p *string, name, value, usage string) {
	stringOnceVarP(f, p, name, "", value, usage)
}

// plural writes a count with its noun, singular or plural: "1 input",
// "2 inputs". pl is the plural form ("" adds an s).
func plural(n int, singular, pl string) string {
	if pl == "" {
		pl = singular + "s"
	}
	if n == 1 {
		return fmt.Sprintf("%d %s", n, singular)
	}
	return fmt.Sprintf("%d %s", n, pl)
}
