package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
)

// fixtures are copies of shared/fixtures/cloudtrail (see testdata/README.md).
const fixtures = "testdata/"

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// records returns a fixture's records, each as its own JSON.
func records(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	var f struct{ Records []json.RawMessage }
	if err := json.Unmarshal(fixture(t, name), &f); err != nil {
		t.Fatal(err)
	}
	return f.Records
}

func read(t *testing.T, data []byte, f Filter) Result {
	t.Helper()
	return ReadStream(context.Background(), "input.json", bytes.NewReader(data), &f)
}

// brief is an event in one line, for comparing.
func brief(ev Event) string {
	return fmt.Sprintf("%s %s %s %s success=%v mfa=%s key=%s session=%s", ev.EventTime.Format("2006-01-02T15:04:05Z"), ev.Account, ev.Kind, ev.EventName, ev.Success, ev.MFA, ev.AccessKeyID, ev.Session)
}

func briefs(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, brief(ev))
	}
	return out
}

// The AWS documentation's sign-in examples: the IAM users' sign-ins are
// left out, root's are classified with MFA as written (YES and Yes).
func TestConsoleSignInFixture(t *testing.T) {
	res := read(t, fixture(t, "aws-docs-console-sign-in.json"), Filter{})
	if res.Records != 8 || res.Skipped != 0 || len(res.Warnings) != 0 {
		t.Fatalf("records %d skipped %d warnings %v", res.Records, res.Skipped, res.Warnings)
	}
	got := briefs(res.Events)
	want := []string{
		"2022-11-10T16:24:34Z 111122223333 console-login ConsoleLogin success=true mfa=no key= session=",
		"2022-11-10T16:24:34Z 111122223333 console-login ConsoleLogin success=true mfa=yes key= session=",
		"2022-11-10T16:24:34Z 111122223333 console-login ConsoleLogin success=false mfa=no key= session=",
		// CloudTrail names root "AWS ROOT USER" in its own MFA calls.
		"2022-11-10T16:24:34Z 111122223333 credential-change EnableMFADevice success=true mfa=no key=EXAMPLE session=unknown",
		"2022-11-10T16:24:34Z 111122223333 credential-change PasswordUpdated success=true mfa=unknown key= session=console",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// AssumeRoot in the management account and the member's action in that
// session, joined on the session's access key.
func TestAssumeRootFixture(t *testing.T) {
	res := read(t, fixture(t, "aws-docs-assume-root.json"), Filter{})
	if len(res.Events) != 2 || res.Skipped != 0 {
		t.Fatalf("events %v, skipped %d, warnings %v", briefs(res.Events), res.Skipped, res.Warnings)
	}
	mgmt, member := res.Events[0], res.Events[1]
	if mgmt.Kind != KindAssumeRoot || mgmt.Account != "111111111111" || mgmt.TargetAccount != "222222222222" ||
		mgmt.TaskPolicy != "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy" || mgmt.Caller != "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1" ||
		mgmt.AccessKeyID != "ASIAIOSFODNN7EXAMPLE" || mgmt.MFA != "no" {
		t.Errorf("management side: %+v", mgmt)
	}
	// Alone, the member's event does not show how its key was issued.
	if member.Kind != KindAPICall || member.Account != "222222222222" || member.Session != SessionUnknown {
		t.Errorf("member side: %+v", member)
	}
	var j Join
	j.Add(mgmt)
	if !j.Resolve(&member) || member.Session != SessionAssumeRoot || member.Caller != mgmt.Caller || member.TaskPolicy != mgmt.TaskPolicy {
		t.Errorf("joined: %+v", member)
	}
}

// Every shape users hold CloudTrail in gives the same root events.
func TestShapes(t *testing.T) {
	recs := records(t, "aws-docs-console-sign-in.json")
	want := briefs(read(t, fixture(t, "aws-docs-console-sign-in.json"), Filter{}).Events)

	var lookup struct {
		Events []map[string]any `json:"Events"`
	}
	var ebLines, jsonLines bytes.Buffer
	var ebArray []json.RawMessage
	for i, r := range recs {
		lookup.Events = append(lookup.Events, map[string]any{"EventId": fmt.Sprint(i), "EventName": "x", "EventTime": 1.4e9, "CloudTrailEvent": string(r)})
		eb, _ := json.Marshal(map[string]any{"version": "0", "id": fmt.Sprint(i), "detail-type": "AWS API Call via CloudTrail", "source": "aws.signin", "detail": r})
		ebLines.Write(eb)
		ebLines.WriteByte('\n')
		ebArray = append(ebArray, eb)
		var compact bytes.Buffer
		_ = json.Compact(&compact, r)
		jsonLines.Write(compact.Bytes())
		jsonLines.WriteByte('\n')
	}
	lookupJSON, _ := json.MarshalIndent(lookup, "", "    ")
	ebArrayJSON, _ := json.Marshal(ebArray)
	bare, _ := json.Marshal(recs)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(fixture(t, "aws-docs-console-sign-in.json"))
	_ = zw.Close()

	for name, data := range map[string][]byte{
		"lookup-events": lookupJSON, "EventBridge lines": ebLines.Bytes(), "EventBridge array": ebArrayJSON,
		"bare array": bare, "JSON lines": jsonLines.Bytes(), "gzip log file": gz.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			res := read(t, data, Filter{})
			if got := briefs(res.Events); strings.Join(got, "\n") != strings.Join(want, "\n") || res.Skipped != 0 {
				t.Errorf("events:\n%s\nwant:\n%s\nwarnings %v", strings.Join(got, "\n"), strings.Join(want, "\n"), res.Warnings)
			}
		})
	}
}

// Log files as CloudTrail writes them (compact, each record starting with
// eventVersion) are read on the fast path: only records holding "Root"
// are cut out, the others counted. It finds what the full path finds.
func TestFastPath(t *testing.T) {
	var compact [][]byte
	for _, name := range []string{"aws-docs-console-sign-in.json", "variants.json", "aws-docs-assume-root.json"} {
		for _, r := range records(t, name) {
			var b bytes.Buffer
			_ = json.Compact(&b, r)
			if !bytes.HasPrefix(b.Bytes(), []byte(recordMark)) {
				// The abbreviated AssumeRoot example lacks eventVersion first:
				// the fast path still finds it, from the previous record's start.
				t.Logf("record without the mark: %.40s", b.Bytes())
			}
			compact = append(compact, b.Bytes())
		}
	}
	file := []byte(`{"Records":[` + string(bytes.Join(compact, []byte(","))) + `]}`)
	fast := read(t, file, Filter{All: true})
	full := read(t, bytes.ReplaceAll(file, []byte(`{"Records":[`), []byte(`{"Records": [ `)), Filter{All: true})
	if fast.Records != int64(len(compact)) || full.Records != fast.Records || fast.Skipped != 0 {
		t.Errorf("records: fast %d, full %d, want %d; skipped %d %v", fast.Records, full.Records, len(compact), fast.Skipped, fast.Warnings)
	}
	if a, b := strings.Join(briefs(fast.Events), "\n"), strings.Join(briefs(full.Events), "\n"); a != b || len(fast.Events) < 10 {
		t.Errorf("fast path:\n%s\nfull path:\n%s", a, b)
	}
	// Refills in the middle of records: a reader that returns a few bytes
	// at a time.
	slow := ReadStream(context.Background(), "slow", iotest.OneByteReader(bytes.NewReader(file)), &Filter{All: true})
	if strings.Join(briefs(slow.Events), "\n") != strings.Join(briefs(fast.Events), "\n") || slow.Records != fast.Records {
		t.Errorf("one byte at a time: %d records, %v", slow.Records, briefs(slow.Events))
	}
	// Truncated in the middle of the array.
	cut := read(t, file[:len(file)*2/3], Filter{All: true})
	if cut.Skipped == 0 || len(cut.Events) == 0 {
		t.Errorf("truncated: %d events, skipped %d", len(cut.Events), cut.Skipped)
	}
}

// CloudTrail Lake rows: columns as one-key objects, nested ones as JSON or
// Lake's {key=value} rendering, lower-cased names.
func TestLakeRows(t *testing.T) {
	rows := `{"QueryResultRows": [
	  [{"eventid": "e1"}, {"eventtime": "2024-05-01 10:00:00.000"}, {"eventname": "ConsoleLogin"}, {"eventsource": "signin.amazonaws.com"},
	   {"awsregion": "us-east-1"}, {"useridentity": "{type=Root, principalid=111122223333, arn=arn:aws:iam::111122223333:root, accountid=111122223333, accesskeyid=, sessioncontext=null}"},
	   {"responseelements": "{\"ConsoleLogin\":\"Success\"}"}, {"additionaleventdata": "{\"MFAUsed\":\"No\"}"}, {"sourceipaddress": "198.51.100.7"}],
	  [{"eventID": "e2"}, {"eventTime": "2024-05-01T10:05:00Z"}, {"eventName": "ListBuckets"}, {"eventSource": "s3.amazonaws.com"},
	   {"userIdentity.type": "Root"}, {"userIdentity.accountId": "111122223333"}, {"userIdentity.accessKeyId": "AKIAIOSFODNN7EXAMPLE"}],
	  [{"eventID": "e3"}, {"eventTime": "2024-05-01T10:06:00Z"}, {"eventName": "ListBuckets"}, {"userIdentity.type": "IAMUser"}]
	], "QueryStatus": "FINISHED"}`
	res := read(t, []byte(rows), Filter{})
	got := strings.Join(briefs(res.Events), "\n")
	want := "2024-05-01T10:00:00Z 111122223333 console-login ConsoleLogin success=true mfa=no key= session=\n" +
		"2024-05-01T10:05:00Z 111122223333 api-call ListBuckets success=true mfa=no key=AKIAIOSFODNN7EXAMPLE session=access-key"
	if got != want || res.Records != 3 || res.Skipped != 0 {
		t.Errorf("events:\n%s\nwant:\n%s\nrecords %d warnings %v", got, want, res.Records, res.Warnings)
	}
}

// Broken input: the broken part is skipped with a warning naming where,
// the rest is read.
func TestBrokenInput(t *testing.T) {
	log := fixture(t, "aws-docs-console-sign-in.json")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(log)
	_ = zw.Close()
	truncated := gz.Bytes()[:gz.Len()-40] // the last record and the trailer lost

	recs := records(t, "aws-docs-console-sign-in.json")
	var compact [][]byte
	for _, r := range recs {
		var b bytes.Buffer
		_ = json.Compact(&b, r)
		compact = append(compact, b.Bytes())
	}
	// The fourth record (root's first sign-in) broken in the middle.
	broken := append([]byte{}, compact[3][:60]...)
	badRecords := []byte(`{"Records":[` + string(bytes.Join([][]byte{compact[0], compact[1], compact[2], broken, compact[4], compact[5]}, []byte(","))) + `]}`)
	oddTypes := []byte(`{"Records":[{"eventVersion":"1.08","userIdentity":"Root","eventTime":"2024-01-01T00:00:00Z","eventName":"X"},` +
		`{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":111122223333},"eventTime":"yesterday","eventName":"Y"},` + string(compact[4]) + `]}`)
	jsonLines := append(append(append([]byte{}, compact[3]...), "\n{not json at all\n"...), compact[4]...)

	for _, tc := range []struct {
		name       string
		data       []byte
		minEvents  int
		wantEvents int
		skipped    int64
		warn       string
	}{
		{"truncated gzip", truncated, 1, -1, 1, "truncated or corrupt gzip"},
		{"broken record", badRecords, 2, 2, 1, fmt.Sprintf("input.json:1 (byte %d): a record that is not valid JSON", bytes.Index(badRecords, broken))},
		{"odd types", oddTypes, 1, 1, 2, "record"},
		{"JSON lines with a bad line", jsonLines, 2, 2, 1, "input.json:2 "},
		{"not CloudTrail", []byte(`{"name":"rootwatch","version":"1.0.0","dependencies":{"Root":"x"}}`), 0, 0, 1, "not CloudTrail"},
		{"empty", nil, 0, 0, 0, ""},
		{"not JSON", []byte("PK\x03\x04 zip bytes"), 0, 0, 1, "want a JSON object or array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, tc.data, Filter{})
			if len(res.Events) < tc.minEvents || (tc.wantEvents >= 0 && len(res.Events) != tc.wantEvents) || res.Skipped != tc.skipped {
				t.Errorf("events %v, skipped %d (want %d), warnings %v", briefs(res.Events), res.Skipped, tc.skipped, res.Warnings)
			}
			all := fmt.Sprint(res.Warnings)
			if tc.warn != "" && !strings.Contains(all, tc.warn) {
				t.Errorf("warnings %s, want %q", all, tc.warn)
			}
			if tc.warn == "" && len(res.Warnings) > 0 {
				t.Errorf("warnings %s", all)
			}
			for _, w := range res.Warnings {
				if w.Source != "input.json" {
					t.Errorf("warning without its input: %+v", w)
				}
			}
		})
	}
}

// Records of AWS services acting for root are left out unless --all, like
// the CIS filter; root's console actions (invokedBy signin) stay.
func TestServiceEvents(t *testing.T) {
	data := []byte(`{"Records":[
	{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333","accessKeyId":"ASIAGLUE","invokedBy":"glue.amazonaws.com"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"a"},
	{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:01Z","eventSource":"health.amazonaws.com","eventName":"X","eventType":"AwsServiceEvent","eventID":"b"},
	{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333","accessKeyId":"ASIACONSOLE","invokedBy":"signin.amazonaws.com","sessionContext":{"attributes":{"mfaAuthenticated":"TRUE"}}},"eventTime":"2024-01-01T00:00:02Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"c"},
	{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333","accessKeyId":"ASIACONSOLE2"},"sessionCredentialFromConsole":"true","eventTime":"2024-01-01T00:00:03Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"d"},
	{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333","accessKeyId":"ASIACONSOLE3","invokedBy":"AWS Internal"},"eventTime":"2024-01-01T00:00:04Z","eventSource":"health.amazonaws.com","eventName":"DescribeEventAggregates","eventID":"e"}
	]}`)
	res := read(t, data, Filter{})
	if len(res.Events) != 3 || res.Events[0].EventID != "c" || res.Events[0].Session != SessionConsole || res.Events[0].MFA != "yes" || res.Events[0].InvokedBy != "signin.amazonaws.com" {
		t.Errorf("default: %+v", res.Events)
	}
	// sessionCredentialFromConsole is a field of the record, not of userIdentity.
	for _, ev := range res.Events[1:] {
		if ev.Session != SessionConsole {
			t.Errorf("%s: session %s, want console", ev.EventID, ev.Session)
		}
	}
	all := read(t, data, Filter{All: true})
	if len(all.Events) != 5 || !all.Events[0].ByService || !all.Events[1].ByService || all.Events[2].ByService {
		t.Errorf("--all: %+v", all.Events)
	}
}

// A key that straddles a refill of the splitter's buffer, in JSON lines
// larger than the buffer (the top-level object is kept while its keys are
// read): read right, no panic.
func TestKeysAcrossRefills(t *testing.T) {
	var b bytes.Buffer
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","padding":"`
	for i := 0; b.Len() < 600<<10; i++ {
		fmt.Fprintf(&b, "%s%s\",\"eventID\":\"e%d\"}\n", rec, strings.Repeat("x", i%997), i)
	}
	n := strings.Count(b.String(), "\n")
	for _, chunk := range []int{1, 7, 4096, 65536} {
		res := ReadStream(context.Background(), "lines", iotest.HalfReader(&chunkReader{r: bytes.NewReader(b.Bytes()), n: chunk}), &Filter{})
		if len(res.Events) != n || res.Skipped != 0 {
			t.Errorf("chunks of %d: %d events of %d, skipped %d %v", chunk, len(res.Events), n, res.Skipped, res.Warnings)
		}
	}
}

// chunkReader returns at most n bytes a read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// A Lake cell nested past any CloudTrail struct is left as text, not
// parsed until the stack runs out.
func TestDeepLakeCell(t *testing.T) {
	deep := strings.Repeat("{a=", 200000) + "x" + strings.Repeat("}", 200000)
	if _, _, ok := parseLakeStruct(deep, 0); ok {
		t.Error("a 200,000-deep cell parsed")
	}
	if v := string(lakeValue(deep)); v != `"`+deep+`"` {
		t.Error("a deep cell is not kept as text")
	}
}

// After a broken element, reading goes on at the next one in every
// container, pretty-printed or not: lookup-events items, Lake rows,
// indented records.
func TestResyncInEveryContainer(t *testing.T) {
	recs := records(t, "aws-docs-console-sign-in.json")
	// The CLI prints an item's fields in the API's order, EventId first.
	type item struct {
		EventID         string `json:"EventId"`
		EventName       string `json:"EventName"`
		CloudTrailEvent string `json:"CloudTrailEvent"`
	}
	var items []item
	for i, r := range recs {
		items = append(items, item{EventID: fmt.Sprint(i), EventName: "x", CloudTrailEvent: string(r)})
	}
	lookup, _ := json.MarshalIndent(map[string]any{"Events": items}, "", "    ")
	// Break the second item: its EventId's string never closes, so the
	// splitter runs on into the next items.
	brokenLookup := bytes.Replace(lookup, []byte(`"EventId": "1",`), []byte(`"EventId": "1,`), 1)
	pretty := fixture(t, "aws-docs-console-sign-in.json")
	// Break the first root record (the fourth): an unquoted value.
	i := bytes.Index(pretty, []byte(`"type": "Root"`))
	brokenPretty := append(append(append([]byte{}, pretty[:i]...), `"type": Root,,`...), pretty[i+len(`"type": "Root"`):]...)
	rows := `{"QueryResultRows": [
	  [{"eventid": "e1}, {"eventtime": "2024-05-01 10:00:00.000"}, {"eventname": "ConsoleLogin"}, {"useridentity": "{type=Root}"}],
	  [{"eventID": "e2"}, {"eventTime": "2024-05-01T10:05:00Z"}, {"eventName": "ListBuckets"}, {"userIdentity.type": "Root"}, {"userIdentity.accountId": "111122223333"}]
	]}`
	for name, tc := range map[string]struct {
		data []byte
		want int
	}{
		"lookup-events": {brokenLookup, 5}, // the broken item was an IAM user's sign-in
		"indented log":  {brokenPretty, 4}, // root's first sign-in lost
		"Lake rows":     {[]byte(rows), 1},
	} {
		t.Run(name, func(t *testing.T) {
			res := read(t, tc.data, Filter{})
			if len(res.Events) != tc.want || res.Skipped == 0 {
				t.Errorf("%d events (want %d), skipped %d: %v", len(res.Events), tc.want, res.Skipped, res.Warnings)
			}
		})
	}
}

func TestElementStart(t *testing.T) {
	for _, tc := range []struct {
		b    string
		ct   Container
		want int
	}{
		{`xx,{"eventVersion":"1"}`, InRecords, 3},
		{"xx,\n    {\n      \"eventVersion\": \"1\"", InRecords, 8},
		{`{"a":{"b":1}},{"eventVersion"`, InRecords, 14},
		{"x }, {\n \"EventId\": \"2\"", InEvents, 5},
		{`{"EventName":"x"}`, InEvents, -1},
		{"] ,\n  [ {\"eventID\"", InRows, 6},
		{`[1, 2]`, InRows, -1},
	} {
		if got := elementStart([]byte(tc.b), tc.ct); got != tc.want {
			t.Errorf("elementStart(%q, %v) = %d, want %d", tc.b, tc.ct, got, tc.want)
		}
	}
}

// Log files gathered into one array (jq -s) or one after another: each is
// read.
func TestGatheredLogFiles(t *testing.T) {
	a := fixture(t, "aws-docs-console-sign-in.json")
	b := fixture(t, "aws-docs-assume-root.json")
	want := len(read(t, a, Filter{}).Events) + len(read(t, b, Filter{}).Events)
	for name, data := range map[string][]byte{
		"array":  []byte("[" + string(a) + ",\n" + string(b) + "]"),
		"stream": []byte(string(a) + "\n" + string(b)),
	} {
		res := read(t, data, Filter{})
		if len(res.Events) != want || res.Skipped != 0 {
			t.Errorf("%s: %d events, want %d; skipped %d %v", name, len(res.Events), want, res.Skipped, res.Warnings)
		}
	}
}

// hostileRoot is a small root record, read after each hostile part to
// show that reading went on.
const hostileRoot = `{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333","accessKeyId":"AKIAHOSTILEEXAMPLE"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"after"}`

// hostileInputs are inputs of 1 MB built to exhaust the stack or the
// memory of a decoder; want is the warning's start (file, line, byte) or
// "" when the input is read without one.
func hostileInputs() []struct{ name, data, want string } {
	const mb = 1 << 20
	goodRow := `[{"eventID":"after"},{"eventTime":"2024-01-01 00:00:00.000"},{"eventName":"ListBuckets"},{"userIdentity.type":"Root"},{"userIdentity.accountId":"111122223333"}]`
	deep := func(open string, n int) string { return strings.Repeat(open, n) }
	var wide strings.Builder
	wide.WriteString(`{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","eventID":"wide","requestParameters":{`)
	for i := 0; wide.Len() < mb; i++ {
		fmt.Fprintf(&wide, `"k%d":0,`, i)
	}
	wide.WriteString(`"userName":"AWS ROOT USER"}},` + hostileRoot + `]}`)
	var manyCols strings.Builder
	manyCols.WriteString(`{"QueryResultRows":[[{"eventName":"X"},{"eventTime":"2024-01-01 00:00:00.000"},{"userIdentity.type":"Root"}`)
	for i := 0; manyCols.Len() < mb; i++ {
		fmt.Fprintf(&manyCols, `,{"requestParameters.k%d.a.b.c.d.e.f":"x"}`, i)
	}
	manyCols.WriteString("]," + goodRow + "]}")
	var gathered strings.Builder
	gathered.WriteString(`[{"Records":[` + hostileRoot + `]}`)
	for gathered.Len() < mb {
		gathered.WriteString(`,{"Records":[],"Root":1}`)
	}
	gathered.WriteString("]")
	var tiny strings.Builder
	tiny.WriteString(`{"Records":[` + hostileRoot)
	for i := 0; tiny.Len() < mb; i++ {
		fmt.Fprintf(&tiny, `,{"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventTime":"2024-01-01T00:00:00Z","eventName":"X","eventID":"t%d"}`, i)
	}
	tiny.WriteString("]}")
	var escaped strings.Builder
	escaped.WriteString(`{"Records":[` + hostileRoot)
	for escaped.Len() < mb {
		escaped.WriteString(`,{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"eventTime":"2024-01-01T00:00:00Z","eventName":"\u0058"}`)
	}
	escaped.WriteString("]}")
	return []struct{ name, data, want string }{
		{"Lake key of 1,000,000 dotted segments",
			`{"QueryResultRows":[[{"eventName":"X"},{"eventTime":"2024-01-01 00:00:00.000"},{"userIdentity.type":"Root"},{"` + strings.Repeat(".", mb) + `a":"x"}],` + goodRow + "]}",
			"hostile.json:1 (byte 20): record skipped: "},
		{"Lake row of 40,000 nested columns", manyCols.String(), ""},
		{"Lake cell of JSON nested 250,000 deep",
			`{"QueryResultRows":[[{"eventName":"X"},{"eventTime":"2024-01-01 00:00:00.000"},{"userIdentity.type":"Root"},{"requestParameters":"` + deep(`{\"a\":`, mb/7) + `1"}],` + goodRow + "]}",
			""},
		{"Lake struct cell nested 350,000 deep",
			`{"QueryResultRows":[[{"eventName":"X"},{"eventTime":"2024-01-01 00:00:00.000"},{"userIdentity":"` + deep("{a=", mb/3) + `"}],` + goodRow + "]}",
			""},
		{"record nested 1,000,000 deep",
			`{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventTime":"2024-01-01T00:00:00Z","eventName":"X","requestParameters":` + deep("[", mb) + deep("]", mb) + "}," + hostileRoot + "]}",
			"hostile.json:1 (byte 12): record skipped: "},
		{"lookup-events item nested 1,000,000 deep",
			`{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"X\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"Root\"},\"requestParameters\":` + deep("[", mb) + `"},{"EventId":"2","CloudTrailEvent":` + strconv.Quote(hostileRoot) + "}]}",
			"hostile.json:1 (byte 11): record skipped: "},
		{"EventBridge event nested 1,000,000 deep",
			`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"X","eventTime":"2024-01-01T00:00:00Z","userIdentity":{"type":"Root"},"requestParameters":` + deep("[", mb) + deep("]", mb) + "}}\n" + hostileRoot + "\n",
			"hostile.json:1 (byte 0): record skipped: "},
		{"root record with 100,000 request parameters", wide.String(), ""},
		{"40,000 log files gathered in an array", gathered.String(), ""},
		{"8,000 small root records", tiny.String(), ""},
		{"records written with escapes", escaped.String(), ""},
	}
}

// Hostile input (issue 11): no crash, a warning naming the file, line and
// byte, the records after it read, and 1 MB of input never allocating more
// than 64 MB in all.
func TestHostileInputBounded(t *testing.T) {
	for _, tc := range hostileInputs() {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.data) < 1<<20 {
				t.Fatalf("input of %d bytes, want 1 MB", len(tc.data))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res := ReadStream(context.Background(), "hostile.json", strings.NewReader(tc.data), &Filter{})
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if alloc > 64<<20 {
				t.Errorf("%d MB allocated reading 1 MB", alloc>>20)
			}
			t.Logf("%.1f MB allocated", float64(alloc)/(1<<20))
			found := false
			for _, ev := range res.Events {
				found = found || ev.EventID == "after"
			}
			if !found {
				t.Errorf("the root record after the hostile part not found: %v %v", briefs(res.Events), res.Warnings)
			}
			all := fmt.Sprint(res.Warnings)
			if tc.want == "" && len(res.Warnings) > 0 || tc.want != "" && (len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0].String(), tc.want)) {
				t.Errorf("warnings %.300s, want one starting %q", all, tc.want)
			}
		})
	}
}

// An element over MaxElement is skipped, with a warning naming the input,
// the byte where it starts and its size, and the records after it in the
// same input are read (issue 11): in a log file on the fast path (the big
// record holding "Root" or not), indented, gzip-compressed, in a JSON
// array and in JSON lines.
func TestElementOverLimit(t *testing.T) {
	before := strings.Replace(hostileRoot, `"eventID":"after"`, `"eventID":"before"`, 1)
	pad := strings.Repeat(`x\"]}{\"eventVersion\":Root\\`, (17<<20)/25)
	userPad := strings.Repeat(`x\"]}{\"eventVersion\":\\`, (17<<20)/25)
	for _, tc := range []struct {
		name, open, sep, close, big string
		gz                          bool
	}{
		{"log file, big root record", `{"Records":[`, ",", "]}", `{"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventName":"Big","requestParameters":{"pad":"` + pad + `"}}`, false},
		{"log file, big record of a user", `{"Records":[`, ",", "]}", `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"eventName":"Big","requestParameters":{"pad":"` + userPad + `"}}`, false},
		{"log file, root after the limit", `{"Records":[`, ",", "]}", `{"eventVersion":"1.08","requestParameters":{"pad":"` + pad + `"},"userIdentity":{"type":"Root"}}`, false},
		{"indented log file", "{\"Records\": [\n  ", ",\n  ", "\n]}\n", `{"eventVersion": "1.08", "userIdentity": {"type": "Root"}, "requestParameters": [["` + pad + `"]]}`, false},
		{"gzip log file", `{"Records":[`, ",", "]}", `{"eventVersion":"1.08","userIdentity":{"type":"Root"},"requestParameters":{"pad":"` + pad + `"}}`, true},
		{"JSON array", "[", ",", "]", `{"eventVersion":"1.08","userIdentity":{"type":"Root"},"requestParameters":{"pad":"` + pad + `"}}`, false},
		{"JSON lines", "", "\n", "\n", `{"eventVersion":"1.08","userIdentity":{"type":"Root"},"requestParameters":{"pad":"` + pad + `"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.open + before + tc.sep + tc.big + tc.sep + hostileRoot + tc.close)
			at := len(tc.open) + len(before) + len(tc.sep)
			line := 1 + strings.Count(tc.open+before+tc.sep, "\n")
			if tc.gz {
				var b bytes.Buffer
				zw := gzip.NewWriter(&b)
				if _, err := zw.Write(data); err != nil {
					t.Fatal(err)
				}
				if err := zw.Close(); err != nil {
					t.Fatal(err)
				}
				data = b.Bytes()
			}
			res := read(t, data, Filter{})
			if got := strings.Join(briefs(res.Events), "\n"); len(res.Events) != 2 || res.Events[0].EventID != "before" || res.Events[1].EventID != "after" {
				t.Errorf("events:\n%s", got)
			}
			want := fmt.Sprintf("input.json:%d (byte %d): one element of %d bytes, over the 16 MiB limit, was skipped; reading goes on after it", line, at, len(tc.big))
			if len(res.Warnings) != 1 || res.Warnings[0].String() != want || res.Skipped != 1 {
				t.Errorf("warnings %v (skipped %d), want\n%s", res.Warnings, res.Skipped, want)
			}
		})
	}
}

// A record whose "Root" is written with JSON escapes is still root's: the
// byte prefilter lets every element holding an escape through to the
// decoder (issue 11), in every shape.
func TestEscapedRoot(t *testing.T) {
	user := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"u"}`
	for _, tc := range []struct{ name, data string }{
		{"type escaped", `{"Records":[` + user + `,{"eventVersion":"1.08","userIdentity":{"type":"\u0052oot","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"after"},` + user + `]}`},
		{"one letter escaped", `{"Records":[` + user + `,{"eventVersion":"1.08","userIdentity":{"type":"R\u006f\u006ft","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"after"}]}`},
		{"lower-case hex", `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"\u0052\u006F\u006f\u0074","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"after"}]}`},
		{"every key escaped", `{"\u0052ecords":[{"\u0065ventVersion":"1.08","\u0075serIdentity":{"\u0074ype":"\u0052oot","\u0061ccountId":"111122223333"},"\u0065ventTime":"2024-01-01T00:00:00Z","\u0065ventSource":"s3.amazonaws.com","\u0065ventName":"ListBuckets","\u0065ventID":"after"}]}`},
		{"AssumeRoot escaped", `{"Records":[` + user + `,{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"Assume\u0052oot","eventID":"after","requestParameters":{"targetPrincipal":"222233334444"}}]}`},
		{"lookup-events", `{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"\\u0052oot\",\"accountId\":\"111122223333\"},\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"eventID\":\"after\"}"}]}`},
		{"EventBridge", `{"detail-type":"AWS API Call via CloudTrail","detail":{"eventVersion":"1.08","userIdentity":{"type":"\u0052oot","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"after"}}`},
		{"Lake row", `{"QueryResultRows":[[{"eventID":"after"},{"eventTime":"2024-01-01 00:00:00.000"},{"eventName":"ListBuckets"},{"userIdentity.type":"\u0052oot"},{"userIdentity.accountId":"111122223333"}]]}`},
		{"gathered log files", `[{"\u0052ecords":[{"eventVersion":"1.08","userIdentity":{"type":"\u0052oot","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"after"}]}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := read(t, []byte(tc.data), Filter{})
			if len(res.Events) != 1 || res.Events[0].EventID != "after" || res.Events[0].Account != "111122223333" || len(res.Warnings) > 0 {
				t.Errorf("events %v, warnings %v", briefs(res.Events), res.Warnings)
			}
		})
	}
}
