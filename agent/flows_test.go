package agent

import (
	"testing"
	"time"

	"switchboard/events"
	"switchboard/view"
)

// Scenario 1: a queue call is answered at once with music, offered to the
// idle agent, bridged on accept, recorded on caller hang-up; the queue's
// wrap-up then applies.
func TestQueueCallToIdleAgent(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc := h.call("5001", freqCaller1) // support: 30 s wrap-up
	h.waitFor("answer", func() bool { return fc.snap().answered })
	if s := fc.snap(); s.ringing != 0 || s.rejected != 0 {
		t.Errorf("queue call: %+v, want answered at once without 180", s)
	}
	rv := h.nextOffer(a1)
	if rv.Kind != "queue" || rv.Queue != "support" || rv.From != fc.from || rv.ExpiresAt == "" {
		t.Errorf("reservation = %+v", rv)
	}
	from, to := h.listen()
	music(t, "caller while offered", fc.leg.heard(from, to))
	nothingOrSilence(t, "agent while offered", a1.leg.heard(from, to))
	if q := h.queueView("support"); q.Offered != 1 {
		t.Errorf("queue view = %+v, want 1 offered", q)
	}

	h.clock.Add(4 * time.Second)
	cv := h.accept(a1, rv)
	if cv.State != "active" || cv.Kind != "queue" || cv.Direction != "inbound" {
		t.Errorf("accepted call = %+v", cv)
	}
	if !a1.reservationEnded(rv.ID, "accepted") {
		t.Error("no reservation.ended {accepted}")
	}
	from, to = h.listen()
	hearsOnly(t, "agent", a1.leg.heard(from, to), freqCaller1)
	hearsOnly(t, "caller", fc.leg.heard(from, to), freqAgent)
	if av := h.agentView("a1"); av.Load != 1 || len(av.Calls) != 1 || av.Calls[0].State != "active" {
		t.Errorf("agent view = %+v", av)
	}

	h.clock.Add(10 * time.Second)
	fc.callerHangup()
	h.waitFor("call.ended", func() bool { _, ok := a1.callEnded(cv.ID); return ok })
	h.waitFor("agent free", func() bool { return h.agentView("a1").Load == 0 })
	av := h.agentView("a1")
	if !av.Wrapup || av.WrapupUntil == "" {
		t.Errorf("after a support call: %+v, want wrap-up", av.Agent)
	}
	e := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == cv.ID })
	if *e.WaitSeconds != 4 || *e.TalkSeconds != 10 || *e.HoldSeconds != 0 || *e.RingSeconds != 4 {
		t.Errorf("call.ended seconds wait %v ring %v talk %v hold %v, want 4 4 10 0", *e.WaitSeconds, *e.RingSeconds, *e.TalkSeconds, *e.HoldSeconds)
	}
	h.waitFor("record", func() bool { _, ok := h.st.record(cv.ID); return ok })
	rec, _ := h.st.record(cv.ID)
	if rec.Agent != "a1" || rec.Queue != "support" || rec.TalkSeconds != 10 || rec.Direction != "inbound" {
		t.Errorf("record = %+v", rec)
	}

	// Wrap-up: no queue call until wrapup.done (or the timer).
	fc2 := h.call("5001", freqCaller2)
	h.waitFor("answer 2", func() bool { return fc2.snap().answered })
	h.step(3)
	h.noOffer(a1)
	// A direct call still rings during wrap-up.
	d := h.call("1001", freqCaller1)
	rvd := h.nextOffer(a1)
	if rvd.Kind != "direct" {
		t.Errorf("direct during wrap-up: %+v", rvd)
	}
	if err := h.c.Reject("a1", rvd.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("486", func() bool { return d.snap().rejected == 486 })
	if _, err := h.c.WrapupDone("a1"); err != nil {
		t.Fatal(err)
	}
	rv2 := h.nextOffer(a1)
	if rv2.From != fc2.from {
		t.Errorf("after wrap-up got %+v, want the waiting call", rv2)
	}
}

// Scenario 1b: wrap-up ends on the timer (Advance with the clock).
func TestWrapupTimer(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "5001", freqCaller1)
	fc.callerHangup()
	h.waitFor("ended", func() bool { _, ok := a1.callEnded(cv.ID); return ok })
	fc2 := h.call("5001", freqCaller2)
	h.waitFor("answer", func() bool { return fc2.snap().answered })
	h.advance(29 * time.Second)
	h.noOffer(a1)
	h.advance(2 * time.Second)
	rv := h.nextOffer(a1)
	if rv.From != fc2.from {
		t.Errorf("offer %+v", rv)
	}
	if av, _ := a1.lastAgentNote(); av.Wrapup {
		t.Errorf("agent.updated after wrap-up: %+v", av)
	}
}

// Scenario 2: a direct call while on the first: 180 until accept, then the
// first call is held (music, not the agent), the second talks; resume swaps.
func TestSecondDirectCallAndSwap(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc1, cv1 := h.answered(a1, "5000", freqCaller1)
	fc2 := h.call("1001", freqCaller2)
	rv2 := h.nextOffer(a1)
	if rv2.Kind != "direct" || rv2.To != "1001" {
		t.Errorf("direct offer %+v", rv2)
	}
	h.step(5)
	if s := fc2.snap(); s.ringing != 1 || s.answered {
		t.Errorf("direct call before accept: %+v, want 180 and no answer", s)
	}
	// The offer rings under the active call; the first call is unaffected.
	from, to := h.listen()
	hears(t, "agent while offered", a1.leg.heard(from, to), freqCaller1)
	hearsOnly(t, "caller1 while offered", fc1.leg.heard(from, to), freqAgent)
	absent(t, "agent while offered", a1.leg.heard(from, to), freqCaller2)

	// oneHeld checks that the agent's call held is held (its caller hears
	// music) while the agent and the caller of talk hear each other.
	oneHeld := func(when string, held view.Call, heldCaller, talk *fakeCall, talkFreq float64) (from, to int) {
		t.Helper()
		if st := h.callState("a1", held.ID); st != "held" {
			t.Errorf("%s: call %s state %q, want held", when, held.ID, st)
		}
		from, to = h.listen()
		music(t, when+": held caller", heldCaller.leg.heard(from, to))
		hearsOnly(t, when+": talking caller", talk.leg.heard(from, to), freqAgent)
		hearsOnly(t, when+": agent", a1.leg.heard(from, to), talkFreq)
		return from, to
	}
	cv2 := h.accept(a1, rv2)
	h.waitFor("200 OK", func() bool { return fc2.snap().answered })
	from, to = oneHeld("call 2 accepted", cv1, fc1, fc2, freqCaller2)
	absent(t, "agent", a1.leg.heard(from, to), freqCaller1)

	if _, err := h.c.Resume("a1", cv1.ID); err != nil {
		t.Fatal(err)
	}
	oneHeld("after the swap", cv2, fc2, fc1, freqCaller1)
	h.waitEvent(events.CallResumed, func(e events.Event) bool { return e.Call == cv1.ID })

	// Hold the active call too: nobody hears the agent.
	if _, err := h.c.Hold("a1", cv1.ID); err != nil {
		t.Fatal(err)
	}
	from, to = h.listen()
	music(t, "caller1 held", fc1.leg.heard(from, to))
	music(t, "caller2 held", fc2.leg.heard(from, to))
	nothingOrSilence(t, "agent with both held", a1.leg.heard(from, to))
}

// Scenario 3: a queue call is not offered to a busy agent, is offered the
// moment it is free, and with two agents goes to the idle one.
func TestQueueCallWaitsForFreeAgent(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc1, cv1 := h.answered(a1, "1001", freqCaller1) // a direct call keeps a1 busy
	fc2 := h.call("5000", freqCaller2)
	h.waitFor("answer", func() bool { return fc2.snap().answered })
	h.step(3)
	h.noOffer(a1)
	if q := h.queueView("sales"); q.Waiting != 1 {
		t.Errorf("queue %+v, want 1 waiting", q)
	}
	from, to := h.listen()
	music(t, "waiting caller", fc2.leg.heard(from, to))

	if _, err := h.c.Hangup("a1", cv1.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("BYE to caller 1", func() bool { return fc1.snap().hangups == 1 })
	rv := h.nextOffer(a1)
	if rv.From != fc2.from {
		t.Errorf("offer %+v, want the waiting call", rv)
	}

	// Two agents: a1 busy with that call, a2 idle: the next goes to a2.
	h.accept(a1, rv)
	a2 := h.login("a2")
	fc3 := h.call("5000", freqCaller1)
	rv3 := h.nextOffer(a2)
	if rv3.From != fc3.from {
		t.Errorf("a2 offer %+v", rv3)
	}
	h.noOffer(a1)
}

// Scenario 3b: with two idle agents the one idle longest wins.
func TestQueueLongestIdleWins(t *testing.T) {
	h := newHarness(t)
	a2 := h.login("a2")
	h.clock.Add(time.Second)
	a1 := h.login("a1")
	h.call("5000", freqCaller1)
	h.nextOffer(a2)
	h.noOffer(a1)
}

// Scenario 4: capacity 2 full: a third direct call gets 486; an IVR call to
// the full agent gets the announcement, then BYE.
func TestCapacityFull(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	h.call("1001", freqCaller1)
	h.accept(a1, h.nextOffer(a1))
	h.call("7000", freqCaller2) // route extension:1001
	h.accept(a1, h.nextOffer(a1))
	if av := h.agentView("a1"); av.Load != 2 {
		t.Fatalf("load %d, want 2", av.Load)
	}
	fc3 := h.call("1001", freqCaller1)
	h.waitFor("486", func() bool { return fc3.snap().rejected == 486 })
	if s := fc3.snap(); s.answered {
		t.Errorf("third call answered: %+v", s)
	}
	h.noOffer(a1)

	ivr := h.call("6000", freqCaller1)
	h.waitFor("IVR answer", func() bool { return ivr.snap().answered })
	ivr.press("1001")
	var seen bool
	h.waitFor("announcement", func() bool {
		from := h.steps.now() - 5
		pcm := ivr.leg.heard(from, h.steps.now()+1)
		if len(pcm) > 0 && hasTone(pcm, freqPromptUnavail) {
			seen = true
		}
		return seen
	})
	h.waitFor("BYE after the announcement", func() bool { return ivr.snap().hangups == 1 })
	h.noOffer(a1)
	if h.c.ActiveCalls() != 2 {
		t.Errorf("ActiveCalls = %d, want 2", h.c.ActiveCalls())
	}
}
