package awstest

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"
)

// BudgetsAPI is the Budgets client's part that rootwatch calls.
type BudgetsAPI interface {
	budgets.DescribeBudgetsAPIClient
	budgets.DescribeNotificationsForBudgetAPIClient
	budgets.DescribeSubscribersForNotificationAPIClient
}

// FakeBudgetSubscribers stands in for budgets:
// DescribeSubscribersForNotification, which moto 5.2.1 does not implement
// (it answers 500): moto keeps the budgets and their notifications, the
// fake answers each notification of a budget with the subscribers given
// for that budget, one a page so paging is exercised. A budget it was
// not given is AWS's NotFoundException. Calls counts the calls.
type FakeBudgetSubscribers struct {
	BudgetsAPI
	// Subscribers are each budget's subscribers, by budget name.
	Subscribers map[string][]budgetstypes.Subscriber
	mu          *sync.Mutex
	Calls       *int
}

// NewFakeBudgetSubscribers wraps a real Budgets client.
func NewFakeBudgetSubscribers(real BudgetsAPI, subscribers map[string][]budgetstypes.Subscriber) FakeBudgetSubscribers {
	return FakeBudgetSubscribers{BudgetsAPI: real, Subscribers: subscribers, mu: &sync.Mutex{}, Calls: new(int)}
}

func (f FakeBudgetSubscribers) DescribeSubscribersForNotification(_ context.Context, in *budgets.DescribeSubscribersForNotificationInput, _ ...func(*budgets.Options)) (*budgets.DescribeSubscribersForNotificationOutput, error) {
	f.mu.Lock()
	*f.Calls++
	f.mu.Unlock()
	subs, ok := f.Subscribers[aws.ToString(in.BudgetName)]
	if !ok || in.Notification == nil {
		return nil, &budgetstypes.NotFoundException{Message: aws.String(fmt.Sprintf("no notification of budget %s", aws.ToString(in.BudgetName)))}
	}
	i := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(*in.NextToken)
		if err != nil || n < 0 || n > len(subs) {
			return nil, &budgetstypes.InvalidNextTokenException{Message: aws.String("bad token")}
		}
		i = n
	}
	out := &budgets.DescribeSubscribersForNotificationOutput{}
	if i < len(subs) {
		out.Subscribers = subs[i : i+1]
		if i+1 < len(subs) {
			out.NextToken = aws.String(strconv.Itoa(i + 1))
		}
	}
	return out, nil
}
