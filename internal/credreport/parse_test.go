package credreport_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
)

func TestColumnsIsACopy(t *testing.T) {
	a := credreport.Columns()
	if len(a) != 22 || a[0] != "user" || a[1] != "arn" || a[21] != "cert_2_last_rotated" {
		t.Fatalf("Columns() = %v", a)
	}
	a[0] = "changed"
	if credreport.Columns()[0] != "user" {
		t.Fatal("Columns() exposes the package's slice")
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  credreport.Error
		want string
	}{
		{credreport.Error{Source: "r.csv", Msg: "empty"}, "r.csv: empty"},
		{credreport.Error{Source: "r.csv", Line: 3, Msg: "bad"}, "r.csv:3: bad"},
		{credreport.Error{Source: "-", Line: 2, Column: "mfa_active", Msg: "bad"}, "-:2: column mfa_active: bad"},
		{credreport.Error{Source: "r.json", Column: "Content", Msg: "bad"}, "r.json: column Content: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestParseFixture checks every fact of the real sample report.
func TestParseFixture(t *testing.T) {
	data := readFixture(t)
	rep := mustParse(t, "single-account-2023.csv", data)

	if rep.Account != "278368863034" {
		t.Errorf("Account = %q", rep.Account)
	}
	if rep.Partition != "aws" {
		t.Errorf("Partition = %q", rep.Partition)
	}
	if !rep.GeneratedAt.IsZero() {
		t.Errorf("GeneratedAt = %v, want zero for a bare CSV", rep.GeneratedAt)
	}
	if rep.Users != 4 {
		t.Errorf("Users = %d, want 4", rep.Users)
	}

	r := rep.Root
	if r.ARN != "arn:aws:iam::278368863034:root" {
		t.Errorf("Root.ARN = %q", r.ARN)
	}
	if want := mustTime(t, "2022-03-08T16:02:25Z"); !r.CreatedAt.Equal(want) || r.CreatedAt.Location() != time.UTC {
		t.Errorf("Root.CreatedAt = %v, want %v in UTC", r.CreatedAt, want)
	}
	if r.PasswordEnabled != model.NotSupported {
		t.Errorf("PasswordEnabled = %q, want not_supported", r.PasswordEnabled)
	}
	pwUsed := mustTime(t, "2022-12-21T16:19:23Z")
	if !r.PasswordLastUsed.IsSet() || !r.PasswordLastUsed.Time.Equal(pwUsed) || r.PasswordLastUsed.String() != "2022-12-21T16:19:23Z" {
		t.Errorf("PasswordLastUsed = %+v, want 2022-12-21T16:19:23Z", r.PasswordLastUsed)
	}
	if r.PasswordLastChanged != (model.Stamp{Marker: model.NotSupported}) {
		t.Errorf("PasswordLastChanged = %+v, want not_supported", r.PasswordLastChanged)
	}
	if r.MFAActive {
		t.Error("MFAActive = true")
	}
	if r.HardwareMFA != nil {
		t.Error("HardwareMFA set; the credential report cannot tell")
	}
	if len(r.AccessKeys) != 2 {
		t.Fatalf("AccessKeys = %+v, want 2 slots", r.AccessKeys)
	}
	na := model.Stamp{Marker: model.NotApplicable}
	for i, k := range r.AccessKeys {
		want := model.Key{Slot: i + 1, LastRotated: na, LastUsed: na}
		if k != want {
			t.Errorf("AccessKeys[%d] = %+v, want %+v", i, k, want)
		}
	}
	if len(r.Certificates) != 2 {
		t.Fatalf("Certificates = %+v, want 2 slots", r.Certificates)
	}
	for i, c := range r.Certificates {
		want := model.Cert{Slot: i + 1, LastRotated: na}
		if c != want {
			t.Errorf("Certificates[%d] = %+v, want %+v", i, c, want)
		}
	}

	// Derived facts.
	if r.CredentialsAbsent {
		t.Error("CredentialsAbsent = true; not_supported never proves absence")
	}
	if !r.LastUsed.Time.Equal(pwUsed) || r.LastUsedBy != "password" {
		t.Errorf("LastUsed = %v by %q, want %v by password", r.LastUsed, r.LastUsedBy, pwUsed)
	}

	// The root row is kept exactly as written.
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := make(map[string]string)
	for i, c := range recs[0] {
		want[c] = recs[1][i]
	}
	if recs[1][0] != credreport.RootUser {
		t.Fatalf("fixture changed: line 2 is %q", recs[1][0])
	}
	if !reflect.DeepEqual(r.Row, want) {
		t.Errorf("Row = %v\nwant %v", r.Row, want)
	}
	for col, v := range map[string]string{
		"password_enabled":       "not_supported",
		"password_last_used":     "2022-12-21T16:19:23+00:00",
		"user_creation_time":     "2022-03-08T16:02:25+00:00",
		"password_next_rotation": "not_supported",
		"access_key_1_active":    "false",
		"cert_2_last_rotated":    "N/A",
	} {
		if r.Row[col] != v {
			t.Errorf("Row[%s] = %q, want %q", col, r.Row[col], v)
		}
	}
}

// TestParseFixtureAsJSON checks that the CLI's JSON around the same CSV gives
// the same report plus the generation time.
func TestParseFixtureAsJSON(t *testing.T) {
	data := readFixture(t)
	fromCSV := mustParse(t, "r.csv", data)
	fromJSON := mustParse(t, "r.json", []byte(cliJSON(t, string(data), "2023-01-03T12:00:00+00:00")))
	if want := mustTime(t, "2023-01-03T12:00:00Z"); !fromJSON.GeneratedAt.Equal(want) {
		t.Errorf("GeneratedAt = %v, want %v", fromJSON.GeneratedAt, want)
	}
	fromJSON.GeneratedAt = time.Time{}
	if !reflect.DeepEqual(fromCSV, fromJSON) {
		t.Errorf("JSON and CSV differ:\n csv %+v\njson %+v", fromCSV, fromJSON)
	}
	// ParseCSV is what Parse uses for CSV.
	direct, err := credreport.ParseCSV("r.csv", data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromCSV, direct) {
		t.Error("Parse and ParseCSV differ on a CSV")
	}
}

func TestParseCLIJSON(t *testing.T) {
	rep := mustParse(t, "cli-output.json", readTestdata(t, "cli-output.json"))
	want := time.Date(2023, 1, 3, 10, 15, 3, 0, time.UTC)
	if !rep.GeneratedAt.Equal(want) || rep.GeneratedAt.Location() != time.UTC {
		t.Errorf("GeneratedAt = %v, want %v in UTC", rep.GeneratedAt, want)
	}
	if rep.Account != "123456789012" || rep.Partition != "aws" || rep.Users != 2 {
		t.Errorf("got account %q partition %q users %d", rep.Account, rep.Partition, rep.Users)
	}
	r := rep.Root
	if r.PasswordEnabled != "true" || !r.MFAActive || r.CredentialsAbsent {
		t.Errorf("root = %+v", r)
	}
	if r.LastUsedBy != "password" || r.LastUsed.String() != "2023-01-02T21:47:10Z" {
		t.Errorf("LastUsed = %v by %q", r.LastUsed, r.LastUsedBy)
	}
}

func TestParseJSONVariants(t *testing.T) {
	csvText := simpleReport("123456789012")
	b64 := base64.StdEncoding.EncodeToString([]byte(csvText))
	// The CLI may wrap long base64 or a user may pipe it through a tool
	// that does; whitespace inside Content is tolerated.
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))])
		wrapped.WriteString(`\n`)
	}
	tests := map[string]struct {
		json string
		gen  time.Time
	}{
		"no GeneratedTime":       {`{"Content":"` + b64 + `","ReportFormat":"text/csv"}`, time.Time{}},
		"no ReportFormat":        {`{"Content":"` + b64 + `"}`, time.Time{}},
		"offset time to UTC":     {`{"Content":"` + b64 + `","GeneratedTime":"2023-01-03T12:15:03+02:00"}`, time.Date(2023, 1, 3, 10, 15, 3, 0, time.UTC)},
		"Z and fraction":         {`{"Content":"` + b64 + `","GeneratedTime":"2023-01-03T10:15:03.5Z"}`, time.Date(2023, 1, 3, 10, 15, 3, 5e8, time.UTC)},
		"wrapped base64":         {`{"Content":"` + wrapped.String() + `"}`, time.Time{}},
		"BOM and blank lines":    {"\ufeff\n\n  {\"Content\":\"" + b64 + "\"}\n\n", time.Time{}},
		"unknown fields ignored": {`{"Content":"` + b64 + `","ResponseMetadata":{"RequestId":"x"}}`, time.Time{}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			rep := mustParse(t, "r.json", []byte(tt.json))
			if rep.Account != "123456789012" || rep.Users != 1 {
				t.Errorf("account %q users %d", rep.Account, rep.Users)
			}
			if !rep.GeneratedAt.Equal(tt.gen) {
				t.Errorf("GeneratedAt = %v, want %v", rep.GeneratedAt, tt.gen)
			}
			if !tt.gen.IsZero() && rep.GeneratedAt.Location() != time.UTC {
				t.Errorf("GeneratedAt %v not in UTC", rep.GeneratedAt)
			}
		})
	}
}

func TestParseCRLF(t *testing.T) {
	data := readTestdata(t, "crlf.csv")
	if !bytes.Contains(data, []byte("\r\n")) {
		t.Fatal("testdata/crlf.csv lost its CRLF line endings (check .gitattributes)")
	}
	rep := mustParse(t, "crlf.csv", data)
	if rep.Account != "210987654321" || rep.Users != 1 {
		t.Errorf("account %q users %d", rep.Account, rep.Users)
	}
	for col, v := range rep.Root.Row {
		if strings.ContainsAny(v, "\r\n") {
			t.Errorf("Row[%s] = %q keeps a line ending", col, v)
		}
	}
	if rep.Root.Row["cert_2_last_rotated"] != "N/A" {
		t.Errorf("last column = %q", rep.Root.Row["cert_2_last_rotated"])
	}
	if !rep.Root.MFAActive || rep.Root.PasswordLastUsed != (model.Stamp{Marker: model.NoInformation}) {
		t.Errorf("root = %+v", rep.Root)
	}
	if rep.Root.LastUsed.IsSet() || rep.Root.LastUsedBy != "" {
		t.Errorf("LastUsed = %v by %q, want never", rep.Root.LastUsed, rep.Root.LastUsedBy)
	}
}

func TestParseBOM(t *testing.T) {
	data := readTestdata(t, "bom.csv")
	if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		t.Fatal("testdata/bom.csv lost its byte order mark")
	}
	for name, parse := range map[string]func(string, []byte) (*credreport.Report, error){
		"Parse": credreport.Parse, "ParseCSV": credreport.ParseCSV,
	} {
		rep, err := parse("bom.csv", data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Account != "333344445555" || rep.Users != 0 {
			t.Errorf("%s: account %q users %d", name, rep.Account, rep.Users)
		}
		if _, ok := rep.Root.Row["user"]; !ok {
			t.Errorf("%s: Row lacks the user column; the BOM stuck to it", name)
		}
	}
}

func TestParseMemberAccountWithoutCredentials(t *testing.T) {
	rep := mustParse(t, "member.csv", readTestdata(t, "member-no-credentials.csv"))
	r := rep.Root
	if rep.Account != "444455556666" || rep.Users != 1 {
		t.Errorf("account %q users %d", rep.Account, rep.Users)
	}
	if r.PasswordEnabled != "false" {
		t.Errorf("PasswordEnabled = %q", r.PasswordEnabled)
	}
	if r.PasswordLastUsed != (model.Stamp{Marker: model.NotApplicable}) {
		t.Errorf("PasswordLastUsed = %+v, want N/A", r.PasswordLastUsed)
	}
	if !r.CredentialsAbsent {
		t.Error("CredentialsAbsent = false for a root with no password, keys, certificates or MFA")
	}
	if r.LastUsed != (model.Stamp{}) || r.LastUsedBy != "" {
		t.Errorf("LastUsed = %+v by %q, want none", r.LastUsed, r.LastUsedBy)
	}
	for _, k := range r.AccessKeys {
		if k.Active || k.LastUsedRegion != "" || k.LastUsedService != "" {
			t.Errorf("key %+v", k)
		}
	}
}

func TestParseRootWithTwoKeys(t *testing.T) {
	rep := mustParse(t, "two-keys.csv", readTestdata(t, "root-two-keys.csv"))
	r := rep.Root
	if r.CredentialsAbsent {
		t.Error("CredentialsAbsent with two active keys")
	}
	if r.LastUsedBy != "access key 2" {
		t.Errorf("LastUsedBy = %q, want access key 2", r.LastUsedBy)
	}
	if want := mustTime(t, "2023-06-30T23:45:00Z"); !r.LastUsed.Time.Equal(want) {
		t.Errorf("LastUsed = %v, want %v", r.LastUsed, want)
	}
	want := []model.Key{
		{Slot: 1, Active: true,
			LastRotated:    model.At(mustTime(t, "2016-02-01T10:00:00Z")),
			LastUsed:       model.At(mustTime(t, "2021-08-15T09:30:00Z")),
			LastUsedRegion: "us-east-1", LastUsedService: "iam"},
		{Slot: 2, Active: true,
			LastRotated:    model.At(mustTime(t, "2019-05-05T05:05:05Z")),
			LastUsed:       model.At(mustTime(t, "2023-06-30T23:45:00Z")),
			LastUsedRegion: "eu-central-1", LastUsedService: "s3"},
	}
	if !reflect.DeepEqual(r.AccessKeys, want) {
		t.Errorf("AccessKeys = %+v\nwant %+v", r.AccessKeys, want)
	}
}

// TestParseLastUsedBy checks that recent use is the latest of all three
// stamps, whichever column holds it.
func TestParseLastUsedBy(t *testing.T) {
	acct := "123456789012"
	tests := []struct {
		name string
		over map[string]string
		by   string
		at   string
	}{
		{"password only", map[string]string{"password_last_used": "2023-01-01T00:00:00+00:00"}, "password", "2023-01-01T00:00:00Z"},
		{"key 1 after password", map[string]string{
			"password_last_used":          "2023-01-01T00:00:00+00:00",
			"access_key_1_active":         "true",
			"access_key_1_last_used_date": "2023-01-02T00:00:00+00:00",
		}, "access key 1", "2023-01-02T00:00:00Z"},
		{"inactive key 2 still counts", map[string]string{
			"password_last_used":          "2023-01-01T00:00:00+00:00",
			"access_key_2_last_used_date": "2023-02-01T00:00:00+00:00",
		}, "access key 2", "2023-02-01T00:00:00Z"},
		{"never", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := mustParse(t, "r.csv", []byte(csvReport(row(rootARN(acct), tt.over))))
			if rep.Root.LastUsedBy != tt.by || rep.Root.LastUsed.String() != tt.at {
				t.Errorf("LastUsed = %q by %q, want %q by %q", rep.Root.LastUsed, rep.Root.LastUsedBy, tt.at, tt.by)
			}
		})
	}
}

func TestParseExtraColumn(t *testing.T) {
	rep := mustParse(t, "extra.csv", readTestdata(t, "extra-column.csv"))
	r := rep.Root
	if rep.Account != "666677778888" || rep.Users != 1 {
		t.Errorf("account %q users %d", rep.Account, rep.Users)
	}
	// The known columns are read by name, not position.
	if !r.MFAActive || r.AccessKeys[0].Active || r.Row["mfa_active"] != "true" || r.Row["access_key_1_active"] != "false" {
		t.Errorf("columns read by position: %+v", r)
	}
	for _, c := range credreport.Columns() {
		if _, ok := r.Row[c]; !ok {
			t.Errorf("Row lacks %s", c)
		}
	}
}

func TestParseGovCloud(t *testing.T) {
	rep := mustParse(t, "gov.csv", readTestdata(t, "govcloud.csv"))
	if rep.Partition != "aws-us-gov" || rep.Account != "777788889999" {
		t.Errorf("partition %q account %q", rep.Partition, rep.Account)
	}
	if rep.Root.ARN != "arn:aws-us-gov:iam::777788889999:root" {
		t.Errorf("ARN = %q", rep.Root.ARN)
	}
	if !rep.Root.CredentialsAbsent {
		t.Error("CredentialsAbsent = false")
	}
	if rep.Users != 1 {
		t.Errorf("Users = %d", rep.Users)
	}
}

func TestParseOtherPartitions(t *testing.T) {
	for _, p := range []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"} {
		arn := "arn:" + p + ":iam::123456789012:root"
		rep, err := credreport.Parse("r.csv", []byte(csvReport(row(arn, nil))))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if rep.Partition != p {
			t.Errorf("Partition = %q, want %q", rep.Partition, p)
		}
	}
}

func TestParseTolerance(t *testing.T) {
	acct := "123456789012"
	good := simpleReport(acct)
	tests := map[string]string{
		"no final newline":          strings.TrimSuffix(good, "\n"),
		"blank lines between rows":  header + "\n\n" + row(rootARN(acct), nil) + "\n\n\n" + row(userARN(acct, "alice"), nil) + "\n\n",
		"leading blank lines":       "\n\n" + good,
		"root row last":             csvReport(row(userARN(acct, "alice"), nil), row(rootARN(acct), nil)),
		"spaces around header name": strings.Replace(good, "user,arn,", " user , arn ,", 1),
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			rep := mustParse(t, "r.csv", []byte(text))
			if rep.Account != acct || rep.Root.ARN != rootARN(acct) {
				t.Errorf("got %+v", rep)
			}
		})
	}
}

func TestParseQuotedFieldsAsWritten(t *testing.T) {
	// The quotes are CSV syntax, not part of the value.
	text := header + "\n" + `"` + strings.ReplaceAll(row(rootARN("123456789012"), nil), ",", `","`) + `"` + "\n"
	rep := mustParse(t, "r.csv", []byte(text))
	if rep.Root.Row["user"] != credreport.RootUser || rep.Root.Row["cert_2_last_rotated"] != "N/A" {
		t.Errorf("Row = %v", rep.Root.Row)
	}
}

// badCase is one input Parse must reject, with where it must say the problem is.
type badCase struct {
	name   string
	data   string
	source string // the Source of the error; the input's name when empty
	line   int
	column string
	field  string
	msg    []string // substrings of Msg
}

func badCases(t testing.TB) []badCase {
	const acct, other = "123456789012", "999999999999"
	root := row(rootARN(acct), nil)
	user := row(userARN(acct, "alice"), nil)

	dropCols := func(drop ...string) string {
		var keep []string
		for _, c := range credreport.Columns() {
			if !slices.Contains(drop, c) {
				keep = append(keep, c)
			}
		}
		return strings.Join(keep, ",")
	}
	ragged := strings.TrimSuffix(user, ",N/A") // 21 fields

	return []badCase{
		{name: "empty file", data: "", msg: []string{"empty file"}},
		{name: "only a BOM", data: "\ufeff", msg: []string{"empty file"}},
		{name: "whitespace only", data: " \n\t\r\n  \n", msg: []string{"empty file"}},
		{name: "header only", data: header + "\n", msg: []string{"no <root_account> row"}},
		{name: "header missing columns", data: dropCols("mfa_active", "cert_2_last_rotated") + "\n",
			line: 1, msg: []string{"header lacks the columns mfa_active, cert_2_last_rotated"}},
		{name: "header missing one column", data: dropCols("access_key_2_last_used_service") + "\n" + root + "\n",
			line: 1, msg: []string{"lacks the columns access_key_2_last_used_service"}},
		{name: "no header at all", data: "This is not a credential report.\nIt is a note about one.\n",
			line: 1, msg: []string{"no credential report header"}},
		{name: "rows without header", data: root + "\n" + user + "\n",
			line: 1, msg: []string{"no credential report header"}},
		{name: "duplicate header column", data: header + ",mfa_active\n" + root + ",true\n",
			line: 1, column: "mfa_active", msg: []string{"appears twice"}},
		{name: "ragged row", data: csvReport(root, ragged, user),
			line: 3, msg: []string{"row has 21 fields, the header has 22"}},
		{name: "row too long", data: csvReport(root, user+",extra"),
			line: 3, msg: []string{"row has 23 fields, the header has 22"}},
		{name: "bad boolean in mfa_active of line 3",
			data: csvReport(root, row(userARN(acct, "bob"), map[string]string{"mfa_active": "yes"})),
			line: 3, column: "mfa_active", msg: []string{`want true or false, got "yes"`}},
		{name: "bad boolean in root key",
			data: csvReport(row(rootARN(acct), map[string]string{"access_key_2_active": "TRUE"})),
			line: 2, column: "access_key_2_active", msg: []string{`got "TRUE"`}},
		{name: "bad date in access_key_1_last_rotated",
			data: csvReport(row(rootARN(acct), map[string]string{"access_key_1_active": "true", "access_key_1_last_rotated": "2023-13-45T00:00:00+00:00"})),
			line: 2, column: "access_key_1_last_rotated", msg: []string{"want an RFC 3339 time", `"2023-13-45T00:00:00+00:00"`}},
		{name: "date without zone in a user row",
			data: csvReport(root, user, row(userARN(acct, "carol"), map[string]string{"password_last_used": "2023-01-01 10:00:00"})),
			line: 4, column: "password_last_used", msg: []string{"RFC 3339"}},
		{name: "empty date field",
			data: csvReport(row(rootARN(acct), map[string]string{"password_last_used": ""})),
			line: 2, column: "password_last_used", msg: []string{"empty"}},
		{name: "empty date field in a user row",
			data: csvReport(root, row(userARN(acct, "bob"), map[string]string{"cert_1_last_rotated": ""})),
			line: 3, column: "cert_1_last_rotated", msg: []string{"empty"}},
		{name: "bad user_creation_time",
			data: csvReport(row(rootARN(acct), map[string]string{"user_creation_time": "N/A"})),
			line: 2, column: "user_creation_time", msg: []string{"RFC 3339"}},
		{name: "bad password_enabled",
			data: csvReport(row(rootARN(acct), map[string]string{"password_enabled": "no_information"})),
			line: 2, column: "password_enabled", msg: []string{"want true, false or not_supported"}},
		{name: "no root row", data: csvReport(user, row(userARN(acct, "bob"), nil)),
			msg: []string{"no <root_account> row"}},
		{name: "two root rows", data: csvReport(root, user, root),
			line: 4, column: "user", msg: []string{"second <root_account> row", "line 2"}},
		{name: "rows of two accounts", data: csvReport(root, row(userARN(other, "mallory"), nil)),
			line: 3, column: "arn", msg: []string{"account 999999999999", "earlier rows are of account 123456789012"}},
		{name: "root of another account", data: csvReport(user, row(rootARN(other), nil)),
			line: 3, column: "arn", msg: []string{"account 999999999999"}},
		{name: "ARN without 12-digit account", data: csvReport(row("arn:aws:iam::12345678901:root", nil)),
			line: 2, column: "arn", msg: []string{"12-digit account ID"}},
		{name: "ARN with letters in the account", data: csvReport(root, row("arn:aws:iam::12345678901x:user/x", nil)),
			line: 3, column: "arn", msg: []string{"12-digit account ID"}},
		{name: "not an IAM ARN", data: csvReport(row("arn:aws:sts::123456789012:root", nil)),
			line: 2, column: "arn", msg: []string{"not an IAM ARN"}},
		{name: "empty ARN", data: csvReport(root, strings.Replace(user, userARN(acct, "alice"), "", 1)),
			line: 3, column: "arn", msg: []string{"not an IAM ARN"}},
		{name: "unknown partition", data: csvReport(row("arn:aws-moon:iam::123456789012:root", nil)),
			line: 2, column: "arn", msg: []string{`unknown partition "aws-moon"`}},
		{name: "root row with a user ARN",
			data: csvReport(strings.Replace(user, "alice,", credreport.RootUser+",", 1)),
			line: 2, column: "arn", msg: []string{"does not end in :root"}},
		{name: "unterminated quote in CSV",
			data: csvReport(root, strings.Replace(user, "alice", `"alice`, 1), row(userARN(acct, "bob"), nil), row(userARN(acct, "carol"), nil)),
			line: 3, msg: []string{"malformed CSV"}},
		{name: "bare quote in CSV",
			data: csvReport(root, user, strings.Replace(row(userARN(acct, "bob"), nil), "bob,", `b"ob,`, 1)),
			line: 4, msg: []string{"malformed CSV", `bare "`}},
		{name: "quote in header", data: "user,\"arn\n",
			line: 1, msg: []string{"malformed CSV"}},

		// JSON.
		{name: "JSON without Content", data: `{"ReportFormat": "text/csv", "GeneratedTime": "2023-01-03T10:15:03+00:00"}`,
			msg: []string{"no Content field"}},
		{name: "JSON with null Content", data: `{"Content": null}`, msg: []string{"no Content field"}},
		{name: "JSON of another call", data: `{"State": "COMPLETE", "Description": "No report exists. Starting a new report generation task"}`,
			msg: []string{"no Content field"}},
		{name: "JSON with invalid base64", data: `{"Content": "dXNlcixhcm4*%%%", "ReportFormat": "text/csv"}`,
			field: "Content", msg: []string{"invalid base64"}},
		{name: "JSON with bad GeneratedTime", data: cliJSON(t, simpleReport(acct), "2023-01-03 10:15:03"),
			field: "GeneratedTime", msg: []string{"RFC 3339", `"2023-01-03 10:15:03"`}},
		{name: "JSON with GeneratedTime as epoch", data: cliJSON(t, simpleReport(acct), "1672740903"),
			field: "GeneratedTime", msg: []string{"RFC 3339"}},
		{name: "JSON with unsupported ReportFormat",
			data: `{"Content": "` + base64.StdEncoding.EncodeToString([]byte(simpleReport(acct))) + `", "ReportFormat": "application/xml"}`,
			msg:  []string{`unsupported ReportFormat "application/xml"`}},
		{name: "truncated JSON", data: `{"Content": "dXNlcg==", "ReportFormat": `, line: 1, msg: []string{"truncated"}},
		{name: "invalid JSON", data: "{\n  \"Content\": \"dXNlcg==\"\n  \"ReportFormat\": \"text/csv\"}", line: 3, msg: []string{"invalid JSON at character 3"}},
		{name: "JSON with Content not a string", data: `{"Content": 42}`, line: 1, field: "Content", msg: []string{"want a string, got a JSON number (character 13)"}},
		{name: "JSON with Content an object", data: "{\n  \"Content\":\n    {\"a\": 1}}", line: 3, field: "Content", msg: []string{"got a JSON object (character 5)"}},
		{name: "UTF-16 cut short", data: "\xff\xfe{\x00\"", msg: []string{"UTF-16", "odd number of bytes"}},
		{name: "JSON array", data: `[{"Content": "dXNlcg=="}]`, line: 1, msg: []string{"JSON array", "one JSON object"}},
		{name: "JSON Content is empty", data: `{"Content": ""}`, source: "in.json (Content)", msg: []string{"empty file"}},
		{name: "JSON Content is not a report", data: `{"Content": "` + base64.StdEncoding.EncodeToString([]byte("hello\nworld\n")) + `"}`,
			source: "in.json (Content)", line: 1, msg: []string{"no credential report header"}},
		{name: "JSON Content with a bad row",
			data:   cliJSON(t, csvReport(root, row(userARN(acct, "bob"), map[string]string{"mfa_active": "maybe"})), "2023-01-03T10:15:03Z"),
			source: "in.json (Content)", line: 3, column: "mfa_active", msg: []string{`"maybe"`}},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range badCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			const source = "in.json"
			rep, err := credreport.Parse(source, []byte(tt.data))
			if err == nil {
				t.Fatalf("no error; parsed %+v", rep)
			}
			if rep != nil {
				t.Errorf("a report came back with the error: %+v", rep)
			}
			var ce *credreport.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *credreport.Error", err, err)
			}
			wantSource := tt.source
			if wantSource == "" {
				wantSource = source
			}
			if ce.Source != wantSource {
				t.Errorf("Source = %q, want %q", ce.Source, wantSource)
			}
			if ce.Line != tt.line {
				t.Errorf("Line = %d, want %d (%v)", ce.Line, tt.line, err)
			}
			if ce.Column != tt.column {
				t.Errorf("Column = %q, want %q (%v)", ce.Column, tt.column, err)
			}
			if ce.Field != tt.field {
				t.Errorf("Field = %q, want %q (%v)", ce.Field, tt.field, err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(ce.Msg, m) {
					t.Errorf("Msg = %q, want it to contain %q", ce.Msg, m)
				}
			}
			if !strings.HasPrefix(err.Error(), source) {
				t.Errorf("Error() = %q does not start with the source", err)
			}
		})
	}
}

// TestParseCSVErrors runs the CSV cases through ParseCSV directly: it must
// agree with Parse on everything that is CSV.
func TestParseCSVErrors(t *testing.T) {
	for _, tt := range badCases(t) {
		if strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(tt.data, "\ufeff")), "{") || tt.name == "whitespace only" || strings.HasPrefix(tt.data, "\xff\xfe") {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			_, err := credreport.ParseCSV("in.csv", []byte(tt.data))
			ce, ok := err.(*credreport.Error)
			if !ok {
				t.Fatalf("error %T %v is not a *credreport.Error", err, err)
			}
			if ce.Source != "in.csv" || ce.Line != tt.line || ce.Column != tt.column {
				t.Errorf("got %s:%d column %q, want in.csv:%d column %q (%v)", ce.Source, ce.Line, ce.Column, tt.line, tt.column, err)
			}
		})
	}
}

// Regression tests for defects found in parse.go.

// TestParseUnterminatedQuoteNamesItsLine: encoding/csv reads an unterminated
// quoted field to the end of the input and reports the line where it gave
// up (ParseError.Line), which in a long report is the last line, far from
// the stray quote; the error must name the record's start
// (ParseError.StartLine), as ragged-row errors do.
func TestParseUnterminatedQuoteNamesItsLine(t *testing.T) {
	const acct = "123456789012"
	rows := []string{row(rootARN(acct), nil), row(userARN(acct, "alice"), map[string]string{"user": `"alice`})}
	for i := range 20 {
		rows = append(rows, row(userARN(acct, "u"+string(rune('a'+i))), nil))
	}
	_, err := credreport.Parse("r.csv", []byte(csvReport(rows...)))
	ce, ok := err.(*credreport.Error)
	if !ok {
		t.Fatalf("error %T %v is not a *credreport.Error", err, err)
	}
	if ce.Line != 3 {
		t.Errorf("Line = %d, want 3, where the quoted field opens (%v)", ce.Line, err)
	}
}

// TestParseRejectsMixedPartitions: rows of one account ID in two partitions
// are a corrupted or spliced report, like rows of two accounts. Report.Partition
// comes from the first row, so accepting them would let a user row override
// the root's own partition (which decides, e.g., that aws-us-gov root checks
// are not applicable).
func TestParseRejectsMixedPartitions(t *testing.T) {
	const acct = "123456789012"
	text := csvReport(
		row("arn:aws:iam::"+acct+":user/alice", nil),
		row("arn:aws-us-gov:iam::"+acct+":root", nil),
	)
	rep, err := credreport.Parse("r.csv", []byte(text))
	if err == nil {
		t.Fatalf("accepted a report mixing partitions: Partition %q, root ARN %q", rep.Partition, rep.Root.ARN)
	}
	ce, ok := err.(*credreport.Error)
	if !ok || ce.Line != 3 || ce.Column != "arn" {
		t.Errorf("error %v, want line 3 column arn", err)
	}
}

// TestParseGarbageWithRepeatedFields: a text that is no credential report at
// all must say so, even when its first line repeats a field: "a,,b,,"
// (common in spreadsheet exports) or "N/A,N/A" must not be reported as
// "column appears twice in the header".
func TestParseGarbageWithRepeatedFields(t *testing.T) {
	for _, text := range []string{"Report,,,\n,,,\n", "N/A,N/A\n"} {
		_, err := credreport.Parse("r.csv", []byte(text))
		ce, ok := err.(*credreport.Error)
		if !ok {
			t.Fatalf("%q: error %T %v is not a *credreport.Error", text, err, err)
		}
		if ce.Line != 1 || !strings.Contains(ce.Msg, "no credential report header") {
			t.Errorf("%q: got %v, want line 1: no credential report header", text, err)
		}
	}
}

// TestParseHeaderLineAfterBlankLines: encoding/csv skips blank lines, so the
// header can be on a line other than 1; header errors must name its line.
func TestParseHeaderLineAfterBlankLines(t *testing.T) {
	_, err := credreport.Parse("r.csv", []byte("\n\nuser,arn\n"))
	ce, ok := err.(*credreport.Error)
	if !ok {
		t.Fatalf("error %T %v is not a *credreport.Error", err, err)
	}
	if ce.Line != 3 {
		t.Errorf("Line = %d, want 3, the header's line (%v)", ce.Line, err)
	}
}

// TestParseRejectsTrailingDataAfterJSON: Parse decodes the first JSON value
// and ignores the rest, so `cat a.json b.json > all.json` silently audits
// account A only and drops B.
func TestParseRejectsTrailingDataAfterJSON(t *testing.T) {
	a := cliJSON(t, simpleReport("111111111111"), "2024-01-01T00:00:00Z")
	b := cliJSON(t, simpleReport("222222222222"), "2024-01-01T00:00:00Z")
	for name, text := range map[string]string{
		"two reports":   a + b,
		"trailing text": a + "garbage\n",
	} {
		rep, err := credreport.Parse("all.json", []byte(text))
		if err == nil {
			t.Errorf("%s: accepted, reading only account %s", name, rep.Account)
			continue
		}
		if _, ok := err.(*credreport.Error); !ok {
			t.Errorf("%s: error %T %v is not a *credreport.Error", name, err, err)
		}
	}
}

// Windows PowerShell 5 saves 'aws iam get-credential-report > r.json' as
// UTF-16 with a byte-order mark: read as the UTF-8 file would be.
func TestParseUTF16(t *testing.T) {
	utf8JSON := cliJSON(t, string(readFixture(t)), "2023-01-03T12:00:00+00:00")
	want := mustParse(t, "r.json", []byte(utf8JSON))
	for name, order := range map[string]binary.ByteOrder{"little-endian": binary.LittleEndian, "big-endian": binary.BigEndian} {
		units := utf16.Encode([]rune("\ufeff" + utf8JSON + "\r\n"))
		data := make([]byte, 2*len(units))
		for i, u := range units {
			order.PutUint16(data[2*i:], u)
		}
		if got := mustParse(t, "r.json", data); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
}
