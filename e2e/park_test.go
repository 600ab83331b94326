package e2e

import (
	"testing"
	"time"

	"switchboard/view"
)

// park calls call.park and returns the slot.
func (a *agentClient) park(t *testing.T, call string) string {
	t.Helper()
	var r struct {
		Call string `json:"call"`
		Slot string `json:"slot"`
	}
	a.WS.MustCall("call.park", map[string]string{"call": call}, &r)
	if r.Call != call || r.Slot == "" {
		t.Fatalf("call.park = %+v", r)
	}
	return r.Slot
}

// PROTOCOL §11, against the binary: park frees the parker's capacity (a
// queue call reaches the capacity-1 agent while its call is parked), the
// parked caller hears music, and another agent's pickup gives audio both
// ways.
func TestParkFreesCapacityAndPickup(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	oneQueue(t, g, nil,
		agentSpec{ID: "a1", Ext: "1001", Capacity: 1, Queues: []string{"sales"}},
		agentSpec{ID: "a2", Ext: "1002", Queues: []string{}})
	a1 := g.login(t, "a1", toneAgent)
	c1 := g.dial(t, "5000", toneCaller1)
	call := a1.accept(t)
	talking(t, "before the park", c1, toneCaller1, a1)
	a2 := g.login(t, "a2", toneAgent2)

	slot := a1.park(t, call)
	if slot != "700" {
		t.Errorf("slot %s, want 700 (the first of -park-slots)", slot)
	}
	a2.expect(t, 5*time.Second, notif{"park.updated", func(p map[string]any) bool {
		l, _ := p["parked"].([]any)
		return len(l) == 1 && l[0].(map[string]any)["slot"] == slot && l[0].(map[string]any)["by"] == "a1"
	}})
	hearsMusic(t, "parked caller", c1.classify)

	c2 := g.dial(t, "5000", toneCaller2)
	a1.accept(t)
	talking(t, "queue call to the parker", c2, toneCaller2, a1)

	var v view.Call
	a2.WS.MustCall("call.pickup", map[string]string{"slot": slot}, &v)
	if v.ID != call || v.State != "active" {
		t.Errorf("call.pickup = %+v", v)
	}
	talking(t, "after the pickup", c1, toneCaller1, a2)
	neverHears(t, "second caller after the pickup", c2.ratio, toneAgent2, time.Second)
}

// parkedSalesCall starts a gateway with a 2 s -park-timeout, puts a sales
// call on a1 (salesCall) and has a1 park it once both sides hear each
// other.
func parkedSalesCall(t *testing.T) (*gateway, *agentClient, *caller, string) {
	t.Helper()
	g := startGW(t, "-park-timeout", "2s")
	a1, c, call := salesCall(t, g)
	talking(t, "before the park", c, toneCaller1, a1)
	a1.park(t, call)
	return g, a1, c, call
}

// parkReturn waits for the offer of call back to its parker after the park
// timeout, and returns its params.
func (a *agentClient) parkReturn(t *testing.T, call string) map[string]any {
	t.Helper()
	p := a.offer(t)
	if p["kind"] != "park_return" || p["call"] != call {
		t.Fatalf("offer after the park timeout = %v, want park_return of %s", p, call)
	}
	return p
}

// PROTOCOL §11: after -park-timeout the call is offered back to its parker
// as park_return, and accepting it gives audio both ways.
func TestParkTimeoutReturnsToParker(t *testing.T) {
	t.Parallel()
	_, a1, c, call := parkedSalesCall(t)
	hearsMusic(t, "parked caller", c.classify)
	p := a1.parkReturn(t, call)
	a1.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, nil)
	talking(t, "after the return", c, toneCaller1, a1)
}

// PROTOCOL §11: a park_return the parker does not take falls through to
// the parker's voicemail, like any direct call: the caller hears the
// greeting and the beep, and its message holds its tone.
func TestParkReturnFallsToVoicemail(t *testing.T) {
	t.Parallel()
	g, a1, c, call := parkedSalesCall(t)
	p := a1.parkReturn(t, call)
	a1.WS.MustCall("reservation.reject", map[string]string{"reservation": p["id"].(string)}, nil)
	leaveMessage(t, c, toneCaller2)
	a1.expect(t, 10*time.Second, notif{"voicemail.new", field("agent", "a1")})
	var box []vmMessage
	a1.WS.MustCall("voicemail.list", nil, &box)
	if len(box) != 1 {
		t.Fatalf("a1's box = %+v, want the returned call's message", box)
	}
	code, wav, _ := fetch(t, g.HTTP+"/voicemail/"+box[0].ID+".wav", a1.HTTPToken, "")
	if code != 200 {
		t.Fatalf("GET the message = %d", code)
	}
	checkWAV(t, "park_return message", wav, toneCaller2)
}
