package e2e

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
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
