package collect

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
)

// Options say how to reach AWS.
type Options struct {
	// Profile, Region and EndpointURL follow the AWS CLI's --profile,
	// --region and --endpoint-url; empty means the SDK's defaults
	// (AWS_PROFILE, AWS_REGION, the shared config, AWS_ENDPOINT_URL).
	Profile     string
	Region      string
	EndpointURL string
	// MaxReportAge: an existing credential report younger than this is
	// used as it is.
	MaxReportAge time.Duration
	Poll         Poll
	// Facts, when set, are the account facts the run's checks need: only
	// the collectors that fill one of them run. Nil runs them all.
	Facts map[string]bool
	// Assets adds the asset counts (size buckets), which no check needs.
	Assets bool
	// Record, when set, is told every API call (tests).
	Record func(action string)
	// APITimeout bounds each request to AWS (see DefaultAPITimeout); a
	// request unanswered by then fails with a TimeoutError and is not
	// retried. Zero: no bound (the SDK's default).
	APITimeout time.Duration
	// Now is the audit's clock, which the collectors measure ages with;
	// nil means time.Now.
	Now func() time.Time
}

// now reads the run's clock.
func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// LoadConfig resolves credentials and settings the AWS way: the default
// chain (environment, shared config and profiles including SSO, container
// and instance roles), with adaptive retries for throttling.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(a *retry.AdaptiveModeOptions) {
				// Throttling is met by adaptive mode's client-side rate limit; the
				// attempts and backoff are bounded so a failing API (a 5xx that
				// will not clear) costs seconds, not a minute.
				a.StandardOptions = append(a.StandardOptions, func(s *retry.StandardOptions) {
					s.MaxAttempts = 6
					s.MaxBackoff = 4 * time.Second
				})
			})
		}),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.EndpointURL != "" {
		opts = append(opts, config.WithBaseEndpoint(o.EndpointURL))
	}
	var apiOptions []func(*middleware.Stack) error
	if o.Record != nil {
		apiOptions = append(apiOptions, RecordActions(o.Record))
	}
	if o.APITimeout > 0 {
		apiOptions = append(apiOptions, attemptTimeout(o.APITimeout))
	}
	if len(apiOptions) > 0 {
		opts = append(opts, config.WithAPIOptions(apiOptions))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		// IAM and STS answer in any region; a region is only needed to sign.
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}
