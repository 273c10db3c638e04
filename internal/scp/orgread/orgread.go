// Package orgread reads an organization for scp.Simulate through the
// Organizations API: the organization, its tree (collect.WalkAccounts)
// and the SCPs attached at every level on the way to the targets asked
// about (collect.SCPReader). Only reads are made.
package orgread

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rootwatch/rootwatch/internal/collect"
	"github.com/rootwatch/rootwatch/internal/scp"
)

// Actions are the calls Read makes.
func Actions() []string {
	return []string{"organizations:DescribeOrganization", "organizations:DescribePolicy", "organizations:ListAccountsForParent",
		"organizations:ListOrganizationalUnitsForParent", "organizations:ListPoliciesForTarget", "organizations:ListRoots"}
}

// Read reads the organization of the caller (the management account or a
// delegated administrator): every account with its parents, and the SCPs
// attached to every level above and below the targets, each target
// included. A part of the tree that cannot be listed is recorded in
// Org.Unread; an SCP that cannot be read is an error naming its target,
// since a simulation without it would be wrong.
func Read(ctx context.Context, api collect.OrgAPI, targets []string) (*scp.Org, error) {
	o, err := collect.DescribeOrganization(ctx, api)
	if err != nil {
		return nil, err
	}
	accounts, skipped, err := collect.WalkAccounts(ctx, api, nil)
	if err != nil {
		return nil, err
	}
	org := &scp.Org{ID: o.ID, ManagementAccount: o.ManagementAccount, Names: map[string]string{}, Attached: map[string][]scp.Policy{}}
	for _, s := range skipped {
		// The walk words it for an audit; nothing is audited here.
		msg := strings.Replace(s.Message, " were not listed, nor audited", " were not listed", 1)
		msg = strings.Replace(msg, " were not listed, nor their accounts audited", " were not listed, nor their accounts", 1)
		org.Unread = append(org.Unread, msg)
	}
	for _, a := range accounts {
		names := strings.Split(a.OUPath, "/")
		if len(names) != len(a.OUIDs) {
			names = nil // a name holding "/": the IDs stand for the names
		}
		for i, id := range a.OUIDs {
			if names != nil {
				org.Names[id] = strings.Join(names[:i+1], "/")
			}
		}
		if len(a.OUIDs) > 0 {
			org.Root = a.OUIDs[0]
		}
		org.Accounts = append(org.Accounts, scp.OrgAccount{ID: a.ID, Name: a.Name, Status: a.Status, Parents: a.OUIDs, Path: a.OUPath})
	}
	// The levels whose SCPs the simulation of each target reads: every
	// level from the root to each account under the target, and the
	// target itself (an OU with no account under it).
	need := map[string]bool{}
	for _, t := range targets {
		need[t] = true
		for _, a := range org.Accounts {
			if a.ID != t && !slices.Contains(a.Parents, t) {
				continue
			}
			for _, p := range a.Parents {
				need[p] = true
			}
			need[a.ID] = true
		}
	}
	levels := make([]string, 0, len(need))
	for t := range need {
		levels = append(levels, t)
	}
	slices.Sort(levels)
	reader := &collect.SCPReader{API: api}
	for _, t := range levels {
		if scp.TargetKind(t) == "" {
			continue // Simulate names it
		}
		ps, err := reader.Policies(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !known(org, t) && collect.Classify(err) == collect.ClassNotFound {
				continue // an unknown target: Simulate says it is not found
			}
			return nil, fmt.Errorf("read the SCPs of %s: %w", t, err)
		}
		org.Attached[t] = ps
	}
	return org, nil
}

// known reports whether an ID is the root, an OU above an account or an
// account of the organization as walked.
func known(org *scp.Org, id string) bool {
	for _, a := range org.Accounts {
		if a.ID == id || slices.Contains(a.Parents, id) {
			return true
		}
	}
	return false
}
