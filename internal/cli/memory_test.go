package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/credreport"
)

// heapWatch is a report's destination that measures the live heap (after a
// collection) every step bytes written, and keeps the largest.
type heapWatch struct {
	w        io.Writer
	step     int
	written  int
	nextAt   int
	maxLive  uint64
	lastLive uint64
	measures int
}

func (h *heapWatch) Write(p []byte) (int, error) {
	if h.written >= h.nextAt {
		h.measure()
		h.nextAt = h.written + h.step
	}
	h.written += len(p)
	return h.w.Write(p)
}

func (h *heapWatch) measure() {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.maxLive = max(h.maxLive, m.HeapAlloc)
	h.lastLive = m.HeapAlloc
	h.measures++
}

// An audit streams findings to the writer: while the report is written,
// the live heap holds at most the snapshot and a little per account, not
// every finding (28 KB an account with --format json before; 2.8 GB for
// 100,000 accounts). A regression guard on memory, not a timing test: the
// live heap is measured after forced collections, per account.
func TestAuditMemoryPerAccountIsBounded(t *testing.T) {
	const accounts = 4000
	dir := writeRichFleet(t, accounts)
	// Held to the end before: 8 KB (table) to 11 KB (JSON) an account.
	// Now: the accounts' IDs and what the writers spool in memory before
	// they move to a file (at most 8 MiB: the table's rows here).
	const maxHeld = 3 << 10
	for _, format := range []string{"json", "csv", "sarif", "table"} {
		t.Run(format, func(t *testing.T) {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			base := m.HeapAlloc
			d, _, errOut := testDeps("")
			hw := &heapWatch{w: io.Discard, step: 256 << 10}
			d.Out = hw
			cmd := NewRootCmd(d)
			args := []string{"audit", "--credential-report", dir, "--format", format}
			if format == "table" {
				args = append(args, "--all") // every finding a row
			}
			cmd.SetArgs(args)
			if code, _ := ExitCode(cmd.Execute()); code != ExitFailing && code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if hw.measures < 3 {
				t.Fatalf("%d bytes written, %d measures: too few to tell", hw.written, hw.measures)
			}
			// What is still live as the last bytes are written is what the
			// audit held to the end.
			held := (int64(hw.lastLive) - int64(base)) / accounts
			t.Logf("%s: %d bytes written; live heap %d bytes an account at the end, at most %d (%d measures)",
				format, hw.written, held, (int64(hw.maxLive)-int64(base))/accounts, hw.measures)
			if held > maxHeld {
				t.Errorf("%s: %d bytes an account still live as the report ends, want at most %d: findings or accounts are held instead of streamed",
					format, held, maxHeld)
			}
		})
	}
}

// writeRichFleet writes n credential reports whose root fails most checks
// (password used, no MFA, two active keys used lately, an active signing
// certificate) beside ten IAM users, so findings carry messages and
// evidence as a real fleet's do.
func writeRichFleet(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	header := strings.Join(credreport.Columns(), ",")
	for i := range n {
		acct := fmt.Sprintf("%012d", 200000000000+i)
		var b strings.Builder
		b.WriteString(header + "\n")
		b.WriteString("<root_account>,arn:aws:iam::" + acct + ":root,2019-03-01T10:00:00+00:00,true,2026-11-22T09:15:00+00:00,not_supported,not_supported,false," +
			"true,2020-05-01T00:00:00+00:00,2026-11-21T08:00:00+00:00,us-east-1,s3," +
			"true,2021-06-01T00:00:00+00:00,2026-11-20T07:00:00+00:00,eu-west-1,iam," +
			"true,2019-04-01T00:00:00+00:00,false,N/A\n")
		for u := range 10 {
			fmt.Fprintf(&b, "user-%d,arn:aws:iam::%s:user/team/user-%d,2022-01-01T00:00:00+00:00,true,2026-11-01T00:00:00+00:00,2025-01-01T00:00:00+00:00,N/A,true,"+
				"true,2025-01-01T00:00:00+00:00,2026-11-01T00:00:00+00:00,us-east-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n", u, acct, u)
		}
		if err := os.WriteFile(filepath.Join(dir, acct+".csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
