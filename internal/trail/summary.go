package trail

import (
	"slices"
	"sort"
	"time"
)

// BurstRule flags failed sign-ins coming fast: Count or more within Window
// on one account looks like password guessing.
type BurstRule struct {
	Count  int
	Window time.Duration
}

// DefaultBurst is 5 failed sign-ins within 10 minutes.
func DefaultBurst() BurstRule { return BurstRule{Count: 5, Window: 10 * time.Minute} }

// Burst is a run of failed root sign-ins.
type Burst struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Failures  int       `json:"failures"`
	SourceIPs []string  `json:"source_ips"`
}

// AccountSummary is one account's root activity.
type AccountSummary struct {
	Account           string    `json:"account"`
	Events            int       `json:"root_events"`
	SignIns           int       `json:"console_sign_ins"` // successful; failures in FailedSignIns
	SignInsWithMFA    int       `json:"sign_ins_with_mfa"`
	SignInsWithoutMFA int       `json:"sign_ins_without_mfa"`
	SignInsMFAUnknown int       `json:"sign_ins_mfa_unknown"`
	FailedSignIns     int       `json:"failed_sign_ins"`
	KeySignedCalls    int       `json:"key_signed_calls"`
	CredentialChanges int       `json:"credential_changes"`
	AssumeRootCalls   int       `json:"assume_root_sessions_opened"`
	FirstSeen         time.Time `json:"first_seen"`
	LastSeen          time.Time `json:"last_seen"`
	SourceIPs         []string  `json:"source_ips"`
	Bursts            []Burst   `json:"failed_sign_in_bursts"`

	ips      map[string]bool
	failures []failure
}

type failure struct {
	at time.Time
	ip string
}

// Summary gathers root events per account as they stream past; it holds
// per account only the distinct source IPs and the failed sign-ins'
// times, both few.
type Summary struct {
	Rule     BurstRule
	accounts map[string]*AccountSummary
}

// Add counts one event.
func (s *Summary) Add(ev Event) {
	if s.accounts == nil {
		s.accounts = map[string]*AccountSummary{}
	}
	a := s.accounts[ev.Account]
	if a == nil {
		a = &AccountSummary{Account: ev.Account, ips: map[string]bool{}, SourceIPs: []string{}, Bursts: []Burst{}}
		s.accounts[ev.Account] = a
	}
	a.Events++
	if a.FirstSeen.IsZero() || ev.EventTime.Before(a.FirstSeen) {
		a.FirstSeen = ev.EventTime
	}
	if ev.EventTime.After(a.LastSeen) {
		a.LastSeen = ev.EventTime
	}
	if ev.SourceIP != "" && !a.ips[ev.SourceIP] {
		a.ips[ev.SourceIP] = true
		a.SourceIPs = append(a.SourceIPs, ev.SourceIP)
	}
	switch ev.Kind {
	case KindConsoleLogin:
		// Sign-ins are the successful ones; a failure (a wrong password
		// asks for no MFA) is counted apart.
		if !ev.Success {
			a.FailedSignIns++
			a.failures = append(a.failures, failure{ev.EventTime, ev.SourceIP})
			break
		}
		a.SignIns++
		switch ev.MFA {
		case "yes":
			a.SignInsWithMFA++
		case "no":
			a.SignInsWithoutMFA++
		default:
			a.SignInsMFAUnknown++
		}
	case KindCredentialChange:
		a.CredentialChanges++
	case KindAssumeRoot:
		a.AssumeRootCalls++
	}
	if ev.Session == SessionAccessKey {
		a.KeySignedCalls++
	}
}

// Accounts returns the summaries by account ID, bursts found.
func (s *Summary) Accounts() []AccountSummary {
	rule := s.Rule
	if rule.Count <= 0 {
		rule = DefaultBurst()
	}
	out := make([]AccountSummary, 0, len(s.accounts))
	for _, a := range s.accounts {
		sort.Strings(a.SourceIPs)
		a.Bursts = bursts(a.failures, rule)
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}

// bursts finds the runs of failed sign-ins in which every Count in a row
// fall within Window: a burst starts at a failure whose next Count-1 are
// within Window of it, and grows while each next failure is within Window
// of the one Count-1 before it. Bursts do not overlap.
func bursts(fs []failure, rule BurstRule) []Burst {
	slices.SortFunc(fs, func(a, b failure) int { return a.at.Compare(b.at) })
	out := []Burst{}
	n := rule.Count
	for i := 0; i+n-1 < len(fs); {
		if fs[i+n-1].at.Sub(fs[i].at) > rule.Window {
			i++
			continue
		}
		// Extend while each next failure keeps n within the window.
		j := i + n - 1
		for j+1 < len(fs) && fs[j+1].at.Sub(fs[j+2-n].at) <= rule.Window {
			j++
		}
		b := Burst{Start: fs[i].at, End: fs[j].at, Failures: j - i + 1, SourceIPs: []string{}}
		seen := map[string]bool{}
		for _, f := range fs[i : j+1] {
			if f.ip != "" && !seen[f.ip] {
				seen[f.ip] = true
				b.SourceIPs = append(b.SourceIPs, f.ip)
			}
		}
		sort.Strings(b.SourceIPs)
		out = append(out, b)
		i = j + 1
	}
	return out
}
