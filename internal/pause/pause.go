// Package pause waits, the way every wait in rootwatch should: until the
// time is up or the context is done, whichever comes first.
package pause

import (
	"context"
	"time"
)

// Sleep waits d, or less if ctx is done first (then it returns ctx's error).
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
