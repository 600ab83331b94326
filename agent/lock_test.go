package agent

import (
	"strings"
	"testing"
	"time"

	"switchboard/events"
)

// A panic under the core lock (here: a notification that panics while
// Accept holds it) is recovered by the websocket layer; the lock must not
// stay held, or every later request hangs (the old Accept unlocked by hand).
func TestPanicUnderLockLeavesCoreUsable(t *testing.T) {
	h := newHarness(t)
	a := h.login("a1")
	h.call("5000", freqCaller1)
	rv := h.nextOffer(a)
	method := "agent.updated"
	a.conn.panicOn.Store(&method)
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Error("Accept did not panic: the test does not exercise the lock")
			}
		}()
		_, _ = h.c.Accept(t.Context(), "a1", rv.ID)
	}()
	a.conn.panicOn.Store(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.c.State()
		if _, err := h.c.SetActivity("a1", "unavailable"); err != nil {
			t.Errorf("SetActivity after the panic = %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("core still locked 5 s after a panicking handler")
	}
}

// An outbound call that rings unanswered is cancelled after RingTimeout
// (60 s by default); before, it rang for ever.
func TestOutboundRingTimeout(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.ring = 300 * time.Millisecond })
	h.login("a1")
	v, err := h.c.Dial(t.Context(), "a1", "+33123456789")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ev := h.waitEvent("call.ended", func(e events.Event) bool { return e.Call == v.ID })
	if ev.Reason != "ring_timeout" {
		t.Errorf("call.ended reason %q, want ring_timeout", ev.Reason)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ended after %v", took)
	}
	if n := len(h.dialer.attempts()); n != 1 {
		t.Errorf("%d dial attempts, want 1", n)
	}
}

// An internal call (to another agent's extension) that nobody answers is
// cancelled too.
func TestInternalRingTimeout(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.ring = 300 * time.Millisecond })
	h.login("a1")
	h.login("a2") // available, but never answers its offer
	v, err := h.c.Dial(t.Context(), "a1", "1002")
	if err != nil {
		t.Fatal(err)
	}
	ev := h.waitEvent("call.ended", func(e events.Event) bool { return e.Call == v.ID })
	if !strings.Contains(ev.Reason, "ring_timeout") {
		t.Errorf("call.ended reason %q, want ring_timeout", ev.Reason)
	}
}

// A transfer to an outside number that nobody answers is cancelled and the
// caller hears the announcement.
func TestTransferRingTimeout(t *testing.T) {
	h := newHarness(t, func(s *setup) { s.ring = 300 * time.Millisecond })
	a := h.login("a1")
	fc, cv := h.answered(a, "5000", freqCaller1)
	if _, err := h.c.Transfer(t.Context(), "a1", cv.ID, "+33123456789", "blind"); err != nil {
		t.Fatal(err)
	}
	ev := h.waitEvent("call.ended", func(e events.Event) bool { return e.Call != cv.ID && e.Kind == "outbound" })
	if ev.Reason != "ring_timeout" {
		t.Errorf("transfer leg ended %q, want ring_timeout", ev.Reason)
	}
	_ = fc
}
