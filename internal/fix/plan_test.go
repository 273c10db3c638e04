package fix

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

func samplePlan() *Plan {
	return &Plan{Version: PlanVersion, CreatedAt: applyTime, Organization: "o-abc",
		Evidence: map[string]time.Time{"111111111111": applyTime.Add(-time.Hour), "222222222222": applyTime.Add(-time.Hour)},
		Steps: []Step{
			{ID: "alarm/111111111111/eu-west-1/alarm:rootwatch-root-usage", Account: "111111111111", Region: "eu-west-1", Kind: "alarm",
				Finding: FindingRef{Check: "root-usage-alarm", ID: "f1"}, Why: "no alarm",
				Calls: []Call{{Action: "cloudwatch:PutMetricAlarm", Params: alarmParams("arn:t"),
					Undo: []Call{{Action: "cloudwatch:DeleteAlarms", Params: map[string]any{"AlarmNames": []any{AlarmName}}}}}}},
			{ID: "root-credentials/222222222222", Account: "222222222222", Kind: "root-credentials", TouchesRootCredentials: true,
				Calls: []Call{{Action: "iam:DeleteLoginProfile", Params: map[string]any{}}}},
			{ID: "alarm/222222222222/trail", Account: "222222222222", Kind: "alarm", Blocked: "no trail"},
		}}
}

// A plan read back is the plan written, numbers and all.
func TestPlanRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := samplePlan().Write(&b); err != nil {
		t.Fatal(err)
	}
	p, err := ReadPlan(&b, "plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Steps[0].Calls[0].String(), `cloudwatch:PutMetricAlarm {"ActionsEnabled":true,"AlarmActions":["arn:t"],"AlarmDescription":"rootwatch: the root user was used (CIS root-usage metric filter)","AlarmName":"rootwatch-root-usage","ComparisonOperator":"GreaterThanOrEqualToThreshold","DatapointsToAlarm":1,"EvaluationPeriods":1,"MetricName":"RootAccountUsageCount","Namespace":"CISBenchmark","Period":300,"Statistic":"Sum","Threshold":1,"TreatMissingData":"notBreaching"}`; got != want {
		t.Errorf("call read back:\n%s\nwant\n%s", got, want)
	}
	if !p.CreatedAt.Equal(applyTime) || p.Organization != "o-abc" || len(p.Steps) != 3 || !p.Evidence["111111111111"].Equal(applyTime.Add(-time.Hour)) {
		t.Errorf("%+v", p)
	}
	if got := p.Accounts(); !slices.Equal(got, []string{"111111111111", "222222222222"}) {
		t.Errorf("accounts %v", got)
	}
	if n := len(p.Applicable()); n != 2 {
		t.Errorf("%d applicable", n)
	}
}

func TestReadPlanRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := samplePlan().Write(&b); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	for name, c := range map[string]struct{ in, msg string }{
		"not JSON":        {"{\n\"version\": 1,\n nope", "read plan p.json: line 3: invalid character 'n' looking for beginning of object key string"},
		"a report":        {`{"generated_at":"2026-01-01T00:00:00Z","accounts":[]}`, `read plan p.json: not a rootwatch plan: json: unknown field "generated_at"`},
		"another version": {strings.Replace(good, `"version": 1`, `"version": 2`, 1), "read plan p.json: version 2, this rootwatch reads version 1"},
		"two values":      {good + good, "read plan p.json: more than one JSON value: not a rootwatch plan"},
		"no created_at":   {`{"version":1,"steps":[]}`, "read plan p.json: no created_at"},
		"bad account":     {strings.Replace(good, `"account": "111111111111"`, `"account": "1111"`, 1), `read plan p.json: step alarm/111111111111/eu-west-1/alarm:rootwatch-root-usage: account "1111" is not a 12-digit account ID`},
		"step twice":      {strings.Replace(good, `"id": "alarm/222222222222/trail"`, `"id": "root-credentials/222222222222"`, 1), "read plan p.json: step root-credentials/222222222222 appears twice"},
		"no evidence":     {strings.Replace(good, `"222222222222": "2026`, `"333333333333": "2026`, 1), "read plan p.json: step root-credentials/222222222222: no evidence time for account 222222222222"},
		"bad action":      {strings.Replace(good, `"iam:DeleteLoginProfile"`, `"DeleteLoginProfile"`, 1), `read plan p.json: step root-credentials/222222222222 call 1: action "DeleteLoginProfile" is not service:Operation`},
	} {
		_, err := ReadPlan(strings.NewReader(c.in), "p.json")
		if err == nil || err.Error() != c.msg {
			t.Errorf("%s: %v\nwant %s", name, err, c.msg)
		}
	}
}

func FuzzReadPlan(f *testing.F) {
	var b bytes.Buffer
	if err := samplePlan().Write(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.String())
	f.Add(`{"version":1,"created_at":"2026-01-01T00:00:00Z","evidence":{},"steps":[]}`)
	f.Add(`{"version":1,"created_at":"2026-01-01T00:00:00Z","evidence":{"111111111111":"2026-01-01T00:00:00Z"},"steps":[{"id":"a","account":"111111111111","kind":"alarm","calls":[{"action":"a:b","params":{"x":[1,{"y":null}]}}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64<<10 {
			return // the plan's size bound is tested apart; big inputs only slow the fuzzer
		}
		p, err := ReadPlan(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		// What is read is written and read back the same.
		var out bytes.Buffer
		if err := p.Write(&out); err != nil {
			t.Fatal(err)
		}
		q, err := ReadPlan(&out, "again")
		if err != nil {
			t.Fatalf("a plan read does not read back: %v", err)
		}
		if len(q.Steps) != len(p.Steps) {
			t.Fatalf("%d steps, then %d", len(p.Steps), len(q.Steps))
		}
		for i := range p.Steps {
			for j := range p.Steps[i].Calls {
				if a, b := p.Steps[i].Calls[j].String(), q.Steps[i].Calls[j].String(); a != b {
					t.Fatalf("call %s, then %s", a, b)
				}
			}
		}
	})
}

// --only and --accounts narrow; --keep-root drops the steps that would
// touch a break-glass root's credentials, and only those.
func TestNarrow(t *testing.T) {
	ids := func(p *Plan) []string {
		var out []string
		for _, s := range p.Steps {
			out = append(out, s.ID)
		}
		return out
	}
	p := samplePlan()
	p.Narrow(nil, nil, []string{"222222222222"})
	if got := ids(p); !slices.Equal(got, []string{"alarm/111111111111/eu-west-1/alarm:rootwatch-root-usage", "alarm/222222222222/trail"}) || !slices.Equal(p.KeepRoot, []string{"222222222222"}) {
		t.Errorf("keep-root: %v %v", got, p.KeepRoot)
	}
	p = samplePlan()
	p.Narrow([]string{"root-credentials"}, nil, nil)
	if got := ids(p); !slices.Equal(got, []string{"root-credentials/222222222222"}) {
		t.Errorf("only: %v", got)
	}
	p = samplePlan()
	p.Narrow(nil, []string{"111111111111"}, []string{"111111111111"})
	if got := ids(p); !slices.Equal(got, []string{"alarm/111111111111/eu-west-1/alarm:rootwatch-root-usage"}) {
		t.Errorf("accounts: %v", got)
	}
}

func TestCheckKinds(t *testing.T) {
	if err := CheckKinds([]string{"alarm"}); err != nil {
		t.Error(err)
	}
	if err := CheckKinds([]string{"alarms"}); err == nil || !strings.HasPrefix(err.Error(), `unknown step kind "alarms": want one of alarm, `) {
		t.Errorf("%v", err)
	}
}

// A step made once for many accounts (Covers) is kept by --accounts when
// one of them is given, and dropped by --keep-root when it touches the
// root credentials of one of them.
func TestNarrowCovers(t *testing.T) {
	steps := func() *Plan {
		return &Plan{Steps: []Step{
			{ID: "scp/999999999999/ou-ab12-cdef3456", Account: "999999999999", Kind: "scp", Covers: []string{"111111111111", "222222222222"}},
			{ID: "creds/999999999999/333333333333", Account: "999999999999", Kind: "creds", TouchesRootCredentials: true, Covers: []string{"333333333333"}},
		}}
	}
	p := steps()
	p.Narrow(nil, []string{"222222222222"}, nil)
	if len(p.Steps) != 1 || p.Steps[0].ID != "scp/999999999999/ou-ab12-cdef3456" {
		t.Errorf("--accounts 222222222222 kept %+v, want the SCP step covering it", p.Steps)
	}
	p = steps()
	p.Narrow(nil, nil, []string{"333333333333"})
	if len(p.Steps) != 1 || p.Steps[0].ID != "scp/999999999999/ou-ab12-cdef3456" {
		t.Errorf("--keep-root 333333333333 kept %+v, want only the SCP step", p.Steps)
	}
}

// A plan naming a Via or Covers account that is not an account ID is not
// a plan.
func TestReadPlanRefusesBadVia(t *testing.T) {
	for _, tc := range []struct{ field, want string }{
		{`"via": "mgmt"`, `via "mgmt" is not a 12-digit account ID`},
		{`"covers": ["12345"]`, `covers "12345", not a 12-digit account ID`},
	} {
		doc := `{"version":1,"created_at":"2026-11-23T12:00:00Z","evidence":{"111111111111":"2026-11-23T12:00:00Z"},
"steps":[{"id":"scp/x","account":"111111111111","kind":"scp","target":"p","finding":{"check":"root-scp-guardrail"},"why":"w",` + tc.field + `}]}`
		_, err := ReadPlan(strings.NewReader(doc), "plan.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.field, err, tc.want)
		}
	}
}
