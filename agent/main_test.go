package agent

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if goroutines started by the tests outlive them
// (every harness closes its Core, which waits for its own).
func TestMain(m *testing.M) {
	before := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fmt.Fprintf(os.Stderr, "goroutine leak: %d before, %d after\n%s\n", before, n, buf)
			code = 1
		}
	}
	os.Exit(code)
}

// TestRunTimersAndClose: Run fires offer timeouts on its own timer and
// returns when its context ends, with every call hung up.
func TestRunTimersAndClose(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.queues[0].TimeoutSeconds = 1 })
	h.clock.Set(time.Now())
	stopClock := make(chan struct{})
	clockDone := make(chan struct{})
	go func() { // the fake clock follows real time while Run runs
		defer close(clockDone)
		for {
			select {
			case <-stopClock:
				return
			case <-time.After(5 * time.Millisecond):
				h.clock.Add(5 * time.Millisecond)
			}
		}
	}()
	defer func() { close(stopClock); <-clockDone }()
	ctx, cancel := context.WithCancel(t.Context())
	runDone := make(chan error, 1)
	go func() { runDone <- h.c.Run(ctx) }()
	a1 := h.login("a1")
	fc, rv := h.offered(a1, "5000", freqCaller1)
	h.waitFor("timeout by Run", func() bool { return a1.reservationEnded(rv.ID, "timeout") })
	cancel()
	select {
	case err := <-runDone:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	h.waitFor("BYE at shutdown", func() bool { return fc.snap().hangups == 1 })
	if !a1.conn.isClosed() || !a1.leg.closed() {
		t.Error("session not closed at shutdown")
	}
	// After Close: new calls get 503, logins fail.
	fc2 := h.call("5000", freqCaller1)
	h.waitFor("503", func() bool { return fc2.snap().rejected == 503 })
	if _, err := h.c.Login(t.Context(), "a2", "pw-a2", &fakeConn{}); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("Login after Close = %v", err)
	}
	_ = h.c.Close() // idempotent
}
