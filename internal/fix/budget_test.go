package fix

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// fakeBudgets holds one account's budgets by name, each with its
// notifications and their subscribers; writes change them.
type fakeBudgets struct {
	BudgetsAPI
	budgets map[string]*fakeBudget
	calls   []string
}

type fakeBudget struct {
	b     budgetstypes.Budget
	notes []budgetstypes.Notification
	subs  map[int][]budgetstypes.Subscriber
}

func (f *fakeBudgets) DescribeBudget(_ context.Context, in *budgets.DescribeBudgetInput, _ ...func(*budgets.Options)) (*budgets.DescribeBudgetOutput, error) {
	f.calls = append(f.calls, "DescribeBudget "+aws.ToString(in.AccountId)+" "+aws.ToString(in.BudgetName))
	b, ok := f.budgets[aws.ToString(in.BudgetName)]
	if !ok {
		return nil, &budgetstypes.NotFoundException{Message: aws.String("Unable to get budget")}
	}
	return &budgets.DescribeBudgetOutput{Budget: &b.b}, nil
}

func (f *fakeBudgets) DescribeNotificationsForBudget(_ context.Context, in *budgets.DescribeNotificationsForBudgetInput, _ ...func(*budgets.Options)) (*budgets.DescribeNotificationsForBudgetOutput, error) {
	f.calls = append(f.calls, "DescribeNotificationsForBudget")
	return &budgets.DescribeNotificationsForBudgetOutput{Notifications: f.budgets[aws.ToString(in.BudgetName)].notes}, nil
}

func (f *fakeBudgets) DescribeSubscribersForNotification(_ context.Context, in *budgets.DescribeSubscribersForNotificationInput, _ ...func(*budgets.Options)) (*budgets.DescribeSubscribersForNotificationOutput, error) {
	f.calls = append(f.calls, "DescribeSubscribersForNotification")
	b := f.budgets[aws.ToString(in.BudgetName)]
	i := slices.IndexFunc(b.notes, func(n budgetstypes.Notification) bool { return n == *in.Notification })
	return &budgets.DescribeSubscribersForNotificationOutput{Subscribers: b.subs[i]}, nil
}

func (f *fakeBudgets) CreateSubscriber(_ context.Context, in *budgets.CreateSubscriberInput, _ ...func(*budgets.Options)) (*budgets.CreateSubscriberOutput, error) {
	f.calls = append(f.calls, "CreateSubscriber "+aws.ToString(in.Subscriber.Address))
	b := f.budgets[aws.ToString(in.BudgetName)]
	i := slices.IndexFunc(b.notes, func(n budgetstypes.Notification) bool { return n == *in.Notification })
	b.subs[i] = append(b.subs[i], *in.Subscriber)
	return &budgets.CreateSubscriberOutput{}, nil
}

func (f *fakeBudgets) reach(string) Clients { return Clients{Budgets: f} }

func budgetTarget(acct string, f model.Finding) Target {
	return Target{Account: &model.Account{ID: acct, Partition: "aws"}, Findings: []model.Finding{f}, AsOf: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
}

func TestParseBudgetNotify(t *testing.T) {
	got, err := ParseBudgetNotify([]string{"sns:arn:aws:sns:us-east-1:111111111111:billing", "email:finops@example.com", "email:cloud-alerts@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := []BudgetRecipient{{"EMAIL", "cloud-alerts@example.com"}, {"EMAIL", "finops@example.com"}, {"SNS", "arn:aws:sns:us-east-1:111111111111:billing"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v", got)
	}
	if got, err := ParseBudgetNotify(nil); got != nil || err != nil {
		t.Errorf("none: %v %v", got, err)
	}
	many := []string{}
	for _, c := range "abcdefghijk" {
		many = append(many, "email:"+string(c)+"@example.com")
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"email:a@example.com"}, "--budget-notify: 1 recipient, want at least two: budget-daily-alert wants the alert to reach more than one person (seed 003)"},
		{[]string{"email:a@example.com", "email:A@example.com"}, `--budget-notify "email:A@example.com": given twice`},
		{[]string{"email:a@example.com", "https://example.com/hook"}, `--budget-notify "https://example.com/hook": want email:ADDRESS or sns:TOPIC-ARN`},
		{[]string{"email:a@example.com", "email:not an address"}, `--budget-notify "email:not an address": not an email address`},
		{[]string{"email:a@example.com", "sns:billing"}, `--budget-notify "sns:billing": not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`},
		{[]string{"sns:arn:aws:sns:us-east-1:111111111111:a", "sns:arn:aws:sns:us-east-1:111111111111:b"}, "--budget-notify: 0 email address(es) and 2 SNS topic(s): AWS takes at most 10 and 1 on a budget notification"},
		{many, "--budget-notify: 11 email address(es) and 0 SNS topic(s)"},
	} {
		if _, err := ParseBudgetNotify(tc.in); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.in, err, tc.want)
		}
	}
	for in, ok := range map[string]bool{"30": true, "12.50": true, "0.01": true, "0": false, "-5": false, "1e3": false, "12.505": false, "": false, "30 USD": false} {
		if err := CheckBudgetLimit(in); (err == nil) != ok {
			t.Errorf("--budget-limit %q: %v", in, err)
		}
	}
}

func TestPlanBudgetCreates(t *testing.T) {
	f := model.Finding{ID: "f-b", Check: "budget-daily-alert", Status: model.StatusFail, Message: "no current daily cost budget over the whole bill"}
	fake := &fakeBudgets{budgets: map[string]*fakeBudget{}}
	notify := []BudgetRecipient{{"EMAIL", "a@example.com"}, {"EMAIL", "b@example.com"}}
	steps, err := (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetLimit: "30", BudgetNotify: notify})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"budget/111111111111/rootwatch-daily us-east-1 blocked=",
		`  budgets:CreateBudget {"AccountId":"111111111111","Budget":{"BudgetLimit":{"Amount":"30","Unit":"USD"},"BudgetName":"rootwatch-daily","BudgetType":"COST","TimeUnit":"DAILY"},` +
			`"NotificationsWithSubscribers":[{"Notification":{"ComparisonOperator":"GREATER_THAN","NotificationType":"ACTUAL","Threshold":100,"ThresholdType":"PERCENTAGE"},` +
			`"Subscribers":[{"Address":"a@example.com","SubscriptionType":"EMAIL"},{"Address":"b@example.com","SubscriptionType":"EMAIL"}]}]}`,
		`    undo budgets:DeleteBudget {"AccountId":"111111111111","BudgetName":"rootwatch-daily"}`,
	}
	if got := callStrings(steps); !slices.Equal(got, want) {
		t.Errorf("steps:\n%s", strings.Join(got, "\n"))
	}
	if w := steps[0].Why; w != "budget-daily-alert fails: no current daily cost budget over the whole bill; the daily cost budget rootwatch-daily of 30 USD alerts email:a@example.com, email:b@example.com when a day's actual spend passes 100% of it (an email recipient is sent the alert with no confirmation)" {
		t.Errorf("why: %s", w)
	}
	if got := strings.Join(fake.calls, "; "); got != "DescribeBudget 111111111111 rootwatch-daily" {
		t.Errorf("reads: %s", got)
	}
	// The call's parameters are the SDK input's.
	var in budgets.CreateBudgetInput
	if err := decode("budgets:CreateBudget", steps[0].Calls[0].Params, &in); err != nil {
		t.Fatal(err)
	}
	if in.Budget.TimeUnit != budgetstypes.TimeUnitDaily || aws.ToString(in.Budget.BudgetLimit.Amount) != "30" || in.NotificationsWithSubscribers[0].Notification.Threshold != 100 ||
		in.NotificationsWithSubscribers[0].Subscribers[1].SubscriptionType != budgetstypes.SubscriptionTypeEmail {
		t.Errorf("decoded: %+v", in)
	}

	// No --budget-limit, or no recipients: blocked, saying what to give.
	steps, err = (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetNotify: notify})
	if err != nil || len(steps) != 1 || len(steps[0].Calls) != 0 ||
		steps[0].Blocked != "no limit for the daily budget: give --budget-limit AMOUNT (US dollars; seed 003: some 50% above a typical day's spend)" {
		t.Errorf("no limit: %v %v", callStrings(steps), err)
	}
	steps, err = (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{})
	if err != nil || len(steps) != 0 {
		t.Errorf("no recipients, the kind not named by --only: %v %v", callStrings(steps), err)
	}
	steps, err = (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetLimit: "30", Only: []string{"budget"}})
	if err != nil || len(steps) != 1 || steps[0].Blocked != "nobody to alert: give --budget-notify with at least two recipients (email:ADDRESS, sns:TOPIC-ARN)" {
		t.Errorf("no recipients: %v %v", callStrings(steps), err)
	}
}

func TestPlanBudgetCompletesAnExistingOne(t *testing.T) {
	f := model.Finding{ID: "f-b", Check: "budget-daily-alert", Status: model.StatusFail, Message: "rootwatch-daily (ACTUAL GREATER_THAN 100 PERCENTAGE to 1 recipient)"}
	daily := budgetstypes.Budget{BudgetName: aws.String("rootwatch-daily"), BudgetType: budgetstypes.BudgetTypeCost, TimeUnit: budgetstypes.TimeUnitDaily,
		BudgetLimit: &budgetstypes.Spend{Amount: aws.String("50"), Unit: aws.String("USD")}}
	alert := budgetstypes.Notification{NotificationType: budgetstypes.NotificationTypeActual, ComparisonOperator: budgetstypes.ComparisonOperatorGreaterThan,
		Threshold: 100, ThresholdType: budgetstypes.ThresholdTypePercentage}
	notify := []BudgetRecipient{{"EMAIL", "a@example.com"}, {"SNS", "arn:aws:sns:us-east-1:111111111111:billing"}}

	// The alert is there with one of the recipients.
	fake := &fakeBudgets{budgets: map[string]*fakeBudget{"rootwatch-daily": {b: daily, notes: []budgetstypes.Notification{alert},
		subs: map[int][]budgetstypes.Subscriber{0: {{SubscriptionType: budgetstypes.SubscriptionTypeEmail, Address: aws.String("A@example.com")}}}}}}
	steps, err := (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetNotify: notify})
	if err != nil {
		t.Fatal(err)
	}
	sub := `{"AccountId":"111111111111","BudgetName":"rootwatch-daily","Notification":{"ComparisonOperator":"GREATER_THAN","NotificationType":"ACTUAL","Threshold":100,"ThresholdType":"PERCENTAGE"},` +
		`"Subscriber":{"Address":"arn:aws:sns:us-east-1:111111111111:billing","SubscriptionType":"SNS"}}`
	want := []string{"budget/111111111111/rootwatch-daily us-east-1 blocked=", "  budgets:CreateSubscriber " + sub, "    undo budgets:DeleteSubscriber " + sub}
	if got := callStrings(steps); !slices.Equal(got, want) {
		t.Errorf("steps:\n%s", strings.Join(got, "\n"))
	}
	// Applied, then planned again: nothing.
	if _, err := Execute(context.Background(), fake.reach(""), steps[0].Calls[0]); err != nil {
		t.Fatal(err)
	}
	if steps, err := (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetNotify: notify}); err != nil || len(steps) != 0 {
		t.Errorf("again: %v %v", callStrings(steps), err)
	}

	// The budget without the alert: the notification with its
	// recipients.
	fake = &fakeBudgets{budgets: map[string]*fakeBudget{"rootwatch-daily": {b: daily}}}
	steps, err = (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetNotify: notify})
	if err != nil {
		t.Fatal(err)
	}
	note := `"Notification":{"ComparisonOperator":"GREATER_THAN","NotificationType":"ACTUAL","Threshold":100,"ThresholdType":"PERCENTAGE"}`
	want = []string{"budget/111111111111/rootwatch-daily us-east-1 blocked=",
		`  budgets:CreateNotification {"AccountId":"111111111111","BudgetName":"rootwatch-daily",` + note +
			`,"Subscribers":[{"Address":"a@example.com","SubscriptionType":"EMAIL"},{"Address":"arn:aws:sns:us-east-1:111111111111:billing","SubscriptionType":"SNS"}]}`,
		`    undo budgets:DeleteNotification {"AccountId":"111111111111","BudgetName":"rootwatch-daily",` + note + `}`}
	if got := callStrings(steps); !slices.Equal(got, want) {
		t.Errorf("no alert:\n%s", strings.Join(got, "\n"))
	}

	// A rootwatch-daily that is not a daily budget, or whose period
	// ended: blocked, not changed.
	monthly := daily
	monthly.TimeUnit = budgetstypes.TimeUnitMonthly
	ended := daily
	ended.TimePeriod = &budgetstypes.TimePeriod{Start: aws.Time(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), End: aws.Time(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))}
	for b, want := range map[*budgetstypes.Budget]string{
		&monthly: "a budget named rootwatch-daily exists and is a MONTHLY budget: change it to a daily cost budget over the whole bill, or delete it, then plan again",
		&ended:   "a budget named rootwatch-daily exists and its period ended 2026-01-01: change it to a daily cost budget over the whole bill, or delete it, then plan again",
	} {
		fake = &fakeBudgets{budgets: map[string]*fakeBudget{"rootwatch-daily": {b: *b}}}
		steps, err = (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", f), fake.reach, Options{BudgetNotify: notify, BudgetLimit: "30"})
		if err != nil || len(steps) != 1 || steps[0].Blocked != want || len(steps[0].Calls) != 0 {
			t.Errorf("%v: %v %v", b.TimeUnit, callStrings(steps), err)
		}
	}

	// Not judged: an error, nothing planned.
	bad := model.Finding{Check: "budget-daily-alert", Status: model.StatusError, Message: "the budgets could not be read (see errors)"}
	if _, err := (&Budget{}).Plan(context.Background(), budgetTarget("111111111111", bad), fake.reach, Options{BudgetNotify: notify}); err == nil ||
		err.Error() != "budget-daily-alert could not be judged in account 111111111111 (the budgets could not be read (see errors)): nothing is planned until an audit reads it" {
		t.Errorf("error finding: %v", err)
	}
}
