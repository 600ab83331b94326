package waittest

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB that records Fatalf instead of ending the test,
// so that For's failure can be checked; Fatalf ends only the goroutine For
// runs on, as testing's does.
type recorder struct {
	testing.TB
	msg atomic.Value
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg.Store(format)
	panic(r)
}

func run(tb testing.TB, what string, timeout time.Duration, cond func() bool) (failed string) {
	r := &recorder{TB: tb}
	defer func() {
		if p := recover(); p != nil {
			if p != r {
				panic(p)
			}
			failed, _ = r.msg.Load().(string)
		}
	}()
	For(r, what, timeout, cond)
	return ""
}

// TestForReturnsWhenTheConditionHolds: For returns once cond turns true,
// polling it more than once.
func TestForReturnsWhenTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	if msg := run(t, "three polls", time.Minute, func() bool { return n.Add(1) >= 3 }); msg != "" {
		t.Fatalf("For failed: %s", msg)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("cond polled %d times, want 3", got)
	}
}

// TestForFailsAtTheTimeout: a condition that never holds fails t after
// the timeout, not before it.
func TestForFailsAtTheTimeout(t *testing.T) {
	start := time.Now()
	msg := run(t, "never", 50*time.Millisecond, func() bool { return false })
	if !strings.HasPrefix(msg, "timed out") {
		t.Fatalf("For = %q, want a time-out failure", msg)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("For failed after %v, before its 50ms timeout", d)
	}
}
