package agent

import (
	"errors"
	"testing"
	"time"

	"switchboard/events"
	"switchboard/store"
)

func chatSetup(s *setup) {
	s.queues = append(s.queues, store.Queue{ID: "chat", Name: "Chat", TimeoutSeconds: 15,
		QueueRouting: store.QueueRouting{SimultaneousTasks: true}})
	for i := range s.agents {
		s.agents[i].Queues = append(s.agents[i].Queues, "chat")
		s.agents[i].Channels = map[string]int{"chat": 3, "email": 1}
		s.agents[i].MaxNonBlocking = 2
	}
}

func noBlock() *bool { f := false; return &f }

func (h *harness) createTask(p store.TaskParams) store.Task {
	h.t.Helper()
	tk, err := h.c.CreateTask(p)
	if err != nil {
		h.t.Fatalf("CreateTask(%+v) = %v", p, err)
	}
	return tk
}

func (h *harness) taskState(id string) string {
	h.t.Helper()
	tk, err := h.c.Task(id)
	if err != nil {
		h.t.Fatalf("Task(%s) = %v", id, err)
	}
	return tk.State
}

// PROTOCOL §10 tasks of any channel, seed 004: two non-blocking chats reach
// an agent with max_nonblocking 2 (not a third); a call still reaches it
// (it holds only non-blocking work and nobody is free); once it holds the
// call (blocking) no queue work is offered to it; completing leaves
// records with the channel.
func TestTaskChatsBesideCall(t *testing.T) {
	h := newHarness(t, chatSetup)
	a1 := h.login("a1")
	var ids []string
	for i := range 2 {
		tk := h.createTask(store.TaskParams{Channel: "chat", Queue: "chat", BlockAgent: noBlock(),
			Attributes: map[string]any{"customer": "c" + string(rune('0'+i))}})
		rv := h.nextOffer(a1)
		if rv.Kind != "task" || rv.Task == nil || rv.Task.ID != tk.ID || rv.Call != "" || rv.Attributes["channel"] != "chat" {
			t.Fatalf("offer %+v for task %+v", rv, tk)
		}
		if got := h.taskState(tk.ID); got != store.TaskReserved {
			t.Fatalf("state %s, want reserved", got)
		}
		v, ok, err := h.c.AcceptTask("a1", rv.ID)
		if !ok || err != nil || v.State != store.TaskAssigned || v.Agent != "a1" || v.AssignedAt.IsZero() {
			t.Fatalf("AcceptTask = %+v %v %v", v, ok, err)
		}
		h.waitNote(a1, "task.updated", func(p any) bool { return p.(store.Task).ID == tk.ID && p.(store.Task).State == store.TaskAssigned })
		h.waitEvent("task.assigned", func(e events.Event) bool { return e.Task == tk.ID && e.Agent == "a1" })
		ids = append(ids, tk.ID)
	}
	third := h.createTask(store.TaskParams{Channel: "chat", Queue: "chat", BlockAgent: noBlock()})
	h.noOffer(a1)
	if third.State != store.TaskPending {
		t.Fatalf("third chat %+v, want pending (max_nonblocking 2)", third)
	}
	// A call: a1 holds only non-blocking tasks and no agent is free.
	h.call("5000", freqCaller1)
	rv := h.nextOffer(a1)
	if rv.Kind != "queue" {
		t.Fatalf("offer %+v, want the call", rv)
	}
	h.accept(a1, rv)
	if ts, _ := h.c.AgentTasks("a1"); len(ts) != 2 {
		t.Fatalf("agent tasks %+v", ts)
	}
	// Completing a chat frees a non-blocking slot, but the call blocks.
	done, err := h.c.CompleteTask("a1", ids[0])
	if err != nil || done.State != store.TaskCompleted || done.CompletedAt.IsZero() {
		t.Fatalf("CompleteTask = %+v %v", done, err)
	}
	h.noOffer(a1)
	if got := h.taskState(third.ID); got != store.TaskPending {
		t.Fatalf("third chat %s while a1 holds a call, want pending", got)
	}
	if _, err := h.c.CompleteTask("a1", ids[0]); !errors.Is(err, ErrState) {
		t.Fatalf("second complete = %v, want ErrState", err)
	}
	if _, err := h.c.CompleteTask("a2", ids[1]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("complete of another's task = %v, want ErrNotFound", err)
	}
	h.waitFor("task record", func() bool { _, ok := h.st.record(ids[0]); return ok })
	rec, _ := h.st.record(ids[0])
	if rec.Channel != "chat" || rec.Agent != "a1" || rec.Queue != "chat" || rec.Outcome != "completed" || rec.Kind != "task" {
		t.Fatalf("record %+v", rec)
	}
	// a2 logs in: completely free, it gets the waiting chat.
	a2 := h.login("a2")
	rv = h.nextOffer(a2)
	if rv.Task == nil || rv.Task.ID != third.ID {
		t.Fatalf("a2 offer %+v, want task %s", rv, third.ID)
	}
	st := h.floor()
	if len(st.Tasks) != 2 {
		t.Fatalf("floor tasks %+v, want the assigned chat and the reserved one", st.Tasks)
	}
}

// A blocking e-mail task of a queue with wrap-up: completing it leaves it
// "wrapping" until the agent's wrap-up ends (wrapup.done), then completed;
// a blocking task stops further queue work (Luware scenario 1 through the
// core).
func TestTaskWrapupBlocking(t *testing.T) {
	h := newHarness(t, chatSetup)
	a1 := h.login("a1")
	tk := h.createTask(store.TaskParams{Channel: "email", Queue: "support", Attributes: map[string]any{"subject": "refund"}})
	rv := h.nextOffer(a1)
	if !tk.BlockAgent || rv.Task == nil || rv.Task.Attributes["subject"] != "refund" {
		t.Fatalf("task %+v offer %+v", tk, rv)
	}
	if _, _, err := h.c.AcceptTask("a1", rv.ID); err != nil {
		t.Fatal(err)
	}
	chat := h.createTask(store.TaskParams{Channel: "chat", Queue: "chat", BlockAgent: noBlock()})
	h.noOffer(a1) // blocking work: no queue work
	if chat.State != store.TaskPending {
		t.Fatalf("chat %+v, want pending while a1 holds a blocking task", chat)
	}
	v, err := h.c.CompleteTask("a1", tk.ID)
	if err != nil || v.State != store.TaskWrapping {
		t.Fatalf("CompleteTask = %+v %v, want wrapping", v, err)
	}
	h.noOffer(a1) // in wrap-up
	if _, err := h.c.WrapupDone("a1"); err != nil {
		t.Fatal(err)
	}
	if got := h.taskState(tk.ID); got != store.TaskCompleted {
		t.Fatalf("after wrapup.done %s, want completed", got)
	}
	h.waitNote(a1, "task.updated", func(p any) bool { return p.(store.Task).ID == tk.ID && p.(store.Task).State == store.TaskCompleted })
	rv = h.nextOffer(a1)
	if rv.Task == nil || rv.Task.ID != chat.ID {
		t.Fatalf("offer after wrap-up %+v, want the chat", rv)
	}
	// The agent's state (a re-login's answer) lists the offer and the task.
	st, err := h.c.AgentState("a1")
	if err != nil || len(st.Reservations) != 1 || st.Reservations[0].Task == nil || st.Reservations[0].Task.ID != chat.ID ||
		len(st.Tasks) != 1 || st.Tasks[0].State != store.TaskReserved {
		t.Fatalf("AgentState = %+v %v", st, err)
	}
}

// task.cancel, timeout_seconds, bad params.
func TestTaskCancelTimeoutRefusals(t *testing.T) {
	h := newHarness(t, chatSetup)
	tk := h.createTask(store.TaskParams{Channel: "chat", Queue: "chat"})
	v, err := h.c.CancelTask(tk.ID)
	if err != nil || v.State != store.TaskCanceled || v.Reason != "canceled" {
		t.Fatalf("CancelTask = %+v %v", v, err)
	}
	if _, err := h.c.CancelTask(tk.ID); !errors.Is(err, store.ErrInUse) || !errors.Is(err, ErrState) {
		t.Fatalf("second cancel = %v, want a conflict", err)
	}
	if _, err := h.c.CancelTask("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel unknown = %v", err)
	}
	h.waitFor("canceled record", func() bool { r, ok := h.st.record(tk.ID); return ok && r.Outcome == "canceled_canceled" })

	to := h.createTask(store.TaskParams{Channel: "email", Queue: "support", TimeoutSeconds: 5})
	h.advance(4900 * time.Millisecond)
	if got := h.taskState(to.ID); got != store.TaskPending {
		t.Fatalf("at 4.9 s %s, want pending", got)
	}
	h.advance(100 * time.Millisecond)
	if v, _ := h.c.Task(to.ID); v.State != store.TaskCanceled || v.Reason != "timeout" {
		t.Fatalf("at 5 s %+v, want canceled (timeout)", v)
	}
	if n := len(h.c.Tasks(store.TaskCanceled)); n != 2 {
		t.Fatalf("canceled tasks %d, want 2", n)
	}
	for _, p := range []store.TaskParams{
		{Channel: "voice", Queue: "chat"},
		{Channel: "Chat!", Queue: "chat"},
		{Channel: "chat"},
		{Channel: "chat", Queue: "chat", Workflow: "w"},
		{Channel: "chat", Queue: "nope"},
		{Channel: "chat", Queue: "chat", TimeoutSeconds: -1},
		{Channel: "chat", Queue: "chat", Attributes: map[string]any{"big": string(make([]byte, 5000))}},
	} {
		_, err := h.c.CreateTask(p)
		var ve *store.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrBadTarget) {
			t.Errorf("CreateTask(%+v) = %v, want a validation error", p, err)
		}
	}
}

// The views carry Blocking as rule 1 has it: block_agent false makes a task
// non-blocking only in a queue with simultaneous_tasks ("chat" here);
// elsewhere ("support") it still blocks, and the offer says so.
func TestTaskViewBlocking(t *testing.T) {
	h := newHarness(t, chatSetup)
	a1 := h.login("a1")
	cases := []struct {
		queue string
		block *bool
		want  bool
	}{{"chat", noBlock(), false}, {"chat", nil, true}, {"support", noBlock(), true}, {"support", nil, true}}
	for _, tc := range cases {
		tk := h.createTask(store.TaskParams{Channel: "email", Queue: tc.queue, BlockAgent: tc.block})
		if tk.Blocking != tc.want {
			t.Errorf("queue %s block_agent %v: Blocking %v, want %v", tc.queue, tc.block != nil && *tc.block, tk.Blocking, tc.want)
		}
		rv := h.nextOffer(a1)
		if rv.Task == nil || rv.Task.ID != tk.ID || rv.Task.Blocking != tc.want {
			t.Errorf("queue %s: offer %+v, want task %s with Blocking %v", tc.queue, rv.Task, tk.ID, tc.want)
		}
		if _, err := h.c.CancelTask(tk.ID); err != nil {
			t.Fatal(err)
		}
	}
}
