package e2e

import (
	"slices"
	"testing"
	"time"

	"switchboard/view"
	"switchboard/wallboard"
)

// adminAnswer is g's answer to the admin method (no params), typed.
func adminAnswer[T any](t *testing.T, g *gateway, method string) T {
	t.Helper()
	return adminAnswerTo[T](t, g, method, map[string]any{})
}

// adminAnswerTo is g's answer to the admin method with params, typed.
func adminAnswerTo[T any](t *testing.T, g *gateway, method string, params any) T {
	t.Helper()
	c := g.admin(t)
	defer c.Close()
	var v T
	c.MustCall(method, params, &v)
	return v
}

// wholeFloor is g's admin `state`; statsOf its `stats`.
func wholeFloor(t *testing.T, g *gateway) view.Floor {
	t.Helper()
	return adminAnswer[view.Floor](t, g, "state")
}
func statsOf(t *testing.T, g *gateway) wallboard.Stats {
	t.Helper()
	return adminAnswer[wallboard.Stats](t, g, "stats")
}

func floorAgentOf(st view.Floor, id string) (view.FloorAgent, bool) {
	i := slices.IndexFunc(st.Agents, func(a view.FloorAgent) bool { return a.ID == id })
	if i < 0 {
		return view.FloorAgent{}, false
	}
	return st.Agents[i], true
}

// PROTOCOL §13, the whole floor in `state` and `stats`, whichever node
// serves them: two gateway binaries on PostgreSQL and Redis (lease 1 s).
// x is logged in on n1, y on n2. n2's state shows x on n1 with its
// activity (the time from activity.set on n1 to n2's state is measured);
// a call on n1 answered by x shows in n2's state (node n1, agent x) and
// in n2's stats (on a call, active, offered). A second call on n1,
// bridged to y on n2, is listed once (n1's caller with y as its agent),
// not also as n2's leg. A third waits: both nodes' queue shows it. The
// bridged call ends: one call record (n1's call, stored by n2), counted
// once in stats. SIGKILL of n1: within the lease, n2's state no longer
// has anything of n1's, and x logs in on n2 with the activity it had on
// n1.
func TestClusterWholeFloor(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}}, {ID: "y", Ext: "200", Capacity: 1, Queues: []string{"sales"}}},
			map[string]string{"5000": "queue:sales"})
	})
	n1, n2 := nodes["n1"], nodes["n2"]
	y := n2.login(t, "y", toneAgent2)
	y.WS.MustCall("activity.set", map[string]string{"activity": "break"}, nil)
	x := n1.login(t, "x", toneAgent)

	// How stale n2's view of n1's part is: activity.set on n1 until n2's
	// state shows it.
	// One admin connection polls, so that a poll costs one state request.
	adm2 := n2.admin(t)
	defer adm2.Close()
	state2 := func() (st view.Floor) {
		adm2.MustCall("state", map[string]any{}, &st)
		return st
	}
	var worst, sum, poll time.Duration
	var polls int
	acts := []string{"break", "available", "break", "available", "break", "available", "break", "available"}
	for _, act := range acts {
		set := time.Now()
		x.WS.MustCall("activity.set", map[string]string{"activity": act}, nil)
		waitFor(t, 5*time.Second, "n2's state shows x on n1 in "+act, func() bool {
			asked := time.Now()
			st := state2()
			poll += time.Since(asked)
			polls++
			a, ok := floorAgentOf(st, "x")
			return ok && a.Node == "n1" && a.Connected && a.Activity == act
		})
		d := time.Since(set)
		worst, sum = max(worst, d), sum+d
	}
	t.Logf("activity.set on n1 seen in n2's state after %v on average, at most %v (%d changes; a state request takes %v)",
		(sum / time.Duration(len(acts))).Round(time.Millisecond), worst.Round(time.Millisecond), len(acts), (poll / time.Duration(polls)).Round(time.Millisecond))
	if a, _ := floorAgentOf(wholeFloor(t, n2), "y"); a.Node != "n2" || a.Activity != "break" {
		t.Errorf("n2's state: y %+v, want on n2 in break", a)
	}

	// A call on n1 answered by x: n2's state and stats show it.
	c1 := n1.dial(t, "5000", toneCaller1)
	call1 := x.accept(t)
	talking(t, "n1's caller with x", c1, toneCaller1, x)
	var st view.Floor
	waitFor(t, 5*time.Second, "n2's state shows x's call on n1", func() bool {
		st = wholeFloor(t, n2)
		a, _ := floorAgentOf(st, "x")
		i := slices.IndexFunc(st.Calls, func(c view.Call) bool { return c.ID == call1 })
		return i >= 0 && st.Calls[i].Node == "n1" && st.Calls[i].Agent == "x" && st.Calls[i].State == "active" &&
			a.Load == 1 && len(a.Calls) == 1 && a.Calls[0].ID == call1 && a.Calls[0].Node == "n1"
	})
	if len(st.Calls) != 1 {
		t.Errorf("n2's state: calls %+v, want n1's one", st.Calls)
	}
	s := statsOf(t, n2)
	if s.Agents.OnCall != 1 || s.Calls.Active != 1 || s.Agents.ByActivity["available"] != 1 || s.Agents.ByActivity["break"] != 1 ||
		len(s.Queues) != 1 || s.Queues[0].Offered != 1 || s.Queues[0].Answered != 1 {
		t.Errorf("n2's stats with x's call on n1: %+v", s)
	}

	x.WS.MustCall("activity.set", map[string]string{"activity": "break"}, nil) // kept for its next login (below)

	// A call on n1 for y on n2 (x is full): bridged, listed once.
	y.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	c2 := n1.dial(t, "5000", toneCaller2)
	y.accept(t)
	talking(t, "n1's caller bridged to y on n2", c2, toneCaller2, y)
	for _, g := range []*gateway{n1, n2} {
		waitFor(t, 5*time.Second, "the bridged call once, with y", func() bool {
			st = wholeFloor(t, g)
			a, _ := floorAgentOf(st, "y")
			return len(st.Calls) == 2 && a.Node == "n2" && a.Load == 1 && len(a.Calls) == 1 && a.Calls[0].Node == "n1"
		})
		for _, c := range st.Calls {
			if c.Node != "n1" || (c.ID != call1 && c.Agent != "y") || c.State != "active" {
				t.Errorf("state: call %+v, want n1's calls with x and y", c)
			}
		}
		s := statsOf(t, g)
		if s.Agents.OnCall != 2 || s.Calls.Active != 2 || s.Queues[0].Offered != 2 {
			t.Errorf("stats with both calls: %+v", s)
		}
	}
	bridged := st.Calls[slices.IndexFunc(st.Calls, func(c view.Call) bool { return c.Agent == "y" })]

	// A third call waits (both agents full): n2's queue counts it.
	n1.dial(t, "5000", toneCaller1) // waits: x and y are full
	waitFor(t, 5*time.Second, "n2's sales shows n1's waiting call", func() bool {
		st = wholeFloor(t, n2)
		return len(st.Queues) == 1 && st.Queues[0].Waiting == 1 && st.Queues[0].LongestWait != "" && len(st.Calls) == 3
	})
	if s := statsOf(t, n2); s.Calls.Waiting != 1 || s.Queues[0].Waiting != 1 || s.Queues[0].Offered != 3 {
		t.Errorf("n2's stats with a waiting call: %+v", s)
	}
	// The bridged call ends: one record, n1's call with y's talk, stored
	// by y's node; stats count it once.
	c2.bye(t)
	type record struct {
		Call    string  `json:"call"`
		Agent   string  `json:"agent"`
		Queue   string  `json:"queue"`
		From    string  `json:"from"`
		To      string  `json:"to"`
		Outcome string  `json:"outcome"`
		Wait    float64 `json:"wait_seconds"`
		Talk    float64 `json:"talk_seconds"`
		Started string  `json:"started_at"`
	}
	recsOfY := func() []record {
		return adminAnswerTo[[]record](t, n2, "records.list", map[string]any{"agent": "y"})
	}
	var recs []record
	waitFor(t, 5*time.Second, "the bridged call's record", func() bool { recs = recsOfY(); return len(recs) > 0 })
	want := "n1/" + bridged.ID
	if r := recs[0]; len(recs) != 1 || r.Call != want || r.Queue != "sales" || r.Outcome != "answered:remote hangup" ||
		r.Wait <= 0 || r.Talk <= 0 || r.From != bridged.Remote || r.To != "5000" || r.Started != bridged.StartedAt {
		t.Errorf("records of y: %+v, want one of %s (queue sales, the caller's BYE, from %s to 5000, started %s, wait and talk)",
			recs, want, bridged.Remote, bridged.StartedAt)
	}
	waitFor(t, 5*time.Second, "n2's stats with the bridged call recorded", func() bool {
		s := statsOf(t, n2).Queues[0]
		return s.Offered == 3 && s.Answered == 2 // the record, x's live call, the waiting one
	})

	// SIGKILL of n1: its part goes with its presence.
	killed := time.Now()
	_ = n1.cmd.Process.Kill()
	<-n1.exited
	waitFor(t, 5*time.Second, "n2's state without n1's part", func() bool {
		st = state2()
		a, _ := floorAgentOf(st, "x")
		return a.Node == "" && !a.Connected && len(a.Calls) == 0 &&
			!slices.ContainsFunc(st.Calls, func(c view.Call) bool { return c.Node == "n1" })
	})
	gone := time.Since(killed)
	t.Logf("SIGKILL of n1: n2's state without n1's part after %v (lease 1 s)", gone.Round(time.Millisecond))
	if gone > 1500*time.Millisecond { // the lease, and the poll and the process's death
		t.Errorf("n1's part outlived its presence lease (1 s) by %v", gone-time.Second)
	}
	// x logs in again on n2, with the activity it had on n1 (not n2's
	// offline), and n2's state shows it there.
	if _, lr := n2.loginOnly(t, "x", toneAgent); lr.Agent.Activity != "break" {
		t.Errorf("x's login on n2 after n1's death: activity %q, want break (its activity on n1)", lr.Agent.Activity)
	}
	waitFor(t, 5*time.Second, "n2's state shows x on n2 in break", func() bool {
		a, _ := floorAgentOf(state2(), "x")
		return a.Node == "n2" && a.Connected && a.Activity == "break"
	})
	if recs := recsOfY(); len(recs) != 1 { // long after the bridged call ended on both nodes
		t.Errorf("records of y after all: %+v, want the bridged call's one", recs)
	}
}

// PROTOCOL §13, an agent of a dead node is told of its lost call at its
// next login whichever term leads by then: x (in break) talks on n2;
// SIGKILL of n2 (the leader n1's term takes n2's ledger), then SIGKILL
// of the leader n1; x logs in on n3, which leads a term that never saw
// n2's ledger: x is told its call ended node_lost, and has its activity.
func TestClusterToldAfterTwoDeaths(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Queues: []string{"sales"}}}, map[string]string{"5000": "queue:sales"})
	})
	x := loginOnFloor(t, nodes, "n2", "x", toneAgent, "n1")
	c := nodes["n2"].dial(t, "5000", toneCaller1)
	call := x.accept(t)
	talking(t, "n2's call", c, toneCaller1, x)
	x.WS.MustCall("activity.set", map[string]string{"activity": "break"}, nil)
	adm := nodes["n3"].admin(t)
	adm.MustCall("subscribe", map[string]any{}, nil)
	term := clusterOf(t, nodes["n1"]).Token

	nodes["n2"].sigkill()
	nodeLost(t, adm, 5*time.Second, "n2/"+call, "x") // n1's term took n2's ledger
	nodes["n1"].sigkill()
	waitFor(t, 5*time.Second, "n3 leads a later term", func() bool { v := clusterOf(t, nodes["n3"]); return v.IsLeader && v.Token > term })
	x3, lr := nodes["n3"].loginOnly(t, "x", toneAgent2)
	x3.expect(t, 5*time.Second, notif{"call.ended", func(p map[string]any) bool {
		return p["id"] == call && p["reason"] == "node_lost"
	}})
	if lr.Agent.Activity != "break" {
		t.Errorf("x on n3: activity %q, want break (its activity on n2)", lr.Agent.Activity)
	}
}
