package agent

import (
	"time"

	"switchboard/events"
	"switchboard/router"
	"switchboard/store"
	"switchboard/view"
)

// onTaskEventLocked acts on a router event about a task of any channel:
// the event's payload is the task (no lookup map).
func (c *Core) onTaskEventLocked(t *taskRT, e router.Event) {
	ag := c.agents[string(e.Agent)]
	ev := events.Event{
		Type: string(e.Type), At: e.At, Agent: string(e.Agent), Task: t.v.ID,
		Reservation: string(e.Reservation), Queue: string(e.Queue), Reason: e.Reason,
		Kind: "task", Detail: map[string]any{"channel": t.v.Channel},
	}
	switch e.Type {
	case router.ReservationCreated:
		if ag == nil {
			break
		}
		t.res, t.resAg, t.resExp = e.Reservation, ag, e.Expires
		t.v.State = store.TaskReserved
		t.v.Agent = ag.cfg.ID
		c.notifyLocked(ag, "reservation.created", c.taskReservationViewLocked(t))
	case router.ReservationAccepted:
		// AcceptTask did the rest.
		if ag != nil {
			c.notifyLocked(ag, "reservation.ended", EndedView{ID: string(e.Reservation), Reason: "accepted"})
		}
	case router.ReservationRejected, router.ReservationTimeout, router.ReservationCanceled:
		reason := reservationEndReason(e)
		if t.res == e.Reservation {
			t.res, t.resAg = "", nil
			if t.v.State == store.TaskReserved {
				t.v.State = store.TaskPending
				t.v.Agent = ""
			}
		}
		if ag != nil {
			c.notifyLocked(ag, "reservation.ended", EndedView{ID: string(e.Reservation), Reason: reason})
		}
	case router.TaskMoved:
		ev.Detail["from_queue"] = string(e.FromQueue)
		ev.Detail["to_queue"] = string(e.Queue)
		ev.Detail["task"] = t.v.ID
		t.v.Queue = string(e.Queue)
	case router.TaskFallback:
		c.finishTaskLocked(t, store.TaskCanceled, e.Reason, e.At)
	case router.TaskCanceled:
		c.finishTaskLocked(t, store.TaskCanceled, "canceled", e.At)
	case router.TaskCompleted:
		if t.v.State == store.TaskAssigned && t.v.Reason == "" {
			// task.complete: CompleteTask decides between wrapping and
			// completed once the router has said whether wrap-up started.
			t.v.CompletedAt = e.At
			c.recordTaskLocked(t)
		}
	}
	if e.Queue == "" && t.v.Queue != "" {
		ev.Queue = t.v.Queue
	}
	c.publishLocked(ev)
}

// wrapupEndedLocked completes the agent's wrapping tasks (its wrap-up
// ended). Called for agent.wrapup events that are not "started".
func (c *Core) wrapupEndedLocked(ag *agentRT, now time.Time) {
	for _, t := range c.taskTab().byID {
		if t.ag == ag && t.v.State == store.TaskWrapping {
			c.finishTaskLocked(t, store.TaskCompleted, "", now)
		}
	}
}

func (c *Core) taskReservationViewLocked(t *taskRT) view.Reservation {
	v := c.taskViewLocked(t)
	return view.Reservation{
		ID: string(t.res), Kind: "task", Queue: t.v.Queue, ExpiresAt: ts(t.resExp),
		Attributes: v.Attributes, Task: &v,
	}
}

func (c *Core) taskReservationsLocked(ag *agentRT) []view.Reservation {
	var out []view.Reservation
	for _, ts := range []map[string]*taskRT{c.taskTab().byID, c.floorTasks().mirrors} {
		for _, t := range ts {
			if t.resAg == ag && t.res != "" {
				out = append(out, c.taskReservationViewLocked(t))
			}
		}
	}
	return out
}

func liveTask(t *taskRT) bool {
	return t.v.State != store.TaskCompleted && t.v.State != store.TaskCanceled
}

// dropAgentTasksLocked cancels the tasks assigned to an agent being
// removed (its offers the router withdraws itself).
func (c *Core) dropAgentTasksLocked(ag *agentRT) {
	for _, t := range c.taskTab().byID {
		if t.ag == ag && liveTask(t) {
			c.warnIf(c.cancelTaskLocked(t, "agent_removed"), "task cancel failed", "task", t.v.ID)
		}
	}
}

// taskAdvanceLocked ends pending tasks whose timeout_seconds passed.
func (c *Core) taskAdvanceLocked(now time.Time) {
	for _, t := range c.taskTab().byID {
		if !t.timeoutAt.IsZero() && !now.Before(t.timeoutAt) && liveTask(t) && t.ag == nil {
			t.timeoutAt = time.Time{}
			c.log.Info("task timed out", "task", t.v.ID)
			c.warnIf(c.cancelTaskLocked(t, reasonTimeout), "task timeout failed", "task", t.v.ID)
		}
	}
}

func (c *Core) taskDeadlineLocked(next time.Time, ok bool) (time.Time, bool) {
	for _, t := range c.taskTab().byID {
		if !t.timeoutAt.IsZero() && t.ag == nil && (!ok || t.timeoutAt.Before(next)) {
			next, ok = t.timeoutAt, true
		}
	}
	return next, ok
}
