package study

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/rootwatch/rootwatch/internal/history"
)

func demoResult(t *testing.T, seed uint64) Result {
	t.Helper()
	s, err := New(DefaultOptions())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for o := range DemoFleet(seed) {
		if err := s.Add(o); err != nil {
			t.Fatalf("Add(%s): %v", o.Account, err)
		}
	}
	return s.Result()
}

// The seed's published figures (seeds/000) and how close the demo fleet
// must land: the figures a count decides (uses, offenders, keys, MFA) are
// built in exactly; the weekly averages of organizations come from the
// draw.
var seedFigures = map[string]struct{ seed, tol float64 }{
	"accounts audited (weekly average)":                              {915, 0},
	"organizations audited (weekly average)":                         {153, 0},
	"weekly audits":                                                  {20, 0},
	"accounts using root in a week (average)":                        {26, 0.5},  // 510 / 20 = 25.5
	"accounts using root in a week (share of accounts)":              {2.8, 0.1}, // 25.5 / 915 = 2.79%
	"organizations using root in a week (average)":                   {20, 1.5},
	"organizations using root in a week (share of organizations)":    {13, 1},
	"accounts using root over the period":                            {143, 0},
	"accounts using root over the period (share)":                    {16, 0.5}, // 143 / 915 = 15.6%
	"organizations using root over the period":                       {65, 0},
	"organizations using root over the period (share)":               {43, 0.6}, // 65 / 153 = 42.48%: the seed rounds it up
	"root uses over the period":                                      {510, 0},
	"repeat offenders (share of offending accounts)":                 {50, 0.5}, // 72 / 143 = 50.3%
	"uses by repeat offenders (share of uses)":                       {86, 0.5}, // 439 / 510 = 86.1%
	"accounts making half of the uses":                               {17, 0},
	"accounts making half of the uses (share of offending accounts)": {12, 0.5}, // 17 / 143 = 11.9%
	"key uses (share of uses)":                                       {13, 0.5}, // 64 / 510 = 12.5%
	"console uses":                                                   {464, 0},
	"console uses without MFA (share)":                               {61, 0.5}, // 283 / 464 = 61.0%
	"accounts with root keys (weekly average)":                       {54, 0},
	"accounts with root keys (share of accounts)":                    {6, 0.5},  // 54 / 915 = 5.9%
	"root keys older than 90 days (share of accounts with keys)":     {96, 0.5}, // 52 / 54 = 96.3%
	"organizations with root keys":                                   {34, 0},
	"weekly uses in small accounts (< 50 assets)":                    {56, 0.5}, // 286 / 510 = 56.1%
	"weekly uses in medium accounts (50-250 assets)":                 {29, 0.5}, // 148 / 510 = 29.0%
	"weekly uses in large accounts (> 250 assets)":                   {15, 0.5}, // 76 / 510 = 14.9%
}

func TestDemoFleetLandsOnTheSeedsFigures(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 7, 1234} {
		hs := Headlines(demoResult(t, seed))
		if len(hs) != len(seedFigures) {
			t.Errorf("seed %d: %d headlines, want %d", seed, len(hs), len(seedFigures))
		}
		for _, h := range hs {
			want, ok := seedFigures[h.Figure]
			if !ok {
				t.Errorf("headline %q has no expected figure here", h.Figure)
				continue
			}
			if h.Seed != want.seed {
				t.Errorf("%q: seed figure %v, want %v", h.Figure, h.Seed, want.seed)
			}
			if d := h.Computed - want.seed; math.Abs(d) > want.tol+1e-9 || h.Diff() != d {
				t.Errorf("seed %d: %q = %.2f, seed's %v ± %v (Diff %.2f)", seed, h.Figure, h.Computed, want.seed, want.tol, h.Diff())
			}
		}
	}
}

// TestDemoFleetPeriod: the period figures the demo builds in by count.
func TestDemoFleetPeriod(t *testing.T) {
	p := demoResult(t, 1).Period
	want := Period{Weeks: 20, Accounts: 915, Orgs: 153, AccountsUsedRoot: 143, OrgsUsedRoot: 65, Uses: 510,
		KeyUses: 64, ConsoleUses: 464, ConsoleUsesWithoutMFA: 283, RepeatOffenders: 72, UsesByRepeatOffenders: 439,
		ConcentrationHalfOfUses: 17, AccountsWithRootKeys: 54, OrgsWithRootKeys: 34}
	exact := p.Exact
	p.Exact = nil
	if p != want {
		t.Errorf("period:\n got %+v\nwant %+v", p, want)
	}
	// CloudTrail is read in every third organization: some accounts, and
	// at least one sign-in per console use there.
	if exact == nil || exact.Accounts == 0 || exact.SignIns == 0 || exact.KeySignedCalls == 0 {
		t.Errorf("exact = %+v, want CloudTrail counts", exact)
	}
}

func collect(seed uint64) []history.Observation { return slices.Collect(DemoFleet(seed)) }

func TestDemoFleetDeterministic(t *testing.T) {
	a, b := collect(1), collect(1)
	if len(a) != 915*20 {
		t.Fatalf("%d observations, want 915 × 20 = 18300", len(a))
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("DemoFleet(1) differs between two calls")
	}
	if reflect.DeepEqual(a, collect(2)) {
		t.Error("DemoFleet(2) is DemoFleet(1)")
	}
	runs, accounts := map[int64]int{}, map[string]bool{}
	for _, o := range a {
		runs[o.RunID]++
		accounts[o.Account] = true
		if o.PasswordLastUsed.After(o.AsOf) || o.Keys[0].LastUsed.After(o.AsOf) || o.Keys[1].LastUsed.After(o.AsOf) {
			t.Fatalf("%s run %d: a use after the report (%+v)", o.Account, o.RunID, o)
		}
		if k := o.Keys[0]; !k.LastUsed.IsZero() && k.LastUsed.Before(k.LastRotated) {
			t.Fatalf("%s run %d: key used before it was created (%+v)", o.Account, o.RunID, k)
		}
		if o.Assets == nil || o.Org == "" || o.CreatedAt.After(o.AsOf) {
			t.Fatalf("%s run %d: no assets, no org or created after the audit (%+v)", o.Account, o.RunID, o)
		}
	}
	if len(runs) != 20 || len(accounts) != 915 {
		t.Errorf("%d runs, %d accounts; want 20, 915", len(runs), len(accounts))
	}
	for r, n := range runs {
		if n != 915 {
			t.Errorf("run %d: %d observations, want 915", r, n)
		}
	}
	n := 0
	for range DemoFleet(1) {
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("stopping the iteration: %d observations seen, want 3", n)
	}
}

// TestDemoFleetYoungAccountsLeftOut: the demo's 12 accounts created within
// 30 days of the first audit are not eligible in the first week.
func TestDemoFleetYoungAccountsLeftOut(t *testing.T) {
	w := demoResult(t, 1).Weeks
	if w[0].AccountsEligible != 915-12 || w[len(w)-1].AccountsEligible != 915 {
		t.Errorf("eligible first week %d, last %d; want 903, 915", w[0].AccountsEligible, w[len(w)-1].AccountsEligible)
	}
}
