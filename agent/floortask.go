package agent

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"time"

	"switchboard/events"
	"switchboard/router"
	"switchboard/store"
)

// Tasks of other channels on the floor (PROTOCOL §10, §13 "one router"):
// with a FloorRouter, CreateTask hands the task to the floor instead of
// the core's own router. The node that created it owns it (task.get,
// task.cancel, its timeout, its record); the leader's router offers it to
// an agent on any node. The agent's node keeps a mirror of another
// node's task while its agent is offered or holds it (the agent's
// reservation, task.list, task.complete), made from the offer's copy of
// the task. Nothing is bridged: a task is no call. When the owner and the
// agent are on one node, the owner's task is also the agent's.
//
// Not done on the floor: a floor task goes from assigned straight to
// completed (the leader's router holds the agent's wrap-up, the task
// shows no "wrapping"), and the agent's node's own router does not count
// it in the agent's load (FloorRoom does).

// floorTaskParts are the core's floor tasks (guarded by Core.mu).
type floorTaskParts struct {
	byRes   map[router.ReservationID]*taskRT // floor offers ringing on an agent here
	mirrors map[string]*taskRT               // other nodes' tasks by floor id ("<node>/<task id>")
}

func (c *Core) floorTasks() *floorTaskParts {
	if c.ftasks.byRes == nil {
		c.ftasks.byRes = map[router.ReservationID]*taskRT{}
		c.ftasks.mirrors = map[string]*taskRT{}
	}
	return &c.ftasks
}

// floorCreateTaskLocked hands a new task to the floor (CreateTask).
func (c *Core) floorCreateTaskLocked(t *taskRT, rt router.Task) {
	t.floor = true
	rt.Payload = nil
	c.cfg.Floor.Task(t.v.ID, rt)
	c.publishTaskLocked(t, events.TaskCreated, "", "", "")
}

func (c *Core) publishTaskLocked(t *taskRT, typ, agent, res, reason string) {
	c.publishLocked(events.Event{Type: typ, At: c.now(), Agent: agent, Task: t.v.ID, Reservation: res, Queue: t.v.Queue,
		Reason: reason, Kind: "task", Detail: map[string]any{"channel": t.v.Channel}})
}

// floorWorkOfLocked is the floor task id: this node's own (its task id) or
// a mirror (the floor's id of another node's task).
func (c *Core) floorWorkOfLocked(id string) (t *taskRT, own bool) {
	if t := c.taskTab().byID[id]; t != nil && t.floor {
		return t, true
	}
	return c.floorTasks().mirrors[id], false
}

// FloorTaskOffer takes the floor's offer res of task (this node's task id,
// or the floor's id of another node's task, then spec is that task) to
// agent until expires; ring says the agent is on this node, which rings
// it. An error means the task or the agent is not here, or the agent has
// no room here (FloorRoom): the offer should be rejected.
func (c *Core) FloorTaskOffer(task, res, agent string, ring bool, expires time.Time, spec store.Task) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, own := c.floorWorkOfLocked(task)
	ag := c.agents[agent]
	if ring && ag == nil || !own && !ring {
		return fmt.Errorf("floor offer %s of task %s to %s: %w", res, task, agent, ErrNotFound)
	}
	if t == nil && !own {
		spec.Attributes = maps.Clone(spec.Attributes)
		spec.State = store.TaskPending
		t = &taskRT{v: spec, floor: true, mirror: task}
	}
	if t == nil || !liveTask(t) || t.ag != nil {
		return fmt.Errorf("floor offer %s of task %s: %w", res, task, ErrNotFound)
	}
	if t.res != "" {
		c.floorTaskUnofferLocked(t, "rescinded")
	}
	if ring {
		v := c.taskViewLocked(t)
		if err := c.floorRoomLocked(agent, router.Task{Channel: v.Channel, NonBlocking: !v.Blocking}); err != nil {
			if !own {
				delete(c.floorTasks().mirrors, task)
			}
			return fmt.Errorf("floor offer %s of task %s: %w", res, task, err)
		}
		t.resAg = ag
		c.floorTasks().byRes[router.ReservationID(res)] = t
	}
	if !own {
		c.floorTasks().mirrors[task] = t
	}
	t.res, t.resExp = router.ReservationID(res), expires
	t.v.State, t.v.Agent = store.TaskReserved, agent
	if ring {
		c.notifyLocked(ag, "reservation.created", c.taskReservationViewLocked(t))
	}
	if own {
		c.publishTaskLocked(t, events.ReservationCreated, agent, res, "")
	}
	return nil
}

// floorTaskUnofferLocked ends t's floor offer on this node.
func (c *Core) floorTaskUnofferLocked(t *taskRT, reason string) {
	res, ag := t.res, t.resAg
	delete(c.floorTasks().byRes, res)
	t.res, t.resAg = "", nil
	if t.v.State == store.TaskReserved {
		t.v.State, t.v.Agent = store.TaskPending, ""
	}
	if t.acc != nil {
		t.acc <- fmt.Errorf("reservation %s %s: %w", res, reason, ErrNotFound)
		t.acc = nil
	}
	if ag != nil {
		c.notifyLocked(ag, "reservation.ended", EndedView{ID: string(res), Reason: reason})
	}
}

// FloorTaskWithdraw ends the floor's offer res of task (reason timeout,
// rejected, canceled or rescinded); the task waits on.
func (c *Core) FloorTaskWithdraw(task, res, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, own := c.floorWorkOfLocked(task)
	if t == nil || string(t.res) != res {
		return
	}
	agent := t.v.Agent
	c.floorTaskUnofferLocked(t, reason)
	if !own {
		delete(c.floorTasks().mirrors, task)
		return
	}
	ev := map[string]string{"timeout": events.ReservationTimeout, "rejected": events.ReservationRejected}[reason]
	c.publishTaskLocked(t, cmp.Or(ev, events.ReservationCanceled), agent, res, reason)
}

// FloorTaskAccepted assigns task to agent, whose accept of res the leader
// took (here: agent is on this node).
func (c *Core) FloorTaskAccepted(task, res, agent string, here bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, own := c.floorWorkOfLocked(task)
	if t == nil || !liveTask(t) {
		return fmt.Errorf("floor accept of task %s by %s: %w", task, agent, ErrNotFound)
	}
	if t.v.State == store.TaskAssigned { // a repeated decision: the first one counts
		if t.v.Agent == agent {
			return nil
		}
		return fmt.Errorf("floor accept of task %s by %s: assigned to %s: %w", task, agent, t.v.Agent, ErrState)
	}
	ag := c.agents[agent]
	now := c.now()
	delete(c.floorTasks().byRes, router.ReservationID(res))
	t.res, t.resAg = "", nil
	t.v.State, t.v.Agent, t.v.AssignedAt = store.TaskAssigned, agent, now
	t.timeoutAt = time.Time{}
	if here && ag != nil {
		t.ag = ag
		c.notifyLocked(ag, "reservation.ended", EndedView{ID: res, Reason: "accepted"})
		c.notifyTaskLocked(t)
	}
	if own {
		c.publishLocked(events.Event{Type: "task.assigned", At: now, Task: t.v.ID, Agent: agent, Queue: t.v.Queue,
			Reservation: res, Detail: map[string]any{"channel": t.v.Channel}})
		c.log.Info("task assigned", "task", t.v.ID, "agent_id", agent, "floor", true)
	}
	if t.acc != nil {
		t.acc <- nil
		t.acc = nil
	}
	return nil
}

// FloorTaskDone ends task: reason completed (its agent completed it), or
// why it was canceled (its node canceled it, or the floor's fallback).
func (c *Core) FloorTaskDone(task, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, own := c.floorWorkOfLocked(task)
	if t == nil {
		return
	}
	if t.res != "" {
		c.floorTaskUnofferLocked(t, "canceled")
	}
	state := store.TaskCanceled
	if reason == store.TaskCompleted {
		state, reason = store.TaskCompleted, ""
	}
	c.floorFinishLocked(t, own, state, reason)
}

// floorFinishLocked ends a floor task here: an own task as any (its
// record included), a mirror only for its agent.
func (c *Core) floorFinishLocked(t *taskRT, own bool, state, reason string) {
	now := c.now()
	if own {
		if !liveTask(t) {
			return // it ended here first (task.cancel, or its agent here completed it)
		}
		c.floorWrapupLocked(t, now)
		c.finishTaskLocked(t, state, reason, now)
		c.publishTaskLocked(t, "task."+state, t.v.Agent, "", reason)
		return
	}
	delete(c.floorTasks().mirrors, t.mirror)
	if !liveTask(t) {
		return
	}
	c.floorWrapupLocked(t, now)
	t.v.State, t.v.CompletedAt = state, now
	if reason != "" {
		t.v.Reason = reason
	}
	c.notifyTaskLocked(t)
	if ag := t.ag; ag != nil {
		t.ag = nil
		c.notifyAgentLocked(ag)
	}
}

// floorWrapupLocked starts the wrap-up of t's queue for its agent here
// (t ends, completed or canceled, as assigned): the leader's router starts
// the same one (§10 rule 5), and the agent's wrap-up's end here tells it
// (the agent.wrapup event becomes the wrapup_done fact). The task itself is completed at once, not
// kept wrapping (docs/CLUSTER.md).
func (c *Core) floorWrapupLocked(t *taskRT, now time.Time) {
	if t.ag == nil || t.v.State != store.TaskAssigned {
		return
	}
	c.warnIf(c.rt.StartWrapup(router.AgentID(t.ag.cfg.ID), router.QueueID(t.v.Queue), now), "router refused wrap-up", "task", t.v.ID, "agent_id", t.ag.cfg.ID)
	c.flushLocked()
}

// FloorTaskMoved records the queue the floor's router put a workflow task
// in (from, step, since: as FloorMoved).
func (c *Core) FloorTaskMoved(task, queue, from string, step int, since time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, own := c.floorWorkOfLocked(task)
	if t == nil || !own {
		return
	}
	t.v.Queue = queue
	t.step, t.stepAt = step, since
	if from != "" {
		ev := events.Event{Type: string(router.TaskMoved), At: c.now(), Task: t.v.ID, Queue: queue, Kind: "task",
			Detail: map[string]any{"channel": t.v.Channel, "task": t.v.ID, "from_queue": from, "to_queue": queue}}
		c.publishLocked(ev)
	}
}

// floorAcceptTask sends agent's accept of the floor's task offer res to
// the leader and waits for its answer (at most 5 s); ok is false when res
// is no floor task offer.
func (c *Core) floorAcceptTask(agentID, resID string) (v store.Task, ok bool, err error) {
	c.mu.Lock()
	t := c.floorTasks().byRes[router.ReservationID(resID)]
	if t == nil {
		c.mu.Unlock()
		return store.Task{}, false, nil
	}
	if t.resAg == nil || t.resAg.cfg.ID != agentID || t.acc != nil {
		c.mu.Unlock()
		return store.Task{}, true, taskNotFound("reservation " + resID)
	}
	ch := make(chan error, 1)
	t.acc = ch
	c.cfg.Floor.Accept(agentID, resID)
	c.mu.Unlock()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case err = <-ch:
	case <-timer.C:
		err = errors.New("the floor did not answer the accept")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.acc == ch {
		t.acc = nil
	}
	if err != nil {
		return store.Task{}, true, taskNotFound("reservation " + resID)
	}
	c.log.Info("task assigned", "task", t.v.ID, "agent_id", agentID, "floor", true)
	return c.taskViewLocked(t), true, nil
}

// floorRejectTaskLocked sends a reject of the floor's task offer res to
// the leader (its withdraw follows); ok as floorAcceptTask.
func (c *Core) floorRejectTaskLocked(agentID, resID string) (ok bool, err error) {
	t := c.floorTasks().byRes[router.ReservationID(resID)]
	if t == nil {
		return false, nil
	}
	if t.resAg == nil || t.resAg.cfg.ID != agentID {
		return true, taskNotFound("reservation " + resID)
	}
	c.cfg.Floor.Reject(agentID, resID)
	return true, nil
}

// floorCompleteTaskLocked completes a floor task its agent (here) holds:
// the leader frees the agent and tells the task's node.
func (c *Core) floorCompleteTaskLocked(t *taskRT) store.Task {
	id := t.mirror
	if id == "" {
		id = t.v.ID
	}
	c.cfg.Floor.Ended(id)
	c.floorFinishLocked(t, t.mirror == "", store.TaskCompleted, "")
	return c.taskViewLocked(t)
}

// floorMirrorOfLocked is the mirror of another node's task id its agent
// ag holds or is offered here, or nil.
func (c *Core) floorMirrorOfLocked(id string, ag *agentRT) *taskRT {
	for _, t := range c.floorTasks().mirrors {
		if t.v.ID == id && (t.ag == ag || t.resAg == ag) {
			return t
		}
	}
	return nil
}

// floorWorkLocked counts the floor tasks agent holds or is offered here,
// and of those the blocking ones.
func (c *Core) floorWorkLocked(agent string) (all, blocking int) {
	count := func(t *taskRT) {
		ag := t.ag
		if ag == nil {
			ag = t.resAg
		}
		if ag == nil || ag.cfg.ID != agent || !liveTask(t) {
			return
		}
		all++
		if c.taskViewLocked(t).Blocking {
			blocking++
		}
	}
	for _, t := range c.taskTab().byID {
		if t.floor {
			count(t)
		}
	}
	for _, t := range c.floorTasks().mirrors {
		count(t)
	}
	return all, blocking
}

// floorTasksWithdrawAllLocked ends every floor task offer here (a new
// term: FloorWithdrawAll); the own tasks wait for the new term.
func (c *Core) floorTasksWithdrawAllLocked() {
	for _, t := range c.taskTab().byID {
		if t.floor && t.res != "" {
			c.floorTaskUnofferLocked(t, "rescinded")
		}
	}
	for id, t := range c.floorTasks().mirrors {
		if t.res != "" {
			c.floorTaskUnofferLocked(t, "rescinded")
			delete(c.floorTasks().mirrors, id)
		}
	}
}

// floorTasksWaitingLocked adds this node's floor tasks no agent holds to
// out (FloorWaiting), as CreateTask handed them to the floor (a workflow
// task at the step the floor had moved it to).
func (c *Core) floorTasksWaitingLocked(out map[string]router.Task) {
	for id, t := range c.taskTab().byID {
		if !t.floor || !liveTask(t) || t.v.State == store.TaskAssigned {
			continue
		}
		rt := router.Task{ID: t.rid, Kind: router.KindQueue, Workflow: router.WorkflowID(t.v.Workflow), Channel: t.v.Channel,
			NonBlocking: !t.v.BlockAgent, Priority: t.v.Priority, Arrived: t.v.CreatedAt, Attributes: t.v.Attributes,
			WorkflowStep: t.step, StepSince: t.stepAt}
		if rt.Workflow == "" {
			rt.Queue = router.QueueID(t.v.Queue)
		}
		out[id] = rt
	}
}

// FloorHeld lists the floor tasks the agents here hold (accepted, not
// completed), by agent, for a new term's report (the new leader counts
// them in their load): ID is this node's task id, or the floor's id of
// another node's task; Queue the queue it was accepted from.
func (c *Core) FloorHeld() map[string][]router.Task {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]router.Task{}
	add := func(id string, t *taskRT) {
		if t.ag == nil || !liveTask(t) || t.v.State != store.TaskAssigned {
			return
		}
		out[t.ag.cfg.ID] = append(out[t.ag.cfg.ID], router.Task{ID: router.TaskID(id), Kind: router.KindQueue, Queue: router.QueueID(t.v.Queue),
			Workflow: router.WorkflowID(t.v.Workflow), Channel: t.v.Channel, NonBlocking: !t.v.BlockAgent, Priority: t.v.Priority,
			Arrived: t.v.CreatedAt, Attributes: maps.Clone(t.v.Attributes)})
	}
	for id, t := range c.taskTab().byID {
		if t.floor {
			add(id, t)
		}
	}
	for id, t := range c.floorTasks().mirrors {
		add(id, t)
	}
	return out
}
