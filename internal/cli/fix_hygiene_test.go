package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/fix"
)

// budgetWorld keeps what moto 5.2.1 does not of Budgets: who each budget
// notification is sent to. moto keeps the budgets and their notifications
// (CreateBudget, CreateNotification and the deletes are forwarded to it)
// but implements neither DescribeSubscribersForNotification nor
// CreateSubscriber and DeleteSubscriber, which the world answers. It
// refuses with AccessDenied the subscribers and budgets deny names.
type budgetWorld struct {
	mu sync.Mutex
	// subs are the subscribers by "account/budget/notification".
	subs map[string][]budgetstypes.Subscriber
	// deny refuses "account CreateBudget" and "account CreateSubscriber ADDRESS".
	deny map[string]bool
}

func newBudgetWorld() *budgetWorld {
	return &budgetWorld{subs: map[string][]budgetstypes.Subscriber{}, deny: map[string]bool{}}
}

func noteKey(acct, budget string, n *budgetstypes.Notification) string {
	return fmt.Sprintf("%s/%s/%s %s %g %s", acct, budget, n.NotificationType, n.ComparisonOperator, n.Threshold, cmp.Or(n.ThresholdType, budgetstypes.ThresholdTypePercentage))
}

func (w *budgetWorld) denied(what string) error {
	if w.deny[what] {
		return &smithy.OperationError{ServiceID: "Budgets", OperationName: strings.Fields(what)[1],
			Err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform budgets:ModifyBudget"}}
	}
	return nil
}

// budgetFake is an account's Budgets client: moto's, with the world's
// subscribers.
type budgetFake struct {
	*budgets.Client
	w *budgetWorld
}

func (f budgetFake) CreateBudget(ctx context.Context, in *budgets.CreateBudgetInput, o ...func(*budgets.Options)) (*budgets.CreateBudgetOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.denied(aws.ToString(in.AccountId) + " CreateBudget"); err != nil {
		return nil, err
	}
	out, err := f.Client.CreateBudget(ctx, in, o...)
	if err == nil {
		for _, ns := range in.NotificationsWithSubscribers {
			f.w.subs[noteKey(aws.ToString(in.AccountId), aws.ToString(in.Budget.BudgetName), ns.Notification)] = slices.Clone(ns.Subscribers)
		}
	}
	return out, err
}

func (f budgetFake) DeleteBudget(ctx context.Context, in *budgets.DeleteBudgetInput, o ...func(*budgets.Options)) (*budgets.DeleteBudgetOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	out, err := f.Client.DeleteBudget(ctx, in, o...)
	if err == nil {
		for k := range f.w.subs {
			if strings.HasPrefix(k, aws.ToString(in.AccountId)+"/"+aws.ToString(in.BudgetName)+"/") {
				delete(f.w.subs, k)
			}
		}
	}
	return out, err
}

func (f budgetFake) CreateSubscriber(_ context.Context, in *budgets.CreateSubscriberInput, _ ...func(*budgets.Options)) (*budgets.CreateSubscriberOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.denied(aws.ToString(in.AccountId) + " CreateSubscriber " + aws.ToString(in.Subscriber.Address)); err != nil {
		return nil, err
	}
	k := noteKey(aws.ToString(in.AccountId), aws.ToString(in.BudgetName), in.Notification)
	if _, ok := f.w.subs[k]; !ok {
		return nil, &budgetstypes.NotFoundException{Message: aws.String("no such notification: " + k)}
	}
	f.w.subs[k] = append(f.w.subs[k], *in.Subscriber)
	return &budgets.CreateSubscriberOutput{}, nil
}

func (f budgetFake) DeleteSubscriber(_ context.Context, in *budgets.DeleteSubscriberInput, _ ...func(*budgets.Options)) (*budgets.DeleteSubscriberOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	k := noteKey(aws.ToString(in.AccountId), aws.ToString(in.BudgetName), in.Notification)
	n := len(f.w.subs[k])
	f.w.subs[k] = slices.DeleteFunc(f.w.subs[k], func(s budgetstypes.Subscriber) bool {
		return s.SubscriptionType == in.Subscriber.SubscriptionType && aws.ToString(s.Address) == aws.ToString(in.Subscriber.Address)
	})
	if len(f.w.subs[k]) == n {
		return nil, &budgetstypes.NotFoundException{Message: aws.String("no such subscriber")}
	}
	return &budgets.DeleteSubscriberOutput{}, nil
}

func (f budgetFake) DescribeSubscribersForNotification(_ context.Context, in *budgets.DescribeSubscribersForNotificationInput, _ ...func(*budgets.Options)) (*budgets.DescribeSubscribersForNotificationOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	subs, ok := f.w.subs[noteKey(aws.ToString(in.AccountId), aws.ToString(in.BudgetName), in.Notification)]
	if !ok {
		return nil, &budgetstypes.NotFoundException{Message: aws.String("no such notification")}
	}
	return &budgets.DescribeSubscribersForNotificationOutput{Subscribers: slices.Clone(subs)}, nil
}

// addresses are a notification's subscribers' addresses, sorted.
func (w *budgetWorld) addresses(acct string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, s := range w.subs[acct+"/rootwatch-daily/ACTUAL GREATER_THAN 100 PERCENTAGE"] {
		out = append(out, aws.ToString(s.Address))
	}
	slices.Sort(out)
	return out
}

// auditClients are the audit's clients: moto's, with the root row and
// contact information from fakes and the budgets' subscribers from the
// world.
func (w *budgetWorld) auditClients(cfg aws.Config, acct string) *collect.Clients {
	c := withFakeRootRow(cfg, acct)
	c.Budgets = budgetFake{c.Budgets.(*budgets.Client), w}
	return c
}

// hooks put the world behind fix's Budgets clients.
func (w *budgetWorld) hooks() fixHooks {
	return fixHooks{reach: func(_ string, r fix.Reach) fix.Reach {
		return func(region string) fix.Clients {
			c := r(region)
			c.Budgets = budgetFake{c.Budgets.(*budgets.Client), w}
			return c
		}
	}}
}

// hygieneFindings audits the organization's hygiene checks: status and
// message by account and check.
func hygieneFindings(t *testing.T, endpoint string, w *budgetWorld) map[[2]string]string {
	t.Helper()
	d, _, _ := testDeps("")
	d.AWSClients, d.Now = w.auditClients, time.Now
	r := runWith(t, d, "audit", "--org", "--endpoint-url", endpoint, "--checks", "alternate-contacts,security-contact-registered,budget-daily-alert",
		"--format", "json", "--fail-on", "none")
	if r.code != 0 {
		t.Fatalf("audit: exit %d: %s", r.code, r.err)
	}
	out := map[[2]string]string{}
	for k, f := range findings(jsonReport(t, r.out)) {
		out[k] = f["status"].(string) + ": " + f["message"].(string)
	}
	return out
}

const hygieneContacts = `default:
  security: {name: Security team, title: Security, email: security-team@example.com, phone: "+1 206 555 0100"}
  billing: {name: Accounts payable, email: ap@example.com, phone: "+1 206 555 0101"}
  operations: {name: Cloud operations, email: ops@example.com, phone: "+44 20 7946 0000"}
accounts:
  "%s":
    # the audit member's security contact as it is already
    security: {name: Security, title: Security, email: security@example.com, phone: "+1 555 0100"}
`

// Plan, dry run, apply, audit again, plan again, for the whole
// organization through the real SDK against moto: contacts put in each
// account, a daily budget in each. moto keeps the contacts and the
// budgets; who a budget notification goes to comes from a fake (moto
// implements no DescribeSubscribersForNotification). The audits run at
// the real time: moto starts a budget's period at the start of the real
// month.
func TestFixHygieneEndToEnd_FakeBudgetSubscribers(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	w := newBudgetWorld()
	dir := t.TempDir()
	contacts := filepath.Join(dir, "contacts.yaml")
	if err := os.WriteFile(contacts, []byte(fmt.Sprintf(hygieneContacts, ids["audit"])), 0o600); err != nil {
		t.Fatal(err)
	}
	accounts := []string{motoAccountID, ids["prod-a"], ids["prod-b"], ids["audit"]}

	before := hygieneFindings(t, m.Endpoint, w)
	for _, a := range accounts {
		for check, want := range map[string]string{
			"alternate-contacts":          "fail: no billing, operations, security contact",
			"security-contact-registered": "fail: no security contact: AWS's security notices for this account reach only the root user's email address",
			"budget-daily-alert":          "fail: no current daily cost budget over the whole bill",
		} {
			if a == ids["audit"] && check != "budget-daily-alert" {
				want = map[string]string{"alternate-contacts": "fail: no billing, operations contact", "security-contact-registered": "pass: security contact registered (Security)"}[check]
			}
			if got := before[[2]string{a, check}]; got != want {
				t.Errorf("before: %s %s: %q, want %q", a, check, got, want)
			}
		}
	}

	args := []string{"fix", "--org", "--only", "contacts,budget", "--endpoint-url", m.Endpoint, "--contacts", contacts,
		"--budget-limit", "30", "--budget-notify", "email:finops@example.com,email:cloud-alerts@example.com"}
	rec := &recorder{}
	fixRun := func(extra ...string) result {
		t.Helper()
		d, _, _ := testDeps("")
		d.AWSClients, d.AWSRecord, d.Now = w.auditClients, rec.record, time.Now
		return runFixWith(t, d, w.hooks(), append(slices.Clone(args[1:]), extra...)...)
	}

	// Named by --only without their input: blocked, saying what to give.
	d, _, _ := testDeps("")
	d.AWSClients, d.AWSRecord, d.Now = w.auditClients, rec.record, time.Now
	r := runFixWith(t, d, w.hooks(), "--org", "--only", "contacts,budget", "--endpoint-url", m.Endpoint, "--accounts", ids["prod-a"])
	if r.code != ExitPartial || !strings.Contains(r.out, "Plan: 0 step(s) in 0 account(s) to apply, 4 blocked.") ||
		!strings.Contains(r.out, "   BLOCKED: no contacts file: give --contacts FILE with the billing, operations and security contacts (name, email, phone with its country code)\n") ||
		!strings.Contains(r.out, "   BLOCKED: nobody to alert: give --budget-notify with at least two recipients (email:ADDRESS, sns:TOPIC-ARN)\n") {
		t.Errorf("without input: exit %d:\n%s\n%s", r.code, r.out, r.err)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Fatalf("blocked plan made calls: %v", calls)
	}

	// The dry run: every call, and not one mutating call made; the plan
	// saved.
	planPath := filepath.Join(dir, "plan.json")
	r = fixRun("--plan-out", planPath)
	if r.code != ExitFailing {
		t.Fatalf("dry run: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) || !slices.Contains(calls, "account:GetAlternateContact") || !slices.Contains(calls, "budgets:ViewBudget") {
		t.Fatalf("dry run calls: %v", calls)
	}
	a := ids["prod-a"]
	for _, want := range []string{
		"Plan: 15 step(s) in 4 account(s) to apply. Nothing changes without --apply.",
		"contacts/" + a + "/billing  [contacts] account " + a + " us-east-1\n   fixes: alternate-contacts ",
		`   - account:PutAlternateContact {"AlternateContactType":"BILLING","EmailAddress":"ap@example.com","Name":"Accounts payable","PhoneNumber":"+1 206 555 0101","Title":"Billing"}`,
		`   - account:PutAlternateContact {"AlternateContactType":"OPERATIONS","EmailAddress":"ops@example.com","Name":"Cloud operations","PhoneNumber":"+44 20 7946 0000","Title":"Operations"}`,
		`   - account:PutAlternateContact {"AlternateContactType":"SECURITY","EmailAddress":"security-team@example.com","Name":"Security team","PhoneNumber":"+1 206 555 0100","Title":"Security"}`,
		"budget/" + a + "/rootwatch-daily  [budget] account " + a + " us-east-1",
		`   - budgets:CreateBudget {"AccountId":"` + a + `","Budget":{"BudgetLimit":{"Amount":"30","Unit":"USD"},"BudgetName":"rootwatch-daily","BudgetType":"COST","TimeUnit":"DAILY"},` +
			`"NotificationsWithSubscribers":[{"Notification":{"ComparisonOperator":"GREATER_THAN","NotificationType":"ACTUAL","Threshold":100,"ThresholdType":"PERCENTAGE"},` +
			`"Subscribers":[{"Address":"cloud-alerts@example.com","SubscriptionType":"EMAIL"},{"Address":"finops@example.com","SubscriptionType":"EMAIL"}]}]}`,
		"contacts/" + ids["audit"] + "/operations  [contacts]",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "contacts/"+ids["audit"]+"/security") {
		t.Errorf("the audit member's security contact, already the file's, is planned:\n%s", r.out)
	}

	// Apply the saved plan.
	logPath := filepath.Join(dir, "run.jsonl")
	d, _, _ = testDeps("")
	d.AWSClients, d.AWSRecord, d.Now = w.auditClients, rec.record, time.Now
	r = runFixWith(t, d, w.hooks(), "--plan", planPath, "--endpoint-url", m.Endpoint, "--apply", "--yes", "--log", logPath)
	if r.code != 0 {
		t.Fatalf("apply: exit %d: %s\n%s", r.code, r.err, r.out)
	}
	rec.take()
	count := map[string]int{}
	for _, e := range readRunLog(t, logPath) {
		count[e.Action+" "+e.Result]++
		if e.Action == "account:PutAlternateContact" && e.Params["AlternateContactType"] == "SECURITY" && e.Account == a &&
			(len(e.Undo) != 1 || e.Undo[0].String() != `account:DeleteAlternateContact {"AlternateContactType":"SECURITY"}`) {
			t.Errorf("security contact's undo: %+v", e.Undo)
		}
	}
	if len(count) != 2 || count["account:PutAlternateContact ok"] != 11 || count["budgets:CreateBudget ok"] != 4 {
		t.Errorf("run log: %v", count)
	}
	// In moto, as the management account reads a member's.
	cfg, err := collect.LoadConfig(context.Background(), collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	got, err := account.NewFromConfig(cfg).GetAlternateContact(context.Background(), &account.GetAlternateContactInput{AccountId: aws.String(a), AlternateContactType: "OPERATIONS"})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.AlternateContact; aws.ToString(c.EmailAddress) != "ops@example.com" || aws.ToString(c.PhoneNumber) != "+44 20 7946 0000" || aws.ToString(c.Name) != "Cloud operations" {
		t.Errorf("prod-a's operations contact: %+v", c)
	}
	if got := w.addresses(ids["prod-b"]); !slices.Equal(got, []string{"cloud-alerts@example.com", "finops@example.com"}) {
		t.Errorf("prod-b's alert recipients: %v", got)
	}

	// The audit passes.
	after := hygieneFindings(t, m.Endpoint, w)
	for _, a := range accounts {
		for check, want := range map[string]string{
			"alternate-contacts":          "pass: billing, operations and security contacts registered",
			"security-contact-registered": "pass: security contact registered (Security team)",
			"budget-daily-alert":          "pass: a daily budget alerts on the day's spend: rootwatch-daily (ACTUAL GREATER_THAN 100 PERCENTAGE to 2 recipients)",
		} {
			if a == ids["audit"] && check == "security-contact-registered" {
				want = "pass: security contact registered (Security)"
			}
			if got := after[[2]string{a, check}]; got != want {
				t.Errorf("after: %s %s: %q, want %q", a, check, got, want)
			}
		}
	}

	// Again: nothing to do, nothing changed.
	r = fixRun("--apply", "--yes", "--log", filepath.Join(dir, "again.jsonl"))
	if r.code != 0 || r.out != "Nothing to do.\n" {
		t.Errorf("again: exit %d, out %q: %s", r.code, r.out, r.err)
	}
	if calls := rec.take(); slices.ContainsFunc(calls, mutating) {
		t.Errorf("the second run made calls: %v", calls)
	}
}

// AccessDenied on one account's budget step: prod-b has rootwatch-daily
// alerting one owner, and may not add the second of the two recipients
// the step adds; the first, added, is taken back, the step fails naming
// account and step, and the other accounts' budgets are made.
func TestFixHygieneBudgetDenied_FakeBudgetSubscribers(t *testing.T) {
	m := startMoto(t)
	ids := mustOrg(t, m.Endpoint)
	w := newBudgetWorld()
	b := ids["prod-b"]
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	mcfg := collect.AssumeRole(cfg, collect.RoleARN("aws", b, defaultRoleName), "")
	alert := &budgetstypes.Notification{NotificationType: "ACTUAL", ComparisonOperator: "GREATER_THAN", Threshold: 100, ThresholdType: "PERCENTAGE"}
	if _, err := (budgetFake{budgets.NewFromConfig(mcfg), w}).CreateBudget(ctx, &budgets.CreateBudgetInput{AccountId: aws.String(b),
		Budget: &budgetstypes.Budget{BudgetName: aws.String("rootwatch-daily"), BudgetType: "COST", TimeUnit: "DAILY",
			BudgetLimit: &budgetstypes.Spend{Amount: aws.String("80"), Unit: aws.String("USD")}},
		NotificationsWithSubscribers: []budgetstypes.NotificationWithSubscribers{{Notification: alert,
			Subscribers: []budgetstypes.Subscriber{{SubscriptionType: "EMAIL", Address: aws.String("owner@example.com")}}}}}); err != nil {
		t.Fatal(err)
	}
	w.deny[b+" CreateSubscriber finops@example.com"] = true

	d, _, _ := testDeps("")
	d.AWSClients, d.Now = w.auditClients, time.Now
	logPath := filepath.Join(t.TempDir(), "run.jsonl")
	r := runFixWith(t, d, w.hooks(), "--org", "--only", "budget", "--endpoint-url", m.Endpoint, "--budget-limit", "30",
		"--budget-notify", "email:finops@example.com,email:cloud-alerts@example.com", "--apply", "--yes", "--log", logPath)
	if r.code != ExitPartial {
		t.Fatalf("exit %d, want 3: %s\n%s", r.code, r.err, r.out)
	}
	for _, want := range []string{
		"applied  budget/" + motoAccountID + "/rootwatch-daily  account " + motoAccountID + "\n",
		"applied  budget/" + ids["prod-a"] + "/rootwatch-daily  account " + ids["prod-a"] + "\n",
		"applied  budget/" + ids["audit"] + "/rootwatch-daily  account " + ids["audit"] + "\n",
		"failed   budget/" + b + "/rootwatch-daily  account " + b,
		"account " + b + ", step budget/" + b + "/rootwatch-daily: budgets:CreateSubscriber: ",
		"AccessDeniedException",
	} {
		if !strings.Contains(r.out+r.err, want) {
			t.Errorf("output lacks %q:\n%s\n%s", want, r.out, r.err)
		}
	}
	var bLog []string
	for _, e := range readRunLog(t, logPath) {
		if e.Account == b {
			sub, _ := e.Params["Subscriber"].(map[string]any)
			bLog = append(bLog, fmt.Sprintf("%s %v %s rollback=%v", e.Action, sub["Address"], e.Result, e.Rollback))
		}
	}
	if want := []string{"budgets:CreateSubscriber cloud-alerts@example.com ok rollback=false", "budgets:CreateSubscriber finops@example.com error rollback=false",
		"budgets:DeleteSubscriber cloud-alerts@example.com ok rollback=true"}; !slices.Equal(bLog, want) {
		t.Errorf("prod-b's run log:\n%s\nwant:\n%s", strings.Join(bLog, "\n"), strings.Join(want, "\n"))
	}
	if got := w.addresses(b); !slices.Equal(got, []string{"owner@example.com"}) {
		t.Errorf("prod-b's recipients after the failed step: %v, want the owner only", got)
	}
	for _, a := range []string{motoAccountID, ids["prod-a"], ids["audit"]} {
		if got := w.addresses(a); !slices.Equal(got, []string{"cloud-alerts@example.com", "finops@example.com"}) {
			t.Errorf("%s's recipients: %v", a, got)
		}
	}
}

// Bad input is a usage error naming the file and line, before any call.
func TestFixHygieneBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, file, want string }{
		{"unknown key", "default:\n  security: {name: S, email: s@example.com, phone: \"+1 206 555 0100\"}\n  legal: {name: L}\n",
			`--contacts: contacts file %s: line 3: default: unknown key "legal" (want billing, operations, security)`},
		{"bad phone", "default:\n  security:\n    name: S\n    email: s@example.com\n    phone: 206-555-0100\n",
			`--contacts: contacts file %s: line 5: default security: phone "206-555-0100" has no country code`},
		{"not YAML", "default: {security: [\n", `--contacts: contacts file %s: not YAML: yaml: line 1:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			d, _, _ := testDeps("")
			d.AWSRecord = rec.record
			r := runWith(t, d, "fix", "--endpoint-url", "http://127.0.0.1:1", "--only", "contacts", "--contacts", path)
			if want := fmt.Sprintf(tc.want, path); r.code != ExitUsage || !strings.Contains(r.err, want) {
				t.Errorf("exit %d, stderr %q, want %q", r.code, r.err, want)
			}
			if calls := rec.take(); len(calls) != 0 {
				t.Errorf("calls made: %v", calls)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--budget-notify", "email:a@example.com"}, "--budget-notify: 1 recipient, want at least two"},
		{[]string{"--budget-limit", "thirty"}, `--budget-limit "thirty": want an amount of US dollars such as 30 or 12.50`},
		{[]string{"--contacts", filepath.Join(dir, "missing.yaml")}, "--contacts: open " + filepath.Join(dir, "missing.yaml") + ": no such file or directory"},
		{[]string{"--plan", filepath.Join(dir, "plan.json"), "--budget-limit", "30"}, "--plan applies a saved plan as it is: --contacts, --budget-limit and --budget-notify shape a new plan"},
	} {
		d, _, _ := testDeps("")
		r := runWith(t, d, append([]string{"fix", "--endpoint-url", "http://127.0.0.1:1"}, tc.args...)...)
		if r.code != ExitUsage || !strings.Contains(r.err, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.code, r.err, tc.want)
		}
	}
}
