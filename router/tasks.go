package router

import (
	"fmt"
	"time"
)

// AddTask adds a call that needs an agent and routes it at once: a direct
// task is offered to its target or gets its fallback in the same call; a
// queue task is offered or waits. A queue task naming an unknown queue gets
// the fallback unknown_queue. Errors mean the task was refused (no events).
func (r *Router) AddTask(in Task, now time.Time) error {
	r.advance(now)
	if in.ID == "" {
		return fmt.Errorf("%w: empty task id", ErrInvalid)
	}
	if _, ok := r.tasks[in.ID]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateTask, in.ID)
	}
	switch in.Kind {
	case KindQueue:
		if (in.Queue == "") == (in.Workflow == "") || in.TargetExtension != "" {
			return fmt.Errorf("%w: queue task %q needs a queue or a workflow, and no extension", ErrInvalid, in.ID)
		}
	case KindDirect:
		if in.TargetExtension == "" {
			return fmt.Errorf("%w: direct task %q needs an extension", ErrInvalid, in.ID)
		}
	case KindTransfer:
		if (in.Queue == "") == (in.TargetExtension == "") {
			return fmt.Errorf("%w: transfer task %q needs a queue or an extension", ErrInvalid, in.ID)
		}
	default:
		return fmt.Errorf("%w: task %q kind %d", ErrInvalid, in.ID, int(in.Kind))
	}
	if in.Workflow != "" && in.Kind != KindQueue {
		return fmt.Errorf("%w: task %q: only queue tasks take a workflow", ErrInvalid, in.ID)
	}
	t, err := r.makeTask(in, now)
	if err != nil {
		return err
	}
	r.tasks[in.ID] = t
	r.emit(Event{Type: TaskCreated, At: now, Task: in.ID, Queue: in.Queue, Kind: in.Kind, Extension: in.TargetExtension, Channel: in.Channel, Payload: in.Payload})
	if t.targeted() {
		r.routeDirect(t, now)
		r.settle(now)
		return nil
	}
	if in.Workflow != "" {
		if reason := r.applyWorkflow(t); reason != "" {
			r.fallback(t, reason, now)
			r.settle(now)
			return nil
		}
	}
	q, ok := r.queues[t.cfg.Queue]
	if !ok {
		r.fallback(t, ReasonUnknownQueue, now)
		r.settle(now)
		return nil
	}
	t.q = q
	q.push(t)
	r.resumeEscalation(t, now)
	r.markTask(t)
	r.settle(now)
	return nil
}

// makeTask makes the waiting task of in (its channel checked, arrived
// now unless set), in no index yet.
func (r *Router) makeTask(in Task, now time.Time) (*task, error) {
	if !validChannel(in.Channel) {
		return nil, fmt.Errorf("%w: task %q: channel %q", ErrInvalid, in.ID, in.Channel)
	}
	if in.Arrived.IsZero() {
		in.Arrived = now
	}
	r.seq++
	t := r.newTask()
	*t = task{cfg: in, seq: r.seq, idx: -1, prio: in.Priority}
	t.escT.idx, t.escT.esc = -1, t
	t.exclude = append([]AgentID(nil), in.Exclude...)
	t.cfg.Exclude = nil
	return t, nil
}

func validChannel(ch string) bool {
	if len(ch) > 32 {
		return false
	}
	for i := 0; i < len(ch); i++ {
		c := ch[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CancelTask ends a waiting or offered task (the caller hung up, rule 10):
// a live offer is withdrawn (reservation.canceled, reason canceled), then
// task.canceled. An accepted task is ended with CallEnded instead.
func (r *Router) CancelTask(id TaskID, now time.Time) error {
	r.advance(now)
	t, err := lookup(r.tasks, id, ErrUnknownTask)
	if err != nil {
		return err
	}
	if t.state == stateAssigned {
		return fmt.Errorf("%w: %q", ErrTaskAssigned, id)
	}
	if res := t.res; res != nil {
		r.endReservation(res, ReservationCanceled, ReasonCanceled, now)
		r.markAgent(res.a)
	}
	t.unwait()
	r.timers.remove(&t.escT)
	r.endTask(t)
	r.emit(Event{Type: TaskCanceled, At: now, Task: id, Queue: t.queueID(), Kind: t.cfg.Kind, Channel: t.cfg.Channel, Payload: t.cfg.Payload})
	r.settle(now)
	return nil
}

// Accept turns a live offer into a call counted in the agent's load.
func (r *Router) Accept(id ReservationID, now time.Time) error {
	r.advance(now)
	res, err := lookup(r.res, id, ErrUnknownReservation)
	if err != nil {
		return err
	}
	a, t := res.a, res.t
	if t.channel() == "" {
		a.calls++ // before endReservation, so the load never dips
	} else {
		a.tasks++
		r.hold(a, t, 1)
	}
	r.endReservation(res, ReservationAccepted, "", now)
	r.timers.remove(&t.escT)
	t.moveDue = false
	t.state = stateAssigned
	t.agent = a
	r.refresh(a)
	r.settle(now)
	return nil
}

// Reject declines a live offer. The agent is never offered that task again;
// a queue task goes to the next eligible agent, a direct task gets its
// fallback (rule 7).
func (r *Router) Reject(id ReservationID, now time.Time) error {
	r.advance(now)
	res, err := lookup(r.res, id, ErrUnknownReservation)
	if err != nil {
		return err
	}
	a, t := res.a, res.t
	t.exclude = append(t.exclude, a.id)
	r.endReservation(res, ReservationRejected, "", now)
	r.markAgent(a)
	r.requeue(t, ReasonRejected, now)
	r.settle(now)
	return nil
}

// timeout handles an expired offer (rule 6): the agent is set unavailable
// (RONA, which withdraws its other offers) and the task routed again without
// it.
func (r *Router) timeout(res *reservation, now time.Time) {
	a, t := res.a, res.t
	t.exclude = append(t.exclude, a.id)
	r.endReservation(res, ReservationTimeout, "", now)
	r.markAgent(a)
	if !a.removed {
		r.setActivity(a, ActivityUnavailable, ReasonRONA, now)
	}
	r.requeue(t, ReasonTimeout, now)
}

// Complete ends an accepted task of any channel (task.complete); it is
// CallEnded under the name tasks use.
func (r *Router) Complete(id TaskID, now time.Time) error { return r.CallEnded(id, now) }

// CallEnded ends the call (or task) of an accepted task (task.completed).
// After a task of a queue that sets Wrapup, and not Simultaneous (rule 5),
// the agent is in wrap-up (rule 8).
func (r *Router) CallEnded(id TaskID, now time.Time) error {
	r.advance(now)
	t, err := lookup(r.tasks, id, ErrUnknownTask)
	if err != nil {
		return err
	}
	if t.state != stateAssigned {
		return fmt.Errorf("%w: %q", ErrNotAssigned, id)
	}
	a := t.agent
	r.endTask(t)
	if t.channel() == "" {
		a.calls--
	} else {
		a.tasks--
		r.hold(a, t, -1)
	}
	r.emit(Event{Type: TaskCompleted, At: now, Task: id, Agent: a.id, Queue: t.queueID(), Kind: t.cfg.Kind, Channel: t.cfg.Channel, Payload: t.cfg.Payload})
	if !a.removed {
		if q := t.q; q != nil && !t.targeted() && !q.removed && q.cfg.Wrapup > 0 && !q.cfg.Simultaneous {
			r.startWrapup(a, now.Add(q.cfg.Wrapup), now)
		} else if a.calls+a.tasks == 0 && !a.wrapup {
			a.idleSince = now
		}
		r.markAgent(a)
	}
	r.settle(now)
	return nil
}

// WrapupDone ends the agent's wrap-up early (wrapup.done). It is a no-op
// when the agent is not in wrap-up.
func (r *Router) WrapupDone(id AgentID, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if a.wrapup {
		r.endWrapup(a, ReasonWrapupDone, now)
		r.settle(now)
	}
	return nil
}

// StartWrapup puts agent id in the wrap-up of queue after work another
// router routed and this one counted as a call from no task (AddCall): a
// call the cluster's leader gave it (PROTOCOL §13). As after CallEnded, a
// queue that sets no Wrapup, or sets Simultaneous (rule 5), gives none; an
// unknown queue gives none either.
func (r *Router) StartWrapup(id AgentID, queue QueueID, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if q := r.queues[queue]; q != nil && !q.removed && q.cfg.Wrapup > 0 && !q.cfg.Simultaneous && !a.removed {
		r.startWrapup(a, now.Add(q.cfg.Wrapup), now)
		r.markAgent(a)
		r.settle(now)
	}
	return nil
}

// AddCall counts a call that came from no task (an outbound call the agent
// dials) in the agent's load. It refuses with ErrAtCapacity when the load
// has reached the capacity.
func (r *Router) AddCall(id AgentID, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if a.load() >= a.capacity {
		return fmt.Errorf("%w: %q has %d of %d", ErrAtCapacity, id, a.load(), a.capacity)
	}
	a.calls++
	a.outbound++
	r.refresh(a)
	return nil
}

// EndCall ends a call added with AddCall.
func (r *Router) EndCall(id AgentID, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if a.outbound == 0 {
		return fmt.Errorf("%w: %q", ErrNoCall, id)
	}
	a.outbound--
	a.calls--
	if a.calls+a.tasks == 0 && !a.wrapup {
		a.idleSince = now
	}
	r.markAgent(a)
	r.settle(now)
	return nil
}

func (r *Router) startWrapup(a *agent, until, now time.Time) {
	if a.wrapup && a.wrapT.at.After(until) {
		until = a.wrapT.at
	}
	a.wrapup = true
	r.timers.remove(&a.wrapT)
	r.tseq++
	a.wrapT.at, a.wrapT.seq = until, r.tseq
	r.timers.push(&a.wrapT)
	r.emit(Event{Type: AgentWrapup, At: now, Agent: a.id, Reason: ReasonWrapupStarted, Expires: until})
}

func (r *Router) endWrapup(a *agent, reason string, now time.Time) {
	r.stopWrapup(a)
	r.emit(Event{Type: AgentWrapup, At: now, Agent: a.id, Reason: reason})
	if a.calls+a.tasks == 0 {
		a.idleSince = now
	}
	r.markAgent(a)
}

func (r *Router) stopWrapup(a *agent) {
	a.wrapup = false
	r.timers.remove(&a.wrapT)
}

// Advance handles every deadline up to now, in deadline order: expired
// offers (RONA) and ended wrap-up timers. Every other method calls it first,
// so the caller needs it only when the timer armed from NextDeadline fires.
func (r *Router) Advance(now time.Time) { r.advance(now) }

func (r *Router) advance(now time.Time) {
	for r.timers.Len() > 0 && !r.timers.items[0].at.After(now) {
		tm := r.timers.pop()
		if tm.res != nil {
			r.timeout(tm.res, now)
		} else if tm.esc != nil {
			r.escalateDue(tm.esc, now)
		} else {
			r.endWrapup(tm.ag, ReasonWrapupTimer, now)
		}
		r.settle(now)
	}
}

// NextDeadline returns the earliest pending deadline (offer expiry or
// wrap-up end). Arm one timer for it and call Advance when it fires.
func (r *Router) NextDeadline() (time.Time, bool) {
	if r.timers.Len() == 0 {
		return time.Time{}, false
	}
	return r.timers.items[0].at, true
}
