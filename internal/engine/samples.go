package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// SampleResult is the outcome of judging one of a rule's samples.
type SampleResult struct {
	Sample  rules.Sample
	Finding model.Finding
	// Guard is the index of the rule's when guard that decided the
	// finding, -1 when the expression did.
	Guard int
	// Err is set when the sample itself is malformed.
	Err error
}

// OK reports whether the rule judged the sample as the sample wants.
func (s SampleResult) OK() bool {
	return s.Err == nil && s.Finding.Status == s.Sample.Want && strings.Contains(s.Finding.Message, s.Sample.Says)
}

// RunSamples judges each of a rule's samples with that rule alone, so a rule
// proves itself.
func RunSamples(r *rules.Rule) ([]SampleResult, error) {
	if err := Compile(r); err != nil {
		return nil, err
	}
	out := make([]SampleResult, 0, len(r.Samples))
	for _, s := range r.Samples {
		res := SampleResult{Sample: s}
		f, guard, err := runSample(r, s)
		res.Finding, res.Guard, res.Err = f, guard, err
		if err != nil {
			res.Err = fmt.Errorf("rule %s sample %q: %w", r.ID, s.Name, err)
		}
		out = append(out, res)
	}
	return out, nil
}

func runSample(r *rules.Rule, s rules.Sample) (model.Finding, int, error) {
	asOf := rules.SampleAsOf()
	if s.AsOf != "" {
		t, err := time.Parse(time.RFC3339, s.AsOf)
		if err != nil {
			return model.Finding{}, 0, fmt.Errorf("as_of: %w", err)
		}
		asOf = t
	}
	now := asOf
	if s.Now != "" {
		t, err := time.Parse(time.RFC3339, s.Now)
		if err != nil {
			return model.Finding{}, 0, fmt.Errorf("now: %w", err)
		}
		now = t
	}
	params := config.DefaultParams()
	for k, v := range s.Params {
		if err := params.Set(k, v); err != nil {
			return model.Finding{}, 0, fmt.Errorf("params: %w", err)
		}
	}
	acct, err := SampleAccount(s.Account, asOf)
	if err != nil {
		return model.Finding{}, 0, err
	}
	e, err := New([]*rules.Rule{r}, Options{Params: params, Now: now, StrictMessages: true})
	if err != nil {
		return model.Finding{}, 0, err
	}
	f, guard := e.evaluateOne(e.checks[0], &acct)
	return f, guard, nil
}

// SampleAccount builds a snapshot account from a sample's JSON-shaped map,
// refusing fields the snapshot does not have, with defaults for what the
// sample leaves out (ID, partition, the credential report) and the derived
// facts computed as a source would.
func SampleAccount(m map[string]any, asOf time.Time) (model.Account, error) {
	full := map[string]any{
		"id":        "111111111111",
		"partition": "aws",
		"credential_report": map[string]any{
			"source": "sample", "generated_at": asOf.Format(time.RFC3339), "generated_at_source": "report",
		},
	}
	for k, v := range m {
		full[k] = v
	}
	data, err := json.Marshal(full)
	if err != nil {
		return model.Account{}, fmt.Errorf("account: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var a model.Account
	if err := dec.Decode(&a); err != nil {
		return model.Account{}, fmt.Errorf("account is not a snapshot account: %w", err)
	}
	if a.Root != nil {
		a.Root.Derive()
	}
	return a, nil
}
