package e2e

import (
	"testing"
	"time"

	"switchboard/internal/pgtest"
	"switchboard/internal/redistest"
	"switchboard/signaling/ws/wstest"
)

// clusterNodes starts gateways ids on one PostgreSQL store and one Redis
// (-cluster, lease 1 s), the first alone so that it leads; seed runs on
// it before the others start (they read the configuration at start).
func clusterNodes(t *testing.T, ids []string, seed func(g *gateway)) map[string]*gateway {
	t.Helper()
	rs := redistest.Start(t)
	pg := pgtest.Start(t)
	pg.NewDB(t)
	nodes := map[string]*gateway{}
	for i, id := range ids {
		nodes[id] = startGW(t, "-store", pg.URL("t1"), "-cluster", rs.URL(), "-node-id", id, "-cluster-lease", "1s")
		if i == 0 {
			waitFor(t, 5*time.Second, id+" leads", func() bool { return clusterOf(t, nodes[id]).IsLeader })
			seed(nodes[id])
		}
	}
	return nodes
}

// clusterView is the cluster member of `state`.
type clusterView struct {
	Leader   string `json:"leader"`
	Token    int64  `json:"token"`
	IsLeader bool   `json:"is_leader"`
	Floor    *struct {
		Token   int64 `json:"token"`
		Ready   bool  `json:"ready"`
		Waiting int   `json:"waiting"`
		Agents  []struct {
			ID        string `json:"id"`
			Node      string `json:"node"`
			Connected bool   `json:"connected"`
			Load      int    `json:"load"`
		} `json:"agents"`
	} `json:"floor"`
}

func clusterOf(t *testing.T, g *gateway) clusterView {
	t.Helper()
	c := g.admin(t)
	defer c.Close()
	var st struct {
		Cluster *clusterView `json:"cluster"`
	}
	c.MustCall("state", map[string]any{}, &st)
	if st.Cluster == nil {
		t.Fatal("state has no cluster member")
	}
	return *st.Cluster
}

// onFloor says where g's published floor has agent id connected, and its
// load ("" when it is not connected there).
func onFloor(t *testing.T, g *gateway, id string) (node string, load int) {
	t.Helper()
	f := clusterOf(t, g).Floor
	if f == nil || !f.Ready {
		return "", 0
	}
	for _, a := range f.Agents {
		if a.ID == id && a.Connected {
			return a.Node, a.Load
		}
	}
	return "", 0
}

// loginOnFloor logs agent id in on node (with its tone) and waits until
// the floor that seen publishes shows it connected there.
func loginOnFloor(t *testing.T, nodes map[string]*gateway, node, id string, tone float64, seen string) *agentClient {
	t.Helper()
	a := nodes[node].login(t, id, tone)
	waitFor(t, 5*time.Second, id+" on "+node+" on the floor", func() bool { n, _ := onFloor(t, nodes[seen], id); return n == node })
	return a
}

// sigkill kills g (no BYE, no leave, no release) and waits until it has
// exited.
func (g *gateway) sigkill() {
	_ = g.cmd.Process.Kill() // it exited already: exited is closed
	<-g.exited
}

// nodeLost waits on adm's event stream for call's call.ended and checks
// that it ended with its node: reason node_lost, agent's queue call of
// sales.
func nodeLost(t *testing.T, adm *wstest.Client, timeout time.Duration, call, agent string) {
	t.Helper()
	e := nextEvent(t, adm, timeout, "call.ended", func(e map[string]any) bool { return e["call"] == call })
	if e["reason"] != "node_lost" || e["agent"] != agent || e["queue"] != "sales" || e["kind"] != "queue" {
		t.Errorf("call.ended %v, want reason node_lost, agent %s, queue sales", e, agent)
	}
}

// lostRecord waits until adm lists agent's call records and checks that
// there is one, of call, answered:node_lost with a talk time.
func lostRecord(t *testing.T, adm *wstest.Client, agent, call string) {
	t.Helper()
	var recs []struct {
		Call    string  `json:"call"`
		Outcome string  `json:"outcome"`
		Talk    float64 `json:"talk_seconds"`
	}
	waitFor(t, 5*time.Second, "the records of "+agent, func() bool {
		recs = recs[:0]
		adm.MustCall("records.list", map[string]any{"agent": agent}, &recs)
		return len(recs) > 0
	})
	if len(recs) != 1 || recs[0].Call != call || recs[0].Outcome != "answered:node_lost" || recs[0].Talk <= 0 {
		t.Errorf("records of %s: %+v, want one answered:node_lost record of %s", agent, recs, call)
	}
}

// nextEvent waits for the admin event of type typ matching ok.
func nextEvent(t *testing.T, adm *wstest.Client, timeout time.Duration, typ string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("no %s event within %v", typ, timeout)
		}
		n := adm.WaitNotification("event", left)
		var e map[string]any
		decode(t, n.Params, &e)
		if e["type"] == typ && ok(e) {
			return e
		}
	}
}

// PROTOCOL §13, a node dies: three gateway binaries on PostgreSQL and
// Redis; agent x on n2 talks to a SIP caller of n2 (tones both ways).
// SIGKILL of n2: both survivors report the call ended with reason
// node_lost (call.ended on their admin event streams), exactly one call
// record says answered:node_lost, and x logs in again on n3, is told its
// call ended (node_lost), shows on n3 with no load, and takes a new call
// there with audio both ways. Then the leader n1 dies with a call of its
// own: the new leader reports it too (from n1's ledger), and n3's call
// goes on.
func TestClusterNodeLost(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Queues: []string{"sales"}}, {ID: "y", Ext: "200", Queues: []string{"sales"}}},
			map[string]string{"5000": "queue:sales"})
	})
	x := loginOnFloor(t, nodes, "n2", "x", toneAgent, "n1")
	c := nodes["n2"].dial(t, "5000", toneCaller1)
	call := x.accept(t)
	talking(t, "n2's call", c, toneCaller1, x)
	waitFor(t, 5*time.Second, "x busy on the floor", func() bool { n, l := onFloor(t, nodes["n1"], "x"); return n == "n2" && l == 1 })
	adm := map[string]*wstest.Client{}
	for _, id := range []string{"n1", "n3"} {
		adm[id] = nodes[id].admin(t)
		adm[id].MustCall("subscribe", map[string]any{}, nil)
	}

	killed := time.Now()
	nodes["n2"].sigkill()
	floorID := "n2/" + call
	for _, id := range []string{"n1", "n3"} {
		nodeLost(t, adm[id], 5*time.Second, floorID, "x")
		t.Logf("%s reports n2's call %s ended node_lost %v after SIGKILL", id, call, time.Since(killed).Round(time.Millisecond))
	}
	lostRecord(t, adm["n3"], "x", floorID)

	// x logs in again on n3: told of its lost call, free on the floor, and
	// takes n3's next call.
	x3 := nodes["n3"].login(t, "x", toneAgent2)
	x3.expect(t, 5*time.Second, notif{"call.ended", func(p map[string]any) bool {
		return p["id"] == call && p["reason"] == "node_lost"
	}})
	waitFor(t, 5*time.Second, "x on n3, free", func() bool { n, l := onFloor(t, nodes["n1"], "x"); return n == "n3" && l == 0 })
	c3 := nodes["n3"].dial(t, "5000", toneCaller2)
	x3.accept(t)
	talking(t, "n3's call", c3, toneCaller2, x3)

	// The leader dies with a call: y on n1 talks to n1's caller; SIGKILL
	// of n1. The new term (n3, the only survivor) never heard of that
	// call from n1, and still reports it, from n1's call ledger in Redis.
	y := loginOnFloor(t, nodes, "n1", "y", toneAgent, "n3")
	c1 := nodes["n1"].dial(t, "5000", toneCaller1)
	call1 := y.accept(t)
	talking(t, "n1's call", c1, toneCaller1, y)
	killed = time.Now()
	nodes["n1"].sigkill()
	nodeLost(t, adm["n3"], 5*time.Second, "n1/"+call1, "y")
	t.Logf("n3 reports the dead leader n1's call %s ended node_lost %v after SIGKILL", call1, time.Since(killed).Round(time.Millisecond))
	lostRecord(t, adm["n3"], "y", "n1/"+call1)
	talking(t, "n3's call after both deaths", c3, toneCaller2, x3)
}
