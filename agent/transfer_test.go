package agent

import (
	"errors"
	"testing"

	"switchboard/events"
	"switchboard/view"
)

// Scenario 8a: blind transfer to another agent's extension.
func TestBlindTransferToExtension(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	a2 := h.login("a2")
	fc, cv := h.answered(a1, "1001", freqCaller1)
	v, err := h.c.Transfer(t.Context(), "a1", cv.ID, "1002", "blind")
	if err != nil || v.State != "ended" {
		t.Fatalf("Transfer = %+v, %v", v, err)
	}
	if r, ok := a1.callEnded(cv.ID); !ok || r != "transferred" {
		t.Errorf("a1 call.ended %q %v", r, ok)
	}
	if av := h.agentView("a1"); av.Load != 0 || len(av.Calls) != 0 {
		t.Errorf("a1 %+v, want no calls", av)
	}
	rv := h.nextOffer(a2)
	if rv.Kind != "transfer" || rv.Call != cv.ID {
		t.Errorf("a2 offer %+v", rv)
	}
	from, to := h.listen()
	absent(t, "caller while transferred", fc.leg.heard(from, to), freqAgent, freqAgentB)
	h.accept(a2, rv)
	from, to = h.listen()
	hearsOnly(t, "caller", fc.leg.heard(from, to), freqAgentB)
	hearsOnly(t, "a2", a2.leg.heard(from, to), freqCaller1)
	nothingOrSilence(t, "a1", a1.leg.heard(from, to))
	h.waitEvent(events.CallTransferred, func(e events.Event) bool { return e.Call == cv.ID && e.Agent == "a1" })

	// Errors: to yourself, bad mode, bad target.
	cv2 := h.call("1001", freqCaller2)
	_ = cv2
	c2 := h.accept(a1, h.nextOffer(a1))
	if _, err := h.c.Transfer(t.Context(), "a1", c2.ID, "1001", "blind"); !errors.Is(err, ErrBadTarget) {
		t.Errorf("transfer to self = %v", err)
	}
	if _, err := h.c.Transfer(t.Context(), "a1", c2.ID, "1002", "sideways"); !errors.Is(err, ErrBadTarget) {
		t.Errorf("bad mode = %v", err)
	}
	if _, err := h.c.Transfer(t.Context(), "a1", c2.ID, "queue:nope", "blind"); !errors.Is(err, ErrBadTarget) {
		t.Errorf("bad queue = %v", err)
	}
}

// Scenario 8b: blind transfer to a queue reaches only an idle agent, never
// the transferrer.
func TestBlindTransferToQueue(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	a2 := h.login("a2")
	h.call("1002", freqCaller2) // keeps a2 busy
	cvb := h.accept(a2, h.nextOffer(a2))
	fc, cv := h.answered(a1, "1001", freqCaller1)
	if _, err := h.c.Transfer(t.Context(), "a1", cv.ID, "queue:sales", "blind"); err != nil {
		t.Fatal(err)
	}
	h.step(3)
	h.noOffer(a1) // idle, but the transferrer
	h.noOffer(a2) // busy
	from, to := h.listen()
	music(t, "caller in queue", fc.leg.heard(from, to))
	if _, err := h.c.Hangup("a2", cvb.ID); err != nil {
		t.Fatal(err)
	}
	rv := h.nextOffer(a2)
	if rv.Call != cv.ID || rv.Kind != "transfer" || rv.Queue != "sales" {
		t.Errorf("a2 offer %+v", rv)
	}
	h.accept(a2, rv)
	h.bothWays(h.listen, "caller", fc.leg, freqAgentB, "a2", a2.leg, freqCaller1)
	h.noOffer(a1)
}

// warmSetup: a1 talks to a caller and consults a2.
func warmSetup(t *testing.T, h *harness) (a1, a2 *agentH, fc *fakeCall, cv, k view.Call) {
	t.Helper()
	a1 = h.login("a1")
	a2 = h.login("a2")
	fc = h.call("1001", freqCaller1)
	cv = h.accept(a1, h.nextOffer(a1))
	k, err := h.c.Transfer(t.Context(), "a1", cv.ID, "1002", "warm")
	if err != nil {
		t.Fatal(err)
	}
	if k.Direction != "outbound" || k.State != "ringing" {
		t.Errorf("consult call %+v", k)
	}
	if st := h.callState("a1", cv.ID); st != "held" {
		t.Errorf("caller %q during consult, want held", st)
	}
	rv := h.nextOffer(a2)
	if rv.From != "1001" {
		t.Errorf("consult offer %+v, want from a1's extension", rv)
	}
	h.accept(a2, rv)
	h.waitFor("consult answered", func() bool { return h.callState("a1", k.ID) == "active" })
	from, to := h.listenAsync()
	music(t, "caller during consult", fc.leg.heard(from, to))
	hears(t, "a1 consulting", a1.leg.heard(from, to), freqAgentB)
	hears(t, "a2 consulted", a2.leg.heard(from, to), freqAgent)
	absent(t, "a2 consulted", a2.leg.heard(from, to), freqCaller1)
	return a1, a2, fc, cv, k
}

// Scenario 8c: warm transfer completed: caller and a2 talk, a1 has no calls.
func TestWarmTransferComplete(t *testing.T) {
	h := newHarness(t)
	a1, a2, fc, cv, _ := warmSetup(t, h)
	if _, err := h.c.Transfer(t.Context(), "a1", cv.ID, "", "complete"); err != nil {
		t.Fatal(err)
	}
	if av := h.agentView("a1"); len(av.Calls) != 0 || av.Load != 0 {
		t.Errorf("a1 after complete %+v", av)
	}
	from, to := h.listenAsync()
	hears(t, "caller", fc.leg.heard(from, to), freqAgentB)
	absent(t, "caller", fc.leg.heard(from, to), freqAgent)
	hears(t, "a2", a2.leg.heard(from, to), freqCaller1)
	absent(t, "a2", a2.leg.heard(from, to), freqAgent)
	nothingOrSilence(t, "a1", a1.leg.heard(from, to))
	// The caller hangs up: a2's call ends too.
	fc.callerHangup()
	h.waitFor("a2 call ended", func() bool { return len(h.agentView("a2").Calls) == 0 })
	h.waitFor("all ended", func() bool { return h.c.ActiveCalls() == 0 })
}

// Scenario 8d: warm transfer canceled: the caller is back with a1.
func TestWarmTransferCancel(t *testing.T) {
	h := newHarness(t)
	a1, a2, fc, cv, k := warmSetup(t, h)
	v, err := h.c.Transfer(t.Context(), "a1", k.ID, "", "cancel")
	if err != nil || v.ID != cv.ID || v.State != "active" {
		t.Fatalf("cancel = %+v, %v", v, err)
	}
	h.waitFor("a2 call ended", func() bool { return len(h.agentView("a2").Calls) == 0 })
	h.bothWays(h.listen, "caller", fc.leg, freqAgent, "a1", a1.leg, freqCaller1)
	if _, err := h.c.Transfer(t.Context(), "a1", cv.ID, "", "complete"); !errors.Is(err, ErrState) {
		t.Errorf("complete without consult = %v", err)
	}
	_ = a2
}

// Scenario 9a: dial another agent's extension (an internal call).
func TestDialExtension(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	a2 := h.login("a2")
	v, err := h.c.Dial(t.Context(), "a1", "1002")
	if err != nil || v.State != "ringing" || v.Direction != "outbound" {
		t.Fatalf("Dial = %+v, %v", v, err)
	}
	rv := h.nextOffer(a2)
	if rv.Kind != "direct" || rv.From != "1001" {
		t.Errorf("offer %+v", rv)
	}
	if av := h.agentView("a1"); av.Load != 1 {
		t.Errorf("a1 load %d while dialling", av.Load)
	}
	h.accept(a2, rv)
	h.waitFor("answered", func() bool { return h.callState("a1", v.ID) == "active" })
	h.bothWays(h.listenAsync, "a1", a1.leg, freqAgentB, "a2", a2.leg, freqAgent)
	// a2 hangs up: a1's call ends.
	cv2 := h.agentView("a2").Calls[0]
	if _, err := h.c.Hangup("a2", cv2.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a1 call ended", func() bool { _, ok := a1.callEnded(v.ID); return ok })
	h.waitFor("loads 0", func() bool { return h.agentView("a1").Load == 0 && h.agentView("a2").Load == 0 })
	if _, err := h.c.Dial(t.Context(), "a1", "1001"); !errors.Is(err, ErrBadTarget) {
		t.Errorf("dial self = %v", err)
	}
	if _, err := h.c.Dial(t.Context(), "a1", "sip:x"); !errors.Is(err, ErrBadTarget) {
		t.Errorf("dial junk = %v", err)
	}
}

// Scenario 9a': dial a queue: the agent is answered and hears music until
// another agent takes it.
func TestDialQueue(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	v, err := h.c.Dial(t.Context(), "a1", "queue:sales")
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("answered by the queue", func() bool { return h.callState("a1", v.ID) == "active" })
	h.noOffer(a1)
	a2 := h.login("a2")
	rv := h.nextOffer(a2)
	if rv.Kind != "queue" || rv.From != "1001" {
		t.Errorf("offer %+v", rv)
	}
	h.accept(a2, rv)
	h.bothWays(h.listenAsync, "a1", a1.leg, freqAgentB, "a2", a2.leg, freqAgent)
}

// Scenario 9b: dial an outside number: the active inbound call is held
// first, early media (183) reaches the agent, then the answer.
func TestDialOutside(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "5000", freqCaller1)
	v, err := h.c.Dial(t.Context(), "a1", "+4930123456")
	if err != nil {
		t.Fatal(err)
	}
	if st := h.callState("a1", cv.ID); st != "held" {
		t.Errorf("inbound call %q, want held before dialling", st)
	}
	var at *dialAttempt
	h.waitFor("dial", func() bool {
		if as := h.dialer.attempts(); len(as) == 1 {
			at = as[0]
		}
		return at != nil
	})
	if at.to != "+4930123456" || at.from != "1001" {
		t.Errorf("dial to %q from %q", at.to, at.from)
	}
	at.progress(183, at.call.leg)
	from, to := h.listen()
	hearsOnly(t, "agent, early media", a1.leg.heard(from, to), freqFar)
	nothingOrSilence(t, "far end before answer", at.call.leg.heard(from, to))
	music(t, "held caller", fc.leg.heard(from, to))
	at.answer <- nil
	h.waitFor("active", func() bool { return h.callState("a1", v.ID) == "active" })
	from, to = h.listen()
	hearsOnly(t, "far end", at.call.leg.heard(from, to), freqAgent)
	hearsOnly(t, "agent", a1.leg.heard(from, to), freqFar)
	music(t, "held caller", fc.leg.heard(from, to))
	if err := h.c.DTMF("a1", v.ID, "12#"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("dtmf", func() bool { return at.call.leg.sentDTMF() == "12#" })
	at.call.callerHangup()
	h.waitFor("ended", func() bool { _, ok := a1.callEnded(v.ID); return ok })
	if av := h.agentView("a1"); av.Load != 1 {
		t.Errorf("load %d, want 1", av.Load)
	}
}

// Scenario 9c: the agent hangs up while dialling out: the dial is canceled.
func TestDialCanceled(t *testing.T) {
	h := newHarness(t)
	h.login("a1")
	v, err := h.c.Dial(t.Context(), "a1", "+4930123456")
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("dial", func() bool { return len(h.dialer.attempts()) == 1 })
	if _, err := h.c.Hangup("a1", v.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("load 0", func() bool { return h.agentView("a1").Load == 0 && h.c.ActiveCalls() == 0 })
}
