package agent

import (
	"errors"
	"slices"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/view"
)

func TestParseParkSlots(t *testing.T) {
	s, err := ParseParkSlots(DefaultParkSlots)
	if err != nil || len(s) != 20 || s[0] != "700" || s[19] != "719" {
		t.Fatalf("default = %v, %v", s, err)
	}
	s, err = ParseParkSlots("08-10, 77")
	if err != nil || !slices.Equal(s, []string{"08", "09", "10", "77"}) {
		t.Errorf("mixed = %v, %v", s, err)
	}
	for _, bad := range []string{"", "x", "710-700", "700-7000", "1-2,2", "0-5000"} {
		if _, err := ParseParkSlots(bad); err == nil {
			t.Errorf("ParseParkSlots(%q) accepted", bad)
		}
	}
}

// parkSetup gives a1 a capacity of 1, so only a park frees it.
func parkSetup(s *setup) {
	s.agents[0].Capacity = 1
}

func parkedOf(n any) []view.Parked {
	m, _ := n.(map[string]any)
	p, _ := m["parked"].([]view.Parked)
	return p
}

// Park frees the parker's capacity (a queue call is offered to it while its
// call is parked), the caller hears music, another agent picks it up and
// both hear each other.
func TestParkFreesCapacityAndPickup(t *testing.T) {
	h := newHarness(t, parkSetup)
	a1 := h.login("a1")
	a2 := h.login("a2")
	if _, err := h.c.SetActivity("a2", "unavailable"); err != nil {
		t.Fatal(err)
	}
	fc, cv := h.answered(a1, "5000", freqCaller1)
	if _, err := h.c.Park("a1", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Park(unknown) = %v", err)
	}
	h.clock.Add(2 * time.Second)
	res, err := h.c.Park("a1", cv.ID)
	if err != nil || res.Slot != "700" || res.Call != cv.ID {
		t.Fatalf("Park = %+v, %v", res, err)
	}
	if r, ok := a1.callEnded(cv.ID); !ok || r != "parked" {
		t.Errorf("a1 call.ended = %q %v, want parked", r, ok)
	}
	h.waitNote(a2, "park.updated", func(n any) bool {
		p := parkedOf(n)
		return len(p) == 1 && p[0].Slot == "700" && p[0].Call == cv.ID && p[0].By == "a1" && p[0].Since != ""
	})
	if st, err := h.c.AgentState("a2"); err != nil || len(st.Parked) != 1 || st.Parked[0].Slot != "700" {
		t.Errorf("a2 state parked = %+v, %v", st.Parked, err)
	}
	if f := h.floor(); len(f.Parked) != 1 {
		t.Errorf("floor parked = %+v", f.Parked)
	}
	if av := h.agentView("a1"); av.Load != 0 || len(av.Calls) != 0 {
		t.Errorf("a1 after park = %+v, want load 0", av)
	}
	h.waitEvent(EventCallParked, func(e events.Event) bool { return e.Call == cv.ID && e.Agent == "a1" && e.Detail["slot"] == "700" })
	from, to := h.listen()
	music(t, "parked caller", fc.leg.heard(from, to))

	// Capacity 1, yet a queue call reaches the parker.
	fc2 := h.call("5000", freqCaller2)
	rv2 := h.nextOffer(a1)
	if rv2.From != fc2.from {
		t.Fatalf("offer %+v, want the second call", rv2)
	}
	h.accept(a1, rv2)

	// a2 picks the parked call up.
	h.clock.Add(3 * time.Second)
	if _, err := h.c.Pickup("a2", "701"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pickup(empty slot) = %v", err)
	}
	pv, err := h.c.Pickup("a2", "700")
	if err != nil || pv.ID != cv.ID || pv.State != "active" || pv.Agent != "a2" {
		t.Fatalf("Pickup = %+v, %v", pv, err)
	}
	h.waitNote(a1, "park.updated", func(n any) bool { return len(parkedOf(n)) == 0 })
	h.waitEvent(EventCallUnparked, func(e events.Event) bool { return e.Call == cv.ID && e.Agent == "a2" && e.Reason == "picked_up" })
	h.bothWays(h.listen, "a2 after pickup", a2.leg, freqCaller1, "caller after pickup", fc.leg, freqAgentB)
	h.clock.Add(time.Second)
	fc.callerHangup()
	h.waitFor("record", func() bool { _, ok := h.st.record(cv.ID); return ok })
	if rec, _ := h.st.record(cv.ID); rec.ParkSeconds != 3 {
		t.Errorf("record park_seconds = %v, want 3", rec.ParkSeconds)
	}
}

// After -park-timeout the call is offered back to its parker as
// park_return; dialling a slot picks a parked call up.
func TestParkTimeoutReturnsToParker(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "7000", freqCaller1) // extension:1001
	if _, err := h.c.Park("a1", cv.ID); err != nil {
		t.Fatal(err)
	}
	h.advance(119 * time.Second)
	h.noOffer(a1)
	h.advance(time.Second)
	rv := h.nextOffer(a1)
	if rv.Kind != "park_return" || rv.Call != cv.ID {
		t.Fatalf("offer after the timeout = %+v, want park_return of %s", rv, cv.ID)
	}
	h.waitEvent(EventCallUnparked, func(e events.Event) bool { return e.Call == cv.ID && e.Reason == "timeout" })
	back := h.accept(a1, rv)
	if back.ID != cv.ID || back.State != "active" {
		t.Errorf("accepted %+v", back)
	}
	from, to := h.listen()
	hearsOnly(t, "a1 after return", a1.leg.heard(from, to), freqCaller1)
	hearsOnly(t, "caller after return", fc.leg.heard(from, to), freqAgent)

	// Park again, and a2 dials the slot.
	a2 := h.login("a2")
	if _, err := h.c.Park("a1", cv.ID); err != nil {
		t.Fatal(err)
	}
	dv, err := h.c.Dial(t.Context(), "a2", "700")
	if err != nil || dv.ID != cv.ID || dv.Agent != "a2" {
		t.Fatalf("Dial(700) = %+v, %v", dv, err)
	}
	from, to = h.listen()
	hearsOnly(t, "a2 after dialling the slot", a2.leg.heard(from, to), freqCaller1)
}

// A parked caller who hangs up frees the slot.
func TestParkedCallerHangsUp(t *testing.T) {
	h := newHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "7000", freqCaller1)
	if _, err := h.c.Park("a1", cv.ID); err != nil {
		t.Fatal(err)
	}
	fc.callerHangup()
	h.waitFor("slot freed", func() bool { return len(h.floor().Parked) == 0 })
	h.waitEvent(EventCallUnparked, func(e events.Event) bool { return e.Call == cv.ID && e.Reason == "ended" })
	if _, err := h.c.Pickup("a1", "700"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Pickup after hang-up = %v", err)
	}
}
