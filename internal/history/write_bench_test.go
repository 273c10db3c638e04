package history

import (
	"context"
	"fmt"
	"iter"
	"testing"
	"time"
)

// benchRecords yields n accounts as of asOf, each with findings findings,
// the shape of a real audit (built-in checks × accounts).
func benchRecords(n, findings int, asOf time.Time) iter.Seq2[AccountRecord, error] {
	return func(yield func(AccountRecord, error) bool) {
		for i := range n {
			acct := fmt.Sprintf("%012d", 100000000000+i)
			rec := AccountRecord{Observation: Observation{Account: acct, Name: "acct-" + acct, Org: fmt.Sprintf("o-%06d", i/6), OUPath: "Root/Workloads",
				AsOf: asOf, CreatedAt: asOf.Add(-400 * 24 * time.Hour), MFA: i%3 != 0, Assets: ptr(i % 400)}}
			for c := range findings {
				rec.Findings = append(rec.Findings, Finding{ID: fmt.Sprintf("%s-%02d-%s", acct, c, "0123456789abcdef"), Check: fmt.Sprintf("check-%02d", c),
					Status: "pass", Severity: "high", Account: acct, Org: rec.Observation.Org, Resource: "arn:aws:iam::" + acct + ":root", Message: "root has MFA"})
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// BenchmarkWriteRun writes a run of 10,000 accounts with 14 findings each
// (one per built-in check) to a fresh store of each backend per iteration.
func BenchmarkWriteRun(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				url := be.url(b)
				s, err := Open(context.Background(), url)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: benchRecords(10000, 14, week1)}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}
