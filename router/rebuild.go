package router

import (
	"fmt"
	"time"
)

// A router rebuilt from what its agents hold (a new leader's router in a
// cluster, PROTOCOL §13): a task accepted under another router is put back
// with AddAssigned, so that it counts against its agent's capacity (§5,
// §10 rules 1–4) exactly as one accepted here, and Complete (or
// CallEnded) ends it here, with its queue's wrap-up.

// AddAssigned puts in, already accepted by agent, in the state: it counts
// in the agent's load at once (a call as a call; a task of another channel
// in its channel and, by rule 1 in its queue, as blocking or non-blocking
// work), even beyond the agent's capacities (the agent holds it: nothing
// more is offered to it until its work is back below them). in.Queue is
// the queue it was accepted from (a workflow task: the queue its workflow
// had reached; no escalation follows), or in.TargetExtension for a direct
// task; an unknown queue leaves the task blocking and with no wrap-up. It
// emits no event of its own. Errors mean it was refused (nothing changed).
func (r *Router) AddAssigned(in Task, agent AgentID, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, agent, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if in.ID == "" {
		return fmt.Errorf("%w: empty task id", ErrInvalid)
	}
	if _, ok := r.tasks[in.ID]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateTask, in.ID)
	}
	if in.Kind <= KindUnknown || in.Kind > KindTransfer {
		return fmt.Errorf("%w: task %q kind %d", ErrInvalid, in.ID, int(in.Kind))
	}
	t, err := r.makeTask(in, now)
	if err != nil {
		return err
	}
	t.state, t.agent = stateAssigned, a
	if in.TargetExtension == "" {
		t.q = r.queues[t.cfg.Queue] // nil when unknown
	}
	if t.channel() == "" {
		a.calls++
	} else {
		a.tasks++
		t.heldNB = t.nonBlocking()
		r.hold(a, t, 1)
	}
	r.tasks[t.cfg.ID] = t
	r.markAgent(a)
	r.settle(now)
	return nil
}
