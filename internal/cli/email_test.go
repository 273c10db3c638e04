package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rootwatch/rootwatch/internal/collect"
)

// An --org audit against moto reads each account's email from
// Organizations: two members created with one address both fail
// root-email-dedicated naming each other, a member at gmail.com fails on
// its domain, +tagged addresses of one inbox pass with a note, and the
// management account (moto's master@example.com) passes. The root row and
// contact information come from fakes (moto has neither).
func TestAuditOrgRootEmail_FakeRootRowReportTimeAndContactInfo(t *testing.T) {
	m := startMoto(t)
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, acct := range [][2]string{{"prod", "aws-shared@example.com"}, {"dev", "AWS-Shared@example.com"}, {"personal", "jane.doe@gmail.com"},
		{"team-a", "cloud+a@example.com"}, {"team-b", "cloud+b@example.com"}} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(acct[0]), Email: aws.String(acct[1])})
		if err != nil {
			t.Fatal(err)
		}
		ids[acct[0]] = aws.ToString(out.CreateAccountStatus.AccountId)
	}
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	r := runWith(t, d, "audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json", "--checks", "root-email-dedicated", "--fail-on", "medium")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, want 1; stderr %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	if len(fs) != 6 {
		t.Errorf("%d findings, want 6 (5 members and the management account)", len(fs))
	}
	for id, want := range map[string]struct{ status, message string }{
		ids["prod"]:     {"fail", "the root email address is also the root email of " + ids["dev"]},
		ids["dev"]:      {"fail", "the root email address is also the root email of " + ids["prod"]},
		ids["personal"]: {"fail", "the root email address is at a personal mail provider (gmail.com)"},
		ids["team-a"]:   {"pass", "the root email address (at example.com) is this account's alone; note: it differs only by a +tag from the root email of " + ids["team-b"] + ", so one inbox receives the root mail of 2 accounts"},
		"123456789012":  {"pass", "the root email address (at example.com) is this account's alone"},
	} {
		f := fs[[2]string{id, "root-email-dedicated"}]
		if f["status"] != want.status || f["message"] != want.message {
			t.Errorf("%s: %v %q, want %s %q", id, f["status"], f["message"], want.status, want.message)
		}
	}
	// The evidence names the domain, never the address.
	ev, err := json.Marshal(fs[[2]string{ids["prod"], "root-email-dedicated"}]["evidence"])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"email_domain":"example.com","inbox_shared_with":[],"shared_with":["` + ids["dev"] + `"]}`; string(ev) != want {
		t.Errorf("evidence %s, want %s", ev, want)
	}
	if strings.Contains(r.out, "aws-shared@") || strings.Contains(r.out, "jane.doe") {
		t.Error("the report holds a root email address")
	}

	// The snapshot keeps the addresses; judged again, the sharing is
	// derived afresh, not read from the file.
	dir := t.TempDir()
	snapPath := filepath.Join(dir, "snap.json")
	d, _, _ = testDeps("")
	d.AWSClients = withFakeRootRow
	if r := runWith(t, d, "snapshot", "--org", "--endpoint-url", m.Endpoint, "--output", snapPath); r.code != ExitOK {
		t.Fatalf("snapshot: exit %d; stderr %s", r.code, r.err)
	}
	data, err := os.ReadFile(snapPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"email": "jane.doe@gmail.com"`) && !strings.Contains(string(data), `"email":"jane.doe@gmail.com"`) {
		t.Fatalf("the snapshot lacks the account email")
	}
	// Stale derived facts in the file (every account said to share its
	// address with 999999999999, and part of the organization unlisted)
	// are recomputed.
	var snap map[string]any
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	for _, a := range snap["accounts"].([]any) {
		am := a.(map[string]any)
		am["email_shared_with"], am["email_peers_unlisted"] = []string{"999999999999"}, true
	}
	tampered, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snapPath, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, _ = testDeps("")
	r = runWith(t, d, "audit", "--snapshot", snapPath, "--format", "json", "--checks", "root-email-dedicated", "--fail-on", "medium")
	if r.code != ExitFailing {
		t.Fatalf("audit --snapshot: exit %d; stderr %s", r.code, r.err)
	}
	again := findings(jsonReport(t, r.out))
	for k, f := range fs {
		if again[k]["status"] != f["status"] || again[k]["message"] != f["message"] {
			t.Errorf("%v from the snapshot: %v %v, live %v %v", k, again[k]["status"], again[k]["message"], f["status"], f["message"])
		}
	}
}

// Offline, the fleet file's email column gives the root emails of
// credential reports' accounts: two accounts listed with one address fail,
// the account the file gives no address is manual, saying where one comes
// from.
func TestAuditFleetRootEmail(t *testing.T) {
	dir, fleetPath := fleetReports(t)
	withEmail := "account_id,account_name,org_id,org_name,ou_path,iam_users,rds_instances,s3_buckets,ec2_instances,trails,email\n" +
		"012345678901,Payments Prod,,,,,,,,,aws-root@example.com\n" +
		"278368863034,Sandbox,,,,,,,,,AWS-Root@Example.com\n" +
		"999999999999,Data,,,,,,,,,\n"
	mustDo(t, os.WriteFile(fleetPath, []byte(withEmail), 0o644))
	r := run(t, "audit", "--credential-report", dir, "--fleet", fleetPath, "--format", "json", "--fail-on", "none", "--checks", "root-email-dedicated")
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	for id, want := range map[string]struct{ status, message string }{
		"012345678901": {"fail", "the root email address is also the root email of 278368863034"},
		"278368863034": {"fail", "the root email address is also the root email of 012345678901"},
		"999999999999": {"manual", "the root user's email address is not known (credential reports hold none): a live --org audit reads it from AWS Organizations, or give it in the fleet file's email column"},
	} {
		if f := fs[[2]string{id, "root-email-dedicated"}]; f["status"] != want.status || f["message"] != want.message {
			t.Errorf("%s: %v %q, want %s %q", id, f["status"], f["message"], want.status, want.message)
		}
	}
	// Without the column, the check is not run (no account has an email).
	mustDo(t, os.WriteFile(fleetPath, []byte(fleetCSV), 0o644))
	r = run(t, "audit", "--credential-report", dir, "--fleet", fleetPath, "--format", "json", "--fail-on", "none")
	if f := findings(jsonReport(t, r.out)); f[[2]string{"012345678901", "root-email-dedicated"}] != nil || !strings.Contains(r.err, "root-email-dedicated") {
		t.Errorf("root-email-dedicated ran without emails; stderr %s", r.err)
	}
}

// When part of the organization cannot be listed (an OU denied, from a
// fake over moto), no account's root email is proven unique: the listed
// accounts' root-email-dedicated says error, the run exits 3.
func TestAuditOrgRootEmailDeniedOU_FakeDeniedRootRowReportTime(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	cfg, err := collect.LoadConfig(context.Background(), collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	org := organizations.NewFromConfig(cfg)
	roots, err := org.ListRoots(context.Background(), &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	ous, err := org.ListOrganizationalUnitsForParent(context.Background(), &organizations.ListOrganizationalUnitsForParentInput{ParentId: roots.Roots[0].Id})
	if err != nil {
		t.Fatal(err)
	}
	var workloads string
	for _, ou := range ous.OrganizationalUnits {
		if aws.ToString(ou.Name) == "Workloads" {
			workloads = aws.ToString(ou.Id)
		}
	}
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	d.OrgAPI = func(cfg aws.Config) collect.OrgAPI { return deniedOU{organizations.NewFromConfig(cfg), workloads} }
	r := runWith(t, d, "audit", "--org", "--endpoint-url", m.Endpoint, "--format", "json", "--checks", "root-email-dedicated")
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", r.code, r.err)
	}
	fs := findings(jsonReport(t, r.out))
	for _, id := range []string{"123456789012", ids["audit"]} {
		f := fs[[2]string{id, "root-email-dedicated"}]
		if f["status"] != "error" || f["message"] != "some of the organization's accounts were not listed (see errors): whether another account shares this root email address is not known" {
			t.Errorf("%s: %v %v", id, f["status"], f["message"])
		}
	}
	if len(fs) != 2 {
		t.Errorf("%d findings, want 2 (the listed accounts)", len(fs))
	}
}
