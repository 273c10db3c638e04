package credreport_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, a report it
// accepts must describe one account's root, and a report it rejects must
// say which input was wrong.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(fixturePath); err == nil {
		f.Add(data)
		f.Add([]byte(cliJSON(f, string(data), "2023-01-03T10:15:03+00:00")))
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		if strings.HasPrefix(filepath.Base(p), ".") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	const acct = "123456789012"
	good := simpleReport(acct)
	for _, s := range []string{
		good,
		strings.ReplaceAll(good, "\n", "\r\n"),
		"\ufeff" + good,
		csvReport(row("arn:aws-cn:iam::"+acct+":root", map[string]string{"access_key_1_active": "true", "access_key_1_last_used_date": "2024-01-01T00:00:00Z"})),
		// Broken ones.
		"",
		"\ufeff",
		" \n\t",
		header + "\n",
		"user,arn\n",
		"not,a,report\n1,2,3\n",
		csvReport(row(rootARN(acct), nil), row(rootARN(acct), nil)),
		csvReport(row(rootARN(acct), map[string]string{"mfa_active": "yes"})),
		csvReport(row(rootARN(acct), map[string]string{"password_last_used": ""})),
		csvReport(row("arn:aws:iam::1234:root", nil)),
		csvReport(row(rootARN(acct), map[string]string{"user": `"<root_account>`})),
		strings.TrimSuffix(good, ",N/A\n"),
		`{}`,
		"\xff\xfe{\x00}\x00",
		"\xfe\xff\x00{\x00",
		`{"Content": null}`,
		`{"Content": "%%%"}`,
		`{"Content": "", "GeneratedTime": "now"}`,
		`{"Content": "` + base64.StdEncoding.EncodeToString([]byte(good)) + `", "GeneratedTime": "yesterday"}`,
		`{"Content": "` + base64.StdEncoding.EncodeToString([]byte(good)) + `", "ReportFormat": "text/xml"}`,
		`{"Content": `,
		`[]`,
	} {
		f.Add([]byte(s))
	}

	const source = "fuzz-input"
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := credreport.Parse(source, data)
		if err != nil {
			if rep != nil {
				t.Errorf("report %+v returned with error %v", rep, err)
			}
			var ce *credreport.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *credreport.Error", err, err)
			}
			if _, ok := err.(*credreport.Error); !ok {
				t.Errorf("error %T wraps a *credreport.Error instead of being one", err)
			}
			if !strings.HasPrefix(err.Error(), source) {
				t.Errorf("Error() = %q does not start with %q", err.Error(), source)
			}
			if ce.Line < 0 || ce.Msg == "" {
				t.Errorf("error %#v", ce)
			}
			return
		}
		if rep == nil {
			t.Fatal("nil report and nil error")
		}
		if !model.ValidAccountID(rep.Account) {
			t.Errorf("Account %q is not 12 digits", rep.Account)
		}
		if !strings.HasSuffix(rep.Root.ARN, ":root") {
			t.Errorf("Root.ARN %q does not end in :root", rep.Root.ARN)
		}
		if !strings.Contains(rep.Root.ARN, ":"+rep.Account+":") {
			t.Errorf("Root.ARN %q is not of account %s", rep.Root.ARN, rep.Account)
		}
		if rep.Users < 0 {
			t.Errorf("Users = %d", rep.Users)
		}
		if len(rep.Root.AccessKeys) != 2 || len(rep.Root.Certificates) != 2 {
			t.Errorf("root has %d key and %d certificate slots", len(rep.Root.AccessKeys), len(rep.Root.Certificates))
		}
		for _, c := range credreport.Columns() {
			if _, ok := rep.Root.Row[c]; !ok {
				t.Errorf("Row lacks column %s: %v", c, rep.Root.Row)
			}
		}
		if rep.Root.Row["user"] != credreport.RootUser || rep.Root.Row["arn"] != rep.Root.ARN {
			t.Errorf("Row = %v", rep.Root.Row)
		}
		if rep.Root.CredentialsAbsent && (rep.Root.MFAActive || rep.Root.PasswordEnabled != "false") {
			t.Errorf("CredentialsAbsent with MFA %v, password %q", rep.Root.MFAActive, rep.Root.PasswordEnabled)
		}
		if rep.Root.LastUsed.IsSet() != (rep.Root.LastUsedBy != "") {
			t.Errorf("LastUsed %v by %q", rep.Root.LastUsed, rep.Root.LastUsedBy)
		}
	})
}
