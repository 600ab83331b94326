package e2e

import (
	"testing"
	"time"
)

// Scenario 5: an offer that times out makes the agent unavailable and the
// call reaches the next agent.
func TestOfferTimeoutMovesOn(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	oneQueue(t, g, map[string]any{"timeout_seconds": 2},
		agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}},
		agentSpec{ID: "a2", Ext: "1002", Queues: []string{"sales"}})
	a1 := g.login(t, "a1", toneAgent)
	a2 := g.login(t, "a2", toneAgent2)
	c := g.dial(t, "5000", toneCaller1)

	// a1 has been idle longest: it is offered first, and does not answer.
	res, call := a1.reservation(t)
	a1.expect(t, 6*time.Second,
		notif{"reservation.ended", func(p map[string]any) bool { return p["id"] == res && p["reason"] == "timeout" }},
		notif{"agent.updated", field("activity", "unavailable")})
	res2, call2 := a2.reservation(t)
	if call2 != call {
		t.Fatalf("a2 offered call %s, want the timed-out call %s", call2, call)
	}
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": res2}, nil)
	talking(t, "after the timeout", c, toneCaller1, a2)
	for _, a := range g.state(t).Agents {
		if a.ID == "a1" && a.Activity != "unavailable" {
			t.Errorf("a1 activity %q after its offer timed out, want unavailable", a.Activity)
		}
	}
}

// Scenario 5: a rejected queue call never goes back to the rejecter; a
// rejected direct call gets 486.
func TestRejectNeverBack(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	oneQueue(t, g, nil,
		agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}, NoVoicemail: true}, // the 486 of a rejected direct call
		agentSpec{ID: "a2", Ext: "1002", Queues: []string{"sales"}})
	a1 := g.login(t, "a1", toneAgent)
	c := g.dial(t, "5000", toneCaller1)
	res, call := a1.reservation(t)
	a1.WS.MustCall("reservation.reject", map[string]string{"reservation": res}, nil)

	// Only the rejecter is logged in: the call waits, with music, and is
	// not offered to it again.
	a1.noOffer(t, 3*time.Second)
	hearsMusic(t, "caller after the reject", c.classify)

	a2 := g.login(t, "a2", toneAgent2)
	res2, call2 := a2.reservation(t)
	if call2 != call {
		t.Fatalf("a2 offered call %s, want the rejected call %s", call2, call)
	}
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": res2}, nil)
	talking(t, "after the reject", c, toneCaller1, a2)

	// The rejecter still takes direct calls; rejecting one gives the caller 486.
	p := g.dialAsync(t, "1001", 0)
	res, _ = a1.reservation(t)
	ringing(t, p)
	a1.WS.MustCall("reservation.reject", map[string]string{"reservation": res}, nil)
	if code := p.status(t); code != 486 {
		t.Fatalf("rejected direct call got %d, want 486", code)
	}
}

// ringing waits for a 180 on a direct call being offered.
func ringing(t *testing.T, p *pendingCall) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case code := <-p.iv.Provisional():
			if code == 180 {
				return
			}
		case <-deadline:
			t.Fatal("no 180 Ringing while the direct call is offered")
		}
	}
}
