package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"switchboard/events"
	"switchboard/router"
	"switchboard/store"
)

// Tasks of any channel (PROTOCOL §10): a chat, an e-mail, a CRM case. The
// router routes them like calls (channels, blocking rules, workflows); the
// core keeps no map from router ids to tasks: each router task carries its
// *taskRT as the router's payload, and the router's events hand it back.

// Bounds on tasks.
const (
	MaxLiveTasks  = 10000 // pending, reserved, assigned or wrapping
	MaxDoneTasks  = 1000  // finished tasks task.get still answers from memory
	taskIDPrefix  = "tk"
	reasonTimeout = "timeout"
)

// taskRT is a live (or recently finished) task.
type taskRT struct {
	v         store.Task // the Task object; State, Agent, times kept current
	rid       router.TaskID
	res       router.ReservationID // live offer
	resAg     *agentRT
	resExp    time.Time
	ag        *agentRT  // assigned agent
	timeoutAt time.Time // pending tasks end here (timeout_seconds); zero: none
	recorded  bool      // its record is written

	floor  bool       // routed by the floor (floortask.go)
	mirror string     // set on a mirror of another node's task: its floor id
	acc    chan error // an accept of its floor offer waits for the leader
	step   int        // its workflow's target on the floor, entered at stepAt (FloorTaskMoved)
	stepAt time.Time
}

// taskTable is the core's task state (guarded by Core.mu).
type taskTable struct {
	byID map[string]*taskRT
	done []string // finished task ids, oldest first (bounded MaxDoneTasks)
	live int
}

func (c *Core) taskTab() *taskTable {
	if c.tasks.byID == nil {
		c.tasks.byID = map[string]*taskRT{}
	}
	return &c.tasks
}

func (t *taskRT) view() store.Task {
	v := t.v
	v.Attributes = maps.Clone(t.v.Attributes)
	return v
}

// taskViewLocked is the task as the gateway shows it: its view with
// Blocking as rule 1 of §10 has it in the task's current queue, so the
// softphone's badge tells the truth (block_agent false blocks in a queue
// without simultaneous_tasks).
func (c *Core) taskViewLocked(t *taskRT) store.Task {
	v := t.view()
	q, ok := c.queues[v.Queue]
	v.Blocking = v.BlockAgent || !ok || !q.SimultaneousTasks
	return v
}

// CreateTask creates a task (task.create, POST /api/tasks) and routes it.
// The queue must exist; a workflow the router does not know ends the task
// at once (canceled, reason unknown_workflow).
func (c *Core) CreateTask(p store.TaskParams) (store.Task, error) {
	if e := store.CheckTaskParams(&p); e != nil {
		return store.Task{}, &taskError{e.Error(), []error{ErrBadTarget, e}}
	}
	block := p.BlockAgent == nil || *p.BlockAgent
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return store.Task{}, taskConflict("shutting down")
	}
	if p.Queue != "" {
		if _, ok := c.queues[p.Queue]; !ok {
			return store.Task{}, taskInvalid("queue", "unknown queue %q", p.Queue)
		}
	}
	tt := c.taskTab()
	if tt.live >= MaxLiveTasks {
		return store.Task{}, taskConflict("%d live tasks, at most %d", tt.live, MaxLiveTasks)
	}
	now := c.now()
	id := c.newIDLocked(taskIDPrefix)
	attrs := maps.Clone(p.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs["channel"] = p.Channel
	t := &taskRT{rid: router.TaskID(id), v: store.Task{
		ID: id, Channel: p.Channel, State: store.TaskPending, Attributes: attrs, Queue: p.Queue,
		BlockAgent: block, CreatedAt: now, Workflow: p.Workflow, Priority: p.Priority,
	}}
	if p.TimeoutSeconds > 0 {
		t.timeoutAt = now.Add(time.Duration(p.TimeoutSeconds) * time.Second)
	}
	tt.byID[id] = t
	tt.live++
	rt := router.Task{
		ID: t.rid, Kind: router.KindQueue, Queue: router.QueueID(p.Queue), Workflow: router.WorkflowID(p.Workflow),
		Channel: p.Channel, NonBlocking: !block, Priority: p.Priority, Arrived: now, Attributes: attrs, Payload: t,
	}
	if c.cfg.Floor != nil {
		c.floorCreateTaskLocked(t, rt)
		c.log.Info("task created", "task", id, "channel", p.Channel, "queue", t.v.Queue, "workflow", p.Workflow, "floor", true)
		return c.taskViewLocked(t), nil
	}
	if err := c.rt.AddTask(rt, now); err != nil {
		delete(tt.byID, id)
		tt.live--
		c.flushLocked()
		return store.Task{}, taskInvalid("task", "%v", err)
	}
	if p.Workflow != "" {
		if s, ok := c.rt.Task(t.rid); ok {
			t.v.Queue = string(s.Queue)
		}
	}
	c.flushLocked()
	c.log.Info("task created", "task", id, "channel", p.Channel, "queue", t.v.Queue, "workflow", p.Workflow, "state", t.v.State)
	return c.taskViewLocked(t), nil
}

// Task returns a task by id: live ones and the last MaxDoneTasks finished.
func (c *Core) Task(id string) (store.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.taskTab().byID[id]
	if t == nil {
		return store.Task{}, taskNotFound("task " + id)
	}
	return c.taskViewLocked(t), nil
}

// Tasks lists the tasks the core knows (live and recently finished), by
// creation, of one state when state is not empty.
func (c *Core) Tasks(state string) []store.Task {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tasksLocked(func(t *taskRT) bool { return state == "" || t.v.State == state })
}

func (c *Core) tasksLocked(keep func(*taskRT) bool) []store.Task {
	out := []store.Task{}
	for _, t := range c.taskTab().byID {
		if keep(t) {
			out = append(out, c.taskViewLocked(t))
		}
	}
	slices.SortFunc(out, func(a, b store.Task) int {
		if d := a.CreatedAt.Compare(b.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// CancelTask ends a task (task.cancel, DELETE /api/tasks/<id>): a waiting
// or offered one leaves its queue (the offer is withdrawn), an assigned one
// is taken from its agent. A finished task is refused (ErrState).
func (c *Core) CancelTask(id string) (store.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.taskTab().byID[id]
	if t == nil {
		return store.Task{}, taskNotFound("task " + id)
	}
	if err := c.cancelTaskLocked(t, "canceled"); err != nil {
		return store.Task{}, err
	}
	return c.taskViewLocked(t), nil
}

func (c *Core) cancelTaskLocked(t *taskRT, reason string) error {
	now := c.now()
	switch {
	case !liveTask(t):
		return taskConflict("task %s is %s", t.v.ID, t.v.State)
	case t.floor:
		c.cfg.Floor.Cancel(t.v.ID) // the leader withdraws its offer, or tells its agent's node
		if t.res != "" {
			c.floorTaskUnofferLocked(t, "canceled")
		}
		c.floorFinishLocked(t, true, store.TaskCanceled, reason)
		return nil
	}
	switch t.v.State {
	case store.TaskWrapping:
		// The work is done; only the agent's wrap-up is left.
		c.finishTaskLocked(t, store.TaskCompleted, "", now)
		return nil
	case store.TaskAssigned:
		t.v.Reason = reason
		c.warnIf(c.rt.Complete(t.rid, now), "router refused task completion", "task", t.v.ID)
	default:
		t.v.Reason = reason
		c.warnIf(c.rt.CancelTask(t.rid, now), "router refused task cancel", "task", t.v.ID)
	}
	c.flushLocked()
	if t.v.State != store.TaskCanceled {
		c.finishTaskLocked(t, store.TaskCanceled, reason, now)
	}
	return nil
}

// AcceptTask accepts a task offer on the agent socket (reservation.accept).
// ok is false when resID is not a task reservation: the caller then tries
// a call's.
func (c *Core) AcceptTask(agentID, resID string) (v store.Task, ok bool, err error) {
	if v, ok, err := c.floorAcceptTask(agentID, resID); ok {
		return v, ok, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.taskByResLocked(resID)
	if t == nil {
		return store.Task{}, false, nil
	}
	ag := c.agents[agentID]
	if ag == nil || t.resAg != ag {
		return store.Task{}, true, taskNotFound("reservation " + resID)
	}
	now := c.now()
	if err := c.rt.Accept(t.res, now); err != nil {
		c.flushLocked()
		return store.Task{}, true, taskNotFound("reservation " + resID)
	}
	t.res, t.resAg = "", nil
	t.ag = ag
	t.v.State = store.TaskAssigned
	t.v.Agent = ag.cfg.ID
	t.v.AssignedAt = now
	t.timeoutAt = time.Time{}
	c.flushLocked()
	c.publishLocked(events.Event{Type: "task.assigned", At: now, Task: t.v.ID, Agent: ag.cfg.ID, Queue: t.v.Queue,
		Reservation: resID, Detail: map[string]any{"channel": t.v.Channel}})
	c.notifyTaskLocked(t)
	c.log.Info("task assigned", "task", t.v.ID, "agent_id", agentID)
	return c.taskViewLocked(t), true, nil
}

// RejectTask declines a task offer (reservation.reject); ok as AcceptTask.
func (c *Core) RejectTask(agentID, resID string) (ok bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok, err := c.floorRejectTaskLocked(agentID, resID); ok {
		return ok, err
	}
	t := c.taskByResLocked(resID)
	if t == nil {
		return false, nil
	}
	if ag := c.agents[agentID]; ag == nil || t.resAg != ag {
		return true, taskNotFound("reservation " + resID)
	}
	err = c.rt.Reject(t.res, c.now())
	c.flushLocked()
	if err != nil {
		return true, taskNotFound("reservation " + resID)
	}
	return true, nil
}

// CompleteTask ends an agent's assigned task (task.complete). After a task
// of a queue with wrap-up (and without simultaneous_tasks, rule 5) the
// task is "wrapping" until the agent's wrap-up ends.
func (c *Core) CompleteTask(agentID, taskID string) (store.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.taskTab().byID[taskID]
	ag := c.agents[agentID]
	if ag == nil {
		return store.Task{}, ErrUnknownAgent
	}
	if m := c.floorMirrorOfLocked(taskID, ag); m != nil && (t == nil || t.ag != ag) {
		t = m
	}
	if t == nil || (t.ag != ag && t.v.Agent != agentID) {
		return store.Task{}, taskNotFound("task " + taskID)
	}
	if t.v.State != store.TaskAssigned || t.ag != ag {
		return store.Task{}, taskConflict("task %s is %s", taskID, t.v.State)
	}
	if t.floor {
		return c.floorCompleteTaskLocked(t), nil
	}
	now := c.now()
	if err := c.rt.Complete(t.rid, now); err != nil {
		c.flushLocked()
		return store.Task{}, taskConflict("task %s: %v", taskID, err)
	}
	c.flushLocked()
	if s, ok := c.rt.Agent(router.AgentID(agentID)); ok && s.Wrapup && c.wrapsUp(t.v.Queue) {
		t.v.State = store.TaskWrapping
		c.notifyTaskLocked(t)
	} else {
		c.finishTaskLocked(t, store.TaskCompleted, "", now)
	}
	return c.taskViewLocked(t), nil
}

// wrapsUp reports whether a queue's tasks get wrap-up (rule 5).
func (c *Core) wrapsUp(queue string) bool {
	q, ok := c.queues[queue]
	return ok && q.WrapupSeconds > 0 && !q.SimultaneousTasks
}

// AgentTasks is the agent's tasks (task.list on the agent socket): offered,
// assigned and wrapping.
func (c *Core) AgentTasks(agentID string) ([]store.Task, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.agents[agentID]
	if ag == nil {
		return nil, ErrUnknownAgent
	}
	return c.agentTasksLocked(ag), nil
}

func (c *Core) agentTasksLocked(ag *agentRT) []store.Task {
	out := c.tasksLocked(func(t *taskRT) bool { return t.ag == ag || t.resAg == ag })
	for _, t := range c.floorTasks().mirrors { // other nodes' tasks it holds here
		if t.ag == ag || t.resAg == ag {
			out = append(out, c.taskViewLocked(t))
		}
	}
	return out
}

func (c *Core) taskByResLocked(resID string) *taskRT {
	if resID == "" {
		return nil
	}
	s, ok := c.rt.Reservation(router.ReservationID(resID))
	if !ok {
		return nil
	}
	t, _ := s.Payload.(*taskRT)
	return t
}

// notifyTaskLocked tells the task's agent (assigned or offered) task.updated.
func (c *Core) notifyTaskLocked(t *taskRT) {
	ag := t.ag
	if ag == nil {
		ag = t.resAg
	}
	c.notifyLocked(ag, "task.updated", c.taskViewLocked(t))
}

// finishTaskLocked ends a task: its final state, its record, the
// notification; it stays readable among the last MaxDoneTasks.
func (c *Core) finishTaskLocked(t *taskRT, state, reason string, now time.Time) {
	if t.v.State == store.TaskCompleted || t.v.State == store.TaskCanceled {
		return
	}
	t.v.State = state
	if reason != "" && t.v.Reason == "" {
		t.v.Reason = reason
	}
	if t.v.CompletedAt.IsZero() {
		t.v.CompletedAt = now
	}
	t.res, t.resAg = "", nil
	c.notifyTaskLocked(t)
	c.recordTaskLocked(t)
	ag := t.ag
	t.ag = nil
	if ag != nil && state == store.TaskCanceled {
		c.notifyAgentLocked(ag)
	}
	tt := c.taskTab()
	tt.live--
	tt.done = append(tt.done, t.v.ID)
	if len(tt.done) > MaxDoneTasks {
		delete(tt.byID, tt.done[0])
		tt.done = slices.Delete(tt.done, 0, 1)
	}
}

// recordTaskLocked appends the task's record to the call records
// (records.list with channel), off the lock.
func (c *Core) recordTaskLocked(t *taskRT) {
	if t.recorded {
		return
	}
	t.recorded = true
	r := store.CallRecord{
		Call: t.v.ID, Agent: t.v.Agent, Queue: t.v.Queue, Kind: "task", Direction: "inbound",
		StartedAt: t.v.CreatedAt, EndedAt: t.v.CompletedAt, Outcome: store.TaskCompleted, Channel: t.v.Channel,
	}
	if t.v.Reason != "" {
		r.Outcome = "canceled_" + t.v.Reason
	}
	if !t.v.AssignedAt.IsZero() {
		r.WaitSeconds = t.v.AssignedAt.Sub(t.v.CreatedAt).Seconds()
		r.TalkSeconds = t.v.CompletedAt.Sub(t.v.AssignedAt).Seconds()
	} else {
		r.WaitSeconds = t.v.CompletedAt.Sub(t.v.CreatedAt).Seconds()
	}
	st := c.cfg.Store
	c.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := st.AppendRecord(ctx, r); err != nil {
			c.log.Warn("task record not written", "task", r.Call, "err", err)
		}
	})
}

// taskError is an error of the task methods that both the agent socket
// (agent's sentinels) and the console (store's sentinels and
// *store.ValidationError) can classify.
type taskError struct {
	msg  string
	errs []error
}

func (e *taskError) Error() string   { return e.msg }
func (e *taskError) Unwrap() []error { return e.errs }

func taskNotFound(what string) error {
	return &taskError{what + ": not found", []error{ErrNotFound, store.ErrNotFound}}
}

func taskConflict(format string, args ...any) error {
	return &taskError{fmt.Sprintf(format, args...), []error{ErrState, store.ErrInUse}}
}

func taskInvalid(field, format string, args ...any) error {
	ve := store.Invalid(field, format, args...)
	return &taskError{ve.Error(), []error{ErrBadTarget, ve}}
}
