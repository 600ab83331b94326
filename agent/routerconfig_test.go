package agent

import (
	"slices"
	"testing"
	"time"

	"switchboard/router"
	"switchboard/store"
)

// TestRouterConfig: the stored configuration as the leader's router takes
// it: target_workers membership, a workflow routing by attributes, and a
// second Apply taking out what the store no longer has.
func TestRouterConfig(t *testing.T) {
	now := time.Unix(1000, 0)
	qs := []store.Queue{{ID: "sales"}, {ID: "es", QueueRouting: store.QueueRouting{TargetWorkers: `"spanish" in skills`}}, {ID: "bad", QueueRouting: store.QueueRouting{TargetWorkers: "((("}}}
	as := []store.Agent{
		{ID: "x", Queues: []string{"sales"}, AgentRouting: store.AgentRouting{Attributes: map[string]any{"skills": []any{"spanish"}}}},
		{ID: "y", Queues: []string{"sales"}, Capacity: 3},
	}
	ws := []store.Workflow{{ID: "lang", Filters: []store.WorkflowFilter{
		{Name: "es", Expression: `lang == "es"`, Targets: []store.WorkflowTarget{{Queue: "es", TimeoutSeconds: 5}, {Queue: "sales"}}},
		{Name: "broken", Expression: "(((", Targets: []store.WorkflowTarget{{Queue: "sales"}}},
	}}}
	rc, err := NewRouterConfig(qs, as, ws)
	if err == nil {
		t.Fatal("the target_workers and the filter that do not compile are not named")
	}
	if got := rc.Agents[0].Queues; !slices.Equal(got, []router.QueueID{"sales", "es"}) {
		t.Fatalf("x's membership %v, want [sales es]", got)
	}
	if rc.Agents[0].Capacity != store.DefaultCapacity || rc.Agents[1].Capacity != 3 {
		t.Fatalf("capacities %d %d", rc.Agents[0].Capacity, rc.Agents[1].Capacity)
	}
	if len(rc.Workflows) != 1 || len(rc.Workflows[0].Filters) != 1 {
		t.Fatalf("workflows %+v, want lang with its one good filter", rc.Workflows)
	}
	rt := router.New(router.Config{})
	if err := rc.Apply(rt, now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []router.AgentID{"x", "y"} {
		_ = rt.SetConnected(id, true, now)
		_ = rt.SetActivity(id, router.ActivityAvailable, now)
	}
	if err := rt.AddTask(router.Task{ID: "t1", Kind: router.KindQueue, Workflow: "lang", Arrived: now, Attributes: map[string]any{"lang": "es"}}, now); err != nil {
		t.Fatal(err)
	}
	var offered []router.AgentID
	for _, e := range rt.Drain(nil) {
		if e.Type == router.ReservationCreated {
			offered = append(offered, e.Agent)
		}
	}
	if !slices.Equal(offered, []router.AgentID{"x"}) {
		t.Fatalf("offered to %v, want x (the only member of es)", offered)
	}
	rc2, _ := NewRouterConfig(qs[:1], as[1:], nil)
	if err := rc2.Apply(rt, now); err != nil {
		t.Fatal(err)
	}
	if len(rt.Workflows()) != 0 || len(rt.Agents()) != 1 || len(rt.Queues()) != 1 {
		t.Fatalf("after the second Apply: workflows %v, %d agents, %d queues; want none, 1, 1", rt.Workflows(), len(rt.Agents()), len(rt.Queues()))
	}
}
