package engine

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

func mustRule(t *testing.T, src string) *rules.Rule {
	t.Helper()
	r, err := rules.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const minimal = `
id: test-rule
title: Test
severity: low
remediation: none
`

func field(t *testing.T, v ref.Val, key string) (ref.Val, bool) {
	t.Helper()
	m, ok := v.(traits.Mapper)
	if !ok {
		t.Fatalf("%v is not a map", v)
	}
	return m.Find(types.String(key))
}

func TestToCELLeavesOutUnknownTimes(t *testing.T) {
	used := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	a := model.Account{ID: "123456789012", Root: &model.Root{
		PasswordLastUsed: model.Stamp{Marker: model.NoInformation},
		AccessKeys:       []model.Key{{Slot: 1, LastUsed: model.At(used)}},
	}}
	m := toCEL(&a)
	if _, ok := field(t, m, "created_at"); ok {
		t.Error("zero created_at should be left out")
	}
	root, _ := field(t, m, "root")
	if _, ok := field(t, root, "password_last_used"); ok {
		t.Error("no_information should be left out so has() is false")
	}
	if _, ok := field(t, root, "hardware_mfa"); ok {
		t.Error("nil hardware_mfa should be left out")
	}
	keys, _ := field(t, root, "access_keys")
	k := keys.(traits.Lister).Get(types.Int(0))
	if lu, _ := field(t, k, "last_used"); lu.Value() != used {
		t.Errorf("last_used = %v", lu)
	}
	if slot, _ := field(t, k, "slot"); slot != types.Int(1) {
		t.Errorf("slot = %v", slot)
	}
	certs, _ := field(t, root, "certificates")
	if certs.(traits.Lister).Size() != types.Int(0) {
		t.Errorf("nil certificates should be an empty list, got %v", certs)
	}
}

func TestCompileErrorsNameTheRule(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{minimal + "expression: account.root.\nfail: x\n", "expression"},
		{minimal + "expression: '1 + 1'\nfail: x\n", "want bool"},
		{minimal + "expression: 'true'\nfail: '{{ account. }}'\n", "fail"},
		{minimal + "expression: 'true'\nfail: '{{ unclosed'\n", "unclosed"},
		{minimal + "expression: 'true'\nfail: x\nwhen: [{if: nope(), status: pass, message: m}]\n", "when[0]"},
		{minimal + "expression: 'true'\nfail: x\nevidence: {e: 'account.'}\n", "evidence.e"},
	} {
		err := Compile(mustRule(t, tc.yaml))
		if err == nil || !strings.Contains(err.Error(), "test-rule") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to name test-rule and %q", tc.yaml, err, tc.want)
		}
	}
}

func TestRuleValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"id: Bad_ID\ntitle: t\nseverity: low\nexpression: 'true'\nfail: f\nremediation: r\n", "kebab-case"},
		{"id: a\ntitle: t\nseverity: urgent\nexpression: 'true'\nfail: f\nremediation: r\n", "severity"},
		{"id: a\ntitle: t\nseverity: low\nexpression: 'true'\nfail: f\nremediation: r\nextra: 1\n", "extra"},
		{"id: a\ntitle: t\nseverity: low\nexpression: 'true'\nfail: f\nremediation: r\nwhen: [{if: 'true', status: maybe, message: m}]\n", "when[0]"},
		{"id: a\ntitle: t\nseverity: low\nfail: f\nremediation: r\n", "expression is empty"},
	} {
		if _, err := rules.Parse("x.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// A rule that cannot evaluate on an account reports error, never pass.
func TestEvaluationErrorIsErrorStatus(t *testing.T) {
	r := mustRule(t, minimal+"expression: account.root.no_such_field\nfail: x\n")
	e, err := New([]*rules.Rule{r}, Options{Params: config.DefaultParams()})
	if err != nil {
		t.Fatal(err)
	}
	f := e.EvaluateAccount(&model.Account{ID: "123456789012", Root: &model.Root{}})[0]
	if f.Status != model.StatusError || !strings.Contains(f.Message, "no_such_field") {
		t.Errorf("finding = %s %q", f.Status, f.Message)
	}
}

func TestEvaluateOrderAndStableIDs(t *testing.T) {
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(rs, Options{Params: config.DefaultParams(), Now: rules.SampleAsOf(), Severity: map[string]string{"root-mfa-enabled": "low"}, Disabled: map[string]bool{"root-signing-certificate": true}})
	if err != nil {
		t.Fatal(err)
	}
	var accts []model.Account
	for i := range 50 {
		a, err := SampleAccount(map[string]any{"id": "1000000000" + string(rune('1'+i/10)) + string(rune('0'+i%10)), "root": map[string]any{"password_enabled": "true"}}, rules.SampleAsOf())
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	first := e.Evaluate(accts)
	per := len(rs) - 1 // one disabled
	if len(first) != 50*per {
		t.Fatalf("%d findings, want %d", len(first), 50*per)
	}
	for i, f := range first {
		if f.Account != accts[i/per].ID {
			t.Fatalf("finding %d is of %s, want %s: findings must follow account order", i, f.Account, accts[i/per].ID)
		}
		if f.Check == "root-mfa-enabled" && f.Severity != "low" {
			t.Errorf("severity override not applied: %s", f.Severity)
		}
	}
	again := e.Evaluate(accts)
	for i := range first {
		if first[i].ID != again[i].ID || first[i].Message != again[i].Message {
			t.Fatalf("finding %d differs between runs", i)
		}
	}
	if id := FindingID("root-mfa-enabled", "123456789012", "arn:aws:iam::123456789012:root"); id != "53944ed348701072" ||
		FindingID("c", "123456789012", "r") == FindingID("c", "123456789013", "r") ||
		FindingID("c", "123456789012", "r") == FindingID("d", "123456789012", "r") {
		t.Error("finding IDs are not a function of check, account and resource")
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		50 * time.Hour: "2d 2h", 48 * time.Hour: "2d", 90 * time.Minute: "1h 30m", 5 * time.Minute: "5m", -time.Hour: "in the future",
	} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSampleAccountRefusesUnknownFields(t *testing.T) {
	if _, err := SampleAccount(map[string]any{"root": map[string]any{"mfa_device": true}}, rules.SampleAsOf()); err == nil {
		t.Error("a sample with a field the snapshot lacks was accepted")
	}
}

// Skipping evidence changes nothing else in the findings.
func TestNoEvidence(t *testing.T) {
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	a, err := SampleAccount(map[string]any{"root": map[string]any{"password_enabled": "true", "password_last_used": "2025-05-30T00:00:00Z"}}, rules.SampleAsOf())
	if err != nil {
		t.Fatal(err)
	}
	with, _ := New(rs, Options{Params: config.DefaultParams(), Now: rules.SampleAsOf()})
	without, _ := New(rs, Options{Params: config.DefaultParams(), Now: rules.SampleAsOf(), NoEvidence: true})
	fw, fo := with.EvaluateAccount(&a), without.EvaluateAccount(&a)
	for i := range fw {
		if fo[i].Evidence != nil {
			t.Errorf("%s: evidence built with NoEvidence", fo[i].Check)
		}
		if len(fw[i].Evidence) == 0 {
			t.Errorf("%s: no evidence", fw[i].Check)
		}
		fw[i].Evidence = nil
		if fmt.Sprint(fw[i]) != fmt.Sprint(fo[i]) {
			t.Errorf("findings differ:\n%v\n%v", fw[i], fo[i])
		}
	}
}

// Judged now, an old report cannot prove a key fresh; judged as of its own
// time (the store's history), the same report is judged as on its day.
func TestJudgedNowOrAtReportTime(t *testing.T) {
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var stale *rules.Rule
	for _, r := range rs {
		if r.ID == "root-access-key-stale" {
			stale = r
		}
	}
	generated := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)
	a, err := SampleAccount(map[string]any{"root": map[string]any{"password_enabled": "true",
		"access_keys": []any{map[string]any{"slot": 1, "active": true, "last_rotated": "2023-05-01T00:00:00Z"}}}}, generated)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		atReport bool
		want     string
	}{{false, model.StatusFail}, {true, model.StatusPass}} {
		e, err := New([]*rules.Rule{stale}, Options{Params: config.DefaultParams(), Now: now, AtReportTime: tc.atReport})
		if err != nil {
			t.Fatal(err)
		}
		if f := e.EvaluateAccount(&a)[0]; f.Status != tc.want {
			t.Errorf("AtReportTime %v: %s (%s), want %s", tc.atReport, f.Status, f.Message, tc.want)
		}
	}
}
