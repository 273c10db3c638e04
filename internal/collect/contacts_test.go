package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// judgeWith judges an account with the named built-in rules, by check ID.
func judgeWith(t *testing.T, a model.Account, ids ...string) map[string]model.Finding {
	t.Helper()
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var picked []*rules.Rule
	for _, r := range rs {
		for _, id := range ids {
			if r.ID == id {
				picked = append(picked, r)
			}
		}
	}
	if len(picked) != len(ids) {
		t.Fatalf("built-in rules %v: found %d", ids, len(picked))
	}
	e, err := engine.New(picked, engine.Options{Params: config.DefaultParams(), Now: day(2025, 6, 1)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]model.Finding{}
	for _, f := range e.EvaluateAccount(&a) {
		out[f.Check] = f
	}
	return out
}

// A contact whose email is blank or only whitespace is no contact: the
// collector records it as not set, and security-contact-registered and
// alternate-contacts agree that there is no security contact. End to end
// through the real SDK against moto, which stores what it is given.
func TestBlankEmailContactIsNotSet(t *testing.T) {
	cfg := motoConfig(t, nil)
	api := account.NewFromConfig(cfg)
	for _, c := range []struct {
		kind  accounttypes.AlternateContactType
		email string
	}{
		{accounttypes.AlternateContactTypeBilling, "ap@example.com"},
		{accounttypes.AlternateContactTypeOperations, ""},
		{accounttypes.AlternateContactTypeSecurity, " \t "},
	} {
		if _, err := api.PutAlternateContact(context.Background(), &account.PutAlternateContactInput{
			AlternateContactType: c.kind, EmailAddress: aws.String(c.email),
			Name: aws.String(string(c.kind) + " team"), PhoneNumber: aws.String("+1 555 0100"), Title: aws.String("Team")}); err != nil {
			t.Fatalf("put %s contact: %v", c.kind, err)
		}
	}
	a := model.Account{ID: motoAccount, Partition: "aws"}
	if err := (&AlternateContacts{}).Collect(context.Background(), NewClients(cfg), &a); err != nil {
		t.Fatal(err)
	}
	if a.Contacts == nil || a.Contacts.Billing == nil || a.Contacts.Billing.Email != "ap@example.com" {
		t.Fatalf("contacts = %+v, want the billing contact", a.Contacts)
	}
	if a.Contacts.Operations != nil || a.Contacts.Security != nil {
		t.Errorf("operations %+v, security %+v: a blank email is no contact", a.Contacts.Operations, a.Contacts.Security)
	}
	fs := judgeWith(t, a, "security-contact-registered", "alternate-contacts")
	if f := fs["security-contact-registered"]; f.Status != "fail" {
		t.Errorf("security-contact-registered = %s (%s), want fail", f.Status, f.Message)
	}
	if f := fs["alternate-contacts"]; f.Status != "fail" || !strings.Contains(f.Message, "no operations, security contact") {
		t.Errorf("alternate-contacts = %s (%s), want fail naming operations and security", f.Status, f.Message)
	}
}

// A snapshot written elsewhere may still hold a contact with a blank
// email: both rules read it the same way, as no contact.
func TestContactRulesAgreeOnBlankEmail(t *testing.T) {
	blank := &model.Contact{Name: "Security team", Email: "  "}
	full := func(e string) *model.Contact { return &model.Contact{Name: "team", Email: e} }
	for _, tc := range []struct {
		name     string
		contacts model.Contacts
		want     string
	}{
		{"blank security email", model.Contacts{Billing: full("a@example.com"), Operations: full("b@example.com"), Security: blank}, "fail"},
		{"all three set", model.Contacts{Billing: full("a@example.com"), Operations: full("b@example.com"), Security: full("c@example.com")}, "pass"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.contacts
			fs := judgeWith(t, model.Account{ID: motoAccount, Partition: "aws", Contacts: &cs}, "security-contact-registered", "alternate-contacts")
			if a, b := fs["security-contact-registered"].Status, fs["alternate-contacts"].Status; a != tc.want || b != tc.want {
				t.Errorf("security-contact-registered = %s, alternate-contacts = %s, want both %s", a, b, tc.want)
			}
		})
	}
}
