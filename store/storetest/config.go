package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/store"
)

func AgentQueueRouteCRUD(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	for _, id := range []string{"sales", "support"} {
		if _, err := s.PutQueue(ctx, store.Queue{ID: id, Name: strings.ToUpper(id), WrapupSeconds: 5, AllowBusyAgents: true, Priority: 3}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001", Queues: []string{"support", "sales"}})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := store.Agent{ID: "bob", Name: "bob", Extension: "1001", Capacity: 2, Queues: []string{"support", "sales"},
		AgentRouting: store.AgentRouting{Attributes: map[string]any{}, Channels: map[string]int{}, MaxNonBlocking: 1, Role: "agent", Voicemail: &yes}}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("PutAgent = %+v, want %+v", a, want)
	}
	got, err := s.GetAgent(ctx, "bob")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("GetAgent = %+v, %v", got, err)
	}
	if _, err := s.GetAgent(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAgent(nobody) = %v, want ErrNotFound", err)
	}
	if _, err := s.PutRoute(ctx, store.Route{Number: "+15551234", Target: "queue:sales"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutRoute(ctx, store.Route{Number: "echo", Target: "echo"}); err != nil {
		t.Fatal(err)
	}
	routes, _ := s.ListRoutes(ctx)
	if len(routes) != 2 || routes[0].Number != "+15551234" {
		t.Errorf("ListRoutes = %+v", routes)
	}
	// Queue in use by route and agents: refused, naming users.
	err = s.DeleteQueue(ctx, "sales")
	var ve *store.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, store.ErrInUse) || ve.Field != "id" ||
		!strings.Contains(ve.Reason, "route +15551234") || !strings.Contains(ve.Reason, "agent bob") {
		t.Fatalf("DeleteQueue(sales) = %v", err)
	}
	if err := s.DeleteRoute(ctx, "+15551234"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRoute(ctx, "+15551234"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteRoute = %v", err)
	}
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001", Queues: []string{"support"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteQueue(ctx, "sales"); err != nil {
		t.Fatalf("DeleteQueue(sales) after freeing it = %v", err)
	}
	qs, _ := s.ListQueues(ctx)
	if len(qs) != 1 || qs[0] != (store.Queue{ID: "support", Name: "SUPPORT", TimeoutSeconds: 15, WrapupSeconds: 5, AllowBusyAgents: true, Priority: 3, MaxWaitSeconds: store.DefaultMaxWaitSeconds,
		QueueRouting: store.QueueRouting{Order: "fifo", SLSeconds: 20}}) {
		t.Errorf("ListQueues = %+v", qs)
	}
	if err := s.DeleteAgent(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteQueue(ctx, "support"); err != nil {
		t.Fatalf("DeleteQueue(support) after deleting its agent = %v", err)
	}
	if as, _ := s.ListAgents(ctx); len(as) != 0 {
		t.Errorf("ListAgents = %+v", as)
	}
}

func Validation(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	putQueues(t, s, "sales")
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001"}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 65)
	tests := []struct {
		name   string
		put    func() error
		field  string
		reason string
	}{
		{"agent empty id", func() error { _, err := s.PutAgent(ctx, store.Agent{Extension: "12"}); return err }, "id", "required"},
		{"agent upper id", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: "Bob", Extension: "12"}); return err }, "id", "must match"},
		{"agent long id", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: long, Extension: "12"}); return err }, "id", "must match"},
		{"extension missing", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: "al"}); return err }, "extension", "required"},
		{"extension short", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "1"}); return err }, "extension", "2 to 8 digits"},
		{"extension long", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "123456789"}); return err }, "extension", "2 to 8 digits"},
		{"extension letters", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "12a"}); return err }, "extension", "2 to 8 digits"},
		{"extension duplicate", func() error { _, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "1001"}); return err }, "extension", "1001 already used by agent bob"},
		{"capacity high", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "12", Capacity: 9})
			return err
		}, "capacity", "out of range 1..8"},
		{"capacity negative", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "12", Capacity: -1})
			return err
		}, "capacity", "out of range"},
		{"unknown queue", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "12", Queues: []string{"nope"}})
			return err
		}, "queues", "unknown queue nope"},
		{"bad queue id", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "12", Queues: []string{"No Pe"}})
			return err
		}, "queues", "must match"},
		{"queue twice", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "al", Extension: "12", Queues: []string{"sales", "sales"}})
			return err
		}, "queues", "twice"},
		{"name control", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "al", Name: "a\nb", Extension: "12"})
			return err
		}, "name", "control"},
		{"queue bad id", func() error { _, err := s.PutQueue(ctx, store.Queue{ID: "a b"}); return err }, "id", "must match"},
		{"queue timeout", func() error { _, err := s.PutQueue(ctx, store.Queue{ID: "q", TimeoutSeconds: -1}); return err }, "timeout_seconds", "out of range"},
		{"queue wrapup", func() error { _, err := s.PutQueue(ctx, store.Queue{ID: "q", WrapupSeconds: -1}); return err }, "wrapup_seconds", "out of range"},
		{"queue priority", func() error { _, err := s.PutQueue(ctx, store.Queue{ID: "q", Priority: 5000}); return err }, "priority", "out of range"},
		{"queue max wait", func() error { _, err := s.PutQueue(ctx, store.Queue{ID: "q", MaxWaitSeconds: 90000}); return err }, "max_wait_seconds", "out of range"},
		{"route empty number", func() error { _, err := s.PutRoute(ctx, store.Route{Target: "echo"}); return err }, "number", "required"},
		{"route bad number", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "12 34", Target: "echo"}); return err }, "number", "must be"},
		{"route plus inside", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "12+34", Target: "echo"}); return err }, "number", "must be"},
		{"route empty target", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "100"}); return err }, "target", "required"},
		{"route bad target", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "100", Target: "voicemail"}); return err }, "target", "must be queue:<id>"},
		{"route unknown queue", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "100", Target: "queue:nope"}); return err }, "target", "unknown queue nope"},
		{"route bad extension", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "100", Target: "extension:1"}); return err }, "target", "2 to 8 digits"},
		{"route bad ivr", func() error { _, err := s.PutRoute(ctx, store.Route{Number: "100", Target: "ivr:queue"}); return err }, "target", "must be"},
		{"empty password", func() error { return s.SetPassword(ctx, "bob", "") }, "password", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.put()
			var ve *store.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !strings.Contains(ve.Reason, tt.reason) {
				t.Errorf("err = %v, want field %s with reason containing %q", err, tt.field, tt.reason)
			}
		})
	}
	// Nothing invalid was written.
	as, _ := s.ListAgents(ctx)
	qs, _ := s.ListQueues(ctx)
	rs, _ := s.ListRoutes(ctx)
	if len(as) != 1 || len(qs) != 1 || len(rs) != 0 {
		t.Errorf("after invalid writes: %d agents, %d queues, %d routes", len(as), len(qs), len(rs))
	}
	// Changing one's own extension to itself is fine.
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001", Capacity: 8}); err != nil {
		t.Errorf("re-put bob: %v", err)
	}
}

func Passwords(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.CheckPassword(ctx, "bob", ""); ok || err != nil {
		t.Errorf("check without password = %v, %v", ok, err)
	}
	if err := s.SetPassword(ctx, "bob", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "nobody", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPassword(nobody) = %v", err)
	}
	a, _ := s.GetAgent(ctx, "bob")
	if !strings.HasPrefix(a.PasswordHash, "$2a$") || strings.Contains(a.PasswordHash, "s3cret") {
		t.Errorf("hash = %q, want bcrypt", a.PasswordHash)
	}
	for _, tt := range []struct {
		agent, pw string
		want      bool
	}{{"bob", "s3cret", true}, {"bob", "S3cret", false}, {"bob", "", false}, {"nobody", "s3cret", false}} {
		if ok, err := s.CheckPassword(ctx, tt.agent, tt.pw); ok != tt.want || err != nil {
			t.Errorf("CheckPassword(%s, %q) = %v, %v; want %v", tt.agent, tt.pw, ok, err, tt.want)
		}
	}
	// A put without hash keeps the password; a put with one replaces it.
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1002"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CheckPassword(ctx, "bob", "s3cret"); !ok {
		t.Error("password lost by a put without one")
	}
	h, _ := store.HashPassword("new")
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1002", PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CheckPassword(ctx, "bob", "new"); !ok {
		t.Error("new password not set by put")
	}
}

func AdminToken(t *testing.T, be Backend) {
	dir := be.Fresh(t)
	s := be.Open(t, dir)
	ctx := t.Context()
	tok, created, err := s.AdminToken(ctx)
	if err != nil || !created || len(tok) < 30 {
		t.Fatalf("first AdminToken = %q, %v, %v", tok, created, err)
	}
	_ = s.Close()
	s = be.Open(t, dir)
	again, created, err := s.AdminToken(ctx)
	if err != nil || created || again != "" {
		t.Fatalf("second AdminToken = %q, %v, %v", again, created, err)
	}
	if ok, _ := s.CheckAdminToken(ctx, tok); !ok {
		t.Error("generated token refused after reopen")
	}
	if ok, _ := s.CheckAdminToken(ctx, tok+"x"); ok {
		t.Error("wrong token accepted")
	}
	if err := s.SetAdminToken(ctx, "flag-token"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CheckAdminToken(ctx, tok); ok {
		t.Error("old token still accepted")
	}
	if ok, _ := s.CheckAdminToken(ctx, "flag-token"); !ok {
		t.Error("flag token refused")
	}
}

func RecordsAndEvents(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		agent, queue := "bob", "sales"
		if i%2 == 1 {
			agent = "ann"
		}
		if i%3 == 0 {
			queue = "support"
		}
		r := store.CallRecord{Call: fmt.Sprintf("c%d", i), Agent: agent, Queue: queue, Kind: "queue", Direction: "inbound",
			From: "+1555", To: "100", StartedAt: t0.Add(time.Duration(i) * time.Minute), EndedAt: t0.Add(time.Duration(i)*time.Minute + 30*time.Second),
			WaitSeconds: 1.5, RingSeconds: 2, TalkSeconds: 25.25, HoldSeconds: 0, Outcome: "answered"}
		if err := s.AppendRecord(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	calls := func(rs []store.CallRecord) string {
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.Call)
		}
		return strings.Join(ids, ",")
	}
	tests := []struct {
		name string
		f    store.RecordFilter
		want string
	}{
		{"all", store.RecordFilter{}, "c0,c1,c2,c3,c4,c5,c6,c7,c8,c9"},
		{"since", store.RecordFilter{Since: t0.Add(7 * time.Minute)}, "c7,c8,c9"},
		{"until exclusive", store.RecordFilter{Until: t0.Add(2 * time.Minute)}, "c0,c1"},
		{"window", store.RecordFilter{Since: t0.Add(2 * time.Minute), Until: t0.Add(5 * time.Minute)}, "c2,c3,c4"},
		{"agent", store.RecordFilter{Agent: "ann"}, "c1,c3,c5,c7,c9"},
		{"queue", store.RecordFilter{Queue: "support"}, "c0,c3,c6,c9"},
		{"agent and queue", store.RecordFilter{Agent: "ann", Queue: "support"}, "c3,c9"},
		{"limit", store.RecordFilter{Limit: 3}, "c0,c1,c2"},
		{"other zone", store.RecordFilter{Since: t0.Add(8 * time.Minute).In(time.FixedZone("x", -5*3600))}, "c8,c9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.ListRecords(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := calls(rs); got != tt.want {
				t.Errorf("ListRecords(%+v) = %s, want %s", tt.f, got, tt.want)
			}
		})
	}
	rs, _ := s.ListRecords(ctx, store.RecordFilter{Limit: 1})
	want := store.CallRecord{Call: "c0", Agent: "bob", Queue: "support", Kind: "queue", Direction: "inbound", From: "+1555", To: "100",
		StartedAt: t0, EndedAt: t0.Add(30 * time.Second), WaitSeconds: 1.5, RingSeconds: 2, TalkSeconds: 25.25, Outcome: "answered",
		Channel: "voice"} // a record written without a channel is a call (PROTOCOL §10)
	if !reflect.DeepEqual(rs[0], want) {
		t.Errorf("record = %+v\nwant %+v", rs[0], want)
	}
	talk := 3.5
	for i, typ := range []string{events.CallAnswered, events.CallEnded} {
		e := events.Event{Seq: uint64(i + 1), Type: typ, At: t0.Add(time.Duration(i) * time.Second), Call: "c0", Agent: "bob"}
		if typ == events.CallEnded {
			e.TalkSeconds = &talk
		}
		if err := s.AppendEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.ListEvents(ctx, store.RecordFilter{Since: t0.Add(time.Second)})
	if err != nil || len(evs) != 1 || evs[0].Type != events.CallEnded || *evs[0].TalkSeconds != 3.5 || !evs[0].At.Equal(t0.Add(time.Second)) {
		t.Errorf("ListEvents = %+v, %v", evs, err)
	}
}

// Concurrent edits of one agent are serialized: each edit sees the
// previous result, so an increment never gets lost.
func ConcurrentEditsSerialized(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Extension: "1001", Capacity: 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]bool{}
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				a, err := s.EditAgent(ctx, "bob", func(cur store.Agent, exists bool) (store.Agent, error) {
					cur.Capacity = (w+i)%8 + 1
					return BumpName(cur, exists)
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[a.Name] {
					t.Errorf("two edits returned %s: an update was lost", a.Name)
				}
				seen[a.Name] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	a, _ := s.GetAgent(ctx, "bob")
	if a.Name != "n40" {
		t.Errorf("after 40 serialized increments Name = %s", a.Name)
	}
}

func BenchPutAgent(b *testing.B, be Backend) {
	s := be.Open(b, be.Fresh(b))
	ctx := context.Background()
	putQueues(b, s, "sales")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.PutAgent(ctx, store.Agent{ID: "bob", Name: fmt.Sprint(i), Extension: "1001", Queues: []string{"sales"}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

func Journal(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	hub := events.NewHub()
	sub := hub.Subscribe(100)
	errc := make(chan error, 1)
	go func() { errc <- store.Journal(t.Context(), s, sub, nil) }()
	for _, typ := range []string{events.TaskCreated, events.ReservationCreated, events.CallAnswered} {
		hub.Publish(events.Event{Type: typ, Call: "c1"})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := s.ListEvents(t.Context(), store.RecordFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 3 {
			if evs[0].Type != events.TaskCreated || evs[2].Seq != 3 {
				t.Errorf("journal = %+v", evs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("journal has %d events, want 3", len(evs))
		}
		time.Sleep(5 * time.Millisecond)
	}
	sub.Close()
	if err := <-errc; err != nil {
		t.Errorf("Journal = %v after Close", err)
	}
}

// PROTOCOL §10 fields: defaults, limits, the expression check, and they
// survive a reopen.
func RoutingFields(t *testing.T, be Backend) {
	dir := be.Fresh(t)
	s := be.Open(t, dir)
	ctx := t.Context()
	q, err := s.PutQueue(ctx, store.Queue{ID: "es", QueueRouting: store.QueueRouting{TargetWorkers: `"spanish" in skills and level >= 2`, Order: "lifo", SimultaneousTasks: true}})
	if err != nil {
		t.Fatal(err)
	}
	if q.SLSeconds != 20 || q.Order != "lifo" || !q.SimultaneousTasks {
		t.Fatalf("queue %+v", q)
	}
	a, err := s.PutAgent(ctx, store.Agent{ID: "ana", Extension: "101", AgentRouting: store.AgentRouting{
		Attributes: map[string]any{"skills": []any{"spanish"}, "level": 3.0}, Channels: map[string]int{"chat": 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxNonBlocking != 1 || a.Role != "agent" || a.Voicemail == nil || !*a.Voicemail || a.Channels["chat"] != 3 {
		t.Fatalf("agent defaults %+v", a.AgentRouting)
	}
	bad := []struct {
		field string
		put   func() error
	}{
		{"target_workers", func() error {
			_, err := s.PutQueue(ctx, store.Queue{ID: "x", QueueRouting: store.QueueRouting{TargetWorkers: "level >="}})
			return err
		}},
		{"order", func() error {
			_, err := s.PutQueue(ctx, store.Queue{ID: "x", QueueRouting: store.QueueRouting{Order: "random"}})
			return err
		}},
		{"attributes", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "b", Extension: "102", AgentRouting: store.AgentRouting{Attributes: map[string]any{"x": strings.Repeat("a", 4100)}}})
			return err
		}},
		{"channels", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "b", Extension: "102", AgentRouting: store.AgentRouting{Channels: map[string]int{"voice": 2}}})
			return err
		}},
		{"max_nonblocking", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "b", Extension: "102", AgentRouting: store.AgentRouting{MaxNonBlocking: 9}})
			return err
		}},
		{"role", func() error {
			_, err := s.PutAgent(ctx, store.Agent{ID: "b", Extension: "102", AgentRouting: store.AgentRouting{Role: "boss"}})
			return err
		}},
	}
	for _, b := range bad {
		var ve *store.ValidationError
		if err := b.put(); !errors.As(err, &ve) || ve.Field != b.field || ve.Reason == "" {
			t.Errorf("%s: %v, want a ValidationError on it", b.field, err)
		}
	}
	agents, _ := s.ListAgents(ctx)
	if m := store.Members(q, agents); len(m) != 1 || m[0] != "ana" {
		t.Fatalf("members by target_workers %v", m)
	}
	_ = s.Close()
	s = be.Open(t, dir)
	got, _ := s.GetAgent(ctx, "ana")
	if got.Attributes["level"] != 3.0 || got.Channels["chat"] != 3 {
		t.Fatalf("after reopen %+v", got.AgentRouting)
	}
	qs, _ := s.ListQueues(ctx)
	if len(qs) != 1 || qs[0].TargetWorkers != q.TargetWorkers {
		t.Fatalf("queues after reopen %+v", qs)
	}
}

// A queue that a workflow routes through cannot be deleted.
func DeleteQueueUsedByWorkflow(t *testing.T, be Backend) {
	s := be.Open(t, be.Fresh(t))
	ctx := t.Context()
	putQueues(t, s, "es", "sales")
	if _, err := s.PutWorkflow(ctx, store.Workflow{ID: "wf", DefaultQueue: "sales", Filters: []store.WorkflowFilter{
		{Name: "es", Expression: `lang == "es"`, Targets: []store.WorkflowTarget{{Queue: "es", TimeoutSeconds: 3}}}}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"es", "sales"} {
		err := s.DeleteQueue(ctx, q)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, store.ErrInUse) || !strings.Contains(ve.Reason, "workflow wf") {
			t.Errorf("DeleteQueue(%s) = %v, want in use by workflow wf", q, err)
		}
	}
	if err := s.DeleteWorkflow(ctx, "wf"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteQueue(ctx, "es"); err != nil {
		t.Fatalf("DeleteQueue(es) after the workflow went: %v", err)
	}
}
