package agent

import (
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/router"
	"switchboard/view"
)

// floorTasks is a FloorRouter that keeps the calls handed to it.
type floorTasks struct {
	mu    sync.Mutex
	calls []string
	ended []string
	acc   []string
}

func (f *floorTasks) Task(call string, _ router.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}
func (f *floorTasks) Cancel(string) {}
func (f *floorTasks) Accept(_, res string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acc = append(f.acc, res)
}
func (f *floorTasks) Reject(string, string) {}
func (f *floorTasks) Ended(task string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = append(f.ended, task)
}

// wrapupsEnded is the agents of the agent.wrapup events that ended a
// wrap-up (the node sends each to the leader as wrapup_done).
func (h *harness) wrapupsEnded() []string {
	var out []string
	for _, e := range h.events() {
		if e.Type == "agent.wrapup" && e.Reason != router.ReasonWrapupStarted {
			out = append(out, e.Agent)
		}
	}
	return out
}

func (f *floorTasks) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// The node has the last word on its agent's room (PROTOCOL §5), whatever
// the leader's view of it: a1 (capacity 2) talking to a floor call is
// refused a second queue offer (ErrAtCapacity), may still ring for a
// direct call, and is refused that too while it rings for a queue offer
// beside its call (load 2 of 2).
func TestFloorOfferRoom(t *testing.T) {
	ft := &floorTasks{}
	h := newHarness(t, func(s *setup) { s.cfg = func(c *Config) { c.Floor = ft } })
	h.login("a1")
	h.call("5000", freqCaller1)
	h.waitFor("the first call on the floor", func() bool { return ft.n() == 1 })
	exp := h.clock.Now().Add(15 * time.Second)
	if err := h.c.FloorOffer(ft.calls[0], "7.r1", "a1", exp); err != nil {
		t.Fatal(err)
	}
	if err := h.c.FloorAccepted(ft.calls[0], "7.r1", "a1"); err != nil {
		t.Fatal(err)
	}
	h.call("5000", freqCaller1)
	h.waitFor("the second call on the floor", func() bool { return ft.n() == 2 })
	err := h.c.FloorOffer(ft.calls[1], "7.r2", "a1", exp)
	if !errors.Is(err, ErrAtCapacity) {
		t.Fatalf("a queue offer to a1 in a call: %v, want ErrAtCapacity", err)
	}
	if err := h.c.FloorRoom("a1", router.Task{Kind: router.KindDirect}); err != nil {
		t.Errorf("a direct call to a1 at load 1 of 2: %v, want room", err)
	}
	if err := h.c.FloorRoom("a1", router.Task{Kind: router.KindQueue, Queue: "sales"}); !errors.Is(err, ErrAtCapacity) {
		t.Errorf("FloorRoom of a queue call for a1 in a call: %v, want ErrAtCapacity", err)
	}
	if err := h.c.FloorRoom("a2", router.Task{Kind: router.KindQueue, Queue: "sales"}); err != nil {
		t.Errorf("a queue call for idle a2: %v, want room", err)
	}
}

// A floor call of a queue with wrap-up (support, 30 s) ends on its agent's
// node: the agent is in wrap-up there as on one node (agent.updated
// wrapup: true, PROTOCOL §5), and its wrapup.done or its timer ends it
// with the agent.wrapup event that the node sends to the leader
// (wrapup_done), so the leader's router frees the agent too. A floor
// call of a queue without wrap-up (sales) starts none.
func TestFloorCallWrapup(t *testing.T) {
	ft := &floorTasks{}
	h := newHarness(t, func(s *setup) { s.cfg = func(c *Config) { c.Floor = ft } })
	a1 := h.login("a1")
	take := func(number, res string) string {
		t.Helper()
		n := ft.n()
		h.call(number, freqCaller1)
		h.waitFor("the call on the floor", func() bool { return ft.n() == n+1 })
		call := ft.calls[n]
		if err := h.c.FloorOffer(call, res, "a1", h.clock.Now().Add(15*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := h.c.FloorAccepted(call, res, "a1"); err != nil {
			t.Fatal(err)
		}
		return call
	}
	call := take("5000", "7.r1") // sales: no wrap-up
	if _, err := h.c.Hangup("a1", call); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a1 idle after the sales call", func() bool { return h.agentView("a1").Load == 0 })
	if av := h.agentView("a1"); av.Wrapup {
		t.Fatalf("a1 after a sales call: %+v, want no wrap-up", av)
	}

	call = take("5001", "7.r2") // support: 30 s of wrap-up
	if _, err := h.c.Hangup("a1", call); err != nil {
		t.Fatal(err)
	}
	h.waitNote(a1, "agent.updated", func(p any) bool { av, ok := p.(view.Agent); return ok && av.Wrapup })
	if av := h.agentView("a1"); !av.Wrapup {
		t.Fatalf("a1 after a support call: %+v, want wrap-up", av)
	}
	if got := h.wrapupsEnded(); len(got) != 0 {
		t.Fatalf("wrap-up ended before wrapup.done: %v", got)
	}
	av, err := h.c.WrapupDone("a1")
	if err != nil {
		t.Fatal(err)
	}
	if av.Wrapup {
		t.Errorf("wrapup.done answered %+v, want no wrap-up", av)
	}
	if got := h.wrapupsEnded(); len(got) != 1 || got[0] != "a1" {
		t.Fatalf("wrap-ups ended after wrapup.done: %v, want [a1]", got)
	}

	call = take("5001", "7.r3") // its timer ends the next one
	if _, err := h.c.Hangup("a1", call); err != nil {
		t.Fatal(err)
	}
	h.waitFor("a1 in wrap-up again", func() bool { return h.agentView("a1").Wrapup })
	h.advance(29 * time.Second)
	if got := h.wrapupsEnded(); len(got) != 1 {
		t.Fatalf("wrap-ups ended 29 s into a 30 s wrap-up: %v", got)
	}
	h.advance(time.Second)
	h.waitFor("the wrap-up's end at the timer", func() bool { return len(h.wrapupsEnded()) == 2 })
	if av := h.agentView("a1"); av.Wrapup {
		t.Errorf("a1 after its wrap-up's timer: %+v", av)
	}
}
