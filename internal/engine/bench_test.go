package engine_test

import (
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/demo"
	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/rules"
)

// BenchmarkEvaluate judges 1,200 accounts (the demo fleet 100 times) with
// every built-in rule; ns/op ÷ 1,200 is the cost of one account.
func BenchmarkEvaluate(b *testing.B) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	snap, err := demo.Snapshot(now)
	if err != nil {
		b.Fatal(err)
	}
	var accts []model.Account
	for range 100 {
		accts = append(accts, snap.Accounts...)
	}
	rs, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	e, err := engine.New(rs, engine.Options{Params: config.DefaultParams(), Now: now})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := e.Evaluate(accts); len(got) != len(accts)*len(rs) {
			b.Fatalf("%d findings", len(got))
		}
	}
}
