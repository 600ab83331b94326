package e2e

import (
	"testing"
	"time"
)

// twoAgentsOnCall is onQueueCall (a1 and a2 in sales, a queue call on a1
// with audio both ways) with a2 logged in idle.
func twoAgentsOnCall(t *testing.T) (g *gateway, a1, a2 *agentClient, c *caller, call string) {
	t.Helper()
	g, a1, c, call = onQueueCall(t)
	a2 = g.login(t, "a2", toneAgent2)
	return g, a1, a2, c, call
}

// Scenario 8: blind transfer to another agent's extension.
func TestBlindTransfer(t *testing.T) {
	t.Parallel()
	g, a1, a2, c, call := twoAgentsOnCall(t)
	a1.transfer(t, call, "1002", "blind")
	a1.expect(t, 5*time.Second, notif{"call.ended", field("id", call)})
	p := a2.offer(t)
	if p["kind"] != "transfer" {
		t.Errorf("transfer offer kind %v, want transfer", p["kind"])
	}
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, nil)
	talking(t, "after the blind transfer", c, toneCaller1, a2)
	neverHears(t, "a1 after the transfer", a1.ratio, toneCaller1, time.Second)
	waitFor(t, 5*time.Second, "a1 to have no calls", func() bool { return len(g.agentCalls(t, "a1")) == 0 })
}

// Scenario 8: warm transfer, completed.
func TestWarmTransferComplete(t *testing.T) {
	t.Parallel()
	g, a1, a2, c, call := twoAgentsOnCall(t)
	consult := a1.transfer(t, call, "1002", "warm")
	if consult.ID == "" || consult.ID == call {
		t.Fatalf("warm transfer returned %+v, want the consult call", consult)
	}
	hearsMusic(t, "caller held during the consult", c.classify)
	a2.accept(t)
	hears(t, "a1 consulting a2", a1.classify, toneAgent2)
	hears(t, "a2 consulted by a1", a2.classify, toneAgent)
	neverHears(t, "held caller during the consult", c.ratio, toneAgent, time.Second)

	a1.finishTransfer(t, call, "complete")
	talking(t, "after completing", c, toneCaller1, a2)
	waitFor(t, 5*time.Second, "a1 to have no calls", func() bool { return len(g.agentCalls(t, "a1")) == 0 })
	neverHears(t, "a1 after completing", a1.ratio, toneCaller1, time.Second)
}

// Scenario 8: warm transfer, canceled: the caller is back with a1.
func TestWarmTransferCancel(t *testing.T) {
	t.Parallel()
	g, a1, a2, c, call := twoAgentsOnCall(t)
	a1.transfer(t, call, "1002", "warm")
	hearsMusic(t, "caller held during the consult", c.classify)
	a2.accept(t)
	hears(t, "a1 consulting a2", a1.classify, toneAgent2)

	a1.finishTransfer(t, call, "cancel")
	talking(t, "after canceling", c, toneCaller1, a1)
	waitFor(t, 5*time.Second, "a2 to have no calls and a1 only the caller", func() bool {
		c1, c2 := g.agentCalls(t, "a1"), g.agentCalls(t, "a2")
		return len(c2) == 0 && len(c1) == 1 && c1[call] == "active"
	})
}

// Scenario 8: a transfer to a queue reaches only an idle agent: the busy
// one and the transferring one are skipped.
func TestTransferToQueueIdleOnly(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	a1, c, call := salesCall(t, g,
		agentSpec{ID: "a2", Ext: "1002", Queues: []string{"sales"}},
		agentSpec{ID: "a3", Ext: "1003", Queues: []string{"sales"}})
	talking(t, "before the transfer", c, toneCaller1, a1)

	a2 := g.login(t, "a2", toneAgent2)
	p := g.dialAsync(t, "1002", toneCaller2)
	a2.accept(t)
	p.wait(t)

	a3 := g.login(t, "a3", toneAgent3)
	a1.transfer(t, call, "queue:sales", "blind")
	res, got := a3.reservation(t)
	if got != call {
		t.Fatalf("a3 offered %s, want the transferred call %s", got, call)
	}
	a3.WS.MustCall("reservation.accept", map[string]string{"reservation": res}, nil)
	talking(t, "after the queue transfer", c, toneCaller1, a3)
	a1.noOffer(t, 500*time.Millisecond)
	a2.noOffer(t, 500*time.Millisecond)
	waitFor(t, 5*time.Second, "a1 to have no calls", func() bool { return len(g.agentCalls(t, "a1")) == 0 })
}

// A transfer to a queue with only the transferring agent idle waits: the
// call is never offered back to the transferring agent.
func TestTransferToQueueNotBack(t *testing.T) {
	t.Parallel()
	g, a1, c, call := onQueueCall(t) // a2 in sales too, not logged in yet
	a1.transfer(t, call, "queue:sales", "blind")
	hearsMusic(t, "caller back in the queue", c.classify)
	a1.noOffer(t, 2*time.Second)
	a2 := g.login(t, "a2", toneAgent2)
	if _, got := a2.reservation(t); got != call {
		t.Fatalf("a2 offered %s, want %s", got, call)
	}
}

// finishTransfer sends call.transfer {call, mode} (complete or cancel: no
// "to", the consult call is known).
func (a *agentClient) finishTransfer(t *testing.T, call, mode string) {
	t.Helper()
	err := a.WS.Call(t.Context(), "call.transfer", map[string]string{"call": call, "mode": mode}, nil)
	if err != nil {
		t.Fatalf("call.transfer %s: %v", mode, err)
	}
}
