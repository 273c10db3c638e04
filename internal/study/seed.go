package study

// Headline is one of the seed study's published figures beside the same
// figure computed from a Result.
type Headline struct {
	// Figure names it, as the seed words it.
	Figure string `json:"figure"`
	// Percent: Seed and Computed are percentages, else counts (weekly
	// averages where Figure says so).
	Percent  bool    `json:"percent"`
	Seed     float64 `json:"seed"`
	Computed float64 `json:"computed"`
	// Note says where the seed's figure comes from when it is not plain.
	Note string `json:"note,omitempty"`
}

// Diff is how far the computed figure is from the seed's (computed minus
// seed, in the figure's unit: percentage points for percentages).
func (h Headline) Diff() float64 { return h.Computed - h.Seed }

func share(n, of float64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * n / of
}

// Headlines sets the seed's headline figures (seeds/000, "The Root of Your
// AWS Insecurities", 915 accounts in 153 organizations sampled weekly from
// 2020-09-13 to 2021-01-24) beside r's.
func Headlines(r Result) []Headline {
	var used, orgsUsed, accounts, orgs, keys, oldKeys, small, medium, large float64
	for _, w := range r.Weeks {
		used += float64(w.AccountsUsedRoot)
		orgsUsed += float64(w.OrgsUsedRoot)
		accounts += float64(w.Accounts)
		orgs += float64(w.Orgs)
		keys += float64(w.AccountsWithRootKeys)
		oldKeys += float64(w.AccountsWithOldRootKeys)
		small += float64(w.UsedRootBySize.Small)
		medium += float64(w.UsedRootBySize.Medium)
		large += float64(w.UsedRootBySize.Large)
	}
	n := float64(len(r.Weeks))
	avg := func(x float64) float64 {
		if n == 0 {
			return 0
		}
		return x / n
	}
	p := r.Period
	sized := small + medium + large
	return []Headline{
		{Figure: "accounts audited (weekly average)", Seed: 915, Computed: avg(accounts)},
		{Figure: "organizations audited (weekly average)", Seed: 153, Computed: avg(orgs)},
		{Figure: "weekly audits", Seed: 20, Computed: n,
			Note: "the seed samples weekly from 2020-09-13 to 2021-01-24: 20 dates; \"four months\" is often read as 17 weeks"},
		{Figure: "accounts using root in a week (average)", Seed: 26, Computed: avg(used)},
		{Figure: "accounts using root in a week (share of accounts)", Percent: true, Seed: 2.8, Computed: share(used, accounts)},
		{Figure: "organizations using root in a week (average)", Seed: 20, Computed: avg(orgsUsed)},
		{Figure: "organizations using root in a week (share of organizations)", Percent: true, Seed: 13, Computed: share(orgsUsed, orgs)},
		{Figure: "accounts using root over the period", Seed: 143, Computed: float64(p.AccountsUsedRoot)},
		{Figure: "accounts using root over the period (share)", Percent: true, Seed: 16, Computed: share(float64(p.AccountsUsedRoot), float64(p.Accounts)),
			Note: "143 of 915 is 15.6%; the seed also writes ~17%"},
		{Figure: "organizations using root over the period", Seed: 65, Computed: float64(p.OrgsUsedRoot)},
		{Figure: "organizations using root over the period (share)", Percent: true, Seed: 43, Computed: share(float64(p.OrgsUsedRoot), float64(p.Orgs))},
		{Figure: "root uses over the period", Seed: 510, Computed: float64(p.Uses),
			Note: "the seed gives 517 in its summary and 510 in its detailed figures (64/510 key uses)"},
		{Figure: "repeat offenders (share of offending accounts)", Percent: true, Seed: 50, Computed: share(float64(p.RepeatOffenders), float64(p.AccountsUsedRoot))},
		{Figure: "uses by repeat offenders (share of uses)", Percent: true, Seed: 86, Computed: share(float64(p.UsesByRepeatOffenders), float64(p.Uses))},
		{Figure: "accounts making half of the uses", Seed: 17, Computed: float64(p.ConcentrationHalfOfUses)},
		{Figure: "accounts making half of the uses (share of offending accounts)", Percent: true, Seed: 12, Computed: share(float64(p.ConcentrationHalfOfUses), float64(p.AccountsUsedRoot))},
		{Figure: "key uses (share of uses)", Percent: true, Seed: 13, Computed: share(float64(p.KeyUses), float64(p.Uses)), Note: "64 of 510"},
		{Figure: "console uses", Seed: 464, Computed: float64(p.ConsoleUses)},
		{Figure: "console uses without MFA (share)", Percent: true, Seed: 61, Computed: share(float64(p.ConsoleUsesWithoutMFA), float64(p.ConsoleUses)), Note: "283 of 464"},
		{Figure: "accounts with root keys (weekly average)", Seed: 54, Computed: avg(keys)},
		{Figure: "accounts with root keys (share of accounts)", Percent: true, Seed: 6, Computed: share(keys, accounts)},
		{Figure: "root keys older than 90 days (share of accounts with keys)", Percent: true, Seed: 96, Computed: share(oldKeys, keys), Note: "52 of 54"},
		{Figure: "organizations with root keys", Seed: 34, Computed: float64(p.OrgsWithRootKeys),
			Note: "the seed's 34 of 153 (22%); counted here over the period"},
		{Figure: "weekly uses in small accounts (< 50 assets)", Percent: true, Seed: 56, Computed: share(small, sized)},
		{Figure: "weekly uses in medium accounts (50-250 assets)", Percent: true, Seed: 29, Computed: share(medium, sized)},
		{Figure: "weekly uses in large accounts (> 250 assets)", Percent: true, Seed: 15, Computed: share(large, sized)},
	}
}
