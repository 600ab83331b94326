package phoneui

import (
	"cmp"
	"net/http"
	"sync"
	"testing"
	"time"

	"switchboard/web/webtest"
)

type rpcError = webtest.RPCError

// request is one request the page sent.
type request struct {
	Method string
	Params map[string]any
}

// fakeConn is one websocket of the page.
type fakeConn = webtest.RPCConn

// fakeGateway speaks PROTOCOL.md section 4 on /ws/agent with a script of
// its own: the first login is followed by two offers, accepting holds the
// other active call, resume swaps. webrtc.offer is refused (no media here).
type fakeGateway struct {
	t   *testing.T
	srv webtest.RPCServer
	// answer, if set, answers webrtc.offer; nil refuses it.
	answer     func(offer string) (string, error)
	iceServers []any         // login result ice_servers when set
	waited     time.Duration // r1's call: started this long before its answer (answered_at set), else 3 s ago
	grace      int           // login result reconnect_grace_seconds (0 means 30)

	mu       sync.Mutex // guards following
	logins   int
	requests []request
	calls    map[string]map[string]any // id -> Call
	agent    map[string]any
	parked   map[string]map[string]any // slot -> parked call (park_test.go)
	vms      []map[string]any          // voicemail messages, newest first (voicemail_test.go)
	floor    map[string]any            // floor.subscribe's state (supervisor_test.go)
	down     bool                      // refuse websockets with 503, as a gateway that is down (conn_test.go)
	tasks    fakeTasks                 // tasks of any channel (tasks_test.go)
	acts     []any                     // login result activities (recording_test.go)
}

func newFakeGateway(t *testing.T) *fakeGateway {
	f := &fakeGateway{t: t, calls: map[string]map[string]any{}}
	f.srv.Handle = f.record
	f.agent = map[string]any{"id": "a1", "name": "Alice", "extension": "1001", "activity": "available",
		"capacity": 2, "load": 0, "connected": true, "wrapup": false}
	return f
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (f *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	down := f.down
	f.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	f.srv.ServeHTTP(w, r)
}

// record notes the request and answers it by handle.
func (f *fakeGateway) record(c *fakeConn, method string, p map[string]any) (any, *rpcError, func()) {
	f.mu.Lock()
	f.requests = append(f.requests, request{method, p})
	f.mu.Unlock()
	return f.handle(c, method, p)
}

// handle answers one request; after (if any) runs once the answer is sent.
func (f *fakeGateway) handle(c *fakeConn, method string, p map[string]any) (result any, rerr *rpcError, after func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	str := func(k string) string { s, _ := p[k].(string); return s }
	call := func(id string) map[string]any { return f.calls[id] }
	copyCall := func(m map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	if res, rerr, after, ok := f.handleTasks(c, method, p); ok { // tasks_test.go: before the calls' reservation.accept
		return res, rerr, after
	}
	switch method {
	case "login":
		if str("agent") != "a1" || str("password") != "pw" {
			return nil, &rpcError{Code: -32001, Message: "login refused", Data: map[string]any{"reason": "bad agent or password"}}, nil
		}
		f.logins++
		calls := []any{}
		for _, cl := range f.calls {
			calls = append(calls, copyCall(cl))
		}
		first := f.logins == 1
		res := map[string]any{"agent": f.agent, "calls": calls, "reservations": []any{}, "parked": f.parkedList(), "http_token": "tok-a1",
			"queue_names": map[string]any{"sales": "Sales line", "chat": "Web chat"}, "reconnect_grace_seconds": cmp.Or(f.grace, 30),
			"tasks": f.tasks.held()}
		res["activities"] = f.acts
		if f.acts == nil {
			res["activities"] = []any{}
		}
		if f.iceServers != nil {
			res["ice_servers"] = f.iceServers
		}
		return res, nil, func() {
			if !first {
				return
			}
			exp := stamp(time.Now().Add(60 * time.Second))
			c.Notify("reservation.created", map[string]any{"id": "r1", "call": "c1", "kind": "queue",
				"from": "+15551230001", "to": "5000", "queue": "sales", "expires_at": exp,
				"attributes": map[string]any{"caller_name": "Ada Lovelace"}})
			c.Notify("reservation.created", map[string]any{"id": "r2", "call": "c2", "kind": "direct",
				"from": "1002", "to": "1001", "expires_at": exp})
		}
	case "webrtc.offer":
		if f.answer != nil {
			sdp, err := f.answer(str("sdp"))
			if err != nil {
				return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "sdp: " + err.Error()}}, nil
			}
			return map[string]any{"sdp": sdp}, nil, nil
		}
		return nil, &rpcError{Code: -32000, Message: "webrtc unavailable", Data: map[string]any{"reason": "fake gateway has no media"}}, nil
	case "activity.set":
		f.agent["activity"] = str("activity")
		return f.agent, nil, nil
	case "reservation.accept":
		var held []map[string]any
		for _, cl := range f.calls {
			if cl["state"] == "active" {
				cl["state"] = "held"
				held = append(held, copyCall(cl))
			}
		}
		var nc map[string]any
		switch str("reservation") {
		case "r1":
			nc = map[string]any{"id": "c1", "state": "active", "muted": false, "direction": "inbound", "kind": "queue",
				"remote": "+15551230001", "queue": "sales", "started_at": stamp(time.Now().Add(-3 * time.Second)), "merged_with": []any{},
				"caller_name": "Ada Lovelace"}
			if f.waited > 0 {
				nc["started_at"], nc["answered_at"] = stamp(time.Now().Add(-f.waited)), stamp(time.Now())
			}
		case "r2":
			nc = map[string]any{"id": "c2", "state": "active", "muted": false, "direction": "inbound", "kind": "direct",
				"remote": "1002", "queue": "", "started_at": stamp(time.Now()), "merged_with": []any{}}
		default:
			return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "reservation: unknown"}}, nil
		}
		for _, h := range held {
			c.Notify("call.updated", h) // the gateway holds the other call first
		}
		f.calls[nc["id"].(string)] = nc
		res := str("reservation")
		out := copyCall(nc)
		return out, nil, func() {
			c.Notify("reservation.ended", map[string]any{"id": res, "reason": "accepted"})
			c.Notify("call.updated", out)
		}
	case "reservation.reject":
		res := str("reservation")
		return map[string]any{}, nil, func() {
			c.Notify("reservation.ended", map[string]any{"id": res, "reason": "rejected"})
		}
	case "call.resume", "call.hold", "call.mute", "call.unmute", "call.hangup":
		cl := call(str("call"))
		if cl == nil {
			return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "call: unknown"}}, nil
		}
		var notes []map[string]any
		switch method {
		case "call.resume":
			for _, o := range f.calls {
				if o["state"] == "active" && o["id"] != cl["id"] {
					o["state"] = "held"
					notes = append(notes, copyCall(o))
				}
			}
			cl["state"] = "active"
		case "call.hold":
			cl["state"] = "held"
		case "call.mute":
			cl["muted"] = true
		case "call.unmute":
			cl["muted"] = false
		case "call.hangup":
			cl["state"] = "ended"
			delete(f.calls, str("call"))
		}
		out := copyCall(cl)
		for _, n := range notes {
			c.Notify("call.updated", n)
		}
		return out, nil, func() {
			if method == "call.hangup" {
				c.Notify("call.ended", map[string]any{"id": out["id"], "reason": "agent"})
			}
		}
	case "call.dial":
		out := map[string]any{"id": "c9", "state": "ringing", "muted": false, "direction": "outbound", "kind": "outbound",
			"remote": str("to"), "started_at": "2026-01-01T00:00:00.000Z", "merged_with": []any{}}
		f.calls["c9"] = out
		return copyCall(out), nil, nil
	case "call.dtmf":
		if call(str("call")) == nil {
			return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "call: unknown"}}, nil
		}
		return map[string]any{}, nil, nil
	}
	if res, rerr, after, ok := f.handleTransfer(c, method, p); ok { // cards_test.go
		return res, rerr, after
	}
	if res, rerr, after, ok := f.handlePark(c, method, p); ok { // park_test.go
		return res, rerr, after
	}
	if res, rerr, after, ok := f.handleFloor(c, method, p); ok { // supervisor_test.go
		return res, rerr, after
	}
	if res, rerr, after, ok := f.handleRecording(c, method, p); ok { // recording_test.go
		return res, rerr, after
	}
	if res, rerr, ok := f.handleVoicemail(method, p); ok { // voicemail_test.go
		return res, rerr, nil
	}
	return nil, &rpcError{Code: -32601, Message: "method not found"}, nil
}

// notifyAll sends a notification on every websocket.
func (f *fakeGateway) notifyAll(method string, params any) { f.srv.NotifyAll(method, params) }

// dropAll closes every websocket, as a gateway restart would.
func (f *fakeGateway) dropAll() { f.srv.DropAll() }

// close closes every websocket and waits for their handlers.
func (f *fakeGateway) close() { f.srv.Close() }

func (f *fakeGateway) find(method string) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.requests {
		if r.Method == method {
			out = append(out, r)
		}
	}
	return out
}

// activity is the agent's activity as the fake holds it.
func (f *fakeGateway) activity() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, _ := f.agent["activity"].(string)
	return s
}

func (f *fakeGateway) loginCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}
