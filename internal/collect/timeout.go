package collect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// DefaultAPITimeout is how long one request to AWS may go unanswered. AWS's
// read APIs answer in well under a second, and a slow one (a large
// paginated list) in a few; an answer that has not come in 30 seconds is a
// frozen endpoint or a network black hole, and waiting longer only holds up
// the account and its place in the run. The AWS CLI waits 60 seconds, but
// it runs one call at a time.
const DefaultAPITimeout = 30 * time.Second

// TimeoutError is a request to AWS that got no answer within the timeout.
// It is not retried: a frozen endpoint does not thaw between retries, and
// the retries would multiply the wait.
type TimeoutError struct {
	After time.Duration
	Err   error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timeout: no answer within %s (--api-timeout)", e.After)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Timeout says it is a timeout (net.Error's meaning).
func (*TimeoutError) Timeout() bool { return true }

// RetryableError tells the SDK's retryer not to retry it.
func (*TimeoutError) RetryableError() bool { return false }

// attemptTimeout bounds each attempt of every call (one HTTP request and
// reading its answer, credentials fetched for it included) by d. The
// wait for a retry's turn (backoff, adaptive mode's client-side rate
// limit) is not counted: it comes before the attempt.
//
// The operations the collectors call answer with a body read whole before
// the attempt ends; a streaming one (S3 GetObject) would have its body cut
// when the attempt ends, so LoadConfig adds this only when asked to.
func attemptTimeout(d time.Duration) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		mw := middleware.FinalizeMiddlewareFunc("rootwatchAttemptTimeout",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				actx, cancel := context.WithTimeout(ctx, d)
				defer cancel()
				out, md, err := next.HandleFinalize(actx, in)
				if err != nil && ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
					err = &TimeoutError{After: d, Err: err}
				}
				return out, md, err
			})
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(mw, "Retry", middleware.After)
		}
		return s.Finalize.Add(mw, middleware.Before)
	}
}

// noRetryCredentials keeps a call's retries from compounding with those of
// the call that fetches its credentials (sts:AssumeRole, sts:AssumeRoot):
// that call already spent its own retry budget, so the call it was for
// does not try again. Without it, each of a call's 6 attempts fetched the
// credentials with 6 attempts: 36 AssumeRoot requests per member.
func noRetryCredentials(p aws.CredentialsProvider) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		c, err := p.Retrieve(ctx)
		if err != nil {
			return c, &credentialsError{err}
		}
		return c, nil
	})
}

// credentialsError is a failure to fetch credentials, which the call that
// needed them does not retry.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string      { return e.err.Error() }
func (e *credentialsError) Unwrap() error      { return e.err }
func (*credentialsError) RetryableError() bool { return false }
