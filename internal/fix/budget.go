package fix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/budgets"
	budgetstypes "github.com/aws/aws-sdk-go-v2/service/budgets/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

const (
	// BudgetCheck is the check the budget kind fixes.
	BudgetCheck = "budget-daily-alert"
	// BudgetName is the daily budget the budget kind creates.
	BudgetName = "rootwatch-daily"
)

// BudgetsAPI is the part of the Budgets client the budget kind uses.
type BudgetsAPI interface {
	DescribeBudget(context.Context, *budgets.DescribeBudgetInput, ...func(*budgets.Options)) (*budgets.DescribeBudgetOutput, error)
	budgets.DescribeNotificationsForBudgetAPIClient
	budgets.DescribeSubscribersForNotificationAPIClient
	CreateBudget(context.Context, *budgets.CreateBudgetInput, ...func(*budgets.Options)) (*budgets.CreateBudgetOutput, error)
	DeleteBudget(context.Context, *budgets.DeleteBudgetInput, ...func(*budgets.Options)) (*budgets.DeleteBudgetOutput, error)
	CreateNotification(context.Context, *budgets.CreateNotificationInput, ...func(*budgets.Options)) (*budgets.CreateNotificationOutput, error)
	DeleteNotification(context.Context, *budgets.DeleteNotificationInput, ...func(*budgets.Options)) (*budgets.DeleteNotificationOutput, error)
	CreateSubscriber(context.Context, *budgets.CreateSubscriberInput, ...func(*budgets.Options)) (*budgets.CreateSubscriberOutput, error)
	DeleteSubscriber(context.Context, *budgets.DeleteSubscriberInput, ...func(*budgets.Options)) (*budgets.DeleteSubscriberOutput, error)
}

// BudgetRecipient is one recipient of the daily budget's alert.
type BudgetRecipient struct {
	// Type is EMAIL or SNS.
	Type string `json:"type"`
	// Address is the email address or the SNS topic's ARN.
	Address string `json:"address"`
}

func (r BudgetRecipient) String() string { return strings.ToLower(r.Type) + ":" + r.Address }

// AWS's bounds on a budget notification's subscribers.
const (
	maxBudgetEmails = 10
	maxBudgetTopics = 1
)

var (
	snsTopicARN = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	budgetLimit = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)
)

// ParseBudgetNotify reads --budget-notify: email:ADDRESS and sns:TOPIC-ARN
// recipients, at least two (budget-daily-alert wants more than one), at
// most 10 email addresses and one topic (AWS's bounds), none twice.
// Sorted, so plans are stable. None given is none.
func ParseBudgetNotify(list []string) ([]BudgetRecipient, error) {
	var out []BudgetRecipient
	for _, s := range list {
		proto, rest, ok := strings.Cut(strings.TrimSpace(s), ":")
		var r BudgetRecipient
		switch {
		case ok && proto == "email":
			if !validEmail(rest) {
				return nil, fmt.Errorf("--budget-notify %q: not an email address", s)
			}
			r = BudgetRecipient{Type: "EMAIL", Address: rest}
		case ok && proto == "sns":
			if !snsTopicARN.MatchString(rest) {
				return nil, fmt.Errorf("--budget-notify %q: not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)", s)
			}
			r = BudgetRecipient{Type: "SNS", Address: rest}
		default:
			return nil, fmt.Errorf("--budget-notify %q: want email:ADDRESS or sns:TOPIC-ARN", s)
		}
		if slices.ContainsFunc(out, func(o BudgetRecipient) bool { return sameRecipient(o, r) }) {
			return nil, fmt.Errorf("--budget-notify %q: given twice", s)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("--budget-notify: %d recipient, want at least two: budget-daily-alert wants the alert to reach more than one person (seed 003)", len(out))
	}
	emails := len(slices.DeleteFunc(slices.Clone(out), func(r BudgetRecipient) bool { return r.Type != "EMAIL" }))
	if emails > maxBudgetEmails || len(out)-emails > maxBudgetTopics {
		return nil, fmt.Errorf("--budget-notify: %d email address(es) and %d SNS topic(s): AWS takes at most %d and %d on a budget notification", emails, len(out)-emails, maxBudgetEmails, maxBudgetTopics)
	}
	slices.SortFunc(out, func(a, b BudgetRecipient) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Address, b.Address))
	})
	return out, nil
}

// CheckBudgetLimit validates --budget-limit: an amount of US dollars more
// than 0, with at most two decimals.
func CheckBudgetLimit(s string) error {
	if !budgetLimit.MatchString(s) {
		return fmt.Errorf("--budget-limit %q: want an amount of US dollars such as 30 or 12.50", s)
	}
	if v, err := strconv.ParseFloat(s, 64); err != nil || v <= 0 {
		return fmt.Errorf("--budget-limit %q: want more than 0", s)
	}
	return nil
}

// sameRecipient: email addresses compare without case.
func sameRecipient(a, b BudgetRecipient) bool {
	if a.Type != b.Type {
		return false
	}
	if a.Type == "EMAIL" {
		return strings.EqualFold(a.Address, b.Address)
	}
	return a.Address == b.Address
}

// Budget gives the account a daily cost budget whose alert reaches several
// people where budget-daily-alert fails (seed 003): the COST budget
// rootwatch-daily with the DAILY time unit over the whole bill, its limit
// --budget-limit, and an ACTUAL GREATER_THAN 100 PERCENTAGE notification to
// the --budget-notify recipients. When rootwatch-daily exists, only what
// it lacks of the notification and its recipients is added. Its calls are
// the account's own (AccountId is the account).
type Budget struct{}

func (*Budget) Name() string     { return "budget" }
func (*Budget) Checks() []string { return []string{BudgetCheck} }

// BudgetActions are the budget kind's changes, as IAM names them: every
// change of Budgets is budgets:ModifyBudget.
func BudgetActions() []string { return []string{"budgets:ModifyBudget"} }

// BudgetReadActions are its planning reads: every read of Budgets is
// budgets:ViewBudget.
func BudgetReadActions() []string { return []string{"budgets:ViewBudget"} }

// budgetAlert is the notification the budget kind puts in place.
func budgetAlert() map[string]any {
	return map[string]any{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 100, "ThresholdType": "PERCENTAGE"}
}

func subscribersParams(rs []BudgetRecipient) []any {
	var out []any
	for _, r := range rs {
		out = append(out, subscriberParams(r))
	}
	return out
}

func subscriberParams(r BudgetRecipient) map[string]any {
	return map[string]any{"SubscriptionType": r.Type, "Address": r.Address}
}

// Plan plans the account's daily budget step.
func (k *Budget) Plan(ctx context.Context, t Target, reach Reach, o Options) ([]Step, error) {
	f, ok := t.Finding(BudgetCheck)
	acct := t.Account.ID
	if ok && f.Status == model.StatusError {
		return nil, fmt.Errorf("%s could not be judged in account %s (%s): nothing is planned until an audit reads it", BudgetCheck, acct, f.Message)
	}
	if !ok || !failing(f) {
		return nil, nil
	}
	region := globalRegion(cmpPartition(t.Account.Partition))
	step := Step{ID: "budget/" + acct + "/" + BudgetName, Account: acct, Region: region, Kind: k.Name(), Target: BudgetName,
		Finding: FindingRef{Check: BudgetCheck, ID: f.ID}, Why: BudgetCheck + " fails: " + f.Message}
	if len(o.BudgetNotify) == 0 && !slices.Contains(o.Only, k.Name()) {
		return nil, nil // not asked for, and nobody to alert
	}
	if len(o.BudgetNotify) == 0 {
		step.Blocked = "nobody to alert: give --budget-notify with at least two recipients (email:ADDRESS, sns:TOPIC-ARN)"
		return []Step{step}, nil
	}
	cl := reach(region)
	if cl.Budgets == nil {
		return nil, fmt.Errorf("read budget %s of account %s: no budgets client", BudgetName, acct)
	}
	alert := budgetAlert()
	out, err := cl.Budgets.DescribeBudget(ctx, &budgets.DescribeBudgetInput{AccountId: aws.String(acct), BudgetName: aws.String(BudgetName)})
	var nf *budgetstypes.NotFoundException
	switch {
	case errors.As(err, &nf):
		if o.BudgetLimit == "" {
			step.Blocked = "no limit for the daily budget: give --budget-limit AMOUNT (US dollars; seed 003: some 50% above a typical day's spend)"
			return []Step{step}, nil
		}
		step.Why += "; the daily cost budget " + BudgetName + " of " + o.BudgetLimit + " USD alerts " + recipientsWords(o.BudgetNotify) +
			" when a day's actual spend passes 100% of it (an email recipient is sent the alert with no confirmation)"
		step.Calls = []Call{{Action: "budgets:CreateBudget", Params: map[string]any{"AccountId": acct,
			"Budget": map[string]any{"BudgetName": BudgetName, "BudgetType": "COST", "TimeUnit": "DAILY",
				"BudgetLimit": map[string]any{"Amount": o.BudgetLimit, "Unit": "USD"}},
			"NotificationsWithSubscribers": []any{map[string]any{"Notification": alert, "Subscribers": subscribersParams(o.BudgetNotify)}}},
			Undo: []Call{{Action: "budgets:DeleteBudget", Params: map[string]any{"AccountId": acct, "BudgetName": BudgetName}}}}}
		return []Step{step}, nil
	case err != nil:
		return nil, fmt.Errorf("read budget %s of account %s: %w", BudgetName, acct, err)
	}
	if why := notDailyBudget(out.Budget, t); why != "" {
		step.Blocked = "a budget named " + BudgetName + " exists and " + why + ": change it to a daily cost budget over the whole bill, or delete it, then plan again"
		return []Step{step}, nil
	}
	// The budget is in place: the alert and its recipients.
	notes, err := budgetNotifications(ctx, cl.Budgets, acct)
	if err != nil {
		return nil, fmt.Errorf("read the notifications of budget %s of account %s: %w", BudgetName, acct, err)
	}
	i := slices.IndexFunc(notes, func(n budgetstypes.Notification) bool {
		return n.NotificationType == budgetstypes.NotificationTypeActual && n.ComparisonOperator == budgetstypes.ComparisonOperatorGreaterThan &&
			n.Threshold == 100 && (n.ThresholdType == budgetstypes.ThresholdTypePercentage || n.ThresholdType == "")
	})
	if i < 0 {
		step.Why += "; budget " + BudgetName + " alerts " + recipientsWords(o.BudgetNotify) + " when a day's actual spend passes 100% of it"
		step.Calls = []Call{{Action: "budgets:CreateNotification",
			Params: map[string]any{"AccountId": acct, "BudgetName": BudgetName, "Notification": alert, "Subscribers": subscribersParams(o.BudgetNotify)},
			Undo:   []Call{{Action: "budgets:DeleteNotification", Params: map[string]any{"AccountId": acct, "BudgetName": BudgetName, "Notification": alert}}}}}
		return []Step{step}, nil
	}
	n := notes[i]
	// The notification as AWS holds it names it in the calls.
	held := map[string]any{"NotificationType": string(n.NotificationType), "ComparisonOperator": string(n.ComparisonOperator),
		"Threshold": n.Threshold, "ThresholdType": string(cmp.Or(n.ThresholdType, budgetstypes.ThresholdTypePercentage))}
	have, err := budgetSubscribers(ctx, cl.Budgets, acct, n)
	if err != nil {
		return nil, fmt.Errorf("read the recipients of budget %s's alert in account %s: %w", BudgetName, acct, err)
	}
	var missing []BudgetRecipient
	for _, r := range o.BudgetNotify {
		if !slices.ContainsFunc(have, func(h BudgetRecipient) bool { return sameRecipient(h, r) }) {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	step.Why += "; budget " + BudgetName + "'s alert at 100% also reaches " + recipientsWords(missing)
	for _, r := range missing {
		p := map[string]any{"AccountId": acct, "BudgetName": BudgetName, "Notification": held, "Subscriber": subscriberParams(r)}
		step.Calls = append(step.Calls, Call{Action: "budgets:CreateSubscriber", Params: p,
			Undo: []Call{{Action: "budgets:DeleteSubscriber", Params: p}}})
	}
	return []Step{step}, nil
}

// notDailyBudget says why a budget is not one budget-daily-alert counts;
// "" when it is.
func notDailyBudget(b *budgetstypes.Budget, t Target) string {
	if b == nil {
		return "AWS described it as nothing"
	}
	//lint:ignore SA1019 budgets made with the deprecated CostFilters still carry them, and they narrow the budget
	filtered := len(b.CostFilters) > 0 || b.FilterExpression != nil
	switch {
	case b.BudgetType != budgetstypes.BudgetTypeCost:
		return "is a " + string(b.BudgetType) + " budget"
	case b.TimeUnit != budgetstypes.TimeUnitDaily:
		return "is a " + string(b.TimeUnit) + " budget"
	case filtered:
		return "watches only part of the bill (it has filters)"
	case b.TimePeriod != nil && b.TimePeriod.End != nil && !t.AsOf.IsZero() && !t.AsOf.Before(*b.TimePeriod.End):
		return "its period ended " + b.TimePeriod.End.UTC().Format("2006-01-02")
	}
	return ""
}

func budgetNotifications(ctx context.Context, api BudgetsAPI, acct string) ([]budgetstypes.Notification, error) {
	var out []budgetstypes.Notification
	p := budgets.NewDescribeNotificationsForBudgetPaginator(api, &budgets.DescribeNotificationsForBudgetInput{AccountId: aws.String(acct), BudgetName: aws.String(BudgetName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Notifications...)
	}
	return out, nil
}

func budgetSubscribers(ctx context.Context, api BudgetsAPI, acct string, n budgetstypes.Notification) ([]BudgetRecipient, error) {
	var out []BudgetRecipient
	p := budgets.NewDescribeSubscribersForNotificationPaginator(api, &budgets.DescribeSubscribersForNotificationInput{
		AccountId: aws.String(acct), BudgetName: aws.String(BudgetName), Notification: &n})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var nf *budgetstypes.NotFoundException
		if errors.As(err, &nf) {
			return out, nil // a notification without subscribers
		}
		if err != nil {
			return nil, err
		}
		for _, s := range page.Subscribers {
			out = append(out, BudgetRecipient{Type: string(s.SubscriptionType), Address: aws.ToString(s.Address)})
		}
	}
	return out, nil
}

func recipientsWords(rs []BudgetRecipient) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}

// executeBudget makes the budget kind's calls.
func executeBudget(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
	if cl.Budgets == nil {
		return nil, fmt.Errorf("%s: no budgets client", c.Action)
	}
	switch c.Action {
	case "budgets:CreateBudget":
		_, err := call(ctx, c, cl.Budgets.CreateBudget)
		return nil, err
	case "budgets:DeleteBudget":
		_, err := call(ctx, c, cl.Budgets.DeleteBudget)
		return nil, err
	case "budgets:CreateNotification":
		_, err := call(ctx, c, cl.Budgets.CreateNotification)
		return nil, err
	case "budgets:DeleteNotification":
		_, err := call(ctx, c, cl.Budgets.DeleteNotification)
		return nil, err
	case "budgets:CreateSubscriber":
		_, err := call(ctx, c, cl.Budgets.CreateSubscriber)
		return nil, err
	case "budgets:DeleteSubscriber":
		_, err := call(ctx, c, cl.Budgets.DeleteSubscriber)
		return nil, err
	}
	return nil, fmt.Errorf("%s: not an action rootwatch fix makes", c.Action)
}
