package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/trail"
)

const trailData = "../trail/testdata/"

// trailTree lays the CloudTrail samples out as S3 delivers them, under
// dir/AWSLogs, with a digest file and a second delivery of the sign-in
// file by an account trail.
func trailTree(t *testing.T) (dir string, files map[string][]byte) {
	t.Helper()
	dir = t.TempDir()
	gz := func(name string) []byte {
		data, err := os.ReadFile(trailData + name)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(data)
		_ = zw.Close()
		return b.Bytes()
	}
	files = map[string][]byte{
		"AWSLogs/o-aaaa111111/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1630Z_a1.json.gz": gz("aws-docs-console-sign-in.json"),
		"AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1630Z_b2.json.gz":              gz("aws-docs-console-sign-in.json"),
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2022/11/10/111122223333_CloudTrail-Digest_us-east-1_x.json.gz":                []byte("not read"),
		"AWSLogs/o-aaaa111111/111111111111/CloudTrail/us-west-2/2024/10/25/111111111111_CloudTrail_us-west-2_20241025T2100Z_c3.json.gz": gz("aws-docs-assume-root.json"),
	}
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, v, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, files
}

// jsonlEvents decodes jsonl output, checking every line has the contract's
// fields in its order.
func jsonlEvents(t *testing.T, out string) []map[string]any {
	t.Helper()
	contract := []string{"event_id", "event_time", "account", "region", "event_source", "event_name", "kind", "success", "mfa",
		"access_key_id", "source_ip", "user_agent", "source"}
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		_, _ = dec.Token()
		var keys []string
		for dec.More() {
			k, _ := dec.Token()
			keys = append(keys, k.(string))
			var skip json.RawMessage
			_ = dec.Decode(&skip)
		}
		if len(keys) < len(contract) || !slices.Equal(keys[:len(contract)], contract) {
			t.Errorf("fields %v, want the contract's %v first", keys, contract)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestTrailLocal(t *testing.T) {
	dir, _ := trailTree(t)
	r := run(t, "trail", filepath.Join(dir, "AWSLogs"), "--format", "jsonl")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	evs := jsonlEvents(t, r.out)
	// 5 root events of the sign-in file (delivered twice, listed once), the
	// AssumeRoot and the member's call in that session.
	if len(evs) != 7 {
		t.Fatalf("%d events:\n%s", len(evs), r.out)
	}
	// Exactly the contract's fields; --details adds the others.
	for _, ev := range evs {
		if len(ev) != 13 {
			t.Errorf("%d fields: %v", len(ev), ev)
		}
	}
	detailed := jsonlEvents(t, run(t, "trail", filepath.Join(dir, "AWSLogs"), "--format", "jsonl", "--details").out)
	joined := false
	for _, ev := range detailed {
		joined = joined || ev["event_name"] == "DeleteBucketPolicy" && ev["session"] == "assume-root" && ev["caller"] != nil
	}
	if len(detailed) != 7 || !joined {
		t.Errorf("--details: %v", detailed)
	}
	kinds := map[string]int{}
	for _, ev := range evs {
		kinds[ev["kind"].(string)]++
		if !strings.HasPrefix(ev["source"].(string), dir) {
			t.Errorf("source %v", ev["source"])
		}
	}
	if kinds["console-login"] != 3 || kinds["credential-change"] != 2 || kinds["assume-root"] != 1 || kinds["api-call"] != 1 {
		t.Errorf("kinds %v", kinds)
	}
	if !strings.Contains(r.err, "duplicates_removed=5") {
		t.Errorf("stderr: %s", r.err)
	}

	// The table and CSV hold the same events.
	table := run(t, "trail", dir)
	if table.code != ExitOK || strings.Count(table.out, "\n") != 8 || !strings.Contains(table.out, "→ 222222222222") {
		t.Errorf("table (exit %d):\n%s", table.code, table.out)
	}
	c := run(t, "trail", dir, "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(c.out)).ReadAll()
	if err != nil || len(rows) != 8 || rows[0][0] != "event_id" {
		t.Errorf("csv: %v %v", err, rows)
	}

	// --summary per account.
	s := run(t, "trail", dir, "--summary", "--format", "jsonl")
	var sums []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, m)
	}
	if len(sums) != 3 || sums[1]["account"] != "111122223333" || sums[1]["sign_ins_without_mfa"] != 1.0 || sums[1]["console_sign_ins"] != 2.0 || sums[1]["failed_sign_ins"] != 1.0 {
		t.Errorf("summary %v", sums)
	}

	st := run(t, "trail", dir, "--summary")
	if !strings.Contains(st.out, "Read 3 inputs, 18 records: 7 root events, 5 duplicate deliveries removed, 0 records or inputs skipped.") {
		t.Errorf("summary table:\n%s", st.out)
	}

	// Narrowing: --accounts prunes the other accounts' folders, --since the days.
	n := run(t, "trail", dir, "--format", "jsonl", "--accounts", "222222222222,111111111111", "--since", "2024-10-01")
	if got := jsonlEvents(t, n.out); len(got) != 2 {
		t.Errorf("narrowed: %s", n.out)
	}
	for _, bad := range [][]string{{"--since", "last tuesday"}, {"--accounts", "12345"}, {"--format", "xml"}, {"--since", "2024-02-01", "--until", "2024-01-01"}} {
		if r := run(t, append([]string{"trail", dir}, bad...)...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", bad, r.code)
		}
	}
	if r := run(t, "trail", filepath.Join(dir, "nope")); r.code != ExitUsage && r.code != ExitPartial {
		t.Errorf("missing path: exit %d", r.code)
	}
}

// Broken input is skipped with a warning naming it, the rest is read, and
// the run exits 3; nothing readable exits 2.
func TestTrailBrokenInput(t *testing.T) {
	dir, _ := trailTree(t)
	bad := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2022", "11", "10", "truncated.json.gz")
	good, _ := os.ReadFile(filepath.Join(dir, "AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1630Z_b2.json.gz"))
	if err := os.WriteFile(bad, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "trail", dir, "--format", "jsonl")
	if r.code != ExitPartial || !strings.Contains(r.err, "truncated.json.gz") || !strings.Contains(r.err, "gzip") {
		t.Errorf("exit %d, stderr %s", r.code, r.err)
	}
	if evs := jsonlEvents(t, r.out); len(evs) != 7 {
		t.Errorf("%d events", len(evs))
	}
	notCT := filepath.Join(t.TempDir(), "package.json")
	mustDo(t, os.WriteFile(notCT, []byte(`{"name": "x", "version": "1.0.0"}`), 0o644))
	if r := run(t, "trail", notCT); r.code != ExitUsage || !strings.Contains(r.err, "not CloudTrail") {
		t.Errorf("not CloudTrail: exit %d, %s", r.code, r.err)
	}
	// --output is written whole, or not at all.
	out := filepath.Join(t.TempDir(), "events.jsonl")
	if r := run(t, "trail", dir, "--format", "jsonl", "--output", out); r.code != ExitPartial {
		t.Errorf("--output: exit %d", r.code)
	}
	if b, err := os.ReadFile(out); err != nil || strings.Count(string(b), "\n") != 7 {
		t.Errorf("--output file: %v\n%s", err, b)
	}
}

// From an S3 bucket through the real SDK against moto: the same events as
// the local copy; the digest folder and, with --accounts, other accounts'
// folders are never listed or read.
func TestTrailS3(t *testing.T) {
	m := startMoto(t)
	dir, files := trailTree(t)
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	api := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("org-trail")}); err != nil {
		t.Fatal(err)
	}
	for k, v := range files {
		if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("org-trail"), Key: aws.String("logs/" + k), Body: bytes.NewReader(v)}); err != nil {
			t.Fatal(err)
		}
	}
	local := jsonlEvents(t, run(t, "trail", dir, "--format", "jsonl").out)
	var mu sync.Mutex
	var calls []string
	d, _, _ := testDeps("")
	d.AWSRecord = func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() }
	r := runWith(t, d, "trail", "s3://org-trail/logs/", "--endpoint-url", m.Endpoint, "--format", "jsonl")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	remote := jsonlEvents(t, r.out)
	if len(remote) != len(local) {
		t.Fatalf("%d events from S3, %d from files", len(remote), len(local))
	}
	for i := range remote {
		if !strings.HasPrefix(remote[i]["source"].(string), "s3://org-trail/logs/AWSLogs/") {
			t.Errorf("source %v", remote[i]["source"])
		}
		remote[i]["source"], local[i]["source"] = nil, nil
		a, _ := json.Marshal(remote[i])
		b, _ := json.Marshal(local[i])
		if !bytes.Equal(a, b) {
			t.Errorf("event %d:\n%s\n%s", i, a, b)
		}
	}
	if n := count(calls, "s3:GetObject"); n != 3 {
		t.Errorf("%d objects read, want 3 (the digest is not): %v", n, calls)
	}
	for _, c := range calls {
		if c != "s3:GetObject" && c != "s3:ListObjectsV2" {
			t.Errorf("called %s", c)
		}
	}
	calls = nil
	d, _, _ = testDeps("")
	d.AWSRecord = func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() }
	r = runWith(t, d, "trail", "s3://org-trail/logs/", "--endpoint-url", m.Endpoint, "--format", "jsonl", "--accounts", "111111111111")
	if got := jsonlEvents(t, r.out); len(got) != 1 || count(calls, "s3:GetObject") != 1 {
		t.Errorf("--accounts: %d events, calls %v", len(got), calls)
	}
	if r := run(t, "trail", "s3://no-such-bucket/x", "--endpoint-url", m.Endpoint); r.code != ExitUsage || !strings.Contains(r.err, "no-such-bucket") {
		t.Errorf("missing bucket: exit %d %s", r.code, r.err)
	}
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// audit --cloudtrail: the events become evidence and decide what the
// credential report cannot see.
func TestAuditWithCloudTrail(t *testing.T) {
	dir, _ := trailTree(t)
	// Audited the morning after the report was generated.
	runAt := func(t *testing.T, now time.Time, args ...string) result {
		t.Helper()
		d, _, _ := testDeps("")
		d.Now = func() time.Time { return now }
		return runWith(t, d, args...)
	}
	run := func(t *testing.T, args ...string) result {
		t.Helper()
		return runAt(t, time.Date(2022, 11, 11, 6, 0, 0, 0, time.UTC), args...)
	}
	report := filepath.Join(t.TempDir(), "111122223333.csv")
	csvText := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"<root_account>,arn:aws:iam::111122223333:root,2015-01-01T00:00:00+00:00,not_supported,2022-01-01T00:00:00+00:00,not_supported,not_supported,true," +
		"false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	if err := os.WriteFile(report, []byte(csvText), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"audit", "--credential-report", report, "--report-time", "2022-11-11T00:00:00Z", "--format", "json"}
	// Without CloudTrail the report says root was last used in January.
	without := findings(jsonReport(t, run(t, base...).out))
	if f := without[[2]string{"111122223333", "root-recent-use"}]; f["status"] != "pass" {
		t.Fatalf("without CloudTrail: %v %v", f["status"], f["message"])
	}
	if _, ok := without[[2]string{"111122223333", "root-console-login-without-mfa"}]; ok {
		t.Error("root-console-login-without-mfa run without CloudTrail")
	}

	r := run(t, append(base, "--cloudtrail", dir)...)
	if r.code != ExitFailing {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	recent := fs[[2]string{"111122223333", "root-recent-use"}]
	if recent["status"] != "fail" || !strings.Contains(recent["message"].(string), "CloudTrail: 4 root actions in the window") {
		t.Errorf("root-recent-use: %v %v", recent["status"], recent["message"])
	}
	if evs, _ := recent["evidence"].(map[string]any)["cloudtrail_events"].([]any); len(evs) != 4 {
		t.Errorf("evidence: %v", recent["evidence"])
	}
	login := fs[[2]string{"111122223333", "root-console-login-without-mfa"}]
	if login["status"] != "fail" || !strings.Contains(login["message"].(string), "2022-11-10T16:24:34Z from 192.0.2.0") {
		t.Errorf("root-console-login-without-mfa: %v %v", login["status"], login["message"])
	}
	// The logs are of one day: no key-signed call in them proves nothing
	// of the rest of the week.
	if f := fs[[2]string{"111122223333", "root-access-key-used"}]; f["status"] != "manual" ||
		!strings.Contains(f["message"].(string), "were read from 2022-11-10T16:30:00Z to 2022-11-10T16:30:00Z; the window reaches back to 2022-11-04T00:00:00Z") {
		t.Errorf("root-access-key-used: %v %v", f["status"], f["message"])
	}
	// A window after the logs: no log shows the window, so nothing can be
	// shown absent.
	lateRun := runAt(t, time.Date(2022, 12, 31, 6, 0, 0, 0, time.UTC), "audit", "--credential-report", report, "--report-time", "2022-12-31T00:00:00Z", "--format", "json", "--cloudtrail", dir)
	late := findings(jsonReport(t, lateRun.out))
	if f := late[[2]string{"111122223333", "root-console-login-without-mfa"}]; f["status"] != "error" || lateRun.code != ExitPartial ||
		!strings.Contains(lateRun.out, "no CloudTrail log of the account from 2022-12-24T00:00:00Z on was read") {
		t.Errorf("outside the window: exit %d, %v %v", lateRun.code, f["status"], f["message"])
	}
	// Logs that are not there, or hold other accounts only, show nothing.
	other := t.TempDir()
	mustDo(t, os.MkdirAll(filepath.Join(other, "AWSLogs", "999988887777", "CloudTrail", "us-east-1", "2022", "11", "10"), 0o755))
	mustDo(t, os.WriteFile(filepath.Join(other, "AWSLogs", "999988887777", "CloudTrail", "us-east-1", "2022", "11", "10", "x.json"),
		[]byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2022-11-10T10:00:00Z","eventName":"ListBuckets","userIdentity":{"type":"IAMUser"}}]}`), 0o644))
	// A corrupt log in the account's folder: its logs were not all read.
	corrupt := t.TempDir()
	mustDo(t, os.MkdirAll(filepath.Join(corrupt, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2022", "11", "10"), 0o755))
	mustDo(t, os.WriteFile(filepath.Join(corrupt, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2022", "11", "10", "b.json.gz"), []byte("\x1f\x8b\x08\x00garbage"), 0o644))
	mustDo(t, os.WriteFile(filepath.Join(corrupt, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2022", "11", "10", "ok.json"),
		[]byte(`{"Records":[{"eventVersion":"1.08","eventTime":"2022-11-10T10:00:00Z","eventName":"ListBuckets","userIdentity":{"type":"IAMUser"}}]}`), 0o644))
	for _, ct := range []string{filepath.Join(dir, "no-such-folder"), t.TempDir(), other, corrupt} {
		r := run(t, append(base, "--cloudtrail", ct)...)
		f := findings(jsonReport(t, r.out))[[2]string{"111122223333", "root-console-login-without-mfa"}]
		if r.code != ExitPartial || f["status"] != "error" {
			t.Errorf("--cloudtrail %s: exit %d, %v %v", ct, r.code, f["status"], f["message"])
		}
	}
	// Broken CloudTrail input: the rest is judged, the run exits 3.
	bad := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2022", "11", "10", "broken.json")
	mustDo(t, os.WriteFile(bad, []byte(`{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"Root"`), 0o644))
	if r := run(t, append(base, "--cloudtrail", dir)...); r.code != ExitPartial || !strings.Contains(r.out, "broken.json") {
		t.Errorf("broken input: exit %d", r.code)
	}
}

// --athena through the real SDK against moto: the query's rows, as DuckDB
// computes them from the same files (moto runs no SQL: its Athena returns
// rows it is given), come back through Athena's API as the events
// 'rootwatch trail' finds in the files.
func TestTrailAthena(t *testing.T) {
	m := startMoto(t)
	node, err := exec.LookPath("node")
	dir, _ := filepath.Abs("../../scripts/duckdb")
	if err != nil {
		t.Skip("Athena test skipped: node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("Athena test skipped: DuckDB is not installed (scripts/test.sh installs it)")
	}
	files := t.TempDir()
	for _, name := range []string{"aws-docs-console-sign-in.json", "aws-docs-assume-root.json", "variants.json"} {
		data, err := os.ReadFile(trailData + name)
		if err != nil {
			t.Fatal(err)
		}
		mustDo(t, os.WriteFile(filepath.Join(files, name), data, 0o644))
	}
	sql := filepath.Join(t.TempDir(), "q.sql")
	mustDo(t, os.WriteFile(sql, []byte(trail.AthenaSQL(trail.SQLOptions{Table: "cloudtrail_logs"})), 0o644))
	out, err := exec.Command(node, filepath.Join(dir, "query.mjs"), sql, filepath.Join(files, "*.json")).Output()
	if err != nil {
		t.Fatalf("duckdb: %v", err)
	}
	cols := trail.SQLColumns()
	header := map[string]any{"Data": []map[string]string{}}
	var colInfo []map[string]string
	for _, c := range cols {
		header["Data"] = append(header["Data"].([]map[string]string), map[string]string{"VarCharValue": c})
		colInfo = append(colInfo, map[string]string{"Name": c, "Type": "varchar"})
	}
	rows := []any{header}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r map[string]string
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		var data []map[string]string
		for _, c := range cols {
			data = append(data, map[string]string{"VarCharValue": r[c]})
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	body, _ := json.Marshal(map[string]any{"account_id": "123456789012", "region": "us-east-1", "results": []any{map[string]any{"rows": rows, "column_info": colInfo}}})
	resp, err := http.Post(m.Endpoint+"/moto-api/static/athena/query-results", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("seeding moto's Athena results: %v %v", err, resp)
	}
	resp.Body.Close()

	var mu sync.Mutex
	var calls []string
	d, _, _ := testDeps("")
	d.AWSRecord = func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() }
	r := runWith(t, d, "trail", "--athena", "--endpoint-url", m.Endpoint, "--database", "security", "--output-location", "s3://athena-results/", "--format", "jsonl")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	viaAthena := jsonlEvents(t, r.out)
	local := jsonlEvents(t, run(t, "trail", files, "--format", "jsonl").out)
	key := func(ev map[string]any) string { ev["source"] = nil; b, _ := json.Marshal(ev); return string(b) }
	var a, b []string
	for _, ev := range viaAthena {
		a = append(a, key(ev))
	}
	for _, ev := range local {
		b = append(b, key(ev))
	}
	slices.Sort(a)
	slices.Sort(b)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("via Athena:\n%s\nfrom the files:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	for _, want := range []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"} {
		if !slices.Contains(calls, want) {
			t.Errorf("no %s: %v", want, calls)
		}
	}
	if r := run(t, "trail", "--athena", files); r.code != ExitUsage {
		t.Errorf("--athena with paths: exit %d", r.code)
	}
	if r := run(t, "trail", "--print-sql", "--partitions", "week"); r.code != ExitUsage {
		t.Errorf("--partitions week: exit %d", r.code)
	}
}

// trail --demo reads the demo organization's log through the real reader:
// every kind, the AssumeRoot join, and a failed sign-in burst.
func TestTrailDemo(t *testing.T) {
	r := run(t, "trail", "--demo", "--format", "jsonl", "--details")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	kinds := map[string]int{}
	joined := false
	for _, ev := range jsonlEvents(t, r.out) {
		kinds[ev["kind"].(string)]++
		if ev["event_name"] == "GetLoginProfile" && ev["session"] == "assume-root" && strings.Contains(fmt.Sprint(ev["task_policy"]), "IAMAuditRootUserCredentials") {
			joined = true
		}
	}
	if kinds["console-login"] < 5 || kinds["api-call"] < 5 || kinds["credential-change"] != 1 || kinds["assume-root"] != 1 || !joined {
		t.Errorf("kinds %v, joined %v", kinds, joined)
	}
	s := run(t, "trail", "--demo", "--summary")
	if !strings.Contains(s.out, "210987654330: 6 failed root sign-ins") {
		t.Errorf("summary:\n%s", s.out)
	}
	if r := run(t, "trail", "--demo", "x.json"); r.code != ExitUsage {
		t.Errorf("--demo with a path: exit %d", r.code)
	}
}

// Nothing read is not nothing found (issue 11): inputs without a record
// exit 2 with a message naming them, and leave an existing --output as it
// was; records without a root event say how many were read, exit 0.
func TestTrailNothingReadOrFound(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := write("events.jsonl", "yesterday's events\n")
	for _, tc := range []struct{ name, data string }{{"empty.json", ""}, {"array.json", "[]"}, {"records.json", `{"Records":[]}`}, {"lines.json", "\n\n"}} {
		p := write(tc.name, tc.data)
		for _, args := range [][]string{{"trail", p}, {"trail", p, "--format", "jsonl", "--output", out}, {"trail", p, "--format", "csv"}, {"trail", p, "--summary"}} {
			r := run(t, args...)
			if r.code != ExitUsage || r.out != "" || !strings.Contains(r.err, "no CloudTrail record was read from "+p) {
				t.Errorf("%v: exit %d\nstdout %q\nstderr %s", args, r.code, r.out, r.err)
			}
		}
		if b, err := os.ReadFile(out); err != nil || string(b) != "yesterday's events\n" {
			t.Errorf("%s: --output replaced: %q %v", tc.name, b, err)
		}
	}
	users := write("users.json", `{"Records":[`+
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets"},`+
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-01-02T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets"}]}`)
	if r := run(t, "trail", users); r.code != ExitOK || r.out != "2 records read, no root event.\n" {
		t.Errorf("table: exit %d\nstdout %q\nstderr %s", r.code, r.out, r.err)
	}
	if r := run(t, "trail", users, "--format", "jsonl"); r.code != ExitOK || r.out != "" || !strings.Contains(r.err, "2 records read, no root event.") {
		t.Errorf("jsonl: exit %d\nstdout %q\nstderr %s", r.code, r.out, r.err)
	}
	// Root records that the filters leave out: read, none found.
	dtree, _ := trailTree(t)
	one := filepath.Join(dtree, "AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/111122223333_CloudTrail_us-east-1_20221110T1630Z_b2.json.gz")
	flat := filepath.Join(dir, "copy.json.gz")
	b, err := os.ReadFile(one)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(flat, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "trail", flat, "--since", "2024-01-01"); r.code != ExitOK || r.out != "8 records read, no root event.\n" {
		t.Errorf("filtered out: exit %d\nstdout %q\nstderr %s", r.code, r.out, r.err)
	}
	// Filters that leave every log file of the layout out: nothing read,
	// a warning that says so, exit 0 (a quiet day for a daily job).
	if r := run(t, "trail", dtree, "--since", "2025-01-01"); r.code != ExitOK || !strings.Contains(r.err, "nothing was read: no log file matches") {
		t.Errorf("pruned: exit %d\nstdout %q\nstderr %s", r.code, r.out, r.err)
	}
}

// Flags that would be silently ignored beside the others are refused,
// naming them (issue 11); the combinations that use them are accepted.
func TestTrailRefusesIgnoredFlags(t *testing.T) {
	dir, _ := trailTree(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--details"}, "--details adds fields to --format jsonl"},
		{[]string{"--details", "--format", "jsonl", "--summary"}, "--details adds fields to events, and --summary"},
		{[]string{"--all", "--format", "jsonl"}, "--all with --format jsonl needs --details"},
		{[]string{"--management-account", "111111111111"}, "--management-account only matters with --accounts or --regions"},
		{[]string{"--database", "security"}, "--database does nothing with reading files"},
		{[]string{"--region", "us-east-1"}, "--region does nothing with local files"},
		{[]string{"--partitions", "none"}, "--partitions does nothing with reading files"},
		{[]string{"--format", "jsonl", "--format", "csv"}, `--format given twice ("jsonl", then "csv")`},
		{[]string{"-f", "csv", "--output", "a.csv", "-o", "b.csv"}, "--output given twice"},
		{[]string{"--since", "30d", "--since", "7d"}, "--since given twice"},
	} {
		r := run(t, append([]string{"trail", dir}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || r.out != "" {
			t.Errorf("%v: exit %d, stderr %s, want %q", tc.args, r.code, r.err, tc.want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"trail", "--demo", "--concurrency", "4"}, "--concurrency does nothing with --demo"},
		{[]string{"trail", "--print-sql", "--format", "jsonl"}, "--format does nothing with --print-sql"},
		{[]string{"trail", "--print-sql", "--output", "q.sql"}, "--output does nothing with --print-sql"},
		{[]string{"trail", "--print-sql", "--workgroup", "wg"}, "--workgroup does nothing with --print-sql"},
	} {
		if r := run(t, tc.args...); r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, stderr %s, want %q", tc.args, r.code, r.err, tc.want)
		}
	}
	for _, args := range [][]string{
		{"--details", "--format", "csv"}, {"--details", "--format", "jsonl"}, {"--all", "--format", "jsonl", "--details"},
		{"--all", "--summary"}, {"--all", "--format", "csv"}, {"--management-account", "111111111111", "--accounts", "111122223333"},
	} {
		if r := run(t, append([]string{"trail", dir}, args...)...); r.code != ExitOK {
			t.Errorf("%v: exit %d, %s", args, r.code, r.err)
		}
	}
	if r := run(t, "trail", "--print-sql", "--table", "db.t", "--all"); r.code != ExitOK {
		t.Errorf("--print-sql --table --all: exit %d, %s", r.code, r.err)
	}
}

// On a terminal, the progress line is cleared before the report starts on
// the same screen (issue 11: the table was printed after it, on its line).
func TestTrailProgressClearedBeforeReport(t *testing.T) {
	for _, format := range []string{"table", "jsonl", "csv"} {
		var tty bytes.Buffer
		d, _, _ := testDeps("")
		d.Out, d.ErrOut, d.OutIsTerminal, d.ErrIsTerminal = &tty, &tty, true, true
		r := runWith(t, d, "trail", "--demo", "--no-color", "--format", format)
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.err)
		}
		screen := tty.String()
		start := strings.Index(screen, map[string]string{"table": "TIME (UTC)", "jsonl": `{"event_id"`, "csv": "event_id,"}[format])
		if start < 0 || !strings.Contains(screen[:start], "reading CloudTrail") {
			t.Fatalf("%s: no progress line, or no report:\n%q", format, screen)
		}
		// The line the report starts on holds nothing of the progress line:
		// it was cleared back to its start ("\r   \r") first.
		if before := screen[:start]; !strings.HasSuffix(before, "\r") && !strings.HasSuffix(before, "\n") {
			t.Errorf("%s: the report starts after %q", format, before[max(0, len(before)-80):])
		}
		if strings.Contains(screen[start:], "reading CloudTrail") {
			t.Errorf("%s: the progress line drawn again inside the report", format)
		}
	}
}

// --output naming an input, or a file inside an input folder, is refused
// before anything is read or written (issue 11: it overwrote the input).
func TestTrailOutputIsAnInput(t *testing.T) {
	dir, _ := trailTree(t)
	in := filepath.Join(t.TempDir(), "events.json")
	data := mustReadTrail(t, trailData+"aws-docs-console-sign-in.json")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"trail", in, "--output", in}, {"trail", dir, "--output", filepath.Join(dir, "AWSLogs", "out.jsonl")}} {
		if r := run(t, args...); r.code != ExitUsage || !strings.Contains(r.err, "--output") {
			t.Errorf("%v: exit %d, %s", args, r.code, r.err)
		}
	}
	if b, err := os.ReadFile(in); err != nil || !bytes.Equal(b, data) {
		t.Errorf("the input was changed: %v", err)
	}
}

func mustReadTrail(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
