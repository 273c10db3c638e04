package collect

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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

// auditTime is the clock the alarm collector judges delivery by in tests.
var auditTime = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func alarmCollector() *RootUsageAlarm {
	return &RootUsageAlarm{Now: func() time.Time { return auditTime }}
}

// deliveryStatus stands in for what moto cannot show: moto's GetTrailStatus
// has no LatestCloudWatchLogsDeliveryTime or LatestCloudWatchLogsDeliveryError,
// so this fake adds them to its real answer.
type deliveryStatus struct {
	CloudTrailAPI
	at  *time.Time // nil: never delivered
	err *string
}

func (f deliveryStatus) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	out, err := f.CloudTrailAPI.GetTrailStatus(ctx, in, o...)
	if err == nil {
		out.LatestCloudWatchLogsDeliveryTime, out.LatestCloudWatchLogsDeliveryError = f.at, f.err
	}
	return out, err
}

// deliveredAnHourAgo is a delivery status of a healthy trail.
func deliveredAnHourAgo(cl *Clients) {
	cl.CloudTrail = deliveryStatus{CloudTrailAPI: cl.CloudTrail, at: aws.Time(auditTime.Add(-time.Hour))}
}

// chainSpec is a whole CIS chain to build in moto; tests change one link.
type chainSpec struct {
	events   *cloudtrail.PutEventSelectorsInput // nil: read and write management events
	filter   logstypes.MetricTransformation     // MetricName and MetricNamespace are set by build
	pattern  string                             // "": cisPattern
	alarm    cloudwatch.PutMetricAlarmInput     // the names, metric and topic are set by build
	noAlarm  bool
	noSubscr bool
}

// build makes the chain in moto: trail "main" of motoAccount, multi-region,
// logging to log group ct in us-east-1, its CIS filter publishing
// CIS/RootUsage, alarm "root" on it notifying topic "alarms" with a
// subscription.
func (s chainSpec) build(t *testing.T, cfg aws.Config) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s3.NewFromConfig(cfg).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}))
	logs := cloudwatchlogs.NewFromConfig(cfg)
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("ct")}))
	ct := cloudtrail.NewFromConfig(cfg)
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("main"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccount + ":log-group:ct:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccount + ":role/ct")}))
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	events := s.events
	if events == nil {
		events = &cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}
	}
	events.TrailName = aws.String("main")
	must(ct.PutEventSelectors(ctx, events))
	mt := s.filter
	mt.MetricName, mt.MetricNamespace = aws.String("RootUsage"), aws.String("CIS")
	if mt.MetricValue == nil {
		mt.MetricValue = aws.String("1")
	}
	pattern := s.pattern
	if pattern == "" {
		pattern = cisPattern
	}
	must(logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("ct"), FilterName: aws.String("root"),
		FilterPattern: aws.String(pattern), MetricTransformations: []logstypes.MetricTransformation{mt}}))
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("alarms")})
	if err != nil {
		t.Fatal(err)
	}
	if !s.noSubscr {
		must(sns.NewFromConfig(cfg).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("sec@example.com")}))
	}
	if s.noAlarm {
		return
	}
	al := s.alarm
	al.AlarmName, al.MetricName, al.Namespace = aws.String("root"), aws.String("RootUsage"), aws.String("CIS")
	if al.Statistic == "" && al.ExtendedStatistic == nil {
		al.Statistic = cwtypes.StatisticSum
	}
	if al.Period == nil {
		al.Period = aws.Int32(300)
	}
	if al.Threshold == nil {
		al.Threshold = aws.Float64(1)
	}
	if al.EvaluationPeriods == nil {
		al.EvaluationPeriods = aws.Int32(1)
	}
	if al.ComparisonOperator == "" {
		al.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold
	}
	al.AlarmActions = []string{aws.ToString(topic.TopicArn)}
	must(cloudwatch.NewFromConfig(cfg).PutMetricAlarm(ctx, &al))
}

func TestIsRootUsagePattern(t *testing.T) {
	for p, want := range map[string]bool{
		cisPattern: true,
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`: true,
		`{$.eventType !="AwsServiceEvent" && $.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}`:      true,
		// Root unquoted, parentheses, other spacing and order, keywords in
		// any case, a term repeated.
		`{$.userIdentity.type=Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType!=AwsServiceEvent}`:                                    true,
		`{($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent")}`:                      true,
		`{ ($.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS) && $.eventType != "AwsServiceEvent" }`:                        true,
		`{$.userIdentity.type = "Root" && ($.userIdentity.invokedBy NOT EXISTS && ($.eventType != "AwsServiceEvent"))}`:                        true,
		"{\n\t$.userIdentity.type=\"Root\"\n\t&&   $.userIdentity.invokedBy   NOT   EXISTS\n\t&&$.eventType!=\"AwsServiceEvent\"\n}":           true,
		`{(($.userIdentity.invokedBy not exists && $.eventType != "AwsServiceEvent" && $.userIdentity.type = Root))}`:                          true,
		`{$.userIdentity.type="Root" && $.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`: true,
		`  {$.userIdentity.type="Root"&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!="AwsServiceEvent"}  `:                                true,

		`{$.userIdentity.type="Root"}`:                                        false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS}`: false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent" || $.errorCode = "*"}`:      false,
		`{$.userIdentity.type="Root" || $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                           false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS || $.eventType !="AwsServiceEvent"}`:                           false,
		`{$.userIdentity.type="IAMUser" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                        false,
		`{$.userIdentity.type="root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                           false,
		`{$.userIdentity.type="Root*" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                          false,
		`{$.userIdentity.type=%Root% && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                           false,
		`{$.userIdentity.type!="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                          false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy IS NULL && $.eventType !="AwsServiceEvent"}`:                              false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType ="AwsServiceEvent"}`:                            false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent" && $.errorCode NOT EXISTS}`: false,
		`{$.userIdentity.type="Root" & $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                            false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"`:                            false,
		`{($.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`:                          false,
		`{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"} extra`:                     false,
		`$.userIdentity.type="Root"`: false,
		`Root`:                       false,
		``:                           false,
	} {
		if got := IsRootUsagePattern(p); got != want {
			t.Errorf("IsRootUsagePattern(%q) = %v, want %v", p, got, want)
		}
	}
}

// Deep parentheses are refused, not recursed into without bound.
func TestFilterPatternDepth(t *testing.T) {
	deep := "{" + strings.Repeat("(", 100000) + `$.a = 1` + strings.Repeat(")", 100000) + "}"
	if _, err := parseFilterPattern(deep); err == nil || !strings.Contains(err.Error(), "nested deeper than 64") {
		t.Errorf("deep nesting: %v", err)
	}
	ok := "{" + strings.Repeat("(", 64) + `$.a = 1` + strings.Repeat(")", 64) + "}"
	if n, err := parseFilterPattern(ok); err != nil || n.String() != `$.a = 1` {
		t.Errorf("64 levels: %v %v", n, err)
	}
}

func TestParseFilterPatternCanonical(t *testing.T) {
	for in, want := range map[string]string{
		cisPattern: `($.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent")`,
		`{ $.a = b || $.c >= 2 && ($.d IS null || $.e = %x+%) }`: `($.a = "b" || ($.c >= 2 && ($.d IS NULL || $.e = %x+%)))`,
		`{$.a="x \" y"}`: `$.a = "x \" y"`,
	} {
		n, err := parseFilterPattern(in)
		if err != nil || n.String() != want {
			t.Errorf("parse %q = %v (%v), want %s", in, n, err, want)
		}
	}
}

// Every form of the CIS filter that CloudWatch Logs reads the same is
// recognized, whatever the fuzzer picks: order, quoting, spacing,
// parenthesization, keyword case.
func FuzzRootUsagePatternForms(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), " ", false)
	f.Add(uint8(5), uint8(7), uint8(3), "\n\t", true)
	f.Fuzz(func(t *testing.T, order, quoting, parens uint8, space string, lower bool) {
		space = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				return r
			}
			return -1
		}, space)
		sp := func() string { return space }
		q := func(i uint, v string) string {
			if quoting&(1<<i) != 0 {
				return v
			}
			return `"` + v + `"`
		}
		notExists := "NOT" + sp() + " EXISTS"
		if lower {
			notExists = "not" + sp() + " exists"
		}
		terms := []string{
			"$.userIdentity.type" + sp() + "=" + sp() + q(0, "Root"),
			"$.userIdentity.invokedBy " + sp() + notExists,
			"$.eventType" + sp() + "!=" + sp() + q(1, "AwsServiceEvent"),
		}
		perms := [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
		pm := perms[int(order)%len(perms)]
		a, b, c := terms[pm[0]], terms[pm[1]], terms[pm[2]]
		if parens&1 != 0 {
			a = "(" + sp() + a + sp() + ")"
		}
		var body string
		switch parens >> 1 % 3 {
		case 0:
			body = a + sp() + "&&" + sp() + b + sp() + "&&" + sp() + c
		case 1:
			body = "(" + a + sp() + "&&" + sp() + b + ")" + sp() + "&&" + sp() + c
		default:
			body = a + sp() + "&&" + sp() + "(" + sp() + b + sp() + "&&" + sp() + c + ")"
		}
		p := "{" + sp() + body + sp() + "}"
		if !IsRootUsagePattern(p) {
			t.Errorf("not recognized: %q", p)
		}
		// The same with one term changed is another filter.
		if wrong := strings.Replace(p, "Root", "IAMUser", 1); IsRootUsagePattern(wrong) {
			t.Errorf("recognized: %q", wrong)
		}
		if wrong := strings.Replace(p, "&&", "||", 1); IsRootUsagePattern(wrong) {
			t.Errorf("recognized: %q", wrong)
		}
	})
}

// Any input: no crash, and what parses renders to a form that parses to
// the same rendering.
func FuzzParseFilterPattern(f *testing.F) {
	for _, s := range []string{cisPattern, `{ $.a = b || ($.c >= 2 && $.d IS NULL) }`, `{$.a="x \" y"}`, `{$.a = %x%}`, `{((`, `{$.a NOT}`, `"`, `{$.a=1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilterPattern(s)
		if err != nil {
			return
		}
		canon := n.String()
		m, err := parseFilterPattern("{" + canon + "}")
		if err != nil {
			t.Fatalf("%q renders as %q, which does not parse: %v", s, canon, err)
		}
		if m.String() != canon {
			t.Fatalf("%q renders as %q, then as %q", s, canon, m.String())
		}
		_ = IsRootUsagePattern(s)
	})
}

// Which management events a trail's selectors record, basic and advanced.
func TestManagementEvents(t *testing.T) {
	mgmt := cttypes.AdvancedFieldSelector{Field: aws.String("eventCategory"), Equals: []string{"Management"}}
	readOnly := func(v string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: aws.String("readOnly"), Equals: []string{v}}
	}
	for _, c := range []struct {
		name       string
		in         cloudtrail.GetEventSelectorsOutput
		want, note string
	}{
		{"none at all", cloudtrail.GetEventSelectorsOutput{}, "none", ""},
		{"basic all", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}, "read-write", ""},
		{"basic defaults", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{}}}, "read-write", ""},
		{"basic read only", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeReadOnly}}}, "read-only", ""},
		{"basic write only", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeWriteOnly}}}, "write-only", ""},
		{"basic read and write in two", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{
			{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeWriteOnly}, {IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeReadOnly}}}, "read-write", ""},
		{"basic data events only", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeAll,
			DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}}, "none", ""},
		{"basic without KMS", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll,
			ExcludeManagementEventSources: []string{"kms.amazonaws.com"}}}}, "read-write", ""},
		{"basic without IAM", cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll,
			ExcludeManagementEventSources: []string{"iam.amazonaws.com"}}}}, "none", "an event selector leaves out iam.amazonaws.com"},
		{"advanced management", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt}}}}, "read-write", ""},
		{"advanced management without KMS and RDS data", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt,
			{Field: aws.String("eventSource"), NotEquals: []string{"kms.amazonaws.com", "rdsdata.amazonaws.com"}}}}}}, "read-write", ""},
		{"advanced read only", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt, readOnly("true")}}}}, "read-only", ""},
		{"advanced write only", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{readOnly("false"), mgmt}}}}, "write-only", ""},
		{"advanced read and write in two", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{
			{FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt, readOnly("true")}}, {FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt, readOnly("false")}}}}, "read-write", ""},
		{"advanced both values", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt,
			{Field: aws.String("readOnly"), Equals: []string{"true", "false"}}}}}}, "read-write", ""},
		{"advanced data only", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Data"}}, {Field: aws.String("resources.type"), Equals: []string{"AWS::S3::Object"}}}}}}, "none", ""},
		{"advanced narrowed to S3", cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("s3 only"), FieldSelectors: []cttypes.AdvancedFieldSelector{mgmt,
			{Field: aws.String("eventSource"), Equals: []string{"s3.amazonaws.com"}}}}}}, "none", `advanced event selector "s3 only" narrows management events by eventSource`},
	} {
		got, note := managementEvents(&c.in)
		if got != c.want || note != c.note {
			t.Errorf("%s: %q (%q), want %q (%q)", c.name, got, note, c.want, c.note)
		}
	}
}

// The whole chain, built in moto and followed through the real SDK; then
// link by link what is missing is named. The delivery to CloudWatch Logs
// comes from a fake (moto's GetTrailStatus has none).
func TestRootUsageAlarmChainFromMoto_FakeDeliveryStatus(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	cfg := motoConfig(t, func(a string) { mu.Lock(); calls = append(calls, a); mu.Unlock() })
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	delivered := aws.Time(auditTime.Add(-time.Hour))
	var deliveryErr *string
	clients := func() *Clients {
		cl := NewClients(cfg)
		cl.CloudTrail = deliveryStatus{CloudTrailAPI: cl.CloudTrail, at: delivered, err: deliveryErr}
		return cl
	}
	collectAlarm := func() *model.RootUsageAlarm {
		t.Helper()
		a := model.Account{ID: motoAccount}
		if err := alarmCollector().Collect(ctx, clients(), &a); err != nil {
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
	if got := collectAlarm(); got.Missing != "trail main is not logging" {
		t.Errorf("trail not logging: %+v", got)
	}
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("main")}))
	// moto answers no selectors where AWS answers its default (all
	// management events): nothing read says management events are recorded.
	if got := collectAlarm(); got.Missing != "trail main records no management events" {
		t.Errorf("no event selectors: %+v", got)
	}
	must(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeWriteOnly}}}))
	if got := collectAlarm(); got.Missing != "trail main records write management events only, not read events" {
		t.Errorf("write-only: %+v", got)
	}
	must(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{Name: aws.String("management"), FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}}}}}}))
	// The delivery to CloudWatch Logs: failing, stopped, never.
	deliveryErr = aws.String("AccessDeniedException: the role cannot write to the log group")
	if got := collectAlarm(); got.Missing != "trail main fails to deliver its events to CloudWatch Logs: AccessDeniedException: the role cannot write to the log group" {
		t.Errorf("delivery error: %+v", got)
	}
	deliveryErr, delivered = nil, aws.Time(time.Date(2026, 2, 27, 8, 30, 0, 0, time.UTC))
	if got := collectAlarm(); got.Missing != "trail main last delivered events to CloudWatch Logs at 2026-02-27T08:30:00Z, more than 24h before the audit (2026-03-02T12:00:00Z)" {
		t.Errorf("delivery stopped: %+v", got)
	}
	delivered = nil
	if got := collectAlarm(); got.Missing != "trail main has delivered no events to CloudWatch Logs" {
		t.Errorf("never delivered: %+v", got)
	}
	delivered = aws.Time(auditTime.Add(-23 * time.Hour))
	if got := collectAlarm(); got.Missing != "log group ct has no metric filter for root use (the CIS pattern)" {
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
	mu.Lock()
	calls = nil // the setup's calls are not the collector's
	mu.Unlock()
	got := collectAlarm()
	if !got.Complete || got.Missing != "" || got.Trail != "main" || got.Alarm != "root" || got.ConfirmedSubscriptions != 1 || got.FilterPattern != cisPattern ||
		got.TrailARN != "arn:aws:cloudtrail:us-east-1:"+motoAccount+":trail/main" || got.LogGroupARN != "arn:aws:logs:us-east-1:"+motoAccount+":log-group:ct" {
		t.Errorf("complete chain: %+v", got)
	}
	checkDeclared(t, []Collector{alarmCollector()}, calls)
	if !slices.Contains(calls, "cloudtrail:GetEventSelectors") {
		t.Errorf("event selectors not read: %v", calls)
	}

	// Another trail whose log group is gone (a fake: moto answers an empty
	// list) does not spoil the complete chain.
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("another"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccount + ":log-group:gone:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccount + ":role/ct")}))
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("another")}))
	cl := clients()
	regional := cl.Regional
	cl.Regional = func(region string) Regional {
		r := regional(region)
		r.Logs = goneLogGroup{r.Logs}
		return r
	}
	a := model.Account{ID: motoAccount}
	if err := alarmCollector().Collect(ctx, cl, &a); err != nil || !a.RootUsageAlarm.Complete {
		t.Errorf("a broken trail beside a complete chain: %v %+v", err, a.RootUsageAlarm)
	}
}

// An alarm that notifies nobody or cannot fire on one root use is no
// link, and the reason is named; alarms that do fire pass.
func TestRootUsageAlarmThatCannotFire_FakeDeliveryStatus(t *testing.T) {
	for _, c := range []struct {
		name string
		spec chainSpec
		want string // the missing link; "" for a complete chain
	}{
		{"the CIS alarm", chainSpec{}, ""},
		{"greater than 0.5", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold, Threshold: aws.Float64(0.5)}}, ""},
		{"Maximum", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{Statistic: cwtypes.StatisticMaximum}}, ""},
		{"SampleCount", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{Statistic: cwtypes.StatisticSampleCount}}, ""},
		{"Average with no default value", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{Statistic: cwtypes.StatisticAverage}}, ""},
		{"Sum with default value 0", chainSpec{filter: logstypes.MetricTransformation{DefaultValue: aws.Float64(0)}}, ""},
		{"one of three periods", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(1)}}, ""},
		{"a root filter in another form", chainSpec{pattern: `{ ($.eventType != AwsServiceEvent) && $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS }`}, ""},

		{"actions disabled", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{ActionsEnabled: aws.Bool(false)}},
			"alarm root has its actions disabled: it notifies nobody"},
		{"metric value 2", chainSpec{filter: logstypes.MetricTransformation{MetricValue: aws.String("2")}},
			`metric filter root publishes "2" to CIS/RootUsage for each root event, not 1 (CIS's metricValue=1)`},
		{"metric value from the event", chainSpec{filter: logstypes.MetricTransformation{MetricValue: aws.String("$.count")}},
			`metric filter root publishes "$.count" to CIS/RootUsage for each root event, not 1 (CIS's metricValue=1)`},
		{"threshold 2", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{Threshold: aws.Float64(2)}},
			"alarm root cannot fire on one root use: one root use counts 1, and the alarm needs at least 2"},
		{"greater than 1", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold}},
			"alarm root cannot fire on one root use: one root use counts 1, and the alarm needs more than 1"},
		{"less than", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{ComparisonOperator: cwtypes.ComparisonOperatorLessThanThreshold}},
			"alarm root cannot fire on one root use: its comparison LessThanThreshold fires when root is not used, not when it is"},
		{"two breaching periods", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{EvaluationPeriods: aws.Int32(2)}},
			"alarm root cannot fire on one root use: it needs 2 breaching periods, and one root use makes one"},
		{"missing data breaching", chainSpec{alarm: cloudwatch.PutMetricAlarmInput{TreatMissingData: aws.String("breaching")}},
			"alarm root cannot fire on one root use: it treats missing data as breaching, so it sits in ALARM while root is unused and a use changes nothing"},
		{"default value breaching", chainSpec{filter: logstypes.MetricTransformation{DefaultValue: aws.Float64(0)}, alarm: cloudwatch.PutMetricAlarmInput{Threshold: aws.Float64(0)}},
			"alarm root cannot fire on one root use: the filter's default value 0 already breaches the threshold, so the alarm sits in ALARM while root is unused and a use changes nothing"},
		{"Average with a default value", chainSpec{filter: logstypes.MetricTransformation{DefaultValue: aws.Float64(0)}, alarm: cloudwatch.PutMetricAlarmInput{Statistic: cwtypes.StatisticAverage}},
			"alarm root cannot fire on one root use: its statistic Average can stay below the threshold when the filter's default value 0 is published beside the 1 (use Sum)"},
		{"SampleCount with a default value", chainSpec{filter: logstypes.MetricTransformation{DefaultValue: aws.Float64(0)}, alarm: cloudwatch.PutMetricAlarmInput{Statistic: cwtypes.StatisticSampleCount}},
			"alarm root cannot fire on one root use: its statistic SampleCount counts the filter's default value too, so it sits in ALARM whenever other events arrive and a root use changes nothing (use Sum)"},
		{"an IAM user filter", chainSpec{pattern: `{$.userIdentity.type="IAMUser" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`},
			"log group ct has no metric filter for root use (the CIS pattern)"},
		{"an || filter", chainSpec{pattern: `{$.userIdentity.type="Root" || $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}`},
			"log group ct has no metric filter for root use (the CIS pattern)"},
		{"no invokedBy term", chainSpec{pattern: `{$.userIdentity.type="Root" && $.eventType !="AwsServiceEvent"}`},
			"log group ct has no metric filter for root use (the CIS pattern)"},
		{"read-only management events", chainSpec{events: &cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeReadOnly}}}},
			"trail main records read management events only, not write events"},
		{"advanced: read-only management events", chainSpec{events: &cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{{FieldSelectors: []cttypes.AdvancedFieldSelector{
			{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("readOnly"), Equals: []string{"true"}}}}}}},
			"trail main records read management events only, not write events"},
		{"advanced: read and write in two selectors", chainSpec{events: &cloudtrail.PutEventSelectorsInput{AdvancedEventSelectors: []cttypes.AdvancedEventSelector{
			{FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("readOnly"), Equals: []string{"true"}}}},
			{FieldSelectors: []cttypes.AdvancedFieldSelector{{Field: aws.String("eventCategory"), Equals: []string{"Management"}}, {Field: aws.String("readOnly"), Equals: []string{"false"}}}}}}},
			""},
		{"data events only", chainSpec{events: &cloudtrail.PutEventSelectorsInput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(false), ReadWriteType: cttypes.ReadWriteTypeAll,
			DataResources: []cttypes.DataResource{{Type: aws.String("AWS::S3::Object"), Values: []string{"arn:aws:s3"}}}}}}},
			"trail main records no management events"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := motoConfig(t, nil)
			c.spec.build(t, cfg)
			cl := NewClients(cfg)
			deliveredAnHourAgo(cl)
			a := model.Account{ID: motoAccount}
			if err := alarmCollector().Collect(context.Background(), cl, &a); err != nil {
				t.Fatal(err)
			}
			got := a.RootUsageAlarm
			if got.Missing != c.want || got.Complete != (c.want == "") {
				t.Errorf("got complete=%v missing %q\nwant %q", got.Complete, got.Missing, c.want)
			}
		})
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

func (f orgTrailSeen) GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	if aws.ToString(in.TrailName) == orgTrailARN {
		f.t.Error("the event selectors of another account's trail were asked for")
		return nil, &smithy.GenericAPIError{Code: "TrailNotFoundException", Message: "Unknown trail"}
	}
	return f.CloudTrailAPI.GetEventSelectors(ctx, in, o...)
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
	deliveredAnHourAgo(cl)
	a := model.Account{ID: motoAccount}
	if err := alarmCollector().Collect(ctx, cl, &a); err != nil {
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
	if _, err := ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("main"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}); err != nil {
		t.Fatal(err)
	}
	regional := cl.Regional
	cl.Regional = func(region string) Regional {
		r := regional(region)
		r.Logs = goneLogGroup{r.Logs}
		return r
	}
	a = model.Account{ID: motoAccount}
	err := alarmCollector().Collect(ctx, cl, &a)
	if err == nil || !strings.Contains(err.Error(), "metric filters of log group gone") || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("a link not read, no complete chain: %v (%+v)", err, a.RootUsageAlarm)
	}
}

// The audit's clock reaches the collector through Options.Now: a delivery
// an hour before the audit time is fresh, whatever the machine's clock
// says.
func TestRootUsageAlarmClockFromOptions_FakeDeliveryStatus(t *testing.T) {
	cfg := motoConfig(t, nil)
	chainSpec{}.build(t, cfg)
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{auditTime, ""},
		{auditTime.Add(25 * time.Hour), "trail main last delivered events to CloudWatch Logs at 2026-03-02T11:00:00Z, more than 24h before the audit (2026-03-03T13:00:00Z)"},
	} {
		cl := NewClients(cfg)
		deliveredAnHourAgo(cl)
		a := model.Account{ID: motoAccount}
		cs := Collectors(Options{Facts: map[string]bool{"root_usage_alarm": true}, Now: func() time.Time { return c.now }})
		if errs := CollectAccount(context.Background(), cs, cl, &a); len(errs) != 0 {
			t.Fatalf("errors: %+v", errs)
		}
		if got := a.RootUsageAlarm; got.Missing != c.want || got.Complete != (c.want == "") {
			t.Errorf("audit at %s: complete=%v missing %q, want %q", c.now, got.Complete, got.Missing, c.want)
		}
	}
}

// An account with two whole chains records its organization trail's, the
// one members' chains are found through, even when another trail's is
// found first.
func TestRootUsageAlarmPrefersTheOrganizationTrail_FakeDeliveryStatus(t *testing.T) {
	cfg := motoConfig(t, nil)
	chainSpec{}.build(t, cfg)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	logs := cloudwatchlogs.NewFromConfig(cfg)
	must(logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("org-ct")}))
	ct := cloudtrail.NewFromConfig(cfg)
	must(ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
		IsOrganizationTrail:       aws.Bool(true),
		CloudWatchLogsLogGroupArn: aws.String("arn:aws:logs:us-east-1:" + motoAccount + ":log-group:org-ct:*"),
		CloudWatchLogsRoleArn:     aws.String("arn:aws:iam::" + motoAccount + ":role/ct")}))
	must(ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org")}))
	must(ct.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String("org"),
		EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}))
	must(logs.PutMetricFilter(ctx, &cloudwatchlogs.PutMetricFilterInput{LogGroupName: aws.String("org-ct"), FilterName: aws.String("org-root"),
		FilterPattern: aws.String(cisPattern), MetricTransformations: []logstypes.MetricTransformation{{MetricName: aws.String("OrgRootUsage"),
			MetricNamespace: aws.String("CIS"), MetricValue: aws.String("1")}}}))
	must(cloudwatch.NewFromConfig(cfg).PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("org-root"), MetricName: aws.String("OrgRootUsage"),
		Namespace: aws.String("CIS"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(300), Threshold: aws.Float64(1), EvaluationPeriods: aws.Int32(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		AlarmActions:       []string{"arn:aws:sns:us-east-1:" + motoAccount + ":alarms"}}))
	cl := NewClients(cfg)
	deliveredAnHourAgo(cl)
	a := model.Account{ID: motoAccount}
	if err := alarmCollector().Collect(ctx, cl, &a); err != nil {
		t.Fatal(err)
	}
	if len(*a.Trails) != 2 || (*a.Trails)[0].Name != "main" {
		t.Fatalf("trails (main first): %+v", a.Trails)
	}
	if got := a.RootUsageAlarm; !got.Complete || got.Trail != "org" || got.TrailARN != "arn:aws:cloudtrail:us-east-1:"+motoAccount+":trail/org" ||
		got.LogGroupARN != "arn:aws:logs:us-east-1:"+motoAccount+":log-group:org-ct" || got.Alarm != "org-root" {
		t.Errorf("chain: %+v", got)
	}
}
