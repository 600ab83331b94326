package loadgen

import (
	"math/rand/v2"
	"time"

	"switchboard/media"
)

// Load shapes: how the parties' 20 ms frames are timed.
const (
	// ShapePaced (the default): one pacer goroutine writes every
	// party's frame back to back on one 20 ms ticker, so the target
	// receives all its packets in one burst per 20 ms.
	ShapePaced = "paced"
	// ShapeIndependent: every party sends from its own goroutine on its
	// own 20 ms timer, started at a random phase over the period, each
	// from its own socket, as real carriers and browsers do: the target's
	// packets arrive spread over the period.
	ShapeIndependent = "independent"
)

// sendLoop is one source's own sender (ShapeIndependent).
type sendLoop struct {
	stop   chan struct{}
	exited chan struct{}
}

// addLoop starts s's sender. The first frame goes out at a random phase
// within the next 20 ms; then one every 20 ms on the sender's own
// deadline (a late wake-up sends the frames that are due, without
// drifting). Ticks are counted from the pacer's epoch so probe offsets
// keep their meaning.
func (p *pacer) addLoop(s *source) {
	l := &sendLoop{stop: make(chan struct{}), exited: make(chan struct{})}
	p.mu.Lock()
	if p.loops == nil {
		p.loops = map[*source]*sendLoop{}
		p.epoch = time.Now()
	}
	if _, dup := p.loops[s]; dup {
		p.mu.Unlock()
		return
	}
	p.loops[s] = l
	epoch := p.epoch
	p.mu.Unlock()
	go func() {
		defer close(l.exited)
		p.send(s, epoch, l.stop)
	}()
}

// removeLoop stops s's sender and waits for it: no frame of s is written
// after it returns.
func (p *pacer) removeLoop(s *source) {
	p.mu.Lock()
	l := p.loops[s]
	delete(p.loops, s)
	p.mu.Unlock()
	if l != nil {
		close(l.stop)
		<-l.exited
	}
}

// stopLoops stops every sender still running.
func (p *pacer) stopLoops() {
	p.mu.Lock()
	var all []*source
	for s := range p.loops {
		all = append(all, s)
	}
	p.mu.Unlock()
	for _, s := range all {
		p.removeLoop(s)
	}
}

func (p *pacer) send(s *source, epoch time.Time, stop <-chan struct{}) {
	var (
		pcm [media.FrameSamples]int16
		enc [media.FrameSamples]byte
	)
	next := time.Now().Add(rand.N(media.FrameDuration))
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		}
		now := time.Now()
		if now.Sub(next) > 5*media.FrameDuration {
			next = now // stalled for 100 ms or more: resume, do not burst
		}
		for !next.After(now) {
			s.frame(int(next.Sub(epoch)/media.FrameDuration), p.codec, pcm[:], enc[:])
			next = next.Add(media.FrameDuration)
		}
		t.Reset(time.Until(next))
	}
}
