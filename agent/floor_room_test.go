package agent

import (
	"errors"
	"sync"
	"testing"
	"time"

	"switchboard/router"
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
