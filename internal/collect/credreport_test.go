package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/rootwatch/rootwatch/internal/credreport"
	"github.com/rootwatch/rootwatch/internal/model"
)

// scripted is a fake IAM whose answers follow a script, for the report
// state machine's paths that a real service shows only by chance.
type scripted struct {
	IAMAPI
	gets  []func() (*iam.GetCredentialReportOutput, error)
	gens  []func() (*iam.GenerateCredentialReportOutput, error)
	calls []string
}

func (s *scripted) GetCredentialReport(context.Context, *iam.GetCredentialReportInput, ...func(*iam.Options)) (*iam.GetCredentialReportOutput, error) {
	s.calls = append(s.calls, "get")
	f := s.gets[0]
	if len(s.gets) > 1 {
		s.gets = s.gets[1:]
	}
	return f()
}

func (s *scripted) GenerateCredentialReport(context.Context, *iam.GenerateCredentialReportInput, ...func(*iam.Options)) (*iam.GenerateCredentialReportOutput, error) {
	s.calls = append(s.calls, "generate")
	f := s.gens[0]
	if len(s.gens) > 1 {
		s.gens = s.gens[1:]
	}
	return f()
}

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func report(age time.Duration) func() (*iam.GetCredentialReportOutput, error) {
	csv := strings.Join(credreport.Columns(), ",") + "\n" + rootRow(false) + "\n"
	return func() (*iam.GetCredentialReportOutput, error) {
		return &iam.GetCredentialReportOutput{Content: []byte(csv), GeneratedTime: aws.Time(now.Add(-age)), ReportFormat: "text/csv"}, nil
	}
}

func getErr(err error) func() (*iam.GetCredentialReportOutput, error) {
	return func() (*iam.GetCredentialReportOutput, error) { return nil, err }
}

func state(s iamtypes.ReportStateType) func() (*iam.GenerateCredentialReportOutput, error) {
	return func() (*iam.GenerateCredentialReportOutput, error) {
		return &iam.GenerateCredentialReportOutput{State: s}, nil
	}
}

func genErr(err error) func() (*iam.GenerateCredentialReportOutput, error) {
	return func() (*iam.GenerateCredentialReportOutput, error) { return nil, err }
}

func TestCredentialReportStateMachine_FakeIAM(t *testing.T) {
	started, complete := state(iamtypes.ReportStateTypeStarted), state(iamtypes.ReportStateTypeComplete)
	inProgress := getErr(&iamtypes.CredentialReportNotReadyException{Message: aws.String("in progress")})
	for _, tc := range []struct {
		name  string
		fake  *scripted
		calls string
		err   string
	}{
		{"fresh report reused", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){report(time.Hour)}}, "get", ""},
		{"old report regenerated", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){report(30 * time.Hour), report(0)},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){started, complete}}, "get generate generate get", ""},
		{"no report yet", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){getErr(&iamtypes.CredentialReportNotPresentException{}), report(0)},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){complete}}, "get generate get", ""},
		{"expired report", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){getErr(&iamtypes.CredentialReportExpiredException{}), report(0)},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){complete}}, "get generate get", ""},
		{"someone else is generating (LimitExceeded)", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){getErr(&iamtypes.CredentialReportNotPresentException{}), report(0)},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){genErr(&iamtypes.LimitExceededException{}), complete}}, "get generate generate get", ""},
		{"in progress after complete", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){inProgress, inProgress, report(0)},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){complete}}, "get generate get generate get", ""},
		{"access denied", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){getErr(&smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:GetCredentialReport"})}},
			"get", "access denied: not authorized"},
		{"never ready", &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){inProgress},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){started}}, "", "not ready after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := now
			poll := Poll{First: time.Second, Max: 4 * time.Second, Timeout: 30 * time.Second,
				Sleep: func(_ context.Context, d time.Duration) error { clock = clock.Add(d); return nil }}
			c := &CredentialReport{MaxAge: 4 * time.Hour, Poll: poll, Now: func() time.Time { return clock }}
			var a model.Account
			errs := CollectAccount(context.Background(), []Collector{c}, &Clients{IAM: tc.fake}, &a)
			if tc.err != "" {
				if len(errs) != 1 || !strings.Contains(errs[0].Message, tc.err) {
					t.Fatalf("errors = %+v, want %q", errs, tc.err)
				}
				return
			}
			if len(errs) != 0 || a.ID != motoAccount {
				t.Fatalf("errors %+v, account %q", errs, a.ID)
			}
			if got := strings.Join(tc.fake.calls, " "); got != tc.calls {
				t.Errorf("calls %q, want %q", got, tc.calls)
			}
		})
	}
}

// meet is a collector that waits, up to a timeout, until every other meet
// collector has started: collectors run one after the other cannot meet.
type meet struct {
	name    string
	arrived *sync.WaitGroup
	all     chan struct{}
}

func (m meet) Name() string    { return m.name }
func (meet) Actions() []string { return nil }
func (meet) Facts() []string   { return nil }
func (m meet) Collect(context.Context, *Clients, *model.Account) error {
	m.arrived.Done()
	select {
	case <-m.all:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the other collectors did not run meanwhile")
	}
}

// An account's collectors that only read AWS run at once (so an account's
// calls can take a run's free places), and the credential report is
// generated meanwhile; root MFA, which refines the report's root, runs
// after it.
func TestCollectorsRunAtOnce_FakeIAM(t *testing.T) {
	var arrived sync.WaitGroup
	arrived.Add(2)
	all := make(chan struct{})
	go func() { arrived.Wait(); close(all) }()
	fake := &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){getErr(&iamtypes.CredentialReportNotPresentException{}), report(0)},
		gens: []func() (*iam.GenerateCredentialReportOutput, error){state(iamtypes.ReportStateTypeComplete)}}
	c := &CredentialReport{MaxAge: 4 * time.Hour, Poll: instantPoll(), Now: clock}
	cs := []Collector{meet{"contacts", &arrived, all}, &RootMFA{}, c, meet{"budgets", &arrived, all}}
	var a model.Account
	errs := CollectAccount(context.Background(), cs, &Clients{IAM: summaryAfterReport{fake}}, &a)
	if len(errs) != 0 {
		t.Fatalf("errors: %+v", errs)
	}
	if got := strings.Join(fake.calls, " "); got != "get generate get" {
		t.Errorf("calls %q", got)
	}
	if a.Root == nil || a.Root.Summary == nil {
		t.Errorf("root MFA did not refine the report's root: %+v", a.Root)
	}
}

// summaryAfterReport answers root MFA's calls, and says if they came
// before the report was read.
type summaryAfterReport struct{ *scripted }

func (s summaryAfterReport) GetAccountSummary(context.Context, *iam.GetAccountSummaryInput, ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	if len(s.calls) != 3 {
		return nil, fmt.Errorf("GetAccountSummary after %v, before the report was read", s.calls)
	}
	return &iam.GetAccountSummaryOutput{SummaryMap: map[string]int32{"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1, "AccountSigningCertificatesPresent": 0}}, nil
}

func (summaryAfterReport) ListVirtualMFADevices(context.Context, *iam.ListVirtualMFADevicesInput, ...func(*iam.Options)) (*iam.ListVirtualMFADevicesOutput, error) {
	return &iam.ListVirtualMFADevicesOutput{}, nil
}

// reportAt is a report with the given root row and generation time.
func reportAt(at time.Time, row string) func() (*iam.GetCredentialReportOutput, error) {
	csv := strings.Join(credreport.Columns(), ",") + "\n" + row + "\n"
	return func() (*iam.GetCredentialReportOutput, error) {
		return &iam.GetCredentialReportOutput{Content: []byte(csv), GeneratedTime: aws.Time(at), ReportFormat: "text/csv"}, nil
	}
}

// A live report's time is checked as a report file's is, and a report IAM
// was just asked to generate may be no older than IAM's 4-hour interval
// (or --max-report-age, if longer): else the account gets an error and
// its root is not judged.
func TestCredentialReportTimeChecked_FakeIAM(t *testing.T) {
	old := "<root_account>,arn:aws:iam::123456789012:root,2014-05-01T10:00:00+00:00,false,N/A,not_supported,not_supported,true,true,2014-12-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	rotated := "<root_account>,arn:aws:iam::123456789012:root,2014-05-01T10:00:00+00:00,false,N/A,not_supported,not_supported,true,true,2025-12-21T12:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
	notPresent := getErr(&iamtypes.CredentialReportNotPresentException{})
	complete := state(iamtypes.ReportStateTypeComplete)
	stamped := func(at time.Time, row string) *scripted {
		return &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){notPresent, reportAt(at, row)},
			gens: []func() (*iam.GenerateCredentialReportOutput, error){complete}}
	}
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		fake   *scripted
		err    string
	}{
		{"generated, stamped 2015 (moto's time)", 4 * time.Hour, stamped(time.Date(2015, 2, 2, 20, 2, 2, 0, time.UTC), old),
			"gave one generated at 2015-02-02T20:02:02Z, 4311d15h57m earlier: older than --max-report-age 4h and IAM's 4h interval allow"},
		{"generated 5 hours before it was asked for", 4 * time.Hour, stamped(time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), old),
			"gave one generated at 2026-11-23T07:00:00Z, 5h earlier"},
		{"generated before its own key's rotation", 4 * time.Hour, stamped(time.Date(2015, 2, 2, 20, 2, 2, 0, time.UTC), rotated),
			"the report says it was generated at 2015-02-02T20:02:02Z, before its access_key_1_last_rotated of root (2025-12-21T12:00:00Z)"},
		{"reused, stamped in the future", 4 * time.Hour, &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){reportAt(time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), old)}},
			"the report says it was generated at 2026-11-23T14:00:00Z, after the audit time 2026-11-23T12:00:00Z"},
		{"IAM's 3-hour-old report with --max-report-age 1h is IAM's latest", time.Hour, stamped(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), old), ""},
		{"a 30-hour-old report reused with --max-report-age 2d", 48 * time.Hour, &scripted{gets: []func() (*iam.GetCredentialReportOutput, error){reportAt(time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC), old)}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &CredentialReport{MaxAge: tc.maxAge, Poll: instantPoll(), Now: clock}
			var a model.Account
			errs := CollectAccount(context.Background(), []Collector{c}, &Clients{IAM: tc.fake}, &a)
			if tc.err == "" {
				if len(errs) != 0 || a.Root == nil {
					t.Fatalf("errors %+v, root %v", errs, a.Root)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Message, tc.err) {
				t.Fatalf("errors = %+v, want %q", errs, tc.err)
			}
			if a.Root != nil || a.CredentialReport != nil || !slices.Contains(a.FailedCollectors, "credential report") {
				t.Errorf("the refused report was kept: root %+v, report %+v, failed %v", a.Root, a.CredentialReport, a.FailedCollectors)
			}
		})
	}
}
