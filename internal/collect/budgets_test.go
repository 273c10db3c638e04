package collect

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// budgetCase is one budget created in moto, the facts the collector must
// record for it, and the budget-alert verdict on an account that has only
// that budget.
type budgetCase struct {
	budget        budgetstypes.Budget
	notifications []budgetstypes.Notification
	want          model.Budget
	verdict       string
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func budgetCases() []budgetCase {
	cost := func(name string, start, end time.Time, limit string) budgetstypes.Budget {
		return budgetstypes.Budget{BudgetName: aws.String(name), BudgetType: budgetstypes.BudgetTypeCost, TimeUnit: budgetstypes.TimeUnitMonthly,
			TimePeriod:  &budgetstypes.TimePeriod{Start: aws.Time(start), End: aws.Time(end)},
			BudgetLimit: &budgetstypes.Spend{Amount: aws.String(limit), Unit: aws.String("USD")}}
	}
	notif := func(typ budgetstypes.NotificationType, op budgetstypes.ComparisonOperator, threshold float64, tt budgetstypes.ThresholdType) budgetstypes.Notification {
		return budgetstypes.Notification{NotificationType: typ, ComparisonOperator: op, Threshold: threshold, ThresholdType: tt}
	}
	from, forever := day(2024, 1, 1), day(2087, 6, 15)
	alerts := func(as ...model.BudgetAlert) *[]model.BudgetAlert {
		if as == nil {
			as = []model.BudgetAlert{}
		}
		return &as
	}
	usd := func(a float64) *model.Spend { return &model.Spend{Amount: a, Unit: "USD"} }
	ri := budgetstypes.Budget{BudgetName: aws.String("ri-utilization"), BudgetType: budgetstypes.BudgetTypeRIUtilization, TimeUnit: budgetstypes.TimeUnitMonthly,
		TimePeriod:  &budgetstypes.TimePeriod{Start: aws.Time(from), End: aws.Time(forever)},
		BudgetLimit: &budgetstypes.Spend{Amount: aws.String("90"), Unit: aws.String("PERCENTAGE")}}
	filtered := cost("ec2-only", from, forever, "100")
	//lint:ignore SA1019 budgets made with the deprecated CostFilters still exist
	filtered.CostFilters = map[string][]string{"Service": {"Amazon Elastic Compute Cloud - Compute"}}
	return []budgetCase{
		{cost("monthly", from, forever, "100"), []budgetstypes.Notification{
			// No ThresholdType: AWS's default, PERCENTAGE.
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorGreaterThan, 80, ""),
			notif(budgetstypes.NotificationTypeForecasted, budgetstypes.ComparisonOperatorGreaterThan, 100, budgetstypes.ThresholdTypePercentage)},
			model.Budget{Name: "monthly", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(100),
				Notifications: []string{"ACTUAL GREATER_THAN 80 PERCENTAGE", "FORECASTED GREATER_THAN 100 PERCENTAGE"},
				Alerts: alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "GREATER_THAN", Threshold: 80, ThresholdType: "PERCENTAGE"},
					model.BudgetAlert{Type: "FORECASTED", Comparison: "GREATER_THAN", Threshold: 100, ThresholdType: "PERCENTAGE"})},
			"pass"},
		{cost("ended-2019", day(2018, 1, 1), day(2019, 12, 31), "100"), []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorGreaterThan, 80, budgetstypes.ThresholdTypePercentage)},
			model.Budget{Name: "ended-2019", Type: "COST", TimeUnit: "MONTHLY", Start: day(2018, 1, 1), End: day(2019, 12, 31), Limit: usd(100),
				Notifications: []string{"ACTUAL GREATER_THAN 80 PERCENTAGE"},
				Alerts:        alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "GREATER_THAN", Threshold: 80, ThresholdType: "PERCENTAGE"})},
			"fail"},
		{ri, []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorLessThan, 80, budgetstypes.ThresholdTypePercentage)},
			model.Budget{Name: "ri-utilization", Type: "RI_UTILIZATION", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: &model.Spend{Amount: 90, Unit: "PERCENTAGE"},
				Notifications: []string{"ACTUAL LESS_THAN 80 PERCENTAGE"},
				Alerts:        alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "LESS_THAN", Threshold: 80, ThresholdType: "PERCENTAGE"})},
			"fail"},
		{cost("less-than", from, forever, "100"), []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorLessThan, 80, budgetstypes.ThresholdTypePercentage)},
			model.Budget{Name: "less-than", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(100),
				Notifications: []string{"ACTUAL LESS_THAN 80 PERCENTAGE"},
				Alerts:        alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "LESS_THAN", Threshold: 80, ThresholdType: "PERCENTAGE"})},
			"fail"},
		{cost("tenfold", from, forever, "100"), []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeForecasted, budgetstypes.ComparisonOperatorGreaterThan, 1000, budgetstypes.ThresholdTypePercentage)},
			model.Budget{Name: "tenfold", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(100),
				Notifications: []string{"FORECASTED GREATER_THAN 1000 PERCENTAGE"},
				Alerts:        alerts(model.BudgetAlert{Type: "FORECASTED", Comparison: "GREATER_THAN", Threshold: 1000, ThresholdType: "PERCENTAGE"})},
			"fail"},
		{cost("absolute", from, forever, "500.50"), []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorGreaterThan, 400, budgetstypes.ThresholdTypeAbsoluteValue)},
			model.Budget{Name: "absolute", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(500.5),
				Notifications: []string{"ACTUAL GREATER_THAN 400 ABSOLUTE_VALUE"},
				Alerts:        alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "GREATER_THAN", Threshold: 400, ThresholdType: "ABSOLUTE_VALUE"})},
			"pass"},
		{cost("absolute-over", from, forever, "500"), []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorGreaterThan, 600, budgetstypes.ThresholdTypeAbsoluteValue)},
			model.Budget{Name: "absolute-over", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(500),
				Notifications: []string{"ACTUAL GREATER_THAN 600 ABSOLUTE_VALUE"},
				Alerts:        alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "GREATER_THAN", Threshold: 600, ThresholdType: "ABSOLUTE_VALUE"})},
			"fail"},
		{filtered, []budgetstypes.Notification{
			notif(budgetstypes.NotificationTypeActual, budgetstypes.ComparisonOperatorGreaterThan, 80, budgetstypes.ThresholdTypePercentage)},
			model.Budget{Name: "ec2-only", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(100), Filters: []string{"Service"},
				Notifications: []string{"ACTUAL GREATER_THAN 80 PERCENTAGE"},
				Alerts:        alerts(model.BudgetAlert{Type: "ACTUAL", Comparison: "GREATER_THAN", Threshold: 80, ThresholdType: "PERCENTAGE"})},
			"fail"},
		{cost("silent", from, forever, "100"), nil,
			model.Budget{Name: "silent", Type: "COST", TimeUnit: "MONTHLY", Start: from, End: forever, Limit: usd(100),
				Notifications: []string{}, Alerts: alerts()},
			"fail"},
	}
}

// budgetAlertVerdict judges an account with the built-in budget-alert rule
// at the given audit time.
func budgetAlertVerdict(t *testing.T, a model.Account, now time.Time) model.Finding {
	t.Helper()
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var rule []*rules.Rule
	for _, r := range rs {
		if r.ID == "budget-alert" {
			rule = append(rule, r)
		}
	}
	if len(rule) != 1 {
		t.Fatalf("built-in rule budget-alert not found")
	}
	e, err := engine.New(rule, engine.Options{Params: config.DefaultParams(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return e.EvaluateAccount(&a)[0]
}

// End to end through the real SDK against moto: each kind of budget is
// created, read back as typed facts, and judged by budget-alert.
func TestBudgetsFromMoto(t *testing.T) {
	cfg := motoConfig(t, nil)
	api := budgets.NewFromConfig(cfg)
	cases := budgetCases()
	for _, c := range cases {
		in := &budgets.CreateBudgetInput{AccountId: aws.String(motoAccount), Budget: &c.budget}
		for _, n := range c.notifications {
			in.NotificationsWithSubscribers = append(in.NotificationsWithSubscribers, budgetstypes.NotificationWithSubscribers{
				Notification: &n,
				Subscribers:  []budgetstypes.Subscriber{{SubscriptionType: budgetstypes.SubscriptionTypeEmail, Address: aws.String("finops@example.com")}}})
		}
		if _, err := api.CreateBudget(context.Background(), in); err != nil {
			t.Fatalf("create budget %s: %v", aws.ToString(c.budget.BudgetName), err)
		}
	}
	a := model.Account{ID: motoAccount}
	if err := (&Budgets{}).Collect(context.Background(), NewClients(cfg), &a); err != nil {
		t.Fatal(err)
	}
	if a.Budgets == nil || len(*a.Budgets) != len(cases) {
		t.Fatalf("budgets = %+v, want %d", a.Budgets, len(cases))
	}
	got := map[string]model.Budget{}
	for _, b := range *a.Budgets {
		got[b.Name] = b
	}
	now := day(2025, 6, 1)
	for _, c := range cases {
		t.Run(c.want.Name, func(t *testing.T) {
			b, ok := got[c.want.Name]
			if !ok {
				t.Fatalf("budget %s not read", c.want.Name)
			}
			if !reflect.DeepEqual(b, c.want) {
				t.Errorf("facts:\n got %+v (alerts %+v)\nwant %+v (alerts %+v)", b, deref(b.Alerts), c.want, deref(c.want.Alerts))
			}
			f := budgetAlertVerdict(t, model.Account{ID: motoAccount, Partition: "aws", Budgets: &[]model.Budget{b}}, now)
			if f.Status != c.verdict {
				t.Errorf("budget-alert = %s (%s), want %s", f.Status, f.Message, c.verdict)
			}
		})
	}
	// All of them together: the two good ones are named.
	f := budgetAlertVerdict(t, a, now)
	var ev struct {
		Alerting []string `json:"alerting_budgets"`
	}
	if err := json.Unmarshal(f.Evidence, &ev); err != nil {
		t.Fatalf("evidence %s: %v", f.Evidence, err)
	}
	slices.Sort(ev.Alerting)
	if f.Status != "pass" || !reflect.DeepEqual(ev.Alerting, []string{"absolute", "monthly"}) {
		t.Errorf("all budgets: %s (%s), evidence %s", f.Status, f.Message, f.Evidence)
	}
}

func deref(p *[]model.BudgetAlert) []model.BudgetAlert {
	if p == nil {
		return nil
	}
	return *p
}

// failingNotifications stands in for what moto cannot be made to do: fail
// DescribeNotificationsForBudget after DescribeBudgets succeeded.
type failingNotifications struct {
	BudgetsAPI
}

func (failingNotifications) DescribeNotificationsForBudget(context.Context, *budgets.DescribeNotificationsForBudgetInput, ...func(*budgets.Options)) (*budgets.DescribeNotificationsForBudgetOutput, error) {
	return nil, errors.New("throttled")
}

// A collector that fails half-way records no budgets: an account whose
// notifications could not be read is not judged on budgets without them.
func TestBudgetsNotificationsFail_FakeAfterMoto(t *testing.T) {
	cfg := motoConfig(t, nil)
	c := budgetCases()[0]
	in := &budgets.CreateBudgetInput{AccountId: aws.String(motoAccount), Budget: &c.budget}
	if _, err := budgets.NewFromConfig(cfg).CreateBudget(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	cl := NewClients(cfg)
	cl.Budgets = failingNotifications{cl.Budgets}
	a := model.Account{ID: motoAccount}
	err := (&Budgets{}).Collect(context.Background(), cl, &a)
	if err == nil || a.Budgets != nil {
		t.Fatalf("err = %v, budgets = %+v: want an error and no budgets", err, a.Budgets)
	}
	if want := `read the notifications of budget "monthly": throttled`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// The facts of a budget AWS describes: its period in UTC, a limit that is
// not a number left unknown, filters named, and a FilterExpression noted.
func TestBudgetFacts_Fake(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	in := budgetstypes.Budget{BudgetName: aws.String("b"), BudgetType: budgetstypes.BudgetTypeCost,
		TimePeriod:       &budgetstypes.TimePeriod{Start: aws.Time(time.Date(2024, 1, 1, 1, 0, 0, 0, paris)), End: aws.Time(day(2087, 6, 15))},
		BudgetLimit:      &budgetstypes.Spend{Amount: aws.String("lots"), Unit: aws.String("USD")},
		FilterExpression: &budgetstypes.Expression{}}
	//lint:ignore SA1019 budgets made with the deprecated CostFilters still exist
	in.CostFilters = map[string][]string{"Region": {"us-east-1"}, "Service": {"Amazon S3"}, "TagKeyValue": {}}
	b := budgetFacts(in)
	if b.Start != day(2024, 1, 1) || b.Start.Location() != time.UTC || b.Limit != nil {
		t.Errorf("start %v, limit %+v", b.Start, b.Limit)
	}
	if want := []string{"Region", "Service", "FilterExpression"}; !reflect.DeepEqual(b.Filters, want) {
		t.Errorf("filters = %q, want %q", b.Filters, want)
	}
	if b.Alerts == nil || len(*b.Alerts) != 0 {
		t.Errorf("alerts = %v, want an empty list", b.Alerts)
	}
}
