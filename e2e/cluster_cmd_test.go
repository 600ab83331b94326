package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
	"switchboard/store"
	"switchboard/view"
)

// hangupOn asks adm to hang up call of node and returns its JSON-RPC
// error (nil: done) and how long the answer took.
func hangupOn(t *testing.T, adm *wstest.Client, node, call string) (*ws.Error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	began := time.Now()
	err := adm.Call(ctx, "call.hangup", map[string]string{"call": call, "node": node}, nil)
	took := time.Since(began)
	if err == nil {
		return nil, took
	}
	e := wstest.RPCError(err)
	if e == nil {
		t.Fatalf("call.hangup %s of %s: %v, want a JSON-RPC answer", call, node, err)
	}
	return e, took
}

// PROTOCOL §13, one floor: a console acts on any node's calls. Three
// gateway binaries on PostgreSQL and Redis (lease 1 s); x on n2 talks to
// n2's caller. n1's console sees the call (node n2) and hangs it up
// with call.hangup {call, node: "n2"}: n2 ends it (the caller gets BYE, x
// is told, the record says admin_hangup). An unknown call of n2 is n2's
// -32002. n2 paused (SIGSTOP): n1's console answers within the bound (2 s,
// the command timeout) with an error naming n2; n2 dead (SIGKILL): at once.
func TestClusterHangupFromAnotherNode(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Capacity: 2, Queues: []string{"sales"}}}, map[string]string{"5000": "queue:sales"})
	})
	n1, n2 := nodes["n1"], nodes["n2"]
	x := loginOnFloor(t, nodes, "n2", "x", toneAgent, "n1")
	c := n2.dial(t, "5000", toneCaller1)
	call := x.accept(t)
	talking(t, "n2's caller with x", c, toneCaller1, x)
	adm := n1.admin(t)
	defer adm.Close()
	waitFor(t, 5*time.Second, "n1's state shows x's call on n2", func() bool {
		var st view.Floor
		adm.MustCall("state", map[string]any{}, &st)
		return slices.ContainsFunc(st.Calls, func(cv view.Call) bool { return cv.ID == call && cv.Node == "n2" && cv.Agent == "x" })
	})

	e, took := hangupOn(t, adm, "n2", call)
	if e != nil {
		t.Fatalf("n1's call.hangup of n2's call %s: %v", call, e)
	}
	t.Logf("n1's console hung up n2's call in %v", took.Round(time.Millisecond))
	c.ended(t, "n2's caller hung up from n1's console", 5*time.Second)
	x.expect(t, 5*time.Second, notif{"call.ended", func(p map[string]any) bool { return p["id"] == call }})
	var recs []struct {
		Call    string `json:"call"`
		Outcome string `json:"outcome"`
	}
	waitFor(t, 5*time.Second, "the call's record", func() bool {
		recs = recs[:0]
		adm.MustCall("records.list", map[string]any{"agent": "x"}, &recs)
		return len(recs) > 0
	})
	if len(recs) != 1 || recs[0].Call != call || !strings.Contains(recs[0].Outcome, "admin_hangup") {
		t.Errorf("records of x: %+v, want one of %s ended by admin_hangup", recs, call)
	}
	if e, _ := hangupOn(t, adm, "n2", call); e == nil || e.Code != ws.CodeNotFound || !strings.Contains(e.Reason, call) {
		t.Errorf("hanging up n2's ended call again: %v, want n2's -32002 naming %s", e, call)
	}
	if e, _ := hangupOn(t, adm, "n9", call); e == nil || e.Code != ws.CodeNotFound || !strings.Contains(e.Reason, "n9") {
		t.Errorf("a call of n9 (no such node): %v, want -32002 naming n9", e)
	}

	// n2 stalls: its subscription is still there, nobody answers.
	c2 := n2.dial(t, "5000", toneCaller2)
	call2 := x.accept(t)
	talking(t, "n2's second caller with x", c2, toneCaller2, x)
	if err := n2.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	e, took = hangupOn(t, adm, "n2", call2)
	t.Logf("n2 stopped: n1's call.hangup answered after %v: %v", took.Round(time.Millisecond), e)
	if e == nil || !strings.Contains(e.Reason, "n2") || took > 2500*time.Millisecond {
		t.Errorf("hang-up of a stopped node's call: %v after %v, want an error naming n2 within 2.5 s", e, took)
	}
	n2.sigkill()
	e, took = hangupOn(t, adm, "n2", call2)
	t.Logf("n2 dead: n1's call.hangup answered after %v: %v", took.Round(time.Millisecond), e)
	if e == nil || !strings.Contains(e.Reason, "n2") || took > 500*time.Millisecond {
		t.Errorf("hang-up of a dead node's call: %v after %v, want an error naming n2 at once", e, took)
	}
}

// floorEvent is one admin event as the stream names it.
type floorEvent struct {
	Node     string         `json:"node"`
	Seq      uint64         `json:"seq"`
	Type     string         `json:"type"`
	Agent    string         `json:"agent"`
	Activity string         `json:"activity"`
	Detail   map[string]any `json:"detail"`
}

// eventsUntil reads adm's event stream until last matches (within 10 s)
// and returns every event read, last included.
func eventsUntil(t *testing.T, adm *wstest.Client, what string, last func(floorEvent) bool) []floorEvent {
	t.Helper()
	var out []floorEvent
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("%s: not on the stream within 10 s; got %+v", what, out)
		}
		var e floorEvent
		decode(t, adm.WaitNotification("event", left).Params, &e)
		out = append(out, e)
		if last(e) {
			return out
		}
	}
}

// PROTOCOL §13, the admin events of the whole floor: three gateway
// binaries on PostgreSQL and Redis. n1's console subscribes; y on n3 and x
// on n1 change their activity: n1's stream has n3's event exactly once,
// with n3's node and seq (as n3's own stream has it), and its own event
// once; the shared journal has n3's event once (a relayed event is not
// journaled again). A configuration change made on n3 shows once on n1's
// stream (n1's own config.changed, not also n3's).
func TestClusterFloorEvents(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2", "n3"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}},
			[]agentSpec{{ID: "x", Ext: "100", Queues: []string{"sales"}}, {ID: "y", Ext: "200", Queues: []string{"sales"}}},
			map[string]string{"5000": "queue:sales"})
	})
	adm1, adm3 := nodes["n1"].admin(t), nodes["n3"].admin(t)
	defer adm1.Close()
	defer adm3.Close()
	adm1.MustCall("subscribe", map[string]any{}, nil)
	adm3.MustCall("subscribe", map[string]any{}, nil)
	y, _ := nodes["n3"].loginOnly(t, "y", toneAgent2)
	x, _ := nodes["n1"].loginOnly(t, "x", toneAgent)
	y.WS.MustCall("activity.set", map[string]string{"activity": "break"}, nil)
	x.WS.MustCall("activity.set", map[string]string{"activity": "break"}, nil)
	isBreak := func(agent string) func(floorEvent) bool {
		return func(e floorEvent) bool {
			return e.Type == "agent.activity" && e.Agent == agent && e.Activity == "break"
		}
	}
	seen := time.Now()
	own := eventsUntil(t, adm3, "y's break on n3's stream", isBreak("y"))
	yb := own[len(own)-1]
	if yb.Node != "n3" || yb.Seq == 0 {
		t.Fatalf("n3's own event %+v, want node n3 and a seq", yb)
	}
	// A marker after both: n3's next event, and n1's (pub/sub keeps each
	// node's order, so a second copy would have come before it).
	y.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	x.WS.MustCall("activity.set", map[string]string{"activity": "available"}, nil)
	var got []floorEvent
	var yMark, xMark bool
	got = eventsUntil(t, adm1, "both markers on n1's stream", func(e floorEvent) bool {
		if e.Type == "agent.activity" && e.Activity == "available" {
			yMark, xMark = yMark || e.Agent == "y", xMark || e.Agent == "x"
		}
		return yMark && xMark
	})
	t.Logf("n3's event on n1's stream within %v", time.Since(seen).Round(time.Millisecond))
	count := map[string]int{}
	for _, e := range got {
		count[e.Node+"/"+e.Type+"/"+e.Agent+"/"+e.Activity]++
		if e.Node == "n3" && e.Type == "agent.activity" && e.Agent == "y" && e.Activity == "break" && e.Seq != yb.Seq {
			t.Errorf("n3's event on n1's stream: seq %d, n3's own stream says %d", e.Seq, yb.Seq)
		}
	}
	if count["n3/agent.activity/y/break"] != 1 || count["n1/agent.activity/x/break"] != 1 {
		t.Errorf("n1's stream: n3's y break %d times, n1's x break %d times, want once each (%+v)",
			count["n3/agent.activity/y/break"], count["n1/agent.activity/x/break"], got)
	}

	// The journal (shared store) has n3's event once.
	n := 0
	waitFor(t, 5*time.Second, "n3's event in the journal", func() bool {
		var journal []floorEvent
		adm1.MustCall("events.list", map[string]any{"agent": "y", "limit": 1000}, &journal)
		n = 0
		for _, e := range journal {
			if e.Node == yb.Node && e.Seq == yb.Seq {
				n++
			}
		}
		return n > 0
	})
	if n != 1 {
		t.Errorf("journal: n3's event seq %d %d times, want once", yb.Seq, n)
	}

	// A change made on n3: one config.changed on n1's stream (n1's own,
	// from the store's notification); n3's, published before the marker
	// that follows, is not relayed.
	nodes["n3"].admin(t).MustCall("queue.put", map[string]any{"id": "support", "name": "Support"}, nil)
	isSupport := func(e floorEvent) bool { return e.Type == "config.changed" && e.Detail["id"] == "support" }
	got = eventsUntil(t, adm1, "the change of support", isSupport)
	y.WS.MustCall("activity.set", map[string]string{"activity": "break"}, nil)
	got = append(got, eventsUntil(t, adm1, "the marker after the change", isBreak("y"))...)
	changed := 0
	for _, e := range got {
		if isSupport(e) {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("n1's stream: config.changed of support %d times, want once (%+v)", changed, got)
	}
}

// taskOn asks adm for method (task.get, task.cancel) on task id of node
// and returns the task, or its JSON-RPC error, and how long it took.
func taskOn(t *testing.T, adm *wstest.Client, method, node, id string) (map[string]any, *ws.Error, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	began := time.Now()
	var got map[string]any
	err := adm.Call(ctx, method, map[string]string{"task": id, "node": node}, &got)
	took := time.Since(began)
	if err == nil {
		return got, nil, took
	}
	e := wstest.RPCError(err)
	if e == nil {
		t.Fatalf("%s %s of %s: %v, want a JSON-RPC answer", method, id, node, err)
	}
	return nil, e, took
}

// PROTOCOL §13, one floor, and §10 tasks: a chat task created with the
// task API on n1 (nobody takes chat: it waits) is in n2's `state` with
// node n1; n2's console cancels it with task.cancel {task, node: "n1"}:
// n1 cancels it (its answer, and n1's GET, say canceled), and n2's stream
// has n1's task.canceled exactly once. Canceling it again is n1's -32003;
// a task of n9 (no such node) is -32002.
func TestClusterTaskCancelFromAnotherNode(t *testing.T) {
	nodes := clusterNodes(t, []string{"n1", "n2"}, func(g *gateway) {
		g.seed(t, []map[string]any{{"id": "sales", "name": "Sales"}, {"id": "chat", "name": "Chat"}},
			[]agentSpec{{ID: "x", Ext: "100", Queues: []string{"sales"}}}, nil)
	})
	n1, n2 := nodes["n1"], nodes["n2"]
	adm := n2.admin(t)
	defer adm.Close()
	adm.MustCall("subscribe", map[string]any{}, nil)
	code, task, _ := apiTasks(t, n1, "POST", "/api/tasks", n1.Token, `{"channel": "chat", "queue": "chat"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST on n1 = %d %v", code, task)
	}
	id := task["id"].(string)
	waitFor(t, 5*time.Second, "n2's state shows n1's task with its node", func() bool {
		var st view.Floor
		adm.MustCall("state", map[string]any{}, &st)
		return slices.ContainsFunc(st.Tasks, func(tv store.Task) bool { return tv.ID == id && tv.Node == "n1" })
	})

	got, e, took := taskOn(t, adm, "task.cancel", "n1", id)
	if e != nil || got["id"] != id || got["state"] != "canceled" || got["node"] != "n1" {
		t.Fatalf("n2's task.cancel of n1's task %s: %v %v, want it canceled on n1", id, got, e)
	}
	t.Logf("n2's console canceled n1's task in %v", took.Round(time.Millisecond))
	if _, obj, _ := apiTasks(t, n1, "GET", "/api/tasks/"+id, n1.Token, ""); obj["state"] != "canceled" {
		t.Errorf("n1's GET /api/tasks/%s = %v, want canceled", id, obj)
	}
	if got, e, _ := taskOn(t, adm, "task.get", "n1", id); e != nil || got["state"] != "canceled" {
		t.Errorf("n2's task.get of n1's task: %v %v, want canceled", got, e)
	}
	if _, e, _ := taskOn(t, adm, "task.cancel", "n1", id); e == nil || e.Code != ws.CodeConflict || !strings.Contains(e.Reason, id) {
		t.Errorf("canceling n1's canceled task again: %v, want n1's -32003 naming %s", e, id)
	}
	if _, e, _ := taskOn(t, adm, "task.cancel", "n9", id); e == nil || e.Code != ws.CodeNotFound || !strings.Contains(e.Reason, "n9") {
		t.Errorf("a task of n9 (no such node): %v, want -32002 naming n9", e)
	}

	// A marker after it: n1's next task (pub/sub keeps n1's order, so a
	// second task.canceled would have come before its task.created).
	code, mark, _ := apiTasks(t, n1, "POST", "/api/tasks", n1.Token, `{"channel": "chat", "queue": "chat"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST on n1 = %d %v", code, mark)
	}
	var evs []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("n1's second task.created not on n2's stream within 10 s; got %v", evs)
		}
		var ev map[string]any
		decode(t, adm.WaitNotification("event", left).Params, &ev)
		evs = append(evs, ev)
		if ev["type"] == "task.created" && ev["task"] == mark["id"] {
			break
		}
	}
	n := 0
	for _, ev := range evs {
		if ev["type"] == "task.canceled" && ev["task"] == id {
			n++
			if ev["node"] != "n1" {
				t.Errorf("task.canceled on n2's stream %v, want n1's", ev)
			}
		}
	}
	if n != 1 {
		t.Errorf("n2's stream had n1's task.canceled of %s %d times, want once (%v)", id, n, evs)
	}
}
