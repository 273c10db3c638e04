package collect

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
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
	GetEventSelectors(context.Context, *cloudtrail.GetEventSelectorsInput, ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
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

// DeliveryMaxAge is how long before the audit a trail must last have
// delivered its events to CloudWatch Logs: a trail that has delivered
// nothing for longer feeds the metric filter nothing.
const DeliveryMaxAge = 24 * time.Hour

// RootUsageAlarm finds the trails and follows the CIS root-usage monitoring
// chain from each: a multi-region trail that is logging, records read and
// write management events and delivers them to CloudWatch Logs → log group
// → metric filter → an alarm that fires on one root use and has its actions
// enabled → SNS topic → confirmed subscription.
type RootUsageAlarm struct {
	// Now is the audit's clock, which the last delivery to CloudWatch Logs
	// is judged by; nil means time.Now (Options.Now).
	Now func() time.Time
}

func (*RootUsageAlarm) Name() string { return "trails and root usage alarm" }

func (*RootUsageAlarm) Facts() []string { return []string{"root_usage_alarm"} }

func (*RootUsageAlarm) Actions() []string {
	return []string{"cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus", "cloudwatch:DescribeAlarmsForMetric",
		"logs:DescribeMetricFilters", "sns:ListSubscriptionsByTopic"}
}

func (c *RootUsageAlarm) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	out, err := cl.CloudTrail.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return err
	}
	trails := []model.Trail{}
	// Why a trail's management events fall short, by trail ARN.
	notes := map[string]string{}
	// A link that cannot be read (a deleted log group, a topic in a
	// central account the role may not list) spoils only its own trail's
	// chain: another trail may still hold a complete one.
	var unread []string
	for _, t := range out.TrailList {
		tr := model.Trail{Name: aws.ToString(t.Name), ARN: aws.ToString(t.TrailARN), HomeRegion: aws.ToString(t.HomeRegion),
			MultiRegion: aws.ToBool(t.IsMultiRegionTrail), Organization: aws.ToBool(t.IsOrganizationTrail), LogGroupARN: aws.ToString(t.CloudWatchLogsLogGroupArn)}
		if owner := accountOf(tr.ARN); owner != "" && owner != a.ID {
			// An organization trail seen from a member: GetTrailStatus and
			// GetEventSelectors are refused here (TrailNotFoundException);
			// its owner's audit reads them.
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
		tr.CloudWatchLogsDeliveryError = aws.ToString(st.LatestCloudWatchLogsDeliveryError)
		if st.LatestCloudWatchLogsDeliveryTime != nil {
			tr.LatestCloudWatchLogsDelivery = st.LatestCloudWatchLogsDeliveryTime.UTC()
		}
		sel, err := cl.CloudTrail.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: t.TrailARN})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			unread = append(unread, fmt.Sprintf("event selectors of trail %s: %s", tr.Name, describe(err)))
			continue
		}
		tr.ManagementEvents, notes[tr.ARN] = managementEvents(sel)
		trails = append(trails, tr)
	}
	alarm, chainErrs, err := followChain(ctx, cl, a.ID, now(), trails, notes)
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

// Management events a trail records, as model.Trail.ManagementEvents
// says them.
const (
	recordsReadWrite = "read-write"
	recordsRead      = "read-only"
	recordsWrite     = "write-only"
	recordsNone      = "none"
)

// excludableSources are the only event sources CloudTrail lets a trail
// leave out of its management events (high-volume data-plane calls):
// leaving them out is still "all management events" in CIS's sense.
func excludableSources() []string { return []string{"kms.amazonaws.com", "rdsdata.amazonaws.com"} }

// managementEvents reads what a trail's event selectors record of
// management events, and why they fall short when a selector meant for
// them is narrowed in a way rootwatch does not count.
func managementEvents(out *cloudtrail.GetEventSelectorsOutput) (records, note string) {
	read, write := false, false
	var notes []string
	for _, s := range out.EventSelectors {
		// Absent, IncludeManagementEvents and ReadWriteType take their
		// documented defaults: true and All.
		if s.IncludeManagementEvents != nil && !*s.IncludeManagementEvents {
			continue
		}
		if ex := slices.DeleteFunc(slices.Clone(s.ExcludeManagementEventSources), func(src string) bool {
			return slices.Contains(excludableSources(), src)
		}); len(ex) > 0 {
			notes = append(notes, "an event selector leaves out "+strings.Join(ex, ", "))
			continue
		}
		switch s.ReadWriteType {
		case cttypes.ReadWriteTypeReadOnly:
			read = true
		case cttypes.ReadWriteTypeWriteOnly:
			write = true
		default:
			read, write = true, true
		}
	}
	for _, s := range out.AdvancedEventSelectors {
		r, w, why := advancedManagement(s)
		read, write = read || r, write || w
		if why != "" {
			name := aws.ToString(s.Name)
			if name == "" {
				name = "an advanced event selector"
			} else {
				name = fmt.Sprintf("advanced event selector %q", name)
			}
			notes = append(notes, name+" "+why)
		}
	}
	switch {
	case read && write:
		return recordsReadWrite, ""
	case read:
		records = recordsRead
	case write:
		records = recordsWrite
	default:
		records = recordsNone
	}
	return records, strings.Join(notes, "; ")
}

// advancedManagement says which management events one advanced selector
// records. Trails select management events by eventCategory (Equals
// Management), readOnly (Equals true or false) and eventSource (NotEquals
// kms.amazonaws.com or rdsdata.amazonaws.com); why says what keeps a
// selector on management events from counting.
func advancedManagement(s cttypes.AdvancedEventSelector) (read, write bool, why string) {
	management := false
	read, write = true, true
	var narrowed []string
	for _, f := range s.FieldSelectors {
		switch field := aws.ToString(f.Field); field {
		case "eventCategory":
			management = fieldAllows(f, "Management")
			if !management {
				return false, false, ""
			}
		case "readOnly":
			read, write = fieldAllows(f, "true"), fieldAllows(f, "false")
		case "eventSource":
			if len(f.Equals)+len(f.StartsWith)+len(f.EndsWith)+len(f.NotStartsWith)+len(f.NotEndsWith) > 0 ||
				slices.ContainsFunc(f.NotEquals, func(src string) bool { return !slices.Contains(excludableSources(), src) }) {
				narrowed = append(narrowed, field)
			}
		default:
			narrowed = append(narrowed, field)
		}
	}
	switch {
	case !management:
		return false, false, ""
	case len(narrowed) > 0:
		return false, false, "narrows management events by " + strings.Join(narrowed, ", ")
	}
	return read, write, ""
}

// fieldAllows reports whether a value passes an advanced field selector.
func fieldAllows(f cttypes.AdvancedFieldSelector, v string) bool {
	if len(f.Equals) > 0 && !slices.Contains(f.Equals, v) ||
		len(f.StartsWith) > 0 && !slices.ContainsFunc(f.StartsWith, func(p string) bool { return strings.HasPrefix(v, p) }) ||
		len(f.EndsWith) > 0 && !slices.ContainsFunc(f.EndsWith, func(p string) bool { return strings.HasSuffix(v, p) }) {
		return false
	}
	return !slices.Contains(f.NotEquals, v) &&
		!slices.ContainsFunc(f.NotStartsWith, func(p string) bool { return strings.HasPrefix(v, p) }) &&
		!slices.ContainsFunc(f.NotEndsWith, func(p string) bool { return strings.HasSuffix(v, p) })
}

// accountOf is the account in an ARN, "" when there is none.
func accountOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// How far a chain got: the one that got furthest names what is missing.
const (
	linkMultiRegion = iota + 1
	linkLogging
	linkManagementEvents
	linkLogGroup
	linkDelivery
	linkFilter // or judged in another account
	linkMetricValue
	linkAlarm
	linkFires
	linkActionsEnabled
	linkTopic
	linkSubscription
)

// followChain returns a complete chain if one exists (an organization
// trail's first: members' chains are found through it), else the one that
// got furthest, with its first missing link. Links that could not be read
// are returned as unread, and the search goes on past them; err is only
// ctx's.
func followChain(ctx context.Context, cl *Clients, account string, now time.Time, trails []model.Trail, notes map[string]string) (best *model.RootUsageAlarm, unread []string, err error) {
	best = &model.RootUsageAlarm{Missing: "no trail: CloudTrail does not record this account's activity"}
	depth := 0
	var complete *model.RootUsageAlarm
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
		if complete != nil && !t.Organization {
			continue
		}
		own := t.OwnerAccount == ""
		c := model.RootUsageAlarm{Trail: t.Name, TrailARN: t.ARN}
		switch {
		case !t.MultiRegion:
			c.Missing = fmt.Sprintf("trail %s records one region only", t.Name)
			better(linkMultiRegion, c)
			continue
		case own && !t.Logging:
			c.Missing = fmt.Sprintf("trail %s is not logging", t.Name)
			better(linkLogging, c)
			continue
		case own && t.ManagementEvents != recordsReadWrite:
			c.Missing = managementMissing(t, notes[t.ARN])
			better(linkManagementEvents, c)
			continue
		case t.LogGroupARN == "":
			c.Missing = fmt.Sprintf("trail %s does not send its events to CloudWatch Logs", t.Name)
			better(linkLogGroup, c)
			continue
		case own && t.CloudWatchLogsDeliveryError != "":
			c.Missing = fmt.Sprintf("trail %s fails to deliver its events to CloudWatch Logs: %s", t.Name, t.CloudWatchLogsDeliveryError)
			better(linkDelivery, c)
			continue
		case own && t.LatestCloudWatchLogsDelivery.IsZero():
			c.Missing = fmt.Sprintf("trail %s has delivered no events to CloudWatch Logs", t.Name)
			better(linkDelivery, c)
			continue
		case own && now.Sub(t.LatestCloudWatchLogsDelivery) > DeliveryMaxAge:
			c.Missing = fmt.Sprintf("trail %s last delivered events to CloudWatch Logs at %s, more than %s before the audit (%s)",
				t.Name, t.LatestCloudWatchLogsDelivery.UTC().Format(time.RFC3339), fmtHours(DeliveryMaxAge), now.UTC().Format(time.RFC3339))
			better(linkDelivery, c)
			continue
		}
		region, group, owner, ok := logGroupOf(t.LogGroupARN)
		if !ok {
			c.Missing = fmt.Sprintf("trail %s has an unreadable log group ARN %q", t.Name, t.LogGroupARN)
			better(linkLogGroup, c)
			continue
		}
		c.LogGroup, c.LogGroupARN = group, strings.TrimSuffix(t.LogGroupARN, ":*")
		if !own || owner != "" && owner != account {
			if owner == "" {
				owner = t.OwnerAccount
			}
			c.Missing = fmt.Sprintf("trail %s sends to log group %s in account %s, where its metric filter and alarm live", t.Name, group, owner)
			c.ElsewhereAccount = owner
			better(linkFilter, c)
			continue
		}
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
			better(linkFilter, c)
			continue
		}
		for _, f := range filters {
			c.Filter, c.FilterPattern, c.Metric = f.name, f.pattern, f.namespace+"/"+f.metric
			c.Alarm, c.Topic, c.ConfirmedSubscriptions = "", "", 0
			if v, err := strconv.ParseFloat(strings.TrimSpace(f.value), 64); err != nil || v != 1 {
				c.Missing = fmt.Sprintf("metric filter %s publishes %q to %s for each root event, not 1 (CIS's metricValue=1)", f.name, f.value, c.Metric)
				better(linkMetricValue, c)
				continue
			}
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
				better(linkAlarm, c)
				continue
			}
			for _, al := range alarms.MetricAlarms {
				c.Alarm, c.Topic, c.ConfirmedSubscriptions = aws.ToString(al.AlarmName), "", 0
				if why := cannotFire(al, f.defaultValue); why != "" {
					c.Missing = fmt.Sprintf("alarm %s cannot fire on one root use: %s", c.Alarm, why)
					better(linkFires, c)
					continue
				}
				if !aws.ToBool(al.ActionsEnabled) {
					c.Missing = fmt.Sprintf("alarm %s has its actions disabled: it notifies nobody", c.Alarm)
					better(linkActionsEnabled, c)
					continue
				}
				var topics []string
				for _, act := range al.AlarmActions {
					if strings.HasPrefix(act, "arn:") && strings.Contains(act, ":sns:") {
						topics = append(topics, act)
					}
				}
				if len(topics) == 0 {
					c.Missing = fmt.Sprintf("alarm %s notifies no SNS topic", c.Alarm)
					better(linkTopic, c)
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
						better(linkSubscription, c)
						continue
					}
					c.Missing, c.Complete = "", true
					if t.Organization {
						return &c, nil, nil
					}
					if complete == nil {
						complete = &c
					}
					break
				}
				if complete != nil {
					break
				}
			}
			if complete != nil {
				break
			}
		}
	}
	if complete != nil {
		return complete, nil, nil
	}
	return best, unread, nil
}

// managementMissing words a trail's shortfall in management events.
func managementMissing(t model.Trail, note string) string {
	var s string
	switch t.ManagementEvents {
	case recordsRead:
		s = fmt.Sprintf("trail %s records read management events only, not write events", t.Name)
	case recordsWrite:
		s = fmt.Sprintf("trail %s records write management events only, not read events", t.Name)
	default:
		s = fmt.Sprintf("trail %s records no management events", t.Name)
	}
	if note != "" {
		s += " (" + note + ")"
	}
	return s
}

// fmtHours words a whole number of hours.
func fmtHours(d time.Duration) string { return strconv.Itoa(int(d.Hours())) + "h" }

// cannotFire says why an alarm on the root-usage metric stays silent when
// root is used once (the filter publishes 1), or "" when it fires: the
// comparison and threshold must be met by 1, one breaching period must
// suffice, the statistic must see the 1, and the alarm must not already
// sit in ALARM while root is unused (a default value or missing data that
// breaches), as actions run only on a change of state.
func cannotFire(al cwtypes.MetricAlarm, defaultValue *float64) string {
	if al.ThresholdMetricId != nil || al.Threshold == nil {
		return "it compares with an anomaly detection band, not a fixed threshold"
	}
	th := *al.Threshold
	var breaches func(v float64) bool
	switch al.ComparisonOperator {
	case cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold:
		breaches = func(v float64) bool { return v >= th }
	case cwtypes.ComparisonOperatorGreaterThanThreshold:
		breaches = func(v float64) bool { return v > th }
	case cwtypes.ComparisonOperatorLessThanThreshold, cwtypes.ComparisonOperatorLessThanOrEqualToThreshold:
		return fmt.Sprintf("its comparison %s fires when root is not used, not when it is", al.ComparisonOperator)
	default:
		return fmt.Sprintf("its comparison %q is not a fixed \"greater than\" threshold", al.ComparisonOperator)
	}
	if !breaches(1) {
		return fmt.Sprintf("one root use counts 1, and the alarm needs %s %s", opWords(al.ComparisonOperator), strconv.FormatFloat(th, 'g', -1, 64))
	}
	stat := string(al.Statistic)
	if stat == "" {
		stat = aws.ToString(al.ExtendedStatistic)
	}
	switch stat {
	case string(cwtypes.StatisticSum), string(cwtypes.StatisticMaximum):
	case string(cwtypes.StatisticSampleCount):
		if defaultValue != nil {
			return "its statistic SampleCount counts the filter's default value too, so it sits in ALARM whenever other events arrive and a root use changes nothing (use Sum)"
		}
	case "":
		return "it names no statistic"
	default:
		if defaultValue != nil {
			return fmt.Sprintf("its statistic %s can stay below the threshold when the filter's default value %s is published beside the 1 (use Sum)",
				stat, strconv.FormatFloat(*defaultValue, 'g', -1, 64))
		}
	}
	if defaultValue != nil && breaches(*defaultValue) {
		return fmt.Sprintf("the filter's default value %s already breaches the threshold, so the alarm sits in ALARM while root is unused and a use changes nothing",
			strconv.FormatFloat(*defaultValue, 'g', -1, 64))
	}
	if strings.EqualFold(aws.ToString(al.TreatMissingData), "breaching") {
		return "it treats missing data as breaching, so it sits in ALARM while root is unused and a use changes nothing"
	}
	m := aws.ToInt32(al.DatapointsToAlarm)
	if m == 0 {
		m = aws.ToInt32(al.EvaluationPeriods)
	}
	if m > 1 {
		return fmt.Sprintf("it needs %d breaching periods, and one root use makes one", m)
	}
	return ""
}

func opWords(op cwtypes.ComparisonOperator) string {
	if op == cwtypes.ComparisonOperatorGreaterThanThreshold {
		return "more than"
	}
	return "at least"
}

type metricFilter struct {
	name, pattern, metric, namespace string
	// value is what the filter publishes for each matching event.
	value string
	// defaultValue is what it publishes for the other events; nil when
	// nothing.
	defaultValue *float64
}

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
					metric: aws.ToString(mt.MetricName), namespace: aws.ToString(mt.MetricNamespace),
					value: aws.ToString(mt.MetricValue), defaultValue: mt.DefaultValue})
			}
		}
	}
	return out, nil
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
