package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Config is the configuration file's content.
type Config struct {
	// Window is how far back "recent" root use reaches (Conformity IAM-035
	// uses 7 days).
	Window string `yaml:"window"`
	// KeyMaxAge is the age past which an active root key is stale.
	KeyMaxAge string `yaml:"key_max_age"`
	// GracePeriod: accounts created less than this before the report are
	// left out of usage checks (their root is used to set them up).
	GracePeriod string `yaml:"grace_period"`
	// FailOn is the lowest severity of a failing finding that makes the
	// exit code 1.
	FailOn string `yaml:"fail_on"`
	// ConsumerMailDomains, when given, replaces the default list of
	// personal mail domains that root-email-dedicated refuses.
	ConsumerMailDomains []string `yaml:"consumer_mail_domains"`
	// Checks holds per-check settings by check ID.
	Checks map[string]CheckConfig `yaml:"checks"`
}

// CheckConfig changes one check.
type CheckConfig struct {
	Severity string `yaml:"severity"`
	Disabled bool   `yaml:"disabled"`
}

// Params are the thresholds rules read as `params.<name>`.
type Params struct {
	Window      time.Duration
	KeyMaxAge   time.Duration
	GracePeriod time.Duration
	// ConsumerMailDomains are personal mail providers' domains, lower
	// case: a root email there is someone's own mailbox.
	ConsumerMailDomains []string
}

// DefaultConsumerMailDomains are the best-known personal mail providers'
// domains.
func DefaultConsumerMailDomains() []string {
	return []string{"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
		"icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de", "mail.ru",
		"yandex.ru", "qq.com", "163.com"}
}

// DefaultParams are the thresholds of the seed study and the benchmarks.
func DefaultParams() Params {
	day := 24 * time.Hour
	return Params{Window: 7 * day, KeyMaxAge: 90 * day, GracePeriod: 30 * day, ConsumerMailDomains: DefaultConsumerMailDomains()}
}

// Map returns the params as rules see them.
func (p Params) Map() map[string]any {
	return map[string]any{"window": p.Window, "key_max_age": p.KeyMaxAge, "grace_period": p.GracePeriod,
		"consumer_mail_domains": slices.Clone(p.ConsumerMailDomains)}
}

// Set changes one parameter by name from its text form: a duration, or
// for consumer_mail_domains a comma-separated list of domains.
func (p *Params) Set(name, value string) error {
	if name == "consumer_mail_domains" {
		var list []string // "" is the empty list
		if strings.TrimSpace(value) != "" {
			list = strings.Split(value, ",")
		}
		ds, err := MailDomains(list)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p.ConsumerMailDomains = ds
		return nil
	}
	d, err := ParseDuration(value)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch name {
	case "window":
		if d <= 0 {
			return fmt.Errorf("%s: %w", name, errors.New("must be longer than zero"))
		}
		p.Window = d
	case "key_max_age":
		p.KeyMaxAge = d
	case "grace_period":
		p.GracePeriod = d
	default:
		return fmt.Errorf("unknown parameter %q (known: window, key_max_age, grace_period, consumer_mail_domains)", name)
	}
	return nil
}

// Load reads a configuration file, refusing unknown keys.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open config: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse reads a configuration from r; name is used in errors.
func Parse(name string, r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	// Keys first, so a typo gets the nearest known key, then the values
	// (their types; KnownFields stays as a guard).
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if len(doc.Content) == 1 {
		if err := checkKeys(doc.Content[0], reflect.TypeFor[Config](), ""); err != nil {
			return nil, fmt.Errorf("config %s: %w", name, err)
		}
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	var more any
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: holds more than one YAML document; put everything in one", name)
	}
	if _, err := c.Params(DefaultParams()); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if c.FailOn != "" && model.SeverityRank(c.FailOn) < 0 && c.FailOn != "none" {
		return nil, fmt.Errorf("config %s: fail_on %q is not one of %s or none", name, c.FailOn, strings.Join(model.Severities(), ", "))
	}
	ids := make([]string, 0, len(c.Checks))
	for id := range c.Checks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if s := c.Checks[id].Severity; s != "" && model.SeverityRank(s) < 0 {
			return nil, fmt.Errorf("config %s: checks.%s.severity %q is not one of %s", name, id, s, strings.Join(model.Severities(), ", "))
		}
	}
	return &c, nil
}

// Params applies the file's thresholds over base.
func (c *Config) Params(base Params) (Params, error) {
	for _, kv := range [][2]string{{"window", c.Window}, {"key_max_age", c.KeyMaxAge}, {"grace_period", c.GracePeriod}} {
		if kv[1] == "" {
			continue
		}
		if err := base.Set(kv[0], kv[1]); err != nil {
			return base, err
		}
	}
	if c.ConsumerMailDomains != nil {
		ds, err := MailDomains(c.ConsumerMailDomains)
		if err != nil {
			return base, fmt.Errorf("consumer_mail_domains: %w", err)
		}
		base.ConsumerMailDomains = ds
	}
	return base, nil
}

// MailDomains checks and folds a list of mail domains: lower case, spaces
// and a leading "@" dropped, each once; a domain needs a dot and no "@",
// space or control character. An empty list is allowed (no domain is
// personal).
func MailDomains(in []string) ([]string, error) {
	out := []string{}
	for _, d := range in {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		bad := d == "" || !strings.Contains(d, ".") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") ||
			strings.ContainsFunc(d, func(r rune) bool { return r == '@' || r <= ' ' || r == 0x7f || r == ',' })
		if bad {
			return nil, fmt.Errorf("%q is not a mail domain (e.g. gmail.com)", d)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out, nil
}

// checkKeys refuses a mapping key that t (a struct with yaml tags, or a
// map of them) does not know, naming its line and the nearest known key.
// Values of the wrong shape are left to the typed decoder.
func checkKeys(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	switch t.Kind() {
	case reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := checkKeys(n.Content[i+1], t.Elem(), path+n.Content[i].Value+"."); err != nil {
				return err
			}
		}
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		var known []string
		for f := range t.Fields() {
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = f.Type
			known = append(known, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				where := ""
				if path != "" {
					where = " of " + strings.TrimSuffix(path, ".")
				}
				return fmt.Errorf("line %d: unknown key %q%s (known keys%s: %s)", k.Line, path+k.Value,
					DidYouMean(k.Value, known), where, strings.Join(known, ", "))
			}
			if err := checkKeys(n.Content[i+1], ft, path+k.Value+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// DidYouMean returns ` (did you mean "x"?)` for the candidate nearest to
// word (Levenshtein distance, ignoring case and - versus _), when one is
// near enough to be a likely typo; else "".
func DidYouMean(word string, candidates []string) string {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	best, bestDist := "", -1
	for _, c := range candidates {
		d := levenshtein(norm(word), norm(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	// A third of the word may be wrong, at least two characters.
	if bestDist < 0 || bestDist > max(2, len([]rune(word))/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
