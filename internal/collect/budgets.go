package collect

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Budgets reads the account's budgets and their notifications: a stolen
// root credential is most often used to run up a bill (crypto mining), and a
// budget alert is what notices. It records facts (type, period, limit,
// filters, each notification's type, comparison, threshold and
// subscribers); the budget-alert and budget-daily-alert rules judge which
// of them watch for a runaway bill.
type Budgets struct{}

func (*Budgets) Name() string { return "budgets" }

func (*Budgets) Facts() []string { return []string{"budgets"} }

func (*Budgets) Actions() []string {
	// DescribeBudgets, DescribeNotificationsForBudget and
	// DescribeSubscribersForNotification are authorised by the one IAM
	// action budgets:ViewBudget (see ActionName).
	return []string{"budgets:ViewBudget"}
}

func (*Budgets) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	if a.ID == "" {
		return fmt.Errorf("the account ID is unknown")
	}
	list := []model.Budget{}
	for p := budgets.NewDescribeBudgetsPaginator(cl.Budgets, &budgets.DescribeBudgetsInput{AccountId: aws.String(a.ID)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the budgets: %w", err)
		}
		for _, b := range page.Budgets {
			mb := budgetFacts(b)
			np := budgets.NewDescribeNotificationsForBudgetPaginator(cl.Budgets, &budgets.DescribeNotificationsForBudgetInput{
				AccountId: aws.String(a.ID), BudgetName: b.BudgetName})
			for np.HasMorePages() {
				npage, err := np.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("read the notifications of budget %q: %w", mb.Name, err)
				}
				for _, n := range npage.Notifications {
					al := alertFacts(n)
					mb.Notifications = append(mb.Notifications, fmt.Sprintf("%s %s %g %s", al.Type, al.Comparison, al.Threshold, al.ThresholdType))
					*mb.Alerts = append(*mb.Alerts, al)
				}
			}
			list = append(list, mb)
		}
	}
	a.Budgets = &list
	return nil
}

// budgetFacts records a budget as AWS describes it, without its
// notifications.
func budgetFacts(b budgetstypes.Budget) model.Budget {
	mb := model.Budget{Name: aws.ToString(b.BudgetName), Type: string(b.BudgetType), TimeUnit: string(b.TimeUnit),
		Notifications: []string{}, Alerts: &[]model.BudgetAlert{}}
	if tp := b.TimePeriod; tp != nil {
		mb.Start, mb.End = aws.ToTime(tp.Start).UTC(), aws.ToTime(tp.End).UTC()
	}
	if l := b.BudgetLimit; l != nil {
		// An amount that is not a number leaves the limit unknown.
		if amount, err := strconv.ParseFloat(strings.TrimSpace(aws.ToString(l.Amount)), 64); err == nil {
			mb.Limit = &model.Spend{Amount: amount, Unit: aws.ToString(l.Unit)}
		}
	}
	//lint:ignore SA1019 budgets made with the deprecated CostFilters still carry them, and they narrow the budget
	for k, v := range b.CostFilters {
		if len(v) > 0 {
			mb.Filters = append(mb.Filters, k)
		}
	}
	sort.Strings(mb.Filters)
	if b.FilterExpression != nil {
		mb.Filters = append(mb.Filters, "FilterExpression")
	}
	return mb
}

// BudgetSubscribers reads who each budget notification is sent to
// (budgets:DescribeSubscribersForNotification, one call a notification),
// after Budgets read the notifications. A collector of its own, so a
// failure here leaves the budgets and budget-alert's verdict whole: only
// the checks that count recipients say error.
type BudgetSubscribers struct{}

func (*BudgetSubscribers) Name() string { return "budget subscribers" }

// Facts: the subscribers are part of the budgets fact.
func (*BudgetSubscribers) Facts() []string { return []string{"budgets"} }

func (*BudgetSubscribers) Actions() []string { return []string{"budgets:ViewBudget"} }

func (*BudgetSubscribers) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	if a.Budgets == nil {
		return nil // the budgets were not read: Budgets says why
	}
	// Read into a copy, so a failure half-way records no subscribers at
	// all rather than some.
	list := slices.Clone(*a.Budgets)
	for i := range list {
		b := &list[i]
		if b.Alerts == nil {
			continue
		}
		alerts := slices.Clone(*b.Alerts)
		for j := range alerts {
			al := &alerts[j]
			subs, err := subscribers(ctx, cl.Budgets, a.ID, b.Name, al)
			if err != nil {
				return fmt.Errorf("read the subscribers of budget %q's notification %s %s %g %s: %w",
					b.Name, al.Type, al.Comparison, al.Threshold, al.ThresholdType, err)
			}
			al.Subscribers = &subs
		}
		b.Alerts = &alerts
	}
	a.Budgets = &list
	return nil
}

// subscribers reads who a budget notification is sent to, every page.
func subscribers(ctx context.Context, api BudgetsAPI, account, budget string, al *model.BudgetAlert) ([]model.BudgetSubscriber, error) {
	out := []model.BudgetSubscriber{}
	n := budgetstypes.Notification{NotificationType: budgetstypes.NotificationType(al.Type), ComparisonOperator: budgetstypes.ComparisonOperator(al.Comparison),
		Threshold: al.Threshold, ThresholdType: budgetstypes.ThresholdType(al.ThresholdType)}
	p := budgets.NewDescribeSubscribersForNotificationPaginator(api, &budgets.DescribeSubscribersForNotificationInput{
		AccountId: aws.String(account), BudgetName: aws.String(budget), Notification: &n})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subscribers {
			out = append(out, model.BudgetSubscriber{Type: string(s.SubscriptionType), Address: aws.ToString(s.Address)})
		}
	}
	return out, nil
}

// alertFacts records a notification; a threshold type AWS left out is
// its default, PERCENTAGE.
func alertFacts(n budgetstypes.Notification) model.BudgetAlert {
	al := model.BudgetAlert{Type: string(n.NotificationType), Comparison: string(n.ComparisonOperator),
		Threshold: n.Threshold, ThresholdType: string(n.ThresholdType)}
	if al.ThresholdType == "" {
		al.ThresholdType = string(budgetstypes.ThresholdTypePercentage)
	}
	return al
}
