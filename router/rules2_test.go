package router

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// Rule 9: disconnect / offline / removal with live offers: offers canceled,
// tasks re-offered keeping their age and place.
func TestRule09OffersCanceledOnDisconnectKeepPlace(t *testing.T) {
	tests := []struct {
		name   string
		leave  func(h *harness)
		reason string
	}{
		{"disconnect", func(h *harness) { h.ok(h.r.SetConnected("a", false, h.now)) }, ReasonDisconnected},
		{"offline", func(h *harness) { h.ok(h.r.SetActivity("a", ActivityOffline, h.now)) }, ReasonActivity},
		{"removed", func(h *harness) { h.ok(h.r.RemoveAgent("a", h.now)) }, ReasonAgentRemoved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.queue(Queue{ID: "q", AllowBusyAgents: true})
			h.agent("a", "101", 3, "q")
			h.queueTask("old", "q", 0)
			h.wantOffer("old", "a")
			h.directTask("d", "101")
			h.wantOffer("d", "a")
			h.tick(time.Second)
			h.agent("b", "102", 1, "q")
			h.ok(h.r.AddCall("b", h.now)) // b busy at capacity
			h.tick(time.Second)
			h.queueTask("new", "q", 0) // newer: waits (a has 2 of 3 but... )
			h.wantOffer("new", "a")
			h.ok(h.r.EndCall("b", h.now)) // b free, nothing waiting
			h.drain()

			tc.leave(h)
			evs := h.drain()
			canceled := filter(evs, ReservationCanceled)
			if len(canceled) != 3 {
				t.Fatalf("want 3 canceled offers:\n%s", summary(evs))
			}
			for _, e := range canceled {
				if e.Reason != tc.reason || e.Agent != "a" {
					t.Fatalf("cancel %+v, want reason %s", e, tc.reason)
				}
			}
			// The direct task cannot be re-offered: fallback.
			if r := fallbackOf(evs, "d"); r == "" {
				t.Fatalf("direct task without fallback:\n%s", summary(evs))
			}
			// The older task keeps its place: b (capacity 1) gets it, the newer waits.
			h.wantOffer("old", "b")
			h.wantWaiting("new")
			if s, _ := h.r.Task("old"); s.Arrived != t0 {
				t.Fatalf("arrival changed to %v", s.Arrived)
			}
		})
	}
}

// Rule 10: caller hangs up while waiting or offered.
func TestRule10CancelWaitingOrOffered(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})
	h.agent("a", "101", 1, "q")
	h.queueTask("t1", "q", 0)
	h.queueTask("t2", "q", 0)
	res := h.wantOffer("t1", "a")
	h.drain()

	h.ok(h.r.CancelTask("t2", h.now)) // waiting
	wantTypes(t, h.drain(), TaskCanceled)
	h.queueTask("t3", "q", 0)
	h.drain()
	h.ok(h.r.CancelTask("t1", h.now)) // offered: withdrawn, then a takes t3
	evs := h.drain()
	wantTypes(t, evs, ReservationCanceled, TaskCanceled, ReservationCreated)
	if evs[0].Reason != ReasonCanceled || evs[2].Task != "t3" {
		t.Fatalf("events:\n%s", summary(evs))
	}
	if err := h.r.Accept(res, h.now); !errors.Is(err, ErrUnknownReservation) {
		t.Fatalf("accept of withdrawn offer: %v", err)
	}
	if err := h.r.CancelTask("t1", h.now); !errors.Is(err, ErrUnknownTask) {
		t.Fatalf("second cancel: %v", err)
	}
	h.accept("t3")
	if err := h.r.CancelTask("t3", h.now); !errors.Is(err, ErrTaskAssigned) {
		t.Fatalf("cancel of accepted task: %v", err)
	}
}

// Rule 11: transfers route like new calls; the transferring agent is
// excluded; a transfer to a queue reaches idle agents only.
func TestRule11TransfersObeySameRules(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})
	h.agent("a", "101", 2, "q")
	h.tick(time.Second)
	h.agent("b", "102", 2, "q")
	h.tick(time.Second)
	h.agent("c", "103", 2, "q")
	h.queueTask("t1", "q", 0)
	h.accept("t1") // a talks
	h.queueTask("t2", "q", 0)
	h.accept("t2") // b talks
	// Blind transfer of t1 by a to the queue: a is excluded, b is busy, so c.
	h.ok(h.r.CallEnded("t1", h.now))
	h.ok(h.r.AddTask(Task{ID: "x1", Kind: KindTransfer, Queue: "q", Arrived: t0, Exclude: []AgentID{"a"}}, h.now))
	h.wantOffer("x1", "c")
	h.ok(h.r.Reject(h.wantOffer("x1", "c"), h.now))
	h.wantWaiting("x1") // a excluded, b busy (not idle), c rejected
	h.ok(h.r.CallEnded("t2", h.now))
	h.wantOffer("x1", "b")

	// Transfer to an extension routes like a direct task.
	h.ok(h.r.AddTask(Task{ID: "x2", Kind: KindTransfer, TargetExtension: "103", Exclude: []AgentID{"b"}}, h.now))
	h.wantOffer("x2", "c")
	h.ok(h.r.AddTask(Task{ID: "x3", Kind: KindTransfer, TargetExtension: "101", Exclude: []AgentID{"a"}}, h.now))
	if r := fallbackOf(h.drain(), "x3"); r != ReasonExcluded {
		t.Fatalf("transfer to self: fallback %q", r)
	}
	h.ok(h.r.SetActivity("a", ActivityBreak, h.now))
	h.ok(h.r.AddTask(Task{ID: "x4", Kind: KindTransfer, TargetExtension: "101"}, h.now))
	if r := fallbackOf(h.drain(), "x4"); r != ReasonUnavailable {
		t.Fatalf("transfer to agent on break: fallback %q", r)
	}
}

// Rule 12: every state change yields its event, in order.
func TestRule12EventsInOrder(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q", Wrapup: 10 * time.Second})
	h.ok(h.r.PutAgent(AgentConfig{ID: "a", Extension: "101", Queues: []QueueID{"q"}}, h.now))
	h.ok(h.r.SetConnected("a", true, h.now))
	h.ok(h.r.SetActivity("a", ActivityAvailable, h.now))
	h.ok(h.r.PutAgent(AgentConfig{ID: "b", Extension: "102", Queues: []QueueID{"q"}}, h.now))
	h.ok(h.r.SetConnected("b", true, h.now))
	h.ok(h.r.SetActivity("b", ActivityAvailable, h.now))
	h.queueTask("t1", "q", 0)
	h.ok(h.r.Reject(h.wantOffer("t1", "a"), h.now))
	h.r.Advance(h.tick(15 * time.Second)) // b times out: RONA
	h.ok(h.r.SetActivity("a", ActivityBreak, h.now))
	h.ok(h.r.SetActivity("b", ActivityAvailable, h.now))
	h.queueTask("t2", "q", 0) // b excluded from t1 only
	h.accept("t2")
	h.ok(h.r.CallEnded("t2", h.now))
	h.r.Advance(h.tick(10 * time.Second))
	h.ok(h.r.CancelTask("t1", h.now))
	h.directTask("d", "101")
	h.ok(h.r.SetConnected("b", false, h.now))

	want := []string{
		"agent.connected:a::", "agent.activity:a::",
		"agent.connected:b::", "agent.activity:b::",
		"task.created::t1:", "reservation.created:a:t1:",
		"reservation.rejected:a:t1:", "reservation.created:b:t1:",
		"reservation.timeout:b:t1:", "agent.activity:b::rona",
		"agent.activity:a::",
		"agent.activity:b::",
		"task.created::t2:", "reservation.created:b:t2:",
		"reservation.accepted:b:t2:",
		"task.completed:b:t2:", "agent.wrapup:b::started",
		"agent.wrapup:b::timer",
		"task.canceled::t1:",
		"task.created::d:", "task.fallback::d:unavailable",
		"agent.disconnected:b::",
	}
	evs := h.drain()
	var got []string
	for _, e := range evs {
		got = append(got, string(e.Type)+":"+string(e.Agent)+":"+string(e.Task)+":"+e.Reason)
		if e.At.IsZero() {
			t.Errorf("%s without time", e.Type)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%q\nwant\n%q", got, want)
	}
	for _, e := range evs {
		if !slices.Contains([]EventType{TaskFallback, AgentWrapup}, e.Type) && !isProtocolName(e.Type) {
			t.Errorf("%s is not a PROTOCOL section 6 name", e.Type)
		}
	}
}

func isProtocolName(t EventType) bool {
	return slices.Contains([]EventType{"task.created", "task.canceled", "task.completed",
		"reservation.created", "reservation.accepted", "reservation.rejected", "reservation.timeout",
		"reservation.canceled", "agent.activity", "agent.connected", "agent.disconnected"}, t)
}

func TestActivityAndKindNames(t *testing.T) {
	for _, tc := range []struct {
		a    Activity
		name string
	}{
		{ActivityUnknown, "unknown"}, {ActivityAvailable, "available"}, {ActivityUnavailable, "unavailable"},
		{ActivityBreak, "break"}, {ActivityOffline, "offline"}, {Activity(99), "unknown"},
	} {
		if got := tc.a.String(); got != tc.name {
			t.Errorf("%d: %q, want %q", tc.a, got, tc.name)
		}
		if p, ok := ParseActivity(tc.name); tc.name != "unknown" && (!ok || p != tc.a) {
			t.Errorf("ParseActivity(%q) = %v %v", tc.name, p, ok)
		}
	}
	if _, ok := ParseActivity("unknown"); ok {
		t.Error("unknown parsed")
	}
	for _, k := range []TaskKind{KindQueue, KindDirect, KindTransfer} {
		if p, ok := ParseTaskKind(k.String()); !ok || p != k {
			t.Errorf("kind %v round trip: %v %v", k, p, ok)
		}
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	h.queue(Queue{ID: "q"})
	h.agent("a", "101", 1, "q")
	for name, err := range map[string]error{
		"empty queue id":      h.r.PutQueue(Queue{}, h.now),
		"negative timeout":    h.r.PutQueue(Queue{ID: "x", OfferTimeout: -1}, h.now),
		"capacity 9":          h.r.PutAgent(AgentConfig{ID: "b", Capacity: 9}, h.now),
		"duplicate extension": h.r.PutAgent(AgentConfig{ID: "b", Extension: "101"}, h.now),
		"empty task id":       h.r.AddTask(Task{Kind: KindQueue, Queue: "q"}, h.now),
		"no kind":             h.r.AddTask(Task{ID: "t", Queue: "q"}, h.now),
		"queue without queue": h.r.AddTask(Task{ID: "t", Kind: KindQueue}, h.now),
		"transfer with both":  h.r.AddTask(Task{ID: "t", Kind: KindTransfer, Queue: "q", TargetExtension: "1"}, h.now),
		"unknown activity":    h.r.SetActivity("a", ActivityUnknown, h.now),
	} {
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrDuplicateExtension) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, err := range map[string]error{
		"unknown agent":       h.r.SetActivity("zz", ActivityAvailable, h.now),
		"unknown reservation": h.r.Reject("r999", h.now),
		"unknown task":        h.r.CallEnded("zz", h.now),
		"remove unknown":      h.r.RemoveQueue("zz", h.now),
		"end no call":         h.r.EndCall("a", h.now),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	h.drain()
	h.ok(h.r.AddTask(Task{ID: "t", Kind: KindQueue, Queue: "nope"}, h.now))
	if r := fallbackOf(h.drain(), "t"); r != ReasonUnknownQueue {
		t.Fatalf("unknown queue: fallback %q", r)
	}
	h.ok(h.r.AddCall("a", h.now))
	h.queueTask("w", "q", 0)
	h.ok(h.r.RemoveQueue("q", h.now))
	if r := fallbackOf(h.drain(), "w"); r != ReasonUnknownQueue {
		t.Fatalf("removed queue: fallback %q", r)
	}
}
