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
