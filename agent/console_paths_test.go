package agent

import (
	"errors"
	"testing"

	"switchboard/events"
	"switchboard/view"
)

// The console paths that change live state (issue 20): removing an agent or
// a queue while calls are up, and hanging a call up from the console.

// talking puts a queue call to number through to the agent and returns it
// with its call view once both sides hear each other.
func (h *harness) talking(a *agentH, number string, freq float64) (*fakeCall, view.Call) {
	h.t.Helper()
	fc, cv := h.answered(a, number, freq)
	from, to := h.listen()
	hearsOnly(h.t, "agent before", a.leg.heard(from, to), freq)
	return fc, cv
}

func TestRemoveAgentWithLiveCalls(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	a2 := h.login("a2")
	fc, cv := h.talking(a1, "7000", freqCaller1) // direct to a1's extension
	if _, err := h.c.Hold("a1", cv.ID); err != nil {
		t.Fatal(err)
	}
	fc2 := h.call("7000", freqCaller2) // a second direct call, offered to a1 only
	rv2 := h.nextOffer(a1)

	h.c.RemoveAgent("a1")

	h.waitFor("held caller hung up", func() bool { return fc.snap().ended })
	if fc.EndReason() != "agent_removed" {
		t.Errorf("held call: end reason %q, want agent_removed", fc.EndReason())
	}
	// The offered call had no other agent: refused (not yet answered).
	h.waitFor("offered caller refused", func() bool { return fc2.snap().rejected == 486 })
	a1.conn.mu.Lock()
	closed, why := a1.conn.closed, a1.conn.closeReason
	a1.conn.mu.Unlock()
	if !closed || why != "agent removed" {
		t.Errorf("a1's websocket closed %v (%q), want closed: agent removed", closed, why)
	}
	if !a1.leg.closed() {
		t.Error("a1's browser leg still open")
	}
	e := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == cv.ID })
	if e.Reason != "agent_removed" {
		t.Errorf("call.ended reason %q, want agent_removed", e.Reason)
	}
	h.waitFor("record", func() bool { _, ok := h.st.record(cv.ID); return ok })
	// The refused offer's 486 goes out before its call's end is processed,
	// so the floor is read until it has caught up.
	h.waitFor("a1 and its two calls off the floor", func() bool {
		st := h.floor()
		for _, a := range st.Agents {
			if a.ID == "a1" {
				return false
			}
		}
		for _, c := range st.Calls {
			if c.ID == cv.ID || c.ID == rv2.Call {
				return false
			}
		}
		return true
	})
	// The agent's extension is gone and the router no longer offers it:
	// the next queue call goes to a2.
	d := h.call("7000", freqCaller1)
	h.waitFor("direct call to a removed extension refused", func() bool { return d.snap().ended })
	q := h.call("5000", freqCaller2)
	h.waitFor("queue call answered", func() bool { return q.snap().answered })
	if rv := h.nextOffer(a2); rv.Kind != "queue" || rv.Queue != "sales" {
		t.Errorf("a2's offer %+v, want the sales call", rv)
	}
	h.c.RemoveAgent("a1") // unknown now: a no-op
	h.c.RemoveAgent("nobody")
}

func TestRemoveQueueWithLiveCalls(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	// One sales call talking to a1, one waiting (a1 is then at the
	// capacity the router gives a busy agent: none, AllowBusyAgents off).
	talk, cv := h.talking(a1, "5000", freqCaller1)
	wait := h.call("5000", freqCaller2)
	h.waitFor("waiting call answered", func() bool { return wait.snap().answered })
	h.waitFor("one waiting", func() bool { return h.queueView("sales").Waiting == 1 })

	h.c.RemoveQueue("sales")

	// The waiting caller hears the unavailable announcement, then BYE.
	h.heardTone(wait, freqPromptUnavail, "announcement to the waiting caller")
	h.waitFor("BYE after the announcement", func() bool { return wait.snap().hangups == 1 })
	e := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call != cv.ID })
	if e.Reason != "fallback_unknown_queue" {
		t.Errorf("waiting call's call.ended reason %q, want fallback_unknown_queue", e.Reason)
	}
	// The accepted call goes on, both ways.
	from, to := h.listen()
	hearsOnly(t, "agent after the queue went", a1.leg.heard(from, to), freqCaller1)
	hearsOnly(t, "caller after the queue went", talk.leg.heard(from, to), freqAgent)
	if s := talk.snap(); s.ended {
		t.Errorf("accepted call ended with the queue: %+v", s)
	}
	for _, q := range h.floor().Queues {
		if q.ID == "sales" {
			t.Errorf("sales still on the floor: %+v", q)
		}
	}
	// A new call to the removed queue's number gets the fallback too.
	late := h.call("5000", freqCaller2)
	h.waitFor("call to the removed queue ends", func() bool { return late.snap().ended })
	if s := late.snap(); s.rejected == 0 && s.hangups == 0 {
		t.Errorf("call to the removed queue: %+v, want refused or hung up", s)
	}
	talk.callerHangup()
	h.waitFor("agent free", func() bool { return h.agentView("a1").Load == 0 })
	h.c.RemoveQueue("sales") // unknown now: a no-op
}

func TestHangupCallFromConsole(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.talking(a1, "5000", freqCaller1)
	waiting := h.call("5001", freqCaller2) // support: a1 is busy, so it waits
	h.waitFor("waiting call answered", func() bool { return waiting.snap().answered })
	var wid string
	h.waitFor("support call on the floor", func() bool {
		for _, c := range h.floor().Calls {
			if c.ID != cv.ID {
				wid = c.ID
				return true
			}
		}
		return false
	})

	if err := h.c.HangupCall(cv.ID); err != nil {
		t.Fatalf("HangupCall(%s) = %v", cv.ID, err)
	}
	h.waitFor("caller hung up", func() bool { return fc.snap().ended })
	if fc.EndReason() != "admin_hangup" {
		t.Errorf("caller end reason %q, want admin_hangup", fc.EndReason())
	}
	h.waitFor("agent told", func() bool { r, ok := a1.callEnded(cv.ID); return ok && r == "admin_hangup" })
	h.waitFor("record", func() bool { _, ok := h.st.record(cv.ID); return ok })
	if e := h.waitEvent(events.CallEnded, func(e events.Event) bool { return e.Call == cv.ID }); e.Reason != "admin_hangup" {
		t.Errorf("call.ended reason %q, want admin_hangup", e.Reason)
	}
	if err := h.c.HangupCall(cv.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second HangupCall = %v, want ErrNotFound", err)
	}
	if err := h.c.HangupCall("no-such-call"); !errors.Is(err, ErrNotFound) {
		t.Errorf("HangupCall(unknown) = %v, want ErrNotFound", err)
	}

	// The freed agent is offered the support call; hanging up the waiting
	// call from the console withdraws the offer.
	rv := h.nextOffer(a1)
	if rv.Call != wid {
		t.Errorf("offer %+v, want call %s", rv, wid)
	}
	if err := h.c.HangupCall(wid); err != nil {
		t.Fatalf("HangupCall(%s) = %v", wid, err)
	}
	h.waitFor("waiting caller hung up", func() bool { return waiting.snap().ended })
	if waiting.EndReason() != "admin_hangup" {
		t.Errorf("waiting caller end reason %q, want admin_hangup", waiting.EndReason())
	}
	h.waitFor("offer withdrawn", func() bool {
		for _, p := range a1.notes("reservation.ended") {
			if p.(EndedView).ID == rv.ID {
				return true
			}
		}
		return false
	})
	if av := h.agentView("a1"); av.Load != 0 || len(av.Calls) != 0 || len(av.Reservations) != 0 {
		t.Errorf("a1 after the hang-ups: %+v", av)
	}
	if n := len(h.floor().Calls); n != 0 {
		t.Errorf("%d calls on the floor, want 0", n)
	}
}
