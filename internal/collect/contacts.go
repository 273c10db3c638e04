package collect

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// AlternateContacts reads the billing, operations and security contacts:
// who AWS tells when something is wrong with the account. A contact whose
// email is blank (or only whitespace) is recorded as not set.
type AlternateContacts struct{}

func (*AlternateContacts) Name() string { return "alternate contacts" }

func (*AlternateContacts) Facts() []string { return []string{"contacts"} }

func (*AlternateContacts) Actions() []string { return []string{"account:GetAlternateContact"} }

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
		if c == nil || strings.TrimSpace(aws.ToString(c.EmailAddress)) == "" {
			// A contact AWS cannot write to is no contact: recorded as not
			// set, so every check that reads contacts sees the same fact.
			continue
		}
		*t.into = &model.Contact{Name: aws.ToString(c.Name), Title: aws.ToString(c.Title),
			Email: aws.ToString(c.EmailAddress), Phone: aws.ToString(c.PhoneNumber)}
	}
	a.Contacts = &cs
	return nil
}

// ContactInformation reads the account's primary contact: whom AWS reaches
// about the account itself, root's recovery included. A collector of its
// own, so a role allowed GetAlternateContact but not GetContactInformation
// still has its alternate contacts judged.
type ContactInformation struct{}

func (*ContactInformation) Name() string { return "contact information" }

func (*ContactInformation) Facts() []string { return []string{"primary_contact"} }

func (*ContactInformation) Actions() []string { return []string{"account:GetContactInformation"} }

func (*ContactInformation) Collect(ctx context.Context, cl *Clients, a *model.Account) error {
	in := &account.GetContactInformationInput{}
	if cl.ContactsOf != "" {
		in.AccountId = aws.String(cl.ContactsOf)
	}
	out, err := cl.Account.GetContactInformation(ctx, in)
	var nf *accounttypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return nil // not set
	case err != nil:
		return err
	}
	if ci := out.ContactInformation; ci != nil {
		a.PrimaryContact = &model.PrimaryContact{FullName: aws.ToString(ci.FullName), CompanyName: aws.ToString(ci.CompanyName),
			AddressLine1: aws.ToString(ci.AddressLine1), City: aws.ToString(ci.City), CountryCode: aws.ToString(ci.CountryCode),
			PhoneNumber: aws.ToString(ci.PhoneNumber), WebsiteURL: aws.ToString(ci.WebsiteUrl)}
	}
	return nil
}

// ReadsContacts says whether a collector reads contacts, which a
// management account reads for its members (by AccountId), with no role
// in the member.
func ReadsContacts(c Collector) bool {
	switch c.(type) {
	case *AlternateContacts, *ContactInformation:
		return true
	}
	return false
}
