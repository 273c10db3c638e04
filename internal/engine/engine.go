// Package engine judges snapshot accounts with rules. It is pure: no I/O, no
// clock of its own (the caller passes the time), so the same snapshot and
// rules always give the same findings.
package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// Options change how checks judge.
type Options struct {
	Params config.Params
	// Severity overrides a check's severity by check ID.
	Severity map[string]string
	// Disabled checks are not run.
	Disabled map[string]bool
	// Now is the audit time, used to say how old the evidence is.
	Now time.Time
	// NoEvidence skips building evidence, for outputs that do not show it
	// (the table, SARIF): about a third of the evaluation's work.
	NoEvidence bool
	// StrictMessages makes a message whose {{ }} part fails to evaluate a
	// finding in error, for the rules' samples. Otherwise the part shows
	// as <expression: error> and the verdict stands.
	StrictMessages bool
	// AtReportTime judges each account as of its credential report's
	// generation time (now = as_of), as if it had been audited then: for
	// history, where old reports are the point. Otherwise a report is
	// judged now: a key ages to the audit time, and a report older than
	// the window cannot show that root was not used since.
	AtReportTime bool
}

// Engine holds compiled rules.
type Engine struct {
	checks []*check
	opts   Options
	// params and account are built once and shared, read-only, by every
	// evaluation.
	params  ref.Val
	account converter
}

type check struct {
	rule     *rules.Rule
	guards   []compiledGuard
	expr     cel.Program
	pass     *template
	fail     *template
	evidence []namedProgram
	severity string
}

type compiledGuard struct {
	cond    cel.Program
	status  string
	message *template
}

type namedProgram struct {
	name string
	prg  cel.Program
}

// NewEnv returns the CEL environment rules are written in: the variables
// account (the snapshot account), as_of (when the evidence was true: the
// credential report's generation time), now (when it is judged: the audit
// time) and params (thresholds), and the functions days(duration) (whole
// days), fmt_duration(duration) (for messages), cloudtrail_unread and
// cloudtrail_gap (what of the account's CloudTrail logs was read).
func NewEnv() (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.Variable("account", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("as_of", cel.TimestampType),
		cel.Variable("now", cel.TimestampType),
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(), // join, split, lowerAscii, replace, ...
		ext.Lists(),   // distinct, flatten, sort, ...
		durationFunction("days", cel.IntType, func(d time.Duration) ref.Val { return types.Int(d / (24 * time.Hour)) }),
		durationFunction("fmt_duration", cel.StringType, func(d time.Duration) ref.Val { return types.String(HumanDuration(d)) }),
	}
	env, err := cel.NewEnv(append(opts, coverageFunctions()...)...)
	if err != nil {
		return nil, fmt.Errorf("create CEL environment: %w", err)
	}
	return env, nil
}

// durationFunction declares a CEL function of one duration.
func durationFunction(name string, result *cel.Type, fn func(time.Duration) ref.Val) cel.EnvOption {
	return cel.Function(name,
		cel.Overload(name+"_duration", []*cel.Type{cel.DurationType}, result,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				d, ok := v.Value().(time.Duration)
				if !ok {
					return types.NewErr("%s: want a duration", name)
				}
				return fn(d)
			})))
}

// New compiles rules. Every expression is type-checked now, so a broken
// rule is reported before any account is judged.
func New(rs []*rules.Rule, opts Options) (*Engine, error) {
	env, err := NewEnv()
	if err != nil {
		return nil, err
	}
	e := &Engine{opts: opts, params: types.DefaultTypeAdapter.NativeToValue(opts.Params.Map()), account: newConverter(reflect.TypeFor[*model.Account]())}
	for _, r := range rs {
		if opts.Disabled[r.ID] {
			continue
		}
		c, err := compileRule(env, r)
		if err != nil {
			return nil, err
		}
		c.severity = r.Severity
		if s := opts.Severity[r.ID]; s != "" {
			c.severity = s
		}
		e.checks = append(e.checks, c)
	}
	return e, nil
}

// Compile checks that a rule's expressions compile, without running it.
func Compile(r *rules.Rule) error {
	env, err := NewEnv()
	if err != nil {
		return err
	}
	_, err = compileRule(env, r)
	return err
}

func compileRule(env *cel.Env, r *rules.Rule) (*check, error) {
	where := func(part string, err error) error {
		return fmt.Errorf("rule %s (%s): %s: %w", r.ID, r.Source, part, err)
	}
	c := &check{rule: r}
	var err error
	if c.expr, err = program(env, r.Expression, cel.BoolType); err != nil {
		return nil, where("expression", err)
	}
	for i, g := range r.When {
		cg := compiledGuard{status: g.Status}
		if cg.cond, err = program(env, g.If, cel.BoolType); err != nil {
			return nil, where(fmt.Sprintf("when[%d].if", i), err)
		}
		if cg.message, err = parseTemplate(env, g.Message); err != nil {
			return nil, where(fmt.Sprintf("when[%d].message", i), err)
		}
		c.guards = append(c.guards, cg)
	}
	if c.pass, err = parseTemplate(env, r.Pass); err != nil {
		return nil, where("pass", err)
	}
	if c.fail, err = parseTemplate(env, r.Fail); err != nil {
		return nil, where("fail", err)
	}
	names := make([]string, 0, len(r.Evidence))
	for n := range r.Evidence {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		prg, err := program(env, r.Evidence[n], nil)
		if err != nil {
			return nil, where("evidence."+n, err)
		}
		c.evidence = append(c.evidence, namedProgram{name: n, prg: prg})
	}
	return c, nil
}

func program(env *cel.Env, src string, want *cel.Type) (cel.Program, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if want != nil && !ast.OutputType().IsAssignableType(want) && ast.OutputType() != cel.DynType {
		return nil, fmt.Errorf("%q gives %s, want %s", src, ast.OutputType(), want)
	}
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
}

// Checks returns the IDs of the checks the engine runs.
func (e *Engine) Checks() []string {
	ids := make([]string, len(e.checks))
	for i, c := range e.checks {
		ids[i] = c.rule.ID
	}
	return ids
}

// Evaluate judges every account with every check, in parallel, and returns
// the findings ordered by account and check.
func (e *Engine) Evaluate(accounts []model.Account) []model.Finding {
	per := make([][]model.Finding, len(accounts))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(accounts)))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				per[i] = e.EvaluateAccount(&accounts[i])
			}
		})
	}
	for i := range accounts {
		next <- i
	}
	close(next)
	wg.Wait()
	n := 0
	for _, p := range per {
		n += len(p)
	}
	out := make([]model.Finding, 0, n)
	for _, p := range per {
		out = append(out, p...)
	}
	return out
}

// bind makes the variables the checks of one account are judged with.
func (e *Engine) bind(a *model.Account) (*activation, accountEvidence) {
	asOf := e.opts.Now
	if a.CredentialReport != nil && !a.CredentialReport.GeneratedAt.IsZero() {
		asOf = a.CredentialReport.GeneratedAt
	}
	now := e.opts.Now
	if e.opts.AtReportTime || now.Before(asOf) {
		now = asOf
	}
	acct, _ := e.account(reflect.ValueOf(a))
	vars := &activation{account: acct, asOf: types.Timestamp{Time: asOf}, now: types.Timestamp{Time: now}, params: e.params}
	acc := accountEvidence{}
	if cr := a.CredentialReport; cr != nil && !e.opts.NoEvidence {
		acc.report = reportEvidence(cr, e.opts.Now)
	}
	return vars, acc
}

// EvaluateAccount judges one account with every check.
func (e *Engine) EvaluateAccount(a *model.Account) []model.Finding {
	vars, acc := e.bind(a)
	out := make([]model.Finding, 0, len(e.checks))
	for _, c := range e.checks {
		f, _ := e.judge(c, a, vars, acc)
		out = append(out, f)
	}
	return out
}

// evaluateOne judges one account with one check, and says which guard
// decided (-1: the expression), for the samples.
func (e *Engine) evaluateOne(c *check, a *model.Account) (model.Finding, int) {
	vars, acc := e.bind(a)
	return e.judge(c, a, vars, acc)
}

// activation binds the rule variables for one account.
type activation struct {
	account ref.Val
	asOf    ref.Val
	now     ref.Val
	params  ref.Val
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "account":
		return a.account, true
	case "as_of":
		return a.asOf, true
	case "now":
		return a.now, true
	case "params":
		return a.params, true
	}
	return nil, false
}

func (a *activation) Parent() cel.Activation { return nil }

// accountEvidence is evidence shared by every finding of one account.
type accountEvidence struct {
	report map[string]any
}

func (e *Engine) judge(c *check, a *model.Account, vars cel.Activation, acc accountEvidence) (model.Finding, int) {
	r := c.rule
	resource := model.RootARN(a.Partition, a.ID)
	if a.Root != nil && a.Root.ARN != "" {
		resource = a.Root.ARN
	}
	f := model.Finding{
		ID:          FindingID(r.ID, a.ID, resource),
		Check:       r.ID,
		Title:       r.Title,
		Severity:    c.severity,
		Account:     a.ID,
		Org:         a.Org,
		Resource:    resource,
		Compliance:  r.Compliance,
		Remediation: strings.TrimSpace(r.Remediation),
	}
	if f.Compliance == nil {
		f.Compliance = map[string][]string{}
	}
	var msgErr error
	var guard int
	f.Status, f.Message, guard, msgErr = c.decide(vars)
	if msgErr != nil && e.opts.StrictMessages {
		f.Status, f.Message = model.StatusError, fmt.Sprintf("cannot render the %s message: %v", f.Status, msgErr)
	}
	if !e.opts.NoEvidence {
		ev, err := json.Marshal(e.evidence(c, a, vars, acc))
		if err != nil {
			// Only a value JSON cannot hold (NaN from a rule) gets here.
			ev, _ = json.Marshal(map[string]string{"error": "evidence not encodable: " + err.Error()})
		}
		f.Evidence = ev
	}
	return f, guard
}

// decide runs the guards, then the expression. msgErr is the first part
// of the message that could not be evaluated.
func (c *check) decide(vars cel.Activation) (status, message string, guard int, msgErr error) {
	for i, g := range c.guards {
		ok, err := evalBool(g.cond, vars)
		if err != nil {
			return model.StatusError, fmt.Sprintf("cannot evaluate when[%d]: %v", i, err), i, nil
		}
		if ok {
			message, msgErr = g.message.render(vars)
			return g.status, message, i, msgErr
		}
	}
	ok, err := evalBool(c.expr, vars)
	if err != nil {
		return model.StatusError, fmt.Sprintf("cannot evaluate: %v", err), -1, nil
	}
	if ok {
		message, msgErr = c.pass.render(vars)
		return model.StatusPass, message, -1, msgErr
	}
	message, msgErr = c.fail.render(vars)
	return model.StatusFail, message, -1, msgErr
}

func evalBool(p cel.Program, vars cel.Activation) (bool, error) {
	v, _, err := p.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("expression gave %v, not a bool", v.Type())
	}
	return b, nil
}

func (e *Engine) evidence(c *check, a *model.Account, vars cel.Activation, acc accountEvidence) map[string]any {
	ev := make(map[string]any, len(c.evidence)+4)
	for _, np := range c.evidence {
		v, _, err := np.prg.Eval(vars)
		if err != nil {
			ev[np.name] = nil
			continue
		}
		ev[np.name] = plain(v)
	}
	if a.Root != nil && len(c.rule.ReportFields) > 0 {
		fields := make(map[string]string, len(c.rule.ReportFields))
		for _, col := range c.rule.ReportFields {
			if v, ok := a.Root.Row[col]; ok {
				fields[col] = v
			}
		}
		ev["report_fields"] = fields
	}
	if acc.report != nil {
		ev["credential_report"] = acc.report
	}
	return ev
}

// reportEvidence says where the facts came from and how old they are: a fix
// made after the report was generated does not show in it.
func reportEvidence(cr *model.CredentialReportInfo, now time.Time) map[string]any {
	m := map[string]any{
		"source":              cr.Source,
		"generated_at":        cr.GeneratedAt.UTC().Format(time.RFC3339),
		"generated_at_source": cr.GeneratedAtSource,
	}
	if !now.IsZero() && !cr.GeneratedAt.IsZero() {
		age := max(now.Sub(cr.GeneratedAt), 0).Truncate(time.Minute)
		m["age"] = HumanDuration(age)
		m["age_hours"] = int64(age / time.Hour)
	}
	switch cr.GeneratedAtSource {
	case "audit-time":
		m["note"] = "the CSV carries no generation time; windows are measured from the audit time (set --report-time, or keep the JSON of `aws iam get-credential-report`)"
	case "report":
		m["note"] = "changes made after generated_at do not show (AWS regenerates a report at most every 4 hours)"
	}
	return m
}

// plain turns a CEL result into a JSON-friendly value.
func plain(v ref.Val) any {
	switch x := v.Value().(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case time.Duration:
		return config.FormatDuration(x)
	}
	if l, ok := v.(interface {
		Size() ref.Val
		Get(ref.Val) ref.Val
	}); ok && v.Type() == types.ListType {
		n := int(l.Size().(types.Int))
		out := make([]any, n)
		for i := range n {
			out[i] = plain(l.Get(types.Int(i)))
		}
		return out
	}
	if m, ok := v.(traits.Mapper); ok && v.Type() == types.MapType {
		// Keys as text, values made plain in turn (times, lists, maps).
		out := map[string]any{}
		for it := m.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			out[fmt.Sprint(k.Value())] = plain(m.Get(k))
		}
		return out
	}
	if native, err := v.ConvertToNative(reflectAny); err == nil {
		return native
	}
	return v.Value()
}

// HumanDuration writes d for people: "3d 4h", "5h 20m", "40m"; a negative
// duration (a time after the evidence) is written as "in the future".
func HumanDuration(d time.Duration) string {
	if d < 0 {
		return "in the future"
	}
	days, hours, mins := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour, (d%time.Hour)/time.Minute
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	}
	return fmt.Sprintf("%dm", mins)
}

// FindingID is the stable ID of a check's finding on one resource.
func FindingID(check, account, resource string) string {
	h := sha256.Sum256([]byte(check + "\x00" + account + "\x00" + resource))
	return hex.EncodeToString(h[:8])
}
