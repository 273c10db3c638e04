package model

import (
	"slices"
	"testing"
)

func TestDeriveEmails(t *testing.T) {
	s := Snapshot{Accounts: []Account{
		{ID: "111111111111", Email: "aws-prod@example.com"},
		{ID: "222222222222", Email: "AWS-Prod@Example.com "}, // the same address, case and a space aside
		{ID: "333333333333", Email: "team+dev@example.com"},
		{ID: "444444444444", Email: "team+prod@example.com"},
		{ID: "555555555555", Email: "team@example.com"},
		{ID: "666666666666", Email: "solo@example.com", EmailSharedWith: []string{"999999999999"}, EmailPeersUnlisted: true}, // stale derived facts from a file
		{ID: "777777777777"},
		{ID: "888888888888", Email: "+tag@example.com"},
	}}
	s.DeriveEmails()
	want := map[string][2][]string{
		"111111111111": {{"222222222222"}, nil},
		"222222222222": {{"111111111111"}, nil},
		"333333333333": {nil, {"444444444444", "555555555555"}},
		"444444444444": {nil, {"333333333333", "555555555555"}},
		"555555555555": {nil, {"333333333333", "444444444444"}},
		"666666666666": {nil, nil},
		"777777777777": {nil, nil},
		"888888888888": {nil, nil}, // "+tag" is the whole local part, no base to share
	}
	for _, a := range s.Accounts {
		w := want[a.ID]
		if !slices.Equal(a.EmailSharedWith, w[0]) || !slices.Equal(a.EmailInboxSharedWith, w[1]) || a.EmailPeersUnlisted {
			t.Errorf("%s: shared %v, inbox %v, unlisted %v; want %v, %v, false", a.ID, a.EmailSharedWith, a.EmailInboxSharedWith, a.EmailPeersUnlisted, w[0], w[1])
		}
	}

	// Part of the organization was not listed: every account with an
	// address may have an unseen sharer; one without an address has none
	// to judge.
	s.Errors = []SourceError{{Source: "organizations:ListAccountsForParent", Message: "the accounts of Root/Sandbox (ou-ab12-cdefgh34) were not listed"}}
	s.DeriveEmails()
	for _, a := range s.Accounts {
		if a.EmailPeersUnlisted != (a.Email != "") {
			t.Errorf("%s: unlisted %v after a listing error", a.ID, a.EmailPeersUnlisted)
		}
	}
	// An account's own error is not a listing of the organization.
	s.Errors = []SourceError{{Account: "111111111111", Source: "organizations:ListAccountsForParent", Message: "x"}}
	s.DeriveEmails()
	if s.Accounts[0].EmailPeersUnlisted {
		t.Error("an account's own error taken for an unlisted organization")
	}
}
