package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

func writeGz(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(data)
	_ = zw.Close()
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func scanAll(t *testing.T, paths []string, o ScanOptions) ([]Event, Stats) {
	t.Helper()
	var evs []Event
	st, err := Scan(context.Background(), LocalInputs(paths, nil, &o.Filter), o, func(ev Event) error { evs = append(evs, ev); return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	return evs, st
}

// A delivery layout with an organization trail and an account trail both
// delivering the sign-in file, a digest, and the AssumeRoot pair split over
// two accounts with the member (222…) sorting before the management
// account (111… is in another org folder that sorts after).
func deliveryTree(t *testing.T) string {
	dir := t.TempDir()
	signIn := fixture(t, "aws-docs-console-sign-in.json")
	writeGz(t, filepath.Join(dir, "org/AWSLogs/o-aaaa/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1625Z_a.json.gz"), signIn)
	writeGz(t, filepath.Join(dir, "acct/AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1625Z_b.json.gz"), signIn)
	writeGz(t, filepath.Join(dir, "acct/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2022/11/10/digest.json.gz"), []byte(`{"awsAccountId":"111122223333","Root":"not a record"}`))
	var ar struct{ Records []json.RawMessage }
	_ = json.Unmarshal(fixture(t, "aws-docs-assume-root.json"), &ar)
	mgmt, _ := json.Marshal(map[string]any{"Records": ar.Records[:1]})
	member, _ := json.Marshal(map[string]any{"Records": ar.Records[1:]})
	writeGz(t, filepath.Join(dir, "org/AWSLogs/o-aaaa/222222222222/CloudTrail/us-west-2/2024/10/25/222222222222_CloudTrail_us-west-2_20241025T2055Z_c.json.gz"), member)
	writeGz(t, filepath.Join(dir, "org/AWSLogs/o-zzzz/111111111111/CloudTrail/us-west-2/2024/10/25/111111111111_CloudTrail_us-west-2_20241025T2055Z_d.json.gz"), mgmt)
	if err := os.WriteFile(filepath.Join(dir, ".hidden.json"), []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestScanDeliveryLayout(t *testing.T) {
	dir := deliveryTree(t)
	evs, st := scanAll(t, []string{dir}, ScanOptions{Workers: 3})
	if st.Inputs != 4 || st.Skipped != 0 || st.Duplicates != 5 || len(evs) != 7 {
		t.Fatalf("stats %+v, %d events: %v", st, len(evs), briefs(evs))
	}
	// The member's action is joined to the AssumeRoot read after it.
	last := evs[len(evs)-1]
	if last.EventName != "DeleteBucketPolicy" || last.Session != SessionAssumeRoot || last.Caller != "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1" {
		t.Errorf("member event: %+v", last)
	}
	if !strings.HasSuffix(evs[0].Source, "_b.json.gz") { // acct/ sorts before org/
		t.Errorf("first event from %s, want the first file in order", evs[0].Source)
	}

	// Pruning by the layout: only the 2024 days of 222222222222.
	f := Filter{Since: time.Date(2024, 10, 25, 0, 0, 0, 0, time.UTC), Accounts: map[string]bool{"222222222222": true}}
	evs, st = scanAll(t, []string{dir}, ScanOptions{Filter: f})
	if st.Inputs != 1 || len(evs) != 1 || evs[0].Account != "222222222222" {
		t.Errorf("pruned: stats %+v, events %v", st, briefs(evs))
	}
	// The management account's logs, read for the AssumeRoot into the
	// listed member: the member's call is joined to its session.
	f.AlsoRead = map[string]bool{"111111111111": true}
	evs, st = scanAll(t, []string{dir}, ScanOptions{Filter: f})
	if st.Inputs != 2 || len(evs) != 2 || evs[0].Kind != KindAssumeRoot || evs[1].Session != SessionAssumeRoot {
		t.Errorf("with the management account: stats %+v, events %v", st, briefs(evs))
	}
	// Region and time window on the events themselves.
	f = Filter{Regions: map[string]bool{"us-west-2": true}, Until: time.Date(2024, 10, 25, 20, 53, 0, 0, time.UTC)}
	evs, _ = scanAll(t, []string{dir}, ScanOptions{Filter: f})
	if len(evs) != 1 || evs[0].Kind != KindAssumeRoot {
		t.Errorf("until 20:53 in us-west-2: %v", briefs(evs))
	}
}

// An AssumeRoot call left out by --since or --regions still names who
// acted in its session; the call itself is not written.
func TestJoinAcrossTheFilter(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "elsewhere.json"), fixture(t, "assume-root-elsewhere.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]Filter{
		"since":   {Since: time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)},
		"regions": {Regions: map[string]bool{"us-east-1": true}},
		"both":    {Since: time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC), Regions: map[string]bool{"us-east-1": true}, Accounts: map[string]bool{"333333333333": true}},
	} {
		evs, st := scanAll(t, []string{dir}, ScanOptions{Filter: f})
		if len(evs) != 2 || st.Events != 2 {
			t.Errorf("%s: %d events (stats %+v), want the session's 2: %v", name, len(evs), st, briefs(evs))
			continue
		}
		for _, ev := range evs {
			if ev.Kind == KindAssumeRoot || ev.Session != SessionAssumeRoot || ev.Caller != "arn:aws:sts::111111111111:assumed-role/RootOps/alice" ||
				ev.TaskPolicy != "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials" {
				t.Errorf("%s: %+v", name, ev)
			}
		}
	}
	// Too long before --since: a session lasts at most 15 minutes.
	evs, _ := scanAll(t, []string{dir}, ScanOptions{Filter: Filter{Since: time.Date(2024, 6, 10, 12, 2, 0, 0, time.UTC)}})
	if len(evs) != 1 || evs[0].Session != SessionAssumeRoot {
		t.Errorf("since 12:02: %v", briefs(evs))
	}
	evs, _ = scanAll(t, []string{dir}, ScanOptions{Filter: Filter{Since: time.Date(2024, 6, 10, 12, 19, 0, 0, time.UTC)}})
	if len(evs) != 0 {
		t.Errorf("since 12:19: %v", briefs(evs))
	}
	// The exported single-input reader gives only what the filter keeps.
	res := ReadStream(context.Background(), "elsewhere.json", bytes.NewReader(fixture(t, "assume-root-elsewhere.json")), &Filter{Regions: map[string]bool{"us-east-1": true}})
	if len(res.Events) != 2 || res.Events[0].Kind == KindAssumeRoot {
		t.Errorf("ReadStream: %v", briefs(res.Events))
	}
}

func TestSkip(t *testing.T) {
	f := Filter{Since: time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC),
		Accounts: map[string]bool{"111122223333": true}, Regions: map[string]bool{"eu-west-1": true}}
	for path, want := range map[string]bool{
		"logs/AWSLogs":                                              false,
		"logs/AWSLogs/o-abc123":                                     false,
		"logs/AWSLogs/o-abc123/111122223333":                        false,
		"logs/AWSLogs/o-abc123/444455556666":                        true,
		"logs/AWSLogs/111122223333/CloudTrail-Digest":               true,
		"logs/AWSLogs/111122223333/CloudTrail-Insight":              true,
		"logs/AWSLogs/111122223333/CloudTrail/us-east-1":            true,
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2023":       true,
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024":       false,
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/02":    true,
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/08": true,
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/09": false, // a day's margin
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/12": false, // delivered after the events
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/13": false,
		"logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/14": true,
		"some/other/file.json":                                      false,
	} {
		if got := f.Skip(path); got != want {
			t.Errorf("Skip(%s) = %v, want %v", path, got, want)
		}
	}
	// The management account's other regions hold AssumeRoot calls.
	f.AlsoRead = map[string]bool{"999988887777": true}
	for path, want := range map[string]bool{
		"logs/AWSLogs/999988887777/CloudTrail/us-east-1":            false,
		"logs/AWSLogs/999988887777/CloudTrail/us-east-1/2024/03/08": true,
		"logs/AWSLogs/111122223333/CloudTrail/us-east-1":            true,
	} {
		if got := f.Skip(path); got != want {
			t.Errorf("with the management account, Skip(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestBursts(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2024, 1, 1, 0, min, 0, 0, time.UTC) }
	var s Summary
	fail := func(min int, ip string) {
		s.Add(Event{Contract: Contract{Account: "111122223333", Kind: KindConsoleLogin, EventTime: at(min), SourceIP: ip, MFA: "no"}})
	}
	// 6 failures in 9 minutes from two IPs: one burst; 4 spread later: none;
	// then exactly 5 within 10 minutes: a second burst.
	for i, m := range []int{0, 1, 2, 4, 8, 9} {
		fail(m, fmt.Sprintf("198.51.100.%d", i%2))
	}
	for _, m := range []int{30, 45, 60, 75} {
		fail(m, "203.0.113.9")
	}
	for _, m := range []int{100, 102, 104, 106, 110} {
		fail(m, "192.0.2.1")
	}
	s.Add(Event{Contract: Contract{Account: "111122223333", Kind: KindConsoleLogin, EventTime: at(111), Success: true, MFA: "yes", SourceIP: "192.0.2.1"}})
	s.Add(Event{Contract: Contract{Account: "111122223333", Kind: KindAPICall, EventTime: at(112), Success: true}, Session: SessionAccessKey})
	sum := s.Accounts()
	if len(sum) != 1 {
		t.Fatal(sum)
	}
	a := sum[0]
	if len(a.Bursts) != 2 || a.Bursts[0].Failures != 6 || !a.Bursts[0].Start.Equal(at(0)) || !a.Bursts[0].End.Equal(at(9)) ||
		!slices.Equal(a.Bursts[0].SourceIPs, []string{"198.51.100.0", "198.51.100.1"}) || a.Bursts[1].Failures != 5 {
		t.Errorf("bursts %+v", a.Bursts)
	}
	if a.SignIns != 1 || a.FailedSignIns != 15 || a.SignInsWithMFA != 1 || a.SignInsWithoutMFA != 0 || a.KeySignedCalls != 1 || a.Events != 17 ||
		len(a.SourceIPs) != 4 || !a.FirstSeen.Equal(at(0)) || !a.LastSeen.Equal(at(112)) {
		t.Errorf("summary %+v", a)
	}
	// A stricter rule: 7 within 10 minutes finds none.
	s.Rule = BurstRule{Count: 7, Window: 10 * time.Minute}
	if b := s.Accounts()[0].Bursts; len(b) != 0 {
		t.Errorf("7 in 10m: %+v", b)
	}
}

// The duplicate filter's key: the same event delivered twice shares it;
// any field differing, or text moved across a field boundary, does not.
func TestDedupKey(t *testing.T) {
	base := Event{Contract: Contract{EventID: "e1", EventTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Account: "111122223333", Region: "us-east-1",
		EventName: "ConsoleLogin", Kind: KindConsoleLogin, Success: true, MFA: "yes", SourceIP: "192.0.2.1", Source: "a.json"}}
	again := base
	again.Source = "b.json" // another delivery
	if dedupKey(&base) != dedupKey(&again) {
		t.Error("a second delivery has another key")
	}
	for name, change := range map[string]func(*Event){
		"event ID": func(e *Event) { e.EventID = "e2" },
		"time":     func(e *Event) { e.EventTime = e.EventTime.Add(time.Second) },
		"success":  func(e *Event) { e.Success = false },
		"mfa":      func(e *Event) { e.MFA = "no" },
		"boundary": func(e *Event) { e.Account, e.Region = "111122223333u", "s-east-1" },
		"error":    func(e *Event) { e.ErrorCode = "Failed" },
	} {
		other := base
		change(&other)
		if dedupKey(&base) == dedupKey(&other) {
			t.Errorf("events differing in %s share a key", name)
		}
	}
}
