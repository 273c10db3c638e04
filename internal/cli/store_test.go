package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/model"
)

func storeRuns(t *testing.T, url string) (history.Store, []history.Run) {
	t.Helper()
	st, err := history.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	runs, err := st.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st, runs
}

func TestAuditStoreDemoTwiceIsOneRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	url := "sqlite:" + path
	d, _, _ := testDeps("")
	r := runWith(t, d, "audit", "--demo", "--store", url, "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	// 12 demo accounts, 15 checks each.
	if !strings.Contains(r.err, "run 1 written to "+url+" (12 accounts, 180 findings)\n") {
		t.Errorf("stderr: %s", r.err)
	}
	jsonReport(t, r.out) // the report is printed as without --store

	d, _, _ = testDeps("")
	r = runWith(t, d, "audit", "--demo", "--store", url, "--format", "json")
	if r.code != ExitFailing || !strings.Contains(r.err, "run 1 already in "+url+": the same reports (12 accounts, 180 findings); nothing written\n") {
		t.Errorf("second audit: exit %d, stderr %s", r.code, r.err)
	}
	_, runs := storeRuns(t, url)
	if len(runs) != 1 {
		t.Fatalf("runs = %+v, want 1", runs)
	}

	// A week later: other reports, another run.
	d, _, _ = testDeps("")
	d.Now = func() time.Time { return fixedNow.Add(7 * 24 * time.Hour) }
	r = runWith(t, d, "audit", "--demo", "--store", url)
	if !strings.Contains(r.err, "run 2 written to "+url+" (12 accounts, 180 findings)\n") {
		t.Errorf("a week later: exit %d, stderr %s", r.code, r.err)
	}
	st, runs := storeRuns(t, url)
	if len(runs) != 2 || runs[1].WrittenAt != fixedNow.Add(7*24*time.Hour) || runs[1].ToolVersion != "test" {
		t.Fatalf("runs = %+v", runs)
	}
	n := 0
	if err := st.Observations(context.Background(), history.ObservationFilter{}, func(history.Observation) error { n++; return nil }); err != nil || n != 24 {
		t.Errorf("observations = %d, %v; want 24", n, err)
	}
}

// reportWithOldKey: root's only access key was rotated 2022-11-01, 51 days
// before the report (2022-12-22): not stale then (90 days), stale now.
const reportWithOldKey = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::278368863034:root,2022-03-08T16:02:25+00:00,not_supported,2022-12-21T16:19:23+00:00,not_supported,not_supported,false,true,2022-11-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
`

func TestAuditStoreJudgesAtReportTime(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(csv, []byte(reportWithOldKey), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "sqlite:" + filepath.Join(dir, "h.db")
	d, _, _ := testDeps("")
	r := runWith(t, d, "audit", "--credential-report", csv, "--report-time", "2022-12-22T00:00:00Z", "--store", url, "--format", "json")
	if !strings.Contains(r.err, "run 1 written to "+url+" (1 account, 7 findings)\n") {
		t.Fatalf("exit %d, stderr %s", r.code, r.err)
	}
	// The printed report judges now (2026-11-23): the key is 4 years old.
	printed := findings(jsonReport(t, r.out))
	if got := printed[[2]string{"278368863034", "root-access-key-stale"}]["status"]; got != "fail" {
		t.Errorf("printed root-access-key-stale = %v, want fail", got)
	}
	// The store judges as of the report: 51 days old, not stale.
	st, runs := storeRuns(t, url)
	if len(runs) != 1 || runs[0].AsOf != time.Date(2022, 12, 22, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("runs = %+v", runs)
	}
	fs, err := st.Findings(context.Background(), runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range fs {
		status[f.Check] = f.Status
	}
	if status["root-access-key-stale"] != "pass" || status["root-access-key-present"] != "fail" || status["root-recent-use"] != "fail" {
		t.Errorf("stored statuses = %v", status)
	}
	var obs []history.Observation
	if err := st.Observations(context.Background(), history.ObservationFilter{}, func(o history.Observation) error { obs = append(obs, o); return nil }); err != nil {
		t.Fatal(err)
	}
	want := history.Observation{RunID: runs[0].ID, Account: "278368863034", AsOf: time.Date(2022, 12, 22, 0, 0, 0, 0, time.UTC),
		CreatedAt:        time.Date(2022, 3, 8, 16, 2, 25, 0, time.UTC),
		PasswordLastUsed: time.Date(2022, 12, 21, 16, 19, 23, 0, time.UTC),
		Keys:             [2]history.KeyFacts{{Active: true, LastRotated: time.Date(2022, 11, 1, 0, 0, 0, 0, time.UTC)}}}
	if len(obs) != 1 || !reflect.DeepEqual(obs[0], want) {
		t.Errorf("observations\n got %+v\nwant [%+v]", obs, want)
	}
}

func TestAuditStoreRefusesAReportWithoutItsTime(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(csv, []byte(reportWithOldKey), 0o600); err != nil {
		t.Fatal(err)
	}
	url := "sqlite:" + filepath.Join(dir, "h.db")
	d, _, _ := testDeps("")
	r := runWith(t, d, "audit", "--credential-report", csv, "--store", url)
	if r.code != ExitUsage || !strings.Contains(r.err, "carries no generation time: give it with --report-time") || r.out != "" {
		t.Errorf("exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
	}
	if _, runs := storeRuns(t, url); len(runs) != 0 {
		t.Errorf("runs = %+v", runs)
	}
}

func TestAuditStoreFromTheEnvironment(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "env.db")
	d, _, _ := testDeps("")
	d.Getenv = func(k string) string {
		if k == "ROOTWATCH_STORE" {
			return url
		}
		return ""
	}
	r := runWith(t, d, "audit", "--demo")
	if !strings.Contains(r.err, "run 1 written to "+url) {
		t.Errorf("ROOTWATCH_STORE: exit %d, stderr %s", r.code, r.err)
	}
	// --store default is the same store.
	d.Now = func() time.Time { return fixedNow.Add(time.Hour) }
	r = runWith(t, d, "audit", "--demo", "--store", "default")
	if !strings.Contains(r.err, "run 2 written to "+url) {
		t.Errorf("--store default: exit %d, stderr %s", r.code, r.err)
	}
}

func TestAuditStoreDefaultIsTheDataDirectory(t *testing.T) {
	data := t.TempDir()
	d, _, _ := testDeps("")
	d.Getenv = func(k string) string {
		if k == "XDG_DATA_HOME" {
			return data
		}
		return ""
	}
	r := runWith(t, d, "audit", "--demo", "--store", "default")
	want := "sqlite:" + filepath.Join(data, "rootwatch", "history.db")
	if !strings.Contains(r.err, "run 1 written to "+want) {
		t.Errorf("exit %d, stderr %s", r.code, r.err)
	}
}

func TestAuditStoreThatCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A store written by a newer rootwatch.
	newer := "sqlite:" + filepath.Join(dir, "newer.db")
	st, _ := storeRuns(t, newer)
	st.Close()
	if err := bumpSchema(filepath.Join(dir, "newer.db")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		store string
		code  int
		want  string
	}{
		{"sqlite:" + filepath.Join(file, "h.db"), 4, "the run cannot be kept: store sqlite:" + filepath.Join(file, "h.db")},
		{newer, 4, "store " + newer + ": schema version 99 is written by a newer rootwatch"},
		{"mysql://db/x", ExitUsage, `--store: store mysql://db/x: unknown scheme "mysql"`},
	} {
		d, _, _ := testDeps("")
		r := runWith(t, d, "audit", "--demo", "--store", c.store)
		if r.code != c.code || !strings.Contains(r.err, c.want) || r.out != "" {
			t.Errorf("--store %s: exit %d, stdout %d bytes, stderr %s; want exit %d and %q", c.store, r.code, len(r.out), r.err, c.code, c.want)
		}
	}
}

// bumpSchema marks a SQLite store as migrated to version 99.
func bumpSchema(path string) error {
	st, err := history.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		return err
	}
	defer st.Close()
	// The store holds one run from a future version's point of view: the
	// version table says 99.
	return execSQLite(path, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (99, 1)`)
}

func TestAccountRecordFromTheSnapshot(t *testing.T) {
	gen := time.Date(2025, 3, 10, 6, 0, 0, 0, time.UTC)
	a := &model.Account{ID: "123456789012", Name: "shop", Org: "o-x", OUPath: "Root/Shop",
		CredentialReport: &model.CredentialReportInfo{GeneratedAt: gen, GeneratedAtSource: "report"},
		Root: &model.Root{CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), MFA: true,
			PasswordLastUsed: model.At(time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)),
			AccessKeys: []model.Key{
				{Slot: 1, Active: false, LastRotated: model.At(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC))},
				{Slot: 2, Active: true, LastRotated: model.At(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)), LastUsed: model.At(time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC))},
			}},
		Assets: &model.Assets{Total: 73},
		CloudTrail: &model.RootActivity{Coverage: &model.LogCoverage{Files: 3, ReadFrom: gen.Add(-10 * 24 * time.Hour), ReadTo: gen.Add(-30 * time.Minute)}, Events: []model.RootEvent{
			{ID: "a", Time: gen.Add(-time.Hour), Kind: "console-login", Success: true, MFA: "no"},
			{ID: "b", Time: gen.Add(-2 * time.Hour), Kind: "console-login", Success: true, MFA: "yes"},
			{ID: "c", Time: gen.Add(-3 * time.Hour), Kind: "console-login", Success: false, MFA: "no"},
			{ID: "d", Time: gen.Add(-4 * time.Hour), Kind: "api-call", Session: "access-key"},
			{ID: "e", Time: gen.Add(-4 * time.Hour), Kind: "api-call", Session: "console"},
			{ID: "f", Time: gen.Add(-8 * 24 * time.Hour), Kind: "console-login", Success: true, MFA: "no"}, // before the 7-day window
		}},
	}
	fs := []model.Finding{{ID: "x1", Check: "root-mfa-enabled", Status: "pass", Severity: "critical", Account: "123456789012", Org: "o-x", Resource: "arn:aws:iam::123456789012:root", Message: "ok", Title: "t"}}
	rec := accountRecord(a, fs, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 7*24*time.Hour)
	want := history.Observation{Account: "123456789012", Name: "shop", Org: "o-x", OUPath: "Root/Shop", AsOf: gen,
		CreatedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), PasswordLastUsed: time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC),
		Keys: [2]history.KeyFacts{{LastRotated: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)},
			{Active: true, LastRotated: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), LastUsed: time.Date(2025, 3, 8, 0, 0, 0, 0, time.UTC)}},
		MFA: true, Assets: ptrTo(73), Exact: &history.ExactCounts{SignIns: 2, SignInsWithoutMFA: 1, KeySignedCalls: 1}}
	if !reflect.DeepEqual(rec.Observation, want) {
		g, _ := json.Marshal(rec.Observation)
		w, _ := json.Marshal(want)
		t.Errorf("observation\n got %s\nwant %s", g, w)
	}
	wantF := history.Finding{ID: "x1", Check: "root-mfa-enabled", Status: "pass", Severity: "critical", Account: "123456789012", Org: "o-x", Resource: "arn:aws:iam::123456789012:root", Message: "ok"}
	if len(rec.Findings) != 1 || rec.Findings[0] != wantF || len(rec.Events) != 6 {
		t.Errorf("findings %+v, %d events", rec.Findings, len(rec.Events))
	}
	// Logs that do not cover the whole window before the report: no
	// exact counts (they would undercount), but the events are kept.
	full := *a.CloudTrail.Coverage
	for name, cov := range map[string]model.LogCoverage{
		"partly unread":           {Files: 3, ReadFrom: full.ReadFrom, ReadTo: full.ReadTo, UnreadTotal: 1, Unread: []string{"x.json.gz"}},
		"read from inside window": {Files: 3, ReadFrom: gen.Add(-6 * 24 * time.Hour), ReadTo: full.ReadTo},
		"ending 2h before report": {Files: 3, ReadFrom: full.ReadFrom, ReadTo: gen.Add(-2 * time.Hour)},
		"a day missing inside":    {Files: 3, ReadFrom: full.ReadFrom, ReadTo: full.ReadTo, Gaps: []model.Span{{From: gen.Add(-3 * 24 * time.Hour), To: gen.Add(-2 * 24 * time.Hour)}}},
		"selections only":         {Selections: 2},
		"nothing of the account":  {},
	} {
		a.CloudTrail.Coverage = &cov
		if rec := accountRecord(a, nil, time.Time{}, 7*24*time.Hour); rec.Observation.Exact != nil || len(rec.Events) != 6 {
			t.Errorf("%s: exact counts %+v, %d events kept; want none, 6", name, rec.Observation.Exact, len(rec.Events))
		}
	}
	// A gap before the window does not matter.
	a.CloudTrail.Coverage = &model.LogCoverage{Files: 3, ReadFrom: full.ReadFrom, ReadTo: full.ReadTo,
		Gaps: []model.Span{{From: gen.Add(-10 * 24 * time.Hour), To: gen.Add(-8 * 24 * time.Hour)}}}
	if rec := accountRecord(a, nil, time.Time{}, 7*24*time.Hour); rec.Observation.Exact == nil || rec.Observation.Exact.SignIns != 2 {
		t.Errorf("gap before the window: exact %+v, want 2 sign-ins", rec.Observation.Exact)
	}
	if rec.Observation.RootUnread {
		t.Error("root read, but the observation says unread")
	}
	// No root facts (no row for root in the report): kept as unread, not
	// as "never used".
	a.Root = nil
	if rec := accountRecord(a, nil, time.Time{}, 7*24*time.Hour); !rec.Observation.RootUnread {
		t.Error("account without root facts: RootUnread false")
	}
}

func ptrTo[T any](v T) *T { return &v }

func execSQLite(path, stmt string) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}
