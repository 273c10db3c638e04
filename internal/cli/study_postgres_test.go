package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/history/historytest"
)

// The study of a PostgreSQL store written by 'audit --store' gives the
// figures hand-worked for newStudyStore's fleet (study_test.go), and in
// every format and under every filter the very output of the same audits
// kept in SQLite.
func TestStudyPostgres(t *testing.T) {
	pg := historytest.Postgres(t)
	week := func(reports ...string) map[string]string {
		return map[string]string{"a.csv": reports[0], "b.csv": reports[1], "c.csv": reports[2]}
	}
	auditRuns(t, pg, studyFleet, []auditRun{
		{"2023-01-04T00:00:00Z", week(
			studyReport("111111111111", "2020-01-01T00:00:00+00:00", "2023-01-02T10:00:00+00:00", "false", "false", "N/A", "N/A"),
			studyReport("222222222222", "2020-01-01T00:00:00+00:00", "N/A", "true", "true", "2022-06-01T00:00:00+00:00", "2023-01-03T00:00:00+00:00"),
			studyReport("333333333333", "2022-12-20T00:00:00+00:00", "2023-01-03T00:00:00+00:00", "false", "false", "N/A", "N/A"))},
		{"2023-01-11T00:00:00Z", week(
			studyReport("111111111111", "2020-01-01T00:00:00+00:00", "2023-01-10T10:00:00+00:00", "false", "false", "N/A", "N/A"),
			studyReport("222222222222", "2020-01-01T00:00:00+00:00", "N/A", "true", "true", "2022-06-01T00:00:00+00:00", "2023-01-03T00:00:00+00:00"),
			studyReport("333333333333", "2022-12-20T00:00:00+00:00", "2023-01-03T00:00:00+00:00", "false", "false", "N/A", "N/A"))},
	})

	r := run(t, "study", "--store", pg, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var got struct {
		Weeks []struct {
			AsOf             string `json:"as_of"`
			Accounts         int    `json:"accounts"`
			AccountsUsedRoot int    `json:"accounts_used_root"`
			KeyUses          int    `json:"key_uses"`
			ConsoleUses      int    `json:"console_uses"`
		} `json:"weeks"`
		Period struct {
			Weeks                  int `json:"weeks"`
			Accounts               int `json:"accounts"`
			Orgs                   int `json:"orgs"`
			AccountsUsedRoot       int `json:"accounts_used_root"`
			Uses                   int `json:"uses"`
			KeyUses                int `json:"key_uses"`
			ConsoleUsesWithoutMFA  int `json:"console_uses_without_mfa"`
			RepeatOffenders        int `json:"repeat_offenders"`
			UsesByRepeatOffenders  int `json:"uses_by_repeat_offenders"`
			ConcentrationHalfOfUse int `json:"concentration_half_of_uses"`
			AccountsWithRootKeys   int `json:"accounts_with_root_keys"`
		} `json:"period"`
	}
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("JSON: %v\n%s", err, r.out)
	}
	// Week 1: 111 (console, no MFA) and 222 (key) used root, 333 is too
	// young; week 2: only 111. Over the period: 3 uses, 111 a repeat
	// offender with 2 of them, which alone make half.
	if len(got.Weeks) != 2 || got.Weeks[0].AsOf != "2023-01-04T00:00:00Z" || got.Weeks[0].Accounts != 3 || got.Weeks[0].AccountsUsedRoot != 2 ||
		got.Weeks[0].KeyUses != 1 || got.Weeks[0].ConsoleUses != 1 || got.Weeks[1].AsOf != "2023-01-11T00:00:00Z" || got.Weeks[1].AccountsUsedRoot != 1 ||
		got.Weeks[1].KeyUses != 0 || got.Weeks[1].ConsoleUses != 1 {
		t.Errorf("weeks %+v", got.Weeks)
	}
	if p := got.Period; p.Weeks != 2 || p.Accounts != 3 || p.Orgs != 2 || p.AccountsUsedRoot != 2 || p.Uses != 3 || p.KeyUses != 1 ||
		p.ConsoleUsesWithoutMFA != 2 || p.RepeatOffenders != 1 || p.UsesByRepeatOffenders != 2 || p.ConcentrationHalfOfUse != 1 || p.AccountsWithRootKeys != 1 {
		t.Errorf("period %+v", p)
	}

	sqlite, _ := newStudyStore(t)
	for _, args := range [][]string{
		{"--format", "json"},
		{"--format", "csv"},
		{"--format", "table"},
		{"--format", "csv", "--since", "2023-01-05"},
		{"--format", "csv", "--until", "2023-01-04"},
		{"--format", "csv", "--org", "o-bbbbbbbbbb"},
		{"--format", "csv", "--window", "1d", "--grace-period", "10d"},
	} {
		want := run(t, append([]string{"study", "--store", sqlite}, args...)...)
		r := run(t, append([]string{"study", "--store", pg}, args...)...)
		// The table names its store; the rest is the same.
		gotOut := strings.ReplaceAll(r.out, pg, "STORE")
		wantOut := strings.ReplaceAll(want.out, sqlite, "STORE")
		if r.code != ExitOK || want.code != ExitOK || gotOut != wantOut {
			t.Errorf("%v: PostgreSQL exit %d (stderr %s), SQLite exit %d (stderr %s)\nPostgreSQL:\n%s\nSQLite:\n%s", args, r.code, r.err, want.code, want.err, gotOut, wantOut)
		}
	}
}
