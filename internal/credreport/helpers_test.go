package credreport_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/credreport"
)

// fixturePath is the real credential report shared by the project, copied
// from shared/fixtures/credential-reports so the tests need no checkout
// beside the repository.
const fixturePath = "testdata/single-account-2023.csv"

// readFixture returns the shared sample report.
func readFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read testdata: %v", err)
	}
	return data
}

// header is the credential report header in AWS's column order.
var header = strings.Join(credreport.Columns(), ",")

// row builds one CSV line of a report for the principal arn: a root row when
// arn ends in ":root", an IAM user row otherwise. Columns not in over get a
// plausible default (no credentials but a password, nothing used).
func row(arn string, over map[string]string) string {
	v := map[string]string{
		"arn":                    arn,
		"user_creation_time":     "2020-01-01T00:00:00+00:00",
		"password_enabled":       "true",
		"password_last_used":     "no_information",
		"password_last_changed":  "2020-01-01T00:00:01+00:00",
		"password_next_rotation": "N/A",
		"mfa_active":             "false",
	}
	if strings.HasSuffix(arn, ":root") {
		v["user"] = credreport.RootUser
		v["password_last_changed"] = "not_supported"
		v["password_next_rotation"] = "not_supported"
	} else {
		v["user"] = arn[strings.LastIndex(arn, "/")+1:]
	}
	for _, c := range credreport.Columns() {
		if _, ok := v[c]; ok {
			continue
		}
		if strings.HasSuffix(c, "_active") {
			v[c] = "false"
		} else {
			v[c] = "N/A"
		}
	}
	for k, x := range over {
		v[k] = x
	}
	fields := make([]string, 0, len(v))
	for _, c := range credreport.Columns() {
		fields = append(fields, v[c])
	}
	return strings.Join(fields, ",")
}

// rootARN and userARN build ARNs in the commercial partition.
func rootARN(acct string) string       { return "arn:aws:iam::" + acct + ":root" }
func userARN(acct, name string) string { return "arn:aws:iam::" + acct + ":user/" + name }

// csvReport joins the header and rows into a report, one line each.
func csvReport(rows ...string) string {
	return header + "\n" + strings.Join(rows, "\n") + "\n"
}

// simpleReport is a valid report of acct: root and one IAM user.
func simpleReport(acct string) string {
	return csvReport(row(rootARN(acct), nil), row(userARN(acct, "alice"), nil))
}

// cliJSON wraps a CSV report the way `aws iam get-credential-report` prints
// it. An empty generated leaves GeneratedTime out.
func cliJSON(t testing.TB, csv string, generated string) string {
	t.Helper()
	m := map[string]string{
		"Content":      base64.StdEncoding.EncodeToString([]byte(csv)),
		"ReportFormat": "text/csv",
	}
	if generated != "" {
		m["GeneratedTime"] = generated
	}
	b, err := json.MarshalIndent(m, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func mustParse(t testing.TB, source string, data []byte) *credreport.Report {
	t.Helper()
	rep, err := credreport.Parse(source, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", source, err)
	}
	if rep == nil {
		t.Fatalf("Parse(%s) returned a nil report and no error", source)
	}
	return rep
}

// mustDo stops the test when a step of its setup fails.
func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("test setup: %v", err)
	}
}
