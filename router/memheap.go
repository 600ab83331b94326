package router

// mheap is the per-queue index of members: a 4-ary min-heap of
// memberships, each recording its own position (idleIdx or busyIdx), so a
// member is filed, re-filed or taken out in O(log n). It is the iheap of
// heap.go specialised for memberships: the keys (since, work) are copies
// in the membership that refresh keeps, the order and the positions are
// plain code the compiler inlines, and four children per node halve the
// depth, which a member taken from the head (every offer to the longest
// idle member) walks down.
type mheap struct {
	items []*membership
	busy  bool // the busy order (least work first) and busyIdx; else idle and idleIdx
}

const mArity = 4

func (h *mheap) Len() int { return len(h.items) }

func (h *mheap) pos(m *membership) *int {
	if h.busy {
		return &m.busyIdx
	}
	return &m.idleIdx
}

func (h *mheap) has(m *membership) bool { return *h.pos(m) >= 0 }

// less: idle order is longest idle first, ties by agent id; busy order is
// least work first, then the idle order.
func (h *mheap) less(a, b *membership) bool {
	if h.busy && a.work != b.work {
		return a.work < b.work
	}
	if a.since != b.since {
		return a.since < b.since
	}
	return a.a.id < b.a.id
}

func (h *mheap) push(m *membership) {
	*h.pos(m) = len(h.items)
	h.items = append(h.items, m)
	h.up(len(h.items) - 1)
}

func (h *mheap) remove(m *membership) {
	i := *h.pos(m)
	if i < 0 {
		return
	}
	n := len(h.items) - 1
	last := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	*h.pos(m) = -1
	if i == n {
		return
	}
	h.items[i] = last
	*h.pos(last) = i
	if !h.down(i) {
		h.up(i)
	}
}

// set files m (or re-files it after its keys changed) when in is true and
// takes it out otherwise. changed false says the keys are the ones m was
// filed with, which leaves a filed m where it is.
func (h *mheap) set(m *membership, in, changed bool) {
	switch {
	case in && h.has(m):
		if changed {
			i := *h.pos(m)
			if !h.down(i) {
				h.up(i)
			}
		}
	case in:
		h.push(m)
	default:
		h.remove(m)
	}
}

// first returns the least member for which ok holds: O(1) when the head
// matches; otherwise members are popped in order until one matches and
// pushed back, O(k log n) for k skipped. scratch is reused.
func (h *mheap) first(ok func(*membership) bool, scratch *[]*membership) (*membership, bool) {
	if len(h.items) == 0 {
		return nil, false
	}
	if ok(h.items[0]) {
		return h.items[0], true
	}
	popped := (*scratch)[:0]
	var found *membership
	for len(h.items) > 0 {
		m := h.items[0]
		h.remove(m)
		popped = append(popped, m)
		if ok(m) {
			found = m
			break
		}
	}
	for i, m := range popped {
		h.push(m)
		popped[i] = nil
	}
	*scratch = popped[:0]
	return found, found != nil
}

func (h *mheap) up(j int) {
	m := h.items[j]
	for j > 0 {
		i := (j - 1) / mArity
		p := h.items[i]
		if !h.less(m, p) {
			break
		}
		h.items[j] = p
		*h.pos(p) = j
		j = i
	}
	h.items[j] = m
	*h.pos(m) = j
}

// down moves the item at i0 below its smaller children; it reports whether
// it moved.
func (h *mheap) down(i0 int) bool {
	n := len(h.items)
	m := h.items[i0]
	i := i0
	for {
		c := mArity*i + 1
		if c >= n || c < 0 {
			break
		}
		best := c
		for k := c + 1; k < c+mArity && k < n; k++ {
			if h.less(h.items[k], h.items[best]) {
				best = k
			}
		}
		b := h.items[best]
		if !h.less(b, m) {
			break
		}
		h.items[i] = b
		*h.pos(b) = i
		i = best
	}
	h.items[i] = m
	*h.pos(m) = i
	return i > i0
}
