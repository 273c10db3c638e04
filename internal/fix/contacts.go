package fix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/rootwatch/rootwatch/internal/model"
)

// The checks the contacts kind fixes.
const (
	AlternateContactsCheck = "alternate-contacts"
	SecurityContactCheck   = "security-contact-registered"
)

// AccountContactsAPI is the part of the Account client the contacts kind
// uses: an account's own alternate contacts (no AccountId: the calls are
// made in the account).
type AccountContactsAPI interface {
	GetAlternateContact(context.Context, *account.GetAlternateContactInput, ...func(*account.Options)) (*account.GetAlternateContactOutput, error)
	PutAlternateContact(context.Context, *account.PutAlternateContactInput, ...func(*account.Options)) (*account.PutAlternateContactOutput, error)
	DeleteAlternateContact(context.Context, *account.DeleteAlternateContactInput, ...func(*account.Options)) (*account.DeleteAlternateContactOutput, error)
}

// Contacts registers the billing, operations and security alternate
// contacts from the contacts file (--contacts) where alternate-contacts or
// security-contact-registered fails: account:PutAlternateContact, in the
// account itself, for each contact that is missing or differs from the
// file's. Its undo puts the contact that was there back, or deletes the
// one it made.
type Contacts struct{}

func (*Contacts) Name() string     { return "contacts" }
func (*Contacts) Checks() []string { return []string{AlternateContactsCheck, SecurityContactCheck} }

// ContactsActions are the contacts kind's changes.
func ContactsActions() []string {
	return []string{"account:DeleteAlternateContact", "account:PutAlternateContact"}
}

// ContactsReadActions are its planning reads.
func ContactsReadActions() []string { return []string{"account:GetAlternateContact"} }

// Plan plans one step per contact type to put in place.
func (k *Contacts) Plan(ctx context.Context, t Target, reach Reach, o Options) ([]Step, error) {
	acct := t.Account.ID
	// refs are the contact types to put in place, with the finding each
	// fixes.
	refs := map[string]FindingRef{}
	why := map[string]string{}
	for _, check := range k.Checks() {
		f, ok := t.Finding(check)
		if ok && f.Status == model.StatusError {
			return nil, fmt.Errorf("%s could not be judged in account %s (%s): nothing is planned until an audit reads it", check, acct, f.Message)
		}
		if !ok || !failing(f) {
			continue
		}
		want := []string{"SECURITY"}
		if check == AlternateContactsCheck {
			want = ContactTypes()
		}
		for _, ct := range want {
			if _, done := refs[ct]; !done {
				refs[ct] = FindingRef{Check: check, ID: f.ID}
				why[ct] = check + " fails: " + f.Message
			}
		}
	}
	if len(refs) == 0 {
		return nil, nil
	}
	region := globalRegion(cmpPartition(t.Account.Partition))
	id := func(ct string) string { return "contacts/" + acct + "/" + strings.ToLower(ct) }
	// Planned in the order of ContactTypes.
	var ordered []string
	for _, ct := range ContactTypes() {
		if _, ok := refs[ct]; ok {
			ordered = append(ordered, ct)
		}
	}
	if o.Contacts == nil {
		if !slices.Contains(o.Only, k.Name()) {
			return nil, nil // not asked for, and nothing to put
		}
		var steps []Step
		for _, ct := range ordered {
			steps = append(steps, Step{ID: id(ct), Account: acct, Region: region, Kind: k.Name(), Target: ct, Finding: refs[ct], Why: why[ct],
				Blocked: "no contacts file: give --contacts FILE with the billing, operations and security contacts (name, email, phone with its country code)"})
		}
		return steps, nil
	}
	want := o.Contacts.For(acct)
	cl := reach(region)
	if cl.Account == nil {
		return nil, fmt.Errorf("read the alternate contacts of account %s: no account client", acct)
	}
	var steps []Step
	for _, ct := range ordered {
		c, ok := want[ct]
		if !ok {
			steps = append(steps, Step{ID: id(ct), Account: acct, Region: region, Kind: k.Name(), Target: ct, Finding: refs[ct], Why: why[ct],
				Blocked: fmt.Sprintf("the contacts file %s gives no %s contact for account %s: add one under default or under accounts: %q", o.Contacts.Path, strings.ToLower(ct), acct, acct)})
			continue
		}
		have, err := readAltContact(ctx, cl.Account, ct)
		if err != nil {
			return nil, fmt.Errorf("read the %s contact of account %s: %w", strings.ToLower(ct), acct, err)
		}
		if have != nil && *have == c {
			continue
		}
		put := Call{Action: "account:PutAlternateContact", Params: contactParams(ct, c)}
		w := why[ct] + "; the " + strings.ToLower(ct) + " contact from " + o.Contacts.Path + ": " + c.Name + " <" + c.Email + ">"
		if have == nil || strings.TrimSpace(have.Email) == "" {
			// A contact without an address is none (as the checks judge
			// it), and AWS would not take it back.
			put.Undo = []Call{{Action: "account:DeleteAlternateContact", Params: map[string]any{"AlternateContactType": ct}}}
		} else {
			put.Undo = []Call{{Action: "account:PutAlternateContact", Params: contactParams(ct, *have)}}
			w += ", replacing " + have.Name + " <" + have.Email + ">"
		}
		steps = append(steps, Step{ID: id(ct), Account: acct, Region: region, Kind: k.Name(), Target: ct, Finding: refs[ct], Why: w, Calls: []Call{put}})
	}
	return steps, nil
}

// cmpPartition is the partition, aws when not known.
func cmpPartition(p string) string {
	if p == "" {
		return "aws"
	}
	return p
}

func contactParams(ct string, c AltContact) map[string]any {
	return map[string]any{"AlternateContactType": ct, "Name": c.Name, "Title": c.Title, "EmailAddress": c.Email, "PhoneNumber": c.Phone}
}

// readAltContact reads one of the account's own alternate contacts; nil
// when it has none.
func readAltContact(ctx context.Context, api AccountContactsAPI, ct string) (*AltContact, error) {
	out, err := api.GetAlternateContact(ctx, &account.GetAlternateContactInput{AlternateContactType: accounttypes.AlternateContactType(ct)})
	var nf *accounttypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return nil, nil
	case err != nil:
		return nil, err
	case out.AlternateContact == nil:
		return nil, nil
	}
	c := out.AlternateContact
	return &AltContact{Name: aws.ToString(c.Name), Title: aws.ToString(c.Title), Email: aws.ToString(c.EmailAddress), Phone: aws.ToString(c.PhoneNumber)}, nil
}

// executeContacts makes the contacts kind's calls.
func executeContacts(ctx context.Context, cl Clients, c Call) (map[string]string, error) {
	if cl.Account == nil {
		return nil, fmt.Errorf("%s: no account client", c.Action)
	}
	switch c.Action {
	case "account:PutAlternateContact":
		in := &account.PutAlternateContactInput{}
		if err := decode(c.Action, c.Params, in); err != nil {
			return nil, err
		}
		if in.AccountId != nil {
			return nil, fmt.Errorf("%s: AccountId: the contacts kind changes an account's contacts in the account itself", c.Action)
		}
		_, err := cl.Account.PutAlternateContact(ctx, in)
		return nil, err
	case "account:DeleteAlternateContact":
		in := &account.DeleteAlternateContactInput{}
		if err := decode(c.Action, c.Params, in); err != nil {
			return nil, err
		}
		if in.AccountId != nil {
			return nil, fmt.Errorf("%s: AccountId: the contacts kind changes an account's contacts in the account itself", c.Action)
		}
		_, err := cl.Account.DeleteAlternateContact(ctx, in)
		return nil, err
	}
	return nil, fmt.Errorf("%s: not an action rootwatch fix makes", c.Action)
}
