package fix

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

// Record is given every entry of the run log, as the log has it (time
// set), without a run log too; an unreachable account's failed and
// skipped steps are recorded like its calls.
func TestApplyRecordsEveryLogEntry_Fake(t *testing.T) {
	f := &fakeExec{}
	var mu sync.Mutex
	var recorded []Entry
	logPath := filepath.Join(t.TempDir(), "run.jsonl")
	log, err := OpenRunLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ap := &Applier{Log: log, Concurrency: 2, Now: func() time.Time { return applyTime }, Execute: f.exec,
		Reach: func(ctx context.Context, account string) (Reach, error) {
			if account == "222222222222" {
				return nil, accessDenied("AssumeRole")
			}
			return reachFake(ctx, account)
		},
		Record: func(e Entry) { mu.Lock(); recorded = append(recorded, e); mu.Unlock() }}
	ap.Apply(context.Background(), twoAccountPlan())
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	logged := readLog(t, logPath)
	if len(recorded) != 6 || len(logged) != 6 {
		t.Fatalf("recorded %d entries, logged %d; want 6 (4 calls of 111, a failed and a skipped step of 222)", len(recorded), len(logged))
	}
	// The log read back holds what was recorded (its JSON turns the
	// params' numbers and lists into any, so compare by account, step,
	// action and result, in each account's order).
	byAccount := func(es []Entry) map[string][]string {
		m := map[string][]string{}
		for _, e := range es {
			if !e.Time.Equal(applyTime) {
				t.Errorf("entry %s %s at %v, want %v", e.Step, e.Action, e.Time, applyTime)
			}
			m[e.Account] = append(m[e.Account], e.Step+" "+e.Action+" "+e.Result)
		}
		return m
	}
	want := map[string][]string{
		"111111111111": {"alarm/111111111111/topic sns:CreateTopic ok", "alarm/111111111111/topic sns:Subscribe ok",
			"alarm/111111111111/topic sns:SetTopicAttributes ok", "alarm/111111111111/filter logs:PutMetricFilter ok"},
		"222222222222": {"alarm/222222222222/topic  failed", "alarm/222222222222/filter  skipped"},
	}
	if got := byAccount(recorded); !reflect.DeepEqual(got, want) {
		t.Errorf("recorded %q, want %q", got, want)
	}
	if got := byAccount(logged); !reflect.DeepEqual(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
	for _, e := range recorded {
		if e.Action == "sns:Subscribe" && (len(e.Undo) != 1 || e.Undo[0].Params["SubscriptionArn"] != "arn:aws:sns:us-east-1:111111111111:t:1234" ||
			e.Output["SubscriptionArn"] != "arn:aws:sns:us-east-1:111111111111:t:1234") {
			t.Errorf("Subscribe recorded without its output and resolved undo: %+v", e)
		}
	}

	// No run log: Record still gets them.
	recorded = nil
	ap.Log = nil
	ap.Apply(context.Background(), twoAccountPlan()[:2])
	if len(recorded) != 4 {
		t.Errorf("without a run log: recorded %d entries, want 4", len(recorded))
	}
}
