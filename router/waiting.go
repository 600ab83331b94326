package router

// Waiting tasks of a queue, split by (channel, requested non-blocking) so
// that an agent at capacity on one channel, or at max_nonblocking, never
// scans the tasks it cannot take.

type subKey struct {
	ch string // "" is voice
	nb bool   // Task.NonBlocking as requested
}

type sub struct {
	key subKey
	h   iheap[*task]
}

func (t *task) channel() string {
	if t.cfg.Channel == Voice {
		return ""
	}
	return t.cfg.Channel
}

// nonBlocking is rule 1: calls are always blocking; a task is blocking
// unless block_agent is false and its queue has simultaneous_tasks.
func (t *task) nonBlocking() bool {
	return t.cfg.NonBlocking && t.channel() != "" && t.q != nil && t.q.cfg.Simultaneous
}

func (q *queue) subFor(k subKey) *sub {
	for _, sb := range q.subs {
		if sb.key == k {
			return sb
		}
	}
	sb := &sub{key: k}
	sb.h = iheap[*task]{less: func(a, b *task) bool { return q.taskLess(a, b) }, idx: func(t *task) *int { return &t.idx }}
	q.subs = append(q.subs, sb)
	return sb
}

func (q *queue) push(t *task) {
	sb := q.subFor(subKey{t.channel(), t.cfg.NonBlocking})
	t.sub = sb
	sb.h.push(t)
	q.nWait++
}

// unwait takes a waiting task out of its queue (no-op otherwise).
func (t *task) unwait() {
	if t.idx >= 0 && t.sub != nil {
		t.sub.h.remove(t)
		t.q.nWait--
	}
}

// taskLess orders the waiting tasks of one queue: priority desc, then
// arrival (oldest first, newest first for LIFO), then creation order.
func (q *queue) taskLess(a, b *task) bool {
	if a.prio != b.prio {
		return a.prio > b.prio
	}
	lifo := q.cfg.Order == LIFO
	if !a.cfg.Arrived.Equal(b.cfg.Arrived) {
		return a.cfg.Arrived.Before(b.cfg.Arrived) != lifo
	}
	return (a.seq < b.seq) != lifo
}
