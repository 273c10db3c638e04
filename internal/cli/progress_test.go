package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/credreport"
)

func writeFleet(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	header := strings.Join(credreport.Columns(), ",")
	for i := range n {
		acct := fmt.Sprintf("%012d", 100000000000+i)
		row := "<root_account>,arn:aws:iam::" + acct + ":root,2020-01-01T00:00:00+00:00,true,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
		if err := os.WriteFile(filepath.Join(dir, acct+".csv"), []byte(header+"\n"+row+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A progress bar goes to stderr on a terminal, for long runs only; never
// to stdout, and never when stderr is not a terminal.
func TestAuditProgress(t *testing.T) {
	dir := writeFleet(t, progressThreshold)
	d, _, _ := testDeps("")
	d.ErrIsTerminal = true
	r := runWith(t, d, "audit", "--credential-report", dir, "--format", "json")
	if !strings.Contains(r.err, "reading credential reports") {
		t.Errorf("no progress on a terminal: %q", r.err)
	}
	if strings.Contains(r.out, "reading credential reports") {
		t.Error("progress written to stdout")
	}
	if n := len(jsonReport(t, r.out)["accounts"].([]any)); n != progressThreshold {
		t.Errorf("%d accounts", n)
	}
	if r := run(t, "audit", "--credential-report", dir, "--format", "json"); strings.Contains(r.err, "reading credential reports") {
		t.Error("progress shown when stderr is not a terminal")
	}
	small := writeFleet(t, 3)
	d, _, _ = testDeps("")
	d.ErrIsTerminal = true
	if r := runWith(t, d, "audit", "--credential-report", small); strings.Contains(r.err, "reading credential reports") {
		t.Error("progress shown for a short run")
	}
}
