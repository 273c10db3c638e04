package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/history"
)

func weekRecords(t *testing.T, f *fleet, w int, withChecks []string) []history.AccountRecord {
	t.Helper()
	var out []history.AccountRecord
	for rec, err := range f.week(w, withChecks) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// The fleet is deterministic: the same seed gives the same week, another
// seed another.
func TestFleetIsDeterministic(t *testing.T) {
	a := weekRecords(t, newFleet(500, 1), 3, checks)
	b := weekRecords(t, newFleet(500, 1), 3, checks)
	if !reflect.DeepEqual(a, b) {
		t.Error("two fleets of seed 1 differ")
	}
	c := weekRecords(t, newFleet(500, 2), 3, checks)
	if reflect.DeepEqual(a, c) {
		t.Error("seeds 1 and 2 give the same week")
	}
}

func TestFleetWeekShape(t *testing.T) {
	f := newFleet(2000, 1)
	orgSize := map[string]int{}
	for _, a := range f.accs {
		orgSize[a.org]++
	}
	for org, n := range orgSize {
		if n < 1 || n > 11 {
			t.Errorf("organization %s has %d accounts, want 1..11", org, n)
		}
	}
	recs := weekRecords(t, f, 10, checks)
	ids := map[string]bool{}
	start := time.Date(2025, 3, 16, 8, 0, 0, 0, time.UTC) // week 11: 2025-01-05 + 70 days
	for _, r := range recs {
		o := r.Observation
		if o.AsOf.Before(start) || !o.AsOf.Before(start.Add(time.Hour)) {
			t.Fatalf("account %s as of %v, want within the hour after %v", o.Account, o.AsOf, start)
		}
		if !o.CreatedAt.IsZero() && o.CreatedAt.After(o.AsOf) {
			t.Fatalf("account %s audited before its creation", o.Account)
		}
		if len(r.Findings) != 14 {
			t.Fatalf("account %s: %d findings, want 14 (one per built-in check)", o.Account, len(r.Findings))
		}
		for _, fd := range r.Findings {
			if ids[fd.ID] {
				t.Fatalf("finding ID %s twice", fd.ID)
			}
			ids[fd.ID] = true
		}
	}
	if len(recs) < 1900 || len(recs) > 2000 {
		t.Errorf("%d accounts audited in week 11, want 1900..2000 (3%% are created during the year)", len(recs))
	}
	// Fill weeks carry the first fillFindings checks only.
	if got := weekRecords(t, f, 0, fillChecks[:2])[0].Findings; len(got) != 2 || got[0].Check != "root-mfa-enabled" || got[1].Check != "root-recent-use" {
		t.Errorf("fill week findings = %+v", got)
	}
}

func TestWeekOf(t *testing.T) {
	if got := weekOf(time.Date(2025, 1, 12, 8, 59, 0, 0, time.UTC)); !got.Equal(time.Date(2025, 1, 12, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("weekOf = %v, want 2025-01-12T08:00Z", got)
	}
}
