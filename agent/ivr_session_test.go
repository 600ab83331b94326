package agent

import (
	"testing"
	"time"

	"switchboard/events"
)

// heardTone waits until the caller hears freq in the last few frames.
func (h *harness) heardTone(fc *fakeCall, freq float64, what string) {
	h.t.Helper()
	h.waitFor(what, func() bool {
		now := h.steps.now()
		pcm := fc.leg.heard(now-4, now+1)
		return len(pcm) > 0 && hasTone(pcm, freq)
	})
}

// Scenario 10: the IVR: valid entry, '#'-terminated short entry, unknown
// extension, silence, and three failures.
func TestIVR(t *testing.T) {
	t.Run("valid 4 digits", func(t *testing.T) {
		h := newHarness(t, func(s *setup) { s.agents[0].Extension = "1234" })
		a1 := h.login("a1")
		fc := h.call("6000", freqCaller1)
		h.waitFor("answer", func() bool { return fc.snap().answered })
		h.heardTone(fc, freqPromptExt, "prompt")
		fc.press("1234")
		rv := h.nextOffer(a1)
		if rv.Kind != "direct" || rv.To != "1234" {
			t.Errorf("offer %+v", rv)
		}
		h.accept(a1, rv)
		from, to := h.listen()
		hearsOnly(t, "caller", fc.leg.heard(from, to), freqAgent)
		// Digits on a call with an agent are shown to the agent.
		fc.press("5")
		h.waitNote(a1, "call.dtmf", nil)
	})
	t.Run("short entry with #", func(t *testing.T) {
		h := newHarness(t)
		a2 := h.login("a2")
		fc := h.call("6000", freqCaller1)
		h.waitFor("answer", func() bool { return fc.snap().answered })
		fc.press("1002#") // extensions are 2 to 8 digits; 4 digits submit, so 1002 then '#'
		rv := h.nextOffer(a2)
		if rv.To != "1002" {
			t.Errorf("offer %+v", rv)
		}
		h2 := newHarness(t, func(s *setup) { s.agents[0].Extension = "42" })
		a1 := h2.login("a1")
		fc2 := h2.call("6000", freqCaller1)
		h2.waitFor("answer", func() bool { return fc2.snap().answered })
		fc2.press("42#")
		if rv := h2.nextOffer(a1); rv.To != "42" {
			t.Errorf("offer %+v", rv)
		}
	})
	t.Run("unknown then valid", func(t *testing.T) {
		h := newHarness(t)
		a1 := h.login("a1")
		fc := h.call("6000", freqCaller1)
		h.waitFor("answer", func() bool { return fc.snap().answered })
		fc.press("9999")
		h.heardTone(fc, freqPromptInvalid, "invalid prompt")
		h.heardTone(fc, freqPromptExt, "prompt again")
		fc.press("1001")
		h.nextOffer(a1)
	})
	t.Run("silence re-prompts, 3 tries then goodbye", func(t *testing.T) {
		h := newHarness(t)
		a1 := h.login("a1")
		fc := h.call("6000", freqCaller1)
		h.waitFor("answer", func() bool { return fc.snap().answered })
		h.heardTone(fc, freqPromptInvalid, "re-prompt after silence")
		fc.press("77") // too short, then the timeout: try 2 fails
		h.heardTone(fc, freqPromptGoodbye, "goodbye")
		h.waitFor("BYE", func() bool { return fc.snap().hangups == 1 })
		h.noOffer(a1)
		e := h.waitEvent(events.CallEnded, nil)
		if e.Reason != "ivr_failed" {
			t.Errorf("call.ended reason %q", e.Reason)
		}
	})
	t.Run("caller hangs up in the menu", func(t *testing.T) {
		h := newHarness(t)
		fc := h.call("6000", freqCaller1)
		h.waitFor("answer", func() bool { return fc.snap().answered })
		fc.callerHangup()
		h.waitFor("ended", func() bool { return h.c.ActiveCalls() == 0 })
	})
}

// Scenario 11a: a second login takes the session over: the old socket is
// told and closed, the calls continue.
func TestSessionTakeover(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "5000", freqCaller1)
	old := a1
	n := h.connect("a1")
	if !old.conn.isClosed() {
		t.Error("old session not closed")
	}
	if len(old.notes("session.replaced")) != 1 {
		t.Error("old session not told session.replaced")
	}
	if len(n.login.Calls) != 1 || n.login.Calls[0].ID != cv.ID || n.login.Calls[0].State != "active" {
		t.Errorf("login result calls %+v", n.login.Calls)
	}
	// The old page's PeerConnection goes away: the new session stays.
	_ = old.leg.Close()
	h.c.Disconnected("a1", old.conn)
	h.waitFor("old leg gone", func() bool { return !h.agentView("a1").Connected || n.leg != nil })
	if !h.agentView("a1").Connected || n.conn.isClosed() {
		t.Fatal("new session lost")
	}
	h.bothWays(h.listen, "caller", fc.leg, freqAgent, "agent on the new leg", n.leg, freqCaller1)
}

// Scenario 11b: disconnect: calls held (music), offers re-routed; re-login
// within the grace period gets the calls back.
func TestDisconnectAndRelogin(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	a2 := h.login("a2")
	fc1, cv1 := h.answered(a1, "1001", freqCaller1)
	// a2 is made busy so the queue call goes to a1.
	h.call("1002", freqCaller2)
	h.accept(a2, h.nextOffer(a2))
	if _, err := h.c.SetActivity("a2", "break"); err != nil {
		t.Fatal(err)
	}
	fcq := h.call("5000", freqCaller2)
	h.waitFor("answered", func() bool { return fcq.snap().answered })
	h.step(2)
	h.noOffer(a1) // busy: queue calls only go to idle agents
	h.c.Disconnected("a1", a1.conn)
	_ = a1.leg.Close()
	if h.agentView("a1").Connected {
		t.Error("still connected")
	}
	from, to := h.listen()
	music(t, "caller held by the drop", fc1.leg.heard(from, to))
	if st := h.callState("a1", cv1.ID); st != "held" {
		t.Errorf("call %q, want held", st)
	}
	h.advance(20 * time.Second)
	n := h.login("a1")
	if len(n.login.Calls) != 1 || n.login.Calls[0].ID != cv1.ID || n.login.Calls[0].State != "held" {
		t.Errorf("login calls %+v", n.login.Calls)
	}
	h.clock.Add(20 * time.Second) // past the old grace: nothing happens
	h.c.Advance()
	if _, err := h.c.Resume("a1", cv1.ID); err != nil {
		t.Fatal(err)
	}
	h.bothWays(h.listen, "caller back", fc1.leg, freqAgent, "agent back", n.leg, freqCaller1)
	if s := fc1.snap(); s.hangups != 0 {
		t.Errorf("caller %+v", s)
	}
}

// Scenario 11c: an offer pending at the drop goes to another agent.
func TestDisconnectReroutesOffer(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, rv := h.offered(a1, "5000", freqCaller1)
	a2 := h.login("a2")
	h.noOffer(a2)
	h.c.Disconnected("a1", a1.conn)
	rv2 := h.nextOffer(a2)
	if rv2.Call != rv.Call || rv2.From != fc.from {
		t.Errorf("rerouted offer %+v", rv2)
	}
}

// Scenario 11d: after the grace period the active queue call goes to
// another agent and the other calls get the announcement and BYE.
func TestGraceOver(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fcd, cvd := h.answered(a1, "1001", freqCaller2)
	if _, err := h.c.Hold("a1", cvd.ID); err != nil {
		t.Fatal(err)
	}
	// The queue call is offered to a1 (allowed: a1 is not idle, so make
	// sales allow busy agents for this test).
	q := h.st.queues[0]
	q.AllowBusyAgents = true
	h.c.ApplyQueue(q)
	fcq, cvq := h.answered(a1, "5000", freqCaller1)
	h.c.Disconnected("a1", a1.conn)
	a2 := h.login("a2")
	h.noOffer(a2)
	h.advance(31 * time.Second)
	rv := h.nextOffer(a2)
	if rv.Call != cvq.ID {
		t.Errorf("a2 offer %+v, want the requeued call %s", rv, cvq.ID)
	}
	h.heardTone(fcd, freqPromptUnavail, "announcement to the held direct caller")
	h.waitFor("BYE", func() bool { return fcd.snap().hangups == 1 })
	if av := h.agentView("a1"); av.Load != 0 || len(av.Calls) != 0 {
		t.Errorf("a1 after grace %+v", av)
	}
	from, to := h.listen()
	music(t, "requeued caller", fcq.leg.heard(from, to))
	h.accept(a2, rv)
	from, to = h.listen()
	hearsOnly(t, "requeued caller with a2", fcq.leg.heard(from, to), freqAgentB)
}

// Scenario 13: call records: hold seconds count time held while another
// call was active.
func TestRecordsHoldWhileOtherActive(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	h.call("5000", freqCaller1)
	rv1 := h.nextOffer(a1)
	h.clock.Add(2 * time.Second) // waits (rings) 2 s
	cv1 := h.accept(a1, rv1)
	h.clock.Add(5 * time.Second) // talks 5 s
	fc2 := h.call("1001", freqCaller2)
	rv2 := h.nextOffer(a1)
	h.clock.Add(3 * time.Second) // call 2 rings 3 s
	cv2 := h.accept(a1, rv2)     // call 1 held from here
	h.clock.Add(7 * time.Second)
	fc2.callerHangup()
	h.waitFor("call 2 ended", func() bool { _, ok := a1.callEnded(cv2.ID); return ok })
	h.clock.Add(4 * time.Second) // call 1 still held
	if _, err := h.c.Resume("a1", cv1.ID); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(6 * time.Second)
	if _, err := h.c.Hangup("a1", cv1.ID); err != nil {
		t.Fatal(err)
	}
	e1 := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == cv1.ID })
	e2 := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == cv2.ID })
	check := func(name string, e events.Event, wait, ring, talk, hold float64) {
		t.Helper()
		if !near(*e.WaitSeconds, wait) || !near(*e.RingSeconds, ring) || !near(*e.TalkSeconds, talk) || !near(*e.HoldSeconds, hold) {
			t.Errorf("%s: wait %v ring %v talk %v hold %v, want %v %v %v %v", name,
				*e.WaitSeconds, *e.RingSeconds, *e.TalkSeconds, *e.HoldSeconds, wait, ring, talk, hold)
		}
	}
	check("call 1", e1, 2, 2, 5+3+6, 7+4)
	check("call 2", e2, 3, 3, 7, 0)
	h.waitFor("records", func() bool { return h.st.nrecords() == 2 })
	r1, _ := h.st.record(cv1.ID)
	if r1.HoldSeconds != 11 || r1.TalkSeconds != 14 || r1.Agent != "a1" || r1.Queue != "sales" || r1.Kind != "queue" {
		t.Errorf("record 1 %+v", r1)
	}
	r2, _ := h.st.record(cv2.ID)
	if r2.Kind != "direct" || r2.Outcome == "" {
		t.Errorf("record 2 %+v", r2)
	}
	for _, typ := range []string{events.CallHeld, events.CallResumed, events.CallAnswered, events.TaskCompleted} {
		h.waitEvent(typ, nil)
	}
}
