package collect

import "testing"

// SDK service IDs and operations, named as IAM authorises them.
func TestActionName(t *testing.T) {
	for _, c := range []struct{ service, op, want string }{
		{"IAM", "GetAccountSummary", "iam:GetAccountSummary"},
		{"CloudWatch Logs", "PutMetricFilter", "logs:PutMetricFilter"},
		{"EventBridge", "PutRule", "events:PutRule"},
		{"EventBridge", "DescribeRule", "events:DescribeRule"},
		{"Budgets", "DescribeBudgets", "budgets:ViewBudget"},
		{"Budgets", "CreateBudget", "budgets:ModifyBudget"},
		{"Budgets", "CreateSubscriber", "budgets:ModifyBudget"},
		{"Budgets", "DeleteNotification", "budgets:ModifyBudget"},
		{"S3", "ListBuckets", "s3:ListAllMyBuckets"},
	} {
		if got := ActionName(c.service, c.op); got != c.want {
			t.Errorf("ActionName(%q, %q) = %s, want %s", c.service, c.op, got, c.want)
		}
	}
}
