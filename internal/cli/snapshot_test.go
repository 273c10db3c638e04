package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A snapshot judged later gives the same findings as the direct audit.
func TestSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "fleet.json")
	if r := run(t, "snapshot", "--demo", "--output", snap); r.code != 0 {
		t.Fatalf("snapshot: exit %d %s", r.code, r.err)
	}
	direct := run(t, "audit", "--demo", "--format", "csv")
	again := run(t, "audit", "--snapshot", snap, "--format", "csv")
	if direct.code != again.code || direct.out != again.out {
		t.Errorf("audit --snapshot differs from the direct audit (exit %d vs %d)", again.code, direct.code)
	}
	// Another window over the same facts.
	if r := run(t, "audit", "--snapshot", snap, "--window", "30d", "--format", "json"); !strings.Contains(r.out, `"root used 20d before the report`) {
		t.Error("--window not applied to a snapshot")
	}
	// Bad snapshot files are refused with their name.
	for name, content := range map[string]string{
		"garbage.json": "{",
		"future.json":  `{"rootwatch_snapshot": 99, "accounts": []}`,
		"unknown.json": `{"rootwatch_snapshot": 1, "accounts": [], "surprise": true}`,
		"badid.json":   `{"rootwatch_snapshot": 1, "collected_at": "2026-01-01T00:00:00Z", "accounts": [{"id": "12", "partition": "aws", "created_at": "2020-01-01T00:00:00Z", "iam_users": 0}]}`,
	} {
		p := filepath.Join(dir, name)
		mustDo(t, os.WriteFile(p, []byte(content), 0o644))
		if r := run(t, "audit", "--snapshot", p); r.code != ExitUsage || !strings.Contains(r.err, name) {
			t.Errorf("%s: exit %d %s", name, r.code, r.err)
		}
	}
	if r := run(t, "audit", "--snapshot", snap, "--demo"); r.code != ExitUsage {
		t.Errorf("--snapshot with --demo: exit %d", r.code)
	}
}
