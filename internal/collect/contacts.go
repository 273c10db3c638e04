package collect

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// AlternateContacts reads the billing, operations and security contacts
// and the account's contact information: who AWS tells when something is
// wrong with the account, the root user's among it.
type AlternateContacts struct{}

func (*AlternateContacts) Name() string { return "alternate contacts" }

func (*AlternateContacts) Facts() []string { return []string{"contacts"} }

func (*AlternateContacts) Actions() []string {
	return []string{"account:GetAlternateContact", "account:GetContactInformation"}
}

func (*AlternateContacts) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	var cs model.Contacts
	for _, t := range []struct {
		kind accounttypes.AlternateContactType
		into **model.Contact
	}{
		{accounttypes.AlternateContactTypeBilling, &cs.Billing},
		{accounttypes.AlternateContactTypeOperations, &cs.Operations},
		{accounttypes.AlternateContactTypeSecurity, &cs.Security},
	} {
		in := &account.GetAlternateContactInput{AlternateContactType: t.kind}
		if cl.ContactsOf != "" {
			in.AccountId = aws.String(cl.ContactsOf)
		}
		out, err := cl.Account.GetAlternateContact(ctx, in)
		var nf *accounttypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			continue // not set
		case err != nil:
			return err
		}
		c := out.AlternateContact
		*t.into = &model.Contact{Name: aws.ToString(c.Name), Title: aws.ToString(c.Title),
			Email: aws.ToString(c.EmailAddress), Phone: aws.ToString(c.PhoneNumber)}
	}
	in := &account.GetContactInformationInput{}
	if cl.ContactsOf != "" {
		in.AccountId = aws.String(cl.ContactsOf)
	}
	out, err := cl.Account.GetContactInformation(ctx, in)
	var nf *accounttypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return err
	default:
		if ci := out.ContactInformation; ci != nil {
			cs.Primary = &model.PrimaryContact{FullName: aws.ToString(ci.FullName), CompanyName: aws.ToString(ci.CompanyName),
				AddressLine1: aws.ToString(ci.AddressLine1), City: aws.ToString(ci.City), CountryCode: aws.ToString(ci.CountryCode),
				PhoneNumber: aws.ToString(ci.PhoneNumber), WebsiteURL: aws.ToString(ci.WebsiteUrl)}
		}
	}
	a.Contacts = &cs
	return nil
}
