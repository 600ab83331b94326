package agent

import (
	"switchboard/events"
	"switchboard/router"
)

// flushLocked drains the router's events and acts on each, in order, until
// the router has nothing more to say.
func (c *Core) flushLocked() {
	for {
		c.evbuf = c.rt.Drain(c.evbuf[:0])
		if len(c.evbuf) == 0 {
			break
		}
		evs := append([]router.Event(nil), c.evbuf...)
		for _, e := range evs {
			c.onRouterEventLocked(e)
		}
	}
	c.poke()
}

// onRouterEventLocked acts on one router event: offers are sent to agents,
// withdrawn offers are cancelled on the agent's screen, fallbacks are played
// to the caller, and everything is published.
func (c *Core) onRouterEventLocked(e router.Event) {
	if t, ok := e.Payload.(*taskRT); ok {
		c.onTaskEventLocked(t, e)
		return
	}
	cl := c.byTask[e.Task]
	ag := c.agents[string(e.Agent)]
	ev := events.Event{
		Type: string(e.Type), At: e.At, Agent: string(e.Agent), Task: string(e.Task),
		Reservation: string(e.Reservation), Queue: string(e.Queue), Reason: e.Reason,
	}
	if e.Kind != router.KindUnknown {
		ev.Kind = e.Kind.String()
	}
	if cl != nil {
		ev.Call = cl.id
		ev.From = cl.remote
		ev.To = cl.dialled
	}
	switch e.Type {
	case router.ReservationCreated:
		if cl == nil || ag == nil {
			break
		}
		cl.res = e.Reservation
		cl.resAg = ag
		cl.resAt = e.At
		c.byRes[e.Reservation] = cl
		cl.setState(stateRinging, e.At)
		c.notifyLocked(ag, "reservation.created", cl.reservationView(e.Expires))
		c.ringingLocked(ag)
	case router.ReservationAccepted:
		// Accept did the rest.
		delete(c.byRes, e.Reservation)
		if ag != nil {
			c.notifyLocked(ag, "reservation.ended", EndedView{ID: string(e.Reservation), Reason: "accepted"})
			c.ringingLocked(ag)
		}
	case router.ReservationRejected, router.ReservationTimeout, router.ReservationCanceled:
		reason := reservationEndReason(e)
		delete(c.byRes, e.Reservation)
		if cl != nil && cl.res == e.Reservation {
			cl.ringDur += e.At.Sub(cl.resAt)
			cl.res = ""
			cl.resAg = nil
			if !cl.ended && cl.ag == nil {
				cl.setState(stateWaiting, e.At)
			}
		}
		if ag != nil {
			c.notifyLocked(ag, "reservation.ended", EndedView{ID: string(e.Reservation), Reason: reason})
			c.ringingLocked(ag)
		}
	case router.TaskFallback:
		if cl != nil {
			delete(c.byTask, cl.task)
			cl.task = ""
			if !c.voicemailFallbackLocked(cl, e) {
				c.fallbackLocked(cl, e.Reason)
			}
		}
	case router.TaskMoved:
		// Escalation (PROTOCOL §10): task.moved {task, from_queue, to_queue}.
		ev.Detail = map[string]any{"task": string(e.Task), "from_queue": string(e.FromQueue), "to_queue": string(e.Queue)}
		if cl != nil {
			cl.queue = string(e.Queue)
		}
	case router.TaskCanceled, router.TaskCompleted:
		if cl != nil && cl.task == e.Task {
			delete(c.byTask, e.Task)
			cl.task = ""
		}
	case router.AgentActivity:
		ev.Activity = e.Activity.String()
		if ag != nil {
			c.notifyAgentLocked(ag)
		}
	case router.AgentWrapup, router.AgentConnected, router.AgentDisconnected:
		if ag != nil && e.Type == router.AgentWrapup && e.Reason != router.ReasonWrapupStarted {
			c.wrapupEndedLocked(ag, e.At) // its wrapping tasks are completed
		}
		if ag != nil {
			c.notifyAgentLocked(ag)
		}
	}
	c.publishLocked(ev)
}

// fallbackLocked gives a call that reaches no agent its defined end: 486
// Busy Here before answer, the announcement and BYE after (PROTOCOL.md
// section 5).
func (c *Core) fallbackLocked(cl *call, reason string) {
	if cl.ended || cl.fallingBack {
		return
	}
	cl.fallingBack = true
	cl.outcome = "fallback_" + reason
	c.log.Info("call fallback", "call", cl.id, "reason", reason, "answered", cl.answered)
	if cl.tc == nil {
		c.endCallLocked(cl, cl.outcome)
		return
	}
	if !cl.answered {
		tc := cl.tc
		c.async(func() { c.infoIf(tc.Reject(486, "Busy Here"), "reject failed", "call", cl.id, "status", 486) })
		return
	}
	c.announceAndHangupLocked(cl, c.cfg.Prompts.Unavailable, cl.outcome)
}

// reservationEndReason is reservation.ended's reason for a rejected, timed
// out or canceled reservation (PROTOCOL §4): rejected, timeout, canceled,
// or rescinded when the router withdrew it for another reason.
func reservationEndReason(e router.Event) string {
	switch {
	case e.Type == router.ReservationRejected:
		return "rejected"
	case e.Type == router.ReservationTimeout:
		return "timeout"
	case e.Reason != router.ReasonCanceled && e.Reason != "":
		return "rescinded"
	}
	return "canceled"
}
