package credreport_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
)

var auditTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t testing.TB, paths []string, opts credreport.LoadOptions) *credreport.Loaded {
	t.Helper()
	if opts.AuditTime.IsZero() {
		opts.AuditTime = auditTime
	}
	out, err := credreport.Load(context.Background(), paths, opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if out == nil {
		t.Fatal("Load returned nil and no error")
	}
	return out
}

func accountIDs(l *credreport.Loaded) []string {
	var ids []string
	for _, a := range l.Accounts {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	// Written so that lexical file order is not account order.
	writeFile(t, filepath.Join(dir, "a.csv"), simpleReport("333333333333"))
	writeFile(t, filepath.Join(dir, "b.json"), cliJSON(t, simpleReport("111111111111"), "2024-04-30T08:00:00Z"))
	writeFile(t, filepath.Join(dir, "sub", "deeper", "c.csv"), simpleReport("222222222222"))
	bad1 := writeFile(t, filepath.Join(dir, "notes.txt"), "remember to rotate the keys\n")
	bad2 := writeFile(t, filepath.Join(dir, "sub", "broken.csv"),
		csvReport(row(rootARN("444444444444"), map[string]string{"mfa_active": "maybe"})))

	for _, workers := range []int{0, 1, 8} {
		out := load(t, []string{dir}, credreport.LoadOptions{Workers: workers})
		if got, want := accountIDs(out), []string{"111111111111", "222222222222", "333333333333"}; !slices.Equal(got, want) {
			t.Errorf("workers %d: accounts %v, want %v", workers, got, want)
		}
		if len(out.Errors) != 2 {
			t.Fatalf("workers %d: errors %+v, want 2", workers, out.Errors)
		}
		srcs := []string{out.Errors[0].Source, out.Errors[1].Source}
		slices.Sort(srcs)
		if want := []string{bad1, bad2}; !slices.Equal(srcs, want) {
			t.Errorf("error sources %v, want %v", srcs, want)
		}
		for _, e := range out.Errors {
			if !strings.HasPrefix(e.Message, e.Source) {
				t.Errorf("message %q does not name the file %s", e.Message, e.Source)
			}
			if e.Source == bad2 && !strings.Contains(e.Message, ":2: column mfa_active") {
				t.Errorf("message %q does not say line 2, column mfa_active", e.Message)
			}
			if e.Source == bad1 && !strings.Contains(e.Message, "no credential report header") {
				t.Errorf("message %q", e.Message)
			}
		}
	}
}

func TestLoadAccountFields(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, filepath.Join(dir, "gov.csv"), string(readTestdata(t, "govcloud.csv")))
	out := load(t, []string{p}, credreport.LoadOptions{})
	if len(out.Accounts) != 1 || len(out.Errors) != 0 {
		t.Fatalf("got %+v", out)
	}
	a := out.Accounts[0]
	if a.ID != "777788889999" || a.Partition != "aws-us-gov" || a.IAMUsers != 1 {
		t.Errorf("account %+v", a)
	}
	if want := mustTime(t, "2020-10-10T10:10:10Z"); !a.CreatedAt.Equal(want) {
		t.Errorf("CreatedAt = %v, want the root's creation %v", a.CreatedAt, want)
	}
	if a.Root == nil || a.Root.ARN != "arn:aws-us-gov:iam::777788889999:root" || !a.Root.CredentialsAbsent {
		t.Errorf("Root = %+v", a.Root)
	}
	if a.CredentialReport == nil || a.CredentialReport.Source != p {
		t.Errorf("CredentialReport = %+v, want source %s", a.CredentialReport, p)
	}
	if a.Org != "" || a.IsManagement {
		t.Errorf("a credential report says nothing about the organization: %+v", a)
	}
}

func TestLoadSkipsHiddenFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "r.csv"), simpleReport("111111111111"))
	writeFile(t, filepath.Join(dir, ".DS_Store"), "\x00\x00\x00\x01Bud1")
	writeFile(t, filepath.Join(dir, ".r.csv.swp"), "b0VIM 8.2")
	writeFile(t, filepath.Join(dir, ".git", "config"), "[core]\n")
	writeFile(t, filepath.Join(dir, ".old", "r.csv"), simpleReport("999999999999"))
	writeFile(t, filepath.Join(dir, "sub", ".hidden.csv"), "garbage")

	out := load(t, []string{dir}, credreport.LoadOptions{})
	if got := accountIDs(out); !slices.Equal(got, []string{"111111111111"}) {
		t.Errorf("accounts %v", got)
	}
	if len(out.Errors) != 0 {
		t.Errorf("errors %+v", out.Errors)
	}

	// A hidden path named explicitly is read: only entries found by
	// walking are skipped.
	hidden := filepath.Join(dir, ".old")
	out = load(t, []string{hidden}, credreport.LoadOptions{})
	if got := accountIDs(out); !slices.Equal(got, []string{"999999999999"}) {
		t.Errorf("explicit hidden dir: accounts %v, errors %+v", got, out.Errors)
	}
}

func TestLoadStdin(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, filepath.Join(dir, "r.csv"), simpleReport("222222222222"))
	out := load(t, []string{"-", f}, credreport.LoadOptions{
		Stdin: strings.NewReader(cliJSON(t, simpleReport("111111111111"), "2024-04-01T00:00:00Z")),
	})
	if got := accountIDs(out); !slices.Equal(got, []string{"111111111111", "222222222222"}) {
		t.Fatalf("accounts %v, errors %+v", got, out.Errors)
	}
	if len(out.Errors) != 0 {
		t.Errorf("errors %+v", out.Errors)
	}
	ci := out.Accounts[0].CredentialReport
	if ci.Source != "-" || ci.GeneratedAtSource != "report" {
		t.Errorf("stdin account's report info %+v", ci)
	}
}

func TestLoadStdinErrors(t *testing.T) {
	t.Run("bad report", func(t *testing.T) {
		out := load(t, []string{"-"}, credreport.LoadOptions{Stdin: strings.NewReader("nonsense\n")})
		if len(out.Accounts) != 0 || len(out.Errors) != 1 || out.Errors[0].Source != "-" ||
			!strings.HasPrefix(out.Errors[0].Message, "-:1: ") {
			t.Errorf("got %+v", out)
		}
	})
	t.Run("no stdin", func(t *testing.T) {
		out := load(t, []string{"-"}, credreport.LoadOptions{})
		if len(out.Errors) != 1 || out.Errors[0].Source != "-" || !strings.Contains(out.Errors[0].Message, "no standard input") {
			t.Errorf("got %+v", out.Errors)
		}
	})
	t.Run("read error", func(t *testing.T) {
		out := load(t, []string{"-"}, credreport.LoadOptions{Stdin: errReader{}})
		if len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "disk on fire") {
			t.Errorf("got %+v", out.Errors)
		}
	})
	t.Run("twice", func(t *testing.T) {
		out := load(t, []string{"-", "-"}, credreport.LoadOptions{Stdin: strings.NewReader(simpleReport("111111111111"))})
		if got := accountIDs(out); !slices.Equal(got, []string{"111111111111"}) {
			t.Errorf("accounts %v", got)
		}
		if len(out.Errors) != 1 || out.Errors[0].Source != "-" || !strings.Contains(out.Errors[0].Message, "read twice") {
			t.Errorf("errors %+v", out.Errors)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadMissingPaths(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "r.csv"), simpleReport("111111111111"))
	missing := filepath.Join(dir, "nope.csv")
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}

	out := load(t, []string{missing, good, empty}, credreport.LoadOptions{})
	if got := accountIDs(out); !slices.Equal(got, []string{"111111111111"}) {
		t.Errorf("accounts %v", got)
	}
	if len(out.Errors) != 2 {
		t.Fatalf("errors %+v", out.Errors)
	}
	bysrc := map[string]model.SourceError{}
	for _, e := range out.Errors {
		bysrc[e.Source] = e
	}
	if e, ok := bysrc[missing]; !ok || !strings.Contains(e.Message, missing) || !strings.Contains(e.Message, "no such file") {
		t.Errorf("missing path error %+v", e)
	}
	if e, ok := bysrc[empty]; !ok || !strings.Contains(e.Message, "holds no files") {
		t.Errorf("empty dir error %+v", e)
	}

	// Nothing readable at all is still not a failure of Load.
	out = load(t, []string{missing}, credreport.LoadOptions{})
	if len(out.Accounts) != 0 || len(out.Errors) != 1 {
		t.Errorf("got %+v", out)
	}
}

func TestLoadEmptyFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, filepath.Join(dir, "empty.csv"), "")
	out := load(t, []string{p}, credreport.LoadOptions{})
	if len(out.Errors) != 1 || out.Errors[0].Message != p+": empty file: not a credential report" {
		t.Errorf("errors %+v", out.Errors)
	}
}

func TestLoadKeepsLaterReportOfAnAccount(t *testing.T) {
	const acct = "123456789012"
	older := cliJSON(t, simpleReport(acct), "2024-01-01T00:00:00Z")
	// The later report has two users, so the kept one is recognizable.
	newer := cliJSON(t, csvReport(row(rootARN(acct), nil), row(userARN(acct, "a"), nil), row(userARN(acct, "b"), nil)), "2024-03-01T00:00:00Z")

	for _, order := range []string{"older first", "newer first"} {
		t.Run(order, func(t *testing.T) {
			dir := t.TempDir()
			oldPath := writeFile(t, filepath.Join(dir, "old.json"), older)
			newPath := writeFile(t, filepath.Join(dir, "new.json"), newer)
			paths := []string{oldPath, newPath}
			if order == "newer first" {
				paths = []string{newPath, oldPath}
			}
			out := load(t, paths, credreport.LoadOptions{})
			if len(out.Accounts) != 1 {
				t.Fatalf("accounts %+v", out.Accounts)
			}
			a := out.Accounts[0]
			if a.IAMUsers != 2 || a.CredentialReport.Source != newPath ||
				!a.CredentialReport.GeneratedAt.Equal(mustTime(t, "2024-03-01T00:00:00Z")) {
				t.Errorf("kept %+v, report %+v", a, a.CredentialReport)
			}
			if len(out.Errors) != 0 || len(out.Warnings) != 1 {
				t.Fatalf("errors %+v, warnings %+v: want the older report as the one warning", out.Errors, out.Warnings)
			}
			e := out.Warnings[0]
			if e.Source != oldPath || e.Account != acct {
				t.Errorf("warning %+v, want source %s account %s", e, oldPath, acct)
			}
			if !strings.Contains(e.Message, "another credential report of account "+acct) || !strings.Contains(e.Message, "generated later") || !strings.Contains(e.Message, newPath) {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}

func TestLoadThreeReportsOfAnAccount(t *testing.T) {
	const acct = "123456789012"
	dir := t.TempDir()
	a := writeFile(t, filepath.Join(dir, "a.json"), cliJSON(t, simpleReport(acct), "2024-01-01T00:00:00Z"))
	b := writeFile(t, filepath.Join(dir, "b.json"), cliJSON(t, simpleReport(acct), "2024-03-01T00:00:00Z"))
	c := writeFile(t, filepath.Join(dir, "c.json"), cliJSON(t, simpleReport(acct), "2024-02-01T00:00:00Z"))
	out := load(t, []string{dir}, credreport.LoadOptions{})
	if len(out.Accounts) != 1 || out.Accounts[0].CredentialReport.Source != b {
		t.Fatalf("accounts %+v", out.Accounts)
	}
	var srcs []string
	for _, e := range out.Warnings {
		srcs = append(srcs, e.Source)
	}
	slices.Sort(srcs)
	if !slices.Equal(srcs, []string{a, c}) || len(out.Errors) != 0 {
		t.Errorf("warning sources %v, want %v; errors %+v", srcs, []string{a, c}, out.Errors)
	}
}

func TestLoadGeneratedAtSource(t *testing.T) {
	const acct = "123456789012"
	reportTime := time.Date(2024, 4, 20, 9, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name       string
		content    string
		reportTime time.Time
		want       time.Time
		source     string
	}{
		{"JSON", cliJSON(t, simpleReport(acct), "2024-04-30T08:00:00Z"), time.Time{},
			mustTime(t, "2024-04-30T08:00:00Z"), "report"},
		{"JSON beats the flag", cliJSON(t, simpleReport(acct), "2024-04-30T08:00:00Z"), reportTime,
			mustTime(t, "2024-04-30T08:00:00Z"), "report"},
		{"CSV with the flag", simpleReport(acct), reportTime, reportTime, "flag"},
		{"JSON without GeneratedTime, with the flag", cliJSON(t, simpleReport(acct), ""), reportTime, reportTime, "flag"},
		{"CSV", simpleReport(acct), time.Time{}, auditTime, "audit-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, filepath.Join(t.TempDir(), "r"), tt.content)
			out := load(t, []string{p}, credreport.LoadOptions{ReportTime: tt.reportTime})
			if len(out.Accounts) != 1 {
				t.Fatalf("got %+v", out)
			}
			ci := out.Accounts[0].CredentialReport
			if ci.GeneratedAtSource != tt.source {
				t.Errorf("GeneratedAtSource = %q, want %q", ci.GeneratedAtSource, tt.source)
			}
			if !ci.GeneratedAt.Equal(tt.want) || ci.GeneratedAt.Location() != time.UTC {
				t.Errorf("GeneratedAt = %v, want %v in UTC", ci.GeneratedAt, tt.want)
			}
		})
	}
}

func TestLoadCanceled(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, filepath.Join(dir, "r.csv"), simpleReport("111111111111"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := credreport.Load(ctx, []string{p}, credreport.LoadOptions{AuditTime: auditTime})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Load on a canceled context: %+v, %v; want context.Canceled", out, err)
	}
}

func TestLoadNoPaths(t *testing.T) {
	out := load(t, nil, credreport.LoadOptions{})
	if len(out.Accounts) != 0 || len(out.Errors) != 0 {
		t.Errorf("got %+v", out)
	}
}

// TestLoadAccountsAreIndependent checks that each account holds its own
// copy of the root (rules may annotate one without touching another).
func TestLoadAccountsAreIndependent(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.csv"), simpleReport("111111111111"))
	writeFile(t, filepath.Join(dir, "b.csv"), simpleReport("222222222222"))
	out := load(t, []string{dir}, credreport.LoadOptions{})
	if len(out.Accounts) != 2 || out.Accounts[0].Root == out.Accounts[1].Root {
		t.Fatalf("accounts %+v", out.Accounts)
	}
	if out.Accounts[0].Root.ARN != rootARN("111111111111") || out.Accounts[1].Root.ARN != rootARN("222222222222") {
		t.Errorf("roots mixed up: %s, %s", out.Accounts[0].Root.ARN, out.Accounts[1].Root.ARN)
	}
}

// A bare CSV's time is only assumed (the audit time): a report whose
// generation time is known wins, whatever the order.
func TestLoadPrefersAKnownGenerationTime(t *testing.T) {
	const acct = "123456789012"
	dir := t.TempDir()
	csvPath := writeFile(t, filepath.Join(dir, "a.csv"), simpleReport(acct))
	jsonPath := writeFile(t, filepath.Join(dir, "b.json"), cliJSON(t, simpleReport(acct), "2023-01-01T00:00:00Z"))
	for _, paths := range [][]string{{csvPath, jsonPath}, {jsonPath, csvPath}} {
		out := load(t, paths, credreport.LoadOptions{})
		if len(out.Accounts) != 1 || out.Accounts[0].CredentialReport.Source != jsonPath {
			t.Fatalf("%v: kept %+v", paths, out.Accounts)
		}
		// A superseded report is set aside, not an error: a folder of daily
		// reports is no partial run.
		if len(out.Errors) != 0 || len(out.Warnings) != 1 || out.Warnings[0].Source != csvPath ||
			!strings.Contains(out.Warnings[0].Message, "carries its generation time") {
			t.Errorf("%v: errors %+v, warnings %+v", paths, out.Errors, out.Warnings)
		}
	}
	// Two bare CSVs: the first is kept, and the message does not claim one
	// was generated later.
	other := writeFile(t, filepath.Join(dir, "c.csv"), simpleReport(acct))
	out := load(t, []string{csvPath, other}, credreport.LoadOptions{})
	if out.Accounts[0].CredentialReport.Source != csvPath || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0].Message, "neither carries a generation time") {
		t.Errorf("kept %s, warnings %+v", out.Accounts[0].CredentialReport.Source, out.Warnings)
	}
}

func TestLoadFollowsLinksToReports(t *testing.T) {
	dir := t.TempDir()
	real := writeFile(t, filepath.Join(t.TempDir(), "r.csv"), simpleReport("123456789012"))
	if err := os.Symlink(real, filepath.Join(dir, "link.csv")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	out := load(t, []string{dir}, credreport.LoadOptions{})
	if len(out.Accounts) != 1 || len(out.Errors) != 0 {
		t.Fatalf("accounts %v errors %v", accountIDs(out), out.Errors)
	}
	// A broken link is reported, not skipped silently.
	mustDo(t, os.Symlink(filepath.Join(dir, "gone.csv"), filepath.Join(dir, "broken.csv")))
	out = load(t, []string{dir}, credreport.LoadOptions{})
	if len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "broken link") || len(out.Accounts) != 1 {
		t.Errorf("a broken link must be reported and the other files still read: accounts %v errors %+v", accountIDs(out), out.Errors)
	}
}

// An input far larger than any credential report is refused, not loaded,
// and the others are still read.
func TestLoadRefusesHugeInputs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.csv"), simpleReport("123456789012"))
	big := filepath.Join(dir, "huge.log")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(credreport.MaxReportSize + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	out := load(t, []string{dir}, credreport.LoadOptions{})
	if len(out.Accounts) != 1 || len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "larger than any credential report") {
		t.Fatalf("accounts %v errors %+v", accountIDs(out), out.Errors)
	}
	out = load(t, []string{"-"}, credreport.LoadOptions{Stdin: io.LimitReader(zeros{}, credreport.MaxReportSize+10)})
	if len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "larger than") {
		t.Fatalf("stdin: errors %+v", out.Errors)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// The same file named twice (directly and through its directory) is read
// once: no duplicate error, nothing to exit 3 for.
func TestLoadSameFileTwice(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, filepath.Join(dir, "a.csv"), simpleReport("123456789012"))
	out := load(t, []string{p, dir, filepath.Join(dir, ".", "a.csv")}, credreport.LoadOptions{})
	if len(out.Accounts) != 1 || len(out.Errors) != 0 {
		t.Fatalf("accounts %v errors %+v", accountIDs(out), out.Errors)
	}
	// Two copies generated at the same time: the first is kept and the
	// message does not claim one is later.
	b := writeFile(t, filepath.Join(dir, "b.json"), cliJSON(t, simpleReport("123456789012"), "2024-01-01T00:00:00Z"))
	c := writeFile(t, filepath.Join(dir, "c.json"), cliJSON(t, simpleReport("123456789012"), "2024-01-01T00:00:00Z"))
	out = load(t, []string{b, c}, credreport.LoadOptions{})
	if out.Accounts[0].CredentialReport.Source != b || len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0].Message, "same time") {
		t.Errorf("kept %s, warnings %+v", out.Accounts[0].CredentialReport.Source, out.Warnings)
	}
	if out = load(t, []string{""}, credreport.LoadOptions{}); len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, "empty path") {
		t.Errorf("empty path: %+v", out.Errors)
	}
}

// A report whose evidence time is before the times it holds is refused with
// the reason: a wrong --report-time, or a clock in the past.
func TestLoadRefusesEvidenceTimeBeforeTheReport(t *testing.T) {
	dir := t.TempDir()
	used := csvReport(row(rootARN("123456789012"), map[string]string{"password_last_used": "2024-04-20T10:00:00+00:00"}))
	p := writeFile(t, filepath.Join(dir, "r.csv"), used)
	for _, tc := range []struct {
		opts credreport.LoadOptions
		want string
	}{
		{credreport.LoadOptions{ReportTime: mustTime(t, "2024-04-01T00:00:00Z")}, "--report-time 2024-04-01T00:00:00Z is before the report's password_last_used"},
		{credreport.LoadOptions{AuditTime: mustTime(t, "2024-04-01T00:00:00Z")}, "clock"},
		// In the future: every window would reach past the audit.
		{credreport.LoadOptions{ReportTime: mustTime(t, "2099-01-01T00:00:00Z"), AuditTime: mustTime(t, "2024-05-01T00:00:00Z")},
			"--report-time 2099-01-01T00:00:00Z, after the audit time 2024-05-01T00:00:00Z"},
	} {
		out := load(t, []string{p}, tc.opts)
		if len(out.Accounts) != 0 || len(out.Errors) != 1 || !strings.Contains(out.Errors[0].Message, tc.want) {
			t.Errorf("accounts %v errors %+v, want %q", accountIDs(out), out.Errors, tc.want)
		}
	}
	future := writeFile(t, filepath.Join(dir, "future.json"), cliJSON(t, used, "2099-01-01T00:00:00Z"))
	if out := load(t, []string{future}, credreport.LoadOptions{AuditTime: mustTime(t, "2024-05-01T00:00:00Z")}); len(out.Errors) != 1 ||
		!strings.Contains(out.Errors[0].Message, "generated at 2099-01-01T00:00:00Z, after the audit time") {
		t.Errorf("GeneratedTime in the future: %+v", out.Errors)
	}
	// Within the 15 minutes of recording granularity, and after: fine.
	for _, rt := range []string{"2024-04-20T09:50:00Z", "2024-04-21T00:00:00Z"} {
		if out := load(t, []string{p}, credreport.LoadOptions{ReportTime: mustTime(t, rt)}); len(out.Accounts) != 1 {
			t.Errorf("--report-time %s: errors %+v", rt, out.Errors)
		}
	}
}
