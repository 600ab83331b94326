package media_test

import (
	"testing"

	"switchboard/media"
)

// TestMOS: the E-model for G.711 with PLC: a clean call is near the G.711
// ceiling (R 93.2 → 4.4), loss lowers it monotonically (5 % random loss
// is about 3.9, 20 % below 3), long delay lowers it, and it stays in 1..4.5.
func TestMOS(t *testing.T) {
	for _, tc := range []struct {
		name              string
		loss, jitter, rtt float64
		lo, hi            float64
	}{
		{"clean", 0, 0, -1, 4.35, 4.42},
		{"clean with 40 ms rtt", 0, 2, 40, 4.3, 4.42},
		{"1 % loss", 1, 0, -1, 4.15, 4.3},
		{"5 % loss", 5, 0, -1, 3.7, 4.0},
		{"20 % loss", 20, 0, -1, 2.2, 3.0},
		{"600 ms rtt (350 ms one way)", 0, 0, 600, 3.2, 3.6},
		{"everything lost", 100, 500, 5000, 1, 1.1},
	} {
		if got := media.MOS(tc.loss, tc.jitter, tc.rtt); got < tc.lo || got > tc.hi {
			t.Errorf("%s: MOS(%v, %v, %v) = %.3f, want %.2f..%.2f", tc.name, tc.loss, tc.jitter, tc.rtt, got, tc.lo, tc.hi)
		}
	}
	prev := 5.0
	for loss := 0.0; loss <= 30; loss++ {
		m := media.MOS(loss, 0, -1)
		if m >= prev {
			t.Fatalf("MOS not decreasing with loss at %v %%: %.3f after %.3f", loss, m, prev)
		}
		prev = m
	}
	q := media.Quality{Packets: 950, Lost: 50}
	q.Finish()
	if q.LossPercent != 5 || q.MOS < 3.7 || q.MOS > 4 {
		t.Errorf("Finish: %+v", q)
	}
}
