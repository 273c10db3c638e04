package collect

import (
	"context"
	"fmt"
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
// filters, each notification's type, comparison and threshold); the
// budget-alert rule judges which of them watch for a runaway bill.
type Budgets struct{}

func (*Budgets) Name() string { return "budgets" }

func (*Budgets) Facts() []string { return []string{"budgets"} }

func (*Budgets) Actions() []string {
	// DescribeBudgets and DescribeNotificationsForBudget are authorised by
	// the one IAM action budgets:ViewBudget (see ActionName).
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
