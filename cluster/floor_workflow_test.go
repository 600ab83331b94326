package cluster_test

import (
	"testing"
	"time"

	"switchboard/cluster"
	"switchboard/router"
	"switchboard/router/attrexpr"
)

// A workflow on the leader's floor (PROTOCOL §10, §13 "one router"): a
// Spanish call on node a waits in queue es (its only member x is on node
// b), is offered to x, and when x lets the offer time out and the first
// target's 5 s have passed, it moves to queue sales, whose member y is on
// node c: the caller's node learns each queue (moved), and y's accept
// from c bridges a's caller to y.
func TestFloorWorkflowEscalatesAcrossNodes(t *testing.T) {
	f := cluster.NewFloor(router.Config{}, 7)
	rt := f.Router()
	must(t, rt.PutQueue(router.Queue{ID: "es", OfferTimeout: 3 * time.Second}, t0))
	must(t, rt.PutQueue(router.Queue{ID: "sales"}, t0))
	must(t, rt.PutAgent(router.AgentConfig{ID: "x", Queues: []router.QueueID{"es"}}, t0))
	must(t, rt.PutAgent(router.AgentConfig{ID: "y", Queues: []router.QueueID{"sales"}}, t0))
	es, err := attrexpr.Compile(`lang == "es"`)
	must(t, err)
	must(t, rt.PutWorkflow(router.Workflow{ID: "lang", Filters: []router.Filter{{Name: "es", Match: es,
		Targets: []router.Target{{Queue: "es", Timeout: 5 * time.Second}, {Queue: "sales"}}}}}, t0))
	f.Expect([]string{"a", "b", "c"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", 7, nil), t0))
	must(t, f.Apply(report("b", 7, []cluster.AgentReport{avail("x")}), t0))
	must(t, f.Apply(report("c", 7, []cluster.AgentReport{avail("y")}), t0))
	expectDecisions(t, f)

	t1 := t0.Add(time.Second)
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "a/c1", Kind: "queue", Workflow: "lang",
		Arrived: t1, Attributes: map[string]any{"lang": "es"}}}, t1))
	expectDecisions(t, f, "moved>a:a/c1/ ->es", "offer>b:a/c1/x@b", "offer>a:a/c1/x@b")
	f.Advance(t1.Add(3 * time.Second)) // x's offer times out: RONA
	expectDecisions(t, f, "withdraw>b:a/c1/x timeout", "withdraw>a:a/c1/x timeout", "activity>b:/x rona")
	f.Advance(t1.Add(5 * time.Second))
	ds := expectDecisions(t, f, "moved>a:a/c1/ es->sales", "offer>c:a/c1/y@c", "offer>a:a/c1/y@c")
	if ds[1].Queue != "sales" || ds[1].TaskNode != "a" {
		t.Errorf("y's offer %+v: want queue sales, the caller on a", ds[1])
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "c", Agent: "y", Reservation: ds[1].Reservation}, t1.Add(6*time.Second)))
	expectDecisions(t, f, "accepted>c:a/c1/y@c", "accepted>a:a/c1/y@c")

	// No filter matches and no default queue: the caller's node gives the
	// call its fallback.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "a/c2", Kind: "queue", Workflow: "lang",
		Attributes: map[string]any{"lang": "de"}}}, t1.Add(7*time.Second)))
	expectDecisions(t, f, "fallback>a:a/c2/ no_match")
}

// A waiting workflow call keeps its place across a leader change (PROTOCOL
// §13): term 7 moves a/c1 from es to sales (the caller's node learns the
// step and when it entered it); a's report to term 8, 3 s later, carries
// them, and term 8 puts the call in sales, not es, and moves it on to vip
// (where z on node c takes it) when sales' 10 s, counted from the
// escalation under term 7, run out: not 10 s after the rebuild.
func TestFloorWorkflowStepSurvivesRebuild(t *testing.T) {
	floor := func(token int64, at time.Time, waiting ...cluster.TaskFact) *cluster.Floor {
		f := cluster.NewFloor(router.Config{}, token)
		rt := f.Router()
		for _, q := range []router.QueueID{"es", "sales", "vip"} {
			must(t, rt.PutQueue(router.Queue{ID: q}, t0))
		}
		must(t, rt.PutAgent(router.AgentConfig{ID: "z", Queues: []router.QueueID{"vip"}}, t0))
		must(t, rt.PutWorkflow(router.Workflow{ID: "lang", Filters: []router.Filter{{Name: "all",
			Targets: []router.Target{{Queue: "es", Timeout: 5 * time.Second}, {Queue: "sales", Timeout: 10 * time.Second}, {Queue: "vip"}}}}}, t0))
		f.Expect([]string{"a", "c"}, at.Add(2*time.Second))
		must(t, f.Apply(report("a", token, nil, waiting...), at))
		must(t, f.Apply(report("c", token, []cluster.AgentReport{{ID: "z", Connected: true, Activity: "unavailable"}}), at))
		return f
	}
	t1 := t0.Add(time.Second)
	old := floor(7, t0)
	expectDecisions(t, old)
	call := cluster.TaskFact{ID: "a/c1", Kind: "queue", Workflow: "lang", Arrived: t1}
	must(t, old.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &call}, t1))
	expectDecisions(t, old, "moved>a:a/c1/ ->es")
	old.Advance(t1.Add(5 * time.Second))
	ds := expectDecisions(t, old, "moved>a:a/c1/ es->sales")
	if d := ds[0]; d.Step != 1 || !d.Since.Equal(t1.Add(5*time.Second)) {
		t.Fatalf("moved %+v: want step 1 since %v", d, t1.Add(5*time.Second))
	}

	// The leader dies; a reports the call with the step its moved said.
	call.Step, call.StepSince = ds[0].Step, ds[0].Since
	t2 := t1.Add(8 * time.Second)
	f := floor(8, t2, call)
	ds = expectDecisions(t, f, "moved>a:a/c1/ ->sales")
	if d := ds[0]; d.Step != 1 || !d.Since.Equal(call.StepSince) {
		t.Errorf("term 8's moved %+v: want step 1 since %v", d, call.StepSince)
	}
	if at, _ := f.NextDeadline(); !at.Equal(t1.Add(15 * time.Second)) {
		t.Errorf("term 8 escalates at %v, want %v (10 s after the call entered sales)", at, t1.Add(15*time.Second))
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAgent, Node: "c", Agent: "z", Connected: true, Activity: "available"}, t2))
	f.Advance(t1.Add(15*time.Second - time.Millisecond))
	expectDecisions(t, f)
	f.Advance(t1.Add(15 * time.Second))
	expectDecisions(t, f, "moved>a:a/c1/ sales->vip", "offer>c:a/c1/z@c", "offer>a:a/c1/z@c")
}
