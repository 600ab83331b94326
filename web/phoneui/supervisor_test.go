package phoneui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/webtest"
)

// floorAgent is an agent of the fake floor (the admin state's shape).
func floorAgent(id, name, ext, activity string, connected, wrapup bool, calls ...map[string]any) map[string]any {
	if calls == nil {
		calls = []map[string]any{}
	}
	return map[string]any{"id": id, "name": name, "extension": ext, "activity": activity, "capacity": 2, "load": len(calls),
		"connected": connected, "wrapup": wrapup, "queues": []string{"sales"}, "calls": calls, "reservations": []any{}}
}

// floorCall is a live call of agent on the fake floor, answered ago.
func floorCall(id, agent, state, remote, name, queue string, ago time.Duration) map[string]any {
	now := time.Now()
	return map[string]any{"id": id, "agent": agent, "state": state, "muted": false, "direction": "inbound", "kind": "queue",
		"remote": remote, "caller_name": name, "queue": queue, "started_at": stamp(now.Add(-ago - 20*time.Second)),
		"answered_at": stamp(now.Add(-ago)), "merged_with": []any{}, "recording": "off"}
}

// newFloor is the fake's floor: the supervisor (a1) idle, Bob talking
// (k1), Cara holding (k2), Dan available, Eve on a break, Finn offline,
// Gus in wrap-up; sales with two callers waiting, support with none.
func newFloor() map[string]any {
	k1 := floorCall("k1", "b1", "active", "+15550001", "Grace Hopper", "sales", 40*time.Second)
	k2 := floorCall("k2", "b2", "held", "+15550002", "", "support", 90*time.Second)
	return map[string]any{
		"agents": []map[string]any{
			floorAgent("a1", "Alice", "1001", "available", true, false),
			floorAgent("b1", "Bob", "2001", "available", true, false, k1),
			floorAgent("b2", "Cara", "2002", "available", true, false, k2),
			floorAgent("b3", "Dan", "2003", "available", true, false),
			floorAgent("b4", "Eve", "2004", "break", true, false),
			floorAgent("b5", "Finn", "2005", "offline", false, false),
			floorAgent("b6", "Gus", "2006", "available", true, true),
		},
		"queues": []map[string]any{
			{"id": "sales", "name": "Sales line", "waiting": 2, "longest_wait_since": stamp(time.Now().Add(-45 * time.Second)),
				"longest_wait_seconds": 45, "idle_agents": 1, "busy_agents": 1},
			{"id": "support", "name": "Support", "waiting": 0, "longest_wait_seconds": 0, "idle_agents": 0, "busy_agents": 1},
		},
		"calls": []map[string]any{k1, k2}, "parked": []any{}, "tasks": []any{},
	}
}

// handleFloor answers floor.subscribe (the floor's state, supervisors
// only), call.monitor and call.monitor.stop, each change followed by the
// floor event call.monitored, under f.mu.
func (f *fakeGateway) handleFloor(c *fakeConn, method string, p map[string]any) (any, *rpcError, func(), bool) {
	str := func(k string) string { s, _ := p[k].(string); return s }
	sup := f.agent["role"] == "supervisor"
	refuse := func(what string) (any, *rpcError, func(), bool) {
		return nil, &rpcError{Code: -32003, Message: "conflict", Data: map[string]any{"reason": "only a supervisor may " + what}}, nil, true
	}
	monitored := func(call, mode string) func() {
		return func() {
			c.Notify("event", map[string]any{"type": "call.monitored", "at": stamp(time.Now()), "call": call, "agent": "b1",
				"detail": map[string]any{"supervisor": "a1", "mode": mode}})
		}
	}
	switch method {
	case "floor.subscribe":
		if !sup {
			return refuse("subscribe to the floor")
		}
		if f.floor == nil {
			f.floor = newFloor()
		}
		b, err := json.Marshal(f.floor) // a copy: the test may change the floor meanwhile
		if err != nil {
			f.t.Error(err)
		}
		return json.RawMessage(b), nil, nil, true
	case "call.monitor":
		if !sup {
			return refuse("monitor calls")
		}
		mode := str("mode")
		if mode != "listen" && mode != "whisper" && mode != "barge" {
			return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "mode: bad"}}, nil, true
		}
		return map[string]any{"call": str("call"), "mode": mode}, nil, monitored(str("call"), mode), true
	case "call.monitor.stop":
		return map[string]any{}, nil, monitored(str("call"), "off"), true
	}
	return nil, nil, nil, false
}

// changeFloor edits the fake floor under its lock.
func (f *fakeGateway) changeFloor(edit func(fl map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.floor == nil {
		f.floor = newFloor()
	}
	edit(f.floor)
}

// supervisorPage logs a1 in (as a supervisor when sup) and rejects the
// fake's two opening offers.
func supervisorPage(t *testing.T, sup bool) (context.Context, *fakeGateway, func(string)) {
	t.Helper()
	ctx, srv, fake := startPhone(t, "")
	if sup {
		fake.agent["role"] = "supervisor"
	}
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#side-panels').outerHTML`, `document.querySelector('#status').innerText`, `document.querySelector('#toasts').outerHTML`)
	}
	loginPhone(t, ctx, srv.URL+"/")
	wait(`document.querySelectorAll('#toasts .toast').length === 2`)
	// One at a time, as a user does: r2's toast moves up when r1's goes, and
	// a click aimed while it moved landed beside it (once on a loaded CI
	// machine, and r2 kept ringing).
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.reject`)
	wait(`document.querySelectorAll('#toasts .toast').length === 1`)
	webtest.Click(t, ctx, `.toast[data-reservation="r2"] button.reject`)
	wait(`document.querySelectorAll('#toasts .toast').length === 0`)
	return ctx, fake, wait
}

// TestFloorPanelHiddenForAgents: an agent who is not a supervisor sees no
// floor panel, and the page never asks floor.subscribe.
func TestFloorPanelHiddenForAgents(t *testing.T) {
	ctx, fake, wait := supervisorPage(t, false)
	wait(`!document.querySelector('#panel-voicemail').hidden && document.querySelector('#panel-floor').hidden`)
	if webtest.Eval[bool](t, ctx, `document.querySelector('#panel-floor').checkVisibility()`) {
		t.Error("floor panel visible to an agent")
	}
	if n := len(fake.find("floor.subscribe")); n != 0 {
		t.Errorf("floor.subscribe sent %d times for an agent", n)
	}
	if n := len(fake.find("reservation.reject")); n != 2 { // what happened after login reached the fake
		t.Fatalf("rejects = %d", n)
	}
}

// TestFloorPanel (issue 16): a supervisor's softphone shows the floor from
// floor.subscribe (queues with waiting and longest wait, agents by activity
// with their calls); Listen, Whisper and Barge send call.monitor with that
// mode, switch on the fly, move to another call (stopping the first), and
// Stop sends call.monitor.stop; the monitoring (call and mode) shows on top;
// floor events refresh the state (coalesced), and a call.monitored "off"
// (the call ended) clears it; axe finds nothing serious.
func TestFloorPanel(t *testing.T) {
	ctx, fake, wait := supervisorPage(t, true)
	wait(`document.querySelector('#panel-floor').checkVisibility() && document.querySelector('#panel-floor').open`)
	wait(`document.querySelectorAll('#sup-agents .sup-agent').length === 7`)
	if n := len(fake.find("floor.subscribe")); n != 1 {
		t.Errorf("floor.subscribe sent %d times at login, want 1", n)
	}

	// Queues: waiting and the longest wait (a live timer).
	sales := webtest.Eval[string](t, ctx, `document.querySelector('#sup-queues .sup-queue[data-queue="sales"]').innerText`)
	for _, want := range []string{"Sales line", "2 waiting", "longest 00:4", "1 idle", "1 busy"} {
		if !strings.Contains(sales, want) {
			t.Errorf("sales row %q lacks %q", sales, want)
		}
	}
	if !strings.Contains(webtest.Eval[string](t, ctx, `document.querySelector('#sup-queues .sup-queue[data-queue="support"]').innerText`), "0 waiting") {
		t.Error("support row lacks 0 waiting")
	}
	// Agents grouped by activity, in order, each with its calls.
	groups := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#sup-agents .sup-group')].map(g => g.dataset.group + ':' + [...g.querySelectorAll('.sup-agent')].map(a => a.dataset.agent).join(','))`)
	if want := []string{"on-call:b1,b2", "wrapup:b6", "available:a1,b3", "break:b4", "offline:b5"}; fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("groups = %v, want %v", groups, want)
	}
	bob := webtest.Eval[string](t, ctx, `document.querySelector('.sup-agent[data-agent="b1"]').innerText`)
	for _, want := range []string{"Bob", "ext 2001", "Grace Hopper", "Sales line", "talking", "00:4"} {
		if !strings.Contains(bob, want) {
			t.Errorf("Bob's row %q lacks %q", bob, want)
		}
	}
	if !strings.Contains(webtest.Eval[string](t, ctx, `document.querySelector('.sup-call[data-call="k2"]').innerText`), "on hold") {
		t.Error("Cara's held call not shown on hold")
	}
	if n := webtest.Eval[int](t, ctx, `document.querySelectorAll('.sup-agent[data-agent="a1"] button').length`); n != 0 {
		t.Errorf("the supervisor's own row has %d buttons", n)
	}
	wait(`document.querySelector('#sup-monitoring').innerText.includes('not monitoring')`)

	k1 := `.sup-call[data-call="k1"]`
	monitorReqs := func() []string {
		var out []string
		for _, r := range fake.requests2("call.monitor", "call.monitor.stop") {
			out = append(out, fmt.Sprintf("%s %v %v", r.Method, r.Params["call"], r.Params["mode"]))
		}
		return out
	}
	// Listen, then Barge on the fly.
	webtest.Click(t, ctx, k1+" button.monitor-listen")
	wait(`document.body.dataset.monitoring === 'k1' && document.body.dataset.monitorMode === 'listen'`)
	wait(`document.querySelector('#sup-monitoring').dataset.mode === 'listen' && document.querySelector('#sup-monitoring').innerText.includes("Listening to Bob's call with Grace Hopper")`)
	wait(`document.querySelector('` + k1 + ` button.monitor-listen').getAttribute('aria-pressed') === 'true' && !!document.querySelector('` + k1 + ` button.monitor-stop')`)
	webtest.Screenshot(t, ctx, "supervisor-listen")
	webtest.Click(t, ctx, k1+" button.monitor-barge")
	wait(`document.body.dataset.monitorMode === 'barge' && document.querySelector('#sup-monitoring').innerText.includes("Barged into Bob's call")`)
	wait(`document.querySelector('` + k1 + ` button.monitor-listen').getAttribute('aria-pressed') === 'false' && document.querySelector('` + k1 + ` button.monitor-barge').getAttribute('aria-pressed') === 'true'`)
	// Whisper from the monitoring box on top.
	webtest.Click(t, ctx, "#sup-monitoring button.monitor-whisper")
	wait(`document.body.dataset.monitorMode === 'whisper' && document.querySelector('#sup-monitoring').innerText.includes("Whispering to Bob's call")`)
	webtest.AxeClean(t, ctx, "while monitoring")
	webtest.Screenshot(t, ctx, "supervisor-whisper")
	webtest.Do(t, ctx, chromedp.EmulateViewport(1300, 900)) // the side column (README "Side panels")
	webtest.Screenshot(t, ctx, "supervisor-whisper-wide")
	// Another call: the first is stopped, then the second monitored.
	webtest.Click(t, ctx, `.sup-call[data-call="k2"] button.monitor-listen`)
	wait(`document.body.dataset.monitoring === 'k2' && document.body.dataset.monitorMode === 'listen'`)
	wait(`!document.querySelector('` + k1 + ` button.monitor-stop') && !!document.querySelector('.sup-call[data-call="k2"] button.monitor-stop')`)
	// Stop.
	webtest.Click(t, ctx, `.sup-call[data-call="k2"] button.monitor-stop`)
	wait(`document.body.dataset.monitoring === '' && document.querySelector('#sup-monitoring').innerText.includes('not monitoring')`)
	want := []string{"call.monitor k1 listen", "call.monitor k1 barge", "call.monitor k1 whisper", "call.monitor.stop k1 <nil>",
		"call.monitor k2 listen", "call.monitor.stop k2 <nil>"}
	if got := monitorReqs(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests = %v\nwant %v", got, want)
	}

	// Live: a burst of floor events is one or two refreshes, and the page
	// shows the new floor (Dan on a call, three waiting in sales).
	before := len(fake.find("floor.subscribe"))
	fake.changeFloor(func(fl map[string]any) {
		ags := fl["agents"].([]map[string]any)
		ags[3]["calls"] = []map[string]any{floorCall("k3", "b3", "active", "+15550003", "Ada", "sales", time.Second)}
		fl["queues"].([]map[string]any)[0]["waiting"] = 3
	})
	for i := range 30 {
		fake.notifyAll("event", map[string]any{"type": "call.answered", "at": stamp(time.Now()), "call": fmt.Sprintf("x%d", i)})
	}
	wait(`!!document.querySelector('.sup-group[data-group="on-call"] .sup-agent[data-agent="b3"] .sup-call[data-call="k3"] button.monitor-barge')`)
	wait(`document.querySelector('.sup-queue[data-queue="sales"]').dataset.waiting === '3' && document.querySelector('#panel-floor summary').innerText === 'Floor (3 waiting)'`)
	if n := len(fake.find("floor.subscribe")) - before; n < 1 || n > 3 {
		t.Errorf("30 events gave %d floor.subscribe requests, want 1 to 3", n)
	}

	// The monitored call ends: the gateway's call.monitored off clears it.
	webtest.Click(t, ctx, k1+" button.monitor-listen")
	wait(`document.body.dataset.monitoring === 'k1'`)
	fake.changeFloor(func(fl map[string]any) {
		fl["agents"].([]map[string]any)[1]["calls"] = []map[string]any{}
	})
	fake.notifyAll("event", map[string]any{"type": "call.monitored", "at": stamp(time.Now()), "call": "k1", "agent": "b1",
		"detail": map[string]any{"supervisor": "a1", "mode": "off"}})
	wait(`document.body.dataset.monitoring === '' && !document.querySelector('.sup-call[data-call="k1"]')`)
	wait(`document.querySelector('.sup-agent[data-agent="b1"]').closest('.sup-group').dataset.group === 'available'`)
}

// requests2 are the requests of either method, in order.
func (f *fakeGateway) requests2(methods ...string) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.requests {
		for _, m := range methods {
			if r.Method == m {
				out = append(out, r)
			}
		}
	}
	return out
}

// TestFloorPanelOtherNodes (PROTOCOL §13): on a node of a cluster the floor
// lists every node's calls; a call another node holds cannot be monitored
// from this one (its media is there): its buttons are disabled and say
// where to log in, and the page sends nothing for it. This node's calls are
// monitored as before.
func TestFloorPanelOtherNodes(t *testing.T) {
	ctx, fake, wait := supervisorPage(t, true)
	wait(`document.querySelectorAll('#sup-agents .sup-agent').length === 7`)
	fake.changeFloor(func(fl map[string]any) {
		fl["cluster"] = map[string]any{"node": "n1", "leader": "n1", "nodes": []any{}}
		calls := fl["calls"].([]map[string]any)
		calls[0]["node"], calls[1]["node"] = "n1", "n2" // the agents list the same maps
	})
	fake.notifyAll("event", map[string]any{"type": "call.answered", "at": stamp(time.Now()), "call": "x1"})
	k1, k2 := `.sup-call[data-call="k1"]`, `.sup-call[data-call="k2"]`
	wait(`document.querySelector('` + k2 + ` button.monitor-listen').disabled && !document.querySelector('` + k1 + ` button.monitor-listen').disabled`)
	webtest.Screenshot(t, ctx, "supervisor-floor-other-node")
	if title := webtest.Eval[string](t, ctx, `document.querySelector('`+k2+` button.monitor-barge').title`); !strings.Contains(title, "n2") {
		t.Errorf("n2's call's barge button title %q, want it to name n2", title)
	}
	webtest.Click(t, ctx, k1+" button.monitor-listen")
	wait(`document.body.dataset.monitoring === 'k1'`)
	for _, r := range fake.requests2("call.monitor") {
		if r.Params["call"] != "k1" {
			t.Errorf("call.monitor %v sent, want k1 only", r.Params)
		}
	}
}
