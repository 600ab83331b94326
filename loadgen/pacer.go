package loadgen

import (
	"math/rand/v2"
	"sync"
	"time"

	"switchboard/loadgen/udpmux"
	"switchboard/media"
	"switchboard/media/udploop"
)

// slotsPerFrame is the number of 1 ms send slots in a 20 ms frame
// interval: the resolution of the loops' clock.
const slotsPerFrame = int64(media.FrameDuration / udploop.Tick)

// stallSlots: a wheel more than this many slots (100 ms) behind its clock
// (a stalled loop) resumes at the current slot instead of sending every
// frame it missed in one burst.
const stallSlots = 5 * slotsPerFrame

// pacer sends a frame from every registered source every 20 ms, on the
// generator's media loops' 1 ms clock: one wheel per loop (a
// udploop.Ticker), each source on the wheel of the loop its address is on,
// in one of 20 slots of 1 ms. The shapes differ only in the slot:
//
//   - ShapePaced: slot 0 for every source (all frames back to back at the
//     top of each 20 ms), or with phases > 1 slot (phase mod phases) ×
//     20/phases ms, so that sources are not all phase-locked to a
//     receiver's own 20 ms clock (the gateway's mixer);
//   - ShapeIndependent: a random slot per source, so each party sends on
//     its own phase spread over the period, from its own address, as real
//     carriers and browsers do (shape.go).
//
// Frames are counted from the pacer's epoch (tick = ms since it / 20),
// so probe offsets mean the same on every shape and loop. A late tick
// sends every frame that is due (no drift).
type pacer struct {
	codec       media.Codec
	phases      int  // 0 or 1: every source in the same slot
	independent bool // a random slot per source

	epoch   time.Time
	wheels  []*wheel
	removes []func()
}

// wheel is one loop's sources by send slot.
type wheel struct {
	p     *pacer
	mux   *udpmux.Mux // the loop's: what its sources queued leaves at the end of Tick
	mu    sync.Mutex  // guards following and the sources' slot, idx
	slots [slotsPerFrame][]*source
	done  int64 // the last slot sent, in ms since the epoch
}

// start puts one wheel on each loop's clock.
func (p *pacer) start(loops []mediaLoop) {
	p.epoch = time.Now()
	for _, l := range loops {
		w := &wheel{p: p, mux: l.mux}
		p.wheels = append(p.wheels, w)
		p.removes = append(p.removes, l.loop.AddTicker(w))
	}
}

// stop takes the wheels off the clocks (sources still on them are not
// sent any more).
func (p *pacer) stop() {
	for _, rm := range p.removes {
		rm()
	}
	p.removes = nil
}

// slotFor is s's send slot on this pacer's shape.
func (p *pacer) slotFor(s *source) int {
	switch {
	case p.independent:
		return rand.IntN(int(slotsPerFrame))
	case p.phases > 1:
		return s.phase % p.phases * int(slotsPerFrame) / p.phases
	}
	return 0
}

// add starts sending s's frames (on the wheel of s.loop). Adding a source
// twice does nothing.
func (p *pacer) add(s *source) {
	w := p.wheels[s.loop%len(p.wheels)]
	tone, probe := encodedTone(p.codec, s.freq), encodedTone(p.codec, probeFreq)
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.wheel != nil {
		return
	}
	s.toneFrame, s.probeFrame = tone, probe
	s.wheel, s.slot = w, p.slotFor(s)
	s.idx = len(w.slots[s.slot])
	w.slots[s.slot] = append(w.slots[s.slot], s)
}

// remove stops s's frames: none is written after it returns. Not from a
// write of the pacer's own (a source's write func).
func (p *pacer) remove(s *source) {
	for _, w := range p.wheels {
		w.mu.Lock()
		if s.wheel == w {
			list := w.slots[s.slot]
			last := list[len(list)-1]
			list[s.idx], last.idx = last, s.idx
			list[len(list)-1] = nil
			w.slots[s.slot] = list[:len(list)-1]
			s.wheel = nil
		}
		w.mu.Unlock()
	}
}

// Tick sends the frames of every slot due since the last tick (the loop's
// goroutine). The clock keeps running while the pacer is on it.
func (w *wheel) Tick() bool {
	now := int64(time.Since(w.p.epoch) / udploop.Tick)
	w.mu.Lock()
	defer w.mu.Unlock()
	if now-w.done > stallSlots {
		w.done = now - 1 // stalled: resume, do not burst
	}
	for w.done < now {
		w.done++
		tick := int(w.done / slotsPerFrame)
		for _, s := range w.slots[w.done%slotsPerFrame] {
			s.frame(tick)
		}
	}
	if w.mux != nil {
		w.mux.Flush() // this tick's frames, in as few sendmmsg as fit
	}
	return true
}

// Stop and Start: the wheel's Tick keeps the clock running, so it never
// stops while the pacer is on it.
func (w *wheel) Stop()  {}
func (w *wheel) Start() {}
