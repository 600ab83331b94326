package router

import (
	"fmt"
	"slices"
	"time"
)

// PutWorkflow creates or replaces a workflow. Tasks already routed keep
// the targets they were given.
func (r *Router) PutWorkflow(w Workflow, now time.Time) error {
	r.advance(now)
	if w.ID == "" {
		return fmt.Errorf("%w: empty workflow id", ErrInvalid)
	}
	for i, f := range w.Filters {
		if len(f.Targets) == 0 {
			return fmt.Errorf("%w: workflow %q filter %d has no target", ErrInvalid, w.ID, i)
		}
		for _, tg := range f.Targets {
			if tg.Queue == "" || tg.Timeout < 0 {
				return fmt.Errorf("%w: workflow %q filter %d: empty queue or negative timeout", ErrInvalid, w.ID, i)
			}
		}
	}
	c := w
	c.Filters = slices.Clone(w.Filters)
	for i := range c.Filters {
		c.Filters[i].Targets = slices.Clone(c.Filters[i].Targets)
	}
	r.flows[w.ID] = &c
	return nil
}

// RemoveWorkflow deletes a workflow; tasks already routed go on.
func (r *Router) RemoveWorkflow(id WorkflowID, now time.Time) error {
	r.advance(now)
	if _, ok := r.flows[id]; !ok {
		return fmt.Errorf("%w: workflow %q", ErrInvalid, id)
	}
	delete(r.flows, id)
	return nil
}

// applyWorkflow picks the task's targets: the first filter whose matcher
// accepts the attributes (nil matches everything), else the default queue.
// It returns a fallback reason, or "".
func (r *Router) applyWorkflow(t *task) string {
	w, ok := r.flows[t.cfg.Workflow]
	if !ok {
		return ReasonUnknownWorkflow
	}
	for _, f := range w.Filters {
		if f.Match == nil || f.Match.Match(t.cfg.Attributes) {
			t.targets = f.Targets
			break
		}
	}
	if t.targets == nil {
		if w.DefaultQueue == "" {
			return ReasonNoMatch
		}
		t.targets = []Target{{Queue: w.DefaultQueue}}
	}
	t.step = min(max(t.cfg.WorkflowStep, 0), len(t.targets)-1)
	t.cfg.Queue = t.targets[t.step].Queue
	t.prio = t.cfg.Priority + t.targets[t.step].Priority
	return ""
}

// armEscalation starts the timer of the task's current target, entered
// at since, unless it is the last one or has no timeout.
func (r *Router) armEscalation(t *task, since time.Time) {
	t.stepAt = since
	if t.step >= len(t.targets)-1 || t.targets[t.step].Timeout <= 0 {
		return
	}
	r.tseq++
	t.escT.at, t.escT.seq = since.Add(t.targets[t.step].Timeout), r.tseq
	r.timers.push(&t.escT)
}

// resumeEscalation arms a new waiting task's escalation: from now, or
// from the StepSince of a task another router had moved, which escalates
// at once if its target's time ran out meanwhile.
func (r *Router) resumeEscalation(t *task, now time.Time) {
	since := t.cfg.StepSince
	if since.IsZero() || since.After(now) || t.targets == nil {
		since = now
	}
	r.armEscalation(t, since)
	if t.escT.idx >= 0 && !t.escT.at.After(now) {
		r.timers.remove(&t.escT)
		r.escalate(t, now)
	}
}

// escalateDue: the current target's timeout ran out. A waiting task moves
// now; an offered one moves if its offer ends without an accept.
func (r *Router) escalateDue(t *task, now time.Time) {
	switch t.state {
	case stateWaiting:
		r.escalate(t, now)
	case stateReserved:
		t.moveDue = true
	}
}

// escalate moves a waiting task to its next target, keeping its arrival
// time, and emits task.moved.
func (r *Router) escalate(t *task, now time.Time) {
	from := t.q
	t.unwait()
	t.step++
	tg := t.targets[t.step]
	q, ok := r.queues[tg.Queue]
	if !ok || q.removed {
		t.q = nil
		t.cfg.Queue = tg.Queue
		r.fallback(t, ReasonUnknownQueue, now)
		return
	}
	t.q = q
	t.cfg.Queue = tg.Queue
	t.prio = t.cfg.Priority + tg.Priority
	q.push(t)
	r.emit(Event{Type: TaskMoved, At: now, Task: t.cfg.ID, Queue: q.cfg.ID, FromQueue: from.cfg.ID,
		Kind: t.cfg.Kind, Channel: t.cfg.Channel, Payload: t.cfg.Payload})
	r.armEscalation(t, now)
	r.markTask(t)
}
