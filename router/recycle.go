package router

// Recycling of ended tasks and reservations. A task or reservation that
// ends is unreachable from the state at once (r.tasks, r.res, the waiting
// heaps, the timers, the agent's offers), but the method that ended it may
// still read it (a reservation's task and agent, a task's queue). So it is
// only recycled when settle ends, the last step of every method that
// changes the state, and reused by the next AddTask or offer: the routing
// steps allocate neither (at most maxSpare of each are kept).

// endTask takes t out of r.tasks; it is recycled when settle ends.
func (r *Router) endTask(t *task) {
	delete(r.tasks, t.cfg.ID)
	if !t.ended {
		t.ended = true
		r.endedT = append(r.endedT, t)
	}
}

func (r *Router) newTask() *task { return reuse(&r.spareT) }

func (r *Router) newReservation() *reservation { return reuse(&r.spareR) }

// reuse takes the last of the recycled values in *spare, or makes one.
func reuse[T any](spare *[]*T) *T {
	s := *spare
	if n := len(s); n > 0 {
		v := s[n-1]
		s[n-1] = nil
		*spare = s[:n-1]
		return v
	}
	return new(T)
}

// recycle zeroes the ended tasks and reservations (dropping their payloads)
// and keeps them for reuse. One still filed anywhere (which would be a bug)
// is left to the garbage collector instead.
func (r *Router) recycle() {
	for i, t := range r.endedT {
		r.endedT[i] = nil
		if t.idx >= 0 || t.escT.idx >= 0 || t.res != nil || t.dirty || len(r.spareT) >= maxSpare {
			continue
		}
		*t = task{}
		r.spareT = append(r.spareT, t)
	}
	r.endedT = r.endedT[:0]
	for i, res := range r.endedR {
		r.endedR[i] = nil
		if res.tm.idx >= 0 || len(r.spareR) >= maxSpare {
			continue
		}
		*res = reservation{}
		r.spareR = append(r.spareR, res)
	}
	r.endedR = r.endedR[:0]
}
