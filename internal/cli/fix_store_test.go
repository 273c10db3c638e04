package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/fix"
	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/history/historytest"
)

// storedFixes reads the fix calls a store holds.
func storedFixes(t *testing.T, url string) []history.FixEntry {
	t.Helper()
	st, err := history.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []history.FixEntry
	if err := st.Fixes(context.Background(), history.FixFilter{}, func(e history.FixEntry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// fixRunIDPattern is a fix run ID made at the tests' time (fixedNow).
var fixRunIDPattern = regexp.MustCompile(`^20261123T120000Z-[0-9a-f]{8}$`)

// compactJSON is JSON without its indentation.
func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return b.String()
}

// fields are a table's lines with their cells joined by one space.
func fields(out string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	return lines
}

// fix --apply --yes --store writes every call of the run log to the store
// under one run ID, and 'history fixes' lists them; applying again, with
// nothing to do, adds nothing. Through moto (the trail's delivery from a
// fake).
func TestFixApplyKeepsTheCallsInTheStore_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "h.db")
	logPath := filepath.Join(dir, "run.jsonl")
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--apply", "--yes", "--log", logPath, "--store", url)
	if r.code != 0 {
		t.Fatalf("apply: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	stored := storedFixes(t, url)
	logged := readRunLog(t, logPath)
	if len(stored) != 7 || len(logged) != 7 {
		t.Fatalf("stored %d entries, logged %d; want 7", len(stored), len(logged))
	}
	runID := stored[0].RunID
	if !fixRunIDPattern.MatchString(runID) {
		t.Errorf("run ID %q", runID)
	}
	if !strings.Contains(r.err, "fix run "+runID+" written to "+url+" (7 run log entries)\n") {
		t.Errorf("stderr does not say where the calls went:\n%s", r.err)
	}
	topic := "arn:aws:sns:us-east-1:123456789012:rootwatch-root-activity"
	for i, e := range stored {
		l := logged[i]
		if e.RunID != runID || e.Kind != "alarm" || !e.Time.Equal(fixedNow) || e.Account != motoAccountID || e.Region != "us-east-1" ||
			e.Step != l.Step || e.Action != l.Action || e.Result != "ok" || e.Error != "" || e.Rollback || e.Irreversible {
			t.Errorf("entry %d: %+v; the run log has %+v", i, e, l)
		}
		// The parameters as the run log has them.
		var params map[string]any
		if err := json.Unmarshal(e.Params, &params); err != nil {
			t.Errorf("entry %d's params %s: %v", i, e.Params, err)
		}
		want, _ := json.Marshal(l.Params)
		if got, _ := json.Marshal(params); !bytes.Equal(got, want) {
			t.Errorf("entry %d's params %s, the run log's %s", i, got, want)
		}
	}
	if string(stored[0].Params) != `{"Name":"rootwatch-root-activity"}` || string(stored[0].Output) != `{"TopicArn":"`+topic+`"}` ||
		string(stored[0].Undo) != `[{"action":"sns:DeleteTopic","params":{"TopicArn":"`+topic+`"}}]` {
		t.Errorf("CreateTopic stored as %s → %s, undo %s", stored[0].Params, stored[0].Output, stored[0].Undo)
	}
	if u := string(stored[2].Undo); !strings.HasPrefix(u, `[{"action":"sns:Unsubscribe","params":{"SubscriptionArn":"`+topic+`:`) {
		t.Errorf("Subscribe's undo, with the subscription made: %s", u)
	}

	// history fixes lists them.
	r = run(t, "history", "fixes", "--store", url)
	want := []string{
		"TIME ACCOUNT STEP ACTION RESULT ERROR",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/topic:rootwatch-root-activity sns:CreateTopic ok",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/topic:rootwatch-root-activity sns:SetTopicAttributes ok",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/topic:rootwatch-root-activity sns:Subscribe ok",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage logs:PutMetricFilter ok",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/alarm:rootwatch-root-usage cloudwatch:PutMetricAlarm ok",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/rule:rootwatch-root-activity events:PutRule ok",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/rule:rootwatch-root-activity events:PutTargets ok",
	}
	if got := fields(r.out); r.code != 0 || !slices.Equal(got, want) {
		t.Errorf("history fixes: exit %d: %s\n%s\nwant\n%s", r.code, r.err, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r = run(t, "history", "fixes", "--store", url, "--format", "json", "--step", "alarm/123456789012/us-east-1/rule:rootwatch-root-activity")
	var doc struct {
		Store string             `json:"store"`
		Fixes []history.FixEntry `json:"fixes"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || r.code != 0 {
		t.Fatalf("history fixes --format json: exit %d, %v: %s\n%s", r.code, err, r.err, r.out)
	}
	if doc.Store != url || len(doc.Fixes) != 2 || doc.Fixes[0].Action != "events:PutRule" || doc.Fixes[1].Action != "events:PutTargets" ||
		doc.Fixes[1].RunID != runID || doc.Fixes[1].Kind != "alarm" ||
		compactJSON(t, doc.Fixes[1].Params) != `{"Rule":"rootwatch-root-activity","Targets":[{"Arn":"`+topic+`","Id":"rootwatch-root-activity-topic"}]}` {
		t.Errorf("history fixes --step --format json: %+v", doc)
	}
	for _, args := range [][]string{{"--account", "999999999999"}, {"--since", "2026-11-24"}, {"--until", "2026-11-23T12:00:00Z"}} {
		r = run(t, append([]string{"history", "fixes", "--store", url}, args...)...)
		if r.code != 0 || r.out != "No fix calls kept in "+url+".\n" {
			t.Errorf("history fixes %v: exit %d, %q: %s", args, r.code, r.out, r.err)
		}
	}
	r = run(t, "history", "fixes", "--store", url, "--account", "123456789012", "--since", "2026-11-23", "--until", "2026-11-24")
	if len(fields(r.out)) != 8 {
		t.Errorf("history fixes within the day: %s", r.out)
	}

	// Again: nothing to do, nothing written.
	d, _, _ = testDeps("")
	d.AWSClients = withTrailDelivered
	r = runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--apply", "--yes", "--log", filepath.Join(dir, "again.jsonl"), "--store", url)
	if r.code != 0 || r.out != "Nothing to do.\n" {
		t.Errorf("again: exit %d, out %q: %s", r.code, r.out, r.err)
	}
	if n := len(storedFixes(t, url)); n != 7 {
		t.Errorf("after a run with nothing to do the store holds %d entries, want 7", n)
	}
}

// A step refused on its third call (Subscribe, a fake) is stored with its
// error, the undo of the topic it created marked as a rollback, and the
// account's later steps as skipped.
func TestFixApplyKeepsAFailedStepInTheStore_FakeDeniedSubscribeAndTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	hooks := fixHooks{reach: func(_ string, r fix.Reach) fix.Reach {
		return func(region string) fix.Clients {
			c := r(region)
			c.SNS = deniedSubscribe{c.SNS}
			return c
		}
	}}
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "h.db")
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	r := runFixWith(t, d, hooks, "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--apply", "--yes",
		"--log", filepath.Join(dir, "run.jsonl"), "--store", url)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3: %s\n%s", r.code, r.err, r.out)
	}
	topic := "alarm/123456789012/us-east-1/topic:rootwatch-root-activity"
	var got []string
	for _, e := range storedFixes(t, url) {
		got = append(got, strings.Join([]string{e.Step, e.Action, e.Result, strings.ReplaceAll(e.Error, "\n", " ")}, " | ")+map[bool]string{true: " | rollback"}[e.Rollback])
	}
	subscribeErr := "operation error SNS: Subscribe, api error AuthorizationError: not authorized to perform SNS:Subscribe"
	want := []string{
		topic + " | sns:CreateTopic | ok | ",
		topic + " | sns:SetTopicAttributes | ok | ",
		topic + " | sns:Subscribe | error | " + subscribeErr,
		topic + " | sns:DeleteTopic | ok |  | rollback",
		"alarm/123456789012/us-east-1/metric-filter:ct/rootwatch-root-usage |  | skipped | not applied: step " + topic + " failed",
		"alarm/123456789012/us-east-1/alarm:rootwatch-root-usage |  | skipped | not applied: step " + topic + " failed",
		"alarm/123456789012/us-east-1/rule:rootwatch-root-activity |  | skipped | not applied: step " + topic + " failed",
	}
	if !slices.Equal(got, want) {
		t.Errorf("stored:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r = run(t, "history", "fixes", "--store", url, "--step", topic)
	wantTable := []string{
		"TIME ACCOUNT STEP ACTION RESULT ERROR",
		"2026-11-23T12:00:00Z 123456789012 " + topic + " sns:CreateTopic ok",
		"2026-11-23T12:00:00Z 123456789012 " + topic + " sns:SetTopicAttributes ok",
		"2026-11-23T12:00:00Z 123456789012 " + topic + " sns:Subscribe error " + subscribeErr,
		"2026-11-23T12:00:00Z 123456789012 " + topic + " sns:DeleteTopic ok (rollback)",
	}
	if got := fields(r.out); r.code != 0 || !slices.Equal(got, wantTable) {
		t.Errorf("history fixes: exit %d: %s\n%s\nwant\n%s", r.code, r.err, strings.Join(got, "\n"), strings.Join(wantTable, "\n"))
	}
}

// A store that does not take the calls: the steps are applied, the run
// log has every call, and the exit is 3 with an error naming the store
// and the run log.
func TestFixApplyStoreRefusesTheCalls_FakeTrailDelivery(t *testing.T) {
	m := startMoto(t)
	seedTrail(t, m.Endpoint)
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	st, err := history.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// The table gone, the store at its version: the write fails.
	if err := execSQLite(path, `DROP TABLE fix_calls`); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "run.jsonl")
	d, _, _ := testDeps("")
	d.AWSClients = withTrailDelivered
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--only", "alarm", "--notify", "email:sec@example.com", "--apply", "--yes", "--log", logPath, "--store", "sqlite:"+path)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3: %s\n%s", r.code, r.err, r.out)
	}
	re := regexp.MustCompile(`store sqlite:` + regexp.QuoteMeta(path) + ` did not keep the 7 run log entries of fix run 20261123T120000Z-[0-9a-f]{8} \(the run log ` +
		regexp.QuoteMeta(logPath) + ` has them\): write 7 fix calls to sqlite:` + regexp.QuoteMeta(path) + `: .*no such table: fix_calls`)
	if !re.MatchString(r.err) {
		t.Errorf("error does not name the store and the run log:\n%s", r.err)
	}
	if strings.Count(r.out, "applied  ") != 4 {
		t.Errorf("results:\n%s", r.out)
	}
	if n := len(readRunLog(t, logPath)); n != 7 {
		t.Errorf("run log holds %d entries, want 7", n)
	}
}

// The same, kept in PostgreSQL: a saved plan of one call, applied from
// standard input.
func TestFixApplyKeepsTheCallsInPostgres(t *testing.T) {
	url := historytest.Postgres(t)
	m := startMoto(t)
	p := &fix.Plan{Version: fix.PlanVersion, CreatedAt: fixedNow, Evidence: map[string]time.Time{motoAccountID: fixedNow},
		Steps: []fix.Step{{ID: "alarm/" + motoAccountID + "/us-east-1/alarm:old", Account: motoAccountID, Region: "us-east-1", Kind: "alarm",
			Calls: []fix.Call{{Action: "cloudwatch:DeleteAlarms", Params: map[string]any{"AlarmNames": []any{"old"}}}}}}}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	d, _, _ := testDeps(b.String())
	r := runWith(t, d, "fix", "--endpoint-url", m.Endpoint, "--plan", "-", "--apply", "--yes", "--log", filepath.Join(t.TempDir(), "run.jsonl"), "--store", url)
	if r.code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.code, r.err, r.out)
	}
	stored := storedFixes(t, url)
	if len(stored) != 1 || !fixRunIDPattern.MatchString(stored[0].RunID) {
		t.Fatalf("stored %+v", stored)
	}
	want := history.FixEntry{RunID: stored[0].RunID, Time: fixedNow, Account: motoAccountID, Region: "us-east-1", Step: "alarm/123456789012/us-east-1/alarm:old",
		Kind: "alarm", Action: "cloudwatch:DeleteAlarms", Params: json.RawMessage(`{"AlarmNames":["old"]}`), Result: "ok"}
	if !reflect.DeepEqual(stored[0], want) {
		t.Errorf("stored\n%+v\nwant\n%+v", stored[0], want)
	}
	r = run(t, "history", "fixes", "--store", url, "--account", motoAccountID)
	if got := fields(r.out); r.code != 0 || !slices.Equal(got, []string{"TIME ACCOUNT STEP ACTION RESULT ERROR",
		"2026-11-23T12:00:00Z 123456789012 alarm/123456789012/us-east-1/alarm:old cloudwatch:DeleteAlarms ok"}) {
		t.Errorf("history fixes: exit %d: %s\n%s", r.code, r.err, r.out)
	}
}

// history fixes refuses bad flags before reading anything, and a store
// that is not there.
func TestHistoryFixesErrors(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "h.db")
	st, err := history.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--store", url}, 0, "No fix calls kept in " + url + ".\n"},
		{[]string{"--store", url, "--format", "csv"}, ExitUsage, `--format: unknown format "csv" for 'history fixes' (valid: table, json)`},
		{[]string{"--store", url, "--since", "yesterday"}, ExitUsage, `--since "yesterday": want an RFC 3339 time`},
		{[]string{"--store", url, "--since", "2026-11-24", "--until", "2026-11-23"}, ExitUsage, "--since 2026-11-24T00:00:00Z is not before --until 2026-11-23T00:00:00Z"},
		{[]string{"--store", "sqlite:" + filepath.Join(dir, "none.db")}, ExitUsage, "there is no file " + filepath.Join(dir, "none.db")},
	} {
		r := run(t, append([]string{"history", "fixes"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.out+r.err, c.want) {
			t.Errorf("%v: exit %d, want %d with %q: %s%s", c.args, r.code, c.code, c.want, r.out, r.err)
		}
	}
}
