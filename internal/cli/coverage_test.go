package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// oldRootReport writes a credential report of one account whose root was last used
// long ago, with one key (never used).
func oldRootReport(t *testing.T, dir, account string) string {
	t.Helper()
	p := filepath.Join(dir, account+".csv")
	text := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n" +
		"<root_account>,arn:aws:iam::" + account + ":root,2015-01-01T00:00:00+00:00,true,2022-01-01T00:00:00+00:00,not_supported,not_supported,true," +
		"true,2021-06-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// ctRecord is a CloudTrail record of account: a root call signed with an
// access key when root, else an IAM user's.
func ctRecord(account string, at time.Time, root bool) string {
	ident := `{"type":"IAMUser","accountId":"` + account + `","userName":"alice","accessKeyId":"AKIAALICE"}`
	if root {
		ident = `{"type":"Root","principalId":"` + account + `","arn":"arn:aws:iam::` + account + `:root","accountId":"` + account + `","accessKeyId":"AKIAROOTKEY"}`
	}
	return fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":%s,"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1",`+
		`"sourceIPAddress":"198.51.100.7","userAgent":"aws-cli","eventID":"%s-%d","eventType":"AwsApiCall","recipientAccountId":"%s"}`,
		ident, at.UTC().Format(time.RFC3339), account, at.Unix(), account)
}

// deliver writes one delivery file of the layout for account at t.
func deliver(t *testing.T, dir, account string, at time.Time, records ...string) string {
	t.Helper()
	p := filepath.Join(dir, "AWSLogs", account, "CloudTrail", "us-east-1", at.Format("2006/01/02"),
		account+"_CloudTrail_us-east-1_"+at.Format("20060102T1504Z")+"_"+fmt.Sprint(at.Unix())+".json.gz")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(`{"Records":[` + strings.Join(records, ",") + `]}`)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The checks that judge CloudTrail say pass only where the account's logs
// were read over the whole window; events read always count.
func TestAuditCloudTrailCoverage(t *testing.T) {
	const a, b = "111122223333", "444455556666"
	// Reports generated just before the audit (fixedNow).
	asOf := fixedNow.Truncate(24 * time.Hour)
	reports := t.TempDir()
	oldRootReport(t, reports, a)
	oldRootReport(t, reports, b)
	audit := func(ct ...string) (result, map[[2]string]map[string]any) {
		t.Helper()
		args := []string{"audit", "--credential-report", reports, "--report-time", asOf.Format(time.RFC3339), "--format", "json",
			"--checks", "root-access-key-used,root-recent-use,root-console-login-without-mfa"}
		for _, c := range ct {
			args = append(args, "--cloudtrail", c)
		}
		r := run(t, args...)
		return r, findings(jsonReport(t, r.out))
	}
	status := func(fs map[[2]string]map[string]any, account, check string) (string, string) {
		f := fs[[2]string{account, check}]
		return fmt.Sprint(f["status"]), fmt.Sprint(f["message"])
	}

	// Every day of the window and the day before, for both accounts.
	full := t.TempDir()
	for d := asOf.AddDate(0, 0, -9); !d.After(fixedNow); d = d.Add(6 * time.Hour) {
		deliver(t, full, a, d, ctRecord(a, d.Add(-5*time.Minute), false))
		deliver(t, full, b, d, ctRecord(b, d.Add(-5*time.Minute), false))
	}
	r, fs := audit(full)
	for _, acct := range []string{a, b} {
		for _, check := range []string{"root-access-key-used", "root-recent-use", "root-console-login-without-mfa"} {
			if st, msg := status(fs, acct, check); st != "pass" {
				t.Errorf("logs of the whole window: %s %s = %s (%s)", acct, check, st, msg)
			}
		}
	}
	if r.code != ExitOK {
		t.Errorf("logs of the whole window: exit %d: %s", r.code, r.err)
	}

	// A key-signed root call in a good file beside a truncated one: the
	// call counts, and the truncated file makes the account's logs
	// incomplete (listed, exit 3) without hiding what was read.
	deliver(t, full, a, asOf.Add(-30*time.Hour), ctRecord(a, asOf.Add(-30*time.Hour-10*time.Minute), true))
	broken := deliver(t, full, a, asOf.Add(-20*time.Hour), ctRecord(a, asOf.Add(-20*time.Hour-10*time.Minute), false))
	data, err := os.ReadFile(broken)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	r, fs = audit(full)
	if st, msg := status(fs, a, "root-access-key-used"); st != "fail" || !strings.Contains(msg, "1 call signed with a root key in the window, by AKIAROOTKEY") {
		t.Errorf("beside a truncated file, root-access-key-used = %s (%s), want fail", st, msg)
	}
	if st, _ := status(fs, a, "root-recent-use"); st != "fail" {
		t.Errorf("beside a truncated file, root-recent-use = %s, want fail", st)
	}
	if st, msg := status(fs, a, "root-console-login-without-mfa"); st != "error" || !strings.Contains(msg, filepath.Base(broken)) {
		t.Errorf("beside a truncated file, root-console-login-without-mfa = %s (%s), want error naming it", st, msg)
	}
	if st, _ := status(fs, b, "root-console-login-without-mfa"); st != "pass" {
		t.Errorf("the other account's logs were read whole: %s", st)
	}
	if r.code != ExitPartial || !strings.Contains(r.out, filepath.Base(broken)) {
		t.Errorf("beside a truncated file: exit %d, want %d and the file under errors", r.code, ExitPartial)
	}

	// lookup-events output of one account is a selection (a filter chose
	// its events): its events count, it proves no absence for that
	// account, and it says nothing of any other.
	lookup := filepath.Join(t.TempDir(), "events.json")
	var items []string
	for d := asOf.AddDate(0, 0, -8); !d.After(fixedNow); d = d.Add(12 * time.Hour) {
		rec := ctRecord(a, d, false)
		items = append(items, fmt.Sprintf(`{"EventId":"x%d","EventName":"ListBuckets","CloudTrailEvent":%q}`, d.Unix(), rec))
	}
	if err := os.WriteFile(lookup, []byte(`{"Events":[`+strings.Join(items, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, fs = audit(lookup)
	if st, msg := status(fs, a, "root-console-login-without-mfa"); st != "manual" || !strings.Contains(msg, "only selections of the account's events were read") {
		t.Errorf("lookup-events of %s: its own check = %s (%s), want manual", a, st, msg)
	}
	if st, msg := status(fs, b, "root-console-login-without-mfa"); st != "error" || !strings.Contains(msg, "no CloudTrail log of the account was read") {
		t.Errorf("lookup-events of %s judged %s: %s (%s), want error", a, b, st, msg)
	}
	if st, _ := status(fs, b, "root-access-key-used"); st != "error" {
		t.Errorf("lookup-events of %s: %s root-access-key-used = %s, want error", a, b, st)
	}
	if r.code != ExitPartial {
		t.Errorf("an account whose logs were not read: exit %d, want %d", r.code, ExitPartial)
	}

	// A file of 2020 covers no day of the window.
	// Two log files a week apart (not in the delivery layout): the days
	// between were not read.
	apart := t.TempDir()
	for i, at := range []time.Time{asOf.AddDate(0, 0, -8), asOf.Add(-time.Hour)} {
		if err := os.WriteFile(filepath.Join(apart, fmt.Sprintf("part%d.json", i)), []byte(`{"Records":[`+ctRecord(a, at, false)+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, fs = audit(apart)
	if st, msg := status(fs, a, "root-access-key-used"); st != "manual" || !strings.Contains(msg, "nothing of the account was read from") {
		t.Errorf("two log files a week apart: %s (%s), want manual naming the time between", st, msg)
	}

	old := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(old, []byte(`{"Records":[`+ctRecord(a, time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC), false)+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, fs = audit(old)
	if st, msg := status(fs, a, "root-console-login-without-mfa"); st != "manual" || !strings.Contains(msg, "were read from 2020-03-01T00:00:00Z to 2020-03-01T00:00:00Z; the window reaches to 2026-11-23T12:00:00Z") {
		t.Errorf("a 2020 file: %s (%s), want manual naming the span read", st, msg)
	}

	// One file of one day in the layout does not cover a week.
	oneDay := t.TempDir()
	deliver(t, oneDay, a, asOf.Add(-2*time.Hour), ctRecord(a, asOf.Add(-2*time.Hour-5*time.Minute), false))
	_, fs = audit(oneDay)
	if st, msg := status(fs, a, "root-access-key-used"); st != "manual" || !strings.Contains(msg, "were read from 2026-11-22T22:00:00Z to 2026-11-22T22:00:00Z; the window reaches back to 2026-11-16T00:00:00Z") {
		t.Errorf("one day of logs: %s (%s), want manual naming the span read", st, msg)
	}

	// Days missing inside the span.
	gappy := t.TempDir()
	for _, d := range []time.Time{asOf.AddDate(0, 0, -9), asOf.AddDate(0, 0, -8), asOf.AddDate(0, 0, -1).Add(12 * time.Hour)} {
		deliver(t, gappy, a, d, ctRecord(a, d.Add(-5*time.Minute), false))
	}
	deliver(t, gappy, a, asOf.Add(-10*time.Minute), ctRecord(a, asOf.Add(-15*time.Minute), false))
	_, fs = audit(gappy)
	if st, msg := status(fs, a, "root-console-login-without-mfa"); st != "manual" || !strings.Contains(msg, "nothing of the account was read from 2026-11-16T12:00:00Z to 2026-11-22T00:00:00Z") {
		t.Errorf("days missing: %s (%s), want manual naming them", st, msg)
	}
}

// A snapshot reads CloudTrail as far back as its --window, and records
// what it read: judged later with a wider window, the checks say which
// span was read instead of passing, and with the window it read, they pass.
func TestSnapshotCloudTrailWindow(t *testing.T) {
	const a = "111122223333"
	asOf := fixedNow.Truncate(24 * time.Hour)
	reports := t.TempDir()
	report := oldRootReport(t, reports, a)
	logs := t.TempDir()
	for d := asOf.AddDate(0, 0, -40); !d.After(fixedNow); d = d.Add(6 * time.Hour) {
		deliver(t, logs, a, d, ctRecord(a, d.Add(-5*time.Minute), false))
	}
	snapshot := func(window ...string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "snap.json")
		args := append([]string{"snapshot", "--credential-report", report, "--report-time", asOf.Format(time.RFC3339), "--cloudtrail", logs, "--output", out}, window...)
		if r := run(t, args...); r.code != ExitOK {
			t.Fatalf("snapshot %v: exit %d: %s", window, r.code, r.err)
		}
		return out
	}
	judge := func(snap, window string) (string, string) {
		t.Helper()
		r := run(t, "audit", "--snapshot", snap, "--window", window, "--format", "json", "--checks", "root-console-login-without-mfa")
		f := findings(jsonReport(t, r.out))[[2]string{a, "root-console-login-without-mfa"}]
		return fmt.Sprint(f["status"]), fmt.Sprint(f["message"])
	}
	week := snapshot()
	if st, msg := judge(week, "7d"); st != "pass" {
		t.Errorf("a 7d snapshot judged over 7d: %s (%s)", st, msg)
	}
	// The 7d snapshot kept the events from 7 days before the report on.
	if st, msg := judge(week, "30d"); st != "manual" || !strings.Contains(msg, "were read from 2026-11-16T00:00:00Z to 2026-11-23T12:00:00Z; the window reaches back to 2026-10-24T12:00:00Z") {
		t.Errorf("a 7d snapshot judged over 30d: %s (%s), want manual naming the span read", st, msg)
	}
	// Judged two months later, a snapshot is still the fleet as collected.
	d, _, _ := testDeps("")
	d.Now = func() time.Time { return fixedNow.AddDate(0, 2, 0) }
	r := runWith(t, d, "audit", "--snapshot", week, "--format", "json", "--checks", "root-console-login-without-mfa,root-recent-use")
	for _, check := range []string{"root-console-login-without-mfa", "root-recent-use"} {
		if f := findings(jsonReport(t, r.out))[[2]string{a, check}]; f["status"] != "pass" {
			t.Errorf("a snapshot judged two months later: %s %v (%v)", check, f["status"], f["message"])
		}
	}
	month := snapshot("--window", "30d")
	if st, msg := judge(month, "30d"); st != "pass" {
		t.Errorf("a 30d snapshot judged over 30d: %s (%s)", st, msg)
	}
	if r := run(t, "snapshot", "--credential-report", report, "--window", "30d"); r.code != ExitUsage || !strings.Contains(r.err, "give --cloudtrail too") {
		t.Errorf("--window without --cloudtrail: exit %d: %s", r.code, r.err)
	}
}
