package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// PROTOCOL §13 "one router" and §10 workflows: the leader's router applies
// the workflow. Three binaries; workflow lang sends every call to queue es,
// whose target_workers only y (on n2, skills spanish, no listed queue)
// satisfies. A call into the workflow on n1 is offered to y with the
// leader's reservation and talks across n1 → n2; x, logged in on n1 and a
// member of sales only, is offered nothing.
func TestClusterWorkflowCall(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "es", "name": "Spanish", "target_workers": `"spanish" in skills`}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 1, Queues: []string{"sales"}}}, nil)
		adm := g.admin(t)
		defer adm.Close()
		adm.MustCall("agent.put", map[string]any{"id": "y", "name": "Agent y", "extension": "200", "password": "pw-y", "queues": []string{},
			"capacity": 1, "attributes": map[string]any{"skills": []string{"spanish"}}}, nil)
		adm.MustCall("workflow.put", map[string]any{"id": "lang", "filters": []any{map[string]any{
			"name": "all", "targets": []any{map[string]any{"queue": "es"}}}}}, nil)
		adm.MustCall("route.put", map[string]string{"number": "5020", "target": "workflow:lang"}, nil)
	})
	x := loginOnFloor(t, nodes, "n1", "x", toneAgent, "n3")
	y := loginOnFloor(t, nodes, "n2", "y", toneAgent2, "n3")
	term := clusterOf(t, nodes["n1"]).Token

	start := time.Now()
	c := nodes["n1"].dial(t, "5020", toneCaller1)
	y.acceptFloor(t, term)
	offered := time.Since(start)
	talking(t, "n1's workflow call with y on n2", c, toneCaller1, y)
	t.Logf("workflow call on n1: answered and offered to y on n2 after %v, talking both ways after %v", offered.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	x.noOffer(t, 300*time.Millisecond)
}

// PROTOCOL §13 "one router" and §10 tasks: a chat task created with the
// task API on n1 reaches z, whose only node is n3 (x on n1 is not a member
// of chat): the offer is the leader's, carries the task, z's accept
// assigns it on n1 too (GET on n1 says assigned to z), and z's task.complete
// on n3 completes it on n1, which keeps its record.
func TestClusterTaskAcrossNodes(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "chat", "name": "Chat"}},
			[]agentSpec{{ID: "x", Ext: "100", Queues: []string{"sales"}}, {ID: "z", Ext: "300", Queues: []string{"chat"}}}, nil)
	})
	x := loginOnFloor(t, nodes, "n1", "x", toneAgent, "n2")
	z := loginOnFloor(t, nodes, "n3", "z", toneAgent3, "n2")
	term := clusterOf(t, nodes["n1"]).Token

	n1 := nodes["n1"]
	start := time.Now()
	code, task, _ := apiTasks(t, n1, "POST", "/api/tasks", n1.Token, `{"channel": "chat", "queue": "chat", "attributes": {"customer": "Ann"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST on n1 = %d %v", code, task)
	}
	id := task["id"].(string)
	p := z.offer(t)
	ptask, _ := p["task"].(map[string]any)
	attrs, _ := p["attributes"].(map[string]any)
	if p["kind"] != "task" || ptask["id"] != id || attrs["customer"] != "Ann" {
		t.Fatalf("z's offer %v, want n1's task %s", p, id)
	}
	floorRes(t, p["id"].(string), term)
	offered := time.Since(start)
	var accepted map[string]any
	z.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, &accepted)
	if accepted["id"] != id || accepted["state"] != "assigned" || accepted["agent"] != "z" {
		t.Fatalf("reservation.accept on n3 = %v, want the assigned task", accepted)
	}
	state := func() (string, any) {
		_, obj, _ := apiTasks(t, n1, "GET", "/api/tasks/"+id, n1.Token, "")
		return fmt.Sprint(obj["state"]), obj["agent"]
	}
	waitFor(t, 5*time.Second, "the task assigned to z on n1", func() bool { s, a := state(); return s == "assigned" && a == "z" })
	assigned := time.Since(start)
	var done map[string]any
	completing := time.Now()
	z.WS.MustCall("task.complete", map[string]string{"task": id}, &done)
	if done["state"] != "completed" {
		t.Fatalf("task.complete on n3 = %v", done)
	}
	waitFor(t, 5*time.Second, "the task completed on n1", func() bool { s, _ := state(); return s == "completed" })
	t.Logf("task created on n1: offered to z on n3 after %v, assigned on n1 after %v; completed on n1 %v after z's task.complete",
		offered.Round(time.Millisecond), assigned.Round(time.Millisecond), time.Since(completing).Round(time.Millisecond))
	x.noOffer(t, 300*time.Millisecond)
}

// PROTOCOL §13 "the leader dies … no agent is ever offered more than
// section 5 allows" with §10 tasks: z on n3 holds a blocking chat task of
// n2 (accepted under n1's term) when the leader n1 is SIGKILLed. The new
// term counts that task against z (n3's report has it): a second chat task
// created on n2 is not offered to z while it holds the first; z's
// task.complete on n3 under the new term completes the first on n2, and
// then z is offered the second. Without n3 reporting the task, the new
// term offers z the second at once (n3 refuses it: z is then excluded from
// it for good) and n2 never learns that the first was completed.
func TestClusterTaskSurvivesLeaderLoss(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "chat", "name": "Chat"}},
			[]agentSpec{{ID: "z", Ext: "300", Queues: []string{"chat"}}}, nil)
	})
	z := loginOnFloor(t, nodes, "n3", "z", toneAgent3, "n2")
	term := clusterOf(t, nodes["n1"]).Token
	n2 := nodes["n2"]
	post := func() string {
		t.Helper()
		code, task, _ := apiTasks(t, n2, "POST", "/api/tasks", n2.Token, `{"channel": "chat", "queue": "chat"}`)
		if code != http.StatusCreated {
			t.Fatalf("POST on n2 = %d %v", code, task)
		}
		return task["id"].(string)
	}
	state := func(id string) string {
		_, obj, _ := apiTasks(t, n2, "GET", "/api/tasks/"+id, n2.Token, "")
		return fmt.Sprint(obj["state"], "/", obj["agent"])
	}
	accept := func(id string, term int64) {
		t.Helper()
		p := z.offer(t)
		if ptask, _ := p["task"].(map[string]any); ptask["id"] != id {
			t.Fatalf("z's offer %v, want n2's task %s", p, id)
		}
		floorRes(t, p["id"].(string), term)
		var accepted map[string]any
		z.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, &accepted)
		waitFor(t, 5*time.Second, id+" assigned to z on n2", func() bool { return state(id) == "assigned/z" })
	}
	first := post()
	accept(first, term)

	killed := time.Now()
	nodes["n1"].sigkill() // the leader
	var next clusterView
	waitFor(t, 5*time.Second, "a new leader", func() bool {
		next = clusterOf(t, n2)
		return next.Token > term && next.Leader != "" && next.Leader != "n1"
	})
	waitFor(t, 5*time.Second, "the new term's floor rebuilt", func() bool {
		f := clusterOf(t, n2).Floor
		if f == nil || !f.Ready || f.Token != next.Token {
			return false
		}
		n, _ := onFloor(t, n2, "z")
		return n == "n3"
	})
	rebuilt := time.Since(killed)
	second := post()
	z.noOffer(t, time.Second) // z holds a blocking task
	if s := state(second); s != "pending/<nil>" {
		t.Errorf("the second task on n2 is %s while z holds the first, want pending", s)
	}
	completing := time.Now()
	var done map[string]any
	z.WS.MustCall("task.complete", map[string]string{"task": first}, &done)
	if done["state"] != "completed" {
		t.Fatalf("task.complete on n3 = %v", done)
	}
	waitFor(t, 5*time.Second, "the first task completed on n2", func() bool { return state(first) == "completed/z" })
	learned := time.Since(completing)
	accept(second, next.Token)
	t.Logf("SIGKILL of leader n1 (term %d): %s leads term %d, floor rebuilt after %v; z's task.complete under it reached n2 after %v; z offered the second task %v after the completion",
		term, next.Leader, next.Token, rebuilt.Round(time.Millisecond), learned.Round(time.Millisecond), time.Since(completing).Round(time.Millisecond))
}

// PROTOCOL §13 and §10 escalation across a leader's loss: workflow lang
// keeps a call in queue es (no agent) for 4 s, then in sales, where y (on
// n3) takes it. A call on n2 waits in es when the leader n1 is SIGKILLed;
// the new term rebuilt from n2's report keeps it in es with the time it
// entered it, so it escalates 4 s after it arrived, not 4 s after the
// rebuild (which restarted the workflow from its first target before).
func TestClusterWorkflowStepSurvivesLeaderLoss(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "es", "name": "Spanish"}},
			[]agentSpec{{ID: "y", Ext: "200", Capacity: 1, Queues: []string{"sales"}}}, nil)
		adm := g.admin(t)
		defer adm.Close()
		adm.MustCall("workflow.put", map[string]any{"id": "lang", "filters": []any{map[string]any{
			"name": "all", "targets": []any{map[string]any{"queue": "es", "timeout_seconds": 4}, map[string]any{"queue": "sales"}}}}}, nil)
		adm.MustCall("route.put", map[string]string{"number": "5020", "target": "workflow:lang"}, nil)
	})
	y := loginOnFloor(t, nodes, "n3", "y", toneAgent3, "n2")
	term := clusterOf(t, nodes["n1"]).Token
	n2 := nodes["n2"]

	start := time.Now()
	c := n2.dial(t, "5020", toneCaller1)
	waitFor(t, 5*time.Second, "the call waiting on the floor", func() bool { f := clusterOf(t, n2).Floor; return f != nil && f.Waiting == 1 })
	nodes["n1"].sigkill() // the leader
	var next clusterView
	waitFor(t, 5*time.Second, "the new term's floor rebuilt with the call", func() bool {
		next = clusterOf(t, n2)
		f := next.Floor
		return next.Token > term && next.Leader != "n1" && f != nil && f.Ready && f.Token == next.Token && f.Waiting == 1
	})
	rebuilt := time.Since(start)
	y.acceptFloor(t, next.Token)
	offered := time.Since(start)
	t.Logf("workflow call on n2, leader n1 SIGKILLed while it waited in es: floor of term %d rebuilt %v after the dial; the call escalated to sales and was offered to y on n3 %v after the dial (%v after the rebuild)",
		next.Token, rebuilt.Round(time.Millisecond), offered.Round(time.Millisecond), (offered - rebuilt).Round(time.Millisecond))
	if offered < 3800*time.Millisecond || offered > 4900*time.Millisecond {
		t.Errorf("offered to y %v after the dial, want about 4 s (es's timeout from the call's arrival)", offered)
	}
	talking(t, "n2's workflow call with y on n3", c, toneCaller1, y)
}

// PROTOCOL §5 wrap-up and §13 "one router": y on n2 ends a call of queue
// support (wrapup_seconds 60) that the leader n1 routed to it. n2 shows the
// wrap-up (agent.updated wrapup: true), the leader offers y nothing while
// it lasts, and y's wrapup.done ends it on the leader too (the wrapup_done
// fact): the waiting call is offered to y at once, not 60 s later. Without
// the change y sees no wrap-up, and its wrapup.done frees nobody.
func TestClusterWrapupOfFloorCall(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "support", "name": "Support", "wrapup_seconds": 60}},
			[]agentSpec{{ID: "y", Ext: "200", Queues: []string{"support"}}}, map[string]string{"5030": "queue:support"})
	})
	y := loginOnFloor(t, nodes, "n2", "y", toneAgent2, "n1")
	term := clusterOf(t, nodes["n1"]).Token
	n2 := nodes["n2"]

	c := n2.dial(t, "5030", toneCaller1)
	call := y.acceptFloor(t, term)
	talking(t, "the support call with y", c, toneCaller1, y)
	y.callOp(t, "call.hangup", call)
	y.expect(t, 5*time.Second, notif{"agent.updated", field("wrapup", "true")})
	n2.dial(t, "5030", toneCaller2)
	y.noOffer(t, time.Second) // the leader holds y in wrap-up
	done := time.Now()
	y.WS.MustCall("wrapup.done", map[string]string{}, nil)
	res, _ := y.reservation(t)
	floorRes(t, res, term)
	t.Logf("y on n2 offered the waiting call %v after its wrapup.done (wrap-up 60 s)", time.Since(done).Round(time.Millisecond))
}
