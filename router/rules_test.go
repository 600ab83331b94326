package router

import (
	"errors"
	"testing"
	"time"
)

// Rule 1: offers only while connected, available and load < capacity.
func TestRule01OfferOnlyWhenConnectedAvailableBelowCapacity(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness)
		offer bool
	}{
		{"available and free", func(h *harness) {}, true},
		{"disconnected", func(h *harness) { h.ok(h.r.SetConnected("a", false, h.now)) }, false},
		{"unavailable", func(h *harness) { h.ok(h.r.SetActivity("a", ActivityUnavailable, h.now)) }, false},
		{"break", func(h *harness) { h.ok(h.r.SetActivity("a", ActivityBreak, h.now)) }, false},
		{"offline", func(h *harness) { h.ok(h.r.SetActivity("a", ActivityOffline, h.now)) }, false},
		{"at capacity with outbound calls", func(h *harness) {
			h.ok(h.r.AddCall("a", h.now))
			h.ok(h.r.AddCall("a", h.now))
		}, false},
	}
	for _, tc := range tests {
		for _, kind := range []TaskKind{KindQueue, KindDirect} {
			t.Run(tc.name+"/"+kind.String(), func(t *testing.T) {
				h := newHarness(t)
				h.queue(Queue{ID: "q", AllowBusyAgents: true})
				h.agent("a", "101", 2, "q")
				tc.setup(h)
				if kind == KindQueue {
					h.queueTask("t", "q", 0)
				} else {
					h.directTask("t", "101")
				}
				_, got := h.offerOf("t")
				if (got == "a") != tc.offer {
					t.Fatalf("offered to %q, want offer %v", got, tc.offer)
				}
				if a, _ := h.r.Agent("a"); a.Load > a.Capacity {
					t.Fatalf("load %d > capacity %d", a.Load, a.Capacity)
				}
			})
		}
	}

	t.Run("AddCall refused at capacity", func(t *testing.T) {
		h := newHarness(t)
		h.agent("a", "101", 1)
		h.ok(h.r.AddCall("a", h.now))
		if err := h.r.AddCall("a", h.now); !errors.Is(err, ErrAtCapacity) {
			t.Fatalf("AddCall at capacity: %v, want ErrAtCapacity", err)
		}
		h.ok(h.r.EndCall("a", h.now))
		h.ok(h.r.AddCall("a", h.now))
	})
	t.Run("offer counts in load", func(t *testing.T) {
		h := newHarness(t)
		h.queue(Queue{ID: "q"})
		h.agent("a", "101", 1, "q")
		h.queueTask("t", "q", 0)
		h.wantOffer("t", "a")
		if err := h.r.AddCall("a", h.now); !errors.Is(err, ErrAtCapacity) {
			t.Fatalf("AddCall with a live offer at capacity 1: %v", err)
		}
		h.directTask("d", "101")
		if r := fallbackOf(h.drain(), "d"); r != ReasonBusy {
			t.Fatalf("direct task to agent at capacity: fallback %q, want busy", r)
		}
	})
}

// Rule 2: queue tasks only to idle members not in wrap-up, longest idle
// first, ties by id.
func TestRule02LongestIdleFirst(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})
	h.queue(Queue{ID: "other"})
	h.agent("c", "103", 2, "q") // idle since t0
	h.agent("b", "102", 2, "q") // idle since t0: ties with c, b < c
	h.tick(time.Second)
	h.agent("a", "101", 2, "q") // idle since t0+1s
	h.agent("x", "109", 2, "other")
	h.agent("busy", "104", 2, "q")
	h.tick(time.Second)

	h.ok(h.r.SetActivity("busy", ActivityBreak, h.now))
	h.ok(h.r.SetActivity("busy", ActivityAvailable, h.now))
	h.ok(h.r.AddCall("busy", h.now)) // load 1: not idle

	h.queueTask("t1", "q", 0)
	h.wantOffer("t1", "b")
	h.queueTask("t2", "q", 0)
	h.wantOffer("t2", "c")
	h.queueTask("t3", "q", 0)
	h.wantOffer("t3", "a")
	h.queueTask("t4", "q", 0) // only "busy" (load 1) and "x" (not a member) are free
	h.wantWaiting("t4")

	// An agent who finishes a call goes to the back of the line.
	h.accept("t1")
	h.tick(time.Second)
	h.ok(h.r.CallEnded("t1", h.now)) // b becomes idle, takes t4 at once
	h.wantOffer("t4", "b")

	// Wrap-up blocks queue tasks.
	h2 := newHarness(t)
	h2.queue(Queue{ID: "q", Wrapup: time.Minute})
	h2.agent("a", "101", 2, "q")
	h2.queueTask("t1", "q", 0)
	h2.accept("t1")
	h2.ok(h2.r.CallEnded("t1", h2.now))
	h2.queueTask("t2", "q", 0)
	h2.wantWaiting("t2")
}

// Rule 3: allow_busy_agents: busy members only when no idle member is
// eligible, never at capacity.
func TestRule03AllowBusyAgents(t *testing.T) {
	setup := func(t *testing.T, allow bool) *harness {
		h := newHarness(t)
		h.queue(Queue{ID: "q", AllowBusyAgents: allow})
		h.agent("busy", "101", 3, "q")
		h.ok(h.r.AddCall("busy", h.now))
		h.tick(time.Second)
		h.agent("idle", "102", 2, "q")
		return h
	}
	t.Run("idle member wins over longer idle busy member", func(t *testing.T) {
		h := setup(t, true)
		h.queueTask("t1", "q", 0)
		h.wantOffer("t1", "idle")
	})
	t.Run("busy member when no idle one", func(t *testing.T) {
		h := setup(t, true)
		h.queueTask("t1", "q", 0)
		h.queueTask("t2", "q", 0)
		h.wantOffer("t2", "busy")
		h.queueTask("t3", "q", 0) // busy 2 of 3, idle 1 of 2: least loaded first
		h.wantOffer("t3", "idle")
		h.queueTask("t4", "q", 0) // idle at capacity, busy 2 of 3
		h.wantOffer("t4", "busy")
		h.queueTask("t5", "q", 0) // both at capacity
		h.wantWaiting("t5")
	})
	t.Run("without the flag busy members wait", func(t *testing.T) {
		h := setup(t, false)
		h.queueTask("t1", "q", 0)
		h.queueTask("t2", "q", 0)
		h.wantWaiting("t2")
		// Turning the flag on takes effect at once.
		h.queue(Queue{ID: "q", AllowBusyAgents: true})
		h.wantOffer("t2", "busy")
	})
	t.Run("busy member excluded from rejected task", func(t *testing.T) {
		h := setup(t, true)
		h.queueTask("t1", "q", 0)
		res := h.wantOffer("t1", "idle")
		h.ok(h.r.Reject(res, h.now))
		h.wantOffer("t1", "busy")
	})
}

// Rule 4: waiting tasks by priority, then oldest, across all of an agent's
// queues.
func TestRule04PriorityThenAgeAcrossQueues(t *testing.T) {
	tests := []struct {
		name  string
		tasks []Task // arrive one second apart, in this order
		want  []TaskID
	}{
		{"oldest first", []Task{
			{ID: "t1", Queue: "q1"}, {ID: "t2", Queue: "q2"}, {ID: "t3", Queue: "q1"},
		}, []TaskID{"t1", "t2", "t3"}},
		{"priority first", []Task{
			{ID: "t1", Queue: "q1"}, {ID: "t2", Queue: "q2", Priority: 5}, {ID: "t3", Queue: "q1", Priority: 1},
		}, []TaskID{"t2", "t3", "t1"}},
		{"queue priority adds", []Task{
			{ID: "t1", Queue: "q1", Priority: 5}, {ID: "t2", Queue: "vip"}, {ID: "t3", Queue: "vip", Priority: 1},
		}, []TaskID{"t3", "t2", "t1"}},
		{"explicit arrival keeps age", []Task{
			{ID: "t1", Queue: "q1"}, {ID: "t2", Queue: "q2", Arrived: t0.Add(-time.Hour)},
		}, []TaskID{"t2", "t1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.queue(Queue{ID: "q1"})
			h.queue(Queue{ID: "q2"})
			h.queue(Queue{ID: "vip", Priority: 10})
			h.ok(h.r.PutAgent(AgentConfig{ID: "a", Capacity: 1, Queues: []QueueID{"q1", "q2", "vip"}}, h.now))
			h.ok(h.r.SetConnected("a", true, h.now))
			for _, task := range tc.tasks {
				h.tick(time.Second)
				task.Kind = KindQueue
				h.ok(h.r.AddTask(task, h.now))
			}
			h.ok(h.r.SetActivity("a", ActivityAvailable, h.now))
			for _, id := range tc.want {
				h.accept(id)
				h.tick(time.Second)
				h.ok(h.r.CallEnded(id, h.now))
			}
		})
	}
}

// Rule 5: direct tasks only to the target, also when it has queue calls.
func TestRule05DirectOnlyToTarget(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})
	h.agent("a", "101", 2, "q")
	h.agent("b", "102", 2, "q")
	h.queueTask("t1", "q", 0)
	h.wantOffer("t1", "a")
	h.accept("t1") // a has a queue call: load 1 of 2
	h.directTask("d1", "101")
	h.wantOffer("d1", "a")
	h.accept("d1")
	h.drain()
	h.directTask("d2", "101") // a at capacity: b idle, but never b
	evs := h.drain()
	if r := fallbackOf(evs, "d2"); r != ReasonBusy {
		t.Fatalf("fallback %q, want busy\n%s", r, summary(evs))
	}
	for _, e := range filter(evs, ReservationCreated) {
		t.Fatalf("direct task offered to %s", e.Agent)
	}
}

// Rule 6: offer timeout; RONA sets unavailable; next agent; direct fallback.
func TestRule06OfferTimeoutRONA(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})                                   // default 15 s
	h.queue(Queue{ID: "fast", OfferTimeout: time.Second * 5}) // own timeout
	h.agent("a", "101", 2, "q", "fast")
	h.tick(time.Second)
	h.agent("b", "102", 2, "q")
	h.queueTask("t1", "q", 0)
	h.wantOffer("t1", "a")
	if d, ok := h.r.NextDeadline(); !ok || d != h.now.Add(15*time.Second) {
		t.Fatalf("deadline %v %v, want +15s", d, ok)
	}
	h.drain()
	h.r.Advance(h.now.Add(15*time.Second - time.Nanosecond))
	if evs := h.drain(); len(evs) != 0 {
		t.Fatalf("events before the deadline: %s", summary(evs))
	}
	h.r.Advance(h.tick(15 * time.Second))
	evs := h.drain()
	wantTypes(t, evs, ReservationTimeout, AgentActivity, ReservationCreated)
	if evs[1].Activity != ActivityUnavailable || evs[1].Reason != ReasonRONA || evs[2].Agent != "b" {
		t.Fatalf("RONA events:\n%s", summary(evs))
	}

	h.accept("t1")

	// Per-queue timeout.
	h.ok(h.r.SetActivity("a", ActivityAvailable, h.now))
	h.queueTask("t2", "fast", 0)
	h.wantOffer("t2", "a")
	if s, _ := h.r.Task("t2"); s.Expires != h.now.Add(5*time.Second) {
		t.Fatalf("fast queue expiry %v", s.Expires.Sub(h.now))
	}

	// Direct: 60 s, then fallback timeout and the agent is unavailable.
	h.directTask("d", "102")
	h.wantOffer("d", "b")
	h.drain()
	h.r.Advance(h.tick(59 * time.Second)) // t2 (5 s) times out too: a RONA
	h.drain()
	h.wantOffer("d", "b")
	h.r.Advance(h.tick(time.Second))
	evs = h.drain()
	if fallbackOf(evs, "d") != ReasonTimeout {
		t.Fatalf("direct timeout:\n%s", summary(evs))
	}
	if b, _ := h.r.Agent("b"); b.Activity != ActivityUnavailable {
		t.Fatalf("b after direct RONA: %v", b.Activity)
	}
}

// Rule 7: reject never goes back to the rejecter; direct fallback at once.
func TestRule07RejectAndDirectFallback(t *testing.T) {
	t.Run("queue task moves on, never back", func(t *testing.T) {
		h := newHarness(t)
		h.queue(Queue{ID: "q"})
		h.agent("a", "101", 2, "q")
		h.queueTask("t1", "q", 0)
		h.ok(h.r.Reject(h.wantOffer("t1", "a"), h.now))
		h.wantWaiting("t1") // a is idle again but rejected it
		h.queueTask("t2", "q", 0)
		h.wantOffer("t2", "a")
		h.ok(h.r.Reject(h.wantOffer("t2", "a"), h.now))
		h.tick(time.Second)
		h.agent("b", "102", 2, "q")
		h.wantOffer("t1", "b") // t1 is older: b takes it first
		h.wantWaiting("t2")
		if s, _ := h.r.Task("t1"); len(s.Exclude) != 1 || s.Exclude[0] != "a" {
			t.Fatalf("exclude %v", s.Exclude)
		}
	})
	tests := []struct {
		name   string
		setup  func(h *harness)
		ext    string
		reason string
	}{
		{"rejected", func(h *harness) {}, "101", ReasonRejected},
		{"at capacity", func(h *harness) { h.ok(h.r.AddCall("a", h.now)) }, "101", ReasonBusy},
		{"unavailable", func(h *harness) { h.ok(h.r.SetActivity("a", ActivityBreak, h.now)) }, "101", ReasonUnavailable},
		{"unknown extension", func(h *harness) {}, "999", ReasonUnknownExtension},
		{"disconnected", func(h *harness) { h.ok(h.r.SetConnected("a", false, h.now)) }, "101", ReasonDisconnected},
	}
	for _, tc := range tests {
		t.Run("direct "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.agent("a", "101", 1)
			tc.setup(h)
			h.drain()
			h.directTask("d", tc.ext)
			if tc.reason == ReasonRejected {
				h.ok(h.r.Reject(h.wantOffer("d", "a"), h.now))
			}
			evs := h.drain()
			if r := fallbackOf(evs, "d"); r != tc.reason {
				t.Fatalf("fallback %q, want %q\n%s", r, tc.reason, summary(evs))
			}
			if _, ok := h.r.Task("d"); ok {
				t.Fatal("task still live after fallback")
			}
		})
	}
}

// Rule 8: wrap-up blocks queue tasks until done or timer; direct still
// reaches the agent.
func TestRule08Wrapup(t *testing.T) {
	for _, end := range []string{"done", "timer"} {
		t.Run(end, func(t *testing.T) {
			h := newHarness(t)
			h.queue(Queue{ID: "q", Wrapup: 30 * time.Second})
			h.agent("a", "101", 2, "q")
			h.queueTask("t1", "q", 0)
			h.accept("t1")
			h.ok(h.r.CallEnded("t1", h.now))
			if a, _ := h.r.Agent("a"); !a.Wrapup || a.WrapupUntil != h.now.Add(30*time.Second) {
				t.Fatalf("after the queue call: %+v", a)
			}
			h.queueTask("t2", "q", 0)
			h.wantWaiting("t2")
			h.directTask("d", "101")
			h.wantOffer("d", "a")
			h.ok(h.r.Reject(h.wantOffer("d", "a"), h.now))
			h.drain()
			if end == "done" {
				h.ok(h.r.WrapupDone("a", h.tick(time.Second)))
			} else {
				h.r.Advance(h.tick(29 * time.Second))
				h.wantWaiting("t2")
				h.r.Advance(h.tick(time.Second))
			}
			evs := h.drain()
			wantTypes(t, evs, AgentWrapup, ReservationCreated)
			h.wantOffer("t2", "a")
		})
	}
	t.Run("direct calls start no wrap-up", func(t *testing.T) {
		h := newHarness(t)
		h.queue(Queue{ID: "q", Wrapup: 30 * time.Second})
		h.agent("a", "101", 2, "q")
		h.directTask("d", "101")
		h.accept("d")
		h.ok(h.r.CallEnded("d", h.now))
		h.queueTask("t", "q", 0)
		h.wantOffer("t", "a")
	})
}
