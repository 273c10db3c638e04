// Package demo builds the bundled demo organization: a dozen accounts in a
// few OUs whose credential reports exercise every outcome of every check.
// The reports are generated as `aws iam get-credential-report` would print
// them and go through the real parser, so the demo exercises what a user's
// files do. Times are relative to the moment given, so the demo always looks
// current and is deterministic for a fixed clock.
package demo

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/trail"
)

// OrgID is the demo organization's ID.
const OrgID = "o-demo7rootw1"

// ManagementAccount is the demo organization's management account.
const ManagementAccount = "210987654321"

type key struct {
	active          bool
	rotated, used   time.Duration // before the report; 0 = N/A
	region, service string
}

type spec struct {
	id, name, ou string
	created      time.Duration // before the report
	reportAge    time.Duration // report generated this long before now
	password     string        // true, false, not_supported
	pwUsed       time.Duration // 0 = no_information (or N/A without a password)
	mfa          bool
	keys         [2]key
	cert         bool
	users        int
	// noContacts lists the alternate contacts the account lacks.
	noContacts []string
	// budget: "" a monthly budget with alerts, "silent" one without, "none".
	budget string
	// alarm: "" the organization trail's chain, judged in the management
	// account; "own-no-alarm" an own trail and filter without an alarm;
	// "no-trail" no trail at all.
	alarm string
	why   string
}

func fleet() []spec {
	const d = 24 * time.Hour
	return []spec{
		{id: ManagementAccount, name: "management", ou: "Root", created: 2400 * d, password: "true", pwUsed: 20 * d, mfa: true, users: 4,
			why: "management account: MFA, no keys, root last used 20 days ago"},
		{id: "210987654322", name: "security-tooling", ou: "Root/Security", created: 2000 * d, password: "false", users: 2,
			why: "member created by Organizations: root never had credentials"},
		{id: "210987654323", name: "log-archive", ou: "Root/Security", created: 2000 * d, password: "false", users: 1,
			why: "root credentials removed through centralized root access"},
		{id: "210987654324", name: "payments-prod", ou: "Root/Workloads/Prod", created: 1500 * d, password: "true", pwUsed: 90 * d, mfa: true, users: 37,
			keys: [2]key{{active: true, rotated: 420 * d, used: 2 * d, region: "eu-west-1", service: "s3"}},
			why:  "active root key, 420 days old, used 2 days ago"},
		{id: "210987654325", name: "web-prod", ou: "Root/Workloads/Prod", created: 1300 * d, password: "true", pwUsed: 2 * d, users: 12, noContacts: []string{"security"},
			why: "root signed in 2 days ago, no MFA"},
		{id: "210987654326", name: "data-lake-prod", ou: "Root/Workloads/Prod", created: 900 * d, password: "true", pwUsed: 300 * d, mfa: true, users: 61,
			keys: [2]key{{rotated: 700 * d, used: 650 * d, region: "us-east-1", service: "iam"}, {active: true, rotated: 60 * d, used: 3 * d, region: "us-east-1", service: "glue"}},
			why:  "only the second key slot is active and was used 3 days ago"},
		{id: "210987654327", name: "staging", ou: "Root/Workloads/NonProd", created: 800 * d, password: "true", mfa: true, users: 9,
			keys: [2]key{{active: true, rotated: 30 * d}},
			why:  "active root key created 30 days ago, never used"},
		{id: "210987654328", name: "sandbox", ou: "Root/Workloads/NonProd", created: 600 * d, password: "true", pwUsed: 20 * d, mfa: true, users: 3, noContacts: []string{"billing", "operations"}, budget: "none", alarm: "no-trail",
			keys: [2]key{{rotated: 500 * d, used: 20 * d, region: "us-west-2", service: "ec2"}},
			why:  "inactive root key used 20 days ago; root signed in 20 days ago"},
		{id: "210987654329", name: "ml-platform", ou: "Root/Workloads/NonProd", created: 12 * d, password: "true", pwUsed: 1 * d, mfa: true, users: 2, budget: "silent",
			why: "account created 12 days ago: root used yesterday to set it up"},
		{id: "210987654330", name: "legacy-billing", ou: "Root/Legacy", created: 3200 * d, reportAge: 380 * d, password: "not_supported", pwUsed: 45 * d, users: 7,
			noContacts: []string{"billing", "operations", "security"}, alarm: "own-no-alarm",
			cert: true,
			why:  "old report (password_enabled not_supported), no MFA, active signing certificate"},
		{id: "210987654331", name: "shared-network", ou: "Root/Infrastructure", created: 1700 * d, password: "true", mfa: true, users: 5,
			why: "clean: MFA, no keys, root never used"},
		{id: "210987654332", name: "ci-tooling", ou: "Root/Infrastructure", created: 1100 * d, password: "false", users: 14,
			keys: [2]key{{active: true, rotated: 200 * d, used: 5 * d, region: "us-east-1", service: "sts"}, {active: true, rotated: 95 * d}},
			why:  "no password but two active root keys and no MFA; one key used 5 days ago"},
	}
}

// logSpan is how far back the demo organization's trail was read: its log
// holds the last 30 days' root activity, and the reports are up to some
// hours older than the audit, so a 30-day window is covered.
const logSpan = 35 * 24 * time.Hour

// Snapshot returns the demo organization as of now.
func Snapshot(now time.Time) (*model.Snapshot, error) {
	now = now.UTC().Truncate(time.Minute)
	snap := &model.Snapshot{
		CollectedAt:   now,
		Organizations: []model.Organization{{ID: OrgID, ManagementAccount: ManagementAccount, FeatureSet: "ALL"}},
	}
	events, err := activity(now)
	if err != nil {
		return nil, fmt.Errorf("demo CloudTrail: %w", err)
	}
	for _, s := range fleet() {
		generated := now.Add(-time.Hour - s.reportAge)
		src := fmt.Sprintf("demo/%s-%s.json", s.id, s.name)
		rep, err := credreport.Parse(src, cliJSON(s, generated))
		if err != nil {
			return nil, fmt.Errorf("demo account %s: %w", s.id, err)
		}
		root := rep.Root
		trails, alarm := monitoring(s)
		var guard *model.SCPGuardrail
		if s.id != ManagementAccount {
			guard = guardrail(s)
		}
		snap.Accounts = append(snap.Accounts, model.Account{
			ID:           rep.Account,
			Name:         s.name,
			Partition:    rep.Partition,
			Org:          OrgID,
			OUPath:       s.ou,
			IsManagement: s.id == ManagementAccount,
			CreatedAt:    root.CreatedAt,
			CredentialReport: &model.CredentialReportInfo{
				Source: src, GeneratedAt: rep.GeneratedAt, GeneratedAtSource: "report",
			},
			Root:            &root,
			IAMUsers:        rep.Users,
			Contacts:        contacts(s),
			Budgets:         budgets(s, now),
			Trails:          trails,
			SCP:             guard,
			CentralizedRoot: &model.CentralizedRoot{CredentialsManagement: true, RootSessions: true},
			Assets:          assets(s, len(*trails)),
			RootUsageAlarm:  alarm,
			CloudTrail:      &model.RootActivity{Since: now.Add(-logSpan), Until: now, Events: orEmpty(events[s.id]), Coverage: &model.LogCoverage{ReadFrom: now.Add(-logSpan), ReadTo: now, Files: 1}},
		})
	}
	snap.ResolveElsewhereAlarms()
	return snap, nil
}

// CloudTrailLog is what the demo organization's trail recorded of root in
// the last 30 days, as one CloudTrail log file ({"Records":[...]}), in step
// with the reports' last use: web-prod's root signed in without MFA,
// payments-prod's and data-lake-prod's keys are in use, someone keeps
// guessing legacy-billing's password, ml-platform's sign-in record does
// not say whether MFA was used, and the management account opened a
// centralized-root session into log-archive. Other principals' records sit
// among them, as in a real trail.
func CloudTrailLog(now time.Time) []byte {
	now = now.UTC().Truncate(time.Minute)
	const d = 24 * time.Hour
	type rec = map[string]any
	var recs []rec
	n := 0
	add := func(s spec, ago time.Duration, source, name string, identity rec, fields rec) {
		t := now.Add(-ago)
		n++
		r := rec{"eventVersion": "1.10", "userIdentity": identity, "eventTime": t.Format(time.RFC3339), "eventSource": source,
			"eventName": name, "awsRegion": "us-east-1", "eventID": fmt.Sprintf("%08x-demo-%s-%04d", t.Unix(), s.id[8:], n),
			"eventType": "AwsApiCall", "recipientAccountId": s.id}
		for k, v := range fields {
			r[k] = v
		}
		recs = append(recs, r)
	}
	root := func(s spec, key string) rec {
		return rec{"type": "Root", "principalId": s.id, "arn": "arn:aws:iam::" + s.id + ":root", "accountId": s.id, "accessKeyId": key}
	}
	login := func(s spec, ago time.Duration, ok bool, mfa, ip string) {
		outcome, extra := "Success", rec{"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No"}
		if !ok {
			outcome = "Failure"
		}
		if mfa != "" {
			extra["MFAUsed"] = mfa
		}
		add(s, ago, "signin.amazonaws.com", "ConsoleLogin", root(s, ""), rec{"eventType": "AwsConsoleSignIn", "sourceIPAddress": ip,
			"userAgent":        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
			"responseElements": rec{"ConsoleLogin": outcome}, "additionalEventData": extra})
	}
	keyCall := func(s spec, ago time.Duration, source, name, ip string) {
		add(s, ago, source, name, root(s, "AKIA"+strings.ToUpper(strings.ReplaceAll(s.name, "-", "")[:4])+"DEMO"+s.id[8:]), rec{"sourceIPAddress": ip, "userAgent": "aws-cli/2.17.0 Python/3.12"})
	}
	for _, s := range fleet() {
		switch s.name {
		case "management":
			login(s, 20*d, true, "Yes", "192.0.2.10")
			// A centralized-root session into log-archive, to audit its root.
			add(s, 6*d, "sts.amazonaws.com", "AssumeRoot", rec{"type": "AssumedRole", "principalId": "AROADEMOSECOPS:alice",
				"arn": "arn:aws:sts::" + s.id + ":assumed-role/SecurityOps/alice", "accountId": s.id, "accessKeyId": "ASIADEMOSECOPS0001",
				"sessionContext": rec{"attributes": rec{"creationDate": now.Add(-6*d - time.Hour).Format(time.RFC3339), "mfaAuthenticated": "true"}}},
				rec{"sourceIPAddress": "192.0.2.10", "userAgent": "aws-cli/2.17.0", "requestParameters": rec{"targetPrincipal": "210987654323",
					"taskPolicyArn": rec{"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}},
					"responseElements": rec{"credentials": rec{"accessKeyId": "ASIADEMOROOTSESSION1"}}})
		case "log-archive":
			add(s, 6*d-time.Minute, "iam.amazonaws.com", "GetLoginProfile", rec{"type": "Root", "principalId": s.id, "arn": "arn:aws:iam::" + s.id + ":root",
				"accountId": s.id, "accessKeyId": "ASIADEMOROOTSESSION1", "sessionContext": rec{"attributes": rec{"creationDate": now.Add(-6 * d).Format(time.RFC3339), "mfaAuthenticated": "false"}}},
				rec{"sourceIPAddress": "192.0.2.10", "errorCode": "NoSuchEntityException"})
		case "web-prod":
			login(s, 2*d, true, "No", "198.51.100.23")
			id := root(s, "ASIAWEBPRODCONSOLE1")
			id["sessionContext"] = rec{"attributes": rec{"creationDate": now.Add(-2 * d).Format(time.RFC3339), "mfaAuthenticated": "false"}}
			add(s, 2*d-5*time.Minute, "iam.amazonaws.com", "ListUsers", id, rec{"sourceIPAddress": "198.51.100.23", "sessionCredentialFromConsole": "true"})
		case "payments-prod":
			for i := range 3 {
				keyCall(s, 2*d+time.Duration(i)*time.Hour, "s3.amazonaws.com", "GetObject", "203.0.113.40")
			}
		case "data-lake-prod":
			keyCall(s, 3*d, "glue.amazonaws.com", "StartJobRun", "203.0.113.41")
		case "sandbox":
			login(s, 20*d, true, "Yes", "192.0.2.55")
		case "ml-platform":
			login(s, 1*d, true, "", "192.0.2.77")
			add(s, 1*d-10*time.Minute, "iam.amazonaws.com", "EnableMFADevice", root(s, "ASIAMLPLATFORMCON01"), rec{"sourceIPAddress": "192.0.2.77",
				"sessionCredentialFromConsole": "true", "requestParameters": rec{"userName": "AWS ROOT USER", "serialNumber": "arn:aws:iam::" + s.id + ":mfa/root-account-mfa-device"}})
		case "legacy-billing":
			for i := range 6 {
				login(s, 3*d+time.Duration(i)*time.Minute, false, "No", "203.0.113.77")
			}
		case "ci-tooling":
			keyCall(s, 5*d, "sts.amazonaws.com", "GetCallerIdentity", "203.0.113.90")
		}
		// Everyone else's work, which the reader passes over.
		add(s, 4*d, "ec2.amazonaws.com", "DescribeInstances", rec{"type": "AssumedRole", "principalId": "AROADEMOCI:deploy",
			"arn": "arn:aws:sts::" + s.id + ":assumed-role/ci-deployer/deploy", "accountId": s.id, "accessKeyId": "ASIADEMOCI" + s.id[8:]},
			rec{"sourceIPAddress": "10.0.12.7", "userAgent": "terraform/1.9.0"})
	}
	slices.SortStableFunc(recs, func(a, b rec) int { return strings.Compare(a["eventTime"].(string), b["eventTime"].(string)) })
	b, _ := json.Marshal(map[string]any{"Records": recs})
	return b
}

// CloudTrailSource names the demo log in events and evidence.
const CloudTrailSource = "demo/cloudtrail.json"

// activity reads the demo log through the real reader and classifier and
// returns each account's root events, newest first.
func activity(now time.Time) (map[string][]model.RootEvent, error) {
	out := map[string][]model.RootEvent{}
	_, err := trail.Scan(context.Background(), func(ctx context.Context, yield func(trail.Input, error) bool) {
		yield(trail.Input{Name: CloudTrailSource, Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(CloudTrailLog(now))), nil
		}}, nil)
	}, trail.ScanOptions{Workers: 1}, func(ev trail.Event) error {
		if ev.Kind != trail.KindAssumeRoot {
			out[ev.Account] = append(out[ev.Account], model.RootEvent{ID: ev.EventID, Time: ev.EventTime, Kind: ev.Kind, Name: ev.EventName,
				Success: ev.Success, MFA: ev.MFA, Session: ev.Session, AccessKeyID: ev.AccessKeyID, SourceIP: ev.SourceIP, Region: ev.Region, Source: ev.Source})
		}
		return nil
	}, nil)
	for id := range out {
		slices.SortStableFunc(out[id], func(a, b model.RootEvent) int { return b.Time.Compare(a.Time) })
	}
	return out, err
}

func orEmpty(evs []model.RootEvent) []model.RootEvent {
	if evs == nil {
		return []model.RootEvent{}
	}
	return evs
}

// contacts are the demo account's alternate contacts: team mailboxes,
// except those the spec leaves out.
func contacts(s spec) *model.Contacts {
	c := &model.Contacts{}
	for _, t := range []struct {
		kind string
		into **model.Contact
	}{{"billing", &c.Billing}, {"operations", &c.Operations}, {"security", &c.Security}} {
		if slices.Contains(s.noContacts, t.kind) {
			continue
		}
		*t.into = &model.Contact{Name: t.kind + " team", Title: t.kind, Email: t.kind + "+" + s.name + "@example.com", Phone: "+1 555 0100"}
	}
	return c
}

// monitoring returns the demo account's trails and root-usage chain.
func monitoring(s spec) (*[]model.Trail, *model.RootUsageAlarm) {
	orgTrail := model.Trail{Name: "org-trail", ARN: "arn:aws:cloudtrail:us-east-1:" + ManagementAccount + ":trail/org-trail",
		HomeRegion: "us-east-1", MultiRegion: true, Organization: true, Logging: true,
		LogGroupARN: "arn:aws:logs:us-east-1:" + ManagementAccount + ":log-group:org-trail:*"}
	switch {
	case s.alarm == "no-trail":
		return &[]model.Trail{}, &model.RootUsageAlarm{Missing: "no trail: CloudTrail does not record this account's activity"}
	case s.alarm == "own-no-alarm":
		own := model.Trail{Name: "legacy", ARN: "arn:aws:cloudtrail:eu-west-1:" + s.id + ":trail/legacy", HomeRegion: "eu-west-1",
			MultiRegion: true, Logging: true, LogGroupARN: "arn:aws:logs:eu-west-1:" + s.id + ":log-group:legacy:*"}
		return &[]model.Trail{own}, &model.RootUsageAlarm{Missing: "no alarm on metric CISBenchmark/RootUsage", Trail: "legacy",
			LogGroup: "legacy", Filter: "RootUsage", Metric: "CISBenchmark/RootUsage",
			FilterPattern: `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`}
	case s.id == ManagementAccount:
		return &[]model.Trail{orgTrail}, &model.RootUsageAlarm{Complete: true, Trail: "org-trail", LogGroup: "org-trail", Filter: "RootUsage",
			FilterPattern: `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`,
			Metric:        "CISBenchmark/RootUsage", Alarm: "root-usage", Topic: "arn:aws:sns:us-east-1:" + ManagementAccount + ":security-alerts",
			ConfirmedSubscriptions: 2}
	}
	return &[]model.Trail{orgTrail}, &model.RootUsageAlarm{Trail: "org-trail", LogGroup: "org-trail", ElsewhereAccount: ManagementAccount,
		Missing: "trail org-trail sends to log group org-trail in account " + ManagementAccount + ", where its metric filter and alarm live"}
}

// guardrail is the SCP guardrail on a demo member: root is denied outright
// under Root/Security, denied without MFA under Root/Workloads/NonProd, and
// not at all elsewhere (Root/Legacy has a narrower policy that is noted).
func guardrail(s spec) *model.SCPGuardrail {
	full := "FullAWSAccess (p-FullAWSAccess) on r-dm01"
	switch {
	case strings.HasPrefix(s.ou, "Root/Security"):
		by := "deny-root (p-denyroot) on ou-dm01-security"
		return &model.SCPGuardrail{Kind: "deny-all", By: []string{by}, AssumedRootExempt: true, Policies: []string{full, by}}
	case strings.HasPrefix(s.ou, "Root/Workloads/NonProd"):
		by := "root-mfa (p-rootmfa1) on ou-dm01-nonprod"
		return &model.SCPGuardrail{Kind: "deny-without-mfa", By: []string{by}, Policies: []string{full, by}}
	case strings.HasPrefix(s.ou, "Root/Legacy"):
		legacy := "legacy-exceptions (p-legacy01) on ou-dm01-legacy"
		return &model.SCPGuardrail{Kind: "none", Policies: []string{full, legacy},
			Notes: []string{legacy + ": denies root only iam:CreateAccessKey, not every action"}}
	}
	return &model.SCPGuardrail{Kind: "none", Policies: []string{full}}
}

// assets are the demo account's asset counts: bigger teams, more of all.
func assets(s spec, trails int) *model.Assets {
	a := &model.Assets{IAMUsers: s.users, S3Buckets: 3 + s.users/2, EC2Instances: s.users * s.users / 4, RDSInstances: s.users / 5,
		Trails: trails, Regions: []string{"eu-west-1", "us-east-1", "us-west-2"}}
	a.Total = a.IAMUsers + a.S3Buckets + a.EC2Instances + a.RDSInstances + a.Trails
	a.Size = model.SizeOf(a.Total)
	return a
}

// budgets are the demo account's budgets, as its spec says: a monthly
// cost budget created a year before now, which runs to AWS's default end.
func budgets(s spec, now time.Time) *[]model.Budget {
	y, m, _ := now.AddDate(-1, 0, 0).Date()
	monthly := model.Budget{Name: "monthly-cost", Type: "COST", TimeUnit: "MONTHLY",
		Start: time.Date(y, m, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2087, 6, 15, 0, 0, 0, 0, time.UTC),
		Limit: &model.Spend{Amount: 1000, Unit: "USD"}, Notifications: []string{}, Alerts: &[]model.BudgetAlert{}}
	var out []model.Budget
	switch s.budget {
	case "none":
		out = []model.Budget{}
	case "silent":
		out = []model.Budget{monthly}
	default:
		monthly.Notifications = []string{"ACTUAL GREATER_THAN 80 PERCENTAGE", "FORECASTED GREATER_THAN 100 PERCENTAGE"}
		monthly.Alerts = &[]model.BudgetAlert{
			{Type: "ACTUAL", Comparison: "GREATER_THAN", Threshold: 80, ThresholdType: "PERCENTAGE"},
			{Type: "FORECASTED", Comparison: "GREATER_THAN", Threshold: 100, ThresholdType: "PERCENTAGE"}}
		out = []model.Budget{monthly}
	}
	return &out
}

// Reports returns each demo account's credential report as the CLI prints
// it, by file name, so users and tests can try the file inputs on it.
func Reports(now time.Time) map[string][]byte {
	now = now.UTC().Truncate(time.Minute)
	out := map[string][]byte{}
	for _, s := range fleet() {
		out[s.id+".json"] = cliJSON(s, now.Add(-time.Hour-s.reportAge))
	}
	return out
}

func cliJSON(s spec, generated time.Time) []byte {
	body, _ := json.Marshal(map[string]string{
		"Content":       base64.StdEncoding.EncodeToString([]byte(reportCSV(s, generated))),
		"ReportFormat":  "text/csv",
		"GeneratedTime": generated.Format(time.RFC3339),
	})
	return body
}

func reportCSV(s spec, at time.Time) string {
	ts := func(ago time.Duration) string { return at.Add(-ago).Format("2006-01-02T15:04:05+00:00") }
	orNA := func(ago time.Duration) string {
		if ago == 0 {
			return "N/A"
		}
		return ts(ago)
	}
	var b strings.Builder
	b.WriteString(strings.Join(credreport.Columns(), ","))
	b.WriteByte('\n')
	pwUsed := "no_information"
	switch {
	case s.pwUsed != 0:
		pwUsed = ts(s.pwUsed)
	case s.password == "false":
		pwUsed = "N/A"
	}
	row := []string{credreport.RootUser, model.RootARN("aws", s.id), ts(s.created), s.password, pwUsed,
		"not_supported", "not_supported", fmt.Sprint(s.mfa)}
	for _, k := range s.keys {
		region, service := "N/A", "N/A"
		if k.used != 0 {
			region, service = k.region, k.service
		}
		row = append(row, fmt.Sprint(k.active), orNA(k.rotated), orNA(k.used), region, service)
	}
	cert := "N/A"
	if s.cert {
		cert = ts(900 * 24 * time.Hour)
	}
	row = append(row, fmt.Sprint(s.cert), cert, "false", "N/A")
	b.WriteString(strings.Join(row, ","))
	b.WriteByte('\n')
	for i := range s.users {
		created := ts(time.Duration(30+i*11) * 24 * time.Hour)
		fmt.Fprintf(&b, "user%02d,arn:aws:iam::%s:user/user%02d,%s,true,%s,%s,N/A,true,true,%s,%s,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			i+1, s.id, i+1, created, ts(time.Duration(i+1)*time.Hour), created, created, ts(time.Duration(i+2)*time.Hour))
	}
	return b.String()
}
