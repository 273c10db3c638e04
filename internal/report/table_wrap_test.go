package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// wrapReport has messages longer than any terminal line, one word longer
// than the message column of a narrow terminal, and a wide-character name.
func wrapReport() *Report {
	snap := &model.Snapshot{Accounts: []model.Account{
		{ID: "111122223333", Name: "prod", Partition: "aws"},
		{ID: "444455556666", Name: "本番", Partition: "aws"},
	}}
	fs := []model.Finding{
		{ID: "1", Check: "root-access-key-present", Severity: "critical", Status: model.StatusFail, Account: "111122223333",
			Message: "2 active root access keys (key 1 last used 2026-11-21 in us-east-1 by s3; key 2 last used 2026-11-20 in eu-west-1 by iam)"},
		{ID: "2", Check: "root-mfa-enabled", Severity: "high", Status: model.StatusFail, Account: "111122223333",
			Message: "root has no MFA device"},
		{ID: "3", Check: "root-recent-use", Severity: "medium", Status: model.StatusManual, Account: "444455556666",
			Message: "see arn:aws:iam::444455556666:root/a-very-long-resource-name-without-any-space-in-it-at-all for details"},
	}
	return New(snap, fs, Tool{Name: "rootwatch"}, time.Unix(0, 0))
}

// The table's messages wrap at word boundaries within the terminal's width;
// a word is cut only when it alone is wider than the column. Too narrow
// for a message column, each message goes under its row.
func TestTableWrapsToTheWidth(t *testing.T) {
	cases := []struct {
		width int
		want  string
	}{
		{60, `ACCOUNT       CHECK                    SEVERITY  STATUS
111122223333  root-access-key-present  critical  FAIL
    prod: 2 active root access keys (key 1 last used
    2026-11-21 in us-east-1 by s3; key 2 last used
    2026-11-20 in eu-west-1 by iam)
111122223333  root-mfa-enabled         high      FAIL
    prod: root has no MFA device
444455556666  root-recent-use          medium    MANUAL
    本番: see
    arn:aws:iam::444455556666:root/a-very-long-resource-name
    -without-any-space-in-it-at-all for details
`},
		{100, `ACCOUNT       NAME  CHECK                    SEVERITY  STATUS  MESSAGE
111122223333  prod  root-access-key-present  critical  FAIL    2 active root access keys (key 1 last
                                                               used 2026-11-21 in us-east-1 by s3;
                                                               key 2 last used 2026-11-20 in
                                                               eu-west-1 by iam)
111122223333  prod  root-mfa-enabled         high      FAIL    root has no MFA device
444455556666  本番  root-recent-use          medium    MANUAL  see
                                                               arn:aws:iam::444455556666:root/a-very
                                                               -long-resource-name-without-any-space
                                                               -in-it-at-all for details
`},
		{160, `ACCOUNT       NAME  CHECK                    SEVERITY  STATUS  MESSAGE
111122223333  prod  root-access-key-present  critical  FAIL    2 active root access keys (key 1 last used 2026-11-21 in us-east-1 by s3; key 2 last used
                                                               2026-11-20 in eu-west-1 by iam)
111122223333  prod  root-mfa-enabled         high      FAIL    root has no MFA device
444455556666  本番  root-recent-use          medium    MANUAL  see arn:aws:iam::444455556666:root/a-very-long-resource-name-without-any-space-in-it-at-all for
                                                               details
`},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := Write(&TableWriter{Opts: Options{Width: c.width}}, &b, wrapReport()); err != nil {
			t.Fatal(err)
		}
		table, _, _ := strings.Cut(b.String(), "\n\nSummary")
		table += "\n"
		if table != c.want {
			t.Errorf("width %d:\n%s\nwant:\n%s", c.width, table, c.want)
		}
		for _, line := range strings.Split(table, "\n") {
			if w := displayWidth(line); w > c.width {
				t.Errorf("width %d: a line of %d columns: %q", c.width, w, line)
			}
		}
	}
}

// Not on a terminal (width 0), lines are whole.
func TestTableDoesNotWrapWithoutAWidth(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&TableWriter{}, &b, wrapReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "FAIL    2 active root access keys (key 1 last used 2026-11-21 in us-east-1 by s3; key 2 last used 2026-11-20 in eu-west-1 by iam)\n") {
		t.Errorf("message wrapped without a width:\n%s", b.String())
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  []string
	}{
		{"a bb ccc", 4, []string{"a bb", "ccc"}},
		{"a bb ccc", 3, []string{"a", "bb", "ccc"}},
		{"abcdefgh ij", 3, []string{"abc", "def", "gh", "ij"}},
		{"短い日本語 text", 6, []string{"短い日", "本語", "text"}},
		{"fits", 10, []string{"fits"}},
		{"", 5, []string{""}},
	}
	for _, c := range cases {
		if got := wrap(c.in, c.width); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}
