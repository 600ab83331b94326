package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/signaling/console"
	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wstest"
	"switchboard/store"
)

func TestAuthFirst(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name   string
		method string
		params any
		reason string
	}{
		{"other method first", "agent.list", nil, "first request must be auth"},
		{"wrong token", "auth", map[string]string{"token": "nope"}, "token: wrong token"},
		{"empty token", "auth", map[string]string{}, "token: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := wstest.Dial(t, e.url(), nil)
			wantErr(t, c, tt.method, tt.params, ws.CodeUnauthorized, tt.reason)
			waitFor(t, "socket closed", func() bool { return isClosed(c) })
			if code := c.CloseCode(); code != wstest.ClosePolicyViolation {
				t.Errorf("close code %d, want 1008", code)
			}
		})
	}
	c := e.admin()
	c.MustCall("agent.list", nil, nil)
	c.MustCall("auth", map[string]string{"token": token}, nil) // again: harmless
}

func TestAuthWithStoredToken(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.Token = "" })
	generated, created, err := e.store.AdminToken(t.Context())
	if err != nil || !created {
		t.Fatal(created, err)
	}
	c := wstest.Dial(t, e.url(), nil)
	wantErr(t, c, "auth", map[string]string{"token": token}, ws.CodeUnauthorized, "wrong token")
	c = wstest.Dial(t, e.url(), nil)
	c.MustCall("auth", map[string]string{"token": generated}, nil)
	c.MustCall("queue.list", nil, nil)
}

func TestOriginAndSize(t *testing.T) {
	e := newEnv(t, nil)
	_, err := wstest.DialErr(t, e.url(), http.Header{"Origin": {"http://evil.example"}})
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("foreign Origin: %v, want 403", err)
	}
	c := wstest.Dial(t, e.url(), http.Header{"Origin": {e.srv.URL}}) // the page's own origin
	c.MustCall("auth", map[string]string{"token": token}, nil)
	big := `{"jsonrpc":"2.0","id":9,"method":"agent.put","params":{"id":"bob","name":"` + strings.Repeat("x", 64<<10) + `"}}`
	if err := c.WriteRaw([]byte(big)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "socket closed", func() bool { return isClosed(c) })
	if code := c.CloseCode(); code != wstest.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
	if _, err := e.store.GetAgent(t.Context(), "bob"); err == nil {
		t.Error("oversized put was applied")
	}
}

func TestAgentMethods(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	c.MustCall("queue.put", map[string]any{"id": "support"}, nil)
	e.applier.take()

	var a store.Agent
	c.MustCall("agent.put", map[string]any{"id": "bob", "name": "Bob", "extension": "1001", "password": "pw1", "queues": []string{"sales"}}, &a)
	yes := true
	want := store.Agent{ID: "bob", Name: "Bob", Extension: "1001", Capacity: 2, Queues: []string{"sales"},
		AgentRouting: store.AgentRouting{Attributes: map[string]any{}, Channels: map[string]int{}, MaxNonBlocking: 1, Role: "agent", Voicemail: &yes}}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("agent.put = %+v, want %+v", a, want)
	}
	if ok, _ := e.store.CheckPassword(t.Context(), "bob", "pw1"); !ok {
		t.Error("password not set")
	}
	// The raw JSON never carries the password or its hash.
	r, err := c.RawCall(t.Context(), "77", []byte(`{"jsonrpc":"2.0","id":77,"method":"agent.get","params":{"id":"bob"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(r.Result); strings.Contains(s, "pass") || strings.Contains(s, "$2a$") ||
		s != `{"id":"bob","name":"Bob","extension":"1001","capacity":2,"queues":["sales"],"attributes":{},"channels":{},"max_nonblocking":1,"role":"agent","voicemail":true,"record":false}` {
		t.Errorf("agent.get JSON = %s", s)
	}
	// Partial update keeps omitted fields (and the password).
	c.MustCall("agent.put", map[string]any{"id": "bob", "capacity": 4}, &a)
	want.Capacity = 4
	if !reflect.DeepEqual(a, want) {
		t.Errorf("partial agent.put = %+v, want %+v", a, want)
	}
	if ok, _ := e.store.CheckPassword(t.Context(), "bob", "pw1"); !ok {
		t.Error("password lost by a put without password")
	}
	c.MustCall("agent.put", map[string]any{"id": "bob", "password": "pw2", "queues": []string{}}, &a)
	if ok, _ := e.store.CheckPassword(t.Context(), "bob", "pw2"); !ok || len(a.Queues) != 0 {
		t.Errorf("password change / queue clear: ok=%v queues=%v", ok, a.Queues)
	}
	c.MustCall("agent.put", map[string]any{"id": "ann", "extension": "1002", "queues": []string{"support", "sales"}}, nil)
	var list []store.Agent
	c.MustCall("agent.list", nil, &list)
	if len(list) != 2 || list[0].ID != "ann" || list[1].ID != "bob" || list[0].Name != "ann" {
		t.Errorf("agent.list = %+v", list)
	}
	c.MustCall("agent.delete", map[string]string{"id": "ann"}, nil)
	wantErr(t, c, "agent.get", map[string]string{"id": "ann"}, ws.CodeNotFound, "agent ann")
	wantErr(t, c, "agent.delete", map[string]string{"id": "ann"}, ws.CodeNotFound, "agent ann")

	got := e.applier.take()
	wantApplied := []string{
		"agent bob 1001 cap=2 q=[sales]", "agent bob 1001 cap=4 q=[sales]", "agent bob 1001 cap=4 q=[]",
		"agent ann 1002 cap=2 q=[support sales]", "-agent ann",
	}
	if !reflect.DeepEqual(got, wantApplied) {
		t.Errorf("applier got %q\nwant %q", got, wantApplied)
	}
}

func TestQueueAndRouteMethods(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	var q store.Queue
	c.MustCall("queue.put", map[string]any{"id": "sales", "name": "Sales", "wrapup_seconds": 10, "allow_busy_agents": true, "priority": 5}, &q)
	want := store.Queue{ID: "sales", Name: "Sales", TimeoutSeconds: 15, WrapupSeconds: 10, AllowBusyAgents: true, Priority: 5, MaxWaitSeconds: store.DefaultMaxWaitSeconds,
		QueueRouting: store.QueueRouting{Order: "fifo", SLSeconds: store.DefaultSLSeconds}}
	if q != want {
		t.Errorf("queue.put = %+v", q)
	}
	c.MustCall("queue.put", map[string]any{"id": "sales", "timeout_seconds": 30}, &q)
	want.TimeoutSeconds = 30
	if q != want {
		t.Errorf("partial queue.put = %+v", q)
	}
	c.MustCall("queue.get", map[string]any{"id": "sales"}, &q)
	if q != want {
		t.Errorf("queue.get = %+v", q)
	}
	var qs []store.Queue
	c.MustCall("queue.list", nil, &qs)
	if len(qs) != 1 || qs[0] != want {
		t.Errorf("queue.list = %+v", qs)
	}
	for _, r := range []store.Route{{Number: "5000", Target: "queue:sales"}, {Number: "+15550100", Target: "extension:1001"},
		{Number: "6000", Target: "ivr:extension"}, {Number: "echo", Target: "echo"}} {
		var got store.Route
		c.MustCall("route.put", r, &got)
		if got != r {
			t.Errorf("route.put(%v) = %v", r, got)
		}
	}
	var r store.Route
	c.MustCall("route.get", map[string]string{"number": "5000"}, &r)
	if r.Target != "queue:sales" {
		t.Errorf("route.get = %+v", r)
	}
	var rs []store.Route
	c.MustCall("route.list", nil, &rs)
	if len(rs) != 4 {
		t.Errorf("route.list = %+v", rs)
	}
	// A queue used by a route cannot be deleted.
	wantErr(t, c, "queue.delete", map[string]string{"id": "sales"}, ws.CodeInvalidParams, "id: queue sales is used by route 5000")
	c.MustCall("queue.get", map[string]any{"id": "sales"}, &q)
	c.MustCall("route.delete", map[string]string{"number": "5000"}, nil)
	wantErr(t, c, "route.get", map[string]string{"number": "5000"}, ws.CodeNotFound, "route 5000")
	wantErr(t, c, "route.delete", map[string]string{"number": "5000"}, ws.CodeNotFound, "route 5000")
	// Nor one an agent is a member of.
	c.MustCall("agent.put", map[string]any{"id": "bob", "extension": "1001", "queues": []string{"sales"}}, nil)
	wantErr(t, c, "queue.delete", map[string]string{"id": "sales"}, ws.CodeInvalidParams, "id: queue sales is used by agent bob")
	c.MustCall("agent.put", map[string]any{"id": "bob", "queues": []string{}}, nil)
	c.MustCall("queue.delete", map[string]string{"id": "sales"}, nil)
	wantErr(t, c, "queue.get", map[string]string{"id": "sales"}, ws.CodeNotFound, "queue sales")
	wantErr(t, c, "queue.delete", map[string]string{"id": "sales"}, ws.CodeNotFound, "queue sales")

	got := e.applier.take()
	for _, w := range []string{"queue sales t=15", "queue sales t=30", "route 5000 queue:sales", "-route 5000", "-queue sales"} {
		if !strings.Contains(strings.Join(got, "|"), w) {
			t.Errorf("applier missing %q in %q", w, got)
		}
	}
}

func TestValidationErrors(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	c.MustCall("agent.put", map[string]any{"id": "bob", "extension": "1001"}, nil)
	e.applier.take()
	tests := []struct {
		method string
		params string
		reason string
	}{
		{"agent.put", `{"extension":"1002"}`, "id: required"},
		{"agent.put", `{"id":"Bob!","extension":"1002"}`, "id: \"Bob!\" must match [a-z0-9._-]{1,64}"},
		{"agent.put", `{"id":"` + strings.Repeat("a", 65) + `","extension":"1002"}`, "id: "},
		{"agent.put", `{"id":"ann"}`, "extension: required"},
		{"agent.put", `{"id":"ann","extension":"1"}`, "extension: \"1\" must be 2 to 8 digits"},
		{"agent.put", `{"id":"ann","extension":"123456789"}`, "extension: "},
		{"agent.put", `{"id":"ann","extension":"10a1"}`, "extension: "},
		{"agent.put", `{"id":"ann","extension":1002}`, "extension: must be a string"},
		{"agent.put", `{"id":"ann","extension":"1001"}`, "extension: 1001 already used by agent bob"},
		{"agent.put", `{"id":"ann","extension":"1002","capacity":0}`, "capacity: 0 out of range 1..8"},
		{"agent.put", `{"id":"ann","extension":"1002","capacity":9}`, "capacity: 9 out of range 1..8"},
		{"agent.put", `{"id":"ann","extension":"1002","capacity":"two"}`, "capacity: must be a number"},
		{"agent.put", `{"id":"ann","extension":"1002","queues":["nope"]}`, "queues: unknown queue nope"},
		{"agent.put", `{"id":"ann","extension":"1002","queues":"sales"}`, "queues: must be an array"},
		{"agent.put", `{"id":"ann","extension":"1002","password":""}`, "password: must not be empty"},
		{"agent.put", `{"id":"ann","extension":"1002","name":"a\u0000b"}`, "name: must not contain control characters"},
		{"agent.get", `{}`, "id: required"},
		{"agent.delete", `{}`, "id: required"},
		{"queue.put", `{}`, "id: required"},
		{"queue.put", `{"id":"a b"}`, "id: "},
		{"queue.put", `{"id":"q","timeout_seconds":0}`, "timeout_seconds: 0 out of range"},
		{"queue.put", `{"id":"q","timeout_seconds":-5}`, "timeout_seconds: -5 out of range"},
		{"queue.put", `{"id":"q","wrapup_seconds":-1}`, "wrapup_seconds: -1 out of range"},
		{"queue.put", `{"id":"q","priority":99999}`, "priority: 99999 out of range"},
		{"queue.put", `{"id":"q","allow_busy_agents":"yes"}`, "allow_busy_agents: must be a boolean"},
		{"queue.get", `{}`, "id: required"},
		{"queue.delete", `{}`, "id: required"},
		{"route.put", `{"target":"echo"}`, "number: required"},
		{"route.put", `{"number":"12 3","target":"echo"}`, "number: "},
		{"route.put", `{"number":"100"}`, "target: required"},
		{"route.put", `{"number":"100","target":"voicemail"}`, "target: \"voicemail\" must be queue:<id>, workflow:<id>, extension:<ext>, ivr:extension, ivr:menu:<id> or echo"},
		{"route.put", `{"number":"100","target":"queue:nope"}`, "target: unknown queue nope"},
		{"route.put", `{"number":"100","target":"queue:"}`, "target: queue id"},
		{"route.put", `{"number":"100","target":"extension:x"}`, "target: extension \"x\" must be 2 to 8 digits"},
		{"route.get", `{}`, "number: required"},
		{"route.delete", `{}`, "number: required"},
		{"call.hangup", `{}`, "call: required"},
		{"records.list", `{"since":"yesterday"}`, "since: must be an RFC 3339 time"},
		{"records.list", `{"until":"2026-13-01T00:00:00Z"}`, "until: must be an RFC 3339 time"},
		{"records.list", `{"since":"2026-01-02T00:00:00Z","until":"2026-01-01T00:00:00Z"}`, "until: must be after since"},
		{"records.list", `{"limit":-1}`, "limit: out of range"},
		{"records.list", `{"limit":5000}`, "limit: out of range"},
		{"events.list", `{"since":"x"}`, "since: "},
	}
	for i, tt := range tests {
		t.Run(tt.method+" "+tt.params, func(t *testing.T) { wantInvalidRaw(t, c, 1000+i, tt.method, tt.params, tt.reason) })
	}
	// Nothing was written or applied.
	var as []store.Agent
	c.MustCall("agent.list", nil, &as)
	if len(as) != 1 || as[0].Extension != "1001" || as[0].Capacity != 2 {
		t.Errorf("agents after invalid puts: %+v", as)
	}
	if got := e.applier.take(); len(got) != 0 {
		t.Errorf("applier called for invalid writes: %q", got)
	}
	wantErr(t, c, "agent.fly", nil, ws.CodeMethodNotFound, "agent.fly")
}

func TestStateAndHangup(t *testing.T) {
	e := newEnv(t, nil)
	c := e.admin()
	var st struct {
		Calls []struct{ ID, State string }
	}
	c.MustCall("state", nil, &st)
	if len(st.Calls) != 1 || st.Calls[0].ID != "c1" {
		t.Errorf("state = %+v", st)
	}
	c.MustCall("call.hangup", map[string]string{"call": "c1"}, nil)
	wantErr(t, c, "call.hangup", map[string]string{"call": "c9"}, ws.CodeNotFound, "c9")
	// Another node's call (PROTOCOL §13): the node goes to the floor, and
	// the floor's *ws.Error is the answer.
	c.MustCall("call.hangup", map[string]string{"call": "c1", "node": "n2"}, nil)
	wantErr(t, c, "call.hangup", map[string]string{"call": "c1", "node": "n3"}, ws.CodeInternalError, "node n3 did not answer in time")
	if !slices.Equal(e.floor.hung, []string{"/c1", "n2/c1"}) {
		t.Errorf("floor hung up %v, want /c1 and n2/c1", e.floor.hung)
	}

	// Without a floor, state lists the configuration.
	e2 := newEnv(t, func(cfg *console.Config) { cfg.Floor = nil; cfg.Applier = nil })
	c2 := e2.admin()
	c2.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	c2.MustCall("agent.put", map[string]any{"id": "bob", "extension": "1001", "queues": []string{"sales"}}, nil)
	var st2 struct {
		Agents []store.Agent
		Queues []store.Queue
		Calls  []any
	}
	c2.MustCall("state", nil, &st2)
	if len(st2.Agents) != 1 || len(st2.Queues) != 1 || st2.Calls == nil {
		t.Errorf("config-only state = %+v", st2)
	}
	wantErr(t, c2, "call.hangup", map[string]string{"call": "c1"}, ws.CodeNotFound, "c1")
}

func TestSubscribe(t *testing.T) {
	e := newEnv(t, nil)
	watcher := e.admin()
	watcher.MustCall("subscribe", nil, nil)
	watcher.MustCall("subscribe", nil, nil) // idempotent: one stream
	editor := e.admin()
	editor.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	talk := 42.5
	e.hub.Publish(events.Event{Type: events.CallEnded, Call: "c1", Agent: "bob", TalkSeconds: &talk,
		At: time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)})

	n := watcher.WaitNotification("event", 5*time.Second)
	var ev map[string]any
	if err := json.Unmarshal(n.Params, &ev); err != nil {
		t.Fatal(err)
	}
	detail, _ := ev["detail"].(map[string]any)
	if ev["type"] != events.ConfigChanged || detail["kind"] != "queue" || detail["id"] != "sales" || detail["op"] != "put" {
		t.Errorf("first event = %s", n.Params)
	}
	at, _ := ev["at"].(string)
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", at); err != nil || len(at) != len("2026-02-03T04:05:06.789Z") {
		t.Errorf("at = %q, want RFC 3339 with milliseconds", at)
	}
	n = watcher.WaitNotification("event", 5*time.Second)
	if !strings.Contains(string(n.Params), `"type":"call.ended"`) || !strings.Contains(string(n.Params), `"at":"2026-02-03T04:05:06.789Z"`) ||
		!strings.Contains(string(n.Params), `"talk_seconds":42.5`) {
		t.Errorf("second event = %s", n.Params)
	}
	select {
	case extra := <-watcher.Notifications:
		t.Errorf("unexpected extra notification %s %s (double subscription?)", extra.Method, extra.Params)
	case <-time.After(50 * time.Millisecond):
	}
	if e.hub.Subscribers() != 1 {
		t.Errorf("hub subscribers = %d", e.hub.Subscribers())
	}
	watcher.Close()
	waitFor(t, "subscription released", func() bool { return e.hub.Subscribers() == 0 })
}

func TestSlowSubscriberDropped(t *testing.T) {
	e := newEnv(t, func(c *console.Config) {
		c.SubscribeBuffer = 64
		c.WS.SendQueue = 64
	})
	// A raw client that subscribes and then never reads.
	stalled := wstest.DialStalled(t, e.url(), nil)
	for _, m := range []string{`{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"` + token + `"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"subscribe"}`} {
		if err := stalled.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "subscription", func() bool { return e.hub.Subscribers() == 1 })
	// A healthy watcher keeps up.
	good := e.admin()
	good.MustCall("subscribe", nil, nil)
	pad := strings.Repeat("p", 16<<10)
	start := time.Now()
	var maxPublish time.Duration
	const limit, batch = 8000, 40 // batch < both buffers: the healthy reader never overflows
	received, total := 0, 0
	for i := range limit {
		if e.hub.Subscribers() == 1 { // the stalled one is gone
			break
		}
		total++
		t0 := time.Now()
		e.hub.Publish(events.Event{Type: events.AgentActivity, Agent: "bob", Reason: pad, Detail: map[string]any{"i": i}})
		maxPublish = max(maxPublish, time.Since(t0))
		if i%batch == batch-1 || e.hub.Subscribers() == 1 {
			for received < i+1 {
				select {
				case <-good.Notifications:
					received++
				case <-time.After(10 * time.Second):
					t.Fatalf("healthy reader stuck at %d of %d", received, i+1)
				}
			}
		}
	}
	elapsed := time.Since(start)
	waitFor(t, "slow admin dropped", func() bool { return e.console.Conns() == 1 && e.hub.Subscribers() == 1 })
	t.Logf("published %d 16 KiB events in %v (slowest Publish %v) while a reader stalled; slow connection dropped, healthy one kept", total, elapsed, maxPublish)
	good.MustCall("agent.list", nil, nil)
}

// Concurrent agent.put of one agent from several connections: each answer
// is a whole row, and partial updates of different fields never undo each
// other (no lost update).
func TestConcurrentAgentPut(t *testing.T) {
	e := newEnv(t, nil)
	setup := e.admin()
	for _, q := range []string{"q0", "q1", "q2"} {
		setup.MustCall("queue.put", map[string]any{"id": q}, nil)
	}
	setup.MustCall("agent.put", map[string]any{"id": "bob", "extension": "1001"}, nil)

	const conns, puts = 4, 15
	answers := make([][]store.Agent, conns)
	var wg sync.WaitGroup
	for w := range conns {
		c := e.admin()
		wg.Go(func() {
			for i := range puts {
				var p map[string]any
				switch w {
				case 0: // capacity only
					p = map[string]any{"id": "bob", "capacity": i%8 + 1}
				case 1: // name only
					p = map[string]any{"id": "bob", "name": fmt.Sprintf("name-%d", i)}
				default: // queues only
					p = map[string]any{"id": "bob", "queues": []string{fmt.Sprintf("q%d", (i+w)%3)}}
				}
				var a store.Agent
				if err := c.Call(context.Background(), "agent.put", p, &a); err != nil {
					t.Error(err)
					return
				}
				answers[w] = append(answers[w], a)
			}
		})
	}
	wg.Wait()
	var final store.Agent
	setup.MustCall("agent.get", map[string]string{"id": "bob"}, &final)
	// Each field holds its writer's LAST value: no other writer's read-modify-write clobbered it.
	if final.Capacity != (puts-1)%8+1 || final.Name != fmt.Sprintf("name-%d", puts-1) || final.Extension != "1001" {
		t.Errorf("final = %+v: a partial update was lost", final)
	}
	lastQ := map[string]bool{}
	for w := 2; w < conns; w++ {
		lastQ[fmt.Sprintf("q%d", (puts-1+w)%3)] = true
	}
	if len(final.Queues) != 1 || !lastQ[final.Queues[0]] {
		t.Errorf("final queues %v, want one of %v", final.Queues, lastQ)
	}
	// Final state equals one of the answers (the last serialized write).
	found := false
	for _, as := range answers {
		for _, a := range as {
			if reflect.DeepEqual(a, final) {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("final %+v equals no answer", final)
	}
	// Each answer reflects its own write.
	for i, a := range answers[0] {
		if a.Capacity != i%8+1 {
			t.Errorf("capacity answer %d = %+v", i, a)
		}
	}
}

func TestRecordsList(t *testing.T) {
	e := newEnv(t, nil)
	t0 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	for i := range 6 {
		agent := []string{"bob", "ann"}[i%2]
		if err := e.store.AppendRecord(t.Context(), store.CallRecord{Call: fmt.Sprintf("c%d", i), Agent: agent, Queue: "sales",
			Kind: "queue", Direction: "inbound", From: "+1555", To: "5000", StartedAt: t0.Add(time.Duration(i) * time.Hour),
			EndedAt: t0.Add(time.Duration(i)*time.Hour + time.Minute), WaitSeconds: 3.25, TalkSeconds: 50, Outcome: "answered"}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.admin()
	var rs []map[string]any
	c.MustCall("records.list", map[string]any{"since": "2026-04-01T11:00:00.000Z", "until": "2026-04-01T15:00:00Z", "agent": "bob"}, &rs)
	if len(rs) != 2 || rs[0]["call"] != "c2" || rs[1]["call"] != "c4" || rs[0]["started_at"] != "2026-04-01T12:00:00.000Z" || rs[0]["wait_seconds"] != 3.25 {
		t.Errorf("records.list = %v", rs)
	}
	c.MustCall("records.list", map[string]any{"limit": 2}, &rs)
	if len(rs) != 2 {
		t.Errorf("limit 2 gave %d", len(rs))
	}
	c.MustCall("records.list", map[string]any{"queue": "other"}, &rs)
	if rs == nil || len(rs) != 0 {
		t.Errorf("no match = %v, want []", rs)
	}
	if err := e.store.AppendEvent(t.Context(), events.Event{Type: events.TaskCreated, At: t0, Queue: "sales"}); err != nil {
		t.Fatal(err)
	}
	var evs []map[string]any
	c.MustCall("events.list", map[string]any{"queue": "sales"}, &evs)
	if len(evs) != 1 || evs[0]["type"] != events.TaskCreated {
		t.Errorf("events.list = %v", evs)
	}
}
