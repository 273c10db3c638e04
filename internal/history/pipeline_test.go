package history

import (
	"context"
	"errors"
	"testing"
)

// produceInts emits 0..n-1, then fails with err if not nil.
func produceInts(n int, err error) func(context.Context, func(int) error) error {
	return func(ctx context.Context, emit func(int) error) error {
		for i := range n {
			if e := ctx.Err(); e != nil {
				return e
			}
			if e := emit(i); e != nil {
				return e
			}
		}
		return err
	}
}

func TestPipelineDeliversInOrder(t *testing.T) {
	// 1,300 items: two full batches of 512 and one of 276.
	var got []int
	if err := pipeline(context.Background(), produceInts(1300, nil), func(v int) error { got = append(got, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1300 {
		t.Fatalf("%d items, want 1300", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d = %d", i, v)
		}
	}
}

func TestPipelineStopsAtTheCallbacksError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	var produced error
	produce := func(ctx context.Context, emit func(int) error) error {
		produced = produceInts(1_000_000, nil)(ctx, emit)
		return produced
	}
	err := pipeline(context.Background(), produce, func(v int) error {
		n++
		if v == 700 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 701 {
		t.Errorf("pipeline = %v after %d items, want %v after 701", err, n, stop)
	}
	// The producer was cancelled rather than run to its end.
	if !errors.Is(produced, context.Canceled) {
		t.Errorf("producer ended with %v, want context.Canceled", produced)
	}
}

func TestPipelineReturnsTheProducersError(t *testing.T) {
	broken := errors.New("disk I/O error")
	var got []int
	err := pipeline(context.Background(), produceInts(600, broken), func(v int) error { got = append(got, v); return nil })
	if !errors.Is(err, broken) {
		t.Errorf("pipeline = %v, want %v", err, broken)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("item %d = %d: not a prefix in order", i, v)
		}
	}
}

func TestPipelineCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := pipeline(ctx, produceInts(1_000_000, nil), func(int) error {
		if n++; n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("pipeline = %v, want context.Canceled", err)
	}
}
