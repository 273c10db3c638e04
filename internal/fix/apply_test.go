package fix

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

var applyTime = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// fakeExec stands in for AWS: it records each call made (account from
// the clients' marker) and fails the ones fail names.
type fakeExec struct {
	mu    sync.Mutex
	calls []string
	fail  func(c Call) error
}

func (f *fakeExec) exec(_ context.Context, cl Clients, c Call) (map[string]string, error) {
	acct := cl.Logs.(accountMarker).account
	f.mu.Lock()
	f.calls = append(f.calls, acct+" "+c.String())
	f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(c); err != nil {
			return nil, err
		}
	}
	if c.Action == "sns:Subscribe" {
		return map[string]string{"SubscriptionArn": "arn:aws:sns:us-east-1:" + acct + ":t:1234"}, nil
	}
	return nil, nil
}

func (f *fakeExec) of(acct string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if rest, ok := strings.CutPrefix(c, acct+" "); ok {
			out = append(out, rest)
		}
	}
	return out
}

// accountMarker is a Logs client that only says whose it is.
type accountMarker struct {
	LogsAPI
	account string
}

func reachFake(_ context.Context, account string) (Reach, error) {
	return func(string) Clients { return Clients{Logs: accountMarker{account: account}} }, nil
}

func accessDenied(op string) error {
	return &smithy.OperationError{ServiceID: "SNS", OperationName: op,
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized to perform " + op}}
}

// twoAccountPlan: in each account, a step of three calls then a step of
// one.
func twoAccountPlan() []Step {
	var steps []Step
	for _, acct := range []string{"111111111111", "222222222222"} {
		steps = append(steps,
			Step{ID: "alarm/" + acct + "/topic", Account: acct, Region: "us-east-1", Kind: "alarm", Calls: []Call{
				{Action: "sns:CreateTopic", Params: map[string]any{"Name": "t"}, Undo: []Call{{Action: "sns:DeleteTopic", Params: map[string]any{"TopicArn": "arn:t"}}}},
				{Action: "sns:Subscribe", Params: map[string]any{"TopicArn": "arn:t", "Protocol": "email", "Endpoint": "a@example.com"},
					Undo: []Call{{Action: "sns:Unsubscribe", Params: map[string]any{"SubscriptionArn": "${SubscriptionArn}"}}}},
				{Action: "sns:SetTopicAttributes", Params: map[string]any{"TopicArn": "arn:t", "AttributeName": "Policy", "AttributeValue": "{}"}},
			}},
			Step{ID: "alarm/" + acct + "/filter", Account: acct, Region: "us-east-1", Kind: "alarm", Calls: []Call{
				{Action: "logs:PutMetricFilter", Params: map[string]any{"FilterName": "f"}}}},
			Step{ID: "alarm/" + acct + "/blocked", Account: acct, Kind: "alarm", Blocked: "no trail"})
	}
	return steps
}

// AccessDenied on the third call of account 111111111111's first step:
// the two calls it made are undone, last first (the subscription by the
// ARN its call returned), its next step is skipped, and account
// 222222222222 is applied whole.
func TestApplyAccessDeniedRollsBackTheStep_Fake(t *testing.T) {
	f := &fakeExec{}
	// Fail by account: the fake's clients tell whose call it is.
	exec := func(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
		if cl.Logs.(accountMarker).account == "111111111111" && c.Action == "sns:SetTopicAttributes" {
			_, _ = f.exec(ctx, cl, c)
			return nil, accessDenied("SetTopicAttributes")
		}
		return f.exec(ctx, cl, c)
	}
	logPath := filepath.Join(t.TempDir(), "run.jsonl")
	log, err := OpenRunLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ap := &Applier{Reach: reachFake, Log: log, Concurrency: 2, Now: func() time.Time { return applyTime }, Execute: exec}
	res := ap.Apply(context.Background(), twoAccountPlan())
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	want := []StepResult{
		{Step: "alarm/111111111111/topic", Account: "111111111111", Kind: "alarm", Status: Failed, Call: "sns:SetTopicAttributes", RolledBack: true,
			Error: "account 111111111111, step alarm/111111111111/topic: sns:SetTopicAttributes: operation error SNS: SetTopicAttributes, api error AccessDenied: User is not authorized to perform SetTopicAttributes"},
		{Step: "alarm/111111111111/filter", Account: "111111111111", Kind: "alarm", Status: Skipped, Error: "not applied: step alarm/111111111111/topic failed"},
		{Step: "alarm/222222222222/topic", Account: "222222222222", Kind: "alarm", Status: Applied},
		{Step: "alarm/222222222222/filter", Account: "222222222222", Kind: "alarm", Status: Applied},
	}
	if !slices.Equal(res, want) {
		t.Errorf("results:\n%+v\nwant\n%+v", res, want)
	}
	wantCalls := []string{
		`sns:CreateTopic {"Name":"t"}`,
		`sns:Subscribe {"Endpoint":"a@example.com","Protocol":"email","TopicArn":"arn:t"}`,
		`sns:SetTopicAttributes {"AttributeName":"Policy","AttributeValue":"{}","TopicArn":"arn:t"}`,
		`sns:Unsubscribe {"SubscriptionArn":"arn:aws:sns:us-east-1:111111111111:t:1234"}`,
		`sns:DeleteTopic {"TopicArn":"arn:t"}`,
	}
	if got := f.of("111111111111"); !slices.Equal(got, wantCalls) {
		t.Errorf("111111111111's calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantCalls, "\n"))
	}
	if got := f.of("222222222222"); len(got) != 4 {
		t.Errorf("222222222222's calls: %v", got)
	}
	// The run log: every call, the failure, the undo calls marked, the
	// skipped step.
	var lines []string
	for _, e := range readLog(t, logPath) {
		if e.Account != "111111111111" {
			continue
		}
		if !e.Time.Equal(applyTime) {
			t.Errorf("time %v", e.Time)
		}
		lines = append(lines, fmt.Sprintf("%s %s %s rollback=%v undo=%d", e.Step, e.Action, e.Result, e.Rollback, len(e.Undo)))
	}
	wantLines := []string{
		"alarm/111111111111/topic sns:CreateTopic ok rollback=false undo=1",
		"alarm/111111111111/topic sns:Subscribe ok rollback=false undo=1",
		"alarm/111111111111/topic sns:SetTopicAttributes error rollback=false undo=0",
		"alarm/111111111111/topic sns:Unsubscribe ok rollback=true undo=0",
		"alarm/111111111111/topic sns:DeleteTopic ok rollback=true undo=0",
		"alarm/111111111111/filter  skipped rollback=false undo=0",
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("run log:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
}

// An undo that fails is said: the step is not rolled back, and the error
// names the undo.
func TestApplyRollbackFails_Fake(t *testing.T) {
	f := &fakeExec{fail: func(c Call) error {
		switch c.Action {
		case "sns:SetTopicAttributes":
			return errors.New("throttled")
		case "sns:DeleteTopic":
			return errors.New("gone away")
		}
		return nil
	}}
	ap := &Applier{Reach: reachFake, Execute: f.exec}
	res := ap.Apply(context.Background(), twoAccountPlan()[:2])
	if len(res) != 2 || res[0].RolledBack || res[0].Status != Failed ||
		res[0].Error != "account 111111111111, step alarm/111111111111/topic: sns:SetTopicAttributes: throttled; undo sns:DeleteTopic failed: gone away (see the run log's undo of sns:CreateTopic)" {
		t.Errorf("%+v", res)
	}
}

// An account that cannot be reached fails its first step and skips the
// rest.
func TestApplyUnreachableAccount_Fake(t *testing.T) {
	f := &fakeExec{}
	ap := &Applier{Execute: f.exec, Reach: func(ctx context.Context, account string) (Reach, error) {
		if account == "111111111111" {
			return nil, errors.New("AccessDenied: sts:AssumeRole")
		}
		return reachFake(ctx, account)
	}}
	res := ap.Apply(context.Background(), twoAccountPlan())
	got := []string{}
	for _, r := range res {
		got = append(got, r.Step+" "+r.Status)
	}
	want := []string{"alarm/111111111111/topic failed", "alarm/111111111111/filter skipped", "alarm/222222222222/topic applied", "alarm/222222222222/filter applied"}
	if !slices.Equal(got, want) || res[0].Error != "reach account 111111111111: AccessDenied: sts:AssumeRole" {
		t.Errorf("%v %q", got, res[0].Error)
	}
	if len(f.of("111111111111")) != 0 {
		t.Errorf("calls in the unreachable account: %v", f.of("111111111111"))
	}
}

func readLog(t *testing.T, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// The run log is appended to, not replaced.
func TestRunLogAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.jsonl")
	if err := os.WriteFile(path, []byte(`{"earlier":true}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := OpenRunLog(path)
	if err != nil {
		t.Fatal(err)
	}
	l.write(applyTime, Entry{Account: "111111111111", Step: "s", Action: "sns:CreateTopic", Params: map[string]any{"Name": "t"}, Result: "ok"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"earlier":true}` + "\n" +
		`{"time":"2026-11-23T12:00:00Z","account":"111111111111","step":"s","action":"sns:CreateTopic","params":{"Name":"t"},"result":"ok"}` + "\n"
	if string(b) != want {
		t.Errorf("log:\n%s\nwant\n%s", b, want)
	}
}

// Execute refuses parameters the API does not take, and actions fix does
// not make.
func TestExecuteRefusesUnknown_Fake(t *testing.T) {
	_, err := Execute(context.Background(), Clients{Logs: accountMarker{}}, Call{Action: "logs:PutMetricFilter", Params: map[string]any{"FilterNme": "x"}})
	if err == nil || !strings.Contains(err.Error(), `logs:PutMetricFilter: parameters: json: unknown field "FilterNme"`) {
		t.Errorf("unknown parameter: %v", err)
	}
	_, err = Execute(context.Background(), Clients{}, Call{Action: "iam:DeleteUser", Params: map[string]any{}})
	if err == nil || err.Error() != "iam:DeleteUser: not an action rootwatch fix makes" {
		t.Errorf("unknown action: %v", err)
	}
}

// A step with Via is made with Via's clients, and a later call of a step
// gets an earlier call's result in place of "${Name}".
func TestApplyViaAndEarlierResults_Fake(t *testing.T) {
	var got []string
	exec := func(_ context.Context, cl Clients, c Call) (map[string]string, error) {
		got = append(got, cl.Logs.(accountMarker).account+" "+c.String())
		if c.Action == "organizations:CreatePolicy" {
			return map[string]string{"PolicyId": "p-abcd1234"}, nil
		}
		return nil, nil
	}
	a := &Applier{Reach: reachFake, Execute: exec, Now: func() time.Time { return applyTime }}
	rs := a.Apply(context.Background(), []Step{{
		ID: "scp/111111111111", Account: "111111111111", Via: "999999999999", Kind: "scp",
		Calls: []Call{
			{Action: "organizations:CreatePolicy", Params: map[string]any{"Name": "rootwatch-deny-root"}},
			{Action: "organizations:AttachPolicy", Params: map[string]any{"PolicyId": "${PolicyId}", "TargetId": "111111111111"}},
		},
	}})
	want := []string{
		`999999999999 organizations:CreatePolicy {"Name":"rootwatch-deny-root"}`,
		`999999999999 organizations:AttachPolicy {"PolicyId":"p-abcd1234","TargetId":"111111111111"}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rs) != 1 || rs[0].Status != Applied || rs[0].Account != "111111111111" {
		t.Errorf("results: %+v", rs)
	}
}

// A "${Name}" no earlier call returned is never sent: the call fails, the
// step rolls back, and an undo whose placeholder is unknown is not made
// either (said in the error).
func TestApplyUnresolvedPlaceholder_Fake(t *testing.T) {
	var sent []string
	exec := func(_ context.Context, _ Clients, c Call) (map[string]string, error) {
		sent = append(sent, c.String())
		return nil, nil // CreatePolicy "forgets" to return PolicyId
	}
	var logged []Entry
	a := &Applier{Reach: reachFake, Execute: exec, Record: func(e Entry) { logged = append(logged, e) }}
	rs := a.Apply(context.Background(), []Step{{ID: "scp/x", Account: "111111111111", Kind: "scp", Calls: []Call{
		{Action: "organizations:CreatePolicy", Params: map[string]any{"Name": "p"},
			Undo: []Call{{Action: "organizations:DeletePolicy", Params: map[string]any{"PolicyId": "${PolicyId}"}}}},
		{Action: "organizations:AttachPolicy", Params: map[string]any{"PolicyId": "${PolicyId}", "TargetId": "111111111111"}},
	}}})
	if want := []string{`organizations:CreatePolicy {"Name":"p"}`}; !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	want := "account 111111111111, step scp/x: organizations:AttachPolicy: organizations:AttachPolicy not made: ${PolicyId} unknown (no earlier call of the step returned it)" +
		"; undo organizations:DeletePolicy failed: not made: ${PolicyId} unknown (the call did not return it) (see the run log's undo of organizations:CreatePolicy)"
	if len(rs) != 1 || rs[0].Status != Failed || rs[0].RolledBack || rs[0].Error != want {
		t.Errorf("result %+v\nwant error %s", rs, want)
	}
	if len(logged) != 3 || logged[2].Action != "organizations:DeletePolicy" || !logged[2].Rollback || logged[2].Result != "error" {
		t.Errorf("logged %+v", logged)
	}
}

// Steps not run, an earlier step having failed or the run interrupted,
// are in the log, and no account is reached for them.
func TestApplySkippedStepsLoggedNotReached_Fake(t *testing.T) {
	var reached []string
	reach := func(ctx context.Context, account string) (Reach, error) {
		reached = append(reached, account)
		return reachFake(ctx, account)
	}
	exec := func(context.Context, Clients, Call) (map[string]string, error) {
		return nil, accessDenied("CreateTopic")
	}
	var logged []string
	a := &Applier{Reach: reach, Execute: exec, Record: func(e Entry) { logged = append(logged, e.Step+" "+e.Result+" "+e.Error) }}
	steps := []Step{
		{ID: "s1", Account: "111111111111", Kind: "alarm", Calls: []Call{{Action: "sns:CreateTopic", Params: map[string]any{"Name": "t"}}}},
		{ID: "s2", Account: "111111111111", Via: "999999999999", Kind: "scp", Calls: []Call{{Action: "organizations:AttachPolicy", Params: map[string]any{}}}},
	}
	a.Apply(context.Background(), steps)
	if !slices.Equal(reached, []string{"111111111111"}) {
		t.Errorf("reached %v: the Via account of a skipped step was reached", reached)
	}
	if len(logged) != 2 || logged[1] != "s2 skipped not applied: step s1 failed" {
		t.Errorf("logged %q", logged)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reached, logged = nil, nil
	rs := a.Apply(ctx, steps[:1])
	if len(reached) != 0 || len(rs) != 1 || rs[0].Status != Skipped || !slices.Equal(logged, []string{"s1 skipped not applied: the run was interrupted"}) {
		t.Errorf("interrupted: reached %v, results %+v, logged %q", reached, rs, logged)
	}
}
