package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

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

	// Another trail whose log group is gone (a fake: moto answers an empty
	// list) does not spoil the complete chain.
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("another"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccount + ":log-group:gone:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccount + ":role/ct")}))
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("another")}))
	cl := NewClients(cfg)
	regional := cl.Regional
	cl.Regional = func(region string) Regional {
		r := regional(region)
		r.Logs = goneLogGroup{r.Logs}
		return r
	}
	a := model.Account{ID: motoAccount}
	if err := (&RootUsageAlarm{}).Collect(ctx, cl, &a); err != nil || !a.RootUsageAlarm.Complete {
		t.Errorf("a broken trail beside a complete chain: %v %+v", err, a.RootUsageAlarm)
	}
}

// orgTrailSeen stands in for what moto cannot show: an organization trail
// of the management account, as DescribeTrails lists it in a member, whose
// status the member may not read (AWS answers TrailNotFoundException).
type orgTrailSeen struct {
	CloudTrailAPI
	t *testing.T
}

const orgTrailARN = "arn:aws:cloudtrail:us-east-1:999999999999:trail/org"

func (f orgTrailSeen) DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	out, err := f.CloudTrailAPI.DescribeTrails(ctx, in, o...)
	if err == nil {
		out.TrailList = append([]cttypes.Trail{{Name: aws.String("org"), TrailARN: aws.String(orgTrailARN), HomeRegion: aws.String("us-east-1"),
			IsMultiRegionTrail: aws.Bool(true), IsOrganizationTrail: aws.Bool(true),
			CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:999999999999:log-group:org-trail:*")}}, out.TrailList...)
	}
	return out, err
}

func (f orgTrailSeen) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	if aws.ToString(in.Name) == orgTrailARN {
		f.t.Error("the status of another account's trail was asked for")
		return nil, &smithy.GenericAPIError{Code: "TrailNotFoundException", Message: "Unknown trail"}
	}
	return f.CloudTrailAPI.GetTrailStatus(ctx, in, o...)
}

// goneLogGroup stands in for a log group deleted after the trail was set
// to send to it (moto answers an empty list rather than AWS's
// ResourceNotFoundException).
type goneLogGroup struct {
	cloudwatchlogs.DescribeMetricFiltersAPIClient
}

func (f goneLogGroup) DescribeMetricFilters(ctx context.Context, in *cloudwatchlogs.DescribeMetricFiltersInput, o ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeMetricFiltersOutput, error) {
	if aws.ToString(in.LogGroupName) != "gone" {
		return f.DescribeMetricFiltersAPIClient.DescribeMetricFilters(ctx, in, o...)
	}
	return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log group does not exist: " + aws.ToString(in.LogGroupName)}
}

// One link that cannot be read spoils only its own trail: an organization
// trail seen from a member is followed to its owner without asking for its
// status, and a trail whose log group is gone leaves the check unknown
// only when no other trail holds a complete chain.
func TestRootUsageAlarmUnreadLinks_Fake(t *testing.T) {
	cfg := motoConfig(t, nil)
	ctx := context.Background()
	cl := NewClients(cfg)
	cl.CloudTrail = orgTrailSeen{cl.CloudTrail, t}
	a := model.Account{ID: motoAccount}
	if err := (&RootUsageAlarm{}).Collect(ctx, cl, &a); err != nil {
		t.Fatal(err)
	}
	if got := a.RootUsageAlarm; got.Complete || got.ElsewhereAccount != "999999999999" || got.LogGroup != "org-trail" || (*a.Trails)[0].OwnerAccount != "999999999999" {
		t.Errorf("organization trail from a member: %+v %+v", got, a.Trails)
	}

	// The account's own trail, sending to a log group that is gone.
	if _, err := s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
		t.Fatal(err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccount + ":log-group:gone:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccount + ":role/ct")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}); err != nil {
		t.Fatal(err)
	}
	regional := cl.Regional
	cl.Regional = func(region string) Regional {
		r := regional(region)
		r.Logs = goneLogGroup{r.Logs}
		return r
	}
	a = model.Account{ID: motoAccount}
	err := (&RootUsageAlarm{}).Collect(ctx, cl, &a)
	if err == nil || !strings.Contains(err.Error(), "metric filters of log group gone") || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("a link not read, no complete chain: %v (%+v)", err, a.RootUsageAlarm)
	}
}
