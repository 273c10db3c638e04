package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// The organization walk through the real SDK against moto records each
// account's email (Organizations' account email is the root user's),
// the management account's included.
func TestWalkAccountsEmailFromMoto(t *testing.T) {
	cfg := motoConfig(t, nil)
	org := organizations.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{motoAccount: "master@example.com"} // moto's management account
	for _, email := range []string{"aws-prod@example.com", "Jane.Doe@GMail.com"} {
		out, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(strings.Split(email, "@")[0]), Email: aws.String(email)})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.CreateAccountStatus.AccountId)] = email
	}
	accounts, skipped, err := WalkAccounts(ctx, org, nil)
	if err != nil || len(skipped) != 0 {
		t.Fatalf("walk: %v, skipped %v", err, skipped)
	}
	if len(accounts) != len(want) {
		t.Fatalf("%d accounts, want %d", len(accounts), len(want))
	}
	for _, a := range accounts {
		if a.Email != want[a.ID] {
			t.Errorf("%s: email %q, want %q (as written, case kept)", a.ID, a.Email, want[a.ID])
		}
	}
}

// contactPhone stands in for account:GetContactInformation, which moto
// does not implement: the contact information with the given phone
// number.
type contactPhone struct {
	AccountAPI
	phone string
}

func (f contactPhone) GetContactInformation(context.Context, *account.GetContactInformationInput, ...func(*account.Options)) (*account.GetContactInformationOutput, error) {
	return &account.GetContactInformationOutput{ContactInformation: &accounttypes.ContactInformation{FullName: aws.String("Example Corp"),
		AddressLine1: aws.String("1 Main Street"), City: aws.String("Seattle"), CountryCode: aws.String("US"), PostalCode: aws.String("98101"),
		PhoneNumber: aws.String(f.phone)}}, nil
}

// The contact information collector's phone number, judged by
// contact-phone-country-code.
func TestContactPhoneCountryCode_FakeContactInformation(t *testing.T) {
	for phone, want := range map[string]struct{ status, message string }{
		"+1 206-555-0100": {"pass", "the contact phone number has a country code"},
		"206-555-0100":    {"fail", `the contact phone number "206-555-0100" does not start with + and a country calling code`},
		// Quotes and line breaks are escaped in the message (one line);
		// other control characters are kept, as the number was written,
		// for each writer to escape for its medium (the table for a
		// terminal).
		"+1 206\x1b[2J\n\"": {"fail", "the contact phone number \"+1 206\x1b[2J\\n\\\"\" is not + and a country calling code followed by a number (digits, with spaces, dashes, dots or parentheses between them)"},
	} {
		a := model.Account{ID: motoAccount, Partition: "aws"}
		if err := (&ContactInformation{}).Collect(context.Background(), &Clients{Account: contactPhone{phone: phone}}, &a); err != nil {
			t.Fatal(err)
		}
		if a.PrimaryContact == nil || a.PrimaryContact.PhoneNumber != phone {
			t.Fatalf("%q: contact information %+v", phone, a.PrimaryContact)
		}
		f := judgeWith(t, a, "contact-phone-country-code")["contact-phone-country-code"]
		if f.Status != want.status || f.Message != want.message {
			t.Errorf("%q: %s %q, want %s %q", phone, f.Status, f.Message, want.status, want.message)
		}
	}
}
