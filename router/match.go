package router

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Ordering.

func effPriority(t *task) int {
	if t.q != nil {
		return t.q.cfg.Priority + t.prio
	}
	return t.prio
}

func (t *task) lifo() bool { return t.q != nil && t.q.cfg.Order == LIFO }

// cmpTasks orders tasks across queues: effective priority (queue priority +
// task priority) desc, arrival (oldest first; newest first when both queues
// are LIFO), creation order.
func cmpTasks(a, b *task) int {
	if pa, pb := effPriority(a), effPriority(b); pa != pb {
		return cmp.Compare(pb, pa)
	}
	lifo := a.lifo() && b.lifo()
	if c := a.cfg.Arrived.Compare(b.cfg.Arrived); c != 0 {
		if lifo {
			return -c
		}
		return c
	}
	if lifo {
		return cmp.Compare(b.seq, a.seq)
	}
	return cmp.Compare(a.seq, b.seq)
}

func cmpAgents(a, b *agent) int {
	// Completely free agents first (rule 3), then longest idle, then id.
	ia, ib := a.work() == 0, b.work() == 0
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
// any change to its presence, load, wrap-up, idle time or membership: idle
// holds completely free agents; busy holds agents with work that some task
// of the queue may still reach (only non-blocking work, rule 3; or voice
// work below capacity in an AllowBusyAgents queue, v1).
func (r *Router) refresh(a *agent) {
	ready := a.ready() && !a.wrapup
	work := a.work()
	idle := ready && work == 0
	since := a.idleSince.UnixNano()
	for _, m := range a.mem {
		changed := m.since != since || m.work != work
		m.since, m.work = since, work
		m.q.idle.set(m, idle, changed)
		m.q.busy.set(m, ready && work > 0 && r.busyOK(a, m.q), changed)
	}
}

// busyOK: a busy agent may still get some queue work of q.
func (r *Router) busyOK(a *agent, q *queue) bool {
	if a.blocking() == 0 {
		return true
	}
	return q.cfg.AllowBusyAgents && a.blk == 0 && a.load() < a.capacity
}

// mayTake is every rule but the exclusion list: may agent a (ready, not in
// wrap-up) be offered a task of channel ch, non-blocking nb, from queue q?
func (r *Router) mayTake(a *agent, q *queue, ch string, nb bool) bool {
	if !a.ready() || a.wrapup {
		return false
	}
	if ch == "" {
		if a.load() >= a.capacity {
			return false
		}
	} else if a.chn[ch] >= a.capOf(ch) { // rule 4
		return false
	}
	if a.blocking() > 0 { // rule 2, with v1's allow_busy_agents for calls
		return ch == "" && q.cfg.AllowBusyAgents && a.blk == 0
	}
	return !nb || a.nb < a.maxNB // rule 3
}

// markAgent re-files a in its queues (refresh) after a change to its state
// or load, and queues it for the next settle, which may offer it work.
func (r *Router) markAgent(a *agent) {
	r.refresh(a)
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
			if a.work() == 0 {
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
	r.recycle()
}

// offerTask offers a waiting queue task to the longest idle eligible member
// of its queue, else (rule 3, or v1 AllowBusyAgents) to the least busy one.
func (r *Router) offerTask(t *task, now time.Time) {
	q := t.q
	ch, nb := t.channel(), t.nonBlocking()
	ok := func(m *membership) bool { return !t.excludes(m.a.id) && r.mayTake(m.a, q, ch, nb) }
	m, found := q.idle.first(ok, &r.scratchM)
	if !found {
		m, found = q.busy.first(ok, &r.scratchM)
	}
	if found {
		r.offer(t, m.a, now)
	}
}

// pickFor returns the best waiting task across the agent's queues that the
// agent may be offered now, or nil.
func (r *Router) pickFor(a *agent) *task {
	if !a.ready() || a.wrapup {
		return nil
	}
	idle := a.work() == 0
	var best *task
	ok := func(t *task) bool { return !t.excludes(a.id) }
	for _, m := range a.mem {
		q := m.q
		if q.nWait == 0 || (!idle && !r.busyOK(a, q)) {
			continue
		}
		for _, sb := range q.subs {
			if sb.h.Len() == 0 || !r.mayTake(a, q, sb.key.ch, sb.key.nb && q.cfg.Simultaneous && sb.key.ch != "") {
				continue
			}
			if t, found := sb.h.first(ok, &r.scratchT); found && (best == nil || cmpTasks(t, best) < 0) {
				best = t
			}
		}
	}
	return best
}

// offer reserves agent a for task t.
func (r *Router) offer(t *task, a *agent, now time.Time) {
	t.unwait()
	timeout := r.cfg.DirectOfferTimeout
	var qid QueueID
	if !t.targeted() {
		qid = t.q.cfg.ID
		timeout = t.q.cfg.OfferTimeout
		if timeout <= 0 {
			timeout = r.cfg.DefaultOfferTimeout
		}
	}
	res := r.newReservation()
	*res = reservation{id: r.newReservationID(), t: t, a: a}
	r.tseq++
	res.tm = timer{at: now.Add(timeout), seq: r.tseq, idx: -1, res: res}
	r.timers.push(&res.tm)
	r.res[res.id] = res
	t.state = stateReserved
	t.res = res
	a.res = append(a.res, res)
	if t.channel() == "" {
		a.vres++
	} else {
		t.heldNB = t.nonBlocking()
		r.hold(a, t, 1)
	}
	r.decisions++
	r.emit(Event{Type: ReservationCreated, At: now, Agent: a.id, Task: t.cfg.ID, Reservation: res.id,
		Queue: qid, Kind: t.cfg.Kind, Extension: t.cfg.TargetExtension, Expires: res.tm.at,
		Channel: t.cfg.Channel, Payload: t.cfg.Payload})
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
	r.endedR = append(r.endedR, res)
	if t.channel() == "" {
		a.vres--
	} else {
		r.hold(a, t, -1)
	}
	r.emit(Event{Type: typ, At: now, Agent: a.id, Task: t.cfg.ID, Reservation: res.id,
		Queue: t.queueID(), Kind: t.cfg.Kind, Reason: reason, Channel: t.cfg.Channel, Payload: t.cfg.Payload})
}

// hold counts (d = 1) or releases (d = -1) a non-voice task in the agent's
// channel and blocking counters.
func (r *Router) hold(a *agent, t *task, d int) {
	ch := t.channel()
	if n := a.chn[ch] + d; n > 0 {
		a.chn[ch] = n
	} else {
		delete(a.chn, ch)
	}
	if t.heldNB {
		a.nb += d
	} else {
		a.blk += d
	}
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
	t.q.push(t)
	if t.moveDue {
		t.moveDue = false
		r.escalate(t, now)
		return
	}
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
	case t.channel() == "" && a.load() >= a.capacity:
		r.fallback(t, ReasonBusy, now)
	case t.channel() != "" && a.capOf(t.channel()) == 0:
		r.fallback(t, ReasonNoChannel, now)
	case t.channel() != "" && a.chn[t.channel()] >= a.capOf(t.channel()):
		r.fallback(t, ReasonBusy, now)
	default:
		r.offer(t, a, now)
	}
}

// fallback ends a task that will reach no agent.
func (r *Router) fallback(t *task, reason string, now time.Time) {
	t.unwait()
	r.timers.remove(&t.escT)
	r.endTask(t)
	r.decisions++
	r.emit(Event{Type: TaskFallback, At: now, Task: t.cfg.ID, Queue: t.queueID(), Kind: t.cfg.Kind,
		Extension: t.cfg.TargetExtension, Reason: reason, Channel: t.cfg.Channel, Payload: t.cfg.Payload})
}
