// Package waittest waits in tests for a condition to hold, polling it,
// never for a fixed time: the tests of several packages and of e2e share
// it, so that each does not keep its own copy of the loop.
package waittest

import (
	"testing"
	"time"
)

// Interval is how often For polls its condition.
const Interval = 10 * time.Millisecond

// For polls cond every Interval until it holds. It fails t when timeout
// passes first, or when t's context ends (the test timed out or is
// finishing), naming what it waited for.
func For(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("test ended waiting for %s", what)
		case <-tick.C:
		}
	}
}
