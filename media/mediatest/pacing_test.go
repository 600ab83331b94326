package mediatest

import (
	"testing"
	"time"
)

// TestPacing: on time one frame per tick, after a stall the frames that
// fell due at once (at most MaxBurst), and the rest skipped; send plus skip
// always equals the frames the wall clock has run.
func TestPacing(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	for _, tc := range []struct {
		name       string
		at         []int // ms after the start, one Due call each
		send, skip []int
	}{
		{"early", []int{10}, []int{0}, []int{0}},
		{"on time", []int{20, 40, 60}, []int{1, 1, 1}, []int{0, 0, 0}},
		{"a 100 ms stall", []int{20, 120, 140}, []int{1, 5, 1}, []int{0, 0, 0}},
		{"just under a burst", []int{499}, []int{24}, []int{0}},
		{"a burst", []int{500}, []int{25}, []int{0}},
		{"a 2 s stall", []int{20, 2020, 2040}, []int{1, 25, 1}, []int{0, 75, 0}},
		{"late within a frame", []int{45, 60}, []int{2, 1}, []int{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPacing(t0)
			total := 0
			for i, at := range tc.at {
				send, skip := p.Due(ms(at))
				if send != tc.send[i] || skip != tc.skip[i] {
					t.Errorf("Due(+%d ms) = %d, %d; want %d, %d", at, send, skip, tc.send[i], tc.skip[i])
				}
				total += send + skip
			}
			if last := tc.at[len(tc.at)-1]; total != last/20 {
				t.Errorf("%d frames sent or skipped by +%d ms, want %d", total, last, last/20)
			}
		})
	}
}
