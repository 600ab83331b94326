package cluster_test

import (
	"testing"
	"time"

	"switchboard/cluster"
	"switchboard/router"
)

// taskFloor is a floor of term 7 with queues chat (simultaneous_tasks) and
// sales, agent x (both, chat capacity 2, one non-blocking task at a time)
// on node b and node a with no agent.
func taskFloor(t *testing.T) *cluster.Floor { return taskFloorOf(t, 7, avail("x")) }

// taskFloorOf is taskFloor of term token, rebuilt from b's report of x.
func taskFloorOf(t *testing.T, token int64, x cluster.AgentReport) *cluster.Floor {
	t.Helper()
	f := cluster.NewFloor(router.Config{}, token)
	rt := f.Router()
	must(t, rt.PutQueue(router.Queue{ID: "chat", Simultaneous: true}, t0))
	must(t, rt.PutQueue(router.Queue{ID: "sales"}, t0))
	must(t, rt.PutAgent(router.AgentConfig{ID: "x", Capacity: 2, Queues: []router.QueueID{"chat", "sales"},
		Channels: map[string]int{"chat": 2}, MaxNonBlocking: 1}, t0))
	f.Expect([]string{"a", "b"}, t0.Add(2*time.Second))
	must(t, f.Apply(report("a", token, nil), t0))
	must(t, f.Apply(report("b", token, []cluster.AgentReport{x}), t0))
	expectDecisions(t, f)
	return f
}

func chat(id string, nonBlocking bool) *cluster.TaskFact {
	return &cluster.TaskFact{ID: id, Kind: "queue", Queue: "chat", Channel: "chat", NonBlocking: nonBlocking,
		Attributes: map[string]any{"channel": "chat", "customer": "Ann"}}
}

// A chat task created on node a is offered to x on node b: the offer
// carries the task (b has nothing of it) and its channel (nothing is
// bridged); x's accept from b, its completion from b, and a's cancel of
// an accepted one each reach both nodes.
func TestFloorTaskAcrossNodes(t *testing.T) {
	f := taskFloor(t)
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: chat("a/tk1", false)}, t0.Add(time.Second)))
	ds := expectDecisions(t, f, "offer>b:a/tk1/x@b", "offer>a:a/tk1/x@b")
	if d := ds[0]; d.Channel != "chat" || d.Spec == nil || d.Spec.Attributes["customer"] != "Ann" || d.Spec.Channel != "chat" {
		t.Fatalf("offer %+v spec %+v: want channel chat and the task", d, d.Spec)
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "b", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(2*time.Second)))
	ds = expectDecisions(t, f, "accepted>b:a/tk1/x@b", "accepted>a:a/tk1/x@b")
	if ds[1].Channel != "chat" {
		t.Errorf("accepted %+v without the channel: the caller's node would bridge it", ds[1])
	}
	// Only its agent's node completes it.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "a", Task: &cluster.TaskFact{ID: "a/tk1"}}, t0.Add(3*time.Second)))
	expectDecisions(t, f)
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "a/tk1"}}, t0.Add(3*time.Second)))
	expectDecisions(t, f, "done>b:a/tk1/x completed", "done>a:a/tk1/x completed")

	// Its node cancels an accepted task: x's node is told.
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: chat("a/tk2", false)}, t0.Add(4*time.Second)))
	ds = expectDecisions(t, f, "offer>b:a/tk2/x@b", "offer>a:a/tk2/x@b")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "b", Agent: "x", Reservation: ds[0].Reservation}, t0.Add(5*time.Second)))
	expectDecisions(t, f, "accepted>b:a/tk2/x@b", "accepted>a:a/tk2/x@b")
	must(t, f.Apply(cluster.Fact{Type: cluster.FactCancel, Node: "a", Task: &cluster.TaskFact{ID: "a/tk2"}}, t0.Add(6*time.Second)))
	expectDecisions(t, f, "done>b:a/tk2/x canceled", "done>a:a/tk2/x canceled")
	if s, _ := f.Router().Agent("x"); s.Work != 0 {
		t.Errorf("x holds %d after both tasks ended", s.Work)
	}
}

// PROTOCOL §5 and §10 on the leader's floor, a call and tasks of x on
// node b: with a non-blocking chat x still gets a queue call (rule 3), but
// not a second non-blocking chat (max_nonblocking 1); holding the call, x
// gets no blocking chat (rule 2); once the call and the first chat end,
// both waiting chats are offered to x (chat capacity 2; an offer is not
// work yet).
func TestFloorTaskCapacityWithCall(t *testing.T) {
	f := taskFloor(t)
	accept := func(d cluster.Decision, at time.Time) {
		t.Helper()
		must(t, f.Apply(cluster.Fact{Type: cluster.FactAccept, Node: "b", Agent: "x", Reservation: d.Reservation}, at))
		f.Drain(nil)
	}
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: chat("a/tk1", true)}, t0.Add(time.Second)))
	accept(expectDecisions(t, f, "offer>b:a/tk1/x@b", "offer>a:a/tk1/x@b")[0], t0.Add(time.Second))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: chat("a/tk2", true)}, t0.Add(2*time.Second)))
	expectDecisions(t, f) // max_nonblocking 1
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "a/c1", Kind: "queue", Queue: "sales"}}, t0.Add(3*time.Second)))
	accept(expectDecisions(t, f, "offer>b:a/c1/x@b", "offer>a:a/c1/x@b")[0], t0.Add(3*time.Second))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: chat("a/tk3", false)}, t0.Add(4*time.Second)))
	expectDecisions(t, f) // x holds a call: blocking work
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "a/tk1"}}, t0.Add(5*time.Second)))
	expectDecisions(t, f, "done>b:a/tk1/x completed", "done>a:a/tk1/x completed") // still on the call
	must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "a/c1"}}, t0.Add(6*time.Second)))
	expectDecisions(t, f, "offer>b:a/tk2/x@b", "offer>a:a/tk2/x@b", "offer>b:a/tk3/x@b", "offer>a:a/tk3/x@b")
}

// A new term rebuilt from the reports (PROTOCOL §13): x on node b holds a
// chat task of node a, accepted under the old term. The new term counts it
// against x (§5, §10): while x holds a blocking chat it is offered neither
// a chat nor a queue call; holding a non-blocking one, a call but no
// second non-blocking chat (max_nonblocking 1). x's completion from b
// ends it on both nodes and frees x for the waiting work; a's cancel
// ends it on both too.
func TestFloorRebuildCountsAssignedTasks(t *testing.T) {
	held := func(nonBlocking bool) cluster.AgentReport {
		a := avail("x")
		a.Tasks = []cluster.TaskReport{{TaskFact: *chat("a/tk1", nonBlocking), Node: "a"}}
		return a
	}
	for _, tc := range []struct {
		name        string
		nonBlocking bool
		before      []string // offers while x holds a/tk1
		after       []string // once it is completed
	}{
		{"blocking", false, nil, []string{"offer>b:a/tk2/x@b", "offer>a:a/tk2/x@b"}},
		{"non-blocking", true, []string{"offer>b:a/c1/x@b", "offer>a:a/c1/x@b"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := taskFloorOf(t, 8, held(tc.nonBlocking))
			if s, _ := f.Router().Agent("x"); s.Held["chat"] != 1 || s.Tasks != 1 {
				t.Fatalf("x after the rebuild %+v: want a/tk1 held", s)
			}
			t1 := t0.Add(time.Second)
			must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: chat("a/tk2", tc.nonBlocking)}, t1))
			must(t, f.Apply(cluster.Fact{Type: cluster.FactTask, Node: "a", Task: &cluster.TaskFact{ID: "a/c1", Kind: "queue", Queue: "sales"}}, t1))
			expectDecisions(t, f, tc.before...)
			must(t, f.Apply(cluster.Fact{Type: cluster.FactEnded, Node: "b", Task: &cluster.TaskFact{ID: "a/tk1"}}, t1.Add(time.Second)))
			expectDecisions(t, f, append([]string{"done>b:a/tk1/x completed", "done>a:a/tk1/x completed"}, tc.after...)...)
		})
	}

	// The owner's cancel of a rebuilt task reaches x's node.
	f := taskFloorOf(t, 8, held(false))
	must(t, f.Apply(cluster.Fact{Type: cluster.FactCancel, Node: "a", Task: &cluster.TaskFact{ID: "a/tk1"}}, t0.Add(time.Second)))
	expectDecisions(t, f, "done>b:a/tk1/x canceled", "done>a:a/tk1/x canceled")
}
