package fix

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"

	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

const contactsYAML = `# the fleet's contacts
default:
  security: {name: Security team, title: Security, email: security@example.com, phone: "+1 206 555 0100"}
  billing: {name: Accounts payable, email: ap@example.com, phone: "+1 206 555 0101"}
  operations:
    name: Cloud operations
    email: ops@example.com
    phone: +44 20 7946 0000
accounts:
  "222222222222":
    security: {name: Payments security, email: pay-sec@example.com, phone: "+33 1 23 45 67 89"}
`

func TestReadContactsFile(t *testing.T) {
	f, err := ParseContacts([]byte(contactsYAML), "contacts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sec := AltContact{Name: "Security team", Title: "Security", Email: "security@example.com", Phone: "+1 206 555 0100"}
	bill := AltContact{Name: "Accounts payable", Title: "Billing", Email: "ap@example.com", Phone: "+1 206 555 0101"}
	ops := AltContact{Name: "Cloud operations", Title: "Operations", Email: "ops@example.com", Phone: "+44 20 7946 0000"}
	if got := f.For("111111111111"); len(got) != 3 || got["SECURITY"] != sec || got["BILLING"] != bill || got["OPERATIONS"] != ops {
		t.Errorf("default contacts: %+v", got)
	}
	pay := AltContact{Name: "Payments security", Title: "Security", Email: "pay-sec@example.com", Phone: "+33 1 23 45 67 89"}
	if got := f.For("222222222222"); len(got) != 3 || got["SECURITY"] != pay || got["BILLING"] != bill {
		t.Errorf("an account's own security contact: %+v", got)
	}
}

func TestReadContactsFileRefusesBadInput(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown key at the top", "default: {}\nowners: {}\n", `contacts file c.yaml: line 2: the file: unknown key "owners" (want default, accounts)`},
		{"unknown key in a contact", "default:\n  security:\n    name: S\n    mail: s@example.com\n", `contacts file c.yaml: line 4: default security: unknown key "mail" (want name, title, email, phone)`},
		{"unknown contact type", "default:\n  finance: {name: F}\n", `contacts file c.yaml: line 2: default: unknown key "finance" (want billing, operations, security)`},
		{"a phone without a country code", "default:\n  security:\n    name: S\n    email: s@example.com\n    phone: (206) 555-0100\n",
			`contacts file c.yaml: line 5: default security: phone "(206) 555-0100" has no country code: want + and a country calling code, then the number (+1 206 555 0100)`},
		{"00 instead of +", "default:\n  billing: {name: B, email: b@example.com, phone: \"0044 20 7946 0000\"}\n", `line 2: default billing: phone "0044 20 7946 0000" has no country code`},
		{"a dot AWS does not take", "default:\n  billing: {name: B, email: b@example.com, phone: \"+44 20.7946.0000\"}\n", `line 2: default billing: phone "+44 20.7946.0000": AWS takes only digits, spaces, +, -, ( and ) in a phone number`},
		{"a bad email", "accounts:\n  \"111111111111\":\n    security:\n      name: S\n      email: security at example.com\n      phone: \"+1 206 555 0100\"\n",
			`contacts file c.yaml: line 5: account 111111111111 security: email "security at example.com" is not an email address`},
		{"a display name in the email", "default:\n  billing: {name: B, email: \"Bill <b@example.com>\", phone: \"+1 206 555 0100\"}\n", `line 2: default billing: email "Bill <b@example.com>" is not an email address`},
		{"a quoted local part AWS does not take", "default:\n  billing: {name: B, email: '\"a b\"@example.com', phone: \"+1 206 555 0100\"}\n", `line 2: default billing: email "\"a b\"@example.com" is not an email address`},
		{"no phone", "default:\n  operations:\n    name: O\n    email: o@example.com\n", `contacts file c.yaml: line 3: default operations: no phone (a contact needs a name, an email address and a phone number)`},
		{"no name", "default:\n  operations: {email: o@example.com, phone: \"+1 206 555 0100\"}\n", `line 2: default operations: no name`},
		{"an empty email", "default:\n  operations: {name: O, email: \"\", phone: \"+1 206 555 0100\"}\n", `line 2: default operations: no email`},
		{"not an account ID", "accounts:\n  prod:\n    security: {name: S}\n", `contacts file c.yaml: line 2: accounts: "prod" is not a 12-digit account ID`},
		{"a key twice", "default:\n  security: {name: S, email: s@example.com, phone: \"+1 206 555 0100\"}\n  security: {name: T}\n", `contacts file c.yaml: line 3: default: key "security" given twice`},
		{"a list", "- security\n", `contacts file c.yaml: line 1: the file: want a mapping (key: value), got a list`},
		{"a null contact", "default:\n  security:\n", `contacts file c.yaml: line 2: default security: want a mapping (key: value), got nothing`},
		{"not YAML", "default: [unclosed\n", `contacts file c.yaml: not YAML: yaml: line 1: did not find expected ',' or ']'`},
		{"a tab", "default:\n\tsecurity: {}\n", `contacts file c.yaml: not YAML: yaml: line 2: found character that cannot start any token`},
		{"empty", "", `contacts file c.yaml: empty: want a default block or accounts`},
		{"no contacts", "default: {}\n", `contacts file c.yaml: no contacts: want a default block or accounts`},
		{"two documents", "default: {}\n---\ndefault: {}\n", `contacts file c.yaml: line 2: a second YAML document: a contacts file is one`},
		{"a name too long", "default:\n  billing: {name: " + strings.Repeat("n", 65) + ", email: b@example.com, phone: \"+1 206 555 0100\"}\n", `line 2: default billing: name is longer than the 64 characters AWS takes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseContacts([]byte(tc.in), "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// The contacts file judges a phone number as the contact-phone-country-code
// check does: every sample of the check, judged both ways.
func TestPhoneHasCountryCodeAgreesWithTheCheck(t *testing.T) {
	builtin, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(builtin, func(r *rules.Rule) bool { return r.ID == "contact-phone-country-code" })
	if i < 0 {
		t.Fatal("no contact-phone-country-code rule")
	}
	n := 0
	for _, s := range builtin[i].Samples {
		pc, ok := s.Account["primary_contact"].(map[string]any)
		if !ok || (s.Want != "pass" && s.Want != "fail") {
			continue
		}
		phone, _ := pc["phone_number"].(string)
		if got := PhoneHasCountryCode(phone); got != (s.Want == "pass") {
			t.Errorf("%s: %q judged %v, the check says %s", s.Name, phone, got, s.Want)
		}
		n++
	}
	if n != 10 {
		t.Errorf("%d samples judged, want the check's 10", n)
	}
}

// fakeContacts are an account's alternate contacts; writes change them.
type fakeContacts struct {
	have  map[string]accounttypes.AlternateContact
	calls []string
}

func (f *fakeContacts) GetAlternateContact(_ context.Context, in *account.GetAlternateContactInput, _ ...func(*account.Options)) (*account.GetAlternateContactOutput, error) {
	f.calls = append(f.calls, "get "+string(in.AlternateContactType))
	c, ok := f.have[string(in.AlternateContactType)]
	if !ok {
		return nil, &accounttypes.ResourceNotFoundException{Message: aws.String("No contact of the inputted alternate contact type found.")}
	}
	return &account.GetAlternateContactOutput{AlternateContact: &c}, nil
}

func (f *fakeContacts) PutAlternateContact(_ context.Context, in *account.PutAlternateContactInput, _ ...func(*account.Options)) (*account.PutAlternateContactOutput, error) {
	f.calls = append(f.calls, "put "+string(in.AlternateContactType)+" "+aws.ToString(in.EmailAddress))
	f.have[string(in.AlternateContactType)] = accounttypes.AlternateContact{AlternateContactType: in.AlternateContactType, Name: in.Name,
		Title: in.Title, EmailAddress: in.EmailAddress, PhoneNumber: in.PhoneNumber}
	return &account.PutAlternateContactOutput{}, nil
}

func (f *fakeContacts) DeleteAlternateContact(_ context.Context, in *account.DeleteAlternateContactInput, _ ...func(*account.Options)) (*account.DeleteAlternateContactOutput, error) {
	f.calls = append(f.calls, "delete "+string(in.AlternateContactType))
	delete(f.have, string(in.AlternateContactType))
	return &account.DeleteAlternateContactOutput{}, nil
}

func (f *fakeContacts) reach(string) Clients { return Clients{Account: f} }

func contactsTarget(acct string, findings ...model.Finding) Target {
	return Target{Account: &model.Account{ID: acct, Partition: "aws"}, Findings: findings}
}

func callStrings(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.ID+" "+s.Region+" blocked="+s.Blocked)
		for _, c := range s.Calls {
			out = append(out, "  "+c.String())
			for _, u := range c.Undo {
				out = append(out, "    undo "+u.String())
			}
		}
	}
	return out
}

func TestPlanContacts(t *testing.T) {
	file, err := ParseContacts([]byte(contactsYAML), "contacts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	alt := model.Finding{ID: "f-alt", Check: "alternate-contacts", Status: model.StatusFail, Message: "no [billing, security] contact"}
	// The operations contact is the file's already; billing differs from
	// it; security is missing.
	fake := &fakeContacts{have: map[string]accounttypes.AlternateContact{
		"OPERATIONS": {Name: aws.String("Cloud operations"), Title: aws.String("Operations"), EmailAddress: aws.String("ops@example.com"), PhoneNumber: aws.String("+44 20 7946 0000")},
		"BILLING":    {Name: aws.String("Old"), Title: aws.String("AP"), EmailAddress: aws.String("old@example.com"), PhoneNumber: aws.String("555 0100")},
	}}
	steps, err := (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", alt), fake.reach, Options{Contacts: file})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"contacts/111111111111/billing us-east-1 blocked=",
		`  account:PutAlternateContact {"AlternateContactType":"BILLING","EmailAddress":"ap@example.com","Name":"Accounts payable","PhoneNumber":"+1 206 555 0101","Title":"Billing"}`,
		`    undo account:PutAlternateContact {"AlternateContactType":"BILLING","EmailAddress":"old@example.com","Name":"Old","PhoneNumber":"555 0100","Title":"AP"}`,
		"contacts/111111111111/security us-east-1 blocked=",
		`  account:PutAlternateContact {"AlternateContactType":"SECURITY","EmailAddress":"security@example.com","Name":"Security team","PhoneNumber":"+1 206 555 0100","Title":"Security"}`,
		`    undo account:DeleteAlternateContact {"AlternateContactType":"SECURITY"}`,
	}
	if got := callStrings(steps); !slices.Equal(got, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if steps[0].Why != "alternate-contacts fails: no [billing, security] contact; the billing contact from contacts.yaml: Accounts payable <ap@example.com>, replacing Old <old@example.com>" ||
		steps[0].Finding != (FindingRef{Check: "alternate-contacts", ID: "f-alt"}) || steps[0].Kind != "contacts" || steps[0].Via != "" {
		t.Errorf("billing step: %+v", steps[0])
	}
	if got := strings.Join(fake.calls, "; "); got != "get BILLING; get OPERATIONS; get SECURITY" {
		t.Errorf("planning calls: %s", got)
	}

	// Applied, and planned again: nothing.
	fake.calls = nil
	for _, s := range steps {
		for _, c := range s.Calls {
			if _, err := Execute(context.Background(), fake.reach(""), c); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps, err = (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", alt), fake.reach, Options{Contacts: file})
	if err != nil || len(steps) != 0 {
		t.Errorf("again: %v %v", callStrings(steps), err)
	}

	// Only the security check fails: only the security contact, the
	// account's own from the file.
	sec := model.Finding{ID: "f-sec", Check: "security-contact-registered", Status: model.StatusFail, Message: "no security contact"}
	fake = &fakeContacts{have: map[string]accounttypes.AlternateContact{}}
	steps, err = (&Contacts{}).Plan(context.Background(), contactsTarget("222222222222", sec), fake.reach, Options{Contacts: file})
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"contacts/222222222222/security us-east-1 blocked=",
		`  account:PutAlternateContact {"AlternateContactType":"SECURITY","EmailAddress":"pay-sec@example.com","Name":"Payments security","PhoneNumber":"+33 1 23 45 67 89","Title":"Security"}`,
		`    undo account:DeleteAlternateContact {"AlternateContactType":"SECURITY"}`,
	}
	if got := callStrings(steps); !slices.Equal(got, want) {
		t.Errorf("security only:\n%s", strings.Join(got, "\n"))
	}
}

func TestPlanContactsBlockedAndErrors(t *testing.T) {
	alt := model.Finding{ID: "f-alt", Check: "alternate-contacts", Status: model.StatusFail, Message: "no operations contact"}
	// Without --contacts, the kind not named by --only: nothing.
	fake := &fakeContacts{have: map[string]accounttypes.AlternateContact{}}
	steps, err := (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", alt), fake.reach, Options{Only: []string{"alarm"}})
	if err != nil || len(steps) != 0 || len(fake.calls) != 0 {
		t.Fatalf("not asked for: %v %v, reads %v", callStrings(steps), err, fake.calls)
	}
	// Named: every failing contact blocked, nothing read.
	steps, err = (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", alt), fake.reach, Options{Only: []string{"contacts"}})
	if err != nil || len(steps) != 3 || len(fake.calls) != 0 {
		t.Fatalf("no file: %v %v, reads %v", callStrings(steps), err, fake.calls)
	}
	if b := steps[1].Blocked; steps[1].ID != "contacts/111111111111/operations" ||
		b != "no contacts file: give --contacts FILE with the billing, operations and security contacts (name, email, phone with its country code)" {
		t.Errorf("blocked: %s %q", steps[1].ID, b)
	}
	// A file without the operations contact.
	file, err := ParseContacts([]byte("default:\n  billing: {name: B, email: b@example.com, phone: \"+1 206 555 0100\"}\n  security: {name: S, email: s@example.com, phone: \"+1 206 555 0100\"}\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	steps, err = (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", alt), fake.reach, Options{Contacts: file})
	if err != nil || len(steps) != 3 {
		t.Fatalf("partial file: %v %v", callStrings(steps), err)
	}
	if steps[1].Blocked != `the contacts file c.yaml gives no operations contact for account 111111111111: add one under default or under accounts: "111111111111"` || len(steps[1].Calls) != 0 {
		t.Errorf("no operations contact: %+v", steps[1])
	}
	// Passing, or not judged.
	pass := model.Finding{Check: "alternate-contacts", Status: model.StatusPass}
	if steps, err := (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", pass), fake.reach, Options{Contacts: file}); err != nil || len(steps) != 0 {
		t.Errorf("passing: %v %v", steps, err)
	}
	bad := model.Finding{Check: "security-contact-registered", Status: model.StatusError, Message: "the alternate contacts could not be read (see errors)"}
	_, err = (&Contacts{}).Plan(context.Background(), contactsTarget("111111111111", bad), fake.reach, Options{Contacts: file})
	if err == nil || err.Error() != "security-contact-registered could not be judged in account 111111111111 (the alternate contacts could not be read (see errors)): nothing is planned until an audit reads it" {
		t.Errorf("error finding: %v", err)
	}
}

// A member's contacts are put in the member with its own clients: a call
// naming another account is refused, not made.
func TestExecuteContactsRefusesAccountId(t *testing.T) {
	fake := &fakeContacts{have: map[string]accounttypes.AlternateContact{}}
	_, err := Execute(context.Background(), fake.reach(""), Call{Action: "account:PutAlternateContact", Params: map[string]any{
		"AccountId": "222222222222", "AlternateContactType": "SECURITY", "Name": "S", "Title": "S", "EmailAddress": "s@example.com", "PhoneNumber": "+1 206 555 0100"}})
	if err == nil || !strings.Contains(err.Error(), "AccountId: the contacts kind changes an account's contacts in the account itself") || len(fake.calls) != 0 {
		t.Errorf("err %v, calls %v", err, fake.calls)
	}
	_, err = Execute(context.Background(), fake.reach(""), Call{Action: "account:PutAlternateContact", Params: map[string]any{"Email": "s@example.com"}})
	if err == nil || !strings.Contains(err.Error(), `unknown field "Email"`) {
		t.Errorf("unknown parameter: %v", err)
	}
}

func FuzzParseContacts(f *testing.F) {
	f.Add([]byte(contactsYAML))
	seeds, err := filepath.Glob("testdata/contacts/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("default: &a {security: *a}\n"))
	f.Add([]byte("accounts:\n  011111111111: {billing: {name: B, email: b@example.com, phone: \"+1 206 555 0100\"}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, err := ParseContacts(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "contacts file fuzz.yaml: ") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever is taken is what AWS takes.
		check := func(c AltContact) {
			if c.Name == "" || c.Title == "" || !PhoneHasCountryCode(c.Phone) || !apiPhone.MatchString(c.Phone) || !apiEmail.MatchString(c.Email) {
				t.Errorf("taken: %+v", c)
			}
		}
		for _, c := range cf.Default {
			check(c)
		}
		for id, set := range cf.Accounts {
			if !IsAccountID(id) {
				t.Errorf("account %q taken", id)
			}
			for _, c := range set {
				check(c)
			}
		}
	})
}
