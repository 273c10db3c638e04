package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// rootCSV is a one-account credential report (bare CSV) written by the
// tests below.
const rootCSV = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
	"<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,true,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// --output naming one of the inputs is refused before anything is read:
// the input is left as it was.
func TestOutputNamingAnInputIsRefused(t *testing.T) {
	dir := t.TempDir()
	report := writeFile(t, filepath.Join(dir, "report.csv"), rootCSV)
	cfg := writeFile(t, filepath.Join(dir, "rootwatch.yaml"), "window: 7d\n")
	trailLog := writeFile(t, filepath.Join(dir, "events.json"), `{"Records":[]}`)
	folder := filepath.Join(dir, "reports")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(folder, "a.csv"), rootCSV)
	snap := filepath.Join(dir, "snap.json")
	if r := run(t, "snapshot", "--demo", "--output", snap); r.code != ExitOK {
		t.Fatalf("snapshot: exit %d %s", r.code, r.err)
	}
	snapText := readFile(t, snap)
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(report, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--credential-report", report, "--output", report}, "--output " + report + " is the input " + report},
		{[]string{"audit", "--credential-report", report, "--format", "csv", "-o", filepath.Join(dir, ".", "report.csv")}, "is the input"},
		{[]string{"audit", "--credential-report", report, "--output", link}, "is the input " + report},
		{[]string{"audit", "--credential-report", link, "--output", report}, "is the input " + link},
		{[]string{"audit", "--credential-report", report, "--config", cfg, "--output", cfg}, "is the input " + cfg},
		{[]string{"audit", "--credential-report", report, "--cloudtrail", trailLog, "--output", trailLog}, "is the input " + trailLog},
		{[]string{"audit", "--snapshot", snap, "--output", snap}, "is the input " + snap},
		{[]string{"audit", "--credential-report", folder, "--output", filepath.Join(folder, "a.csv")}, "is inside the input folder " + folder},
		{[]string{"audit", "--credential-report", folder, "--output", filepath.Join(folder, "new.json")}, "is inside the input folder " + folder},
		{[]string{"snapshot", "--credential-report", report, "--output", report}, "is the input " + report},
		{[]string{"snapshot", "--credential-report", report, "--cloudtrail", trailLog, "--output", trailLog}, "is the input " + trailLog},
	} {
		r := run(t, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
	if got := readFile(t, report); got != rootCSV {
		t.Errorf("the credential report was overwritten: %.80q", got)
	}
	if got := readFile(t, filepath.Join(folder, "a.csv")); got != rootCSV {
		t.Errorf("the report in the folder was overwritten: %.80q", got)
	}
	if readFile(t, cfg) != "window: 7d\n" || readFile(t, trailLog) != `{"Records":[]}` || readFile(t, snap) != snapText {
		t.Error("an input was overwritten")
	}
	if names := dirNames(t, folder); !slices.Equal(names, []string{"a.csv"}) {
		t.Errorf("input folder holds %v", names)
	}
	// Another file beside the inputs is fine.
	if r := run(t, "audit", "--credential-report", report, "--output", filepath.Join(dir, "out.json")); r.code == ExitUsage {
		t.Errorf("an output beside the input: exit %d %s", r.code, r.err)
	}
}

// blockingReader fails the test if read: the run must stop before reading
// its input.
type blockingReader struct{ t *testing.T }

func (b blockingReader) Read([]byte) (int, error) {
	b.t.Error("the input was read before --output was checked")
	return 0, io.EOF
}

// A directory where no file can be created is found before the input is
// read (a live audit would otherwise run to its end for nothing): exit 2,
// and nothing left behind in a directory that can be written.
func TestOutputUnwritableDirectoryCheckedFirst(t *testing.T) {
	// /proc exists and is a directory, but no file can be created in it,
	// even by root.
	if fi, err := os.Stat("/proc"); err != nil || !fi.IsDir() {
		t.Fatalf("/proc: %v", err)
	}
	d, _, _ := testDeps("")
	d.In = blockingReader{t}
	r := runWith(t, d, "audit", "--credential-report", "-", "--output", "/proc/rootwatch-test.json")
	if r.code != ExitUsage || !strings.Contains(r.err, "--output /proc/rootwatch-test.json: cannot create a file in /proc") {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	d, _, _ = testDeps("")
	d.In = blockingReader{t}
	r = runWith(t, d, "snapshot", "--credential-report", "-", "--output", "/proc/rootwatch-test.json")
	if r.code != ExitUsage || !strings.Contains(r.err, "cannot create a file in /proc") {
		t.Errorf("snapshot: exit %d: %s", r.code, r.err)
	}
	// The check leaves nothing behind where it could write.
	dir := t.TempDir()
	if _, err := outputPath(filepath.Join(dir, "r.json")); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("the write check left %v", names)
	}
}

// No temporary file is left when writing the report fails or is
// interrupted; the target keeps its old content.
func TestWriteAtomicLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	target := writeFile(t, filepath.Join(dir, "report.json"), "previous")
	for name, write := range map[string]func(io.Writer) error{
		"write error": func(w io.Writer) error {
			if _, err := io.WriteString(w, "half a report"); err != nil {
				return err
			}
			return errors.New("disk full")
		},
		"verdict": func(w io.Writer) error {
			_, _ = io.WriteString(w, "half")
			return &ExitError{Code: ExitUsage, Err: errors.New("bad flag")}
		},
		"interrupted": func(w io.Writer) error {
			_, _ = io.WriteString(w, "half")
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx.Err()
		},
	} {
		if err := writeAtomic(target, io.Discard, write); err == nil {
			t.Errorf("%s: no error", name)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"report.json"}) {
			t.Errorf("%s: the directory holds %v", name, names)
		}
		if got := readFile(t, target); got != "previous" {
			t.Errorf("%s: the report was replaced by %q", name, got)
		}
	}
	// A rename that fails (the target became a directory) also cleans up.
	dirTarget := filepath.Join(dir, "sub")
	if err := os.Mkdir(dirTarget, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirTarget, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(dirTarget, io.Discard, func(w io.Writer) error { _, err := io.WriteString(w, "r"); return err }); err == nil {
		t.Error("rename over a directory: no error")
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"report.json", "sub"}) {
		t.Errorf("after a failed rename the directory holds %v", names)
	}
}

// Ctrl-C while standard input is read (it never ends here) ends the run:
// exit 130, for a snapshot, a credential report and CloudTrail.
func TestInterruptWhileReadingStdin(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "--snapshot", "-"},
		{"audit", "--credential-report", "-"},
		{"snapshot", "--credential-report", "-"},
		{"trail", "-"},
		{"audit", "--demo", "--cloudtrail", "-"},
	} {
		pr, pw := io.Pipe()
		d, _, _ := testDeps("")
		d.In = pr
		// Some input, then nothing: the read blocks as on a terminal.
		go func() { _, _ = io.WriteString(pw, "{\"rootwatch_snapshot\": 1, \"accounts\": [") }()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			cmd := NewRootCmd(d)
			cmd.SetArgs(args)
			code, _ := ExitCode(cmd.ExecuteContext(ctx))
			done <- code
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case code := <-done:
			if code != ExitInterrupted {
				t.Errorf("%v: exit %d, want 130", args, code)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%v: still reading standard input 10s after Ctrl-C", args)
		}
		pw.Close()
	}
}

// The context reader passes data through unchanged, in reads of any size.
func TestContextReaderPassesData(t *testing.T) {
	want := strings.Repeat("rootwatch ", 10000)
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < len(want); i += 777 {
			_, _ = io.WriteString(pw, want[i:min(i+777, len(want))])
		}
		pw.Close()
	}()
	r := newContextReader(context.Background(), pr)
	var got bytes.Buffer
	buf := make([]byte, 100)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != want {
		t.Errorf("got %d bytes, want %d", got.Len(), len(want))
	}
}

// A snapshot is read as a stream: a 64 MiB file does not take its size in
// memory (it was read whole, then decoded).
func TestSnapshotStreamedNotReadWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// 2,048 accounts of 32 KiB each, mostly the indentation of a pretty
	// printer gone wide: the accounts themselves are small.
	pad := strings.Repeat(" ", 32<<10)
	if _, err := io.WriteString(f, `{"rootwatch_snapshot": 1, "tool_version": "test", "collected_at": "2026-11-23T12:00:00Z", "accounts": [`); err != nil {
		t.Fatal(err)
	}
	for i := range 2048 {
		sep := ","
		if i == 0 {
			sep = ""
		}
		if _, err := fmt.Fprintf(f, `%s%s{"id": "%012d", "partition": "aws", "created_at": "2020-01-01T00:00:00Z", "iam_users": 0}`, sep, pad, 100000000000+i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := io.WriteString(f, "]}\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	snap, err := readSnapshot(path, nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 2048 || snap.Accounts[2047].ID != "100000002047" {
		t.Fatalf("%d accounts", len(snap.Accounts))
	}
	// Reading the whole file allocates at least its 64 MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("reading a 64 MiB snapshot allocated %d MiB, want under 16", alloc>>20)
	}
}

// What was given to --snapshot is named when it is not a snapshot, with
// what to do instead.
func TestSnapshotInputNamedWhenNotASnapshot(t *testing.T) {
	dir := t.TempDir()
	auditJSON := run(t, "audit", "--demo", "--format", "json").out
	cliJSON := `{"Content": "dXNlcg==", "ReportFormat": "text/csv", "GeneratedTime": "2026-11-23T10:00:00+00:00"}`
	for name, tc := range map[string]struct{ content, want string }{
		"audit.json": {auditJSON, "audit.json is an audit report (rootwatch audit --format json), not a snapshot: an audit's verdicts cannot be judged again; write a snapshot with 'rootwatch snapshot --output FILE' and the inputs to judge"},
		"report.csv": {rootCSV, "report.csv is a credential report (CSV), not a snapshot: give it to --credential-report, or write a snapshot with 'rootwatch snapshot --credential-report "},
		"cli.json":   {cliJSON, "cli.json is a credential report (aws iam get-credential-report), not a snapshot: give it to --credential-report, or write a snapshot with 'rootwatch snapshot --output FILE' and the inputs to judge"},
		"trail.json": {`{"Records": [{"eventVersion": "1.08"}]}`, "trail.json holds CloudTrail events, not a snapshot: give it to --cloudtrail with the accounts' reports, or to 'rootwatch trail'"},
		"events.jsonl": {`{"event_id":"x","event_time":"2026-01-01T00:00:00Z"}` + "\n",
			"events.jsonl holds root events written by 'rootwatch trail', not a snapshot"},
		"empty.json": {"", "empty.json is empty: write a snapshot with 'rootwatch snapshot --output FILE'"},
		"accounts.json": {`{"rootwatch_snapshot": 1, "collected_at": "2026-11-23T12:00:00Z", "accounts": []}`,
			"nothing could be audited: snapshot " + filepath.Join(dir, "accounts.json") + " holds no accounts"},
		"trailing.json": {`{"rootwatch_snapshot": 1, "collected_at": "2026-11-23T12:00:00Z", "accounts": []} {}`, "more data after the snapshot"},
	} {
		p := writeFile(t, filepath.Join(dir, name), tc.content)
		r := run(t, "audit", "--snapshot", p)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || r.out != "" {
			t.Errorf("%s: exit %d, stdout %.60q, stderr %q; want 2 and %q", name, r.code, r.out, r.err, tc.want)
		}
	}
	// The same from standard input.
	d, _, _ := testDeps(auditJSON)
	if r := runWith(t, d, "audit", "--snapshot", "-"); r.code != ExitUsage || !strings.Contains(r.err, "(standard input) is an audit report") {
		t.Errorf("stdin: exit %d %s", r.code, r.err)
	}
}

// Counts read naturally: "1 input failed", "2 inputs failed".
func TestNothingReadCountsPlural(t *testing.T) {
	dir := t.TempDir()
	bad1 := writeFile(t, filepath.Join(dir, "bad1.csv"), "not,a,report\n")
	bad2 := writeFile(t, filepath.Join(dir, "bad2.csv"), "not,a,report\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--credential-report", bad1}, "nothing could be audited: 1 input failed (listed above)"},
		{[]string{"audit", "--credential-report", bad1, bad2}, "nothing could be audited: 2 inputs failed (listed above)"},
		{[]string{"snapshot", "--credential-report", bad1}, "nothing could be collected: 1 input failed (listed above)"},
	} {
		r := run(t, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, r.code, r.err, tc.want)
		}
		if strings.Contains(r.err, "(s)") {
			t.Errorf("%v: %q", tc.args, r.err)
		}
	}
}

// Flags that would be silently ignored are refused, naming them; a flag
// given twice is refused rather than the first value dropped.
func TestFlagsIgnoredOrRepeatedAreRefused(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "snap.json")
	if r := run(t, "snapshot", "--demo", "--output", snap); r.code != ExitOK {
		t.Fatalf("snapshot: %d %s", r.code, r.err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "--demo", "--format", "json", "--format", "csv"}, `--format given twice ("json", then "csv"): give it once (see 'rootwatch audit --help')`},
		{[]string{"audit", "--demo", "-f", "json", "--format", "json"}, "--format given twice"},
		{[]string{"audit", "--demo", "--output", filepath.Join(dir, "a"), "-o", filepath.Join(dir, "b")}, "--output given twice"},
		{[]string{"audit", "--demo", "--window", "7d", "--window", "30d"}, "--window given twice"},
		{[]string{"snapshot", "--demo", "--output", filepath.Join(dir, "a"), "--output", filepath.Join(dir, "b")}, "--output given twice"},
		{[]string{"rules", "list", "--format", "json", "--format", "table"}, "--format given twice"},
		{[]string{"audit", "--demo", "--all", "--format", "sarif"}, "--all lists passing findings in the table (json and csv always hold every finding): SARIF holds failing findings only"},
		{[]string{"audit", "--demo", "--report-time", "2026-11-01T00:00:00Z"}, "--report-time is the generation time of --credential-report files that carry none (bare CSV): it does not go with --demo, --snapshot or a live audit"},
		{[]string{"audit", "--snapshot", snap, "--report-time", "2026-11-01T00:00:00Z"}, "--report-time is the generation time"},
		{[]string{"snapshot", "--demo", "--report-time", "2026-11-01T00:00:00Z"}, "--report-time is the generation time"},
		{[]string{"audit", "--demo", "--window", "abc"}, `--window: "abc" is not a duration: write days, hours and minutes such as 7d, 36h, 1d12h or 90m`},
		{[]string{"audit", "--demo", "--checks", "root-mfa-enable"}, `--checks: unknown check "root-mfa-enable" (did you mean "root-mfa-enabled"?)`},
	} {
		r := run(t, tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) || r.out != "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
	for _, name := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s written by a refused run", name)
		}
	}
	// --all with json or csv is honoured as it stands: they hold every
	// finding, passing ones included, with or without it.
	for _, format := range []string{"json", "csv"} {
		with, without := run(t, "audit", "--demo", "--format", format, "--all"), run(t, "audit", "--demo", "--format", format)
		if with.code != ExitFailing || with.out != without.out || !strings.Contains(with.out, "pass") || !strings.Contains(with.out, "not_applicable") {
			t.Errorf("--all --format %s: exit %d, same output %v", format, with.code, with.out == without.out)
		}
	}
	// --report-time still goes with --credential-report.
	report := writeFile(t, filepath.Join(dir, "r.csv"), rootCSV)
	if r := run(t, "audit", "--credential-report", report, "--report-time", "2026-11-01T00:00:00Z"); r.code == ExitUsage {
		t.Errorf("--report-time with a report: exit %d %s", r.code, r.err)
	}
}

// rules list --framework filters the JSON as it does the table: only the
// checks mapped to the framework, each with that framework's controls.
func TestRulesListFrameworkJSON(t *testing.T) {
	r := run(t, "rules", "list", "--framework", "aws-securityhub", "--format", "json")
	var list []struct {
		ID         string              `json:"id"`
		Compliance map[string][]string `json:"compliance"`
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil {
		t.Fatalf("exit %d: %v\n%s", r.code, err, r.out)
	}
	if len(list) == 0 || len(list) >= numRules(t) {
		t.Fatalf("%d checks listed for aws-securityhub, of %d", len(list), numRules(t))
	}
	byID := map[string][]string{}
	for _, c := range list {
		if len(c.Compliance) != 1 || len(c.Compliance["aws-securityhub"]) == 0 {
			t.Errorf("%s: compliance %v, want aws-securityhub's controls only", c.ID, c.Compliance)
		}
		byID[c.ID] = c.Compliance["aws-securityhub"]
	}
	if !slices.Equal(byID["root-access-key-present"], []string{"IAM.4"}) || !slices.Equal(byID["root-mfa-enabled"], []string{"IAM.9"}) {
		t.Errorf("controls: %v", byID)
	}
	if _, ok := byID["root-signing-certificate"]; ok {
		t.Error("root-signing-certificate maps to no Security Hub control, yet is listed")
	}
	// The table lists the same checks.
	table := run(t, "rules", "list", "--framework", "aws-securityhub")
	if lines := strings.Count(strings.TrimSpace(table.out), "\n"); lines != len(list) {
		t.Errorf("table lists %d checks, json %d:\n%s", lines, len(list), table.out)
	}
}

// snapshot --window says what a duration looks like, once.
func TestSnapshotWindowMessage(t *testing.T) {
	trailLog := writeFile(t, filepath.Join(t.TempDir(), "events.json"), `{"Records":[]}`)
	r := run(t, "snapshot", "--demo", "--cloudtrail", trailLog, "--window", "abc")
	if want := `--window: "abc" is not a duration: write days, hours and minutes such as 7d, 36h, 1d12h or 90m`; r.code != ExitUsage || !strings.Contains(r.err, want) {
		t.Errorf("exit %d: %s; want %s", r.code, r.err, want)
	}
}
