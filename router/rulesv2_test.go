package router

import (
	"testing"
	"time"
)

// Routing v2 (PROTOCOL.md section 10): one named test per rule. The five
// blocking rules are quoted word for word above their tests.

func (h *harness) task(id TaskID, q QueueID, ch string, nonBlocking bool) {
	h.t.Helper()
	h.ok(h.r.AddTask(Task{ID: id, Kind: KindQueue, Queue: q, Channel: ch, NonBlocking: nonBlocking}, h.now))
}

// taken adds task id and has agent accept its offer.
func (h *harness) taken(id TaskID, q QueueID, ch string, nonBlocking bool, agent AgentID) {
	h.t.Helper()
	h.task(id, q, ch, nonBlocking)
	h.wantOffer(id, agent)
	h.accept(id)
}

func (h *harness) agentCfg(cfg AgentConfig) {
	h.t.Helper()
	h.ok(h.r.PutAgent(cfg, h.now))
	h.ok(h.r.SetConnected(cfg.ID, true, h.now))
	h.ok(h.r.SetActivity(cfg.ID, ActivityAvailable, h.now))
}

func (h *harness) snap(id AgentID) AgentSnapshot {
	h.t.Helper()
	s, ok := h.r.Agent(id)
	if !ok {
		h.t.Fatalf("no agent %s", id)
	}
	return s
}

// Rule 1: "Calls are always blocking. A task is blocking unless
// `block_agent: false` and its queue has `simultaneous_tasks: true`."
func TestV2Rule1WhatBlocks(t *testing.T) {
	tests := []struct {
		name        string
		channel     string
		nonBlocking bool
		simult      bool
		blocking    bool
	}{
		{"call with block_agent false in a simultaneous queue", "", true, true, true},
		{"call named voice", Voice, true, true, true},
		{"chat, block_agent true, simultaneous queue", "chat", false, true, true},
		{"chat, block_agent false, queue not simultaneous", "chat", true, false, true},
		{"chat, block_agent false, simultaneous queue", "chat", true, true, false},
		{"email, block_agent false, simultaneous queue", "email", true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.queue(Queue{ID: "q", Simultaneous: tc.simult})
			h.agentCfg(AgentConfig{ID: "a", Queues: []QueueID{"q"}, MaxNonBlocking: 4})
			h.task("t", "q", tc.channel, tc.nonBlocking)
			s, _ := h.r.Task("t")
			if s.Blocking != tc.blocking {
				t.Fatalf("Blocking = %v, want %v", s.Blocking, tc.blocking)
			}
			h.wantOffer("t", "a")
			h.accept("t")
			a := h.snap("a")
			if got := a.Blocking > 0; got != tc.blocking {
				t.Fatalf("agent blocking %d, nonblocking %d; want blocking %v", a.Blocking, a.NonBlocking, tc.blocking)
			}
		})
	}
}

// Rule 2: "An agent holding any blocking work (a call in any state, a live
// call reservation, a blocking task) is offered no queue work. Direct calls
// keep the v1 rule: they reach a busy agent while it is below capacity."
func TestV2Rule2BlockingWorkStopsQueueWork(t *testing.T) {
	holds := []struct {
		name  string
		setup func(h *harness)
	}{
		{"outbound call", func(h *harness) { h.ok(h.r.AddCall("a1", h.now)) }},
		{"accepted call", func(h *harness) { h.taken("c", "voiceq", "", false, "a1") }},
		{"held call counts like any call", func(h *harness) { h.ok(h.r.AddCall("a1", h.now)) }},
		{"live call reservation", func(h *harness) { h.task("c", "voiceq", "", false); h.wantOffer("c", "a1") }},
		{"blocking task offered", func(h *harness) { h.task("b", "q", "chat", false); h.wantOffer("b", "a1") }},
		{"blocking task accepted", func(h *harness) { h.taken("b", "q", "chat", false, "a1") }},
	}
	next := []struct {
		name        string
		channel     string
		nonBlocking bool
	}{{"call", "", false}, {"blocking chat", "chat", false}, {"non-blocking email", "email", true}}
	for _, hold := range holds {
		for _, n := range next {
			for _, second := range []bool{false, true} {
				name := hold.name + "/then " + n.name
				if second {
					name += "/free second agent"
				}
				t.Run(name, func(t *testing.T) {
					h := newHarness(t)
					h.queue(Queue{ID: "q", Simultaneous: true})
					h.queue(Queue{ID: "voiceq"})
					h.agentCfg(AgentConfig{ID: "a1", Extension: "101", Capacity: 2, Queues: []QueueID{"q", "voiceq"}, MaxNonBlocking: 4})
					hold.setup(h)
					if second {
						h.tick(time.Second)
						h.agentCfg(AgentConfig{ID: "a2", Extension: "102", Queues: []QueueID{"q", "voiceq"}})
					}
					qid := QueueID("q")
					if n.channel == "" {
						qid = "voiceq"
					}
					h.task("n", qid, n.channel, n.nonBlocking)
					_, got := h.offerOf("n")
					if got == "a1" {
						t.Fatalf("queue work offered to a1 holding blocking work")
					}
					if second && got != "a2" {
						t.Fatalf("offered to %q, want the free a2", got)
					}
					if !second {
						h.wantWaiting("n")
					}
					// Direct calls still reach a1 below its capacity.
					if a := h.snap("a1"); a.Load < a.Capacity {
						h.directTask("d", "101")
						h.wantOffer("d", "a1")
					}
				})
			}
		}
	}
}

// aloneAndWithSecond runs f as two subtests: the agent under test alone,
// and with a free second agent (second).
func aloneAndWithSecond(t *testing.T, f func(t *testing.T, second bool)) {
	for _, second := range []bool{false, true} {
		name := "alone"
		if second {
			name = "with a free second agent"
		}
		t.Run(name, func(t *testing.T) { f(t, second) })
	}
}

// Luware scenario 1: "Agent1 accepts a blocking task, and the next task is
// not offered to it." With and without a free second agent.
func TestV2LuwareScenario1BlockingTask(t *testing.T) {
	aloneAndWithSecond(t, func(t *testing.T, second bool) {
		h := newHarness(t)
		h.queue(Queue{ID: "q", Simultaneous: true})
		h.agentCfg(AgentConfig{ID: "Agent1", Queues: []QueueID{"q"}, MaxNonBlocking: 2, Channels: map[string]int{"chat": 4}})
		h.taken("t1", "q", "chat", false, "Agent1")
		if second {
			h.tick(time.Second)
			h.agentCfg(AgentConfig{ID: "Agent2", Queues: []QueueID{"q"}})
		}
		for _, nb := range []bool{false, true} {
			id := TaskID("next-blocking")
			if nb {
				id = "next-nonblocking"
			}
			h.task(id, "q", "chat", nb)
			_, got := h.offerOf(id)
			if got == "Agent1" {
				t.Fatalf("%s offered to Agent1 holding a blocking task", id)
			}
			if second && got != "Agent2" && !nb {
				t.Fatalf("%s offered to %q, want Agent2", id, got)
			}
		}
		if !second {
			h.wantWaiting("next-blocking")
			h.wantWaiting("next-nonblocking")
		}
	})
}

// Luware scenario 2: "With a limit of 2, Agent1 gets two non-blocking tasks
// and not a third." With and without a free second agent.
func TestV2LuwareScenario2NonBlockingLimit(t *testing.T) {
	aloneAndWithSecond(t, func(t *testing.T, second bool) {
		h := newHarness(t)
		h.queue(Queue{ID: "q", Simultaneous: true})
		h.agentCfg(AgentConfig{ID: "Agent1", Queues: []QueueID{"q"}, MaxNonBlocking: 2, Channels: map[string]int{"chat": 8}})
		if second {
			h.tick(time.Second)
			h.agentCfg(AgentConfig{ID: "Agent2", Queues: []QueueID{"q"}, MaxNonBlocking: 2, Channels: map[string]int{"chat": 8}})
		}
		got := map[AgentID]int{}
		for i := range 5 {
			id := TaskID("t" + string(rune('1'+i)))
			h.tick(time.Second)
			h.task(id, "q", "chat", true)
			if _, a := h.offerOf(id); a != "" {
				h.accept(id)
				got[a]++
			}
			if got["Agent1"] > 2 {
				t.Fatalf("Agent1 got a third non-blocking task")
			}
		}
		if got["Agent1"] != 2 {
			t.Fatalf("Agent1 got %d non-blocking tasks, want 2", got["Agent1"])
		}
		if second {
			if got["Agent2"] != 2 {
				t.Fatalf("Agent2 got %d, want 2", got["Agent2"])
			}
			h.wantWaiting("t5")
		} else {
			h.wantWaiting("t3")
		}
	})
}

// Rule 3: "An agent whose only work is non-blocking tasks may be offered
// queue work, blocking or not. It gets it only when no eligible agent of
// that queue is completely free (holds no work at all). A further
// non-blocking task needs the agent to hold fewer than `max_nonblocking` of
// them."
func TestV2Rule3PartlyBusyOnlyWithoutFreeAgent(t *testing.T) {
	for _, kind := range []struct {
		name        string
		channel     string
		nonBlocking bool
	}{{"call", "", false}, {"blocking chat", "chat", false}, {"non-blocking chat", "chat", true}} {
		t.Run(kind.name, func(t *testing.T) {
			aloneAndWithSecond(t, func(t *testing.T, second bool) {
				h := newHarness(t)
				h.queue(Queue{ID: "q", Simultaneous: true})
				h.agentCfg(AgentConfig{ID: "a1", Queues: []QueueID{"q"}, MaxNonBlocking: 3, Channels: map[string]int{"chat": 3, "email": 1}})
				h.taken("e", "q", "email", true, "a1")
				if second {
					h.tick(time.Second)
					h.agentCfg(AgentConfig{ID: "a2", Queues: []QueueID{"q"}})
				}
				h.task("n", "q", kind.channel, kind.nonBlocking)
				if second {
					h.wantOffer("n", "a2")
				} else {
					h.wantOffer("n", "a1")
				}
			})
		})
	}
	t.Run("partly busy agent takes a waiting task when it frees capacity, free agent first", func(t *testing.T) {
		h := newHarness(t)
		h.queue(Queue{ID: "q", Simultaneous: true})
		h.agentCfg(AgentConfig{ID: "a1", Queues: []QueueID{"q"}, MaxNonBlocking: 1, Channels: map[string]int{"chat": 3}})
		h.task("c1", "q", "chat", true)
		h.accept("c1")
		h.task("c2", "q", "chat", true) // a1 at max_nonblocking 1
		h.wantWaiting("c2")
		h.tick(time.Second)
		h.agentCfg(AgentConfig{ID: "a2", Queues: []QueueID{"q"}})
		h.wantOffer("c2", "a2")
	})
}

// Rule 4: "Per-channel capacity (`channels`) caps every channel."
func TestV2Rule4PerChannelCapacity(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q", Simultaneous: true})
	h.agentCfg(AgentConfig{ID: "a", Extension: "101", Capacity: 1, Queues: []QueueID{"q"}, MaxNonBlocking: 8,
		Channels: map[string]int{"chat": 2, "sms": 0}})
	for _, id := range []TaskID{"c1", "c2", "c3"} {
		h.task(id, "q", "chat", true)
	}
	h.wantOffer("c1", "a")
	h.wantOffer("c2", "a")
	h.wantWaiting("c3") // chat capacity 2
	h.task("e1", "q", "email", true)
	h.task("e2", "q", "email", true)
	h.wantOffer("e1", "a")
	h.wantWaiting("e2") // a channel not listed has capacity 1
	h.task("s1", "q", "sms", true)
	h.wantWaiting("s1") // capacity 0: never
	if a := h.snap("a"); a.Held["chat"] != 2 || a.Held["email"] != 1 || a.Held["sms"] != 0 {
		t.Fatalf("held %v", a.Held)
	}
	// Voice keeps Capacity: one direct call reaches a, the second is busy.
	h.directTask("d1", "101")
	h.wantOffer("d1", "a")
	h.directTask("d2", "101")
	if r := fallbackOf(h.drain(), "d2"); r != ReasonBusy {
		t.Fatalf("second call at voice capacity 1: fallback %q, want busy", r)
	}
	// Rejecting a chat frees its slot for the waiting one.
	res, _ := h.offerOf("c1")
	h.ok(h.r.Reject(res, h.now))
	if _, got := h.offerOf("c3"); got == "a" {
		// a holds a call offer now (blocking): rule 2 wins over free chat capacity.
		t.Fatalf("c3 offered to a while a holds a call reservation")
	}
}

// Rule 5: "Tasks and calls of a queue with `simultaneous_tasks: true` get
// no wrap-up."
func TestV2Rule5NoWrapupWhenSimultaneous(t *testing.T) {
	for _, simult := range []bool{false, true} {
		for _, ch := range []string{"", "chat"} {
			name := "call"
			if ch != "" {
				name = ch
			}
			if simult {
				name += "/simultaneous"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t)
				h.queue(Queue{ID: "q", Simultaneous: simult, Wrapup: 30 * time.Second})
				h.agentCfg(AgentConfig{ID: "a", Queues: []QueueID{"q"}})
				h.task("t", "q", ch, true)
				h.accept("t")
				h.ok(h.r.Complete("t", h.tick(time.Second)))
				if got := h.snap("a").Wrapup; got == simult {
					t.Fatalf("wrap-up %v with simultaneous_tasks %v", got, simult)
				}
			})
		}
	}
}

// order: "lifo" serves the newest waiting task first (at equal priority).
func TestV2LIFO(t *testing.T) {
	for _, order := range []Order{FIFO, LIFO} {
		t.Run(order.String(), func(t *testing.T) {
			h := newHarness(t)
			h.queue(Queue{ID: "q", Order: order})
			h.agent("a", "101", 1, "q")
			h.ok(h.r.AddCall("a", h.now))
			for _, id := range []TaskID{"old", "mid", "new"} {
				h.tick(time.Second)
				h.task(id, "q", "", false)
			}
			h.ok(h.r.AddTask(Task{ID: "urgent-old", Kind: KindQueue, Queue: "q", Priority: 5, Arrived: t0}, h.now))
			want := []TaskID{"urgent-old", "old", "mid", "new"}
			if order == LIFO {
				want = []TaskID{"urgent-old", "new", "mid", "old"}
			}
			h.ok(h.r.EndCall("a", h.now))
			for _, id := range want {
				h.wantOffer(id, "a")
				h.accept(id)
				h.ok(h.r.CallEnded(id, h.tick(time.Second)))
			}
		})
	}
}

func attrIs(k, v string) Matcher {
	return MatchFunc(func(a map[string]any) bool { s, _ := a[k].(string); return s == v })
}

func (h *harness) flow() {
	h.t.Helper()
	for _, q := range []QueueID{"es-1", "es-2", "es-3", "en", "general"} {
		h.queue(Queue{ID: q})
	}
	h.ok(h.r.PutWorkflow(Workflow{ID: "wf", DefaultQueue: "general", Filters: []Filter{
		{Name: "spanish", Match: attrIs("lang", "es"), Targets: []Target{
			{Queue: "es-1", Timeout: 3 * time.Second}, {Queue: "es-2", Timeout: 5 * time.Second, Priority: 2}, {Queue: "es-3"}}},
		{Name: "english", Match: attrIs("lang", "en"), Targets: []Target{{Queue: "en"}}},
	}}, h.now))
}

func (h *harness) wfTask(id TaskID, lang string) {
	h.t.Helper()
	h.ok(h.r.AddTask(Task{ID: id, Kind: KindQueue, Workflow: "wf", Channel: "chat", Payload: "p-" + string(id),
		Attributes: map[string]any{"lang": lang}}, h.now))
}

// Workflows: "The first filter whose expression matches the task's
// attributes wins (no expression matches everything)"; "No filter matching
// sends the task to default_queue. Without one, the task ends with
// task.fallback reason no_match".
func TestV2WorkflowFilters(t *testing.T) {
	h := newHarness(t)
	h.flow()
	h.wfTask("es", "es")
	h.wfTask("en", "en")
	h.wfTask("de", "de")
	for id, q := range map[TaskID]QueueID{"es": "es-1", "en": "en", "de": "general"} {
		if s, _ := h.r.Task(id); s.Queue != q {
			t.Errorf("task %s in %q, want %q", id, s.Queue, q)
		}
	}
	h.ok(h.r.PutWorkflow(Workflow{ID: "strict", Filters: []Filter{{Name: "x", Match: attrIs("lang", "xx"), Targets: []Target{{Queue: "en"}}}}}, h.now))
	h.drain()
	h.ok(h.r.AddTask(Task{ID: "none", Kind: KindQueue, Workflow: "strict"}, h.now))
	if r := fallbackOf(h.drain(), "none"); r != ReasonNoMatch {
		t.Fatalf("no filter, no default: fallback %q, want no_match", r)
	}
	h.ok(h.r.PutWorkflow(Workflow{ID: "all", Filters: []Filter{{Name: "any", Targets: []Target{{Queue: "en"}}}}}, h.now))
	h.ok(h.r.AddTask(Task{ID: "any", Kind: KindQueue, Workflow: "all"}, h.now))
	if s, _ := h.r.Task("any"); s.Queue != "en" {
		t.Fatalf("filter without expression: queue %q", s.Queue)
	}
	h.ok(h.r.AddTask(Task{ID: "nowf", Kind: KindQueue, Workflow: "missing"}, h.now))
	if r := fallbackOf(h.drain(), "nowf"); r != ReasonUnknownWorkflow {
		t.Fatalf("unknown workflow: %q", r)
	}
}

// Escalation: "After that target's timeout_seconds unassigned, it moves to
// the next target, keeping its arrival time, and an event task.moved {task,
// from_queue, to_queue} is emitted. The last target has no timeout."
func TestV2WorkflowEscalation(t *testing.T) {
	h := newHarness(t)
	h.flow()
	arrived := h.now
	h.wfTask("es", "es")
	h.drain()
	if d, ok := h.r.NextDeadline(); !ok || !d.Equal(arrived.Add(3*time.Second)) {
		t.Fatalf("deadline %v %v, want arrival+3s", d, ok)
	}
	h.r.Advance(h.tick(2999 * time.Millisecond))
	if evs := filter(h.drain(), TaskMoved); len(evs) != 0 {
		t.Fatalf("moved early: %v", evs)
	}
	h.r.Advance(h.tick(time.Millisecond))
	mv := filter(h.drain(), TaskMoved)
	if len(mv) != 1 || mv[0].FromQueue != "es-1" || mv[0].Queue != "es-2" || mv[0].Payload != "p-es" {
		t.Fatalf("moved: %+v", mv)
	}
	s, _ := h.r.Task("es")
	if !s.Arrived.Equal(arrived) || s.Priority != 2 || s.Step != 1 {
		t.Fatalf("after move: %+v", s)
	}
	// An agent of es-2 is offered it; the timeout of es-2 runs out while
	// offered: the task moves only when the offer ends unaccepted.
	h.agentCfg(AgentConfig{ID: "a", Queues: []QueueID{"es-2"}})
	res := h.wantOffer("es", "a")
	h.r.Advance(h.tick(5 * time.Second))
	if evs := filter(h.drain(), TaskMoved); len(evs) != 0 {
		t.Fatalf("moved while offered: %v", evs)
	}
	h.ok(h.r.Reject(res, h.now))
	mv = filter(h.drain(), TaskMoved)
	if len(mv) != 1 || mv[0].FromQueue != "es-2" || mv[0].Queue != "es-3" {
		t.Fatalf("moved after reject: %+v", mv)
	}
	// The last target has no timeout.
	if _, ok := h.r.NextDeadline(); ok {
		t.Fatal("a deadline after the last target")
	}
	// An older task escalated into a queue still beats a newer one there.
	h.ok(h.r.AddTask(Task{ID: "newer", Kind: KindQueue, Queue: "es-3", Channel: "chat"}, h.tick(time.Second)))
	h.agentCfg(AgentConfig{ID: "b", Queues: []QueueID{"es-3"}})
	h.wantOffer("es", "b")
}

// The payload is the caller's, carried untouched.
func TestV2Payload(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})
	type call struct{ id int }
	p := &call{7}
	h.ok(h.r.AddTask(Task{ID: "t", Kind: KindQueue, Queue: "q", Payload: p}, h.now))
	h.agent("a", "101", 1, "q")
	for _, e := range h.drain() {
		if (e.Type == TaskCreated || e.Type == ReservationCreated) && e.Payload != any(p) {
			t.Fatalf("%s payload %v", e.Type, e.Payload)
		}
	}
	if got, _ := h.r.Payload("t"); got != any(p) {
		t.Fatalf("Payload %v", got)
	}
	h.r.SetPayload("t", "x")
	if s, _ := h.r.Task("t"); s.Payload != "x" {
		t.Fatalf("snapshot payload %v", s.Payload)
	}
}

// Membership sets come from the caller (target_workers evaluated outside):
// changing them moves the agent between queues at once.
func TestV2MembershipGivenByCaller(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "spanish"})
	h.queue(Queue{ID: "english"})
	h.agentCfg(AgentConfig{ID: "a", Queues: []QueueID{"english"}})
	h.task("t", "spanish", "", false)
	h.wantWaiting("t")
	h.ok(h.r.PutAgent(AgentConfig{ID: "a", Queues: []QueueID{"english", "spanish"}}, h.now))
	h.wantOffer("t", "a")
	if m := h.r.Members("spanish"); len(m) != 1 || m[0] != "a" {
		t.Fatalf("members %v", m)
	}
}
