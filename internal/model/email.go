package model

import (
	"slices"
	"strings"
)

// orgListingSources are the snapshot error sources that say part of an
// organization's accounts were not listed (collect.WalkAccounts).
var orgListingSources = [...]string{"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}

// DeriveEmails computes, over the whole snapshot, which accounts share a
// root email address: EmailSharedWith (the same address, compared without
// regard to case) and EmailInboxSharedWith (addresses that differ only by
// a +tag in the local part, which AWS counts as distinct but deliver to
// one inbox), and EmailPeersUnlisted (the snapshot says some of an
// organization's accounts were not listed, so a sharer may be missing).
// It reads only Email, Org and the snapshot's errors, and sets the three
// facts afresh, so a snapshot read from a file is never trusted for them.
// Accounts are compared across the whole snapshot: a mailbox shared with
// an account of another organization is just as shared.
func (s *Snapshot) DeriveEmails() {
	unlisted := false
	for _, e := range s.Errors {
		unlisted = unlisted || e.Account == "" && slices.Contains(orgListingSources[:], e.Source)
	}
	same := map[string][]string{}  // folded address -> account IDs
	inbox := map[string][]string{} // folded address without +tag -> account IDs
	for i := range s.Accounts {
		a := &s.Accounts[i]
		a.EmailSharedWith, a.EmailInboxSharedWith, a.EmailPeersUnlisted = nil, nil, false
		addr := strings.ToLower(strings.TrimSpace(a.Email))
		if addr == "" {
			continue
		}
		// A live --org audit lists the organization's accounts: when part
		// of the listing failed, every account of the audit may have an
		// unseen sharer.
		a.EmailPeersUnlisted = unlisted
		same[addr] = appendOnce(same[addr], a.ID)
		inbox[inboxOf(addr)] = appendOnce(inbox[inboxOf(addr)], a.ID)
	}
	for i := range s.Accounts {
		a := &s.Accounts[i]
		addr := strings.ToLower(strings.TrimSpace(a.Email))
		if addr == "" {
			continue
		}
		a.EmailSharedWith = others(same[addr], a.ID)
		for _, id := range others(inbox[inboxOf(addr)], a.ID) {
			if !slices.Contains(a.EmailSharedWith, id) {
				a.EmailInboxSharedWith = append(a.EmailInboxSharedWith, id)
			}
		}
	}
}

// inboxOf is a folded address without the +tag of its local part
// ("team+prod@example.com" -> "team@example.com"): sub-addressing as
// Gmail, Outlook, Fastmail and most mail servers deliver it.
func inboxOf(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	if base, _, tagged := strings.Cut(local, "+"); tagged && base != "" {
		local = base
	}
	return local + "@" + domain
}

func appendOnce(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}

// others returns ids without id, sorted; nil when none is left.
func others(ids []string, id string) []string {
	var out []string
	for _, o := range ids {
		if o != id {
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}
