package trail

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

func day(d int, hm ...int) time.Time {
	h, m := 0, 0
	if len(hm) > 0 {
		h = hm[0]
	}
	if len(hm) > 1 {
		m = hm[1]
	}
	return time.Date(2025, 5, d, h, m, 0, 0, time.UTC)
}

func TestParseDeliveryFile(t *testing.T) {
	for name, want := range map[string]DeliveryFile{
		"x/AWSLogs/o-a/111122223333/CloudTrail/eu-west-1/2025/05/03/111122223333_CloudTrail_eu-west-1_20250503T0905Z_AbCdEf0123456789.json.gz": {Account: "111122223333", Region: "eu-west-1", Time: day(3, 9, 5)},
		"s3://b/flat/222233334444_CloudTrail_us-east-1_20250501T2355Z_x.json":                                                                  {Account: "222233334444", Region: "us-east-1", Time: day(1, 23, 55)},
		`C:\logs\222233334444_CloudTrail_us-east-1_20250501T2355Z_x.json`:                                                                      {Account: "222233334444", Region: "us-east-1", Time: day(1, 23, 55)},
	} {
		got, ok := ParseDeliveryFile(name)
		if !ok || got != want {
			t.Errorf("%s: got %+v %v, want %+v", name, got, ok, want)
		}
	}
	for _, name := range []string{
		"events.json", "AWSLogs/111122223333/CloudTrail/eu-west-1/2025/05/03/export.json",
		"11112222333_CloudTrail_eu-west-1_20250503T0905Z_a.json.gz", // 11 digits
		"111122223333_CloudTrail_eu-west-1_2025-05-03T0905Z_a.json", // not the delivery stamp
		"111122223333_CloudTrail-Digest_eu-west-1_20250503T0905Z_a.json.gz",
	} {
		if d, ok := ParseDeliveryFile(name); ok {
			t.Errorf("%s: read as %+v", name, d)
		}
	}
}

// Coverage comes from what was read for each account: the delivery
// files' names for the layout, the records' own accounts and times for
// other inputs, and an input not read in whole leaves its account's logs
// incomplete.
func TestScanCoverage(t *testing.T) {
	dir := t.TempDir()
	rec := func(acct, at string) string {
		return `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"` + acct + `"},"eventTime":"` + at +
			`","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"` + acct + at + `","recipientAccountId":"` + acct + `"}`
	}
	layout := func(acct string, d int, hhmm string) string {
		return filepath.Join(dir, "AWSLogs", acct, "CloudTrail", "us-east-1", "2025", "05", twoDigits(d),
			acct+"_CloudTrail_us-east-1_202505"+twoDigits(d)+"T"+hhmm+"Z_a.json.gz")
	}
	// 111111111111: days 1, 2 and 5 (3 and 4 missing).
	for _, d := range []int{1, 2, 5} {
		writeGz(t, layout("111111111111", d, "1200"), []byte(`{"Records":[`+rec("111111111111", "2025-05-0"+string(rune('0'+d))+"T11:58:00Z")+`]}`))
	}
	// 222222222222: one good file and one truncated one.
	writeGz(t, layout("222222222222", 1, "0800"), []byte(`{"Records":[`+rec("222222222222", "2025-05-01T07:59:00Z")+`]}`))
	good := layout("222222222222", 2, "0800")
	writeGz(t, good, []byte(`{"Records":[`+rec("222222222222", "2025-05-02T07:59:00Z")+`,`+rec("222222222222", "2025-05-02T07:59:30Z")+`]}`))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	// A log file outside the layout: 333333333333's records from May 3
	// to May 4, one of 444444444444's.
	export := filepath.Join(dir, "export.json")
	if err := os.WriteFile(export, []byte(`{"Records":[`+rec("333333333333", "2025-05-04T10:00:00Z")+`,`+rec("444444444444", "2025-05-03T01:00:00Z")+`,`+
		rec("333333333333", "2025-05-03T09:00:00Z")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A selection (bare records, as jq or a SIEM writes them) of
	// 555555555555: its events count, it covers no time.
	picked := filepath.Join(dir, "picked.json")
	if err := os.WriteFile(picked, []byte(`[`+rec("555555555555", "2025-05-01T10:00:00Z")+`,`+rec("555555555555", "2025-05-05T10:00:00Z")+`]`), 0o644); err != nil {
		t.Fatal(err)
	}
	// Another service's file beside the logs is nobody's CloudTrail.
	config := filepath.Join(dir, "AWSLogs", "111111111111", "Config", "us-east-1", "2025", "5", "2", "ConfigHistory", "x.json.gz")
	writeGz(t, config, []byte(`{"fileVersion":"1.0","configurationItems":[]}`))

	cov := NewCoverage()
	_, st := scanAll(t, []string{dir}, ScanOptions{Coverage: cov, Workers: 2})
	if st.Inputs != 7 {
		t.Fatalf("stats %+v", st)
	}
	got := cov.For("111111111111", day(1), day(6))
	want := model.LogCoverage{ReadFrom: day(1, 12), ReadTo: day(5, 12), Files: 3, Regions: []string{"us-east-1"}, Gaps: []model.Span{{From: day(3), To: day(5)}}}
	if !sameCoverage(got, want) {
		t.Errorf("111111111111: got %+v, want %+v", got, want)
	}
	got = cov.For("222222222222", day(1), day(6))
	want = model.LogCoverage{ReadFrom: day(1, 8), ReadTo: day(2, 8), Files: 2, Regions: []string{"us-east-1"}, Unread: []string{good}, UnreadTotal: 1}
	if !sameCoverage(got, want) {
		t.Errorf("222222222222: got %+v, want %+v", got, want)
	}
	got = cov.For("333333333333", day(1), day(6))
	want = model.LogCoverage{ReadFrom: day(3, 9), ReadTo: day(4, 10), Files: 1}
	if !sameCoverage(got, want) {
		t.Errorf("333333333333: got %+v, want %+v", got, want)
	}
	got = cov.For("555555555555", day(1), day(6))
	if !sameCoverage(got, model.LogCoverage{Selections: 1}) {
		t.Errorf("an account only selected: %+v", got)
	}
	got = cov.For("666666666666", day(1), day(6))
	if !sameCoverage(got, model.LogCoverage{}) {
		t.Errorf("an account never read: %+v", got)
	}
	// The span starts no earlier than asked: records before it were not
	// kept.
	got = cov.For("111111111111", day(2), day(6))
	if !got.ReadFrom.Equal(day(2)) {
		t.Errorf("read from %v, want the start asked for", got.ReadFrom)
	}

	// Two log files of an account are two spans: what lies between them
	// was not read.
	split := t.TempDir()
	for i, at := range []string{"2025-05-01T00:00:00Z", "2025-05-05T00:00:00Z"} {
		p := filepath.Join(split, "part"+string(rune('a'+i))+".json")
		if err := os.WriteFile(p, []byte(`{"Records":[`+rec("333333333333", at)+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cov = NewCoverage()
	scanAll(t, []string{split}, ScanOptions{Coverage: cov})
	got = cov.For("333333333333", day(1), day(6))
	want = model.LogCoverage{ReadFrom: day(1), ReadTo: day(5), Files: 2, Gaps: []model.Span{{From: day(1), To: day(5)}}}
	if !sameCoverage(got, want) {
		t.Errorf("two files days apart: got %+v, want %+v", got, want)
	}

	// An input of no known account that cannot be read may hold anyone's
	// events.
	broken := filepath.Join(dir, "broken.json.gz")
	if err := os.WriteFile(broken, []byte("\x1f\x8bnot gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	cov = NewCoverage()
	scanAll(t, []string{export, broken}, ScanOptions{Coverage: cov})
	got = cov.For("333333333333", day(1), day(6))
	want = model.LogCoverage{ReadFrom: day(3, 9), ReadTo: day(4, 10), Files: 1, Unread: []string{broken}, UnreadTotal: 1}
	if !sameCoverage(got, want) {
		t.Errorf("beside an unreadable export: got %+v, want %+v", got, want)
	}
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func sameCoverage(a, b model.LogCoverage) bool {
	return a.ReadFrom.Equal(b.ReadFrom) && a.ReadTo.Equal(b.ReadTo) && a.Files == b.Files && a.Selections == b.Selections &&
		slices.Equal(a.Regions, b.Regions) && slices.Equal(a.Gaps, b.Gaps) && slices.Equal(a.Unread, b.Unread) && a.UnreadTotal == b.UnreadTotal
}
