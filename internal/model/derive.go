package model

import (
	"fmt"
	"strings"
	"time"
)

// Derive computes the facts that rules judge from the raw credentials:
// whether root has MFA and holds any credential at all, and its most
// recent use. It reads only what was collected, so calling it again after
// more (or less) was read never leaves a stale fact. Where IAM's live
// account summary says something, it wins over the credential report,
// which may be hours old; a flag the summary did not hold decides nothing.
func (r *Root) Derive() {
	// A key or certificate exists when it is active or has a rotation
	// date: an inactive key is still a credential (it can be reactivated,
	// and it may have been used recently).
	reportKey, reportCert := false, false
	for _, k := range r.AccessKeys {
		reportKey = reportKey || k.Active || k.LastRotated.IsSet()
	}
	for _, c := range r.Certificates {
		reportCert = reportCert || c.Active || c.LastRotated.IsSet()
	}
	// An older report's "not_supported" says nothing about the password, so
	// it never proves absence.
	password := r.PasswordEnabled != "false"
	keys, certs := reportKey, reportCert
	r.MFA = r.MFAActive
	r.KeySinceReport = false
	if s := r.Summary; s != nil {
		if s.MFAEnabled != nil {
			r.MFA = *s.MFAEnabled
		}
		if s.AccessKeysPresent != nil {
			keys = *s.AccessKeysPresent
			r.KeySinceReport = keys && !reportKey
		}
		if s.SigningCertificatesPresent != nil {
			certs = *s.SigningCertificatesPresent
		}
		if s.PasswordPresent != nil {
			password = *s.PasswordPresent
		}
	}
	r.CredentialsAbsent = !password && !keys && !certs && !r.MFA

	// Recent use is the latest of the password and both keys: reading only
	// the first filled field misses key use.
	stamps := []Stamp{r.PasswordLastUsed}
	names := []string{"password"}
	for _, k := range r.AccessKeys {
		stamps = append(stamps, k.LastUsed)
		names = append(names, fmt.Sprintf("access key %d", k.Slot))
	}
	latest, idx := Latest(stamps...)
	r.LastUsed, r.LastUsedBy = latest, ""
	if idx >= 0 {
		r.LastUsedBy = names[idx]
	}
}

// LatestTime returns the latest time the root row holds and the column it
// is in: no report can be generated before it.
func (r *Root) LatestTime() (time.Time, string) {
	best, col := r.CreatedAt, "user_creation_time"
	consider := func(s Stamp, c string) {
		if s.IsSet() && s.Time.After(best) {
			best, col = s.Time, c
		}
	}
	consider(r.PasswordLastUsed, "password_last_used")
	consider(r.PasswordLastChanged, "password_last_changed")
	for _, k := range r.AccessKeys {
		consider(k.LastRotated, fmt.Sprintf("access_key_%d_last_rotated", k.Slot))
		consider(k.LastUsed, fmt.Sprintf("access_key_%d_last_used_date", k.Slot))
	}
	for _, c := range r.Certificates {
		consider(c.LastRotated, fmt.Sprintf("cert_%d_last_rotated", c.Slot))
	}
	return best, col
}

// ResolveElsewhereAlarms completes the root-usage chain of accounts whose
// organization trail logs to another account of the snapshot. It counts
// only through the organization trail that records the member (one the
// member sees): that trail's owner, who read its status, must find it
// logging and must hold a whole chain through that very trail and its own
// log group (the same region and account, not a same-named group of
// another trail or region). Then root use in the member raises the
// owner's alarm too.
func (s *Snapshot) ResolveElsewhereAlarms() {
	byID := make(map[string]*Account, len(s.Accounts))
	for i := range s.Accounts {
		byID[s.Accounts[i].ID] = &s.Accounts[i]
	}
	for i := range s.Accounts {
		a := &s.Accounts[i]
		c := a.RootUsageAlarm
		if c == nil || c.Complete || c.ElsewhereAccount == "" || a.Trails == nil {
			continue
		}
		owner := byID[c.ElsewhereAccount]
		if owner == nil || owner.RootUsageAlarm == nil || !owner.RootUsageAlarm.Complete || owner.Trails == nil {
			continue
		}
		oc := owner.RootUsageAlarm
		ot := chainTrail(owner, oc)
		if ot == nil || !ot.Organization || !ot.MultiRegion || !ot.Logging || ot.OwnerAccount != "" || arnAccount(ot.ARN) != owner.ID ||
			logGroupAccount(ot.LogGroupARN) != owner.ID || logGroupName(ot.LogGroupARN) != oc.LogGroup ||
			oc.LogGroupARN != "" && oc.LogGroupARN != trimLogGroupARN(ot.LogGroupARN) {
			continue
		}
		recorded := false
		for _, mt := range *a.Trails {
			recorded = recorded || mt.ARN == ot.ARN && mt.Organization && mt.MultiRegion &&
				trimLogGroupARN(mt.LogGroupARN) == trimLogGroupARN(ot.LogGroupARN)
		}
		if !recorded {
			continue
		}
		resolved := *oc
		resolved.ElsewhereAccount = owner.ID
		a.RootUsageAlarm = &resolved
	}
}

// chainTrail is the trail of an account's chain: by ARN, or, in snapshots
// written before chains named it, by name among its multi-region trails
// (a multi-region trail's name is unique in its account).
func chainTrail(a *Account, c *RootUsageAlarm) *Trail {
	for i, t := range *a.Trails {
		if c.TrailARN != "" && t.ARN == c.TrailARN || c.TrailARN == "" && t.Name == c.Trail && t.MultiRegion {
			return &(*a.Trails)[i]
		}
	}
	return nil
}

// trimLogGroupARN is a log group ARN without the ":*" CloudTrail writes
// after it.
func trimLogGroupARN(arn string) string { return strings.TrimSuffix(arn, ":*") }

// arnAccount is the account field of an ARN, "" when there is none.
func arnAccount(arn string) string {
	if p := strings.SplitN(arn, ":", 6); len(p) == 6 && p[0] == "arn" {
		return p[4]
	}
	return ""
}

// logGroupAccount and logGroupName read arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME.
func logGroupAccount(arn string) string {
	if p := strings.SplitN(trimLogGroupARN(arn), ":", 7); len(p) == 7 && p[2] == "logs" && p[5] == "log-group" {
		return p[4]
	}
	return ""
}

func logGroupName(arn string) string {
	if p := strings.SplitN(trimLogGroupARN(arn), ":", 7); len(p) == 7 && p[2] == "logs" && p[5] == "log-group" {
		return p[6]
	}
	return ""
}

// PartitionOf returns the partition of an ARN ("aws", "aws-cn",
// "aws-us-gov"), or "" when s is not an ARN.
func PartitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

// ValidAccountID reports whether s is a 12-digit AWS account ID.
func ValidAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RootARN is the ARN of an account's root user.
func RootARN(partition, account string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":root"
}
