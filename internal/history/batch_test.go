package history

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// TestStoreRunIdentityIsStable pins the identity of a run to the hash the
// first stores were written with (sha256 of "account\x00as_of_us\n" in
// account order, hand-computed with Python's hashlib), so a run written
// again with the same reports is found whatever version wrote it first.
func TestStoreRunIdentityIsStable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		recs := sampleRecords(week1)
		run, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: Records(recs[1], recs[0])})
		if err != nil {
			t.Fatal(err)
		}
		ss := s.(*sqlStore)
		var ident string
		if err := ss.db.QueryRow(ss.q(`SELECT identity FROM runs WHERE id = ?`), run.ID).Scan(&ident); err != nil {
			t.Fatal(err)
		}
		if want := "v1:d8a47d31b3d8f02438cb53215407c5ede52a55db3d607b4ada8eae1a8f42fbf8"; ident != want {
			t.Errorf("identity = %s, want %s", ident, want)
		}
	})
}

// manyRecords yields n accounts 0..n-1 (IDs 100000000000+i) as of asOf,
// each with two findings and two root events, the second of which repeats
// the first's ID (kept once).
func manyRecords(n int, asOf time.Time) iter.Seq2[AccountRecord, error] {
	return func(yield func(AccountRecord, error) bool) {
		for i := range n {
			acct := fmt.Sprintf("%012d", 100000000000+i)
			ev := model.RootEvent{ID: "ev-" + acct, Time: asOf.Add(-time.Hour), Kind: "console-login", Name: "ConsoleLogin", Success: true, MFA: "yes", Source: "t"}
			rec := AccountRecord{
				Observation: Observation{Account: acct, Org: fmt.Sprintf("o-%d", i/6), AsOf: asOf, MFA: true, Assets: ptr(i)},
				Findings: []Finding{
					{ID: acct + "-a", Check: "a", Status: "pass", Severity: "high", Account: acct, Message: "ok"},
					{ID: acct + "-b", Check: "b", Status: "fail", Severity: "low", Account: acct, Message: "no"},
				},
				Events: []model.RootEvent{ev, ev},
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

func count(t *testing.T, s Store) (obs, findings, events int) {
	t.Helper()
	ctx := context.Background()
	if err := s.Observations(ctx, ObservationFilter{}, func(Observation) error { obs++; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.EachFinding(ctx, FindingFilter{}, func(Finding) error { findings++; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Events(ctx, EventFilter{}, func(Event) error { events++; return nil }); err != nil {
		t.Fatal(err)
	}
	return
}

// TestStoreWritesRunsLargerThanABatch writes 2,345 accounts: two full
// batches of observations (1,000 rows) and a partial one, findings and
// events in 4,690-row streams.
func TestStoreWritesRunsLargerThanABatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := openT(t, url)
		run, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: manyRecords(2345, week1)})
		if err != nil {
			t.Fatal(err)
		}
		if run.Accounts != 2345 || run.Findings != 4690 || run.Events != 4690 || run.AsOf != week1 || run.FirstAsOf != week1 {
			t.Errorf("run = %+v", run)
		}
		if o, f, e := count(t, s); o != 2345 || f != 4690 || e != 2345 {
			t.Errorf("kept %d observations, %d findings, %d events; want 2345, 4690, 2345", o, f, e)
		}
		var last Observation
		if err := s.Observations(ctx, ObservationFilter{Account: "100000002344"}, func(o Observation) error { last = o; return nil }); err != nil {
			t.Fatal(err)
		}
		if last.Org != "o-390" || last.Assets == nil || *last.Assets != 2344 || !last.MFA || last.RunID != run.ID {
			t.Errorf("the last account's observation = %+v", last)
		}
		// The same reports again: the same run, nothing added.
		again, err := s.WriteRun(ctx, RunInput{WrittenAt: audit.Add(time.Hour), Accounts: manyRecords(2345, week1)})
		if err != nil || !again.Existing || again.ID != run.ID {
			t.Errorf("second write = %+v, %v; want run %d, existing", again, err, run.ID)
		}
		if o, f, e := count(t, s); o != 2345 || f != 4690 || e != 2345 {
			t.Errorf("after the second write: %d observations, %d findings, %d events; want 2345, 4690, 2345", o, f, e)
		}
	})
}

// TestStoreKeepsNothingOfAFailedLargeRun fails runs after several batches
// were sent: nothing of them is kept.
func TestStoreKeepsNothingOfAFailedLargeRun(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		broken := errors.New("report of account 100000002100 unreadable")
		failing := func(yield func(AccountRecord, error) bool) {
			for rec := range manyRecords(2100, week1) {
				if !yield(rec, nil) {
					return
				}
			}
			yield(AccountRecord{}, broken)
		}
		if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: failing}); !errors.Is(err, broken) {
			t.Errorf("failed write: %v, want %v", err, broken)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cancelling := func(yield func(AccountRecord, error) bool) {
			i := 0
			for rec := range manyRecords(3000, week1) {
				if i == 2500 {
					cancel()
				}
				if !yield(rec, nil) {
					return
				}
				i++
			}
		}
		if _, err := s.WriteRun(ctx, RunInput{WrittenAt: audit, Accounts: cancelling}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled write: %v, want context.Canceled", err)
		}
		// Account 100000000000 again at position 1,500, in another batch.
		twice := func(yield func(AccountRecord, error) bool) {
			i := 0
			for rec := range manyRecords(2000, week1) {
				if i == 1500 {
					rec.Observation.Account = "100000000000"
				}
				if !yield(rec, nil) {
					return
				}
				i++
			}
		}
		if _, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: twice}); err == nil {
			t.Error("an account twice in one run (in two batches) was written")
		}
		if runs, err := s.Runs(context.Background()); err != nil || len(runs) != 0 {
			t.Errorf("runs = %+v, %v; want none", runs, err)
		}
		if o, f, e := count(t, s); o != 0 || f != 0 || e != 0 {
			t.Errorf("kept %d observations, %d findings, %d events of failed runs", o, f, e)
		}
	})
}

// TestStoreRefusesAFindingTwice: a finding ID twice in one run is an
// error (conflicting rows are ignored by the insert, then counted), and
// nothing of the run is kept.
func TestStoreRefusesAFindingTwice(t *testing.T) {
	forEachBackend(t, func(t *testing.T, url string) {
		s := openT(t, url)
		recs := sampleRecords(week1)
		recs[1].Findings = append(recs[1].Findings, recs[0].Findings[0])
		_, err := s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: Records(recs...)})
		if err == nil || !strings.Contains(err.Error(), "a finding ID twice in one run") || !strings.Contains(err.Error(), "3 of 4 rows written") {
			t.Errorf("a finding twice: %v", err)
		}
		if o, f, e := count(t, s); o != 0 || f != 0 || e != 0 {
			t.Errorf("kept %d observations, %d findings, %d events", o, f, e)
		}
		// An account twice names the accounts of the batch.
		_, err = s.WriteRun(context.Background(), RunInput{WrittenAt: audit, Accounts: Records(recs[0], recs[1], recs[0])})
		if err == nil || !strings.Contains(err.Error(), "accounts of accounts 111111111111..111111111111: 2 of 3 rows written: an account twice in one run") {
			t.Errorf("an account twice: %v", err)
		}
	})
}
