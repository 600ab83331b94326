package cluster

import "switchboard/router"

// drain turns the router's events into decisions for the nodes.
func (f *Floor) drain() {
	for {
		f.evbuf = f.rt.Drain(f.evbuf[:0])
		if len(f.evbuf) == 0 {
			return
		}
		for _, e := range f.evbuf {
			f.decide(e)
		}
	}
}

func (f *Floor) decide(e router.Event) {
	an, tn := f.agentNode[e.Agent], f.taskNode[e.Task]
	d := Decision{
		Token: f.token, Task: string(e.Task), Agent: string(e.Agent), AgentNode: an, TaskNode: tn,
		Queue: string(e.Queue), Reason: e.Reason,
	}
	if e.Reservation != "" {
		d.Reservation = f.pfx + string(e.Reservation)
	}
	if e.Kind != router.KindUnknown {
		d.Kind = e.Kind.String()
	}
	w := f.work[e.Task]
	if w != nil {
		d.Channel = w.Channel
	}
	both := func(t DecisionType) {
		d.Type = t
		if an != "" {
			d.To = an
			f.out = append(f.out, d)
		}
		if tn != "" && tn != an {
			d.To = tn
			f.out = append(f.out, d)
		}
	}
	switch e.Type {
	case router.ReservationCreated:
		d.Expires, d.Spec = e.Expires, w
		both(DecOffer)
	case router.ReservationAccepted:
		both(DecAccepted) // the agent's node puts the call on it; the caller's bridges to it
	case router.ReservationRejected, router.ReservationTimeout, router.ReservationCanceled:
		if d.Reason == "" {
			d.Reason = map[router.EventType]string{router.ReservationRejected: "rejected", router.ReservationTimeout: "timeout"}[e.Type]
		}
		both(DecWithdraw)
	case router.TaskFallback:
		d.Type, d.To = DecFallback, tn
		f.out = append(f.out, d)
		delete(f.taskNode, e.Task)
		delete(f.work, e.Task)
	case router.TaskCanceled, router.TaskCompleted:
		if p, ok := f.accepted[e.Task]; ok && w != nil {
			// Its agent's node and its own end it (the one that said so
			// first already did).
			d.Agent, d.AgentNode, d.Reason = string(p.agent), p.node, "completed"
			if f.canceled[e.Task] {
				d.Reason = "canceled"
			}
			an = p.node
			both(DecDone)
		}
		delete(f.taskNode, e.Task)
		delete(f.accepted, e.Task)
		delete(f.work, e.Task)
		delete(f.canceled, e.Task)
	case router.TaskMoved:
		d.Type, d.To, d.FromQueue = DecMoved, tn, string(e.FromQueue)
		if s, ok := f.rt.Task(e.Task); ok { // where it stands now (a later move of this drain says the same)
			d.Step, d.Since = s.WorkflowStep, s.StepSince
		}
		if tn != "" {
			f.out = append(f.out, d)
		}
	case router.AgentActivity:
		if e.Reason == router.ReasonRONA && an != "" {
			d.Type, d.To, d.Activity = DecActivity, an, e.Activity.String()
			f.out = append(f.out, d)
		}
	}
}
