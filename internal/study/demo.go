package study

import (
	"cmp"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

// The demo fleet's shape: the seed's 915 accounts in 153 organizations,
// audited weekly from 2020-09-13 to 2021-01-24. Those are 20 weekly audits
// (Sundays), not the 17 "four months" suggests: the seed's own figures
// need 20 (its 510 uses at 26 accounts a week are 19.6 weeks, and 50% of
// offenders making 86% of the uses needs 510 uses from 143 accounts).
const (
	DemoAccounts = 915
	DemoOrgs     = 153
	DemoWeeks    = 20
)

// demoFirstAudit is the demo's first audit, the seed's first sample date.
var demoFirstAudit = time.Date(2020, 9, 13, 6, 0, 0, 0, time.UTC)

// The demo's calibration: counts that give the seed's figures exactly
// where a count decides them (uses, offenders, repeat offenders, their
// uses, concentration, key and console uses, without MFA, keys), the rest
// by the draw.
const (
	demoHeavy        = 17  // the top 12% of offenders, making half the uses
	demoHeavyUses    = 15  // each: 17 × 15 = 255 = half of 510
	demoRepeaters    = 55  // other repeat offenders (72 in all, 50%)
	demoRepeaterUses = 184 // 439 uses by repeat offenders: 86% of 510
	demoSingles      = 71  // one-week offenders: 143 offenders in all
	demoOffOrgs      = 65  // organizations with a use
	demoHeavyOrgs    = 10  // the heavy offenders share this many organizations
	demoKeyUses      = 64  // 13% of 510
	demoKeyUsesFresh = 6   // key uses by recently rotated keys (58 of 64 old)
	demoBothUses     = 18  // key and console in one week: 464 + 64 - 510
	demoNoMFAUses    = 283 // console uses without MFA: 61% of 464
	demoKeyed        = 54  // accounts with an active root key (6%)
	demoFreshKeyed   = 2   // of which rotated within 90 days (52 old: 96%)
	demoKeyedOrgs    = 34  // organizations with root keys (22%)
	demoYoung        = 12  // accounts created within 30 days of the first audits
	demoUsesLarge    = 76  // 15% of 510 uses in large accounts
	demoUsesMedium   = 148 // 29%
)

type demoAccount struct {
	id, name string
	org      int
	created  time.Time
	assets   int
	mfa      bool
	mfaFrom  int // week from which MFA is on when it is turned on midway; -1 never
	keyed    bool
	fresh    bool // key rotated every 8 weeks
	rotated  time.Time
	lastPw   time.Time
	lastKey  time.Time
	trail    bool             // CloudTrail read: exact counts
	use      [DemoWeeks]uint8 // useConsole, useKey
	uses     int
	young    bool
	offender bool
}

const (
	useConsole uint8 = 1 << iota
	useKey
)

// DemoFleet is a deterministic history of 915 accounts in 153
// organizations over 20 weekly audits, calibrated to the seed's figures
// (see Headlines): the same seed always gives the same observations, one
// run per week, each week's accounts in a fixed order.
func DemoFleet(seed uint64) iter.Seq[history.Observation] {
	accts, orgs := demoPlan(seed)
	rng := rand.New(rand.NewPCG(seed, 0xd1b54a32d192ed03))
	return func(yield func(history.Observation) bool) {
		for w := range DemoWeeks {
			base := demoFirstAudit.Add(time.Duration(w) * 7 * 24 * time.Hour)
			for i := range accts {
				a := &accts[i]
				asOf := base.Add(time.Duration(rng.IntN(4*3600+1)-2*3600) * time.Second)
				mfa := a.mfa || (a.mfaFrom >= 0 && w >= a.mfaFrom)
				if a.use[w]&useConsole != 0 {
					a.lastPw = asOf.Add(-demoUseAge(rng))
				}
				rotated := a.rotated
				if a.fresh {
					// Rotated every 8 weeks since 20 days before the first
					// audit: a day after an audit, so a week's key use after
					// the rotation stays out of the next week's window.
					for next := rotated; !next.After(asOf); next = next.Add(56 * 24 * time.Hour) {
						rotated = next
					}
				}
				if a.use[w]&useKey != 0 {
					a.lastKey = asOf.Add(-demoUseAge(rng))
					if a.lastKey.Before(rotated) {
						a.lastKey = rotated
					}
				}
				o := history.Observation{
					RunID: int64(w + 1), Account: a.id, Name: a.name, Org: orgs[a.org],
					OUPath: "Root/Workloads", AsOf: asOf, CreatedAt: a.created,
					PasswordLastUsed: a.lastPw, MFA: mfa, Assets: &a.assets,
				}
				if a.keyed {
					o.Keys[0] = history.KeyFacts{Active: true, LastRotated: rotated}
					if !a.lastKey.Before(rotated) {
						// A rotated key is a new key: not used until it is.
						o.Keys[0].LastUsed = a.lastKey
					}
				}
				if a.trail {
					e := &history.ExactCounts{}
					if a.use[w]&useConsole != 0 {
						e.SignIns = 1 + rng.IntN(4)
						if !mfa {
							e.SignInsWithoutMFA = e.SignIns
						}
					}
					if a.use[w]&useKey != 0 {
						e.KeySignedCalls = 1 + rng.IntN(300)
					}
					o.Exact = e
				}
				if !yield(o) {
					return
				}
			}
		}
	}
}

// demoUseAge is how long before an audit a use in its week happened:
// between 6 hours and 6 days, so with audit times ±2 hours the use is in
// this audit's 7-day window and out of the next one's.
func demoUseAge(rng *rand.Rand) time.Duration {
	return 6*time.Hour + time.Duration(rng.Int64N(int64(6*24*time.Hour-6*time.Hour)))
}

// demoPlan draws the fleet: organizations, accounts and each account's
// facts and weeks of use.
func demoPlan(seed uint64) ([]demoAccount, []string) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed5eed5eed5eed))
	const day = 24 * time.Hour

	// Organizations: one account each, the rest spread unevenly.
	size := make([]int, DemoOrgs)
	weight := make([]float64, DemoOrgs)
	var total float64
	for i := range size {
		size[i] = 1
		weight[i] = 1 / (1 + float64(i)/8)
		total += weight[i]
	}
	for range DemoAccounts - DemoOrgs {
		x := rng.Float64() * total
		i := 0
		for ; i < DemoOrgs-1 && x >= weight[i]; i++ {
			x -= weight[i]
		}
		size[i]++
	}
	rng.Shuffle(len(size), func(i, j int) { size[i], size[j] = size[j], size[i] })
	orgs := make([]string, DemoOrgs)
	seen := map[string]bool{}
	for i := range orgs {
		for orgs[i] == "" || seen[orgs[i]] {
			orgs[i] = "o-" + demoString(rng, 10, "abcdefghijklmnopqrstuvwxyz0123456789")
		}
		seen[orgs[i]] = true
	}

	// Accounts, organization by organization.
	accts := make([]demoAccount, 0, DemoAccounts)
	byOrg := make([][]int, DemoOrgs)
	envs := []string{"prod", "staging", "dev", "sandbox", "data", "shared", "security", "logs", "network", "ml"}
	for org, n := range size {
		for k := range n {
			var id string
			for id == "" || seen[id] {
				id = fmt.Sprintf("%012d", 100000000000+rng.Int64N(900000000000))
			}
			seen[id] = true
			byOrg[org] = append(byOrg[org], len(accts))
			accts = append(accts, demoAccount{
				id: id, name: fmt.Sprintf("org%03d-%s-%d", org+1, envs[k%len(envs)], k/len(envs)+1),
				org: org, mfaFrom: -1,
				created: demoFirstAudit.Add(-time.Duration(60+rng.IntN(2500)) * day),
			})
		}
	}
	for i := range accts {
		a := &accts[i]
		a.mfa = rng.Float64() >= 0.097 // 9.7% without MFA (DESIGN.md)
		switch x := rng.Float64(); {
		case x < 0.6:
			a.assets = rng.IntN(50)
		case x < 0.88:
			a.assets = 50 + rng.IntN(201)
		default:
			a.assets = 251 + rng.IntN(2750)
		}
		if rng.Float64() < 0.6 {
			a.lastPw = demoFirstAudit.Add(-time.Duration(30+rng.IntN(900)) * day)
		}
	}

	// Organizations with uses, bigger ones likelier; then the offenders in
	// them: the heavy ones together in a few, one in each of the others,
	// the rest wherever an organization with uses has room.
	orgOrder := make([]int, DemoOrgs)
	for i := range orgOrder {
		orgOrder[i] = i
	}
	slices.SortStableFunc(orgOrder, func(a, b int) int { return size[b] - size[a] })
	var offOrgs []int
	for _, o := range orgOrder {
		if len(offOrgs) < demoOffOrgs && (size[o] >= 3 || rng.Float64() < 0.3) {
			offOrgs = append(offOrgs, o)
		}
	}
	for _, o := range orgOrder {
		if len(offOrgs) < demoOffOrgs && !slices.Contains(offOrgs, o) {
			offOrgs = append(offOrgs, o)
		}
	}
	rng.Shuffle(len(offOrgs), func(i, j int) { offOrgs[i], offOrgs[j] = offOrgs[j], offOrgs[i] })
	// The heavy offenders' organizations first: ones with room for them.
	slices.SortStableFunc(offOrgs, func(a, b int) int {
		return cmp.Compare(min(size[b], 3), min(size[a], 3))
	})
	for _, o := range byOrg {
		rng.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
	}
	used := make([]int, DemoOrgs) // accounts of each organization taken
	take := func(org int) int {
		i := byOrg[org][used[org]]
		used[org]++
		return i
	}
	uses := make([]int, 0, demoHeavy+demoRepeaters+demoSingles)
	for range demoHeavy {
		uses = append(uses, demoHeavyUses)
	}
	rep := make([]int, demoRepeaters)
	for i := range rep {
		rep[i] = 2
	}
	for range demoRepeaterUses - 2*demoRepeaters {
		for {
			i := rng.IntN(demoRepeaters)
			if rep[i] < 8 {
				rep[i]++
				break
			}
		}
	}
	uses = append(uses, rep...)
	for range demoSingles {
		uses = append(uses, 1)
	}
	var offenders []int // account indexes, in the order of uses
	heavyOrgs := offOrgs[:demoHeavyOrgs]
	for k := range demoHeavy {
		offenders = append(offenders, take(heavyOrgs[k%demoHeavyOrgs]))
	}
	rest := make([]int, len(uses)-demoHeavy)
	for i := range rest {
		rest[i] = demoHeavy + i
	}
	rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	restUses := make([]int, len(rest))
	for i, r := range rest {
		restUses[i] = uses[r]
	}
	uses = append(uses[:demoHeavy], restUses...)
	for _, o := range offOrgs[demoHeavyOrgs:] {
		offenders = append(offenders, take(o))
	}
	for len(offenders) < len(uses) {
		o := offOrgs[rng.IntN(demoOffOrgs)]
		if used[o] < size[o] {
			offenders = append(offenders, take(o))
		}
	}
	weeks := make([]int, DemoWeeks)
	for i := range weeks {
		weeks[i] = i
	}
	for k, i := range offenders {
		a := &accts[i]
		a.offender, a.uses = true, uses[k]
		rng.Shuffle(len(weeks), func(i, j int) { weeks[i], weeks[j] = weeks[j], weeks[i] })
		for _, w := range weeks[:uses[k]] {
			a.use[w] = useConsole
		}
	}

	// Key uses: two offenders with freshly rotated keys (3 uses each), then
	// offenders with old keys until 64; 18 of them also console uses.
	order := slices.Clone(offenders)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var keyWeeks [][2]int // account, week
	fresh := 0
	for _, i := range order {
		a := &accts[i]
		n := 0
		for _, u := range a.use {
			if u != 0 {
				n++
			}
		}
		switch {
		case fresh < demoFreshKeyed && n >= demoKeyUsesFresh/demoFreshKeyed:
			a.keyed, a.fresh = true, true
			a.rotated = demoFirstAudit.Add(-20 * day)
			fresh++
			n = demoKeyUsesFresh / demoFreshKeyed
		case fresh == demoFreshKeyed && len(keyWeeks) < demoKeyUses:
			a.keyed = true
			a.rotated = demoFirstAudit.Add(-time.Duration(120+rng.IntN(1400)) * day)
			n = min(n, demoKeyUses-len(keyWeeks))
		default:
			continue
		}
		for w, u := range a.use {
			if u != 0 && n > 0 {
				keyWeeks = append(keyWeeks, [2]int{i, w})
				n--
			}
		}
	}
	rng.Shuffle(len(keyWeeks), func(i, j int) { keyWeeks[i], keyWeeks[j] = keyWeeks[j], keyWeeks[i] })
	for k, kw := range keyWeeks {
		if k < demoBothUses {
			accts[kw[0]].use[kw[1]] |= useKey
		} else {
			accts[kw[0]].use[kw[1]] = useKey
		}
	}

	// MFA: offenders without MFA until their console uses without it reach
	// 283; the last one turns MFA on midway.
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	noMFA := 0
	consoleWeeks := func(a *demoAccount) []int {
		var ws []int
		for w, u := range a.use {
			if u&useConsole != 0 {
				ws = append(ws, w)
			}
		}
		return ws
	}
	for _, i := range order {
		a := &accts[i]
		a.mfa = true
		if c := len(consoleWeeks(a)); noMFA+c <= demoNoMFAUses {
			a.mfa = false
			noMFA += c
		}
	}
	for _, i := range order {
		a := &accts[i]
		if cw := consoleWeeks(a); noMFA < demoNoMFAUses && a.mfa && len(cw) > demoNoMFAUses-noMFA {
			a.mfa = false
			a.mfaFrom = cw[demoNoMFAUses-noMFA-1] + 1
			noMFA = demoNoMFAUses
		}
	}

	// Sizes of the offenders, weighed by their uses: 15% of uses in large
	// accounts, 29% in medium, the rest small.
	var large, medium int
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, i := range order {
		a := &accts[i]
		switch u := a.uses; {
		case large+u <= demoUsesLarge:
			large += u
			a.assets = 251 + rng.IntN(2750)
		case medium+u <= demoUsesMedium:
			medium += u
			a.assets = 50 + rng.IntN(201)
		default:
			a.assets = rng.IntN(50)
		}
	}

	// Other keyed accounts, old keys, until 54 accounts in 34 organizations.
	keyed, keyedOrgs := 0, map[int]bool{}
	for i := range accts {
		if accts[i].keyed {
			keyed++
			keyedOrgs[accts[i].org] = true
		}
	}
	perm := rng.Perm(len(accts))
	for pass := range 2 {
		for _, i := range perm {
			a := &accts[i]
			if keyed == demoKeyed || a.keyed || a.offender || (pass == 0) == keyedOrgs[a.org] {
				continue
			}
			if pass == 0 && len(keyedOrgs) == demoKeyedOrgs {
				break
			}
			a.keyed = true
			a.rotated = demoFirstAudit.Add(-time.Duration(120+rng.IntN(1400)) * day)
			if rng.Float64() < 0.5 {
				a.lastKey = a.rotated.Add(time.Duration(rng.IntN(60)) * day)
			}
			keyed++
			keyedOrgs[a.org] = true
		}
	}

	// Young accounts: created 2 to 28 days before the first audit, root
	// used the next day to set them up (left out while young).
	youngCount := 0
	for _, i := range perm {
		a := &accts[i]
		if youngCount == demoYoung {
			break
		}
		if a.offender || a.keyed {
			continue
		}
		a.young = true
		a.created = demoFirstAudit.Add(-time.Duration(2+rng.IntN(27)) * day)
		a.lastPw = a.created.Add(12 * time.Hour)
		youngCount++
	}

	// CloudTrail is read in every third organization.
	for i := range accts {
		accts[i].trail = accts[i].org%3 == 0
	}
	return accts, orgs
}

func demoString(rng *rand.Rand, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
