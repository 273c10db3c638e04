package emit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/rootwatch/rootwatch/internal/fix"
)

// FuzzEmit: whatever a plan file holds that fix reads as a plan, both
// formats either refuse it with an error or write files that parse: the
// templates as JSON, main.tf with HashiCorp's parser.
func FuzzEmit(f *testing.F) {
	for _, p := range []*fix.Plan{testPlan(), hostilePlan()} {
		var b bytes.Buffer
		if err := p.Write(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.String())
	}
	f.Add(`{"version":1,"created_at":"2026-01-01T00:00:00Z","evidence":{"111111111111":"2026-01-01T00:00:00Z"},"steps":[{"id":"a","account":"111111111111","kind":"k",` +
		`"calls":[{"action":"events:PutTargets","params":{"Rule":"r","Targets":[1,{"Id":null}]}},{"action":"budgets:CreateBudget","params":{"Budget":{"BudgetLimit":{"Amount":"x"}},"NotificationsWithSubscribers":[{"Subscribers":[7]}]}},` +
		`{"action":"logs:PutMetricFilter","params":{"LogGroupName":"g","FilterName":"f","FilterPattern":"p","MetricTransformations":[{"MetricName":{"a":[]}}]}}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64<<10 {
			return
		}
		p, err := fix.ReadPlan(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		o := Options{Management: "111111111111", Current: "111111111111"}
		if out, err := CloudFormation(p, o); err == nil {
			for _, f := range out.Files {
				if !json.Valid(f.Data) {
					t.Fatalf("%s is not JSON:\n%s", f.Name, f.Data)
				}
			}
		}
		if out, err := Terraform(p, o); err == nil {
			if _, diags := hclparse.NewParser().ParseHCL(out.Files[0].Data, "main.tf"); diags.HasErrors() {
				t.Fatalf("main.tf does not parse: %s\n%s", diags, out.Files[0].Data)
			}
		}
	})
}
