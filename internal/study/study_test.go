package study

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

const day = 24 * time.Hour

// The hand-built fleet's audits. 2025-03-03 is a Monday, so:
// week 1 is 2025-03-03..09, week 2 2025-03-10..16, week 3 2025-03-17..23.
var (
	t1 = time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)  // Sunday, week 1 (run 1)
	m2 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)  // Monday 00:00, week 2 (run 2, A6 only)
	t2 = time.Date(2025, 3, 16, 12, 0, 0, 0, time.UTC) // Sunday, week 2 (run 3)
	t3 = time.Date(2025, 3, 23, 12, 0, 0, 0, time.UTC) // Sunday, week 3 (runs 4 and 5)
)

func intp(n int) *int { return &n }

// mustDo fails the test on a setup error.
func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// handFleet is six accounts in three organizations (and one without) over
// three weeks:
//
//	A1 o-a  no MFA, 10 assets (small), no keys; console use weeks 1 and 2
//	        (password 2d, 1d before), not week 3 (8d before). Exact week 1
//	        {3 sign-ins, 3 without MFA}, week 3 {0,0,0}.
//	A2 o-a  MFA, 100 assets (medium), key 1 active rotated 200d before t1;
//	        key use week 1 (3d before; exact 12 key-signed calls), none week 2
//	        (10d), console use week 3 exactly 7d before (the window holds it).
//	A3 o-b  created 20d before t1 (young weeks 1 and 2: 20d, 27d; eligible
//	        week 3: 34d), no MFA, assets unknown, key 1 active rotated 20d
//	        before t1; password used 1d before t1 (young: not counted; exact
//	        {2,2,0} not counted either), 2d before t3 (a use, unknown size).
//	A4 o-b  MFA, 300 assets (large), key 1 active rotated exactly 90d before
//	        t1 (not old in week 1, 97d old in week 2), key 2 inactive used 1d
//	        before t2: key use week 2 only.
//	A5 --   no organization, creation unknown (eligible), no MFA, 49 assets
//	        (small); audited weeks 1 and 3 only; password 6d23h before t1:
//	        a use week 1 only.
//	A6 o-c  MFA, 50 assets (medium); password used 6h before t1: use week 1.
//	        Week 2: a Monday 00:00 audit (run 2) would see it 18h before, but
//	        the week's last audit (run 3, t2) sees it 7d6h before: no use.
//	        Week 3: run 4 and run 5 at the same time; run 5 (higher) shows key
//	        1 active, rotated 10d before.
func handFleet() []history.Observation {
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var obs []history.Observation
	add := func(run int64, acct, org string, asOf time.Time, f func(o *history.Observation)) {
		o := history.Observation{RunID: run, Account: acct, Name: "name-" + acct, Org: org, AsOf: asOf, CreatedAt: old}
		f(&o)
		obs = append(obs, o)
	}
	a1 := func(o *history.Observation) { o.Assets = intp(10) }
	add(1, "000000000001", "o-a", t1, func(o *history.Observation) {
		a1(o)
		o.PasswordLastUsed = t1.Add(-2 * day)
		o.Exact = &history.ExactCounts{SignIns: 3, SignInsWithoutMFA: 3}
	})
	add(3, "000000000001", "o-a", t2, func(o *history.Observation) { a1(o); o.PasswordLastUsed = t2.Add(-day) })
	add(4, "000000000001", "o-a", t3, func(o *history.Observation) {
		a1(o)
		o.PasswordLastUsed = t2.Add(-day)
		o.Exact = &history.ExactCounts{}
	})

	a2 := func(o *history.Observation) {
		o.MFA, o.Assets = true, intp(100)
		o.Keys[0] = history.KeyFacts{Active: true, LastRotated: t1.Add(-200 * day), LastUsed: t1.Add(-3 * day)}
	}
	add(1, "000000000002", "o-a", t1, func(o *history.Observation) { a2(o); o.Exact = &history.ExactCounts{KeySignedCalls: 12} })
	add(3, "000000000002", "o-a", t2, a2)
	add(4, "000000000002", "o-a", t3, func(o *history.Observation) { a2(o); o.PasswordLastUsed = t3.Add(-7 * day) })

	a3 := func(o *history.Observation) {
		o.CreatedAt = t1.Add(-20 * day)
		o.Keys[0] = history.KeyFacts{Active: true, LastRotated: t1.Add(-20 * day)}
		o.PasswordLastUsed = t1.Add(-day)
	}
	add(1, "000000000003", "o-b", t1, func(o *history.Observation) { a3(o); o.Exact = &history.ExactCounts{SignIns: 2, SignInsWithoutMFA: 2} })
	add(3, "000000000003", "o-b", t2, a3)
	add(4, "000000000003", "o-b", t3, func(o *history.Observation) { a3(o); o.PasswordLastUsed = t3.Add(-2 * day) })

	a4 := func(o *history.Observation) {
		o.MFA, o.Assets = true, intp(300)
		o.Keys[0] = history.KeyFacts{Active: true, LastRotated: t1.Add(-90 * day)}
		o.Keys[1] = history.KeyFacts{LastRotated: t1.Add(-400 * day)}
	}
	add(1, "000000000004", "o-b", t1, a4)
	add(3, "000000000004", "o-b", t2, func(o *history.Observation) { a4(o); o.Keys[1].LastUsed = t2.Add(-day) })
	add(4, "000000000004", "o-b", t3, func(o *history.Observation) { a4(o); o.Keys[1].LastUsed = t2.Add(-day) })

	a5 := func(o *history.Observation) {
		o.CreatedAt, o.Assets = time.Time{}, intp(49)
		o.PasswordLastUsed = t1.Add(-(6*day + 23*time.Hour))
	}
	add(1, "000000000005", "", t1, a5)
	add(4, "000000000005", "", t3, a5)

	a6 := func(o *history.Observation) {
		o.MFA, o.Assets = true, intp(50)
		o.CreatedAt = time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
		o.PasswordLastUsed = t1.Add(-6 * time.Hour)
	}
	add(1, "000000000006", "o-c", t1, a6)
	add(2, "000000000006", "o-c", m2, a6)
	add(3, "000000000006", "o-c", t2, a6)
	add(4, "000000000006", "o-c", t3, a6)
	add(5, "000000000006", "o-c", t3, func(o *history.Observation) {
		a6(o)
		o.Keys[0] = history.KeyFacts{Active: true, LastRotated: t3.Add(-10 * day)}
	})
	return obs
}

func run(t *testing.T, opts Options, obs []history.Observation) Result {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, o := range obs {
		if err := s.Add(o); err != nil {
			t.Fatalf("Add(%s at %s): %v", o.Account, o.AsOf, err)
		}
	}
	return s.Result()
}

// The figures of handFleet, worked out by hand (see its comment):
//
// Week 1: 6 accounts, A3 young: 5 eligible; orgs o-a o-b o-c (A5 has
// none): 3. Uses A1 (console, no MFA), A2 (key), A5 (console, no MFA), A6
// (console, MFA): 4; orgs used o-a, o-c: 2; key 1, console 3, without MFA
// 2. Active keys A2, A3 (young included), A4: 3; old: A2 only (A4 exactly
// 90d): 1. Sizes: A1 small, A2 medium, A5 small (49), A6 medium (50): 2/2/0.
// Exact: A1 and A2 (A3 is young): 2 accounts, 3 sign-ins, 3 without MFA, 12
// calls.
//
// Week 2: A5 not audited: 5 accounts, A3 young: 4 eligible, 3 orgs; uses A1
// (console, no MFA), A4 (inactive key 2): 2; orgs used o-a, o-b: 2; key 1,
// console 1, without MFA 1. Active keys A2, A3, A4: 3; old A2 (207d), A4
// (97d): 2. Sizes: A1 small, A4 large. No exact counts: no exact object.
// The week's as_of is t2 (the Monday audit is earlier).
//
// Week 3: 6 accounts, all eligible (A3 34d), 3 orgs; uses A2 (console with
// MFA, exactly 7d), A3 (console, no MFA): 2; orgs used o-a, o-b: 2; key 0,
// console 2, without MFA 1. Active keys A2, A3, A4, A6 (run 5): 4; old A2,
// A4: 2. Sizes: A2 medium, A3 unknown (no bucket): 0/1/0. Exact: A1's
// zeros: 1 account.
//
// Period: 3 weeks, 6 accounts, 3 orgs; uses 4+2+2 = 8 by A1 2, A2 2, A3 1,
// A4 1, A5 1, A6 1: 6 accounts; orgs used o-a, o-b, o-c: 3; key 1+1+0 = 2,
// console 3+1+2 = 6, without MFA 2+1+1 = 4; repeat offenders A1, A2: 2,
// their uses 4; half of 8 is 4 = A1 + A2: concentration 2. Accounts with
// keys A2, A3, A4, A6: 4, their orgs o-a, o-b, o-c: 3. Exact: 3 sign-ins, 3
// without MFA, 12 calls, accounts A1, A2: 2.
const handFleetJSON = `{"weeks":[` +
	`{"as_of":"2025-03-09T12:00:00Z","accounts":6,"accounts_eligible":5,"orgs":3,"accounts_used_root":4,"orgs_used_root":2,` +
	`"key_uses":1,"console_uses":3,"console_uses_without_mfa":2,"accounts_with_root_keys":3,"accounts_with_old_root_keys":1,` +
	`"used_root_by_size":{"small":2,"medium":2,"large":0},"exact":{"accounts":2,"sign_ins":3,"sign_ins_without_mfa":3,"key_signed_calls":12}},` +
	`{"as_of":"2025-03-16T12:00:00Z","accounts":5,"accounts_eligible":4,"orgs":3,"accounts_used_root":2,"orgs_used_root":2,` +
	`"key_uses":1,"console_uses":1,"console_uses_without_mfa":1,"accounts_with_root_keys":3,"accounts_with_old_root_keys":2,` +
	`"used_root_by_size":{"small":1,"medium":0,"large":1}},` +
	`{"as_of":"2025-03-23T12:00:00Z","accounts":6,"accounts_eligible":6,"orgs":3,"accounts_used_root":2,"orgs_used_root":2,` +
	`"key_uses":0,"console_uses":2,"console_uses_without_mfa":1,"accounts_with_root_keys":4,"accounts_with_old_root_keys":2,` +
	`"used_root_by_size":{"small":0,"medium":1,"large":0},"exact":{"accounts":1,"sign_ins":0,"sign_ins_without_mfa":0,"key_signed_calls":0}}],` +
	`"period":{"weeks":3,"accounts":6,"orgs":3,"accounts_used_root":6,"orgs_used_root":3,"uses":8,"key_uses":2,"console_uses":6,` +
	`"console_uses_without_mfa":4,"repeat_offenders":2,"uses_by_repeat_offenders":4,"concentration_half_of_uses":2,` +
	`"accounts_with_root_keys":4,"orgs_with_root_keys":3,"exact":{"accounts":2,"sign_ins":3,"sign_ins_without_mfa":3,"key_signed_calls":12}}}`

func TestHandFleetJSON(t *testing.T) {
	r := run(t, DefaultOptions(), handFleet())
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if string(got) != handFleetJSON {
		t.Errorf("JSON:\n got %s\nwant %s", got, handFleetJSON)
	}
}

func TestHandFleetWeeksAndOffenders(t *testing.T) {
	r := run(t, DefaultOptions(), handFleet())
	var starts []string
	for _, w := range r.Weeks {
		starts = append(starts, w.Start.Format(time.RFC3339))
	}
	if want := []string{"2025-03-03T00:00:00Z", "2025-03-10T00:00:00Z", "2025-03-17T00:00:00Z"}; !reflect.DeepEqual(starts, want) {
		t.Errorf("week starts = %v, want %v", starts, want)
	}
	// A1 and A2 tie at 2 uses: account ID breaks the tie; both make the half.
	want := []Offender{
		{Account: "000000000001", Name: "name-000000000001", Org: "o-a", Uses: 2, ConsoleUses: 2, ConsoleUsesWithoutMFA: 2, Repeat: true, InHalf: true},
		{Account: "000000000002", Name: "name-000000000002", Org: "o-a", Uses: 2, KeyUses: 1, ConsoleUses: 1, Repeat: true, InHalf: true},
		{Account: "000000000003", Name: "name-000000000003", Org: "o-b", Uses: 1, ConsoleUses: 1, ConsoleUsesWithoutMFA: 1},
		{Account: "000000000004", Name: "name-000000000004", Org: "o-b", Uses: 1, KeyUses: 1},
		{Account: "000000000005", Name: "name-000000000005", Uses: 1, ConsoleUses: 1, ConsoleUsesWithoutMFA: 1},
		{Account: "000000000006", Name: "name-000000000006", Org: "o-c", Uses: 1, ConsoleUses: 1},
	}
	if !reflect.DeepEqual(r.Offenders, want) {
		t.Errorf("offenders:\n got %+v\nwant %+v", r.Offenders, want)
	}
	// A2's key is old all three weeks; A3's never (20d to 34d); A4's from
	// week 2 (97d); A6's only in week 3's kept audit (run 5), 10 days old.
	wantKeys := []KeyHolder{
		{Account: "000000000002", Name: "name-000000000002", Org: "o-a", Weeks: 3, OldWeeks: 3},
		{Account: "000000000003", Name: "name-000000000003", Org: "o-b", Weeks: 3},
		{Account: "000000000004", Name: "name-000000000004", Org: "o-b", Weeks: 3, OldWeeks: 2},
		{Account: "000000000006", Name: "name-000000000006", Org: "o-c", Weeks: 1},
	}
	if !reflect.DeepEqual(r.KeyHolders, wantKeys) {
		t.Errorf("key holders:\n got %+v\nwant %+v", r.KeyHolders, wantKeys)
	}
}

// shuffled returns obs in a seeded random order.
func shuffled(obs []history.Observation, seed uint64) []history.Observation {
	out := append([]history.Observation(nil), obs...)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func TestStreamOrderDoesNotChangeResult(t *testing.T) {
	obs := handFleet()
	// Ties that only a fixed order of the facts settles: the same account,
	// time and run seen twice with different facts.
	tie := obs[0]
	tie.MFA = true
	obs = append(obs, tie)
	want := run(t, DefaultOptions(), obs)
	for seed := range uint64(200) {
		got := run(t, DefaultOptions(), shuffled(obs, seed))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: result differs from the ordered stream:\n got %+v\nwant %+v", seed, got, want)
		}
	}
	// Reversed, and each observation twice.
	rev := append([]history.Observation(nil), obs...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if got := run(t, DefaultOptions(), append(rev, obs...)); !reflect.DeepEqual(got, want) {
		t.Errorf("reversed and doubled: result differs:\n got %+v\nwant %+v", got, want)
	}
}

// byAsOf returns obs sorted as a store streams them: AsOf, then account.
func byAsOf(obs []history.Observation) []history.Observation {
	out := append([]history.Observation(nil), obs...)
	slices.SortStableFunc(out, func(a, b history.Observation) int {
		return cmp.Or(a.AsOf.Compare(b.AsOf), cmp.Compare(a.Account, b.Account))
	})
	return out
}

func TestOrderedFoldsWeeksAsTheyEnd(t *testing.T) {
	obs := byAsOf(handFleet())
	want := run(t, DefaultOptions(), obs)
	opts := DefaultOptions()
	opts.Ordered = true
	s, err := New(opts)
	mustDo(t, err)
	maxOpen := 0
	for _, o := range obs {
		mustDo(t, s.Add(o))
		maxOpen = max(maxOpen, len(s.open))
	}
	// Memory holds one week's cells at a time, whatever the number of weeks.
	if maxOpen != 1 {
		t.Errorf("open weeks at most %d, want 1", maxOpen)
	}
	if len(s.agg.weeks) != 2 {
		t.Errorf("folded weeks before Result = %d, want 2 (the third is still open)", len(s.agg.weeks))
	}
	if got := s.Result(); !reflect.DeepEqual(got, want) {
		t.Errorf("ordered result differs:\n got %+v\nwant %+v", got, want)
	}
	// Result leaves the study usable: a later week still adds, and the
	// second Result counts the first's weeks once.
	late := history.Observation{RunID: 9, Account: "000000000009", AsOf: t3.Add(7 * day), PasswordLastUsed: t3.Add(6 * day)}
	mustDo(t, s.Add(late))
	r := s.Result()
	if r.Period.Weeks != 4 || r.Period.Uses != want.Period.Uses+1 || r.Period.Accounts != want.Period.Accounts+1 {
		t.Errorf("after a later week: weeks %d uses %d accounts %d, want 4, %d, %d",
			r.Period.Weeks, r.Period.Uses, r.Period.Accounts, want.Period.Uses+1, want.Period.Accounts+1)
	}
	// An observation of a week already folded is refused and changes nothing.
	err = s.Add(history.Observation{RunID: 10, Account: "000000000010", AsOf: t1, PasswordLastUsed: t1})
	if !errors.Is(err, ErrOutOfOrder) || !strings.Contains(err.Error(), "run 10, account 000000000010") {
		t.Errorf("Add of a folded week = %v, want ErrOutOfOrder naming run 10 and the account", err)
	}
	if got := s.Result(); !reflect.DeepEqual(got, r) {
		t.Errorf("a refused observation changed the result")
	}
}

func TestRootUnreadIsLeftOut(t *testing.T) {
	// The week's last audit could not read root: the earlier one counts,
	// and an account only ever unread is in no figure.
	obs := []history.Observation{
		{RunID: 1, Account: "111111111111", Org: "o-a", AsOf: t1, PasswordLastUsed: t1.Add(-day)},
		{RunID: 2, Account: "111111111111", Org: "o-a", AsOf: t1.Add(time.Hour), RootUnread: true},
		{RunID: 2, Account: "222222222222", Org: "o-b", AsOf: t1.Add(time.Hour), RootUnread: true},
	}
	r := run(t, DefaultOptions(), obs)
	if r.Period.Accounts != 1 || r.Period.Orgs != 1 || r.Period.Uses != 1 || r.RootUnread != 2 {
		t.Errorf("accounts %d orgs %d uses %d unread %d, want 1, 1, 1, 2", r.Period.Accounts, r.Period.Orgs, r.Period.Uses, r.RootUnread)
	}
}

func FuzzStreamOrder(f *testing.F) {
	for _, s := range []uint64{0, 1, 42, 1 << 40} {
		f.Add(s)
	}
	obs := handFleet()
	s, err := New(DefaultOptions())
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	for _, o := range obs {
		if err := s.Add(o); err != nil {
			f.Fatalf("Add: %v", err)
		}
	}
	want := s.Result()
	f.Fuzz(func(t *testing.T, seed uint64) {
		if got := run(t, DefaultOptions(), shuffled(obs, seed)); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: result differs", seed)
		}
	})
}

func TestEmptyStudyJSON(t *testing.T) {
	r := run(t, DefaultOptions(), nil)
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	want := `{"weeks":[],"period":{"weeks":0,"accounts":0,"orgs":0,"accounts_used_root":0,"orgs_used_root":0,"uses":0,"key_uses":0,` +
		`"console_uses":0,"console_uses_without_mfa":0,"repeat_offenders":0,"uses_by_repeat_offenders":0,"concentration_half_of_uses":0,` +
		`"accounts_with_root_keys":0,"orgs_with_root_keys":0}}`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

// use is an eligible account whose password was used an hour before asOf.
func use(acct, org string, asOf time.Time) history.Observation {
	return history.Observation{Account: acct, Org: org, AsOf: asOf, PasswordLastUsed: asOf.Add(-time.Hour)}
}

// TestConcentrationTies: uses 3 (A), 2 (B), 2 (C), 1 (D) = 8; half is 4:
// A alone makes 3 < 4, A and one 2 make 5: concentration 2, and of the tied
// B and C the lower account ID is counted in the half. Uses 2,2,2,2 = 8:
// two accounts make 4, exactly half: 2. Uses 1,1,1 = 3: half is 1.5, two
// accounts make 2: 2.
func TestConcentrationTies(t *testing.T) {
	weeks := func(n int) []time.Time {
		var ts []time.Time
		for i := range n {
			ts = append(ts, t1.Add(time.Duration(i)*7*day))
		}
		return ts
	}
	fleet := func(uses map[string]int) []history.Observation {
		var obs []history.Observation
		for acct, n := range uses {
			for _, at := range weeks(n) {
				obs = append(obs, use(acct, "o-x", at))
			}
		}
		return obs
	}
	for _, tc := range []struct {
		uses       map[string]int
		want       int
		inHalf     []string
		repeat     int
		repeatUses int
	}{
		{map[string]int{"A": 3, "B": 2, "C": 2, "D": 1}, 2, []string{"A", "B"}, 3, 7},
		{map[string]int{"A": 2, "B": 2, "C": 2, "D": 2}, 2, []string{"A", "B"}, 4, 8},
		{map[string]int{"A": 1, "B": 1, "C": 1}, 2, []string{"A", "B"}, 0, 0},
	} {
		r := run(t, DefaultOptions(), fleet(tc.uses))
		var in []string
		for _, o := range r.Offenders {
			if o.InHalf {
				in = append(in, o.Account)
			}
		}
		if r.Period.ConcentrationHalfOfUses != tc.want || !reflect.DeepEqual(in, tc.inHalf) ||
			r.Period.RepeatOffenders != tc.repeat || r.Period.UsesByRepeatOffenders != tc.repeatUses {
			t.Errorf("uses %v: concentration %d (in half %v), repeat %d with %d uses; want %d (%v), %d with %d",
				tc.uses, r.Period.ConcentrationHalfOfUses, in, r.Period.RepeatOffenders, r.Period.UsesByRepeatOffenders,
				tc.want, tc.inHalf, tc.repeat, tc.repeatUses)
		}
	}
}

// TestWeekBoundaries: Sunday 23:59:59 UTC is the week before Monday
// 00:00:00 UTC; a time given in another zone is placed by its UTC instant
// (Monday 01:00 in UTC+2 is Sunday 23:00 UTC).
func TestWeekBoundaries(t *testing.T) {
	sun := time.Date(2025, 3, 9, 23, 59, 59, 0, time.UTC)
	mon := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	east := time.FixedZone("UTC+2", 2*3600)
	monEast := time.Date(2025, 3, 10, 1, 0, 0, 0, east)
	r := run(t, DefaultOptions(), []history.Observation{use("A", "", sun), use("B", "", mon), use("C", "", monEast)})
	if len(r.Weeks) != 2 {
		t.Fatalf("weeks = %d, want 2", len(r.Weeks))
	}
	if got := r.Weeks[0]; got.Start != time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC) || got.Accounts != 2 || got.AsOf != sun {
		t.Errorf("week 1 = start %s, %d accounts, as_of %s; want 2025-03-03, 2 (A and C), %s", got.Start, got.Accounts, got.AsOf, sun)
	}
	if got := r.Weeks[1]; got.Start != mon || got.Accounts != 1 {
		t.Errorf("week 2 = start %s, %d accounts; want %s, 1", got.Start, got.Accounts, mon)
	}
	// Weeks before 1970 (negative Unix times) are placed too: 1969-12-31
	// (a Wednesday) is in the week of Monday 1969-12-29.
	r = run(t, DefaultOptions(), []history.Observation{use("A", "", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC))})
	if got := r.Weeks[0].Start; got != time.Date(1969, 12, 29, 0, 0, 0, 0, time.UTC) {
		t.Errorf("1969-12-31's week starts %s, want 1969-12-29", got)
	}
}

// TestGraceAndWindowBoundaries: created exactly 30d before is eligible,
// 30d minus a second is not; used exactly 7d before is a use, a second more
// is not; a custom window and grace period move both.
func TestGraceAndWindowBoundaries(t *testing.T) {
	obs := []history.Observation{
		{Account: "grace-exact", AsOf: t1, CreatedAt: t1.Add(-30 * day), PasswordLastUsed: t1.Add(-day)},
		{Account: "grace-short", AsOf: t1, CreatedAt: t1.Add(-30*day + time.Second), PasswordLastUsed: t1.Add(-day)},
		{Account: "window-exact", AsOf: t1, Keys: [2]history.KeyFacts{{}, {LastUsed: t1.Add(-7 * day)}}},
		{Account: "window-past", AsOf: t1, PasswordLastUsed: t1.Add(-7*day - time.Second)},
	}
	w := run(t, DefaultOptions(), obs).Weeks[0]
	// Eligible: grace-exact, window-exact, window-past = 3; uses:
	// grace-exact (console), window-exact (key) = 2.
	if w.AccountsEligible != 3 || w.AccountsUsedRoot != 2 || w.KeyUses != 1 || w.ConsoleUses != 1 {
		t.Errorf("default options: eligible %d, used %d, key %d, console %d; want 3, 2, 1, 1", w.AccountsEligible, w.AccountsUsedRoot, w.KeyUses, w.ConsoleUses)
	}
	opts := DefaultOptions()
	opts.Window, opts.GracePeriod = 8*day, 0
	w = run(t, opts, obs).Weeks[0]
	// All eligible; all four used within 8 days.
	if w.AccountsEligible != 4 || w.AccountsUsedRoot != 4 {
		t.Errorf("8d window, no grace: eligible %d, used %d; want 4, 4", w.AccountsEligible, w.AccountsUsedRoot)
	}
}

// TestKeyAge: a key rotated exactly KeyMaxAge before is not old, one
// second more is; an inactive old key is no root key; an active key
// without a rotation date is a root key but not old.
func TestKeyAge(t *testing.T) {
	obs := []history.Observation{
		{Account: "exact", AsOf: t1, Keys: [2]history.KeyFacts{{Active: true, LastRotated: t1.Add(-90 * day)}}},
		{Account: "older", AsOf: t1, Keys: [2]history.KeyFacts{{}, {Active: true, LastRotated: t1.Add(-90*day - time.Second)}}},
		{Account: "inactive", AsOf: t1, Keys: [2]history.KeyFacts{{LastRotated: t1.Add(-900 * day)}}},
		{Account: "undated", AsOf: t1, Keys: [2]history.KeyFacts{{Active: true}}},
	}
	w := run(t, DefaultOptions(), obs).Weeks[0]
	if w.AccountsWithRootKeys != 3 || w.AccountsWithOldRootKeys != 1 {
		t.Errorf("keys %d, old %d; want 3 (exact, older, undated), 1 (older)", w.AccountsWithRootKeys, w.AccountsWithOldRootKeys)
	}
	opts := DefaultOptions()
	opts.KeyMaxAge = 30 * day
	if w := run(t, opts, obs).Weeks[0]; w.AccountsWithOldRootKeys != 2 {
		t.Errorf("30d limit: old %d, want 2 (exact, older)", w.AccountsWithOldRootKeys)
	}
}

// TestSizeBuckets: 0 and 49 small, 50 and 250 medium, 251 large; unknown
// and negative asset counts are in no bucket but still uses.
func TestSizeBuckets(t *testing.T) {
	var obs []history.Observation
	for i, n := range []*int{intp(0), intp(49), intp(50), intp(250), intp(251), nil, intp(-1)} {
		o := use(string(rune('A'+i)), "", t1)
		o.Assets = n
		obs = append(obs, o)
	}
	w := run(t, DefaultOptions(), obs).Weeks[0]
	if w.AccountsUsedRoot != 7 || w.UsedRootBySize != (BySize{Small: 2, Medium: 2, Large: 1}) {
		t.Errorf("used %d, by size %+v; want 7, {2 2 1}", w.AccountsUsedRoot, w.UsedRootBySize)
	}
}

// TestFilters: Since and Until are inclusive and cut weeks (Until at the
// Monday audit of week 2 keeps it as that week's last audit); Org keeps one
// organization's observations.
func TestFilters(t *testing.T) {
	obs := handFleet()
	opts := DefaultOptions()
	opts.Since, opts.Until = m2, m2
	r := run(t, opts, obs)
	// Only A6's Monday audit: 1 account, a use (password 18h before).
	if len(r.Weeks) != 1 || r.Weeks[0].AsOf != m2 || r.Weeks[0].AccountsUsedRoot != 1 || r.Period.Accounts != 1 {
		t.Errorf("since = until = %s: %+v, want one week as of it with one use", m2, r)
	}

	opts = DefaultOptions()
	opts.Since = t2
	r = run(t, opts, obs)
	// Weeks 2 and 3: uses 2 + 2 = 4 (A1, A4; A2, A3).
	if r.Period.Weeks != 2 || r.Period.Uses != 4 || r.Period.AccountsUsedRoot != 4 {
		t.Errorf("since %s: weeks %d, uses %d, accounts used %d; want 2, 4, 4", t2, r.Period.Weeks, r.Period.Uses, r.Period.AccountsUsedRoot)
	}

	opts = DefaultOptions()
	opts.Org = "o-b"
	r = run(t, opts, obs)
	// A3 and A4: uses A4 week 2, A3 week 3; both with keys.
	if r.Period.Accounts != 2 || r.Period.Orgs != 1 || r.Period.Uses != 2 || r.Period.AccountsWithRootKeys != 2 || r.Period.Exact != nil {
		t.Errorf("org o-b: %+v; want 2 accounts, 1 org, 2 uses, 2 with keys, no exact (A3's is from a young week)", r.Period)
	}
}

func TestBadObservations(t *testing.T) {
	s, err := New(DefaultOptions())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, o := range []history.Observation{
		{RunID: 7, AsOf: t1},
		{RunID: 7, Account: "123456789012"},
	} {
		err := s.Add(o)
		if !errors.Is(err, ErrBadObservation) || !strings.Contains(err.Error(), "run 7") {
			t.Errorf("Add(%+v) = %v, want ErrBadObservation naming run 7", o, err)
		}
	}
	if r := s.Result(); r.Period.Accounts != 0 {
		t.Errorf("bad observations were counted: %+v", r.Period)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	mod := func(f func(*Options)) Options { o := DefaultOptions(); f(&o); return o }
	for name, opts := range map[string]Options{
		"window":      mod(func(o *Options) { o.Window = 0 }),
		"grace":       mod(func(o *Options) { o.GracePeriod = -day }),
		"key age":     mod(func(o *Options) { o.KeyMaxAge = 0 }),
		"until first": mod(func(o *Options) { o.Since, o.Until = t2, t1 }),
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: New(%+v) accepted", name, opts)
		}
	}
	if d := DefaultOptions(); d.Window != 7*day || d.GracePeriod != 30*day || d.KeyMaxAge != 90*day {
		t.Errorf("DefaultOptions = %+v, want 7d, 30d, 90d", d)
	}
}

// BenchmarkAdd streams 2,000 accounts × 52 weekly audits; bytes/op over
// 104,000 account-weeks shows the memory a store-sized study keeps.
// BenchmarkAdd studies 2,000 accounts over 52 weeks in the store's order,
// unordered (every account-week kept until Result) and Ordered (one week
// at a time); "peak-open-cells" is the most account-weeks held at once.
func BenchmarkAdd(b *testing.B) {
	var obs []history.Observation
	for w := range 52 {
		at := t1.Add(time.Duration(w) * 7 * day)
		for a := range 2000 {
			o := use(fmt.Sprintf("%012d", a), fmt.Sprintf("o-%03d", a%300), at)
			if a%40 != 0 {
				o.PasswordLastUsed = at.Add(-30 * day)
			}
			o.Assets = intp(a % 400)
			obs = append(obs, o)
		}
	}
	for _, ordered := range []bool{false, true} {
		b.Run(fmt.Sprintf("ordered=%v", ordered), func(b *testing.B) {
			opts := DefaultOptions()
			opts.Ordered = ordered
			b.ReportAllocs()
			peak := 0
			for b.Loop() {
				s, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range obs {
					if err := s.Add(o); err != nil {
						b.Fatal(err)
					}
					if len(s.open) > 0 && o.Account == "000000001999" {
						n := 0
						for _, cells := range s.open {
							n += len(cells)
						}
						peak = max(peak, n)
					}
				}
				if r := s.Result(); r.Period.Weeks != 52 {
					b.Fatalf("weeks = %d", r.Period.Weeks)
				}
			}
			b.ReportMetric(float64(peak), "peak-open-cells")
		})
	}
}
