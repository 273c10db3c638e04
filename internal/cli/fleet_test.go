package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/model"
)

// fleetCSV describes two of the three accounts of fleetReports, and two
// accounts that have no report.
const fleetCSV = "\xef\xbb\xbfaccount_id, account_name, org_id, org_name, ou_path, iam_users, rds_instances, s3_buckets, ec2_instances, trails\r\n" +
	"012345678901, Payments Prod, o-a1b2c3d4e5, Acme, Root/Workloads/Prod, 12, 3, 20, 10, 1\r\n" +
	"278368863034, \"Sandbox, old\", o-a1b2c3d4e5, Acme, Root/Sandbox, 40, 0, 100, 110, 1\r\n" +
	"444455556666, Data, o-zz99yy88xx, Other Co, Root, 0, 0, 0, 0, 0\r\n" +
	"555566667777,,,,,,,,,\r\n"

// fleetReports writes credential reports of accounts 278368863034 (the
// fixture), 012345678901 and 999999999999 (the fixture with its account ID
// replaced) into a folder, and the fleet file beside it.
func fleetReports(t *testing.T) (dir, fleetPath string) {
	t.Helper()
	data, err := os.ReadFile(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	dir = filepath.Join(base, "reports")
	mustDo(t, os.Mkdir(dir, 0o755))
	for _, id := range []string{"278368863034", "012345678901", "999999999999"} {
		body := strings.ReplaceAll(string(data), "278368863034", id)
		mustDo(t, os.WriteFile(filepath.Join(dir, id+".csv"), []byte(body), 0o644))
	}
	fleetPath = filepath.Join(base, "fleet.csv")
	mustDo(t, os.WriteFile(fleetPath, []byte(fleetCSV), 0o644))
	return dir, fleetPath
}

// fleetAccount is what a fleet file gives an account in the JSON report.
type fleetAccount struct {
	Name, Org, OUPath string
	Assets            *model.Assets
}

type fleetDoc struct {
	Accounts []struct {
		ID     string        `json:"id"`
		Name   string        `json:"name"`
		Org    string        `json:"org"`
		OUPath string        `json:"ou_path"`
		Assets *model.Assets `json:"assets"`
	} `json:"accounts"`
	Findings []struct {
		Account string `json:"account"`
		Org     string `json:"org"`
	} `json:"findings"`
}

func fleetReport(t *testing.T, out string) *fleetDoc {
	t.Helper()
	var doc fleetDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	return &doc
}

func (d *fleetDoc) accounts() map[string]fleetAccount {
	m := map[string]fleetAccount{}
	for _, a := range d.Accounts {
		m[a.ID] = fleetAccount{a.Name, a.Org, a.OUPath, a.Assets}
	}
	return m
}

func TestAuditFleet(t *testing.T) {
	dir, fleetPath := fleetReports(t)
	r := run(t, "audit", "--credential-report", dir, "--fleet", fleetPath, "--format", "json", "--fail-on", "none")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	doc := fleetReport(t, r.out)
	want := map[string]fleetAccount{
		"012345678901": {"Payments Prod", "o-a1b2c3d4e5", "Root/Workloads/Prod",
			&model.Assets{IAMUsers: 12, RDSInstances: 3, S3Buckets: 20, EC2Instances: 10, Trails: 1, Total: 46, Size: "small"}},
		"278368863034": {"Sandbox, old", "o-a1b2c3d4e5", "Root/Sandbox",
			&model.Assets{IAMUsers: 40, S3Buckets: 100, EC2Instances: 110, Trails: 1, Total: 251, Size: "large"}},
		"999999999999": {},
	}
	if got := doc.accounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("accounts:\n got %+v\nwant %+v", got, want)
	}
	orgs := map[string]string{}
	for _, f := range doc.Findings {
		orgs[f.Account] = f.Org
	}
	if want := map[string]string{"012345678901": "o-a1b2c3d4e5", "278368863034": "o-a1b2c3d4e5", "999999999999": ""}; !reflect.DeepEqual(orgs, want) {
		t.Errorf("findings' orgs = %v, want %v", orgs, want)
	}
	for _, line := range []string{
		`level=WARN msg="accounts not in the fleet file: no organization, OU path or asset counts for them" fleet=` + fleetPath + " count=1 first=999999999999",
		`level=INFO msg="fleet file accounts not in the input, ignored" fleet=` + fleetPath + " count=2",
	} {
		if !strings.Contains(r.err, line) {
			t.Errorf("stderr lacks %q:\n%s", line, r.err)
		}
	}
	if strings.Count(r.err, "not in the fleet file") != 1 {
		t.Errorf("the missing accounts are not logged once:\n%s", r.err)
	}
}

// A snapshot of file inputs keeps the fleet's facts and organizations;
// judged again with another fleet file, what it holds is kept.
func TestSnapshotFleet(t *testing.T) {
	dir, fleetPath := fleetReports(t)
	snapPath := filepath.Join(t.TempDir(), "snap.json")
	if r := run(t, "snapshot", "--credential-report", dir, "--fleet", fleetPath, "--output", snapPath); r.code != ExitOK {
		t.Fatalf("snapshot: exit %d: %s", r.code, r.err)
	}
	data, err := os.ReadFile(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	var snap model.Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	if want := []model.Organization{{ID: "o-a1b2c3d4e5", Name: "Acme"}}; !reflect.DeepEqual(snap.Organizations, want) {
		t.Errorf("organizations = %+v, want %+v", snap.Organizations, want)
	}
	if !strings.Contains(string(data), `"name": "Acme"`) {
		t.Errorf("the organization's name is not written as \"name\"")
	}

	other := filepath.Join(t.TempDir(), "other.csv")
	mustDo(t, os.WriteFile(other, []byte("account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails\n"+
		"012345678901,Renamed,o-bbbbbbbbbb,B,Root/B,1,1,1,1,1\n"+
		"999999999999,Late,o-bbbbbbbbbb,B,Root/B,1,1,1,1,1\n"), 0o644))
	r := run(t, "audit", "--snapshot", snapPath, "--fleet", other, "--format", "json", "--fail-on", "none")
	if r.code != ExitOK {
		t.Fatalf("audit: exit %d: %s", r.code, r.err)
	}
	// 012345678901 keeps what the snapshot holds; 999999999999 had nothing.
	want := map[string]fleetAccount{
		"012345678901": {"Payments Prod", "o-a1b2c3d4e5", "Root/Workloads/Prod",
			&model.Assets{IAMUsers: 12, RDSInstances: 3, S3Buckets: 20, EC2Instances: 10, Trails: 1, Total: 46, Size: "small"}},
		"278368863034": {"Sandbox, old", "o-a1b2c3d4e5", "Root/Sandbox",
			&model.Assets{IAMUsers: 40, S3Buckets: 100, EC2Instances: 110, Trails: 1, Total: 251, Size: "large"}},
		"999999999999": {"Late", "o-bbbbbbbbbb", "Root/B",
			&model.Assets{IAMUsers: 1, RDSInstances: 1, S3Buckets: 1, EC2Instances: 1, Trails: 1, Total: 5, Size: "small"}},
	}
	if got := fleetReport(t, r.out).accounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("accounts:\n got %+v\nwant %+v", got, want)
	}
	for _, s := range []string{"count=1 first=278368863034", "the fleet file disagrees with the input", "first=012345678901"} {
		if !strings.Contains(r.err, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.err)
		}
	}
}

func TestFleetRefusals(t *testing.T) {
	dir, fleetPath := fleetReports(t)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	mustDo(t, os.WriteFile(bad, []byte(strings.Replace(fleetCSV, "Root, 0, 0", "Root, 0, x", 1)), 0o644))
	dup := filepath.Join(t.TempDir(), "dup.csv")
	mustDo(t, os.WriteFile(dup, []byte(fleetCSV+"012345678901,,,,,,,,,\r\n"), 0o644))
	missing := filepath.Join(t.TempDir(), "nope.csv")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"demo", []string{"audit", "--demo", "--fleet", fleetPath},
			"--fleet describes the accounts of --credential-report or --snapshot files: the demo fleet has its own organizations and asset counts"},
		{"org", []string{"audit", "--org", "--fleet", fleetPath},
			"--fleet describes the accounts of --credential-report or --snapshot files: a live audit reads organizations and OU paths from AWS Organizations (--org) and counts assets with --assets"},
		{"live account", []string{"snapshot", "--fleet", fleetPath},
			"--fleet describes the accounts of --credential-report or --snapshot files: a live audit reads organizations and OU paths from AWS Organizations (--org) and counts assets with --assets"},
		{"bad count", []string{"audit", "--credential-report", dir, "--fleet", bad},
			"fleet " + bad + `: line 4, column 7 (rds_instances): "x" is not a count: want a whole number, 0 or more`},
		{"duplicate", []string{"snapshot", "--credential-report", dir, "--fleet", dup},
			"fleet " + dup + ": line 6, column 1 (account_id): account 012345678901 is listed twice, on lines 2 and 6"},
		{"missing file", []string{"audit", "--credential-report", dir, "--fleet", missing},
			"read fleet file: open " + missing + ": no such file or directory"},
		{"output over the fleet", []string{"audit", "--credential-report", dir, "--fleet", fleetPath, "--output", fleetPath}, "--output " + fleetPath},
		{"standard input", []string{"audit", "--credential-report", dir, "--fleet", "-"}, "--fleet reads a file, not standard input: give its path"},
		{"twice", []string{"audit", "--credential-report", dir, "--fleet", fleetPath, "--fleet", fleetPath}, "--fleet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.args...)
			if r.code != ExitUsage || !strings.Contains(r.err, tc.msg) {
				t.Errorf("exit %d, want %d with %q:\n%s", r.code, ExitUsage, tc.msg, r.err)
			}
			if r.out != "" {
				t.Errorf("a report was written:\n%s", r.out)
			}
		})
	}
	data, err := os.ReadFile(fleetPath)
	if err != nil || string(data) != fleetCSV {
		t.Errorf("the fleet file changed: %v", err)
	}
}
