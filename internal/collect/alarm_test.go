package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/rootwatch/rootwatch/internal/model"
)

const cisPattern = `{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`

func TestIsRootUsagePattern(t *testing.T) {
	for p, want := range map[string]bool{
		cisPattern: true,
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`: true,
		`{$.eventType !="AwsServiceEvent" && $.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}`:      true,
		`{$.userIdentity.type="Root"}`:                                        false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}`: false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent" || $.errorCode = "*"}`: false,
		`$.userIdentity.type="Root"`: false,
		``:                           false,
	} {
		if got := IsRootUsagePattern(p); got != want {
			t.Errorf("IsRootUsagePattern(%q) = %v, want %v", p, got, want)
		}
	}
}

// The whole chain, built in moto and followed through the real SDK; then
// link by link what is missing is named.
func TestRootUsageAlarmChainFromMoto(t *testing.T) {
	cfg := motoConfig(t, nil)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	collectAlarm := func() *model.RootUsageAlarm {
		t.Helper()
		a := model.Account{ID: motoAccount}
		if err := (&RootUsageAlarm{}).Collect(ctx, NewClients(cfg), &a); err != nil {
			t.Fatal(err)
		}
		return a.RootUsageAlarm
	}
	if got := collectAlarm(); got.Complete || !strings.Contains(got.Missing, "no trail") {
		t.Fatalf("no trail: %+v", got)
	}
	must(s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}))
	logs := cloudwatchlogs.NewFromConfig(cfg)
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("ct")}))
	ct := cloudtrail.NewFromConfig(cfg)
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccount + ":log-group:ct:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccount + ":role/ct")}))
	if got := collectAlarm(); !strings.Contains(got.Missing, "not logging") {
		t.Errorf("trail not logging: %+v", got)
	}
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	if got := collectAlarm(); !strings.Contains(got.Missing, "no metric filter") {
		t.Errorf("no filter: %+v", got)
	}
	must(logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("ct"), FilterName: aws.String("root"),
		FilterPattern: aws.String(cisPattern), MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String("RootUsage"),
			MetricNamespace: aws.String("CIS"), MetricValue: aws.String("1")}}}))
	if got := collectAlarm(); got.Missing != "no alarm on metric CIS/RootUsage" {
		t.Errorf("no alarm: %+v", got)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alarms")})
	if err != nil {
		t.Fatal(err)
	}
	must(cloudwatch.NewFromConfig(cfg).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("root"), MetricName: aws.String("RootUsage"),
		Namespace: aws.String("CIS"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), Threshold: aws.Float64(1), EvaluationPeriods: aws.Int32(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold, AlarmActions: []string{aws.ToString(topic.TopicArn)}}))
	if got := collectAlarm(); !strings.Contains(got.Missing, "no confirmed subscription") {
		t.Errorf("no subscription: %+v", got)
	}
	must(sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("sec@example.com")}))
	got := collectAlarm()
	if !got.Complete || got.Missing != "" || got.Trail != "main" || got.Alarm != "root" || got.ConfirmedSubscriptions != 1 || got.FilterPattern != cisPattern {
		t.Errorf("complete chain: %+v", got)
	}
}
