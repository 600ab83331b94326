package e2e

import (
	"syscall"
	"testing"
	"time"
)

// PROTOCOL §13, the leader dies with calls bridged through it: n1 leads; x
// on n2 takes a sales call placed on n1 (caller on n1, agent on n2), and y
// on n1 takes a support call placed on n2 (caller on n2, agent on n1).
// SIGKILL of n1: no later term ever knew those calls, and n2 ends both of
// its halves with reason node_lost once n1 has left the presence set: x is
// told its call ended, n2's caller is hung up, and n2's admin stream
// reports its call ended node_lost.
func TestClusterLeaderLossEndsBridgedHalves(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "support", "name": "Support"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}}, {ID: "y", Ext: "200", Capacity: 1, Queues: []string{"support"}}},
			map[string]string{"5000": "queue:sales", "5001": "queue:support"})
	})
	x := nodes["n2"].login(t, "x", toneAgent)
	y := nodes["n1"].login(t, "y", toneAgent2)
	waitFor(t, 5*time.Second, "x on n2 and y on n1 on the floor", func() bool {
		nx, _ := onFloor(t, nodes["n3"], "x")
		ny, _ := onFloor(t, nodes["n3"], "y")
		return nx == "n2" && ny == "n1"
	})
	adm := nodes["n2"].admin(t)
	adm.MustCall("subscribe", map[string]any{}, nil)

	cx := nodes["n1"].dial(t, "5000", toneCaller1)
	callX := x.accept(t)
	talking(t, "n1's caller with x on n2", cx, toneCaller1, x)
	cy := nodes["n2"].dial(t, "5001", toneCaller2)
	y.accept(t)
	talking(t, "n2's caller with y on n1", cy, toneCaller2, y)
	// n2's own half (its stream has every node's events: n1's leg too).
	callY, _ := nextEvent(t, adm, 5*time.Second, "call.answered", func(e map[string]any) bool { return e["agent"] == "y" && e["node"] == "n2" })["call"].(string)

	killed := time.Now()
	_ = nodes["n1"].cmd.Process.Kill() // SIGKILL of the leader: no BYE, no leave, no release
	<-nodes["n1"].exited
	x.expect(t, 10*time.Second, notif{"call.ended", func(p map[string]any) bool {
		return p["id"] == callX && p["reason"] == "node_lost"
	}})
	t.Logf("n2 ends x's half of n1's call node_lost %v after SIGKILL of the leader", time.Since(killed).Round(time.Millisecond))
	cy.ended(t, "n2's caller bridged to y on the dead leader", 10*time.Second)
	e := nextEvent(t, adm, 10*time.Second, "call.ended", func(e map[string]any) bool { return e["call"] == callY && e["node"] == "n2" })
	if e["reason"] != "node_lost" || e["agent"] != "y" {
		t.Errorf("n2: call.ended %v, want reason node_lost, agent y", e)
	}
	t.Logf("n2 hangs up its caller bridged to y on the dead leader %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
}

// PROTOCOL §13, a draining node: x (capacity 2) on n2 talks to a caller of
// n2, y is on n3. SIGTERM of n2 (it drains: new INVITEs get 503, its call
// goes on): x leaves the floor for new offers, so n1's next sales call goes
// to y, and x is not offered it; x's call on n2 still has audio.
func TestClusterDrainingNodeTakesNoOffers(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 2, Queues: []string{"sales"}}, {ID: "y", Ext: "200", Capacity: 1, Queues: []string{"sales"}}},
			map[string]string{"5000": "queue:sales"})
	})
	x := nodes["n2"].login(t, "x", toneAgent)
	waitFor(t, 5*time.Second, "x on n2 on the floor", func() bool { n, _ := onFloor(t, nodes["n1"], "x"); return n == "n2" })
	c2 := nodes["n2"].dial(t, "5000", toneCaller1)
	x.accept(t)
	talking(t, "n2's call", c2, toneCaller1, x)
	y := nodes["n3"].login(t, "y", toneAgent2)
	waitFor(t, 5*time.Second, "y on n3 on the floor", func() bool { n, _ := onFloor(t, nodes["n1"], "y"); return n == "n3" })

	if err := nodes["n2"].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "x off the floor while n2 drains", func() bool { n, _ := onFloor(t, nodes["n1"], "x"); return n == "" })
	c1 := nodes["n1"].dial(t, "5000", toneCaller2)
	y.accept(t)
	talking(t, "n1's call with y on n3", c1, toneCaller2, y)
	x.noOffer(t, time.Second)
	talking(t, "n2's call while n2 drains", c2, toneCaller1, x)
}
