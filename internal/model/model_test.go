package model

import (
	"encoding/json"
	"testing"
	"time"
)

func TestStampKeepsAbsencesApart(t *testing.T) {
	for _, in := range []string{NotApplicable, NotSupported, NoInformation, "2022-12-21T16:19:23Z"} {
		s, err := ParseStamp(in)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(s)
		if string(b) != `"`+in+`"` {
			t.Errorf("%s round-trips as %s", in, b)
		}
		var back Stamp
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s: unmarshal %v %v", in, back, err)
		}
	}
	s, _ := ParseStamp("2022-12-21T16:19:23+00:00")
	if !s.IsSet() || s.Time != time.Date(2022, 12, 21, 16, 19, 23, 0, time.UTC) {
		t.Errorf("offset time = %v", s)
	}
	for _, bad := range []string{"n/a", "yesterday", "2022-12-21", "null"} {
		if _, err := ParseStamp(bad); err == nil {
			t.Errorf("ParseStamp(%q) accepted", bad)
		}
	}
}

func TestDerive(t *testing.T) {
	at := func(s string) Stamp { v, _ := ParseStamp(s); return v }
	for _, tc := range []struct {
		name   string
		root   Root
		absent bool
		last   string
		by     string
	}{
		{"never had credentials", Root{PasswordEnabled: "false", PasswordLastUsed: at("N/A")}, true, "", ""},
		{"older report cannot prove absence", Root{PasswordEnabled: "not_supported"}, false, "", ""},
		{"MFA device left behind", Root{PasswordEnabled: "false", MFAActive: true}, false, "", ""},
		{"inactive key left behind", Root{PasswordEnabled: "false", AccessKeys: []Key{{Slot: 1, LastRotated: at("2020-01-01T00:00:00Z")}}}, false, "", ""},
		{"active certificate", Root{PasswordEnabled: "false", Certificates: []Cert{{Slot: 1, Active: true}}}, false, "", ""},
		{"key 2 used after the password", Root{PasswordEnabled: "true", PasswordLastUsed: at("2024-01-01T00:00:00Z"),
			AccessKeys: []Key{{Slot: 1, LastUsed: at("N/A")}, {Slot: 2, Active: true, LastUsed: at("2024-02-01T00:00:00Z")}}},
			false, "2024-02-01T00:00:00Z", "access key 2"},
		{"password latest", Root{PasswordEnabled: "true", PasswordLastUsed: at("2024-03-01T00:00:00Z"),
			AccessKeys: []Key{{Slot: 1, LastUsed: at("2024-02-01T00:00:00Z")}}}, false, "2024-03-01T00:00:00Z", "password"},
	} {
		r := tc.root
		r.Derive()
		if r.CredentialsAbsent != tc.absent || r.LastUsed.String() != tc.last || r.LastUsedBy != tc.by {
			t.Errorf("%s: absent=%v last=%q by=%q", tc.name, r.CredentialsAbsent, r.LastUsed, r.LastUsedBy)
		}
	}
}

func TestAccountHelpers(t *testing.T) {
	if !ValidAccountID("012345678901") || ValidAccountID("12345678901") || ValidAccountID("12345678901a") {
		t.Error("ValidAccountID")
	}
	if PartitionOf("arn:aws-us-gov:iam::123456789012:root") != "aws-us-gov" || PartitionOf("nope") != "" {
		t.Error("PartitionOf")
	}
	if RootARN("", "123456789012") != "arn:aws:iam::123456789012:root" {
		t.Error("RootARN")
	}
}

func TestResolveElsewhereAlarms(t *testing.T) {
	whole := &RootUsageAlarm{Complete: true, Trail: "org", LogGroup: "org-logs", Alarm: "root", Topic: "arn:aws:sns:us-east-1:222222222222:t", ConfirmedSubscriptions: 1}
	org := Trail{Name: "org", ARN: "arn:aws:cloudtrail:us-east-1:222222222222:trail/org", MultiRegion: true, Organization: true, Logging: true,
		LogGroupARN: "arn:aws:logs:us-east-1:222222222222:log-group:org-logs:*"}
	other := Trail{Name: "other", ARN: "arn:aws:cloudtrail:us-east-1:222222222222:trail/other", MultiRegion: true, Organization: true,
		LogGroupARN: "arn:aws:logs:us-east-1:222222222222:log-group:other-logs:*"}
	s := &Snapshot{Accounts: []Account{
		{ID: "222222222222", RootUsageAlarm: whole, Trails: &[]Trail{org}},
		{ID: "333333333333", RootUsageAlarm: &RootUsageAlarm{Trail: "org", LogGroup: "org-logs", ElsewhereAccount: "222222222222", Missing: "elsewhere"}, Trails: &[]Trail{org}},
		{ID: "444444444444", RootUsageAlarm: &RootUsageAlarm{Trail: "other", LogGroup: "other-logs", ElsewhereAccount: "222222222222", Missing: "elsewhere"}, Trails: &[]Trail{other}},
		{ID: "555555555555", RootUsageAlarm: &RootUsageAlarm{Trail: "org", LogGroup: "org-logs", ElsewhereAccount: "999999999999", Missing: "elsewhere"}, Trails: &[]Trail{org}},
	}}
	s.ResolveElsewhereAlarms()
	if c := s.Accounts[1].RootUsageAlarm; !c.Complete || c.Alarm != "root" || c.ElsewhereAccount != "222222222222" {
		t.Errorf("member of the same log group: %+v", c)
	}
	if s.Accounts[2].RootUsageAlarm.Complete || s.Accounts[3].RootUsageAlarm.Complete {
		t.Error("completed a chain on another log group, or one judged in an account not audited")
	}
}

func TestSizeOf(t *testing.T) {
	for total, want := range map[int]string{0: "small", 49: "small", 50: "medium", 250: "medium", 251: "large"} {
		if got := SizeOf(total); got != want {
			t.Errorf("SizeOf(%d) = %s, want %s", total, got, want)
		}
	}
}

// Every optional fact a rule may need is one HasFact knows.
func TestOptionalFactsAreKnown(t *testing.T) {
	a := Account{FailedCollectors: []string{"alternate contacts", "contact information", "budgets", "trails and root usage alarm",
		"service control policies", "centralized root access"}, CloudTrail: &RootActivity{}, Email: "aws-prod@example.com"}
	for _, f := range OptionalFacts() {
		if !a.HasFact(f) {
			t.Errorf("HasFact(%q) is false for an account that tried to collect everything", f)
		}
	}
	if (&Account{}).HasFact("no-such-fact") {
		t.Error("an unknown fact is had")
	}
}

func TestLogCoverageComplete(t *testing.T) {
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)
	full := LogCoverage{Files: 9, ReadFrom: from.Add(-time.Hour), ReadTo: to}
	cases := map[string]struct {
		cov  *LogCoverage
		want bool
	}{
		"none":                     {nil, false},
		"covers":                   {&full, true},
		"ends an hour early (lag)": {&LogCoverage{Files: 9, ReadFrom: from, ReadTo: to.Add(-time.Hour)}, true},
		"ends 61 minutes early":    {&LogCoverage{Files: 9, ReadFrom: from, ReadTo: to.Add(-61 * time.Minute)}, false},
		"starts late":              {&LogCoverage{Files: 9, ReadFrom: from.Add(time.Second), ReadTo: to}, false},
		"unread input":             {&LogCoverage{Files: 9, ReadFrom: from, ReadTo: to, UnreadTotal: 1}, false},
		"selections only":          {&LogCoverage{Selections: 4}, false},
		"gap inside":               {&LogCoverage{Files: 9, ReadFrom: from, ReadTo: to, Gaps: []Span{{From: from.Add(24 * time.Hour), To: from.Add(48 * time.Hour)}}}, false},
		"gap ending at from":       {&LogCoverage{Files: 9, ReadFrom: from.Add(-48 * time.Hour), ReadTo: to, Gaps: []Span{{From: from.Add(-24 * time.Hour), To: from}}}, true},
	}
	for name, c := range cases {
		if got := c.cov.Complete(from, to); got != c.want {
			t.Errorf("%s: Complete = %v, want %v", name, got, c.want)
		}
	}
}
