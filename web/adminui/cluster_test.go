package adminui

import (
	"strings"
	"testing"
	"time"

	"switchboard/internal/waittest"
	"switchboard/web/webtest"
)

// TestClusterFloor (PROTOCOL §13): the state of a node of a cluster is the
// whole floor. The Floor section names the serving node, the leader and the
// live nodes; each agent shows the node it is logged in on, each call its
// node (two calls with the same id on two nodes are two rows); a call on
// another node is hung up naming its node. An agent that logs out on another
// node (no event on this node's stream: the page polls) loses its node.
func TestClusterFloor(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#agents-table').outerHTML + document.querySelector('#calls-table').outerHTML`)
	}
	started := time.Now().UTC().Add(-10 * time.Second).Format(time.RFC3339Nano)
	fake.mu.Lock()
	for _, id := range []string{"x", "y"} {
		fake.agents[id] = map[string]any{"id": id, "name": "Agent " + id, "extension": map[string]string{"x": "101", "y": "102"}[id], "capacity": 1, "queues": []any{}}
	}
	fake.cluster = map[string]any{"node": "n2", "addr": "10.0.0.12:5060", "leader": "n1", "token": 3, "is_leader": false,
		"nodes": []any{map[string]any{"id": "n1", "addr": "10.0.0.11:5060"}, map[string]any{"id": "n2", "addr": "10.0.0.12:5060"}}}
	fake.mu.Unlock()
	adminLogin(t, ctx, srv.URL+"/admin")

	fake.setLive("y", map[string]any{"activity": "available", "connected": true, "load": 1, "node": "n2", "calls": []any{
		map[string]any{"id": "c1", "node": "n2", "state": "active", "kind": "queue", "remote": "+15550002", "started_at": started},
	}}, "sales", nil)
	fake.setLive("x", map[string]any{"activity": "break", "connected": true, "load": 1, "node": "n1", "calls": []any{
		map[string]any{"id": "c1", "node": "n1", "state": "active", "kind": "queue", "remote": "+15550001", "started_at": started},
	}}, "sales", nil)
	wait(`document.querySelector('#agents-table tr[data-agent="x"]')?.dataset.node === 'n1' && document.querySelector('#agents-table tr[data-agent="y"]')?.dataset.node === 'n2'`)
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#agents-table tr[data-agent="x"] .agent-node').innerText`); got != "n1" {
		t.Errorf("x's node shown as %q, want n1", got)
	}
	wait(`document.querySelectorAll('#calls-table tbody tr').length === 2`)
	rows := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#calls-table tbody tr')].map((tr) => tr.dataset.call + ' ' + tr.dataset.node + ' ' + tr.querySelector('.call-node').innerText + ' ' + tr.children[2].innerText + ' ' + tr.querySelector('button.hangup').disabled).sort()`)
	if want := []string{"n1/c1 n1 n1 x false", "n2/c1 n2 n2 y false"}; strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Errorf("calls rows %q, want %q", rows, want)
	}
	// n1's call is hung up from n2's page: call.hangup names its node.
	hang := `#calls-table tr[data-call="n1/c1"] button.hangup`
	webtest.Click(t, ctx, hang)
	wait(`document.querySelector('` + hang + `').textContent === 'Confirm hang up'`)
	webtest.Click(t, ctx, hang)
	waittest.For(t, "call.hangup of n1/c1 (the call and its node)", 5*time.Second, func() bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return strings.Join(fake.hangups, " ") == "n1/c1"
	})
	info := webtest.Eval[string](t, ctx, `(() => { const e = document.querySelector('#cluster-info'); return e.checkVisibility() ? e.innerText : 'hidden'; })()`)
	for _, want := range []string{"2 nodes", "n1, n2", "served by n2", "leader n1"} {
		if !strings.Contains(info, want) {
			t.Errorf("cluster line %q lacks %q", info, want)
		}
	}

	// x logs out on n1: no event on n2's stream; the page polls the floor.
	fake.mu.Lock()
	fake.live["x"] = map[string]any{"activity": "offline", "connected": false, "load": 0}
	fake.mu.Unlock()
	wait(`document.querySelector('#agents-table tr[data-agent="x"]').dataset.node === '' && !document.querySelector('#agents-table tr[data-agent="x"] .agent-node') && document.querySelectorAll('#calls-table tbody tr').length === 1`)
}
