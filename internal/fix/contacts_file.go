package fix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ContactTypes are the alternate contacts' types as the account API names
// them, in the order the contacts kind plans them.
func ContactTypes() []string { return []string{"BILLING", "OPERATIONS", "SECURITY"} }

// AltContact is one alternate contact as account:PutAlternateContact takes
// it.
type AltContact struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// ContactsFile is a contacts file (--contacts): the contacts every account
// gets, and per account the contacts that replace them.
type ContactsFile struct {
	// Path names the file in messages.
	Path string
	// Default are the contacts by type (BILLING, OPERATIONS, SECURITY).
	Default map[string]AltContact
	// Accounts are each account's own contacts by type, replacing the
	// default's of that type.
	Accounts map[string]map[string]AltContact
}

// For are the contacts an account gets, by type: its own, else the
// default's.
func (f *ContactsFile) For(account string) map[string]AltContact {
	out := map[string]AltContact{}
	for t, c := range f.Default {
		out[t] = c
	}
	for t, c := range f.Accounts[account] {
		out[t] = c
	}
	return out
}

// maxContactsFile bounds a contacts file read into memory.
const maxContactsFile = 1 << 20

// Limits of account:PutAlternateContact's fields.
const (
	maxContactName  = 64
	maxContactTitle = 50
	maxContactEmail = 254
	maxContactPhone = 25
)

var (
	// countryCodePhone is how contact-phone-country-code judges a number
	// once spaces, dashes, dots and parentheses are taken out: "+", a
	// country calling code (1 to 3 digits, the first not 0) and at least 4
	// more digits.
	countryCodePhone = regexp.MustCompile(`^\+[1-9][0-9]{0,2}[0-9]{4,}$`)
	// apiPhone is the characters account:PutAlternateContact accepts in a
	// phone number.
	apiPhone = regexp.MustCompile(`^[\s0-9()+-]+$`)
	// apiEmail is an email address as account:PutAlternateContact accepts
	// one (its pattern, without the blanks around it).
	apiEmail = regexp.MustCompile(`^[\w+=.#|!&-]+@[\w.-]+\.[\w]+$`)
)

// validEmail says whether s is one bare email address, as AWS's contact
// and budget APIs take it (and fix takes it everywhere: --notify too).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && apiEmail.MatchString(s)
}

// PhoneHasCountryCode judges a phone number as the
// contact-phone-country-code check does.
func PhoneHasCountryCode(phone string) bool {
	s := strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "").Replace(phone)
	return countryCodePhone.MatchString(s)
}

// ReadContactsFile reads a contacts file, named name in errors:
//
//	default:                  # every account's contacts
//	  security:   {name: Security team, title: Security, email: security@example.com, phone: "+1 206 555 0100"}
//	  billing:    {name: Accounts payable, email: ap@example.com, phone: "+1 206 555 0101"}
//	  operations: {name: Cloud operations, email: ops@example.com, phone: "+1 206 555 0102"}
//	accounts:                 # an account's own contacts replace the default's of their type
//	  "111111111111":
//	    security: {name: Payments security, email: pay-sec@example.com, phone: "+44 20 7946 0000"}
//
// It refuses, naming the file and line, what is not such a file: unknown
// or repeated keys, a contact without a name, email or phone, an email
// address that is not one bare address, a phone number without "+" and a
// country calling code (as contact-phone-country-code judges it) or with
// characters AWS does not take, fields longer than AWS takes, keys under
// accounts that are not 12-digit account IDs. A contact's title is
// optional: its type ("Security") when not given.
func ReadContactsFile(r io.Reader, name string) (*ContactsFile, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxContactsFile+1))
	if err != nil {
		return nil, fmt.Errorf("read contacts file %s: %w", name, err)
	}
	if len(data) > maxContactsFile {
		return nil, fmt.Errorf("contacts file %s: larger than %d KiB: not a contacts file", name, maxContactsFile>>10)
	}
	return ParseContacts(data, name)
}

// ParseContacts parses a contacts file's bytes (see ReadContactsFile).
func ParseContacts(data []byte, name string) (*ContactsFile, error) {
	p := contactsParser{name: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("contacts file %s: empty: want a default block or accounts", name)
		}
		return nil, fmt.Errorf("contacts file %s: not YAML: %w", name, err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		return nil, p.errf(&more, "a second YAML document: a contacts file is one")
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("contacts file %s: not YAML: %w", name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	f := &ContactsFile{Path: name, Default: map[string]AltContact{}, Accounts: map[string]map[string]AltContact{}}
	err := p.mapping(root, "the file", []string{"default", "accounts"}, func(key string, k, v *yaml.Node) error {
		switch key {
		case "default":
			set, err := p.contactSet(v, "default")
			f.Default = set
			return err
		default:
			return p.mapping(v, "accounts", nil, func(id string, k, v *yaml.Node) error {
				if !IsAccountID(id) {
					return p.errf(k, "accounts: %q is not a 12-digit account ID", id)
				}
				set, err := p.contactSet(v, "account "+id)
				f.Accounts[id] = set
				return err
			})
		}
	})
	if err != nil {
		return nil, err
	}
	if len(f.Default) == 0 && len(f.Accounts) == 0 {
		return nil, fmt.Errorf("contacts file %s: no contacts: want a default block or accounts", name)
	}
	return f, nil
}

type contactsParser struct{ name string }

func (p contactsParser) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("contacts file %s: line %d: %s", p.name, n.Line, fmt.Sprintf(format, args...))
}

// mapping walks a mapping's keys in order: keys outside allowed (any when
// nil) and repeated keys are errors.
func (p contactsParser) mapping(n *yaml.Node, what string, allowed []string, each func(key string, k, v *yaml.Node) error) error {
	if n.Kind == yaml.AliasNode {
		return p.errf(n, "%s: aliases are not taken in a contacts file", what)
	}
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s: want a mapping (key: value), got %s", what, kindWord(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return p.errf(k, "%s: a key must be a plain value", what)
		}
		if k.Tag == "!!merge" {
			return p.errf(k, "%s: merge keys (<<) are not taken in a contacts file", what)
		}
		if allowed != nil && !slices.Contains(allowed, k.Value) {
			return p.errf(k, "%s: unknown key %q (want %s)", what, k.Value, strings.Join(allowed, ", "))
		}
		if seen[k.Value] {
			return p.errf(k, "%s: key %q given twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := each(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func kindWord(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// contactSet reads billing/operations/security contacts.
func (p contactsParser) contactSet(n *yaml.Node, what string) (map[string]AltContact, error) {
	set := map[string]AltContact{}
	err := p.mapping(n, what, []string{"billing", "operations", "security"}, func(key string, _, v *yaml.Node) error {
		c, err := p.contact(v, what+" "+key, key)
		set[strings.ToUpper(key)] = c
		return err
	})
	return set, err
}

// contact reads one contact and judges its fields.
func (p contactsParser) contact(n *yaml.Node, what, ctype string) (AltContact, error) {
	var c AltContact
	lines := map[string]*yaml.Node{}
	err := p.mapping(n, what, []string{"name", "title", "email", "phone"}, func(key string, _, v *yaml.Node) error {
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			return p.errf(v, "%s: %s: want a text value, got %s", what, key, kindWord(v))
		}
		val := strings.TrimSpace(v.Value)
		lines[key] = v
		switch key {
		case "name":
			c.Name = val
		case "title":
			c.Title = val
		case "email":
			c.Email = val
		case "phone":
			c.Phone = val
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	for _, f := range []struct {
		key, val string
		max      int
	}{{"name", c.Name, maxContactName}, {"email", c.Email, maxContactEmail}, {"phone", c.Phone, maxContactPhone}, {"title", c.Title, maxContactTitle}} {
		at := lines[f.key]
		if at == nil {
			at = n
		}
		switch {
		case f.val == "" && f.key != "title":
			return c, p.errf(at, "%s: no %s (a contact needs a name, an email address and a phone number)", what, f.key)
		case utf8.RuneCountInString(f.val) > f.max:
			return c, p.errf(at, "%s: %s is longer than the %d characters AWS takes", what, f.key, f.max)
		case strings.ContainsFunc(f.val, unicode.IsControl):
			return c, p.errf(at, "%s: %s holds a control character", what, f.key)
		}
	}
	if !validEmail(c.Email) {
		return c, p.errf(lines["email"], "%s: email %q is not an email address (want one bare address such as security@example.com)", what, c.Email)
	}
	if !PhoneHasCountryCode(c.Phone) {
		return c, p.errf(lines["phone"], "%s: phone %q has no country code: want + and a country calling code, then the number (+1 206 555 0100)", what, c.Phone)
	}
	if !apiPhone.MatchString(c.Phone) {
		return c, p.errf(lines["phone"], "%s: phone %q: AWS takes only digits, spaces, +, -, ( and ) in a phone number", what, c.Phone)
	}
	if c.Title == "" {
		c.Title = strings.ToUpper(ctype[:1]) + ctype[1:]
	}
	return c, nil
}
