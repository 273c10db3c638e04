package fleet

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/model"
)

// header is the documented header, in the documented order.
const header = "account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails\n"

// row1 is a valid line for account 012345678901.
const row1 = "012345678901,Prod,o-a1b2c3d4e5,Acme,Root/Prod,1,2,3,4,5\n"

func parseString(t *testing.T, s string) (*Fleet, error) {
	t.Helper()
	return Parse(context.Background(), strings.NewReader(s), "f.csv")
}

func TestLoad_File(t *testing.T) {
	fl, err := Load(context.Background(), filepath.Join("testdata", "fleet.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{
		{ID: "012345678901", Name: "Payments Prod", OrgID: "o-a1b2c3d4e5", OUPath: "Root/Workloads/Prod", Line: 2,
			Assets: &model.Assets{IAMUsers: 12, RDSInstances: 3, S3Buckets: 20, EC2Instances: 10, Trails: 1, Total: 46, Size: "small"}},
		{ID: "278368863034", Name: "Sandbox", OrgID: "o-a1b2c3d4e5", OUPath: "Root/Sandbox", Line: 3,
			Assets: &model.Assets{IAMUsers: 40, RDSInstances: 0, S3Buckets: 100, EC2Instances: 110, Trails: 1, Total: 251, Size: "large"}},
		{ID: "444455556666", Name: "Data, Lake", OrgID: "o-zz99yy88xx", OUPath: "Root", Line: 4,
			Assets: &model.Assets{Total: 0, Size: "small"}},
		{ID: "555566667777", Line: 5},
	}
	if !reflect.DeepEqual(fl.Accounts, want) {
		t.Errorf("accounts:\n got %+v\nwant %+v", fl.Accounts, want)
	}
	if want := map[string]string{"o-a1b2c3d4e5": "Acme", "o-zz99yy88xx": "Other Co"}; !reflect.DeepEqual(fl.OrgNames, want) {
		t.Errorf("orgs = %v, want %v", fl.OrgNames, want)
	}
	if a, ok := fl.Lookup("444455556666"); !ok || a.Name != "Data, Lake" {
		t.Errorf("Lookup(444455556666) = %+v, %v", a, ok)
	}
	if _, ok := fl.Lookup("999999999999"); ok {
		t.Error("Lookup of an account not in the file found one")
	}
}

// A BOM, CRLF line ends, columns in another order, doubled quotes and a
// line break inside a quoted field.
func TestLoad_BOMCRLFQuotedAnyOrder(t *testing.T) {
	fl, err := Load(context.Background(), filepath.Join("testdata", "bom-crlf.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{{ID: "000000000001", Name: "multi\nline", OrgID: "o-a1b2c3d4e5", OUPath: "Root/A", Line: 2,
		Assets: &model.Assets{IAMUsers: 5, RDSInstances: 4, S3Buckets: 3, EC2Instances: 2, Trails: 1, Total: 15, Size: "small"}}}
	if !reflect.DeepEqual(fl.Accounts, want) {
		t.Errorf("accounts:\n got %+v\nwant %+v", fl.Accounts, want)
	}
	if got := fl.OrgNames["o-a1b2c3d4e5"]; got != `Acme "Inc"` {
		t.Errorf("org name = %q", got)
	}
}

func TestParse_SizeBoundaries(t *testing.T) {
	fl, err := parseString(t, header+
		"000000000049,,,,,49,0,0,0,0\n"+
		"000000000050,,,,,10,10,10,10,10\n"+
		"000000000250,,,,,0,0,250,0,0\n"+
		"000000000251,,,,,0,0,0,251,0\n")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		total int
		size  string
	}{{49, "small"}, {50, "medium"}, {250, "medium"}, {251, "large"}} {
		if as := fl.Accounts[i].Assets; as == nil || as.Total != want.total || as.Size != want.size {
			t.Errorf("account %d: assets %+v, want total %d size %s", i, as, want.total, want.size)
		}
	}
}

// Lines are the file's lines: blank lines and line breaks in quoted fields
// count; spaces after commas are dropped; an org named on a later line
// only gets that name.
func TestParse_LinesSpacesOrgNameLater(t *testing.T) {
	fl, err := parseString(t, strings.ReplaceAll(header, ",", ", ")+
		"\n"+
		`111111111111, "two`+"\n"+`lines", o-a1b2c3d4e5, , Root , 1, 1, 1, 1, 1`+"\n"+
		"222222222222 ,x,o-a1b2c3d4e5,Acme,,,,,,\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{fl.Accounts[0].Line, fl.Accounts[1].Line}; !reflect.DeepEqual(got, []int{3, 5}) {
		t.Errorf("lines = %v, want [3 5]", got)
	}
	if a := fl.Accounts[0]; a.Name != "two\nlines" || a.OUPath != "Root" || a.Assets.Total != 5 {
		t.Errorf("account 1 = %+v", a)
	}
	if a := fl.Accounts[1]; a.ID != "222222222222" || a.Assets != nil {
		t.Errorf("account 2 = %+v", a)
	}
	if got := fl.OrgNames["o-a1b2c3d4e5"]; got != "Acme" {
		t.Errorf("org name = %q, want Acme", got)
	}
	// A later line may not rename the organization: the line that named it
	// is the one given.
	_, err = parseString(t, header+
		"111111111111,,o-a1b2c3d4e5,,,,,,,\n"+
		"222222222222,,o-a1b2c3d4e5,Acme,,,,,,\n"+
		"333333333333,,o-a1b2c3d4e5,Acme Corp,,,,,,\n")
	if want := `fleet f.csv: line 4, column 4 (org_name): organization o-a1b2c3d4e5 is named "Acme" on line 3 and "Acme Corp" here`; err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestParse_Errors(t *testing.T) {
	const all = "account_id, account_name, org_id, org_name, ou_path, iam_users, rds_instances, s3_buckets, ec2_instances, trails"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "fleet f.csv is empty: want a header line (account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails) and a line per account"},
		{"blank lines", "\n\r\n\n", "fleet f.csv is empty: want a header line (account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails) and a line per account"},
		{"BOM only", "\xef\xbb\xbf", "fleet f.csv is empty: want a header line (account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails) and a line per account"},
		{"header only", header, "fleet f.csv has a header and no accounts"},
		{"UTF-16", "\xff\xfea\x00", "fleet f.csv is UTF-16 text: save it as CSV in UTF-8"},
		{"unknown column, near one", strings.Replace(header, "account_id", "acount_id", 1) + row1,
			`fleet f.csv: line 1, column 1: unknown column "acount_id" (did you mean "account_id"?); the columns are ` + all + ", email"},
		{"unknown column", strings.TrimSuffix(header, "\n") + ",region\n",
			`fleet f.csv: line 1, column 11: unknown column "region"; the columns are ` + all + ", email"},
		{"empty column name", "account_id,,org_id\n", "fleet f.csv: line 1, column 2: empty column name in the header; the columns are " + all + ", email"},
		{"missing columns", "account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets\n",
			"fleet f.csv: line 1: the header lacks column(s) ec2_instances, trails; all of " + all + " are needed, in any order (email may be added)"},
		{"column twice", "account_id,org_id,account_id\n", `fleet f.csv: line 1, column 3: column "account_id" appears twice, in columns 1 and 3`},
		{"duplicate account", header + row1 + "278368863034,,,,,,,,,\n" + row1,
			"fleet f.csv: line 4, column 1 (account_id): account 012345678901 is listed twice, on lines 2 and 4"},
		{"duplicate account, columns reordered", "trails,ec2_instances,s3_buckets,rds_instances,iam_users,ou_path,org_name,org_id,account_name,account_id\n" +
			",,,,,,,,,012345678901\n\n,,,,,,,,,012345678901\n",
			"fleet f.csv: line 4, column 10 (account_id): account 012345678901 is listed twice, on lines 2 and 4"},
		{"non-numeric count", header + "012345678901,,,,,1,2,lots,4,5\n",
			`fleet f.csv: line 2, column 8 (s3_buckets): "lots" is not a count: want a whole number, 0 or more`},
		{"decimal count", header + "012345678901,,,,,1.5,2,3,4,5\n",
			`fleet f.csv: line 2, column 6 (iam_users): "1.5" is not a count: want a whole number, 0 or more`},
		{"plus sign", header + "012345678901,,,,,1,+2,3,4,5\n",
			`fleet f.csv: line 2, column 7 (rds_instances): "+2" is not a count: want a whole number, 0 or more`},
		{"negative count", header + "012345678901,,,,,1,2,3,4,-1\n",
			`fleet f.csv: line 2, column 10 (trails): "-1" is negative: a count is 0 or more`},
		{"count too large", header + "012345678901,,,,,1,2,3,2147483648,5\n",
			`fleet f.csv: line 2, column 9 (ec2_instances): "2147483648" is too large: a count is at most 2147483647`},
		{"count overflows", header + "012345678901,,,,,1,2,3,99999999999999999999999,5\n",
			`fleet f.csv: line 2, column 9 (ec2_instances): "99999999999999999999999" is too large: a count is at most 2147483647`},
		{"some counts empty", header + "012345678901,,,,,1,,,,\n",
			"fleet f.csv: line 2, column 7 (rds_instances): empty while other counts are given: give all five counts, or none when they are unknown"},
		{"leading zeros dropped", header + "12345678901,,,,,,,,,\n",
			`fleet f.csv: line 2, column 1 (account_id): "12345678901" is not a 12-digit account ID: it has 11 digits (a spreadsheet may have dropped leading zeros: keep the column as text)`},
		{"scientific notation", header + "1.23457E+11,,,,,,,,,\n",
			`fleet f.csv: line 2, column 1 (account_id): "1.23457E+11" is not a 12-digit account ID`},
		{"13 digits", header + "0123456789012,,,,,,,,,\n",
			`fleet f.csv: line 2, column 1 (account_id): "0123456789012" is not a 12-digit account ID`},
		{"empty account ID", header + ",Prod,,,,,,,,\n",
			"fleet f.csv: line 2, column 1 (account_id): empty: want a 12-digit account ID"},
		{"bad org ID", header + "012345678901,,acme,,,,,,,\n",
			`fleet f.csv: line 2, column 3 (org_id): "acme" is not an organization ID (o- and 10 to 32 lowercase letters or digits)`},
		{"org name without ID", header + "012345678901,,,Acme,,,,,,\n",
			`fleet f.csv: line 2, column 4 (org_name): organization "Acme" has no org_id: give its ID (o-...) too`},
		{"too few fields", header + "012345678901,,,,,1,2,3,4\n",
			"fleet f.csv: line 2, column 10 (trails): missing: the line has 9 fields, the header 10"},
		{"too many fields", header + "012345678901,,,,,1,2,3,4,5,6\n",
			"fleet f.csv: line 2, column 11: extra field: the line has 11 fields, the header 10"},
		{"bare quote", header + `012345678901,a"b,,,,,,,,` + "\n",
			`fleet f.csv: line 2, byte 15: bare " in non-quoted-field`},
		{"quote not closed", header + `012345678901,"abc,,,,,,,,` + "\n",
			`fleet f.csv: line 2, byte 27: extraneous or missing " in quoted-field`},
		{"quote not closed, lines later", header + `012345678901,"abc,,,,,,,,` + "\n\n333333333333,,,,,,,,,\n",
			`fleet f.csv: line 4, byte 23: extraneous or missing " in quoted-field (the quoted field opened on line 2)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl, err := parseString(t, tc.in)
			if err == nil {
				t.Fatalf("accepted: %+v", fl.Accounts)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *fleet.Error", err)
			}
		})
	}
}

// endless is an endless quoted field.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestParse_TooLarge(t *testing.T) {
	r := io.MultiReader(strings.NewReader(header+`012345678901,"`), endless{})
	_, err := parse(context.Background(), r, "f.csv", 1<<20)
	if want := "fleet f.csv is too large: more than 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("%v is not ErrTooLarge", err)
	}
}

func TestLoad_Refusals(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.csv")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxSize + 1); err != nil { // sparse: nothing written
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = Load(ctx, big)
	if want := "fleet " + big + " is too large: 67108865 bytes, more than 64 MiB"; err == nil || err.Error() != want {
		t.Errorf("big file: err = %v\nwant %s", err, want)
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("%v is not ErrTooLarge", err)
	}
	if _, err := Load(ctx, dir); err == nil || err.Error() != "fleet "+dir+" is a directory: want a CSV file" {
		t.Errorf("directory: err = %v", err)
	}
	missing := filepath.Join(dir, "nope.csv")
	if _, err := Load(ctx, missing); err == nil || err.Error() != "read fleet file: open "+missing+": no such file or directory" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
}

func TestParse_Canceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Parse(ctx, strings.NewReader(header+row1), "f.csv")
	if !errors.Is(err, context.Canceled) || err.Error() != "read fleet f.csv: context canceled" {
		t.Errorf("err = %v", err)
	}
}

func TestApply(t *testing.T) {
	fl, err := Load(context.Background(), filepath.Join("testdata", "fleet.csv"))
	if err != nil {
		t.Fatal(err)
	}
	liveAssets := &model.Assets{IAMUsers: 1, Total: 1, Size: "small"}
	snap := &model.Snapshot{
		Organizations: []model.Organization{{ID: "o-zz99yy88xx", ManagementAccount: "444455556666"}},
		Accounts: []model.Account{
			{ID: "012345678901"},
			// Collected live: its own organization, name and assets stay.
			{ID: "278368863034", Name: "live name", Org: "o-live000000", Assets: liveAssets},
			{ID: "999999999999"},
			{ID: "444455556666", Org: "o-zz99yy88xx"},
			{ID: "555566667777", Name: "kept"},
		},
	}
	res := fl.Apply(snap)
	want := Applied{Described: 4, Missing: []string{"999999999999"}, Unused: 0, Disagree: []string{"278368863034"}}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Apply = %+v, want %+v", res, want)
	}
	wantAccounts := []model.Account{
		{ID: "012345678901", Name: "Payments Prod", Org: "o-a1b2c3d4e5", OUPath: "Root/Workloads/Prod",
			Assets: &model.Assets{IAMUsers: 12, RDSInstances: 3, S3Buckets: 20, EC2Instances: 10, Trails: 1, Total: 46, Size: "small"}},
		{ID: "278368863034", Name: "live name", Org: "o-live000000", OUPath: "Root/Sandbox", Assets: &model.Assets{IAMUsers: 1, Total: 1, Size: "small"}},
		{ID: "999999999999"},
		{ID: "444455556666", Name: "Data, Lake", Org: "o-zz99yy88xx", OUPath: "Root", Assets: &model.Assets{Size: "small"}},
		{ID: "555566667777", Name: "kept"},
	}
	if !reflect.DeepEqual(snap.Accounts, wantAccounts) {
		t.Errorf("accounts:\n got %+v\nwant %+v", snap.Accounts, wantAccounts)
	}
	// The live organization is named; the fleet's other organization is
	// added for 012345678901 only (278368863034 kept its own).
	wantOrgs := []model.Organization{
		{ID: "o-zz99yy88xx", Name: "Other Co", ManagementAccount: "444455556666"},
		{ID: "o-a1b2c3d4e5", Name: "Acme"},
	}
	if !reflect.DeepEqual(snap.Organizations, wantOrgs) {
		t.Errorf("organizations = %+v, want %+v", snap.Organizations, wantOrgs)
	}
	// The snapshot's assets are copies: changing them leaves the fleet's.
	snap.Accounts[0].Assets.S3Buckets = 99
	if a, _ := fl.Lookup("012345678901"); a.Assets.S3Buckets != 20 {
		t.Error("Apply shared the fleet's assets with the snapshot")
	}
}

func TestApply_UnusedAndMissing(t *testing.T) {
	fl, err := parseString(t, header+row1+"111111111111,,,,,,,,,\n222222222222,,,,,,,,,\n")
	if err != nil {
		t.Fatal(err)
	}
	snap := &model.Snapshot{Accounts: []model.Account{{ID: "333333333333"}, {ID: "111111111111"}, {ID: "444444444444"}}}
	res := fl.Apply(snap)
	want := Applied{Described: 1, Missing: []string{"333333333333", "444444444444"}, Unused: 2}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Apply = %+v, want %+v", res, want)
	}
	if len(snap.Organizations) != 0 {
		t.Errorf("organizations = %+v, want none (111111111111 has none)", snap.Organizations)
	}
}
