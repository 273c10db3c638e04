package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{"7d": 7 * day, "10d": 10 * day, "36h": 36 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0d": 0} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "seven", "7", "d", "-3d", "7d-1h", "1.5d", "110000d", "200000d", "9000000h"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{7 * day: "7d", 36 * time.Hour: "36h", 90 * time.Minute: "1h30m0s", 90*day + 12*time.Hour: "90d12h",
		51*time.Hour + 5*time.Minute + 7*time.Second: "2d3h5m", 3*day + 30*time.Second: "3d", -49 * time.Hour: "-2d1h", 50 * time.Hour: "2d2h", 90*day + 10*time.Hour + 50*time.Minute: "90d10h50m", 24*time.Hour + 20*time.Minute: "1d20m",
		36*time.Hour + 10*time.Minute: "1d12h10m"} {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseDuration(strings.TrimPrefix(got, "-")); err != nil || (d > day && d.Abs().Truncate(time.Minute) != back) {
			t.Errorf("ParseDuration(%q) = %v, %v", got, back, err)
		}
	}
}

func TestParseConfig(t *testing.T) {
	c, err := Parse("c.yaml", strings.NewReader("window: 10d\nkey_max_age: 30d\nfail_on: critical\nchecks:\n  root-mfa-enabled: {severity: low}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Params(DefaultParams())
	if err != nil || p.Window != 240*time.Hour || p.KeyMaxAge != 720*time.Hour || p.GracePeriod != 720*time.Hour {
		t.Errorf("params = %+v, %v", p, err)
	}
	if c.FailOn != "critical" || c.Checks["root-mfa-enabled"].Severity != "low" {
		t.Errorf("config = %+v", c)
	}
	if _, err := Parse("empty.yaml", strings.NewReader("")); err != nil {
		t.Errorf("empty config: %v", err)
	}
	for in, want := range map[string]string{
		"window: soon\n":                              "window",
		"window: 0d\n":                                "longer than zero",
		"fail_on: urgent\n":                           "fail_on",
		"checks:\n  x: {severity: huge}\n":            "checks.x.severity",
		"widow: 7d\n":                                 "widow",
		"window: 7d\n---\nwindow: 9d\n":               "more than one YAML document",
		"window: [1]\n":                               "line 1",
		"checks:\n  x: {severity: low, color: red}\n": "color",
	} {
		if _, err := Parse("bad.yaml", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("%q: error %v, want it to name bad.yaml and %q", in, err, want)
		}
	}
}

// A typo in the configuration names the line, the key and the nearest
// known key; a key far from all of them lists the known ones.
func TestParseConfigUnknownKeySuggests(t *testing.T) {
	for in, want := range map[string]string{
		"window: 7d\nwidow: 7d\n": `config bad.yaml: line 2: unknown key "widow" (did you mean "window"?) (known keys: window, key_max_age, grace_period, fail_on, consumer_mail_domains, checks)`,
		"key-max-age: 30d\n":      `config bad.yaml: line 1: unknown key "key-max-age" (did you mean "key_max_age"?) (known keys: window, key_max_age, grace_period, fail_on, consumer_mail_domains, checks)`,
		"checks:\n  root-mfa-enabled: {severity: low, disable: true}\n": `config bad.yaml: line 2: unknown key "checks.root-mfa-enabled.disable" (did you mean "disabled"?) (known keys of checks.root-mfa-enabled: severity, disabled)`,
		"colour_scheme: dark\n": `config bad.yaml: line 1: unknown key "colour_scheme" (known keys: window, key_max_age, grace_period, fail_on, consumer_mail_domains, checks)`,
	} {
		_, err := Parse("bad.yaml", strings.NewReader(in))
		if err == nil || err.Error() != want {
			t.Errorf("%q:\n got %v\nwant %s", in, err, want)
		}
	}
}

// --window abc says which forms a duration takes.
func TestParseDurationErrorSaysTheForms(t *testing.T) {
	for in, want := range map[string]string{
		"abc":     `"abc" is not a duration: write days, hours and minutes such as 7d, 36h, 1d12h or 90m`,
		"7days":   `"7days" is not a duration: write days, hours and minutes such as 7d, 36h, 1d12h or 90m`,
		"200000d": `"200000d" is too long: at most 36500d`,
	} {
		if _, err := ParseDuration(in); err == nil || err.Error() != want {
			t.Errorf("ParseDuration(%q): got %v, want %s", in, err, want)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	known := []string{"window", "key_max_age", "grace_period", "fail_on", "checks"}
	for word, want := range map[string]string{
		"windwo":          ` (did you mean "window"?)`,
		"FAIL-ON":         ` (did you mean "fail_on"?)`,
		"grace":           "",
		"zzz":             "",
		"graceperiod":     ` (did you mean "grace_period"?)`,
		"check":           ` (did you mean "checks"?)`,
		"root-mfa-enabld": "",
	} {
		if got := DidYouMean(word, known); got != want {
			t.Errorf("DidYouMean(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestConsumerMailDomains(t *testing.T) {
	p := DefaultParams()
	if len(p.ConsumerMailDomains) != 21 || p.ConsumerMailDomains[0] != "gmail.com" || p.ConsumerMailDomains[20] != "163.com" {
		t.Errorf("default domains = %v", p.ConsumerMailDomains)
	}
	c, err := Parse("c.yaml", strings.NewReader("consumer_mail_domains: [Example-Mail.COM, '@home.example', example-mail.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Params(DefaultParams())
	if err != nil || strings.Join(got.ConsumerMailDomains, ",") != "example-mail.com,home.example" {
		t.Errorf("from the file: %v, %v", got.ConsumerMailDomains, err)
	}
	// An empty list in the file is no personal domain at all.
	c, err = Parse("c.yaml", strings.NewReader("consumer_mail_domains: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Params(DefaultParams()); err != nil || len(got.ConsumerMailDomains) != 0 {
		t.Errorf("empty list: %v, %v", got.ConsumerMailDomains, err)
	}
	// A file without the key keeps the default.
	c, err = Parse("c.yaml", strings.NewReader("window: 7d\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Params(DefaultParams()); len(got.ConsumerMailDomains) != 21 {
		t.Errorf("no key: %v", got.ConsumerMailDomains)
	}
	if err := p.Set("consumer_mail_domains", "a.example, B.example"); err != nil || strings.Join(p.ConsumerMailDomains, ",") != "a.example,b.example" {
		t.Errorf("Set: %v, %v", p.ConsumerMailDomains, err)
	}
	if m := p.Map()["consumer_mail_domains"].([]string); len(m) != 2 {
		t.Errorf("Map: %v", m)
	}
	for _, in := range []string{"consumer_mail_domains: [gmail]\n", "consumer_mail_domains: [a@b.com]\n", "consumer_mail_domains: ['a b.com']\n", "consumer_mail_domains: ['']\n", "consumer_mail_domains: gmail.com\n"} {
		if _, err := Parse("bad.yaml", strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("%q: %v, want an error naming the file", in, err)
		}
	}
	if err := p.Set("consumer_mail_domains", "gmail.com,,x.org"); err == nil {
		t.Error("an empty domain in a list accepted")
	}
}
