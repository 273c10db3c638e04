package report

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

func contractReport() *Report {
	created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	snap := &model.Snapshot{
		Accounts: []model.Account{
			{ID: "111122223333", Name: "prod", Partition: "aws", CreatedAt: created,
				CredentialReport: &model.CredentialReportInfo{Source: "a.json", GeneratedAt: created, GeneratedAtSource: "report"}},
			{ID: "444455556666", Partition: "aws-us-gov"},
			{ID: "777788889999", Partition: "aws"},
		},
		Errors: []model.SourceError{{Account: "000011112222", Source: "b.csv", Message: "b.csv: no root row"}},
	}
	var fs []model.Finding
	for _, a := range []string{"111122223333", "444455556666"} {
		for i, st := range []string{model.StatusFail, model.StatusPass, model.StatusError} {
			fs = append(fs, model.Finding{ID: a + st, Check: "check-" + st, Title: "T", Severity: model.Severities()[i], Status: st,
				Account: a, Org: "o-1", Resource: "arn:aws:iam::" + a + ":root", Message: "m <&> \u2028 \x1b",
				Evidence: json.RawMessage(`{"k": [1, "v"]}`), Compliance: map[string][]string{"cis-aws-v5.0": {"1.3"}}, Remediation: "r"})
		}
	}
	return New(snap, fs, Tool{Name: "rootwatch", Version: "1.2.3"}, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
}

// The streamed JSON report is the contract (README, DESIGN.md): the same
// document encoding/json makes of the Report, keys in the contract's
// order, whether the findings' spool stays in memory or goes to a file.
func TestJSONStreamIsTheContract(t *testing.T) {
	r := contractReport()
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var wantDoc any
	if err := json.Unmarshal(want, &wantDoc); err != nil {
		t.Fatal(err)
	}
	for _, spoolMemory := range []int{0, 16} {
		dir := t.TempDir()
		var b bytes.Buffer
		if err := Write(&JSONWriter{Opts: Options{TempDir: dir}, spoolMemory: spoolMemory}, &b, r); err != nil {
			t.Fatal(err)
		}
		var got any
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("spool %d: not JSON: %v\n%s", spoolMemory, err, b.String())
		}
		if !reflect.DeepEqual(got, wantDoc) {
			t.Errorf("spool %d: streamed report differs from the contract:\n%s\nwant:\n%s", spoolMemory, b.String(), want)
		}
		dec := json.NewDecoder(bytes.NewReader(b.Bytes()))
		var keys []string
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Join(keys, ",") != "generated_at,tool,accounts,findings,errors" {
			t.Errorf("top-level keys %v", keys)
		}
		if !strings.HasPrefix(b.String(), "{\n  \"generated_at\": \"2026-11-23T12:00:00Z\",\n  \"tool\": {\"name\":\"rootwatch\",\"version\":\"1.2.3\"},\n  \"accounts\": [\n    {\"id\":\"111122223333\",") {
			t.Errorf("head:\n%s", b.String()[:200])
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Errorf("spool %d: files left in the temporary directory: %v %v", spoolMemory, entries, err)
		}
	}
}

// Inputs set aside on purpose (a superseded credential report) follow the
// errors as "warnings", only when there are some; the document is still
// what encoding/json makes of the Report.
func TestJSONWarningsFollowTheErrors(t *testing.T) {
	r := contractReport()
	r.Warnings = []model.SourceError{{Account: "111122223333", Source: "old.json", Message: "old.json: not audited: another credential report of account 111122223333, in new.json, was generated later"}}
	want, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&JSONWriter{Opts: Options{TempDir: t.TempDir()}}, &b, r); err != nil {
		t.Fatal(err)
	}
	var got, wantDoc any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if err := json.Unmarshal(want, &wantDoc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantDoc) {
		t.Errorf("streamed report differs:\n%s\nwant:\n%s", b.String(), want)
	}
	if !strings.HasSuffix(b.String(), "\"warnings\": [\n    {\"account\":\"111122223333\",\"source\":\"old.json\",\"message\":\"old.json: not audited: another credential report of account 111122223333, in new.json, was generated later\"}\n  ]\n}\n") {
		t.Errorf("tail:\n%s", b.String()[max(0, b.Len()-300):])
	}
}
