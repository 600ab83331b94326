package agent

import (
	"errors"
	"slices"
	"testing"

	"switchboard/events"
	"switchboard/media/mediatest"
	"switchboard/view"
)

// twoCalls logs a1 in and gives it call 1 (700 Hz, then held) and call 2
// (1100 Hz, active).
func twoCalls(t *testing.T, h *harness) (a1 *agentH, fc1, fc2 *fakeCall, cv1, cv2 view.Call) {
	t.Helper()
	a1 = h.login("a1")
	fc1 = h.call("5000", freqCaller1)
	cv1 = h.accept(a1, h.nextOffer(a1))
	fc2 = h.call("1001", freqCaller2)
	cv2 = h.accept(a1, h.nextOffer(a1))
	h.waitFor("call 2 answered", func() bool { return fc2.snap().answered })
	return
}

// Scenario 6a: mute: the caller hears silence, the agent still hears the
// caller; unmute restores it.
func TestMute(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "5000", freqCaller1)
	v, err := h.c.Mute("a1", cv.ID, true)
	if err != nil || !v.Muted {
		t.Fatalf("Mute = %+v, %v", v, err)
	}
	from, to := h.listen()
	silent(t, "muted caller", fc.leg.heard(from, to))
	hearsOnly(t, "agent", a1.leg.heard(from, to), freqCaller1)
	h.waitEvent(events.CallMuted, func(e events.Event) bool { return e.Call == cv.ID })
	if n := h.waitNote(a1, "call.updated", func(p any) bool { return p.(view.Call).Muted }); n == nil {
		t.Error("no call.updated muted")
	}
	if _, err := h.c.Mute("a1", cv.ID, false); err != nil {
		t.Fatal(err)
	}
	h.bothWays(h.listen, "unmuted caller", fc.leg, freqAgent, "agent", a1.leg, freqCaller1)
}

// Scenario 6b: merge: all three hear each other, nobody hears themselves.
func TestMerge(t *testing.T) {
	h := newHarness(t)
	a1, fc1, fc2, cv1, cv2 := twoCalls(t, h)
	vs, err := h.c.Merge("a1", []string{cv1.ID, cv2.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.State != "active" || len(v.MergedWith) != 1 {
			t.Errorf("merged view %+v", v)
		}
	}
	from, to := h.listen()
	mediatest.MixMinus(t, hears, absent,
		mediatest.Party{Who: "caller1", PCM: fc1.leg.heard(from, to), Freq: freqCaller1},
		mediatest.Party{Who: "caller2", PCM: fc2.leg.heard(from, to), Freq: freqCaller2},
		mediatest.Party{Who: "agent", PCM: a1.leg.heard(from, to), Freq: freqAgent})
	h.waitEvent(events.CallMerged, func(e events.Event) bool { return slices.Contains(e.Calls, cv1.ID) })

	// One of them hangs up: the other is a plain active call again.
	fc2.callerHangup()
	h.waitFor("call 2 gone", func() bool { return h.callState("a1", cv2.ID) == "" })
	if st := h.callState("a1", cv1.ID); st != "active" {
		t.Errorf("call 1 %q, want active", st)
	}
	h.bothWays(h.listen, "caller1 after unmerge", fc1.leg, freqAgent, "agent after unmerge", a1.leg, freqCaller1)

	// Bad merges.
	if _, err := h.c.Merge("a1", []string{cv1.ID}); !errors.Is(err, ErrBadTarget) {
		t.Errorf("merge of one = %v", err)
	}
	if _, err := h.c.Merge("a1", []string{cv1.ID, "nope"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("merge with unknown = %v", err)
	}
}

// Scenario 7: the held caller hangs up: only that leg ends, the active
// call's audio is untouched.
func TestHeldCallerHangsUp(t *testing.T) {
	h := newHarness(t)
	a1, fc1, fc2, cv1, cv2 := twoCalls(t, h)
	fc1.callerHangup()
	h.waitFor("call.ended for call 1", func() bool { _, ok := a1.callEnded(cv1.ID); return ok })
	if s := fc2.snap(); s.ended || s.hangups != 0 {
		t.Errorf("active call touched: %+v", s)
	}
	if st := h.callState("a1", cv2.ID); st != "active" {
		t.Errorf("call 2 %q", st)
	}
	h.bothWays(h.listen, "caller2", fc2.leg, freqAgent, "agent", a1.leg, freqCaller2)
	if av := h.agentView("a1"); av.Load != 1 {
		t.Errorf("load %d, want 1", av.Load)
	}
	// And the agent hanging up the held call (the swap back first).
	fc3, cv3 := h.answered(a1, "1001", freqCaller1)
	_ = fc3
	if _, err := h.c.Hangup("a1", cv2.ID); err != nil { // held now
		t.Fatal(err)
	}
	h.waitFor("BYE", func() bool { return fc2.snap().hangups == 1 })
	h.bothWays(h.listen, "caller3", fc3.leg, freqAgent, "agent", a1.leg, freqCaller1)
	if st := h.callState("a1", cv3.ID); st != "active" {
		t.Errorf("call 3 %q", st)
	}
}
