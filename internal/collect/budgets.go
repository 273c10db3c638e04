package collect

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"

	"github.com/rootwatch/rootwatch/internal/model"
)

// Budgets reads the account's budgets and their notifications: a stolen
// root credential is most often used to run up a bill (crypto mining), and a
// budget alert is what notices.
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
			return err
		}
		for _, b := range page.Budgets {
			mb := model.Budget{Name: aws.ToString(b.BudgetName), Type: string(b.BudgetType), Notifications: []string{}}
			np := budgets.NewDescribeNotificationsForBudgetPaginator(cl.Budgets, &budgets.DescribeNotificationsForBudgetInput{
				AccountId: aws.String(a.ID), BudgetName: b.BudgetName})
			for np.HasMorePages() {
				npage, err := np.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, n := range npage.Notifications {
					mb.Notifications = append(mb.Notifications, fmt.Sprintf("%s %s %g %s", n.NotificationType, n.ComparisonOperator, n.Threshold, n.ThresholdType))
				}
			}
			list = append(list, mb)
		}
	}
	a.Budgets = &list
	return nil
}
