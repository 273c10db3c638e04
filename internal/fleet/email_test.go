package fleet

import (
	"context"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/model"
)

// The email column is optional: a file with it gives each account its root
// email; one without it reads as before; an unknown column is still
// refused.
func TestParse_EmailColumn(t *testing.T) {
	in := "email,account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails\n" +
		" aws-prod@example.com ,012345678901,Prod,o-a1b2c3d4e5,Acme,Root/Prod,,,,,\n" +
		",278368863034,Dev,,,,,,,,\n" +
		"\"team+dev@example.com\",111122223333,,,,,,,,,\n"
	fl, err := Parse(context.Background(), strings.NewReader(in), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"012345678901": "aws-prod@example.com", "278368863034": "", "111122223333": "team+dev@example.com"} {
		if a, ok := fl.Lookup(id); !ok || a.Email != want {
			t.Errorf("%s: email %q, %v; want %q", id, a.Email, ok, want)
		}
	}
	// Without the column.
	fl, err = Parse(context.Background(), strings.NewReader(header+row1), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := fl.Lookup("012345678901"); a.Email != "" {
		t.Errorf("no email column, email %q", a.Email)
	}
	// Unknown columns are still refused, the optional one listed.
	_, err = Parse(context.Background(), strings.NewReader(strings.TrimSuffix(header, "\n")+",e-mail\n"+row1), "f.csv")
	if want := `fleet f.csv: line 1, column 11: unknown column "e-mail" (did you mean "email"?); the columns are account_id, account_name, org_id, org_name, ou_path, iam_users, rds_instances, s3_buckets, ec2_instances, trails, email`; err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	for name, tc := range map[string]struct{ email, want string }{
		"no @":          {"aws-prod", `"aws-prod" is not an email address`},
		"display name":  {"AWS Prod <aws-prod@example.com>", `"AWS Prod <aws-prod@example.com>" is not an email address`},
		"two addresses": {"a@example.com; b@example.com", "is not an email address"},
		"a space":       {"aws prod@example.com", "is not an email address"},
	} {
		_, err := Parse(context.Background(), strings.NewReader(strings.TrimSuffix(header, "\n")+",email\n"+strings.TrimSuffix(row1, "\n")+",\""+tc.email+"\"\n"), "f.csv")
		if err == nil || !strings.HasPrefix(err.Error(), "fleet f.csv: line 2, column 11 (email): ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want line 2, column 11 (email) saying %s", name, err, tc.want)
		}
	}
}

// Apply fills an email the input lacks and keeps one it has, saying it
// disagrees.
func TestApply_Email(t *testing.T) {
	in := "account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails,email\n" +
		"012345678901,,,,,,,,,,aws-prod@example.com\n" +
		"278368863034,,,,,,,,,,aws-dev@example.com\n"
	fl, err := Parse(context.Background(), strings.NewReader(in), "f.csv")
	if err != nil {
		t.Fatal(err)
	}
	snap := &model.Snapshot{Accounts: []model.Account{{ID: "012345678901"}, {ID: "278368863034", Email: "dev-root@example.com"}}}
	res := fl.Apply(snap)
	if snap.Accounts[0].Email != "aws-prod@example.com" || snap.Accounts[1].Email != "dev-root@example.com" {
		t.Errorf("emails %q, %q", snap.Accounts[0].Email, snap.Accounts[1].Email)
	}
	if len(res.Disagree) != 1 || res.Disagree[0] != "278368863034" {
		t.Errorf("disagree %v", res.Disagree)
	}
}
