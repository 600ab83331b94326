package router

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestMemheapAgainstSorting: random pushes, removals, key changes and
// first() with a predicate over both orders keep the heap's order and
// positions, and every first() answers what sorting the filed members
// answers.
func TestMemheapAgainstSorting(t *testing.T) {
	for seed := range 50 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		for _, busy := range []bool{false, true} {
			h := &mheap{busy: busy}
			var ms []*membership
			for i := range 40 {
				ms = append(ms, &membership{a: &agent{id: AgentID("a" + strconv.Itoa(i))}, idleIdx: -1, busyIdx: -1})
			}
			var scratch []*membership
			for step := range 400 {
				m := ms[rng.IntN(len(ms))]
				switch rng.IntN(4) {
				case 0, 1: // new keys (few distinct values: ties by id)
					m.since, m.work = int64(rng.IntN(8)), rng.IntN(3)
					h.set(m, true, true)
				case 2:
					h.set(m, false, false)
				case 3:
					lim := int64(rng.IntN(8))
					got, ok := h.first(func(x *membership) bool { return x.since >= lim }, &scratch)
					var want []*membership
					for _, x := range h.items {
						if x.since >= lim {
							want = append(want, x)
						}
					}
					slices.SortFunc(want, func(a, b *membership) int {
						if h.less(a, b) {
							return -1
						}
						return 1
					})
					if ok != (len(want) > 0) || ok && got != want[0] {
						t.Fatalf("seed %d step %d: first(since >= %d) = %v %v, sorting says %v", seed, step, lim, got, ok, want)
					}
				}
				if errs := heapErrors("h", h); len(errs) > 0 {
					t.Fatalf("seed %d busy %v step %d: %v", seed, busy, step, errs)
				}
				n := 0
				for _, x := range ms {
					if h.has(x) {
						n++
					}
				}
				if n != h.Len() {
					t.Fatalf("seed %d step %d: %d filed, heap holds %d", seed, step, n, h.Len())
				}
			}
		}
	}
}
