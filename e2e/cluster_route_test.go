package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// floorRes says whether an offer's reservation id was made by the floor's
// router in the term of token ("<token>.<router id>"; a node's own router
// makes "r<n>").
func floorRes(t *testing.T, res string, token int64) {
	t.Helper()
	if !strings.HasPrefix(res, strconv.FormatInt(token, 10)+".") {
		t.Fatalf("reservation %q was not made by the leader's router of term %d", res, token)
	}
}

// acceptFloor waits for a's next offer, checks that the leader's router
// made it in the term of token (floorRes), accepts it and returns the call.
func (a *agentClient) acceptFloor(t *testing.T, token int64) string {
	t.Helper()
	res, call := a.reservation(t)
	floorRes(t, res, token)
	a.WS.MustCall("reservation.accept", map[string]string{"reservation": res}, nil)
	return call
}

// queueWaiting is queue id's waiting count in g's own state.
func queueWaiting(t *testing.T, g *gateway, id string) int {
	t.Helper()
	c := g.admin(t)
	defer c.Close()
	var st struct {
		Queues []struct {
			ID      string `json:"id"`
			Waiting int    `json:"waiting"`
		} `json:"queues"`
	}
	c.MustCall("state", map[string]any{}, &st)
	for _, q := range st.Queues {
		if q.ID == id {
			return q.Waiting
		}
	}
	return -1
}

// PROTOCOL §13, one router: three gateway binaries on PostgreSQL and
// Redis, leader n1, agent x (capacity 1) on n2. A queue call landing on
// n2 is offered to x by the leader's router (its reservation is the
// term's), x takes it (tones both ways). A second call waits on the floor
// while x is busy (n2's own state counts it waiting in sales). SIGKILL of the leader: a new leader within 5 s, rebuilt
// from n2's report (x busy, the call waiting), still does not offer it to
// x; once x's call ends, x gets it from the new term and talks to it.
func TestClusterLeaderRoutes(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}}}, map[string]string{"5000": "queue:sales"})
	})
	x := loginOnFloor(t, nodes, "n2", "x", toneAgent, "n1")
	term := clusterOf(t, nodes["n1"]).Token

	a := nodes["n2"].dial(t, "5000", toneCaller1)
	x.acceptFloor(t, term)
	talking(t, "call A", a, toneCaller1, x)
	waitFor(t, 5*time.Second, "x busy on the floor", func() bool { _, l := onFloor(t, nodes["n1"], "x"); return l == 1 })

	b := nodes["n2"].dial(t, "5000", toneCaller2)
	waitFor(t, 5*time.Second, "call B waiting on the floor", func() bool { f := clusterOf(t, nodes["n1"]).Floor; return f != nil && f.Waiting == 1 })
	x.noOffer(t, time.Second) // busy x is not offered B
	if w := queueWaiting(t, nodes["n2"], "sales"); w != 1 {
		t.Errorf("n2's state shows %d waiting in sales, want its floor call B", w)
	}

	killed := time.Now()
	nodes["n1"].sigkill() // the leader
	var next clusterView
	waitFor(t, 5*time.Second, "a new leader", func() bool {
		next = clusterOf(t, nodes["n2"])
		return next.Token > term && next.Leader != "" && next.Leader != "n1"
	})
	elected := time.Since(killed)
	waitFor(t, 5*time.Second-time.Since(killed), "the new term's floor rebuilt", func() bool {
		v := clusterOf(t, nodes["n3"])
		f := v.Floor
		if f == nil || !f.Ready || f.Token != next.Token || f.Waiting != 1 {
			return false
		}
		n, l := onFloor(t, nodes["n3"], "x")
		return n == "n2" && l == 1
	})
	t.Logf("SIGKILL of leader n1 (term %d): %s leads term %d after %v; floor rebuilt (x busy, B waiting) after %v",
		term, next.Leader, next.Token, elected.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	x.noOffer(t, time.Second) // the rebuilt floor knows x is busy
	talking(t, "call A after the leader's loss", a, toneCaller1, x)

	a.bye(t)
	x.acceptFloor(t, next.Token)
	talking(t, "call B", b, toneCaller2, x)
}

// Direct calls go through the leader's router too, so it sees every offer
// an agent has: agent x (capacity 1, no voicemail) on n2 rings for queue
// call A; a direct call to x's extension on n2 meanwhile gets 486 (x is at
// capacity with A's live reservation) instead of a second offer. Once A
// has ended, a direct call to x on n2 is offered with the leader's
// reservation id and talks; so does one on n1, bridged to x on n2.
func TestClusterDirectCalls(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}, NoVoicemail: true}},
			map[string]string{"5000": "queue:sales", "100": "extension:100"})
	})
	x := loginOnFloor(t, nodes, "n2", "x", toneAgent, "n1")
	term := clusterOf(t, nodes["n1"]).Token

	a := nodes["n2"].dial(t, "5000", toneCaller1)
	resA, _ := x.reservation(t)
	floorRes(t, resA, term)
	if code := nodes["n2"].dialAsync(t, "100", toneCaller2).status(t); code != 486 {
		t.Fatalf("direct call to x while it rings for A: %d, want 486", code)
	}
	x.WS.MustCall("reservation.accept", map[string]string{"reservation": resA}, nil)
	talking(t, "call A", a, toneCaller1, x)
	a.bye(t)
	free := func(what string) {
		t.Helper()
		waitFor(t, 5*time.Second, "x free on the floor "+what, func() bool { _, l := onFloor(t, nodes["n1"], "x"); return l == 0 })
	}
	free("after call A")

	// A direct call to x dialled on node: x is offered it by the leader's
	// router, takes it and talks to the caller (tone), who then hangs up.
	direct := func(what, node string, tone float64) {
		t.Helper()
		d := nodes[node].dialAsync(t, "100", tone)
		x.acceptFloor(t, term)
		c := d.wait(t)
		talking(t, what, c, tone, x)
		c.bye(t)
		free("after the " + what)
	}
	direct("direct call on n2", "n2", toneCaller2)
	// A direct call on n1 rings x on n2 (it rings on n1 until x accepts)
	// and is bridged to it.
	direct("direct call on n1 to x on n2", "n1", toneCaller1)
}
