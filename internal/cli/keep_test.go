package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run that can read nothing exits 2 and leaves an existing --output file
// as it was: a good report is never replaced by an empty one.
func TestNothingReadKeepsTheOutputFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("not,a,credential,report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"audit":                                {"audit", "--credential-report", bad, "--format", "json"},
		"snapshot":                             {"snapshot", "--credential-report", bad},
		"trail":                                {"trail", empty, "--format", "jsonl"},
		"trail, a file that is not CloudTrail": {"trail", bad, "--format", "jsonl"},
	} {
		out := filepath.Join(dir, "previous.json")
		if err := os.WriteFile(out, []byte("the previous report"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, append(args, "--output", out)...)
		if r.code != ExitUsage {
			t.Errorf("%s: exit %d, want 2: %s", name, r.code, r.err)
		}
		if b, _ := os.ReadFile(out); string(b) != "the previous report" {
			t.Errorf("%s: --output replaced: %.80s", name, b)
		}
	}
	// Without a previous file, the report (with its errors) is written.
	out := filepath.Join(dir, "new.json")
	if r := run(t, "audit", "--credential-report", bad, "--format", "json", "--output", out); r.code != ExitUsage {
		t.Errorf("exit %d", r.code)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "bad.csv") {
		t.Errorf("no report with the errors: %v %.200s", err, b)
	}
}

// A usage error found while running Athena is exit 2, not a failure to
// write the report.
func TestTrailAthenaUsageError(t *testing.T) {
	r := run(t, "trail", "--athena", "--partitions", "bogus", "--output", filepath.Join(t.TempDir(), "x.jsonl"))
	if r.code != ExitUsage || strings.Contains(r.err, "write report") {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
}

// Flags that would be ignored are refused, so a run never looks narrower
// than it was.
func TestFlagsThatWouldBeIgnored(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "--demo", "--accounts", "111111111111"},
		{"audit", "--demo", "--ous", "ou-abcd-12345678"},
		{"audit", "--demo", "--exclude-accounts", "111111111111"},
		{"snapshot", "--demo", "--role-name", "Auditor"},
		{"audit", "--demo", "--external-id", "x"},
		{"audit", "--credential-report", "-", "--cloudtrail", "-"},
		{"audit", "--demo", "--assets"},
		{"snapshot", "--demo", "--max-report-age", "1h"},
	} {
		flag := args[len(args)-2] // the flag the error must name
		if flag == "--cloudtrail" {
			flag = "standard input"
		}
		if r := run(t, args...); r.code != ExitUsage || !strings.Contains(r.err, flag) {
			t.Errorf("%v: exit %d: %s", args, r.code, r.err)
		}
	}
	// The default, written another way, is not a flag misused.
	if r := run(t, "audit", "--demo", "--max-report-age", "240m"); r.code == ExitUsage {
		t.Errorf("--max-report-age 240m: %s", r.err)
	}
}

// snapshot, like audit, takes several report paths after
// --credential-report.
func TestSnapshotSeveralReports(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"a.csv", "b.csv"} {
		data, err := os.ReadFile(fixture(t))
		if err != nil {
			t.Fatal(err)
		}
		if name == "b.csv" {
			data = []byte(strings.ReplaceAll(string(data), "278368863034", "210987654321"))
		}
		p := filepath.Join(dir, name)
		mustDo(t, os.WriteFile(p, data, 0o644))
		paths = append(paths, p)
	}
	r := run(t, append([]string{"snapshot", "--credential-report"}, paths...)...)
	if r.code != ExitOK || strings.Count(r.out, `"credential_report"`) != 2 {
		t.Errorf("exit %d: %s\n%.300s", r.code, r.err, r.out)
	}
}

func TestTrailModesExclusive(t *testing.T) {
	for _, args := range [][]string{{"trail", "--athena", "--demo"}, {"trail", "--print-sql", "--demo"}} {
		if r := run(t, args...); r.code != ExitUsage || !strings.Contains(r.err, "does not go with") {
			t.Errorf("%v: exit %d: %s", args, r.code, r.err)
		}
	}
}

// A run whose checks cannot judge its input exits 2: nothing judged is not
// a clean result. --checks overrides the configuration file.
func TestNothingJudged(t *testing.T) {
	r := run(t, "audit", "--credential-report", fixture(t), "--checks", "root-usage-alarm")
	if r.code != ExitUsage || !strings.Contains(r.err, "no check can run on this input: root-usage-alarm") {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	mustDo(t, os.WriteFile(cfg, []byte("checks:\n  root-mfa-enabled: {disabled: true}\n"), 0o644))
	r = run(t, "audit", "--credential-report", fixture(t), "--config", cfg, "--checks", "root-mfa-enabled", "--format", "json")
	if r.code == ExitUsage || !strings.Contains(r.out, `"check":"root-mfa-enabled"`) {
		t.Errorf("--checks over a disabled check: exit %d %s", r.code, r.err)
	}
}

// Filters that leave every log out are a quiet day, not an input error: a
// daily job must not fail for it.
func TestTrailNothingInTheWindow(t *testing.T) {
	dir, _ := trailTree(t)
	for _, args := range [][]string{{"--accounts", "999988887777"}, {"--regions", "ap-south-2"}, {"--since", "2025-01-01"}} {
		r := run(t, append([]string{"trail", dir}, args...)...)
		if r.code != ExitOK || !strings.Contains(r.out, "No root events") || !strings.Contains(r.err, "no log file matches") {
			t.Errorf("%v: exit %d\n%s\n%s", args, r.code, r.out, r.err)
		}
	}
}

// audit --snapshot - reads the snapshot from standard input.
func TestAuditSnapshotStdin(t *testing.T) {
	snap := run(t, "snapshot", "--demo")
	d, _, _ := testDeps(snap.out)
	if r := runWith(t, d, "audit", "--snapshot", "-", "--format", "json"); r.code != ExitFailing || !strings.Contains(r.out, `"findings"`) {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
	for _, args := range [][]string{{"trail", "--demo", "--concurrency", "-1"}, {"trail", "--athena", "--output-location", "bucket/x"}} {
		if r := run(t, args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d %s", args, r.code, r.err)
		}
	}
}

// A snapshot written before the contact information had a collector of
// its own (contacts.primary) is still read, the contact moved.
func TestOldSnapshotContactsPrimary(t *testing.T) {
	snap := run(t, "snapshot", "--demo").out
	old := strings.Replace(snap, `"contacts": {`, `"contacts": {"primary": {"full_name": "Cloud Team", "company_name": "", "address_line_1": "", "city": "", "country_code": "", "phone_number": "", "website_url": ""},`, 1)
	if old == snap {
		t.Skip("the demo snapshot has no contacts")
	}
	p := filepath.Join(t.TempDir(), "old.json")
	mustDo(t, os.WriteFile(p, []byte(old), 0o644))
	if r := run(t, "audit", "--snapshot", p, "--format", "json"); r.code != ExitFailing {
		t.Errorf("exit %d: %s", r.code, r.err)
	}
}
