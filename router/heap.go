package router

// iheap is an indexed binary min-heap: each element records its own position
// (through idx) so it can be removed or re-ordered in O(log n). It orders
// the timers and the waiting tasks; memberships have their own (memheap.go).
type iheap[T any] struct {
	items []T
	less  func(a, b T) bool
	idx   func(T) *int // position of the element; -1 when not in the heap
}

func (h *iheap[T]) Len() int { return len(h.items) }

func (h *iheap[T]) push(x T) {
	*h.idx(x) = len(h.items)
	h.items = append(h.items, x)
	h.up(len(h.items) - 1)
}

func (h *iheap[T]) pop() T {
	x := h.items[0]
	h.remove(x)
	return x
}

func (h *iheap[T]) remove(x T) {
	i := *h.idx(x)
	if i < 0 {
		return
	}
	n := len(h.items) - 1
	if i != n {
		h.swap(i, n)
	}
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	*h.idx(x) = -1
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
}

// first returns the least element for which ok holds. The common case (the
// head matches) costs O(1); otherwise elements are popped in order until one
// matches and pushed back, O(k log n) for k skipped. scratch is reused.
func (h *iheap[T]) first(ok func(T) bool, scratch *[]T) (T, bool) {
	var zero T
	if len(h.items) == 0 {
		return zero, false
	}
	if ok(h.items[0]) {
		return h.items[0], true
	}
	popped := (*scratch)[:0]
	found, hit := zero, false
	for len(h.items) > 0 {
		x := h.pop()
		popped = append(popped, x)
		if ok(x) {
			found, hit = x, true
			break
		}
	}
	for i, x := range popped {
		h.push(x)
		popped[i] = zero
	}
	*scratch = popped[:0]
	return found, hit
}

func (h *iheap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.idx(h.items[i]) = i
	*h.idx(h.items[j]) = j
}

func (h *iheap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *iheap[T]) down(i0 int) bool {
	i, n := i0, len(h.items)
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && h.less(h.items[j2], h.items[j1]) {
			j = j2
		}
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// init restores the heap order after the ordering itself changed.
func (h *iheap[T]) init() {
	for i, x := range h.items {
		*h.idx(x) = i
	}
	for i := len(h.items)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}
