// Package emit writes a fix plan as code for teams that apply changes
// through code review: CloudFormation templates (CloudFormation) and a
// Terraform configuration for the AWS provider (Terraform). Nothing is
// applied here.
//
// Each call of each step is translated, action by action, into the
// resource that makes the same change; a call neither format can express
// (a root credential deleted in an sts:AssumeRoot session, trusted access
// for a service, which belongs to the whole organization's resource) is
// listed in Output.Skipped and in the files themselves, never dropped.
// Blocked steps are listed there too: they have no calls to translate.
package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rootwatch/rootwatch/internal/fix"
)

// Options say where the plan's accounts stand.
type Options struct {
	// Management is the organization's management account, "" outside an
	// organization: CloudFormation writes what is made in it to a
	// template of its own.
	Management string
	// Current is the account of the credentials fix runs with: Terraform's
	// providers reach the other accounts by assuming RoleName in them.
	Current string
	// Partition is the credentials' partition ("aws" when empty).
	Partition string
	// RoleName is the role fix assumes in the other accounts.
	RoleName string
	// ExternalID is the external ID that role requires, if any.
	ExternalID string
}

// File is one file to write, named relative to the output folder.
type File struct {
	Name string
	Data []byte
}

// Skipped is a call (or a blocked step) that the output does not make,
// with why.
type Skipped struct {
	Account string `json:"account"`
	Region  string `json:"region,omitempty"`
	Step    string `json:"step"`
	Action  string `json:"action,omitempty"`
	Why     string `json:"why"`
}

// String is the skipped call on one line.
func (s Skipped) String() string {
	what := s.Step
	if s.Action != "" {
		what += " " + s.Action
	}
	where := "account " + s.Account
	if s.Region != "" {
		where += " " + s.Region
	}
	return oneLine(where + ": " + what + ": " + s.Why)
}

// Output is what a plan becomes.
type Output struct {
	Files []File
	// Skipped are the calls not expressible in the format and the blocked
	// steps, in plan order.
	Skipped []Skipped
	// Resources is the number of resources written.
	Resources int
	// Stacks say, for CloudFormation, which template each account and
	// region deploys, with its parameters.
	Stacks []StackInstance
}

// StackInstance is one account and region deploying a template.
type StackInstance struct {
	Template   string            `json:"template"`
	Account    string            `json:"account"`
	Region     string            `json:"region"`
	Parameters map[string]string `json:"parameters,omitempty"`
}

// call is one call of an applicable step, its parameters normalized.
type call struct {
	step fix.Step
	// account is whose credentials make the call: the step's Via, else
	// its account.
	account string
	region  string
	action  string
	p       map[string]any
}

// where says where a step's calls are made.
func where(s fix.Step, partition string) (account, region string) {
	account, region = s.Account, s.Region
	if s.Via != "" {
		account = s.Via
	}
	if region == "" {
		region = globalRegion(partition)
	}
	return account, region
}

func globalRegion(partition string) string {
	switch partition {
	case "aws-us-gov":
		return "us-gov-west-1"
	case "aws-cn":
		return "cn-north-1"
	}
	return "us-east-1"
}

// rootSessionWhy is why calls made as a member's root are not expressed.
const rootSessionWhy = "made as the member account's root in an sts:AssumeRoot session (IAMDeleteRootUserCredentials): " +
	"no resource deletes root credentials; apply it with rootwatch fix --apply --only root-access"

// calls are the plan's calls in order, with the blocked steps and the
// root-session steps' calls as skipped.
func calls(p *fix.Plan, partition string) ([]call, []Skipped, error) {
	var out []call
	var skipped []Skipped
	for _, s := range p.Steps {
		account, region := where(s, partition)
		if s.Blocked != "" {
			skipped = append(skipped, Skipped{Account: s.Account, Region: s.Region, Step: s.ID, Why: "blocked: " + s.Blocked})
			continue
		}
		for i, c := range s.Calls {
			if s.RootSession != nil {
				skipped = append(skipped, Skipped{Account: s.Account, Region: s.Region, Step: s.ID, Action: c.Action, Why: rootSessionWhy})
				continue
			}
			params, err := normalize(c.Params)
			if err != nil {
				return nil, nil, fmt.Errorf("step %s call %d (%s): %w", s.ID, i+1, c.Action, err)
			}
			out = append(out, call{step: s, account: account, region: region, action: c.Action, p: params})
		}
	}
	return out, skipped, nil
}

// normalize gives parameters one shape whether the plan was just made or
// read from a file: JSON's, numbers as json.Number.
func normalize(params map[string]any) (map[string]any, error) {
	data, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("parameters: %w", err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// str is a string parameter, "" when absent or not a string.
func str(p map[string]any, name string) string {
	s, _ := p[name].(string)
	return s
}

// need returns the string parameters names, or an error naming the first
// missing.
func need(c call, names ...string) error {
	for _, n := range names {
		if str(c.p, n) == "" {
			return fmt.Errorf("step %s: %s without %s", c.step.ID, c.action, n)
		}
	}
	return nil
}

// jsonParam parses a parameter holding a JSON document (a policy, an
// event pattern).
func jsonParam(c call, name string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(str(c.p, name)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("step %s: %s: %s is not JSON: %w", c.step.ID, c.action, name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("step %s: %s: %s holds more than one JSON value", c.step.ID, c.action, name)
	}
	return v, nil
}

// oneLine keeps a text on one line, without control characters: for
// comments and stderr.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

// words splits a name on what is not a letter or digit.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
}

// unique returns name, or name with the lowest number from 2 that is not
// taken, and takes it.
func unique(taken map[string]bool, name string) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = fmt.Sprintf("%s%d", name, i)
	}
	taken[n] = true
	return n
}

// sortedKeys are a map's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// topicARN is the ARN of a topic created by name.
func topicARN(partition, region, account, name string) string {
	return "arn:" + partition + ":sns:" + region + ":" + account + ":" + name
}

// inPlanOrder sorts skipped calls by their step's place in the plan,
// keeping the order of a step's calls.
func inPlanOrder(p *fix.Plan, skipped []Skipped) []Skipped {
	index := map[string]int{}
	for i, s := range p.Steps {
		index[s.ID] = i
	}
	slices.SortStableFunc(skipped, func(a, b Skipped) int { return index[a.Step] - index[b.Step] })
	return skipped
}
