package router

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Ordering.

// taskLess orders the waiting tasks of one queue: priority desc, arrival
// asc, then creation order.
func taskLess(a, b *task) bool {
	if a.cfg.Priority != b.cfg.Priority {
		return a.cfg.Priority > b.cfg.Priority
	}
	if !a.cfg.Arrived.Equal(b.cfg.Arrived) {
		return a.cfg.Arrived.Before(b.cfg.Arrived)
	}
	return a.seq < b.seq
}

func effPriority(t *task) int {
	if t.q != nil {
		return t.q.cfg.Priority + t.cfg.Priority
	}
	return t.cfg.Priority
}

// cmpTasks orders tasks across queues: effective priority (queue priority +
// task priority) desc, arrival asc, creation order.
func cmpTasks(a, b *task) int {
	if pa, pb := effPriority(a), effPriority(b); pa != pb {
		return cmp.Compare(pb, pa)
	}
	if c := a.cfg.Arrived.Compare(b.cfg.Arrived); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// idleLess: longest idle first, ties by agent id.
func idleLess(a, b *membership) bool {
	if !a.a.idleSince.Equal(b.a.idleSince) {
		return a.a.idleSince.Before(b.a.idleSince)
	}
	return a.a.id < b.a.id
}

// busyLess: least loaded first, then longest idle, then id.
func busyLess(a, b *membership) bool {
	if la, lb := a.a.load(), b.a.load(); la != lb {
		return la < lb
	}
	return idleLess(a, b)
}

func cmpAgents(a, b *agent) int {
	// Idle agents first (rule 3), then longest idle, then id.
	ia, ib := a.load() == 0, b.load() == 0
	if ia != ib {
		if ia {
			return -1
		}
		return 1
	}
	if c := a.idleSince.Compare(b.idleSince); c != 0 {
		return c
	}
	return strings.Compare(string(a.id), string(b.id))
}

// State upkeep.

// refresh puts the agent's memberships in the right per-queue indexes after
// any change to its presence, load, wrap-up, idle time or membership.
func (r *Router) refresh(a *agent) {
	ready := a.ready() && !a.wrapup
	load := a.load()
	idle := ready && load == 0
	busy := ready && load > 0 && load < a.capacity
	for _, m := range a.mem {
		m.q.idle.set(m, idle)
		m.q.busy.set(m, busy)
	}
}

func (r *Router) markAgent(a *agent) {
	if !a.dirty {
		a.dirty = true
		r.dirtyAgents = append(r.dirtyAgents, a)
	}
}

func (r *Router) markTask(t *task) {
	if !t.dirty {
		t.dirty = true
		r.dirtyTasks = append(r.dirtyTasks, t)
	}
}

// settle makes the offers the last change allows. Newly waiting tasks go
// first, best first, each to the longest idle eligible agent (rule 2), else
// to a busy one (rule 3). Then agents whose eligibility grew take the best
// waiting task across their queues (rule 4): idle agents first, busy agents
// after, so a busy agent never takes a task an idle one could.
//
// Between calls the state is stable: no waiting task has an eligible agent.
// So one change only needs looking at the tasks and agents it touched.
func (r *Router) settle(now time.Time) {
	if len(r.dirtyTasks) > 0 {
		slices.SortFunc(r.dirtyTasks, cmpTasks)
		for i, t := range r.dirtyTasks {
			t.dirty = false
			r.dirtyTasks[i] = nil
			if t.state == stateWaiting && t.idx >= 0 {
				r.offerTask(t, now)
			}
		}
		r.dirtyTasks = r.dirtyTasks[:0]
	}
	if len(r.dirtyAgents) > 0 {
		slices.SortFunc(r.dirtyAgents, cmpAgents)
		for _, a := range r.dirtyAgents {
			if a.load() == 0 {
				if t := r.pickFor(a); t != nil {
					r.offer(t, a, now)
				}
			}
		}
		for i, a := range r.dirtyAgents {
			for {
				t := r.pickFor(a)
				if t == nil {
					break
				}
				r.offer(t, a, now)
			}
			a.dirty = false
			r.dirtyAgents[i] = nil
		}
		r.dirtyAgents = r.dirtyAgents[:0]
	}
}

// offerTask offers a waiting queue task to the longest idle eligible member
// of its queue, or with AllowBusyAgents to the least busy one.
func (r *Router) offerTask(t *task, now time.Time) {
	q := t.q
	ok := func(m *membership) bool { return !t.excludes(m.a.id) }
	m, found := q.idle.first(ok, &r.scratchM)
	if !found && q.cfg.AllowBusyAgents {
		m, found = q.busy.first(ok, &r.scratchM)
	}
	if found {
		r.offer(t, m.a, now)
	}
}

// pickFor returns the best waiting task across the agent's queues that the
// agent may be offered now, or nil.
func (r *Router) pickFor(a *agent) *task {
	if !a.ready() || a.wrapup || a.load() >= a.capacity {
		return nil
	}
	idle := a.load() == 0
	var best *task
	ok := func(t *task) bool { return !t.excludes(a.id) }
	for _, m := range a.mem {
		q := m.q
		if q.waiting.Len() == 0 || (!idle && !q.cfg.AllowBusyAgents) {
			continue
		}
		if t, found := q.waiting.first(ok, &r.scratchT); found && (best == nil || cmpTasks(t, best) < 0) {
			best = t
		}
	}
	return best
}

// offer reserves agent a for task t.
func (r *Router) offer(t *task, a *agent, now time.Time) {
	if t.idx >= 0 {
		t.q.waiting.remove(t)
	}
	timeout := r.cfg.DirectOfferTimeout
	var qid QueueID
	if !t.targeted() {
		qid = t.q.cfg.ID
		timeout = t.q.cfg.OfferTimeout
		if timeout <= 0 {
			timeout = r.cfg.DefaultOfferTimeout
		}
	}
	res := &reservation{id: r.newReservationID(), t: t, a: a}
	r.tseq++
	res.tm = timer{at: now.Add(timeout), seq: r.tseq, idx: -1, res: res}
	r.timers.push(&res.tm)
	r.res[res.id] = res
	t.state = stateReserved
	t.res = res
	a.res = append(a.res, res)
	r.decisions++
	r.emit(Event{Type: ReservationCreated, At: now, Agent: a.id, Task: t.cfg.ID, Reservation: res.id,
		Queue: qid, Kind: t.cfg.Kind, Extension: t.cfg.TargetExtension, Expires: res.tm.at})
	r.refresh(a)
}

// endReservation takes a live reservation out of the state and emits typ.
// The caller decides what becomes of the task and refreshes the agent.
func (r *Router) endReservation(res *reservation, typ EventType, reason string, now time.Time) {
	r.timers.remove(&res.tm)
	delete(r.res, res.id)
	a, t := res.a, res.t
	for i, x := range a.res {
		if x == res {
			n := len(a.res)
			copy(a.res[i:], a.res[i+1:])
			a.res[n-1] = nil
			a.res = a.res[:n-1]
			break
		}
	}
	t.res = nil
	r.emit(Event{Type: typ, At: now, Agent: a.id, Task: t.cfg.ID, Reservation: res.id,
		Queue: t.queueID(), Kind: t.cfg.Kind, Reason: reason})
}

func (t *task) queueID() QueueID {
	if t.q != nil {
		return t.q.cfg.ID
	}
	return t.cfg.Queue
}

// cancelOffers withdraws all of a's live offers (rule 9) and routes their
// tasks again, keeping their age and place.
func (r *Router) cancelOffers(a *agent, reason string, now time.Time) {
	for len(a.res) > 0 {
		res := a.res[0]
		r.endReservation(res, ReservationCanceled, reason, now)
		r.requeue(res.t, reason, now)
	}
	r.refresh(a)
	r.markAgent(a)
}

// requeue routes a task whose offer ended without an accept. why is
// ReasonRejected, ReasonTimeout or a cancel reason.
func (r *Router) requeue(t *task, why string, now time.Time) {
	t.state = stateWaiting
	if t.targeted() {
		switch why {
		case ReasonRejected, ReasonTimeout:
			r.fallback(t, why, now)
		default:
			r.routeDirect(t, now)
		}
		return
	}
	if t.q.removed {
		r.fallback(t, ReasonUnknownQueue, now)
		return
	}
	t.q.waiting.push(t)
	r.markTask(t)
}

// routeDirect offers a direct task to its target or gives it its fallback
// at once (rules 5 and 7).
func (r *Router) routeDirect(t *task, now time.Time) {
	a := r.byExt[t.cfg.TargetExtension]
	switch {
	case a == nil:
		r.fallback(t, ReasonUnknownExtension, now)
	case t.excludes(a.id):
		r.fallback(t, ReasonExcluded, now)
	case !a.connected:
		r.fallback(t, ReasonDisconnected, now)
	case a.activity != ActivityAvailable:
		r.fallback(t, ReasonUnavailable, now)
	case a.load() >= a.capacity:
		r.fallback(t, ReasonBusy, now)
	default:
		r.offer(t, a, now)
	}
}

// fallback ends a task that will reach no agent.
func (r *Router) fallback(t *task, reason string, now time.Time) {
	if t.idx >= 0 {
		t.q.waiting.remove(t)
	}
	delete(r.tasks, t.cfg.ID)
	r.decisions++
	r.emit(Event{Type: TaskFallback, At: now, Task: t.cfg.ID, Queue: t.queueID(), Kind: t.cfg.Kind,
		Extension: t.cfg.TargetExtension, Reason: reason})
}
