package agent

import (
	"errors"
	"testing"
	"time"

	"switchboard/events"
)

// Scenario 5: an offer that times out sets the agent unavailable and the
// call goes to the next agent.
func TestOfferTimeoutGoesToNextAgent(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	h.clock.Add(time.Second)
	a2 := h.login("a2")
	fc, rv := h.offered(a1, "5000", freqCaller1) // idle longest
	h.noOffer(a2)
	h.advance(14 * time.Second)
	h.noOffer(a2)
	h.advance(time.Second)
	if !a1.reservationEnded(rv.ID, "timeout") {
		t.Errorf("a1 notes %v, want reservation.ended timeout", a1.notes("reservation.ended"))
	}
	if av, ok := a1.lastAgentNote(); !ok || av.Activity != "unavailable" {
		t.Errorf("a1 last agent.updated %+v, want unavailable", av)
	}
	rv2 := h.nextOffer(a2)
	if rv2.From != fc.from {
		t.Errorf("a2 offer %+v", rv2)
	}
	h.waitEvent(events.ReservationTimeout, func(e events.Event) bool { return e.Agent == "a1" })
	h.waitEvent(events.AgentActivity, func(e events.Event) bool { return e.Agent == "a1" && e.Activity == "unavailable" })
	// The caller still hears music: it was answered once, never re-answered.
	from, to := h.listen()
	music(t, "caller", fc.leg.heard(from, to))
	if s := fc.snap(); s.rejected != 0 || s.hangups != 0 {
		t.Errorf("caller %+v", s)
	}
	// Accepting the expired offer fails.
	if _, err := h.c.Accept(t.Context(), "a1", rv.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Accept(expired) = %v, want ErrNotFound", err)
	}
}

// Scenario 5b: a rejected queue call goes to another agent and never back to
// the rejecter, even when the rejecter is the only one left.
func TestRejectNeverBackToRejecter(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, rv := h.offered(a1, "5000", freqCaller1)
	if err := h.c.Reject("a1", rv.ID); err != nil {
		t.Fatal(err)
	}
	if !a1.reservationEnded(rv.ID, "rejected") {
		t.Error("no reservation.ended rejected")
	}
	h.step(3)
	h.noOffer(a1)
	if q := h.queueView("sales"); q.Waiting != 1 {
		t.Errorf("queue %+v, want the call waiting", q)
	}
	a2 := h.login("a2")
	rv2 := h.nextOffer(a2)
	if rv2.From != fc.from {
		t.Errorf("a2 offer %+v", rv2)
	}
	if err := h.c.Reject("a2", rv2.ID); err != nil {
		t.Fatal(err)
	}
	h.step(3)
	h.noOffer(a1)
	h.noOffer(a2)
	// Rejecting again or someone else's offer: not found.
	if err := h.c.Reject("a2", rv2.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Reject = %v", err)
	}
}

// Scenario 5c: a direct call rejected or timed out gets 486 and never rings
// the agent again; the timed-out agent becomes unavailable.
func TestDirectRejectAndTimeout(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc := h.call("1001", freqCaller1)
	rv := h.nextOffer(a1)
	if err := h.c.Reject("a1", rv.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("486", func() bool { return fc.snap().rejected == 486 })
	h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == rv.Call && e.Reason == "fallback_rejected" })

	fc2 := h.call("1001", freqCaller2)
	rv2 := h.nextOffer(a1)
	h.advance(61 * time.Second)
	h.waitFor("486 on timeout", func() bool { return fc2.snap().rejected == 486 })
	if !a1.reservationEnded(rv2.ID, "timeout") {
		t.Error("no reservation.ended timeout")
	}
	if h.agentView("a1").Activity != "unavailable" {
		t.Error("agent not unavailable after a direct timeout")
	}
	// Unavailable: direct calls get 486 at once.
	fc3 := h.call("1001", freqCaller1)
	h.waitFor("486 unavailable", func() bool { return fc3.snap().rejected == 486 })
	h.noOffer(a1)
	if fc3.snap().ringing > 1 {
		t.Errorf("ringing %d", fc3.snap().ringing)
	}
}

// Scenario 12: the caller hangs up (CANCEL or BYE) while waiting or
// offered: the offer is withdrawn (reservation.ended canceled), the task is
// canceled and the call recorded.
func TestCallerCancelsWhileOffered(t *testing.T) {
	for _, tc := range []struct{ name, number, kind string }{
		{"queue BYE", "5000", "queue"},
		{"direct CANCEL", "1001", "direct"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			a1 := h.login("a1")
			fc := h.call(tc.number, freqCaller1)
			rv := h.nextOffer(a1)
			if rv.Kind != tc.kind {
				t.Errorf("offer kind %q", rv.Kind)
			}
			h.clock.Add(3 * time.Second)
			fc.callerHangup()
			h.waitFor("reservation.ended canceled", func() bool { return a1.reservationEnded(rv.ID, "canceled") })
			h.waitEvent(events.TaskCanceled, nil)
			e := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == rv.Call })
			if *e.RingSeconds != 3 || *e.WaitSeconds != 3 || *e.TalkSeconds != 0 {
				t.Errorf("call.ended ring %v wait %v talk %v, want 3 3 0", *e.RingSeconds, *e.WaitSeconds, *e.TalkSeconds)
			}
			if e.Call == "" || e.Agent != "" && e.Agent != "a1" {
				t.Errorf("event %+v", e)
			}
			if av := h.agentView("a1"); av.Load != 0 || len(av.Reservations) != 0 {
				t.Errorf("agent %+v, want free", av)
			}
			if _, err := h.c.Accept(t.Context(), "a1", rv.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Accept after cancel = %v", err)
			}
			if h.c.ActiveCalls() != 0 {
				t.Errorf("ActiveCalls %d", h.c.ActiveCalls())
			}
		})
	}
	t.Run("waiting, no agent", func(t *testing.T) {
		h := newHarness(t)
		fc := h.call("5000", freqCaller1)
		h.waitFor("waiting", func() bool { return h.queueView("sales").Waiting == 1 })
		fc.callerHangup()
		h.waitEvent(events.TaskCanceled, nil)
		h.waitFor("queue empty", func() bool { return h.queueView("sales").Waiting == 0 })
		h.waitFor("record", func() bool { return h.st.nrecords() == 1 })
	})
}

// Scenario 12b: a direct call answered by the agent while the caller hangs
// up at the same moment: no call stays behind.
func TestAcceptRacesCancel(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc := h.call("1001", freqCaller1)
	rv := h.nextOffer(a1)
	fc.mu.Lock()
	fc.answerGate = make(chan struct{})
	fc.mu.Unlock()
	errc := make(chan error, 1)
	go func() { _, err := h.c.Accept(t.Context(), "a1", rv.ID); errc <- err }()
	h.waitFor("accepted in the router", func() bool { return h.agentView("a1").Calls != nil && len(h.agentView("a1").Calls) == 1 })
	fc.callerHangup()
	if err := <-errc; err == nil {
		t.Error("Accept succeeded on a call the caller canceled")
	}
	h.waitFor("no calls", func() bool { return h.c.ActiveCalls() == 0 && h.agentView("a1").Load == 0 })
	h.waitFor("call.ended", func() bool { _, ok := a1.callEnded(rv.Call); return ok })
}
