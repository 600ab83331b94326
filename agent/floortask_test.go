package agent

import (
	"errors"
	"slices"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/router"
	"switchboard/store"
	"switchboard/view"
)

// Tasks of other channels on the floor (PROTOCOL §10, §13): with a
// FloorRouter a new task goes to the floor, not to the node's router (a1,
// free and a member of chat, is offered nothing here); the floor's offer
// of another node's task rings a1 as a task reservation made from the
// offer's copy, a1's accept waits for the leader's accepted, task.list has
// it, and its completion goes back to the floor by the floor's id. A1
// holding that blocking task has no room here for a queue call, and the
// node's report for a new term has it (FloorHeld) until it is completed.
func TestFloorTasks(t *testing.T) {
	ft := &floorTasks{}
	h := newHarness(t, chatSetup, func(s *setup) { s.cfg = func(c *Config) { c.Floor = ft } })
	a1 := h.login("a1")
	own := h.createTask(store.TaskParams{Channel: "chat", Queue: "chat"})
	h.waitFor("the task on the floor", func() bool { return ft.n() == 1 && ft.calls[0] == own.ID })
	h.noOffer(a1)
	// Its place in its workflow, as the floor's last moved said, is in the
	// next report (a new term resumes it there).
	since := h.clock.Now().Add(-3 * time.Second)
	h.c.FloorTaskMoved(own.ID, "chat", "", 1, since)
	if w := h.c.FloorWaiting()[own.ID]; w.WorkflowStep != 1 || !w.StepSince.Equal(since) || w.Channel != "chat" {
		t.Errorf("waiting on the floor %+v: want step 1 since %v", w, since)
	}

	exp := h.clock.Now().Add(15 * time.Second)
	spec := store.Task{ID: "tk9", Channel: "chat", Queue: "chat", BlockAgent: true, Attributes: map[string]any{"customer": "Ann", "channel": "chat"}}
	if err := h.c.FloorTaskOffer("n1/tk9", "7.r1", "a1", true, exp, spec); err != nil {
		t.Fatal(err)
	}
	rv := h.nextOffer(a1)
	if rv.Kind != "task" || rv.ID != "7.r1" || rv.Task == nil || rv.Task.ID != "tk9" || rv.Attributes["customer"] != "Ann" {
		t.Fatalf("a1's offer %+v", rv)
	}
	type accepted struct {
		v   store.Task
		err error
	}
	done := make(chan accepted, 1)
	go func() {
		v, _, err := h.c.AcceptTask("a1", "7.r1")
		done <- accepted{v, err}
	}()
	h.waitFor("the accept sent to the floor", func() bool { ft.mu.Lock(); defer ft.mu.Unlock(); return slices.Contains(ft.acc, "7.r1") })
	if err := h.c.FloorTaskAccepted("n1/tk9", "7.r1", "a1", true); err != nil {
		t.Fatal(err)
	}
	if a := <-done; a.err != nil || a.v.State != store.TaskAssigned || a.v.Agent != "a1" {
		t.Fatalf("AcceptTask = %+v, %v; want tk9 assigned to a1", a.v, a.err)
	}
	if ts, _ := h.c.AgentTasks("a1"); len(ts) != 1 || ts[0].ID != "tk9" {
		t.Fatalf("a1's tasks %+v, want tk9", ts)
	}
	// A new term's report has it: the new leader counts it against a1.
	if held := h.c.FloorHeld()["a1"]; len(held) != 1 || held[0].ID != "n1/tk9" || held[0].Queue != "chat" || held[0].Channel != "chat" || held[0].NonBlocking {
		t.Errorf("a1 holds on the floor %+v, want the blocking chat n1/tk9", held)
	}
	if err := h.c.FloorRoom("a1", router.Task{Kind: router.KindQueue, Queue: "sales"}); !errors.Is(err, ErrAtCapacity) {
		t.Errorf("a queue call to a1 holding a blocking task: %v, want ErrAtCapacity", err)
	}
	if v, err := h.c.CompleteTask("a1", "tk9"); err != nil || v.State != store.TaskCompleted {
		t.Fatalf("CompleteTask = %+v, %v", v, err)
	}
	ft.mu.Lock()
	ended := slices.Clone(ft.ended)
	ft.mu.Unlock()
	if !slices.Equal(ended, []string{"n1/tk9"}) {
		t.Errorf("ended on the floor: %v, want n1/tk9", ended)
	}
	if held := h.c.FloorHeld(); len(held) != 0 {
		t.Errorf("held on the floor after completion: %+v", held)
	}
	if ts, _ := h.c.AgentTasks("a1"); len(ts) != 0 {
		t.Errorf("a1's tasks after completion: %+v", ts)
	}
	if err := h.c.FloorRoom("a1", router.Task{Kind: router.KindQueue, Queue: "sales"}); err != nil {
		t.Errorf("a queue call to a1 after its task: %v, want room", err)
	}
}

// A floor task of a queue with wrap-up (an e-mail of support, 30 s) that
// a1 here completes puts a1 in wrap-up here, as the leader's router does
// (§10 rule 5): agent.updated wrapup: true; a1's wrapup.done ends it
// (the agent.wrapup event the node sends to the leader).
func TestFloorTaskWrapup(t *testing.T) {
	ft := &floorTasks{}
	h := newHarness(t, chatSetup, func(s *setup) { s.cfg = func(c *Config) { c.Floor = ft } })
	a1 := h.login("a1")
	spec := store.Task{ID: "tk9", Channel: "email", Queue: "support", BlockAgent: true}
	if err := h.c.FloorTaskOffer("n1/tk9", "7.r1", "a1", true, h.clock.Now().Add(15*time.Second), spec); err != nil {
		t.Fatal(err)
	}
	h.nextOffer(a1)
	done := make(chan error, 1)
	go func() { _, _, err := h.c.AcceptTask("a1", "7.r1"); done <- err }()
	h.waitFor("the accept sent to the floor", func() bool { ft.mu.Lock(); defer ft.mu.Unlock(); return slices.Contains(ft.acc, "7.r1") })
	if err := h.c.FloorTaskAccepted("n1/tk9", "7.r1", "a1", true); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.CompleteTask("a1", "tk9"); err != nil {
		t.Fatal(err)
	}
	h.waitNote(a1, "agent.updated", func(p any) bool { av, ok := p.(view.Agent); return ok && av.Wrapup })
	if got := h.wrapupsEnded(); len(got) != 0 {
		t.Fatalf("wrap-up ended before wrapup.done: %v", got)
	}
	if _, err := h.c.WrapupDone("a1"); err != nil {
		t.Fatal(err)
	}
	if got := h.wrapupsEnded(); !slices.Equal(got, []string{"a1"}) {
		t.Fatalf("wrap-ups ended after wrapup.done: %v, want [a1]", got)
	}
}

// The leader's accepted for a task is applied once: a repeat of it (the
// same agent) changes nothing and publishes no second task.assigned, and
// an accepted naming another agent of a task already assigned is refused.
func TestFloorTaskAcceptedOnce(t *testing.T) {
	ft := &floorTasks{}
	h := newHarness(t, chatSetup, func(s *setup) { s.cfg = func(c *Config) { c.Floor = ft } })
	own := h.createTask(store.TaskParams{Channel: "chat", Queue: "chat"})
	h.waitFor("the task on the floor", func() bool { return ft.n() == 1 && ft.calls[0] == own.ID })
	for range 2 { // an agent on another node (here false)
		if err := h.c.FloorTaskAccepted(own.ID, "7.r1", "z", false); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.c.FloorTaskAccepted(own.ID, "7.r2", "y", false); !errors.Is(err, ErrState) {
		t.Errorf("accepted by y of a task assigned to z: %v, want ErrState", err)
	}
	h.waitEvent("task.assigned", func(e events.Event) bool { return e.Task == own.ID })
	n := 0
	for _, e := range h.events() {
		if e.Type == "task.assigned" && e.Task == own.ID {
			n++
			if e.Agent != "z" {
				t.Errorf("task.assigned to %q, want z", e.Agent)
			}
		}
	}
	if n != 1 {
		t.Errorf("task.assigned published %d times, want once", n)
	}
}
