package cluster_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/cluster"
	"switchboard/router"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

// newFloor is a floor of term 7 with queue sales and agents x, y (members)
// and z (extension 300, no queue).
func newFloor(t *testing.T) *cluster.Floor {
	t.Helper()
	f := cluster.NewFloor(router.Config{}, 7)
	rt := f.Router()
	must(t, rt.PutQueue(router.Queue{ID: "sales"}, t0))
	for _, a := range []router.AgentConfig{
		{ID: "x", Extension: "100", Queues: []router.QueueID{"sales"}},
		{ID: "y", Extension: "200", Queues: []router.QueueID{"sales"}},
		{ID: "z", Extension: "300"},
	} {
		must(t, rt.PutAgent(a, t0))
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func report(node string, token int64, agents []cluster.AgentReport, waiting ...cluster.TaskFact) cluster.Fact {
	return cluster.Fact{Type: cluster.FactReport, Node: node, Token: token, Report: &cluster.Report{Agents: agents, Waiting: waiting}}
}

func avail(id string, calls ...cluster.CallReport) cluster.AgentReport {
	return cluster.AgentReport{ID: id, Connected: true, Activity: "available", Calls: calls}
}

// brief renders decisions as "type>to:task/agent@agentnode" for comparison.
func brief(ds []cluster.Decision) []string {
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%s>%s:%s/%s", d.Type, d.To, d.Task, d.Agent)
		if d.Type == cluster.DecAccepted || d.Type == cluster.DecOffer {
			s += "@" + d.AgentNode
		}
		if d.Type == cluster.DecMoved {
			s += " " + d.FromQueue + "->" + d.Queue
		}
		if d.Reason != "" {
			s += " " + d.Reason
		}
		out = append(out, s)
	}
	return out
}

func expectDecisions(t *testing.T, f *cluster.Floor, want ...string) []cluster.Decision {
	t.Helper()
	ds := f.Drain(nil)
	for _, d := range ds {
		if d.Token != f.Token() {
			t.Errorf("decision %+v carries token %d, want %d", d, d.Token, f.Token())
		}
	}
	if got := brief(ds); !slices.Equal(got, want) {
		t.Errorf("decisions\n got %q\nwant %q", got, want)
	}
	return ds
}

// A call on node a for queue sales is offered to agent x logged in on node
// b: the offer goes to b (ring) and to a (where the call will go); x's
// accept (from b) makes the leader tell a to bridge the caller to x on b.
func TestFloorRoutesAcrossNodes(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", 7, nil), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x")}), t0))
	expectDecisions(t, f)
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c1", Kind: "queue", Queue: "sales"}}, t0.Add(time.Second)))
	ds := expectDecisions(t, f, "offer>b:c1/x@b", "offer>a:c1/x@b")
	if !strings.HasPrefix(ds[0].Reservation, "7.") || ds[0].TaskNode != "a" || !ds[0].Expires.Equal(t0.Add(16*time.Second)) {
		t.Errorf("offer %+v: want reservation of term 7, task node a, expiry in 15 s", ds[0])
	}
	// Only the agent's node may accept its offer.
	if err := f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "a", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(2*time.Second)); err == nil {
		t.Error("node a accepted an offer for an agent on node b")
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "b", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(2*time.Second)))
	expectDecisions(t, f, "accepted>b:c1/x@b", "accepted>a:c1/x@b")
	// A second call is not offered to x (load 1): it waits.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c2", Kind: "queue", Queue: "sales"}}, t0.Add(3*time.Second)))
	expectDecisions(t, f)
	// y logs in on a: it gets c2. Both ends report c1's end; x is idle again.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "a", Agent: "y", Connected: true, Activity: "available"}, t0.Add(4*time.Second)))
	expectDecisions(t, f, "offer>a:c2/y@a")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "a", Task: &cluster.TaskFact{ID: "c1"}}, t0.Add(5*time.Second)))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "c1"}}, t0.Add(5*time.Second)))
	if s, _ := f.Router().Agent("x"); s.Load != 0 {
		t.Errorf("x's load after c1 ended on both ends: %d", s.Load)
	}
	// An accept under another term's reservation id is refused.
	if err := f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "a", Agent: "y", Reservation: "6.r2"}, t0.Add(6*time.Second)); err == nil {
		t.Error("an accept of term 6 was applied in term 7")
	}
}

// A new leader waits for every node's report before routing, then puts
// the agents with their calls (so a busy agent is not offered a queue call)
// and the waiting calls oldest first.
func TestFloorRebuildsFromReports(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b"}, t0.Add(2*time.Second))
	// A fact of a node that has not reported is ignored.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "a", Agent: "x", Connected: true, Activity: "available"}, t0))
	// a's report: y idle, and two waiting calls (c3 is older).
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("y")},
		cluster.TaskFact{ID: "c4", Kind: "queue", Queue: "sales", Arrived: t0.Add(-time.Second)},
		cluster.TaskFact{ID: "c3", Kind: "queue", Queue: "sales", Arrived: t0.Add(-5 * time.Second)}), t0))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "a", Agent: "y", Activity: "available", Connected: true}, t0))
	expectDecisions(t, f) // b has not reported: nothing is routed yet
	if !f.Rebuilding() {
		t.Fatal("not rebuilding before b's report")
	}
	// b's report: x holds a call whose caller is on a.
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x", cluster.CallReport{ID: "c1", Node: "a"})}), t0.Add(100*time.Millisecond)))
	expectDecisions(t, f, "offer>a:c3/y@a")
	if f.Rebuilding() {
		t.Error("still rebuilding after every report")
	}
	if s, _ := f.Router().Agent("x"); s.Load != 1 || !s.Connected {
		t.Errorf("x after rebuild: %+v, want connected with load 1", s)
	}
	// c1 ends: x takes c4.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "c1"}}, t0.Add(time.Second)))
	expectDecisions(t, f, "offer>b:c4/x@b", "offer>a:c4/x@b")
	// A second report from a node (a repeated hello) changes nothing.
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("y")}), t0.Add(time.Second)))
	expectDecisions(t, f)
	// A report for another term is refused.
	if err := f.Apply(report("c", 6, nil), t0.Add(time.Second)); err == nil {
		t.Error("a report of term 6 was taken in term 7")
	}
}

// A node that never reports does not hold the floor back past the
// rebuild deadline.
func TestFloorRebuildDeadline(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "dead"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("x")}, cluster.TaskFact{ID: "c1", Kind: "queue", Queue: "sales"}), t0))
	expectDecisions(t, f)
	if d, ok := f.NextDeadline(); !ok || !d.Equal(t0.Add(2*time.Second)) {
		t.Errorf("NextDeadline = %v %v, want the rebuild deadline", d, ok)
	}
	f.Advance(t0.Add(2 * time.Second))
	expectDecisions(t, f, "offer>a:c1/x@a")
}

// A node dies: the calls bridged between it and the survivors end with
// node_lost on the survivor, its waiting calls go, its agents' offers are
// withdrawn and their calls offered to others.
func TestFloorNodeLost(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b", "c"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("y")}), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x")}), t0))
	must(t, f.Apply(report("c", 7, []cluster.AgentReport{avail("z")}), t0))
	// c1 on a is accepted by x on b; c2 on b is offered to y on a; c5 on c
	// is a direct call accepted by z on c (nothing to do with a or b).
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c1", Kind: "queue", Queue: "sales"}}, t0))
	d1 := expectDecisions(t, f, "offer>b:c1/x@b", "offer>a:c1/x@b")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "b", Reservation: d1[0].Reservation}, t0))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "b", Task: &cluster.TaskFact{ID: "c2", Kind: "queue", Queue: "sales"}}, t0))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "c", Task: &cluster.TaskFact{ID: "c5", Kind: "direct", Extension: "300"}}, t0))
	d5 := expectDecisions(t, f, "accepted>b:c1/x@b", "accepted>a:c1/x@b", "offer>a:c2/y@a", "offer>b:c2/y@a", "offer>c:c5/z@c")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "c", Reservation: d5[4].Reservation}, t0))
	expectDecisions(t, f, "accepted>c:c5/z@c")
	// Node b dies: c1 (caller on a, agent x on b) ends on a with node_lost;
	// c2 (caller on b) is withdrawn from y.
	f.NodeLost("b", t0.Add(time.Second))
	expectDecisions(t, f, "node_lost>a:c1/x node_lost", "withdraw>a:c2/y canceled")
	if s, _ := f.Router().Agent("x"); s.Connected || s.Load != 0 {
		t.Errorf("x after its node died: %+v", s)
	}
	// x logs in again on c and takes a new call there; z's call on c is untouched.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "c", Agent: "x", Connected: true, Activity: "available"}, t0.Add(2*time.Second)))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c6", Kind: "direct", Extension: "100"}}, t0.Add(2*time.Second)))
	expectDecisions(t, f, "offer>c:c6/x@c", "offer>a:c6/x@c")
	if s, _ := f.Router().Agent("z"); s.Load != 1 {
		t.Errorf("z's call on c was touched by b's loss: %+v", s)
	}
	if got := f.Nodes(); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("Nodes = %v", got)
	}
}

// A rebuilt call (from a report) that ends by its caller's node dying
// ends on the agent's node with node_lost.
func TestFloorNodeLostRebuiltCall(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x", cluster.CallReport{ID: "c1", Node: "a"})}), t0))
	must(t, f.Apply(report("a", 7, nil), t0))
	f.NodeLost("a", t0.Add(time.Second))
	expectDecisions(t, f, "node_lost>b:c1/x node_lost")
	if s, _ := f.Router().Agent("x"); s.Load != 0 {
		t.Errorf("x's load after its caller's node died: %d", s.Load)
	}
}

// An unanswered offer sets the agent unavailable on its own node (RONA)
// and the call goes to the next agent.
func TestFloorRONA(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b"}, t0)
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("y")}), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x")}), t0))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c1", Kind: "queue", Queue: "sales"}}, t0))
	expectDecisions(t, f, "offer>b:c1/x@b", "offer>a:c1/x@b")
	f.Advance(t0.Add(15 * time.Second))
	expectDecisions(t, f, "withdraw>b:c1/x timeout", "withdraw>a:c1/x timeout", "activity>b:/x rona", "offer>a:c1/y@a")
}

// A node dies with a call that lived on it alone (caller and agent x on
// b): NodeLost ends it (x's load is released) without a word, and its
// ledger's report (CallsLost) tells every survivor to report it ended
// with node_lost, exactly one of them storing its record; x, logged in
// nowhere, is kept to be told at its next login (Told), and its login on
// c then gets no decision from this term. A waiting call of the ledger
// (no agent) is reported but told to nobody.
func TestFloorNodeLostLocalCall(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b", "c"}, t0)
	info := cluster.CallInfo{Queue: "sales", Kind: "queue", From: "sip:caller@x", Started: t0, Answered: t0.Add(time.Second)}
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("y")}), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x", cluster.CallReport{ID: "b/c8", Node: "b"})}), t0))
	must(t, f.Apply(report("c", 7, nil), t0))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactCall, Node: "a", Agent: "y", Task: &cluster.TaskFact{ID: "a/c1"}}, t0))
	expectDecisions(t, f)
	f.NodeLost("b", t0.Add(2*time.Second))
	expectDecisions(t, f)
	if s, _ := f.Router().Agent("x"); s.Connected || s.Load != 0 {
		t.Errorf("x after its node died: %+v", s)
	}
	if s, _ := f.Router().Agent("y"); s.Load != 1 {
		t.Errorf("y's call on a was touched by b's loss: %+v", s)
	}
	f.CallsLost("b", []cluster.LostCall{{ID: "b/c9", Info: cluster.CallInfo{Queue: "sales", Kind: "queue"}}, {ID: "b/c8", Agent: "x", Info: info}})
	ds := expectDecisions(t, f, "lost>a:b/c8/x node_lost", "lost>c:b/c8/x node_lost", "lost>a:b/c9/ node_lost", "lost>c:b/c9/ node_lost")
	if !ds[0].Record || ds[1].Record || ds[0].Tell || ds[1].Tell || !ds[2].Record {
		t.Errorf("record/tell: %+v", ds)
	}
	if ds[0].Node != "b" || ds[0].Call == nil || ds[0].Call.Queue != "sales" || !ds[0].Call.Answered.Equal(info.Answered) {
		t.Errorf("lost call carries %+v (node %q), want b's call info", ds[0].Call, ds[0].Node)
	}
	if told := f.Told(); len(told) != 1 || told[0] != (cluster.Told{Agent: "x", Call: "c8"}) {
		t.Errorf("kept for the next login: %+v, want x's c8", told)
	}
	if told := f.Told(); len(told) != 0 {
		t.Errorf("Told again: %+v", told)
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "c", Agent: "x", Connected: true, Activity: "available"}, t0.Add(3*time.Second)))
	expectDecisions(t, f) // its node tells it, from Redis
	if n := f.AgentNode("x"); n != "c" {
		t.Errorf("x is on %q, want c", n)
	}
}

// A call bridged between a (caller) and b (agent x) whose two halves are
// in the dead nodes' ledgers: the caller's half is reported to the
// survivors (with its record) and not told to x, whose node ends its own
// half; the agent's half is told to x at once, logged in on c already,
// and not reported (the caller's node does that).
func TestFloorCallsLostBridgedHalves(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b", "c"}, t0)
	for _, n := range []string{"a", "b", "c"} {
		must(t, f.Apply(report(n, 7, nil), t0))
	}
	f.CallsLost("a", []cluster.LostCall{{ID: "a/c1", Agent: "x", Info: cluster.CallInfo{Kind: "queue", AgentNode: "b"}}})
	ds := expectDecisions(t, f, "lost>b:a/c1/x node_lost", "lost>c:a/c1/x node_lost")
	if !ds[0].Record || ds[1].Record || ds[0].Tell || ds[1].Tell {
		t.Errorf("record/tell of the caller's half: %+v", ds)
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "c", Agent: "x", Connected: true, Activity: "available"}, t0.Add(time.Second)))
	expectDecisions(t, f)
	f.CallsLost("b", []cluster.LostCall{{ID: "b/c7", Agent: "x", Info: cluster.CallInfo{Kind: "queue", CallerNode: "a"}}})
	ds = expectDecisions(t, f, "lost>c:b/c7/x node_lost")
	if !ds[0].Tell || ds[0].Record {
		t.Errorf("the agent's half told to x on c: %+v", ds[0])
	}
	if told := f.Told(); len(told) != 0 {
		t.Errorf("told at once, and kept too: %+v", told)
	}
}

// The caller's node that cannot reach the agent's node rejects the offer
// for it: the call is offered to the next agent at once, and the agent is
// not set unavailable (it never rang). A node that holds neither the call
// nor the agent cannot reject.
func TestFloorCallerNodeRejectsUnreachable(t *testing.T) {
	f := newFloor(t)
	f.Expect([]string{"a", "b", "c"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", 7, []cluster.AgentReport{avail("y")}), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x")}), t0))
	must(t, f.Apply(report("c", 7, nil), t0))
	expectDecisions(t, f)
	// y's idle time starts again: x is the longest idle.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "a", Agent: "y", Connected: true, Activity: "available"}, t0.Add(500*time.Millisecond)))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c1", Kind: "queue", Queue: "sales"}}, t0.Add(time.Second)))
	ds := expectDecisions(t, f, "offer>b:c1/x@b", "offer>a:c1/x@b")
	if err := f.Apply(cluster.Fact{Type: cluster.FactReject, Node: "c", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(2*time.Second)); err == nil {
		t.Error("node c, which holds neither the call nor x, rejected x's offer")
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactReject, Node: "a", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(2*time.Second)))
	expectDecisions(t, f, "withdraw>b:c1/x rejected", "withdraw>a:c1/x rejected", "offer>a:c1/y@a")
	if s, _ := f.Router().Agent("x"); s.Activity != router.ActivityAvailable {
		t.Errorf("x after the caller's node could not reach it: activity %v, want available", s.Activity)
	}
}

// A call bridged from node a to agent x on node b ends: the caller's node
// says so first, but x stays busy (no offer of the next call) until its
// own node has ended its leg; then x is offered the waiting call.
func TestFloorFreesAgentOnItsOwnNodesEnd(t *testing.T) {
	f := newFloor(t)
	acceptOnB(t, f, "sales")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c2", Kind: "queue", Queue: "sales"}}, t0.Add(3*time.Second)))
	expectDecisions(t, f)
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "a", Task: &cluster.TaskFact{ID: "c1"}}, t0.Add(4*time.Second)))
	expectDecisions(t, f)
	if s, _ := f.Router().Agent("x"); s.Load != 1 {
		t.Errorf("x's load after only the caller's node ended c1: %d, want 1", s.Load)
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "c1"}}, t0.Add(5*time.Second)))
	expectDecisions(t, f, "offer>b:c2/x@b", "offer>a:c2/x@b")
}

// acceptOnB has x, on node b, accept call c1 of queue on node a at t0+2 s.
func acceptOnB(t *testing.T, f *cluster.Floor, queue string) {
	t.Helper()
	f.Expect([]string{"a", "b"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", 7, nil), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x")}), t0))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c1", Kind: "queue", Queue: queue}}, t0.Add(time.Second)))
	ds := expectDecisions(t, f, "offer>b:c1/x@b", "offer>a:c1/x@b")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "b", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(2*time.Second)))
	expectDecisions(t, f, "accepted>b:c1/x@b", "accepted>a:c1/x@b")
}

// After a call of a queue with wrap-up, the leader's router holds agent x
// in wrap-up (no offer of the waiting c2) until x's node ends it
// (wrapup_done: the agent's wrapup.done or its node's timer, PROTOCOL §5);
// another node's wrapup_done for x is refused.
func TestFloorWrapupDoneFromAgentsNode(t *testing.T) {
	f := newFloor(t)
	must(t, f.Router().PutQueue(router.Queue{ID: "support", Wrapup: 30 * time.Second}, t0))
	must(t, f.Router().PutAgent(router.AgentConfig{ID: "x", Extension: "100", Queues: []router.QueueID{"support"}}, t0))
	acceptOnB(t, f, "support")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "c2", Kind: "queue", Queue: "support"}}, t0.Add(3*time.Second)))
	for _, n := range []string{"a", "b"} {
		must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: n, Task: &cluster.TaskFact{ID: "c1"}}, t0.Add(4*time.Second)))
	}
	expectDecisions(t, f)
	if s, _ := f.Router().Agent("x"); !s.Wrapup {
		t.Fatalf("x after a support call: %+v, want wrap-up", s)
	}
	if err := f.Apply(cluster.Fact{Type: cluster.FactWrapupDone, Node: "a", Agent: "x"}, t0.Add(5*time.Second)); err == nil {
		t.Error("node a ended the wrap-up of x, an agent of node b")
	}
	expectDecisions(t, f)
	must(t, f.Apply(cluster.Fact{Type: cluster.FactWrapupDone, Node: "b", Agent: "x"}, t0.Add(6*time.Second)))
	expectDecisions(t, f, "offer>b:c2/x@b", "offer>a:c2/x@b")
}
