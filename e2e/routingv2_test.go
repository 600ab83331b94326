package e2e

import (
	"testing"
	"time"
)

// PROTOCOL §10 against the binary: a skills-routed call. The queue selects
// its members by target_workers; only the agent whose attributes match is
// offered the call, the reservation carries the call's attributes, and the
// two talk (tones both ways).
func TestSkillsRoutedCallE2E(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "es", "name": "Spanish", "target_workers": `"spanish" in skills and level >= 2`}},
		[]agentSpec{{ID: "a1", Ext: "1001"}, {ID: "a2", Ext: "1002"}}, map[string]string{"5005": "queue:es"})
	adm := g.admin(t)
	adm.MustCall("agent.put", map[string]any{"id": "a1", "attributes": map[string]any{"skills": []string{"english"}, "level": 3}}, nil)
	adm.MustCall("agent.put", map[string]any{"id": "a2", "attributes": map[string]any{"skills": []string{"spanish"}, "level": 3}}, nil)
	var q struct {
		Members []string `json:"members"`
	}
	adm.MustCall("queue.get", map[string]string{"id": "es"}, &q)
	if len(q.Members) != 1 || q.Members[0] != "a2" {
		t.Fatalf("queue.get members %v, want [a2]", q.Members)
	}
	a1 := g.login(t, "a1", toneAgent)
	a2 := g.login(t, "a2", toneAgent2)
	c := g.dial(t, "5005", toneCaller1)
	p := a2.offer(t)
	attrs, _ := p["attributes"].(map[string]any)
	if p["queue"] != "es" || attrs["channel"] != "voice" || attrs["number"] != "5005" {
		t.Fatalf("reservation %v", p)
	}
	a1.noOffer(t, time.Second)
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, nil)
	talking(t, "skills-routed call", c, toneCaller1, a2)
}

// A workflow that escalates after 3 s: the call waits in a queue nobody
// serves, moves to the next target after 3 s (task.moved in the event
// feed), and is offered there.
func TestWorkflowEscalatesE2E(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "es", "name": "Spanish"}, {"id": "sales", "name": "Sales"}},
		[]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"sales"}}}, nil)
	adm := g.admin(t)
	adm.MustCall("workflow.put", map[string]any{"id": "wf", "filters": []any{map[string]any{
		"name": "all", "targets": []any{map[string]any{"queue": "es", "timeout_seconds": 3}, map[string]any{"queue": "sales"}}}}}, nil)
	adm.MustCall("route.put", map[string]string{"number": "5006", "target": "workflow:wf"}, nil)
	adm.MustCall("subscribe", map[string]any{}, nil)
	a1 := g.login(t, "a1", toneAgent)
	start := time.Now()
	c := g.dial(t, "5006", toneCaller1)
	a1.noOffer(t, 2500*time.Millisecond)
	p := a1.offer(t)
	if waited := time.Since(start); waited < 3*time.Second || waited > 6*time.Second {
		t.Fatalf("offered after %v, want just after the 3 s escalation", waited)
	}
	if p["queue"] != "sales" {
		t.Fatalf("offer %v, want from sales", p)
	}
	deadline := time.After(5 * time.Second)
	for moved := false; !moved; {
		select {
		case n := <-adm.Notifications:
			var ev struct {
				Type   string         `json:"type"`
				Detail map[string]any `json:"detail"`
			}
			decode(t, n.Params, &ev)
			moved = ev.Type == "task.moved" && ev.Detail["from_queue"] == "es" && ev.Detail["to_queue"] == "sales"
		case <-deadline:
			t.Fatal("no task.moved event from es to sales")
		}
	}
	a1.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, nil)
	talking(t, "escalated call", c, toneCaller1, a1)
}
