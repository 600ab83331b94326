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
