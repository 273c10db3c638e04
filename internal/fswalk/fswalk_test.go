package fswalk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWalk(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b/2.json", "a.csv", "b/1.json", ".hidden/x.json", "b/.y.json", "pruned/z.json"} {
		p := filepath.Join(dir, f)
		mustDo(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustDo(t, os.Symlink(filepath.Join(dir, "a.csv"), filepath.Join(dir, "c-link.csv")))
	mustDo(t, os.Symlink(filepath.Join(dir, "gone.csv"), filepath.Join(dir, "d-broken.csv")))
	mustDo(t, os.Symlink(filepath.Join(dir, "b"), filepath.Join(dir, "e-dir")))

	var got []string
	cont, err := Walk(context.Background(), dir, func(p string) bool { return filepath.Base(p) == "pruned" }, func(e Entry) bool {
		rel, _ := filepath.Rel(dir, e.Path)
		if e.Err != nil {
			got = append(got, rel+" error: "+e.Err.Error())
		} else {
			got = append(got, fmt.Sprintf("%s %d", rel, e.Size))
		}
		return true
	})
	want := []string{
		"a.csv 5", "b/1.json 8", "b/2.json 8", "c-link.csv 5",
		"d-broken.csv error: broken link: no such file or directory",
		"e-dir error: links to a directory, which is not followed; give it as its own path",
	}
	if !cont || err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("walk (%v, %v):\n%s\nwant:\n%s", cont, err, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A file is itself; a missing path is one error.
	var one []Entry
	_, _ = Walk(context.Background(), filepath.Join(dir, "a.csv"), nil, func(e Entry) bool { one = append(one, e); return true })
	_, _ = Walk(context.Background(), filepath.Join(dir, "missing"), nil, func(e Entry) bool { one = append(one, e); return true })
	if len(one) != 2 || one[0].Err != nil || one[0].Size != 5 || one[1].Err == nil || strings.Contains(one[1].Err.Error(), dir) {
		t.Errorf("file and missing path: %+v", one)
	}

	// A link to a folder, given as the path, is walked.
	var viaLink []string
	_, _ = Walk(context.Background(), filepath.Join(dir, "e-dir"), nil, func(e Entry) bool { viaLink = append(viaLink, e.Path); return true })
	if want := []string{filepath.Join(dir, "e-dir", "1.json"), filepath.Join(dir, "e-dir", "2.json")}; strings.Join(viaLink, " ") != strings.Join(want, " ") {
		t.Errorf("via a link: %v, want %v", viaLink, want)
	}

	// visit stops the walk.
	n := 0
	cont, _ = Walk(context.Background(), dir, nil, func(Entry) bool { n++; return n < 2 })
	if cont || n != 2 {
		t.Errorf("stopped walk: cont %v after %d entries", cont, n)
	}
	// So does the context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Walk(ctx, dir, nil, func(Entry) bool { t.Error("visited after cancel"); return true }); err == nil {
		t.Error("no error from a cancelled walk")
	}
}

// mustDo stops the test when a step of its setup fails.
func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("test setup: %v", err)
	}
}
