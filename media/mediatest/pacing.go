package mediatest

import (
	"time"

	"switchboard/media"
)

// MaxBurst bounds the frames a Pacing lets a sender send at once.
const MaxBurst = 25 // 500 ms

// Pacing is a test sender's 20 ms frame clock on the wall clock, kept as a
// phone's sound card keeps it. A sender ticks (a time.Ticker drops ticks
// when its goroutine stalls, as on a loaded CI machine) and asks Due how
// many frames fell due since the last call: it sends those at once, up to
// MaxBurst, and advances its RTP clock over the ones skipped beyond that.
// Without it a stalled sender sent fewer frames than its tone lasted.
type Pacing struct{ next time.Time }

// NewPacing starts the clock at now: the first frame is due 20 ms later.
func NewPacing(now time.Time) *Pacing { return &Pacing{next: now.Add(media.FrameDuration)} }

// Due returns the frames to send now (at most MaxBurst) and the frames
// skipped because they were more than MaxBurst late.
func (p *Pacing) Due(now time.Time) (send, skip int) {
	for ; !p.next.After(now) && send < MaxBurst; send++ {
		p.next = p.next.Add(media.FrameDuration)
	}
	if behind := now.Sub(p.next); behind >= 0 {
		skip = int(behind/media.FrameDuration) + 1
		p.next = p.next.Add(time.Duration(skip) * media.FrameDuration)
	}
	return send, skip
}
