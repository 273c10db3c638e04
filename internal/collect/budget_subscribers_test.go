package collect

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// dailyBudgetVerdict judges an account with the built-in budget-daily-alert
// rule on 2025-06-01.
func dailyBudgetVerdict(t *testing.T, a model.Account) model.Finding {
	t.Helper()
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.ID == "budget-daily-alert" {
			e, err := engine.New([]*rules.Rule{r}, engine.Options{Params: config.DefaultParams(), Now: day(2025, 6, 1)})
			if err != nil {
				t.Fatal(err)
			}
			return e.EvaluateAccount(&a)[0]
		}
	}
	t.Fatal("built-in rule budget-daily-alert not found")
	return model.Finding{}
}

// Budgets and their notifications from moto through the real SDK; the
// subscribers from a fake (moto 5.2.1 does not implement
// DescribeSubscribersForNotification), one a page. Each notification gets
// its budget's subscribers, and budget-daily-alert judges them.
func TestBudgetSubscribers_FakeSubscribersOverMoto(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	cfg := motoConfig(t, func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() })
	api := budgets.NewFromConfig(cfg)
	email := func(addr string) budgetstypes.Subscriber {
		return budgetstypes.Subscriber{SubscriptionType: budgetstypes.SubscriptionTypeEmail, Address: aws.String(addr)}
	}
	subs := map[string][]budgetstypes.Subscriber{
		"daily": {email("cloud-alerts@example.com"), email("finops@example.com"),
			{SubscriptionType: budgetstypes.SubscriptionTypeSns, Address: aws.String("arn:aws:sns:us-east-1:123456789012:billing")}},
		"daily-alone": {email("me@example.com")},
	}
	for name := range subs {
		n := budgetstypes.Notification{NotificationType: budgetstypes.NotificationTypeActual, ComparisonOperator: budgetstypes.ComparisonOperatorGreaterThan,
			Threshold: 100, ThresholdType: budgetstypes.ThresholdTypePercentage}
		if _, err := api.CreateBudget(context.Background(), &budgets.CreateBudgetInput{AccountId: aws.String(motoAccount),
			Budget: &budgetstypes.Budget{BudgetName: aws.String(name), BudgetType: budgetstypes.BudgetTypeCost, TimeUnit: budgetstypes.TimeUnitDaily,
				TimePeriod:  &budgetstypes.TimePeriod{Start: aws.Time(day(2024, 1, 1)), End: aws.Time(day(2087, 6, 15))},
				BudgetLimit: &budgetstypes.Spend{Amount: aws.String("30"), Unit: aws.String("USD")}},
			NotificationsWithSubscribers: []budgetstypes.NotificationWithSubscribers{{Notification: &n, Subscribers: subs[name]}},
		}); err != nil {
			t.Fatalf("create budget %s: %v", name, err)
		}
	}
	mu.Lock()
	calls = nil // the setup's calls are not the audit's
	mu.Unlock()
	cl := NewClients(cfg)
	fake := awstest.NewFakeBudgetSubscribers(cl.Budgets, subs)
	cl.Budgets = fake
	cs := []Collector{&Budgets{}, &BudgetSubscribers{}}
	a := model.Account{ID: motoAccount, Partition: "aws"}
	if errs := CollectAccount(context.Background(), cs, cl, &a); len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	got := map[string][]model.BudgetSubscriber{}
	for _, b := range *a.Budgets {
		if b.Alerts == nil || len(*b.Alerts) != 1 || (*b.Alerts)[0].Subscribers == nil {
			t.Fatalf("budget %s: alerts %+v", b.Name, b.Alerts)
		}
		got[b.Name] = *(*b.Alerts)[0].Subscribers
	}
	want := map[string][]model.BudgetSubscriber{
		"daily": {{Type: "EMAIL", Address: "cloud-alerts@example.com"}, {Type: "EMAIL", Address: "finops@example.com"},
			{Type: "SNS", Address: "arn:aws:sns:us-east-1:123456789012:billing"}},
		"daily-alone": {{Type: "EMAIL", Address: "me@example.com"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("subscribers:\n got %+v\nwant %+v", got, want)
	}
	// Three pages for daily, one for daily-alone.
	if *fake.Calls != 4 {
		t.Errorf("%d DescribeSubscribersForNotification calls, want 4", *fake.Calls)
	}
	checkDeclared(t, cs, calls)

	f := dailyBudgetVerdict(t, a)
	if f.Status != "pass" || f.Message != "a daily budget alerts on the day's spend: daily (ACTUAL GREATER_THAN 100 PERCENTAGE to 3 recipients)" {
		t.Errorf("budget-daily-alert = %s (%s)", f.Status, f.Message)
	}
	// Without the well-watched budget, the lone recipient fails.
	only := []model.Budget{}
	for _, b := range *a.Budgets {
		if b.Name == "daily-alone" {
			only = append(only, b)
		}
	}
	f = dailyBudgetVerdict(t, model.Account{ID: motoAccount, Partition: "aws", Budgets: &only})
	if f.Status != "fail" || !strings.Contains(f.Message, "daily-alone (ACTUAL GREATER_THAN 100 PERCENTAGE to 1 recipient)") {
		t.Errorf("budget-daily-alert on daily-alone = %s (%s)", f.Status, f.Message)
	}
}

// failingSubscribers stands in for a Budgets API that lists budgets and
// notifications but fails to list subscribers.
type failingSubscribers struct{ BudgetsAPI }

func (failingSubscribers) DescribeSubscribersForNotification(context.Context, *budgets.DescribeSubscribersForNotificationInput, ...func(*budgets.Options)) (*budgets.DescribeSubscribersForNotificationOutput, error) {
	return nil, errors.New("throttled")
}

// When the subscribers cannot be read, the budgets read stay whole (no
// subscriber recorded on any alert), the error names the budget and the
// notification, and only budget-daily-alert says error: budget-alert
// still judges the budgets.
func TestBudgetSubscribersFail_FakeOverMoto(t *testing.T) {
	cfg := motoConfig(t, nil)
	if _, err := budgets.NewFromConfig(cfg).CreateBudget(context.Background(), &budgets.CreateBudgetInput{AccountId: aws.String(motoAccount),
		Budget: &budgetstypes.Budget{BudgetName: aws.String("daily"), BudgetType: budgetstypes.BudgetTypeCost, TimeUnit: budgetstypes.TimeUnitDaily,
			TimePeriod:  &budgetstypes.TimePeriod{Start: aws.Time(day(2024, 1, 1)), End: aws.Time(day(2087, 6, 15))},
			BudgetLimit: &budgetstypes.Spend{Amount: aws.String("30"), Unit: aws.String("USD")}},
		NotificationsWithSubscribers: []budgetstypes.NotificationWithSubscribers{{
			Notification: &budgetstypes.Notification{NotificationType: budgetstypes.NotificationTypeActual, ComparisonOperator: budgetstypes.ComparisonOperatorGreaterThan, Threshold: 90},
			Subscribers:  []budgetstypes.Subscriber{{SubscriptionType: budgetstypes.SubscriptionTypeEmail, Address: aws.String("a@example.com")}}}},
	}); err != nil {
		t.Fatal(err)
	}
	cl := NewClients(cfg)
	cl.Budgets = failingSubscribers{cl.Budgets}
	a := model.Account{ID: motoAccount, Partition: "aws"}
	errs := CollectAccount(context.Background(), []Collector{&Budgets{}, &BudgetSubscribers{}}, cl, &a)
	if len(errs) != 1 || errs[0].Source != "budget subscribers" ||
		!strings.Contains(errs[0].Message, `read the subscribers of budget "daily"'s notification ACTUAL GREATER_THAN 90 PERCENTAGE: throttled`) {
		t.Fatalf("errors = %+v", errs)
	}
	if a.Budgets == nil || len(*a.Budgets) != 1 || (*(*a.Budgets)[0].Alerts)[0].Subscribers != nil {
		t.Fatalf("budgets = %+v", a.Budgets)
	}
	if f := dailyBudgetVerdict(t, a); f.Status != "error" {
		t.Errorf("budget-daily-alert = %s (%s), want error", f.Status, f.Message)
	}
	if f := budgetAlertVerdict(t, a, day(2025, 6, 1)); f.Status != "pass" {
		t.Errorf("budget-alert = %s (%s), want pass: the budgets were read", f.Status, f.Message)
	}
}

// Every Budgets read, the subscribers' included, is authorised by
// budgets:ViewBudget: the collector declares no other action.
func TestBudgetSubscribersAction(t *testing.T) {
	for _, op := range []string{"DescribeBudgets", "DescribeNotificationsForBudget", "DescribeSubscribersForNotification"} {
		if got := ActionName("Budgets", op); got != "budgets:ViewBudget" {
			t.Errorf("%s is authorised by %s, want budgets:ViewBudget", op, got)
		}
	}
	if got := (&BudgetSubscribers{}).Actions(); len(got) != 1 || got[0] != "budgets:ViewBudget" {
		t.Errorf("declared %v", got)
	}
}
