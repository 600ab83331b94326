package router

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// harness drives a Router on a fake timeline.
type harness struct {
	t   *testing.T
	r   *Router
	now time.Time
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, r: New(Config{}), now: t0}
}

// tick moves the clock forward.
func (h *harness) tick(d time.Duration) time.Time {
	h.now = h.now.Add(d)
	return h.now
}

func (h *harness) ok(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) drain() []Event { return h.r.Drain(nil) }

func (h *harness) queue(q Queue) {
	h.t.Helper()
	h.ok(h.r.PutQueue(q, h.now))
}

// agent adds a connected, available agent.
func (h *harness) agent(id AgentID, ext string, capacity int, queues ...QueueID) {
	h.t.Helper()
	h.ok(h.r.PutAgent(AgentConfig{ID: id, Extension: ext, Capacity: capacity, Queues: queues}, h.now))
	h.ok(h.r.SetConnected(id, true, h.now))
	h.ok(h.r.SetActivity(id, ActivityAvailable, h.now))
}

func (h *harness) queueTask(id TaskID, q QueueID, prio int) {
	h.t.Helper()
	h.ok(h.r.AddTask(Task{ID: id, Kind: KindQueue, Queue: q, Priority: prio}, h.now))
}

func (h *harness) directTask(id TaskID, ext string) {
	h.t.Helper()
	h.ok(h.r.AddTask(Task{ID: id, Kind: KindDirect, TargetExtension: ext}, h.now))
}

// offerOf returns the live reservation of a task ("" if none).
func (h *harness) offerOf(id TaskID) (ReservationID, AgentID) {
	s, ok := h.r.Task(id)
	if !ok || s.State != TaskReserved {
		return "", ""
	}
	return s.Reservation, s.Agent
}

func (h *harness) wantOffer(id TaskID, agent AgentID) ReservationID {
	h.t.Helper()
	res, got := h.offerOf(id)
	if got != agent {
		h.t.Fatalf("task %s offered to %q, want %q", id, got, agent)
	}
	return res
}

func (h *harness) wantWaiting(id TaskID) {
	h.t.Helper()
	s, ok := h.r.Task(id)
	if !ok || s.State != TaskWaiting {
		h.t.Fatalf("task %s: %+v (live %v), want waiting", id, s, ok)
	}
}

// accept accepts the task's live offer.
func (h *harness) accept(id TaskID) {
	h.t.Helper()
	res, _ := h.offerOf(id)
	h.ok(h.r.Accept(res, h.now))
}

func filter(evs []Event, typ EventType) []Event {
	var out []Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func fallbackOf(evs []Event, id TaskID) string {
	for _, e := range evs {
		if e.Type == TaskFallback && e.Task == id {
			return e.Reason
		}
	}
	return ""
}

// summary renders events as "type:agent:task:reason" lines for comparing.
func summary(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s:%s:%s:%s\n", e.Type, e.Agent, e.Task, e.Reason)
	}
	return b.String()
}

func types(evs []Event) []EventType {
	var out []EventType
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func wantTypes(t *testing.T, evs []Event, want ...EventType) {
	t.Helper()
	if got := types(evs); !slices.Equal(got, want) {
		t.Fatalf("events\n%s\nwant types %v", summary(evs), want)
	}
}
