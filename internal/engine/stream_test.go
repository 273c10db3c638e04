package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// EvaluateEach hands every account's findings over in the accounts' order,
// the same findings Evaluate returns, and stops at the first error.
func TestEvaluateEachInOrder(t *testing.T) {
	rs, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(rs, Options{Params: config.DefaultParams(), Now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	accounts := make([]model.Account, 300)
	for i := range accounts {
		accounts[i] = model.Account{ID: fmt.Sprintf("%012d", 100000000000+i), Partition: "aws"}
	}
	all := e.Evaluate(accounts)
	next, n := 0, 0
	err = e.EvaluateEach(context.Background(), accounts, func(i int, fs []model.Finding) error {
		if i != next {
			t.Fatalf("account %d handed over, want %d", i, next)
		}
		next++
		for _, f := range fs {
			if f.Account != accounts[i].ID || f.ID != all[n].ID || f.Status != all[n].Status {
				t.Fatalf("account %d: finding %+v, want %+v", i, f, all[n])
			}
			n++
		}
		return nil
	})
	if err != nil || next != len(accounts) || n != len(all) {
		t.Fatalf("err %v, %d accounts, %d findings; want %d and %d", err, next, n, len(accounts), len(all))
	}
	stop := errors.New("disk full")
	calls := 0
	err = e.EvaluateEach(context.Background(), accounts, func(int, []model.Finding) error {
		calls++
		if calls == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 5 {
		t.Errorf("err %v after %d calls, want %v after 5", err, calls, stop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.EvaluateEach(ctx, accounts, func(int, []model.Finding) error { return nil }); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
