package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/collect"
)

func startMoto(t *testing.T) *awstest.Moto {
	t.Helper()
	m, err := awstest.Start()
	if err != nil {
		t.Skipf("end-to-end test skipped: %v", err)
	}
	t.Cleanup(m.Stop)
	awstest.Env(t)
	return m
}

// reportTime is when the fakes say IAM generated a report: ten minutes
// before the tests' audit time (fixedNow).
var reportTime = time.Date(2026, 11, 23, 11, 50, 0, 0, time.UTC)

// motoRootRow stands in for what moto cannot emulate: its credential report
// has no <root_account> row, so one is added to the report moto generated,
// and moto stamps every report 2015-02-02, which a live audit refuses as
// older than a new report can be: the fake says reportTime instead.
type motoRootRow struct {
	collect.IAMAPI
	account string
}

func (f motoRootRow) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	out, err := f.IAMAPI.GetCredentialReport(ctx, in, o...)
	if err != nil {
		return out, err
	}
	out.Content = awstest.InsertRow(out.Content, "<root_account>,arn:aws:iam::"+f.account+":root,2014-05-01T10:00:00+00:00,true,2015-01-30T10:00:00+00:00,not_supported,not_supported,true,true,2014-12-01T00:00:00+00:00,2015-01-31T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A")
	out.GeneratedTime = aws.Time(reportTime)
	return out, nil
}

// GetAccountSummary: moto reports root's MFA and key flags as 0 whatever
// its root holds; the fake says what the root row says (MFA on, one key),
// as IAM would.
func (f motoRootRow) GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, o ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	out, err := f.IAMAPI.GetAccountSummary(ctx, in, o...)
	if err != nil {
		return out, err
	}
	out.SummaryMap["AccountMFAEnabled"] = 1
	out.SummaryMap["AccountAccessKeysPresent"] = 1
	return out, nil
}

// withFakeRootRow builds an account's real clients, with the root row
// added to moto's credential report, a realistic report time, and the
// account's contact information (moto has none of them).
func withFakeRootRow(cfg aws.Config, account string) *collect.Clients {
	c := withFakeContactInformation(cfg, account)
	c.IAM = motoRootRow{c.IAM, account}
	return c
}

// withFakeContactInformation builds an account's real clients but for
// account:GetContactInformation, which moto does not implement.
func withFakeContactInformation(cfg aws.Config, _ string) *collect.Clients {
	c := collect.NewClients(cfg)
	c.Account = awstest.NewFakeContactInformation(c.Account)
	return c
}

// ListOrganizationsFeatures stands in for what moto does not implement:
// both centralized root access features enabled.
func (motoRootRow) ListOrganizationsFeatures(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	return &iam.ListOrganizationsFeaturesOutput{OrganizationId: aws.String("o-fake"),
		EnabledFeatures: []iamtypes.FeatureType{iamtypes.FeatureTypeRootCredentialsManagement, iamtypes.FeatureTypeRootSessions}}, nil
}

// The current account, live, through the real SDK against moto, with the
// root row and the report time from a fake (moto has none, and a fixed
// time in 2015).
func TestAuditLive_FakeRootRowReportTimeAndContactInfo(t *testing.T) {
	m := startMoto(t)
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	r := runWith(t, d, "audit", "--endpoint-url", m.Endpoint, "--format", "json")
	if r.code != ExitFailing {
		t.Fatalf("exit %d, want 1; stderr %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	fs := findings(doc)
	if len(fs) != numRulesFor(t, "contacts", "primary_contact", "budgets", "root_usage_alarm") {
		t.Fatalf("%d findings", len(fs))
	}
	for check, want := range map[string]string{"root-access-key-present": "fail", "root-mfa-enabled": "pass", "root-hardware-mfa": "pass"} {
		if f := fs[[2]string{"123456789012", check}]; f["status"] != want {
			t.Errorf("%s: %v %v, want %s", check, f["status"], f["message"], want)
		}
	}
	acct := doc["accounts"].([]any)[0].(map[string]any)
	if _, ok := acct["assets"]; ok {
		t.Errorf("asset counts collected without --assets: %v", acct["assets"])
	}
	cr := acct["credential_report"].(map[string]any)
	if cr["source"] != "iam:GetCredentialReport of account 123456789012" || cr["generated_at"] != "2026-11-23T11:50:00Z" {
		t.Errorf("credential report = %v", cr)
	}
}

// --assets adds the size bucket's asset counts, which no check needs and a
// run does not collect by default (two calls in every enabled region).
func TestSnapshotAssets_FakeRootRowReportTimeAndContactInfo(t *testing.T) {
	m := startMoto(t)
	d, _, _ := testDeps("")
	d.AWSClients = withFakeRootRow
	r := runWith(t, d, "snapshot", "--endpoint-url", m.Endpoint, "--assets")
	if r.code != ExitOK {
		t.Fatalf("exit %d; stderr %s", r.code, r.err)
	}
	var snap struct {
		Accounts []struct {
			Assets *struct {
				Regions []string `json:"regions"`
				Size    string   `json:"size"`
			} `json:"assets"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(r.out), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 1 || snap.Accounts[0].Assets == nil || len(snap.Accounts[0].Assets.Regions) == 0 || snap.Accounts[0].Assets.Size == "" {
		t.Errorf("snapshot --assets: %s", r.out)
	}
	// The audit's JSON report shows them too.
	d2, _, _ := testDeps("")
	d2.AWSClients = withFakeRootRow
	a := runWith(t, d2, "audit", "--endpoint-url", m.Endpoint, "--assets", "--format", "json")
	if acct := jsonReport(t, a.out)["accounts"].([]any)[0].(map[string]any); acct["assets"] == nil || acct["assets"].(map[string]any)["size"] == "" {
		t.Errorf("audit --assets: %v", acct)
	}
}

// A collector that fails leaves its checks in error, never passing, and the
// run exits 3 with the failure under errors.
func TestAuditLiveCollectorFailure_FakeContactInformation(t *testing.T) {
	m := startMoto(t)
	d, _, _ := testDeps("")
	d.AWSClients = withFakeContactInformation
	r := runWith(t, d, "audit", "--endpoint-url", m.Endpoint, "--format", "json")
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3; stderr %s", r.code, r.err)
	}
	doc := jsonReport(t, r.out)
	for _, f := range doc["findings"].([]any) {
		fm := f.(map[string]any)
		check, st := fm["check"].(string), fm["status"]
		fromReport := (strings.HasPrefix(check, "root-") && check != "root-usage-alarm" && check != "root-scp-guardrail")
		switch {
		case fromReport && st != "error":
			t.Errorf("%v: %v without a credential report", check, st)
		case !fromReport && st == "error":
			t.Errorf("%v: error, though its facts do not come from the credential report", check)
		}
	}
	errs := doc["errors"].([]any)
	if len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "no <root_account> row") {
		t.Errorf("errors = %v", errs)
	}
}

// The printed policy for the management account holds exactly what the
// collectors declare, and what the live audit calls is in it (checked end
// to end in internal/collect). The literal lists of every --for value are
// in permissions_test.go.
func TestPermissions(t *testing.T) {
	r := run(t, "permissions", "--for", "management")
	var doc struct {
		Version   string
		Statement []struct {
			Sid, Effect, Resource string
			Action                []string
		}
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || s.Resource != "*" {
			t.Errorf("statement %+v", s)
		}
		all = append(all, s.Action...)
	}
	want := append(append(collect.BaseActions(), collect.OrgActions()...), collect.Actions(collect.AllCollectors(collect.Options{}))...)
	want = append(want, "sts:AssumeRoot")
	slices.Sort(all)
	slices.Sort(want)
	if doc.Version != "2012-10-17" || !slices.Equal(all, want) {
		t.Errorf("policy actions %v, want %v", all, want)
	}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			if a == "iam:GenerateCredentialReport" && s.Sid != "RootwatchGenerateCredentialReport" {
				t.Errorf("the one non-read action is not in a statement of its own")
			}
		}
	}
	// The member role needs no organization, AssumeRole or AssumeRoot.
	member := run(t, "permissions", "--for", "member").out
	for _, a := range []string{"organizations:", "sts:AssumeRole", "sts:AssumeRoot"} {
		if strings.Contains(member, a) {
			t.Errorf("member policy holds %s", a)
		}
	}
	if !strings.Contains(member, "iam:GetCredentialReport") || !strings.Contains(run(t, "permissions", "--for", "management").out, "organizations:ListRoots") {
		t.Error("member or management policy lacks what it needs")
	}
	if r := run(t, "permissions", "--for", "everyone"); r.code != ExitUsage {
		t.Errorf("--for everyone: exit %d", r.code)
	}
}

// motoReportTime adds a root row to moto's credential report and keeps
// moto's own report time (2015-02-02T20:02:02Z), as an emulator or a
// wrong clock gives it.
type motoReportTime struct {
	collect.IAMAPI
	row string
}

func (f motoReportTime) GetCredentialReport(ctx context.Context, in *iam.GetCredentialReportInput, o ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	out, err := f.IAMAPI.GetCredentialReport(ctx, in, o...)
	if err != nil {
		return out, err
	}
	out.Content = awstest.InsertRow(out.Content, f.row)
	return out, nil
}

// A live report is checked like a file: one stamped 2015 (moto's time)
// whose root key was rotated 337 days before the audit is generated
// before its own facts, and one whose facts are all older is far older
// than a report IAM was just asked for. Either is an error for the
// account (exit 3), never judged: root-access-key-stale passed on it.
func TestAuditLiveReportTimeChecked_FakeRootRowMotoReportTime(t *testing.T) {
	m := startMoto(t)
	for _, tc := range []struct {
		name, row, says string
	}{
		{"stamped before its key's rotation",
			"<root_account>,arn:aws:iam::123456789012:root,2014-05-01T10:00:00+00:00,false,N/A,not_supported,not_supported,true,true,2025-12-21T12:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
			"the report says it was generated at 2015-02-02T20:02:02Z, before its access_key_1_last_rotated of root (2025-12-21T12:00:00Z)"},
		{"far older than a new report",
			"<root_account>,arn:aws:iam::123456789012:root,2014-05-01T10:00:00+00:00,false,N/A,not_supported,not_supported,true,true,2014-12-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
			"gave one generated at 2015-02-02T20:02:02Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := m.Reset(); err != nil {
				t.Fatal(err)
			}
			d, _, _ := testDeps("")
			d.AWSClients = func(cfg aws.Config, account string) *collect.Clients {
				c := withFakeContactInformation(cfg, account)
				c.IAM = motoReportTime{c.IAM, tc.row}
				return c
			}
			r := runWith(t, d, "audit", "--endpoint-url", m.Endpoint, "--format", "json")
			if r.code != ExitPartial {
				t.Fatalf("exit %d, want 3; stderr %s", r.code, r.err)
			}
			doc := jsonReport(t, r.out)
			errs := doc["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("errors = %v, want the credential report's", errs)
			}
			if e := errs[0].(map[string]any); e["account"] != "123456789012" || e["source"] != "credential report" || !strings.Contains(e["message"].(string), tc.says) {
				t.Errorf("error = %v, want it to say %q", e, tc.says)
			}
			fs := findings(doc)
			for _, check := range []string{"root-access-key-stale", "root-access-key-present", "root-mfa-enabled"} {
				if f := fs[[2]string{"123456789012", check}]; f["status"] != "error" {
					t.Errorf("%s: %v %v, want error", check, f["status"], f["message"])
				}
			}
		})
	}
}

// --api-timeout is a live audit's: refused with file inputs, and it must
// bound something.
func TestAPITimeoutFlag(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "--demo", "--api-timeout", "5s"},
		{"audit", "--api-timeout", "0s"},
		{"audit", "--api-timeout", "-1s"},
	} {
		if r := run(t, args...); r.code != ExitUsage || !strings.Contains(r.err, "--api-timeout") {
			t.Errorf("%v: exit %d %s, want 2 naming --api-timeout", args, r.code, r.err)
		}
	}
}
