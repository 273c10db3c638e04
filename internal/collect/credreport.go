package collect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/pause"
)

// Poll says how to wait for a credential report being generated.
type Poll struct {
	// First is the first wait; each next one doubles, up to Max.
	First, Max time.Duration
	// Timeout gives up on an account whose report is not ready by then.
	Timeout time.Duration
	// Sleep waits; tests make it instant. Nil means a context-aware sleep.
	Sleep func(context.Context, time.Duration) error
}

// DefaultPoll is how long a report is waited for: AWS usually generates one
// in seconds, large accounts take longer.
func DefaultPoll() Poll {
	return Poll{First: time.Second, Max: 8 * time.Second, Timeout: 3 * time.Minute}
}

func (p Poll) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return pause.Sleep(ctx, d)
}

// CredentialReport reads the account's IAM credential report: an existing
// one younger than MaxAge as it is, else a new one generated and waited for.
// It is the only collector that changes anything (it asks IAM to generate
// a report, which every reader of the account may then use).
type CredentialReport struct {
	MaxAge time.Duration
	Poll   Poll
	// Now is the clock reports' age is measured with; nil means time.Now.
	Now func() time.Time
}

func (*CredentialReport) Name() string { return "credential report" }

func (*CredentialReport) Actions() []string {
	return []string{"iam:GenerateCredentialReport", "iam:GetCredentialReport"}
}

func (c *CredentialReport) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (*CredentialReport) Facts() []string { return []string{"root"} }

func (c *CredentialReport) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	return c.start(ctx, cl)(ctx, a)
}

// start asks for the report and, when there is none fresh enough, asks IAM
// to generate one; the pending step waits for it and reads it.
func (c *CredentialReport) start(ctx context.Context, cl *Clients) pending {
	f := c.begin(ctx, cl.IAM)
	return func(ctx context.Context, a *model.Account) error {
		out, err := c.finish(ctx, cl.IAM, f)
		if err != nil {
			return err
		}
		return c.read(out, a, f)
	}
}

// iamReportInterval is how often IAM makes a new report at most: asked for
// one, it hands back an existing one up to this old.
const iamReportInterval = 4 * time.Hour

// read parses the report and checks its time as report files are checked:
// a report generated before the times it holds, or in the future, or one
// far older than asked for when IAM was just asked to generate it, is
// refused (its windows would run from a wrong time, and it would be judged
// as evidence it is not), so the account's credential checks say error.
func (c *CredentialReport) read(out *iam.GetCredentialReportOutput, a *model.Account, st fetchState) error {
	source := "iam:GetCredentialReport"
	if a.ID != "" {
		source += " of account " + a.ID
	}
	rep, err := credreport.ParseCSV(source, out.Content)
	if err != nil {
		return fmt.Errorf("parse the credential report: %w", err)
	}
	if a.ID != "" && rep.Account != a.ID {
		return fmt.Errorf("the credential report is of account %s, not %s", rep.Account, a.ID)
	}
	now := c.now()
	info := &model.CredentialReportInfo{Source: source, GeneratedAt: now.UTC(), GeneratedAtSource: "audit-time"}
	if out.GeneratedTime != nil {
		info.GeneratedAt, info.GeneratedAtSource = out.GeneratedTime.UTC(), "report"
	}
	root := rep.Root
	if err := credreport.CheckTime(source, model.Account{CredentialReport: info, Root: &root}, now); err != nil {
		return err
	}
	if st.generated && info.GeneratedAtSource == "report" {
		// IAM was asked for a new report: it gave one made then, or one
		// it had made within its 4-hour interval (or --max-report-age, if
		// longer).
		limit := max(c.MaxAge, iamReportInterval)
		if age := st.at.Sub(info.GeneratedAt); age > limit+reportClockSkew {
			return fmt.Errorf("%s: IAM was asked for a new report at %s and gave one generated at %s, %s earlier: older than --max-report-age %s and IAM's %s interval allow, so its facts are not judged (an emulator's fixed time, or a wrong clock?)",
				source, st.at.UTC().Format(time.RFC3339), info.GeneratedAt.Format(time.RFC3339), config.FormatDuration(age),
				config.FormatDuration(c.MaxAge), config.FormatDuration(iamReportInterval))
		}
	}
	if a.ID == "" {
		a.ID = rep.Account // else read by other collectors meanwhile, and the same
	}
	a.Partition, a.CreatedAt = rep.Partition, root.CreatedAt
	a.CredentialReport, a.Root, a.IAMUsers = info, &root, rep.Users
	return nil
}

// reportClockSkew is how far IAM's clock and this machine's may differ.
const reportClockSkew = 15 * time.Minute

// fetchState is where the report state machine stands after begin.
type fetchState struct {
	out       *iam.GetCredentialReportOutput // a report ready to use
	err       error                          // a failure that ends it
	generated bool                           // a generation was asked for
	complete  bool                           // ...and IAM said it was complete
	at        time.Time                      // when it was asked for
}

// begin is the report state machine's first step: reuse a fresh report;
// otherwise ask IAM to generate one (LimitExceeded means one is being
// generated already).
func (c *CredentialReport) begin(ctx context.Context, api IAMAPI) fetchState {
	out, err := api.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	switch {
	case err == nil && out.GeneratedTime != nil && c.now().Sub(*out.GeneratedTime) <= c.MaxAge:
		return fetchState{out: out}
	case err == nil:
	case apiCode(err) == "ReportNotPresent" || apiCode(err) == "ReportExpired" || apiCode(err) == "ReportInProgress":
	default:
		return fetchState{err: err}
	}
	st := fetchState{generated: true, at: c.now()}
	gen, err := api.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
	switch {
	case apiCode(err) == "LimitExceeded":
	case err != nil:
		return fetchState{err: err}
	default:
		st.complete = gen.State == iamtypes.ReportStateTypeComplete
	}
	return st
}

// finish polls until the report asked for in begin is complete, then gets
// it. The first wait counts the time since begin, so work done in between
// is not waited for twice.
func (c *CredentialReport) finish(ctx context.Context, api IAMAPI, st fetchState) (*iam.GetCredentialReportOutput, error) {
	if !st.generated {
		return st.out, st.err
	}
	poll := c.Poll
	if poll.First <= 0 {
		poll = DefaultPoll()
	}
	deadline := st.at.Add(poll.Timeout)
	wait := poll.First
	complete := st.complete
	for {
		if complete {
			out, err := api.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			if err == nil {
				return out, nil
			}
			if code := apiCode(err); code != "ReportInProgress" && code != "ReportNotPresent" {
				return nil, err
			}
		}
		if c.now().After(deadline) {
			return nil, &reportNotReady{after: poll.Timeout}
		}
		d := wait
		if !st.at.IsZero() {
			d = wait - c.now().Sub(st.at) // time already spent on other collectors
			st.at = time.Time{}
		}
		if d > 0 {
			if err := poll.sleep(ctx, d); err != nil {
				return nil, err
			}
		}
		wait = min(2*wait, poll.Max)
		gen, err := api.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		switch {
		case apiCode(err) == "LimitExceeded":
			complete = false
		case err != nil:
			return nil, err
		default:
			complete = gen.State == iamtypes.ReportStateTypeComplete
		}
	}
}

// reportNotReady is a credential report still being generated when the
// poll gives up: a timeout.
type reportNotReady struct{ after time.Duration }

func (e *reportNotReady) Error() string {
	return fmt.Sprintf("the credential report was not ready after %s (still being generated)", e.after)
}

func (*reportNotReady) Timeout() bool { return true }

// apiCode is the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
