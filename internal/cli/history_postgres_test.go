package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/history/historytest"
)

// The history commands read a PostgreSQL store written by 'audit --store'
// exactly as they read a SQLite one: the same literal outputs.
func TestHistoryPostgres(t *testing.T) {
	url := historytest.Postgres(t)
	writeHistoryRuns(t, url)
	t.Run("list", func(t *testing.T) { checkHistoryList(t, url) })
	t.Run("diff", func(t *testing.T) { checkHistoryDiff(t, url) })
	t.Run("diff sarif", func(t *testing.T) { checkHistoryDiffSARIF(t, url) })
	t.Run("account", func(t *testing.T) { checkHistoryAccount(t, url) })
	t.Run("account csv", func(t *testing.T) { checkHistoryAccountCSV(t, url) })
	t.Run("output", func(t *testing.T) { checkHistoryOutput(t, url) })
	t.Run("usage errors", func(t *testing.T) { checkHistoryUsageErrors(t, url) })
	// Last: it adds a run.
	t.Run("accounts added and gone", func(t *testing.T) { checkHistoryDiffAccountsAddedAndGone(t, url) })
}

// An empty PostgreSQL store holds no runs (exit 2, naming it); one that
// cannot be reached is exit 4, naming it, and leaves --output alone.
func TestHistoryPostgresEmptyAndUnreachable(t *testing.T) {
	url := historytest.Postgres(t)
	if r := run(t, "history", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+" holds no runs (keep audits with 'rootwatch audit --store')") {
		t.Errorf("empty: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "diff", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+" holds 0 runs: a diff needs two") {
		t.Errorf("empty diff: exit %d, stderr %s", r.code, r.err)
	}
	if r := run(t, "history", "account", "278368863034", "--store", url); r.code != ExitUsage || !strings.Contains(r.err, "store "+url+` holds no run with account "278368863034"`) {
		t.Errorf("empty account: exit %d, stderr %s", r.code, r.err)
	}
	dir := t.TempDir()
	nowhere := "postgres://nobody@/none?host=" + filepath.Join(dir, "no-socket-here") + "&connect_timeout=2"
	out := filepath.Join(dir, "runs.txt")
	if err := os.WriteFile(out, []byte("previous"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "history", "--store", nowhere, "-o", out); r.code != 4 || !strings.Contains(r.err, "postgres://nobody@/none") {
		t.Errorf("unreachable: exit %d, stderr %s", r.code, r.err)
	}
	if got := readFile(t, out); got != "previous" {
		t.Errorf("the output file became %q", got)
	}
}
