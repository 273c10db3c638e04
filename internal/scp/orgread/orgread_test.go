package orgread

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rootwatch/rootwatch/internal/awstest"
	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/scp"
)

// Read against moto: the tree with its names, and the SCPs of exactly the
// levels the targets' simulations need (the target, the levels above it,
// the OUs and accounts below it), each with its document.
func TestReadAgainstMoto(t *testing.T) {
	m, err := awstest.Start()
	if err != nil {
		t.Skipf("end-to-end test skipped: %v", err)
	}
	t.Cleanup(m.Stop)
	awstest.Env(t)
	ctx := context.Background()
	cfg, err := collect.LoadConfig(ctx, collect.Options{EndpointURL: m.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	api := organizations.NewFromConfig(cfg)
	if _, err := api.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatal(err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(parent, name string) string {
		out, err := api.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	work := ou(root, "Workloads")
	prod := ou(work, "Prod")
	sec := ou(root, "Security")
	acct := func(name, parent string) string {
		out, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if _, err := api.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(id), SourceParentId: aws.String(root), DestinationParentId: aws.String(parent)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	prodA := acct("prod-a", prod)
	audit := acct("audit", sec)
	const doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:root"}}}]}`
	pol, err := api.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("deny-root"), Description: aws.String("deny root"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pol.Policy.PolicySummary.Id, TargetId: aws.String(prod)}); err != nil {
		t.Fatal(err)
	}

	org, err := Read(ctx, api, []string{work})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(org.ID, "o-") || org.ManagementAccount != "123456789012" || org.Root != root || len(org.Unread) != 0 {
		t.Errorf("org %s, management %s, root %s (want %s), unread %q", org.ID, org.ManagementAccount, org.Root, root, org.Unread)
	}
	if org.Names[root] != "Root" || org.Names[work] != "Root/Workloads" || org.Names[prod] != "Root/Workloads/Prod" || org.Names[sec] != "Root/Security" {
		t.Errorf("names %v", org.Names)
	}
	var got []string
	for _, a := range org.Accounts {
		got = append(got, a.Name+" "+a.Path+" "+strings.Join(a.Parents, ","))
	}
	slices.Sort(got)
	want := []string{"audit Root/Security " + root + "," + sec, "master Root " + root, "prod-a Root/Workloads/Prod " + root + "," + work + "," + prod}
	if !slices.Equal(got, want) {
		t.Errorf("accounts %q, want %q", got, want)
	}
	// Read: the root and Workloads (FullAWSAccess), Prod (and deny-root),
	// prod-a; not Security, audit nor the management account.
	var levels []string
	for t := range org.Attached {
		levels = append(levels, t)
	}
	slices.Sort(levels)
	wantLevels := []string{root, work, prod, prodA}
	slices.Sort(wantLevels)
	if !slices.Equal(levels, wantLevels) {
		t.Errorf("SCPs read for %q, want %q (not %s, %s)", levels, wantLevels, sec, audit)
	}
	ps := org.Attached[prod]
	if len(ps) != 2 || ps[0].Name != "FullAWSAccess" || ps[1].Name != "deny-root" || ps[1].Document != doc || ps[1].Target != prod {
		t.Errorf("SCPs of Prod %+v", ps)
	}
	g, err := scp.Evaluate(prodA, append(append(append(org.Attached[root], org.Attached[work]...), ps...), org.Attached[prodA]...))
	if err != nil || g.Kind != scp.DenyAll {
		t.Errorf("prod-a's guardrail %+v, %v", g, err)
	}
	// An OU the organization does not hold is left to Simulate to name.
	org, err = Read(ctx, api, []string{strings.Replace(prod, prod[len(prod)-8:], "zzzzzzzz", 1)})
	if err != nil {
		t.Fatalf("unknown OU: %v", err)
	}
	if len(org.Attached) != 0 {
		t.Errorf("SCPs read for %v", org.Attached)
	}
}
