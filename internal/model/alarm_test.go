package model

import "testing"

// A member's chain found in another account counts only through the
// organization trail that records the member, in that trail's own log
// group (region and account), and only while that trail is logging: two
// trails in two regions whose log groups have the same name are told
// apart.
func TestResolveElsewhereAlarmsThroughTheTrail(t *testing.T) {
	const mgmt = "222222222222"
	trail := func(name, region string, org, logging bool) Trail {
		return Trail{Name: name, ARN: "arn:aws:cloudtrail:" + region + ":" + mgmt + ":trail/" + name, HomeRegion: region, MultiRegion: true,
			Organization: org, Logging: logging, LogGroupARN: "arn:aws:logs:" + region + ":" + mgmt + ":log-group:ct:*"}
	}
	// As a member sees an organization trail: owned elsewhere, status unread.
	seen := func(tr Trail) Trail { tr.Logging, tr.OwnerAccount = false, mgmt; return tr }
	orgEast, orgWest, mainEast := trail("org-east", "us-east-1", true, true), trail("org-west", "eu-west-1", true, true), trail("main", "us-east-1", false, true)
	chainThrough := func(tr Trail) *RootUsageAlarm {
		return &RootUsageAlarm{Complete: true, Trail: tr.Name, TrailARN: tr.ARN, LogGroup: "ct", LogGroupARN: tr.LogGroupARN[:len(tr.LogGroupARN)-2],
			Filter: "root", Alarm: "root", Topic: "arn:aws:sns:" + tr.HomeRegion + ":" + mgmt + ":alarms", ConfirmedSubscriptions: 1}
	}
	elsewhere := func(tr Trail) *RootUsageAlarm {
		return &RootUsageAlarm{Trail: tr.Name, LogGroup: "ct", ElsewhereAccount: mgmt, Missing: "trail " + tr.Name + " sends to log group ct in account " + mgmt}
	}
	for _, c := range []struct {
		name        string
		owner       []Trail
		ownerChain  *RootUsageAlarm
		member      []Trail
		memberChain *RootUsageAlarm
		want        bool
	}{
		{"through the organization trail the member sees", []Trail{orgEast, mainEast}, chainThrough(orgEast), []Trail{seen(orgEast)}, elsewhere(orgEast), true},
		{"a snapshot whose chain names its trail only", []Trail{orgEast}, &RootUsageAlarm{Complete: true, Trail: "org-east", LogGroup: "ct", Alarm: "root"},
			[]Trail{seen(orgEast)}, elsewhere(orgEast), true},
		{"the owner's chain is through its own trail, on a same-named group", []Trail{orgEast, mainEast}, chainThrough(mainEast), []Trail{seen(orgEast)}, elsewhere(orgEast), false},
		{"the owner's chain is through another organization trail, in another region, on a same-named group", []Trail{orgEast, orgWest}, chainThrough(orgEast),
			[]Trail{seen(orgWest)}, elsewhere(orgWest), false},
		{"the organization trail is not logging", []Trail{trail("org-east", "us-east-1", true, false)}, chainThrough(orgEast), []Trail{seen(orgEast)}, elsewhere(orgEast), false},
		{"the member's trail sends to a group in another region", []Trail{orgEast}, chainThrough(orgEast),
			[]Trail{func() Trail { tr := seen(orgEast); tr.LogGroupARN = orgWest.LogGroupARN; return tr }()}, elsewhere(orgEast), false},
		{"the member does not see the trail", []Trail{orgEast}, chainThrough(orgEast), []Trail{}, elsewhere(orgEast), false},
		{"trails not collected", nil, chainThrough(orgEast), nil, elsewhere(orgEast), false},
	} {
		owner := Account{ID: mgmt, RootUsageAlarm: c.ownerChain}
		if c.owner != nil {
			owner.Trails = &c.owner
		}
		member := Account{ID: "333333333333", RootUsageAlarm: c.memberChain}
		if c.member != nil {
			member.Trails = &c.member
		}
		s := &Snapshot{Accounts: []Account{owner, member}}
		s.ResolveElsewhereAlarms()
		got := s.Accounts[1].RootUsageAlarm
		if got.Complete != c.want {
			t.Errorf("%s: complete = %v, want %v (%+v)", c.name, got.Complete, c.want, got)
		}
		if c.want && (got.ElsewhereAccount != mgmt || got.Alarm != "root" || got.Trail != c.ownerChain.Trail) {
			t.Errorf("%s: resolved to %+v", c.name, got)
		}
		if !c.want && (got.Missing == "" || got.Alarm != "") {
			t.Errorf("%s: the member's own finding changed: %+v", c.name, got)
		}
	}
}
