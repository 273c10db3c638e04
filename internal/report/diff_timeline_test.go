package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

// testTimeline: an account seen at run 1 with every fact known (a key,
// CloudTrail counts, assets, two failing checks), then at run 3 with its
// root facts unread, a hostile name and a hostile check.
func testTimeline() *Timeline {
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	assets := 42
	return &Timeline{Account: "111122223333", Store: "sqlite:h.db", Entries: []TimelineEntry{
		{Observation: history.Observation{RunID: 1, Account: "111122223333", Name: "prod,\"x\"", Org: "o-1", OUPath: "r-1/ou-2",
			AsOf: at(2026, 1, 4, 0), CreatedAt: at(2020, 1, 1, 0), PasswordLastUsed: at(2026, 1, 2, 10),
			Keys:   [2]history.KeyFacts{{Active: true, LastRotated: at(2025, 6, 1, 0), LastUsed: at(2026, 1, 3, 5)}},
			Assets: &assets, Exact: &history.ExactCounts{SignIns: 2, SignInsWithoutMFA: 1, KeySignedCalls: 3}},
			Failing: []TimelineFinding{{Check: "root-mfa-enabled", Severity: "critical", Message: "no MFA"}, {Check: "root-recent-use", Severity: "high", Message: "used"}}},
		{Observation: history.Observation{RunID: 3, Account: "111122223333", Name: "=evil\x1b[31m", AsOf: at(2026, 1, 11, 0), RootUnread: true},
			Failing: []TimelineFinding{{Check: "evil\x1b[31m", Severity: "high", Message: "x"}}},
	}}
}

func writeTimeline(t *testing.T, format string, tl *Timeline) string {
	t.Helper()
	w, err := NewTimelineWriter(format)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := w(&b, tl); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTimelineWriters(t *testing.T) {
	if got := strings.Join(TimelineFormats(), ","); got != "table,json,csv" {
		t.Errorf("formats %s", got)
	}
	wantTable := "RUN  AS OF                 PASSWORD USED      KEY 1 (ROTATED/USED)          KEY 2 (ROTATED/USED)  MFA  ASSETS  CLOUDTRAIL                               FAILING\n" +
		"1    2026-01-04T00:00:00Z  2026-01-02         active 2025-06-01/2026-01-03  -                     no   42      2 sign-ins (1 without MFA), 3 key calls  root-mfa-enabled (critical), root-recent-use (high)\n" +
		"3    2026-01-11T00:00:00Z  ? (root not read)  ?                             ?                     ?    -       -                                        evil\\x1b[31m (high)\n"
	if got := writeTimeline(t, "table", testTimeline()); got != wantTable {
		t.Errorf("table:\n%s\nwant:\n%s", got, wantTable)
	}
	wantCSV := "run_id,as_of,name,org,ou_path,created_at,root_unread,password_last_used,key_1_active,key_1_last_rotated,key_1_last_used," +
		"key_2_active,key_2_last_rotated,key_2_last_used,mfa,assets,trail_sign_ins,trail_sign_ins_without_mfa,trail_key_signed_calls,failing_checks\n" +
		"1,2026-01-04T00:00:00Z,\"prod,\"\"x\"\"\",o-1,r-1/ou-2,2020-01-01T00:00:00Z,false,2026-01-02T10:00:00Z,true,2025-06-01T00:00:00Z,2026-01-03T05:00:00Z," +
		"false,,,false,42,2,1,3,root-mfa-enabled;root-recent-use\n" +
		"3,2026-01-11T00:00:00Z,'=evil\x1b[31m,,,,true,,false,,,false,,,false,,,,,evil\x1b[31m\n"
	if got := writeTimeline(t, "csv", testTimeline()); got != wantCSV {
		t.Errorf("csv:\n%q\nwant:\n%q", got, wantCSV)
	}
	wantJSON := `{
  "account": "111122223333",
  "store": "sqlite:h.db",
  "timeline": [
    {
      "run_id": 1,
      "account": "111122223333",
      "name": "prod,\"x\"",
      "org": "o-1",
      "ou_path": "r-1/ou-2",
      "as_of": "2026-01-04T00:00:00Z",
      "created_at": "2020-01-01T00:00:00Z",
      "password_last_used": "2026-01-02T10:00:00Z",
      "keys": [
        {
          "active": true,
          "last_rotated": "2025-06-01T00:00:00Z",
          "last_used": "2026-01-03T05:00:00Z"
        },
        {
          "active": false
        }
      ],
      "mfa": false,
      "assets": 42,
      "exact": {
        "sign_ins": 2,
        "sign_ins_without_mfa": 1,
        "key_signed_calls": 3
      },
      "failing": [
        {
          "check": "root-mfa-enabled",
          "severity": "critical",
          "message": "no MFA"
        },
        {
          "check": "root-recent-use",
          "severity": "high",
          "message": "used"
        }
      ]
    },
    {
      "run_id": 3,
      "account": "111122223333",
      "name": "=evil\u001b[31m",
      "as_of": "2026-01-11T00:00:00Z",
      "root_unread": true,
      "keys": [
        {
          "active": false
        },
        {
          "active": false
        }
      ],
      "mfa": false,
      "failing": [
        {
          "check": "evil\u001b[31m",
          "severity": "high",
          "message": "x"
        }
      ]
    }
  ]
}
`
	if got := writeTimeline(t, "json", testTimeline()); got != wantJSON {
		t.Errorf("json:\n%s\nwant:\n%s", got, wantJSON)
	}
	// No observation: a header, an empty array.
	empty := &Timeline{Account: "1", Store: "s"}
	if got, want := writeTimeline(t, "json", empty), "{\n  \"account\": \"1\",\n  \"store\": \"s\",\n  \"timeline\": []\n}\n"; got != want {
		t.Errorf("empty json %q, want %q", got, want)
	}
	if got := writeTimeline(t, "csv", empty); got != strings.Join(TimelineCSVHeader(), ",")+"\n" {
		t.Errorf("empty csv %q", got)
	}
	if _, err := NewTimelineWriter("sarif"); err == nil || err.Error() != `unknown format "sarif" for 'history account' (valid: table, json, csv)` {
		t.Errorf("sarif: %v", err)
	}
}
