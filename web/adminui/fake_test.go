package adminui

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/web/adminui/admintest"
	"switchboard/web/webtest"
)

type rpcError = webtest.RPCError

func invalid(reason string) *rpcError {
	return &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": reason}}
}

// fakeConsole speaks PROTOCOL.md section 6 on /ws/admin, keeping agents,
// queues and routes in memory with the validation rules that matter here.
type fakeConsole struct {
	token string
	srv   webtest.RPCServer

	mu        sync.Mutex // guards following
	authed    map[*webtest.RPCConn]bool
	subs      map[*webtest.RPCConn]bool // event.subscribe done
	auths     int
	agents    map[string]map[string]any // config, with "password"
	queues    map[string]map[string]any
	routes    map[string]map[string]any
	live      map[string]map[string]any // agent id -> live fields (activity, connected, load, calls)
	waiting   map[string][]any          // queue id -> waiting tasks
	methods   []string
	records   []any // records.list answer when set
	subscribe int
	trunks    map[string]map[string]any // id -> Trunk as trunk.list answers it (fake_trunks_test.go)
	routing   map[string]map[string]any // "workflow:id" / "activity:id" (fake_routing_test.go)
	parked    []any                     // state.parked (parked_test.go)
	stats     map[string]any            // the stats answer (wallboard_test.go)
	statsAt   []time.Time               // when each stats request came
	menus     map[string]map[string]any // menu.* (fake_menus_test.go)
	prompts   map[string]float64        // prompt id -> seconds
	tasks     []map[string]any          // task.* in creation order
	cancelErr *rpcError                 // task.cancel's answer when set
	recDel    []string                  // recording.delete ids (recordings_test.go)
	recGone   map[string]bool           // deleted recordings: 404
	cluster   map[string]any            // state.cluster when set (cluster_test.go)
	hangups   []string                  // call.hangup's "<node>/<call>" (node "" without one)
}

func newFakeConsole(token string) *fakeConsole {
	f := &fakeConsole{token: token, authed: map[*webtest.RPCConn]bool{}, subs: map[*webtest.RPCConn]bool{}, agents: map[string]map[string]any{},
		queues: map[string]map[string]any{}, routes: map[string]map[string]any{},
		live: map[string]map[string]any{}, waiting: map[string][]any{},
		menus: map[string]map[string]any{}, routing: map[string]map[string]any{}, trunks: map[string]map[string]any{}, prompts: map[string]float64{}}
	f.srv.Handle = f.serve
	return f
}

var idRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)
var extRE = regexp.MustCompile(`^[0-9]{2,8}$`)

func (f *fakeConsole) ServeHTTP(w http.ResponseWriter, r *http.Request) { f.srv.ServeHTTP(w, r) }

// serve answers auth, refuses everything before it, and hands the rest to
// handle; a change is followed by its config.changed event.
func (f *fakeConsole) serve(c *webtest.RPCConn, method string, p map[string]any) (any, *rpcError, func()) {
	f.mu.Lock()
	authed := f.authed[c]
	f.mu.Unlock()
	switch {
	case method == "auth":
		if tok, _ := p["token"].(string); tok != f.token {
			return nil, &rpcError{Code: -32001, Message: "auth failed", Data: map[string]any{"reason": "bad token"}}, nil
		}
		f.mu.Lock()
		f.authed[c] = true
		f.auths++
		f.mu.Unlock()
		return map[string]any{}, nil, nil
	case !authed:
		return nil, &rpcError{Code: -32001, Message: "auth required"}, nil
	}
	result, rerr, changed := f.handle(c, method, p)
	if changed == nil {
		return result, rerr, nil
	}
	return result, rerr, func() { f.event(map[string]any{"type": "config.changed", "detail": changed}) }
}

// event sends an event notification to every subscribed connection.
func (f *fakeConsole) event(ev map[string]any) {
	ev["at"] = time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	for _, c := range f.srv.Conns() {
		f.mu.Lock()
		sub := f.subs[c]
		f.mu.Unlock()
		if sub {
			_ = c.Notify("event", ev) // a closing socket: the page reconnects
		}
	}
}

func (f *fakeConsole) publicAgent(a map[string]any) map[string]any {
	out := maps.Clone(a)
	delete(out, "password")
	out["activity"], out["connected"], out["load"], out["wrapup"] = "offline", false, 0, false
	maps.Copy(out, f.live[a["id"].(string)])
	if _, ok := out["calls"]; !ok {
		out["calls"] = []any{}
	}
	return out
}

func (f *fakeConsole) handle(c *webtest.RPCConn, method string, p map[string]any) (any, *rpcError, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.methods = append(f.methods, method)
	str := func(k string) string { s, _ := p[k].(string); return s }
	switch method {
	case "subscribe":
		f.subs[c] = true
		f.subscribe++
		return map[string]any{}, nil, nil
	case "agent.put":
		id, ext := str("id"), str("extension")
		if !idRE.MatchString(id) {
			return nil, invalid("id: must match [a-z0-9._-]{1,64}"), nil
		}
		if !extRE.MatchString(ext) {
			return nil, invalid("extension: must be 2 to 8 digits"), nil
		}
		for oid, o := range f.agents {
			if oid != id && o["extension"] == ext {
				return nil, invalid(fmt.Sprintf("extension: %s already used by agent %s", ext, oid)), nil
			}
		}
		capacity := 2.0
		if v, ok := p["capacity"].(float64); ok {
			capacity = v
		}
		if capacity < 1 || capacity > 8 {
			return nil, invalid("capacity: must be 1..8"), nil
		}
		queues := []any{}
		if qs, ok := p["queues"].([]any); ok {
			for _, q := range qs {
				if _, ok := f.queues[fmt.Sprint(q)]; !ok {
					return nil, invalid(fmt.Sprintf("queues: unknown queue %v", q)), nil
				}
			}
			queues = qs
		}
		a := map[string]any{"id": id, "name": str("name"), "extension": ext, "capacity": capacity, "queues": queues}
		if r := str("role"); r != "" && r != "agent" && r != "supervisor" {
			return nil, invalid(`role: must be "agent" or "supervisor"`), nil
		}
		for _, k := range []string{"attributes", "channels", "max_nonblocking", "caller_id", "role", "voicemail", "record"} { // PROTOCOL §10-§12
			if v, ok := p[k]; ok {
				a[k] = v
			}
		}
		if old, ok := f.agents[id]; ok {
			a["password"] = old["password"]
		}
		if pw := str("password"); pw != "" {
			a["password"] = pw
		}
		f.agents[id] = a
		return f.publicAgent(a), nil, map[string]any{"kind": "agent", "id": id, "op": "put"}
	case "agent.list":
		out := []any{}
		for _, a := range f.agents {
			out = append(out, f.publicAgent(a))
		}
		return out, nil, nil
	case "agent.delete":
		if _, ok := f.agents[str("id")]; !ok {
			return nil, invalid("id: no such agent"), nil
		}
		delete(f.agents, str("id"))
		return map[string]any{}, nil, map[string]any{"kind": "agent", "id": str("id"), "op": "delete"}
	case "queue.put":
		id := str("id")
		if !idRE.MatchString(id) {
			return nil, invalid("id: must match [a-z0-9._-]{1,64}"), nil
		}
		if tw := str("target_workers"); strings.Count(tw, "(") != strings.Count(tw, ")") { // as attrexpr's compiler refuses it
			return nil, invalid("target_workers: invalid expression: unexpected token EOF"), nil
		}
		q := maps.Clone(p)
		f.queues[id] = q
		return q, nil, map[string]any{"kind": "queue", "id": id, "op": "put"}
	case "queue.list":
		out := []any{}
		for _, q := range f.queues {
			out = append(out, q)
		}
		return out, nil, nil
	case "route.put":
		target := str("target")
		if m := regexp.MustCompile(`^queue:(.*)$`).FindStringSubmatch(target); m != nil {
			if _, ok := f.queues[m[1]]; !ok {
				return nil, invalid("target: unknown queue " + m[1]), nil
			}
		}
		r := map[string]any{"number": str("number"), "target": target}
		f.routes[str("number")] = r
		return r, nil, map[string]any{"kind": "route", "id": str("number"), "op": "put"}
	case "route.get":
		r, ok := f.routes[str("number")]
		if !ok {
			return nil, invalid("number: no such route"), nil
		}
		return r, nil, nil
	case "route.list":
		out := []any{}
		for _, r := range f.routes {
			out = append(out, r)
		}
		return out, nil, nil
	case "state":
		agents, queues, calls := []any{}, []any{}, []any{}
		for _, a := range f.agents {
			pa := f.publicAgent(a)
			agents = append(agents, pa)
			calls = append(calls, pa["calls"].([]any)...)
		}
		for id, q := range f.queues {
			lq := maps.Clone(q)
			w := f.waiting[id]
			if w == nil {
				w = []any{}
			}
			lq["waiting"] = w
			queues = append(queues, lq)
		}
		parked := f.parked
		if parked == nil {
			parked = []any{}
		}
		st := map[string]any{"agents": agents, "queues": queues, "calls": calls, "parked": parked, "tasks": f.liveTasks()}
		if f.cluster != nil {
			st["cluster"] = f.cluster
		}
		return st, nil, nil
	case "records.list":
		if f.records != nil {
			return f.records, nil, nil
		}
		return []any{}, nil, nil
	case "call.hangup":
		node, _ := p["node"].(string)
		call, _ := p["call"].(string)
		f.hangups = append(f.hangups, node+"/"+call)
		return map[string]any{}, nil, nil
	case "stats":
		f.statsAt = append(f.statsAt, time.Now())
		if f.stats == nil {
			return nil, &rpcError{Code: -32601, Message: "method not found"}, nil
		}
		return f.stats, nil, nil
	case "workflow.put", "workflow.list", "workflow.delete", "activity.put", "activity.list", "activity.delete":
		return f.routingMethod(method, p)
	case "menu.put", "menu.list", "menu.delete", "prompt.list", "prompt.delete":
		return f.menuMethod(method, p) // fake_menus_test.go
	case "task.create", "task.list", "task.cancel":
		return f.taskMethod(method, p)
	case "trunk.put", "trunk.list", "trunk.delete":
		return f.trunk(method, p) // fake_trunks_test.go
	case "recording.delete":
		return f.recordingDelete(str("id")) // recordings_test.go
	}
	return nil, &rpcError{Code: -32601, Message: "method not found"}, nil
}

// setLive sets an agent's live fields and a queue's waiting tasks, then
// sends an event, as the real floor would.
func (f *fakeConsole) setLive(agent string, live map[string]any, queue string, waiting []any) {
	f.mu.Lock()
	f.live[agent] = live
	f.waiting[queue] = waiting
	f.mu.Unlock()
	f.event(map[string]any{"type": "agent.activity", "agent": agent, "activity": live["activity"]})
}

func (f *fakeConsole) dropAll() { f.srv.DropAll() }

func (f *fakeConsole) close() { f.srv.Close() }

// count is how many requests of the method the fake got.
func (f *fakeConsole) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.methods {
		if m == method {
			n++
		}
	}
	return n
}

func (f *fakeConsole) authCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auths
}

func (f *fakeConsole) agent(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.agents[id])
}

// startConsole serves the page at /admin and a fake console (token s3cret)
// at /ws/admin, and opens a browser tab; all closed at cleanup.
func startConsole(t *testing.T) (context.Context, *httptest.Server, *fakeConsole) {
	ctx := webtest.Browser(t)
	fake := newFakeConsole("s3cret")
	mux := http.NewServeMux()
	mux.Handle("/ws/admin", fake)
	mux.Handle("/admin", Handler())
	mux.Handle("/api/prompts/", fake.promptAPI())
	mux.Handle("/api/recordings/", fake.recordingAPI())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		fake.close()
	})
	return ctx, srv, fake
}

// adminLogin opens url and logs in with the fake's token.
func adminLogin(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	admintest.Login(t, ctx, url, "s3cret")
}
