package collect

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/rootwatch/rootwatch/internal/model"
)

// CloudTrailAPI is the part of the CloudTrail client rootwatch uses.
type CloudTrailAPI interface {
	DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(context.Context, *cloudtrail.GetTrailStatusInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
}

// Regional are the clients of one region, where a trail's log group, its
// alarms and their topics live.
type Regional struct {
	EC2 interface {
		ec2.DescribeInstancesAPIClient
	}
	RDS        rds.DescribeDBInstancesAPIClient
	Logs       cloudwatchlogs.DescribeMetricFiltersAPIClient
	CloudWatch interface {
		DescribeAlarmsForMetric(context.Context, *cloudwatch.DescribeAlarmsForMetricInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsForMetricOutput, error)
	}
	SNS sns.ListSubscriptionsByTopicAPIClient
}

// RootUsageAlarm finds the trails and follows the CIS root-usage monitoring
// chain from each: trail → log group → metric filter → alarm → SNS topic →
// confirmed subscription.
type RootUsageAlarm struct{}

func (*RootUsageAlarm) Name() string { return "trails and root usage alarm" }

func (*RootUsageAlarm) Facts() []string { return []string{"root_usage_alarm"} }

func (*RootUsageAlarm) Actions() []string {
	return []string{"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudwatch:DescribeAlarmsForMetric",
		"logs:DescribeMetricFilters", "sns:ListSubscriptionsByTopic"}
}

func (*RootUsageAlarm) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	out, err := cl.CloudTrail.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return err
	}
	trails := []model.Trail{}
	// A link that cannot be read (a deleted log group, a topic in a
	// central account the role may not list) spoils only its own trail's
	// chain: another trail may still hold a complete one.
	var unread []string
	for _, t := range out.TrailList {
		tr := model.Trail{Name: aws.ToString(t.Name), ARN: aws.ToString(t.TrailARN), HomeRegion: aws.ToString(t.HomeRegion),
			MultiRegion: aws.ToBool(t.IsMultiRegionTrail), Organization: aws.ToBool(t.IsOrganizationTrail), LogGroupARN: aws.ToString(t.CloudWatchLogsLogGroupArn)}
		if owner := accountOf(tr.ARN); owner != "" && owner != a.ID {
			// An organization trail seen from a member: GetTrailStatus is
			// refused here (TrailNotFoundException); its owner's audit
			// reads it.
			tr.OwnerAccount = owner
			trails = append(trails, tr)
			continue
		}
		st, err := cl.CloudTrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: t.TrailARN})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			unread = append(unread, fmt.Sprintf("status of trail %s: %s", tr.Name, describe(err)))
			continue
		}
		tr.Logging = aws.ToBool(st.IsLogging)
		trails = append(trails, tr)
	}
	alarm, chainErrs, err := followChain(ctx, cl, a.ID, trails)
	if err != nil {
		return err
	}
	if unread = append(unread, chainErrs...); len(unread) > 0 && !alarm.Complete {
		// Unknown: the link not read may have completed a chain.
		return fmt.Errorf("no complete chain among what could be read, and %s", strings.Join(unread, "; "))
	}
	a.Trails, a.RootUsageAlarm = &trails, alarm
	return nil
}

// accountOf is the account in an ARN, "" when there is none.
func accountOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// followChain returns a complete chain if one exists, else the one that got
// furthest, with its first missing link. Links that could not be read are
// returned as unread, and the search goes on past them; err is only ctx's.
func followChain(ctx context.Context, cl *Clients, account string, trails []model.Trail) (best *model.RootUsageAlarm, unread []string, err error) {
	best = &model.RootUsageAlarm{Missing: "no trail: CloudTrail does not record this account's activity"}
	depth := 0
	better := func(d int, c model.RootUsageAlarm) {
		if d > depth {
			depth, *best = d, c
		}
	}
	// failed notes a link that could not be read; false when the run is
	// being stopped.
	failed := func(what string, err error) bool {
		if ctx.Err() != nil {
			return false
		}
		unread = append(unread, what+": "+describe(err))
		return true
	}
	for _, t := range trails {
		c := model.RootUsageAlarm{Trail: t.Name}
		switch {
		case !t.MultiRegion:
			c.Missing = fmt.Sprintf("trail %s records one region only", t.Name)
			better(1, c)
			continue
		case !t.Logging && t.OwnerAccount == "":
			c.Missing = fmt.Sprintf("trail %s is not logging", t.Name)
			better(2, c)
			continue
		case t.LogGroupARN == "":
			c.Missing = fmt.Sprintf("trail %s does not send its events to CloudWatch Logs", t.Name)
			better(3, c)
			continue
		}
		region, group, owner, ok := logGroupOf(t.LogGroupARN)
		if ok && owner != "" && owner != account {
			c.Missing = fmt.Sprintf("trail %s sends to log group %s in account %s, where its metric filter and alarm live", t.Name, group, owner)
			c.ElsewhereAccount, c.LogGroup = owner, group
			better(4, c)
			continue
		}
		if !ok {
			c.Missing = fmt.Sprintf("trail %s has an unreadable log group ARN %q", t.Name, t.LogGroupARN)
			better(3, c)
			continue
		}
		c.LogGroup = group
		rc := cl.Regional(region)
		filters, err := rootFilters(ctx, rc, group)
		if err != nil {
			if !failed("metric filters of log group "+group, err) {
				return nil, nil, ctx.Err()
			}
			continue
		}
		if len(filters) == 0 {
			c.Missing = fmt.Sprintf("log group %s has no metric filter for root use (the CIS pattern)", group)
			better(4, c)
			continue
		}
		for _, f := range filters {
			c.Filter, c.FilterPattern, c.Metric = f.name, f.pattern, f.namespace+"/"+f.metric
			alarms, err := rc.CloudWatch.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{
				MetricName: aws.String(f.metric), Namespace: aws.String(f.namespace)})
			if err != nil {
				if !failed("alarms on metric "+c.Metric, err) {
					return nil, nil, ctx.Err()
				}
				continue
			}
			if len(alarms.MetricAlarms) == 0 {
				c.Missing = fmt.Sprintf("no alarm on metric %s", c.Metric)
				better(5, c)
				continue
			}
			for _, al := range alarms.MetricAlarms {
				c.Alarm = aws.ToString(al.AlarmName)
				var topics []string
				for _, act := range al.AlarmActions {
					if strings.HasPrefix(act, "arn:") && strings.Contains(act, ":sns:") {
						topics = append(topics, act)
					}
				}
				if len(topics) == 0 {
					c.Missing = fmt.Sprintf("alarm %s notifies no SNS topic", c.Alarm)
					better(6, c)
					continue
				}
				for _, topic := range topics {
					c.Topic = topic
					n, err := confirmed(ctx, cl.Regional(regionOf(topic, region)), topic)
					if err != nil {
						if !failed("subscriptions of topic "+topic, err) {
							return nil, nil, ctx.Err()
						}
						continue
					}
					c.ConfirmedSubscriptions = n
					if n == 0 {
						c.Missing = fmt.Sprintf("topic %s has no confirmed subscription", topic)
						better(7, c)
						continue
					}
					c.Missing, c.Complete = "", true
					return &c, nil, nil
				}
			}
		}
	}
	return best, unread, nil
}

type metricFilter struct{ name, pattern, metric, namespace string }

func rootFilters(ctx context.Context, rc Regional, group string) ([]metricFilter, error) {
	var out []metricFilter
	p := cloudwatchlogs.NewDescribeMetricFiltersPaginator(rc.Logs, &cloudwatchlogs.DescribeMetricFiltersInput{LogGroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range page.MetricFilters {
			if !IsRootUsagePattern(aws.ToString(f.FilterPattern)) {
				continue
			}
			for _, mt := range f.MetricTransformations {
				out = append(out, metricFilter{name: aws.ToString(f.FilterName), pattern: aws.ToString(f.FilterPattern),
					metric: aws.ToString(mt.MetricName), namespace: aws.ToString(mt.MetricNamespace)})
			}
		}
	}
	return out, nil
}

// IsRootUsagePattern reports whether a metric filter pattern is the CIS
// root-usage filter, {$.userIdentity.type="Root" && $.userIdentity.invokedBy
// NOT EXISTS && $.eventType !="AwsServiceEvent"}, whatever its spacing and
// the order of its three terms.
func IsRootUsagePattern(p string) bool {
	s := strings.Join(strings.Fields(p), "")
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return false
	}
	terms := strings.Split(s[1:len(s)-1], "&&")
	want := map[string]bool{`$.userIdentity.type="Root"`: false, `$.userIdentity.invokedByNOTEXISTS`: false, `$.eventType!="AwsServiceEvent"`: false}
	for _, t := range terms {
		t = strings.TrimSuffix(strings.TrimPrefix(t, "("), ")")
		if _, ok := want[t]; !ok {
			return false
		}
		want[t] = true
	}
	for _, seen := range want {
		if !seen {
			return false
		}
	}
	return true
}

func confirmed(ctx context.Context, rc Regional, topic string) (int, error) {
	n := 0
	p := sns.NewListSubscriptionsByTopicPaginator(rc.SNS, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, s := range page.Subscriptions {
			if arn := aws.ToString(s.SubscriptionArn); strings.HasPrefix(arn, "arn:") {
				n++ // "PendingConfirmation" until the endpoint confirms
			}
		}
	}
	return n, nil
}

// logGroupOf splits arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*].
func logGroupOf(arn string) (region, name, account string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[2] != "logs" || parts[5] != "log-group" {
		return "", "", "", false
	}
	return parts[3], strings.TrimSuffix(parts[6], ":*"), parts[4], true
}

func regionOf(arn, fallback string) string {
	if parts := strings.SplitN(arn, ":", 5); len(parts) == 5 && parts[3] != "" {
		return parts[3]
	}
	return fallback
}
