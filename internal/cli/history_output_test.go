package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
)

// --output writes what standard output would get, whole, for the runs,
// the diff (whose exit code still gates: 1) and the account; nothing else
// is left in the directory.
func TestHistoryOutputSQLite(t *testing.T) { checkHistoryOutput(t, historyStore(t)) }

func checkHistoryOutput(t *testing.T, url string) {
	t.Helper()
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"history"}, ExitOK},
		{[]string{"history", "--format", "csv"}, ExitOK},
		{[]string{"history", "diff"}, ExitFailing},
		{[]string{"history", "diff", "--format", "json"}, ExitFailing},
		{[]string{"history", "diff", "--format", "sarif"}, ExitFailing},
		{[]string{"history", "diff", "--fail-on", "critical", "--format", "csv"}, ExitOK},
		{[]string{"history", "account", "278368863034"}, ExitOK},
		{[]string{"history", "account", "278368863034", "--format", "csv"}, ExitOK},
	} {
		args := append(tc.args, "--store", url)
		want := run(t, args...)
		if want.code != tc.code || want.out == "" {
			t.Fatalf("%v: exit %d, stderr %s", tc.args, want.code, want.err)
		}
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		if err := os.WriteFile(out, []byte("previous"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, flag := range []string{"--output", "-o"} {
			r := run(t, append(args, flag, out)...)
			if r.code != tc.code || r.out != "" {
				t.Errorf("%v %s: exit %d, stdout %q, stderr %s", tc.args, flag, r.code, r.out, r.err)
			}
			if got := readFile(t, out); got != want.out {
				t.Errorf("%v %s: file\n%s\nwant\n%s", tc.args, flag, got, want.out)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"out"}) {
				t.Errorf("%v %s: the directory holds %v", tc.args, flag, names)
			}
		}
	}
}

// --output is checked before the store is opened: the store's own file is
// refused and left as it was, a directory where no file can be created is
// found first (the store named here does not even exist), and a store
// that cannot be read leaves an existing output file as it was.
func TestHistoryOutputRefusedSQLite(t *testing.T) {
	url := historyStore(t)
	db := strings.TrimPrefix(url, "sqlite:")
	before := readFile(t, db)
	for _, args := range [][]string{{"history"}, {"history", "diff"}, {"history", "account", "278368863034"}} {
		r := run(t, append(args, "--store", url, "--output", db)...)
		if r.code != ExitUsage || !strings.Contains(r.err, "--output "+db+" is the input "+db) || r.out != "" {
			t.Errorf("%v --output the store: exit %d, stdout %q, stderr %s", args, r.code, r.out, r.err)
		}
		missing := "sqlite:" + filepath.Join(t.TempDir(), "none.db")
		r = run(t, append(args, "--store", missing, "--output", "/proc/rootwatch-history-test")...)
		if r.code != ExitUsage || !strings.Contains(r.err, "--output /proc/rootwatch-history-test: cannot create a file in /proc") {
			t.Errorf("%v --output in /proc: exit %d, stderr %s", args, r.code, r.err)
		}
	}
	if readFile(t, db) != before {
		t.Error("the store was written to")
	}
	// An output that cannot be written (a full device): exit 4, naming it.
	for _, args := range [][]string{{"history"}, {"history", "diff", "--format", "sarif"}, {"history", "account", "278368863034", "--format", "json"}} {
		r := run(t, append(args, "--store", url, "--output", "/dev/full")...)
		if r.code != 4 || !strings.Contains(r.err, "/dev/full") || r.out != "" {
			t.Errorf("%v --output /dev/full: exit %d, stdout %q, stderr %s", args, r.code, r.out, r.err)
		}
	}
	if r := run(t, "history", "--store", url); r.code != ExitOK {
		t.Errorf("the store after: exit %d, stderr %s", r.code, r.err)
	}

	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("not a database, not at all, really not"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "diff.json")
	if err := os.WriteFile(out, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "history", "diff", "--store", "sqlite:"+garbage, "-o", out); r.code != 4 {
		t.Errorf("garbage store: exit %d, stderr %s", r.code, r.err)
	}
	if got := readFile(t, out); got != "previous" {
		t.Errorf("the output file became %q", got)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"diff.json", "garbage.db"}) {
		t.Errorf("the directory holds %v", names)
	}
}

// The diff as SARIF 2.1.0, checked against the schema: one result per
// change with its baselineState, the check as ruleId pointing at its rule,
// the account as location, the finding ID as fingerprint; exit 1 for the
// new high finding as in every format.
func TestHistoryDiffSARIFSQLite(t *testing.T) { checkHistoryDiffSARIF(t, historyStore(t)) }

func checkHistoryDiffSARIF(t *testing.T, url string) {
	t.Helper()
	r := run(t, "history", "diff", "--store", url, "--format", "sarif")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, stderr %s", r.code, r.err)
	}
	rep, err := sarif.FromString(r.out)
	if err != nil {
		t.Fatalf("SARIF does not parse: %v\n%s", err, r.out)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("SARIF invalid: %v\n%s", err, r.out)
	}
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	if rep.Version != "2.1.0" || !strings.HasSuffix(rep.Schema, "/sarif-schema-2.1.0.json") || len(rep.Runs) != 1 {
		t.Fatalf("version %q, $schema %q, %d runs", rep.Version, rep.Schema, len(rep.Runs))
	}
	run0 := rep.Runs[0]
	if d := run0.Tool.Driver; str(d.Name) != "rootwatch" || str(d.Version) != "test" {
		t.Errorf("driver %q %q", str(d.Name), str(d.Version))
	}
	rules := run0.Tool.Driver.Rules
	var got []string
	for _, res := range run0.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(rules) || str(rules[res.RuleIndex].ID) != str(res.RuleID) {
			t.Errorf("%s: ruleIndex %d does not point at its rule", str(res.RuleID), res.RuleIndex)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil || res.Locations[0].PhysicalLocation.ArtifactLocation == nil {
			t.Fatalf("%s: locations %+v", str(res.RuleID), res.Locations)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %s %s", res.PartialFingerprints["rootwatchFindingId/v1"], str(res.RuleID), str(res.BaselineState), res.Kind, res.Level,
			str(res.Locations[0].PhysicalLocation.ArtifactLocation.URI)))
	}
	want := []string{
		"162be4319e04f2c0 root-access-key-present unchanged fail error aws/278368863034/root-user",
		"17134ccaa92ab015 root-mfa-enabled unchanged fail error aws/278368863034/root-user",
		"b610220856bc1144 root-hardware-mfa unchanged fail error aws/278368863034/root-user",
		"c7ee0815515019df root-recent-use absent pass none aws/278368863034/root-user",
		"db08f07353b5450c root-access-key-stale new fail error aws/278368863034/root-user",
	}
	if !slices.Equal(got, want) {
		t.Errorf("results\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The account's timeline as CSV: one row per observation.
func TestHistoryAccountCSVSQLite(t *testing.T) { checkHistoryAccountCSV(t, historyStore(t)) }

func checkHistoryAccountCSV(t *testing.T, url string) {
	t.Helper()
	r := run(t, "history", "account", "278368863034", "--store", url, "--format", "csv")
	want := "run_id,as_of,name,org,ou_path,created_at,root_unread,password_last_used,key_1_active,key_1_last_rotated,key_1_last_used," +
		"key_2_active,key_2_last_rotated,key_2_last_used,mfa,assets,trail_sign_ins,trail_sign_ins_without_mfa,trail_key_signed_calls,failing_checks\n" +
		"1,2022-12-22T00:00:00Z,,,,2022-03-08T16:02:25Z,false,2022-12-21T16:19:23Z,true,2022-11-01T00:00:00Z,,false,,,false,,,,," +
		"root-access-key-present;root-mfa-enabled;root-hardware-mfa;root-recent-use\n" +
		"2,2023-03-01T00:00:00Z,,,,2022-03-08T16:02:25Z,false,2022-12-21T16:19:23Z,true,2022-11-01T00:00:00Z,,false,,,false,,,,," +
		"root-access-key-present;root-mfa-enabled;root-hardware-mfa;root-access-key-stale\n"
	if r.code != ExitOK || r.out != want {
		t.Errorf("exit %d, stderr %s, stdout\n%s\nwant\n%s", r.code, r.err, r.out, want)
	}
}

// Interrupted (the context cancelled): exit 130, nothing on standard
// output, an existing --output file as it was and nothing left beside it.
func TestHistoryInterruptedSQLite(t *testing.T) {
	url := historyStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"history"}, {"history", "diff"}, {"history", "account", "278368863034"}} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		if err := os.WriteFile(out, []byte("previous"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, extra := range [][]string{nil, {"-o", out}} {
			d, stdout, _ := testDeps("")
			cmd := NewRootCmd(d)
			cmd.SetArgs(append(append(args, "--store", url), extra...))
			err := cmd.ExecuteContext(ctx)
			if code, _ := ExitCode(err); code != ExitInterrupted || stdout.Len() != 0 {
				t.Errorf("%v %v: %v (exit %d), stdout %q", args, extra, err, code, stdout)
			}
		}
		if got := readFile(t, out); got != "previous" {
			t.Errorf("%v: the output file became %q", args, got)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"out"}) {
			t.Errorf("%v: the directory holds %v", args, names)
		}
	}
}
