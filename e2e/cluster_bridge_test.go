package e2e

import (
	"strings"
	"testing"
	"time"

	"switchboard/signaling/ws/wstest"
)

// PROTOCOL §13, calls bridged between nodes: three gateway binaries on
// PostgreSQL and Redis, agent x logged in on n2 only. A queue call landing
// on n1 is offered to x by the leader's router (n1 dials n2 over SIP, n2
// rings x), x accepts, and the caller on n1 and x on n2 hear each other
// (tones both ways, across the bridge). SIGKILL of n2: n1's caller is
// hung up, and n1 reports the call ended with reason node_lost, agent x,
// with one call record (answered:node_lost); n2's half of it is told to
// nobody else.
func TestClusterBridgesNodes(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}}}, map[string]string{"5000": "queue:sales"})
	})
	x := loginOnFloor(t, nodes, "n2", "x", toneAgent, "n1")
	term := clusterOf(t, nodes["n1"]).Token
	adm := map[string]*wstest.Client{}
	for _, id := range []string{"n1", "n3"} {
		adm[id] = nodes[id].admin(t)
		adm[id].MustCall("subscribe", map[string]any{}, nil)
	}

	c := nodes["n1"].dial(t, "5000", toneCaller1)
	x.acceptFloor(t, term)
	talking(t, "n1's caller bridged to x on n2", c, toneCaller1, x)
	waitFor(t, 5*time.Second, "x busy on the floor", func() bool { n, l := onFloor(t, nodes["n1"], "x"); return n == "n2" && l == 1 })
	// n1's own half (its stream has every node's events: n2's leg too).
	answered := nextEvent(t, adm["n1"], 5*time.Second, "call.answered", func(e map[string]any) bool { return e["agent"] == "x" && e["node"] == "n1" })
	call, _ := answered["call"].(string)
	if call == "" || strings.Contains(call, "/") {
		t.Fatalf("n1's call.answered names call %q, want n1's own call", call)
	}

	killed := time.Now()
	nodes["n2"].sigkill() // no BYE to n1
	nodeLost(t, adm["n1"], 10*time.Second, call, "x")
	t.Logf("n1 ends its caller bridged to dead n2 (node_lost) %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	c.ended(t, "n1's caller", 10*time.Second)
	// n2's half (its leg from n1) is in n2's ledger too: it is left to n1,
	// in the same decisions of the leader (a report of it would add a
	// record).
	lostRecord(t, adm["n3"], "x", call)
}
