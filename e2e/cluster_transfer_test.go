package e2e

import (
	"testing"
	"time"
)

// PROTOCOL §13 and §5, blind transfers go through the leader's router: x
// on n1 takes n1's sales call and transfers it to extension 200 (y, on
// n2), which rings y with the leader's reservation (the call bridged n1 →
// n2); y transfers it to queue support, whose only agent z is on n3, and z
// gets it from the leader too (bridged on n2 → n3). The caller hears each
// agent in turn, and neither who transferred it is offered it again.
func TestClusterBlindTransfers(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "support", "name": "Support"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}}, {ID: "y", Ext: "200", Capacity: 1},
				{ID: "z", Ext: "300", Capacity: 1, Queues: []string{"support"}}},
			map[string]string{"5000": "queue:sales"})
	})
	x := loginOnFloor(t, nodes, "n1", "x", toneAgent, "n3")
	y := loginOnFloor(t, nodes, "n2", "y", toneAgent2, "n3")
	z := loginOnFloor(t, nodes, "n3", "z", toneAgent3, "n1")
	term := clusterOf(t, nodes["n1"]).Token

	c := nodes["n1"].dial(t, "5000", toneCaller1)
	callX := x.acceptFloor(t, term)
	talking(t, "n1's caller with x", c, toneCaller1, x)

	x.transfer(t, callX, "200", "blind")
	callY := y.acceptFloor(t, term)
	talking(t, "the caller transferred to y on n2", c, toneCaller1, y)

	y.transfer(t, callY, "queue:support", "blind")
	z.acceptFloor(t, term)
	talking(t, "the caller transferred on to z on n3 through queue support", c, toneCaller1, z)
	x.noOffer(t, 300*time.Millisecond)
	y.noOffer(t, 300*time.Millisecond)
}
