package router

import (
	"fmt"
	"maps"
	"testing"
	"time"
)

// A task put back with AddAssigned counts exactly as one accepted in this
// router (§5, §10 rules 1–4): for every held task and every new task, the
// new task is offered to the agent in the rebuilt router iff it is in the
// one that offered and accepted the held task; the agents' counters are
// the same; and completing the held task ends it the same way (its
// queue's wrap-up included).
func TestAddAssignedCountsAsAccepted(t *testing.T) {
	setup := func(t *testing.T) *Router {
		r := New(Config{})
		for _, q := range []Queue{
			{ID: "chat", Simultaneous: true},
			{ID: "mail", Wrapup: 10 * time.Second},
			{ID: "sales", Wrapup: 5 * time.Second},
		} {
			must(t, r.PutQueue(q, t0))
		}
		must(t, r.PutAgent(AgentConfig{ID: "x", Capacity: 2, Queues: []QueueID{"chat", "mail", "sales"},
			Channels: map[string]int{"chat": 2, "mail": 1}, MaxNonBlocking: 1}, t0))
		must(t, r.SetConnected("x", true, t0))
		must(t, r.SetActivity("x", ActivityAvailable, t0))
		r.Drain(nil)
		return r
	}
	tasks := map[string]Task{
		"blocking chat":     {Kind: KindQueue, Queue: "chat", Channel: "chat"},
		"non-blocking chat": {Kind: KindQueue, Queue: "chat", Channel: "chat", NonBlocking: true},
		"mail":              {Kind: KindQueue, Queue: "mail", Channel: "mail"},
		"call":              {Kind: KindQueue, Queue: "sales"},
	}
	t1 := t0.Add(time.Second)
	for held, ht := range tasks {
		for probe, pt := range tasks {
			t.Run(held+" then "+probe, func(t *testing.T) {
				ht.ID, pt.ID = "held", "probe"
				accepted, rebuilt := setup(t), setup(t)
				must(t, accepted.AddTask(ht, t1))
				s, _ := accepted.Task("held")
				if s.State != TaskReserved {
					t.Fatalf("held %+v not offered", s)
				}
				must(t, accepted.Accept(s.Reservation, t1))
				must(t, rebuilt.AddAssigned(ht, "x", t1))
				if evs := rebuilt.Drain(nil); len(evs) != 0 {
					t.Errorf("AddAssigned emitted\n%s", summary(evs))
				}
				if a, b := counters(accepted), counters(rebuilt); a != b {
					t.Fatalf("x accepted: %s; rebuilt: %s", a, b)
				}
				if s, _ := rebuilt.Task("held"); s.State != TaskAssigned || s.Agent != "x" {
					t.Fatalf("rebuilt held %+v", s)
				}
				t2 := t1.Add(time.Second)
				must(t, accepted.AddTask(pt, t2))
				must(t, rebuilt.AddTask(pt, t2))
				a, _ := accepted.Task("probe")
				b, _ := rebuilt.Task("probe")
				if a.State != b.State {
					t.Fatalf("probe %s after an accepted %s, %s after a rebuilt one", a.State, held, b.State)
				}
				accepted.Drain(nil)
				rebuilt.Drain(nil)
				t3 := t2.Add(time.Second)
				must(t, accepted.Complete("held", t3))
				must(t, rebuilt.Complete("held", t3))
				ea, eb := summary(accepted.Drain(nil)), summary(rebuilt.Drain(nil))
				if ea != eb {
					t.Fatalf("completed after accept:\n%s\nafter rebuild:\n%s", ea, eb)
				}
			})
		}
	}
}

func counters(r *Router) string {
	s, _ := r.Agent("x")
	return fmt.Sprintf("calls %d work %d blocking %d nb %d tasks %d held %v load %d wrapup %v",
		s.Calls, s.Work, s.Blocking, s.NonBlocking, s.Tasks, maps.Clone(s.Held), s.Load, s.Wrapup)
}

// A rebuilt agent beyond its capacity keeps what it holds and is offered
// nothing; AddAssigned refuses an unknown agent, a duplicate id, a bad kind.
func TestAddAssignedBeyondCapacityAndRefusals(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "chat", Simultaneous: true})
	h.ok(h.r.PutAgent(AgentConfig{ID: "x", Queues: []QueueID{"chat"}, Channels: map[string]int{"chat": 1}}, h.now))
	h.ok(h.r.SetConnected("x", true, h.now))
	h.ok(h.r.SetActivity("x", ActivityAvailable, h.now))
	for _, id := range []TaskID{"a", "b"} {
		h.ok(h.r.AddAssigned(Task{ID: id, Kind: KindQueue, Queue: "chat", Channel: "chat", NonBlocking: true}, "x", h.now))
	}
	if s, _ := h.r.Agent("x"); s.Held["chat"] != 2 || s.NonBlocking != 2 {
		t.Fatalf("x %+v: want both chats held", s)
	}
	h.ok(h.r.AddTask(Task{ID: "c", Kind: KindQueue, Queue: "chat", Channel: "chat", NonBlocking: true}, h.now))
	h.wantWaiting("c")
	h.ok(h.r.Complete("a", h.tick(time.Second)))
	h.wantWaiting("c") // still 1 of 1 chats, max_nonblocking 1
	h.ok(h.r.Complete("b", h.tick(time.Second)))
	h.wantOffer("c", "x")
	for name, err := range map[string]error{
		"unknown agent": h.r.AddAssigned(Task{ID: "d", Kind: KindQueue, Queue: "chat"}, "nobody", h.now),
		"duplicate":     h.r.AddAssigned(Task{ID: "c", Kind: KindQueue, Queue: "chat"}, "x", h.now),
		"no kind":       h.r.AddAssigned(Task{ID: "e", Queue: "chat"}, "x", h.now),
		"empty id":      h.r.AddAssigned(Task{Kind: KindQueue, Queue: "chat"}, "x", h.now),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A workflow task resumed where another router had moved it (WorkflowStep,
// StepSince) waits in that target and escalates when that target's time,
// counted from StepSince, runs out: not from its first target, not from
// now. The snapshot's Task of an escalated task resumes it in a new router
// with the same deadline.
func TestWorkflowResumesAtStep(t *testing.T) {
	flow := Workflow{ID: "w", Filters: []Filter{{Targets: []Target{
		{Queue: "es", Timeout: 10 * time.Second}, {Queue: "sales", Timeout: 20 * time.Second}, {Queue: "vip"}}}}}
	setup := func(t *testing.T) *Router {
		r := New(Config{})
		for _, q := range []QueueID{"es", "sales", "vip"} {
			must(t, r.PutQueue(Queue{ID: q}, t0))
		}
		must(t, r.PutWorkflow(flow, t0))
		return r
	}
	now := t0.Add(time.Minute)
	for _, tc := range []struct {
		name      string
		step      int
		since     time.Time
		queue     QueueID   // where it waits after AddTask
		moves     int       // task.moved emitted by AddTask
		escalates time.Time // when it moves on (zero: never)
	}{
		{"first target, now", 0, time.Time{}, "es", 0, now.Add(10 * time.Second)},
		{"second target, 5 s in", 1, now.Add(-5 * time.Second), "sales", 0, now.Add(15 * time.Second)},
		{"second target, its time ran out", 1, now.Add(-25 * time.Second), "vip", 1, time.Time{}},
		{"beyond the last target", 5, now.Add(-time.Hour), "vip", 0, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := setup(t)
			must(t, r.AddTask(Task{ID: "c", Kind: KindQueue, Workflow: "w", Arrived: t0, WorkflowStep: tc.step, StepSince: tc.since}, now))
			if got := len(filter(r.Drain(nil), TaskMoved)); got != tc.moves {
				t.Errorf("%d task.moved on AddTask, want %d", got, tc.moves)
			}
			s, _ := r.Task("c")
			if s.Queue != tc.queue || s.Arrived != t0 {
				t.Fatalf("waits in %s (arrived %v), want %s", s.Queue, s.Arrived, tc.queue)
			}
			at, ok := r.NextDeadline()
			if ok != !tc.escalates.IsZero() || ok && !at.Equal(tc.escalates) {
				t.Fatalf("next deadline %v %v, want %v", at, ok, tc.escalates)
			}
			if !ok {
				return
			}
			r.Advance(at.Add(-time.Millisecond))
			if evs := filter(r.Drain(nil), TaskMoved); len(evs) != 0 {
				t.Fatalf("moved early: %s", summary(evs))
			}
			r.Advance(at)
			if evs := filter(r.Drain(nil), TaskMoved); len(evs) != 1 || evs[0].FromQueue != tc.queue {
				t.Fatalf("at the deadline: %s, want one move from %s", summary(evs), tc.queue)
			}
		})
	}

	// Round trip: escalated once in one router, resumed from its snapshot
	// in another, it moves on at the same time.
	a := setup(t)
	must(t, a.AddTask(Task{ID: "c", Kind: KindQueue, Workflow: "w"}, t0))
	a.Advance(t0.Add(10 * time.Second))
	s, _ := a.Task("c")
	if s.WorkflowStep != 1 || !s.StepSince.Equal(t0.Add(10*time.Second)) || s.Queue != "sales" {
		t.Fatalf("after one escalation: step %d since %v in %s", s.WorkflowStep, s.StepSince, s.Queue)
	}
	b := setup(t)
	in := s.Task
	in.Queue = "" // as a node reports it: the workflow, not its queue
	must(t, b.AddTask(in, t0.Add(12*time.Second)))
	da, _ := a.NextDeadline()
	db, _ := b.NextDeadline()
	if !da.Equal(db) || !db.Equal(t0.Add(30*time.Second)) {
		t.Errorf("resumed deadline %v, the original's %v; want %v", db, da, t0.Add(30*time.Second))
	}
}

// StartWrapup gives an agent the wrap-up of a queue after work another
// router routed (§5 rule 8, §10 rule 5): none for a queue without Wrapup,
// with Simultaneous, or unknown; the queue's time otherwise, ended by its
// timer as after CallEnded.
func TestStartWrapup(t *testing.T) {
	r := New(Config{})
	for _, q := range []Queue{{ID: "sales"}, {ID: "chat", Wrapup: 5 * time.Second, Simultaneous: true}, {ID: "support", Wrapup: 30 * time.Second}} {
		must(t, r.PutQueue(q, t0))
	}
	must(t, r.PutAgent(AgentConfig{ID: "x", Queues: []QueueID{"sales"}}, t0))
	r.Drain(nil)
	for _, q := range []QueueID{"sales", "chat", "nope"} {
		must(t, r.StartWrapup("x", q, t0))
		if s, _ := r.Agent("x"); s.Wrapup || len(r.Drain(nil)) != 0 {
			t.Errorf("after StartWrapup of %s: %+v, want no wrap-up", q, s)
		}
	}
	must(t, r.StartWrapup("x", "support", t0))
	if ev := r.Drain(nil); len(ev) != 1 || ev[0].Type != AgentWrapup || ev[0].Reason != ReasonWrapupStarted || !ev[0].Expires.Equal(t0.Add(30*time.Second)) {
		t.Errorf("events after StartWrapup of support: %+v, want agent.wrapup started until t0+30 s", ev)
	}
	r.Advance(t0.Add(30 * time.Second))
	if s, _ := r.Agent("x"); s.Wrapup {
		t.Errorf("x after its wrap-up's 30 s: %+v", s)
	}
	if err := r.StartWrapup("nobody", "support", t0); err == nil {
		t.Error("StartWrapup of an unknown agent: no error")
	}
}
