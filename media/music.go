package media

import (
	"math"
	"sync"
)

// Music is music on hold: 8 kHz PCM encoded once per codec when it is made,
// then shared by every listener (each Source reads the same encoded bytes at
// its own offset; nothing is encoded per listener).
type Music struct{ l *loop }

// NewMusic prepares 8 kHz mono PCM (for example from LoadWAV) as music on
// hold. pcm must not be modified afterwards.
func NewMusic(pcm []int16) *Music { return &Music{l: newLoop(pcm)} }

// Source returns a new endless Source that loops the music from its start.
func (m *Music) Source() Source { return &cursor{l: m.l} }

// Frames returns the loop's length in 20 ms frames.
func (m *Music) Frames() int { return m.l.frames() }

// PCM returns the music's samples (shared; do not modify).
func (m *Music) PCM() []int16 { return m.l.pcm }

// DefaultMusic returns the bundled music on hold, synthesized on first use
// (about 15 ms of CPU) and shared by the whole process: a 24 s loop of four
// soft seventh chords (Cmaj7, Am7, Fmaj7, G7) with slow swells and a gentle
// arpeggio. It is built only from partials at least 90 Hz away from 700, 1100
// and 1500 Hz, the tones tests use to identify parties, so tone.Ratio at
// those frequencies stays near zero on it.
func DefaultMusic() *Music { return defaultMusic() }

var defaultMusic = sync.OnceValue(func() *Music { return NewMusic(synthMusic()) })

// avoidFreqs are kept out of the default music (party tones in tests).
var avoidFreqs = [...]float64{700, 1100, 1500}

func partialOK(f float64) bool {
	if f >= 3600 {
		return false
	}
	for _, a := range avoidFreqs {
		if math.Abs(f-a) < 90 {
			return false
		}
	}
	return true
}

// synthMusic touches only memory it made itself, before anything else can
// see it, so it is built without race instrumentation (go:norace): under
// -race every gateway start paid about a second of CPU for it, and more on
// a loaded CI machine.
//
//go:norace
func synthMusic() []int16 {
	const (
		chordSec = 3.0
		nChords  = 8
	)
	// Voicings (Hz): pad notes, then the arpeggio notes for each chord.
	chords := [4]struct{ pad, arp []float64 }{
		{[]float64{130.81, 261.63, 329.63, 392.00, 493.88}, []float64{523.25, 392.00, 493.88, 329.63}}, // Cmaj7
		{[]float64{110.00, 220.00, 261.63, 329.63, 392.00}, []float64{440.00, 329.63, 523.25, 392.00}}, // Am7
		{[]float64{87.31, 174.61, 261.63, 329.63, 440.00}, []float64{349.23, 523.25, 440.00, 261.63}},  // Fmaj7
		{[]float64{98.00, 196.00, 246.94, 293.66, 349.23}, []float64{392.00, 293.66, 493.88, 246.94}},  // G7
	}
	n := int(chordSec * nChords * SampleRate)
	acc := make([]float64, n)
	per := int(chordSec * SampleRate)
	// Pads: each chord swells in over 0.8 s and rings out 1 s into the next.
	for k := range nChords {
		ch := chords[k%4]
		start := k * per
		length := per + SampleRate
		var pad bank // every partial of the chord, summed in one pass
		for _, f := range ch.pad {
			for h, g := range [...]float64{1, 0.35, 0.12} {
				if pf := f * float64(h+1); partialOK(pf) {
					pad.add(pf, g)
				}
			}
		}
		for j := range length {
			i := (start + j) % n // the last chord's tail wraps into the first: a seamless loop
			t := float64(j) / SampleRate
			env := min(t/0.8, 1) * min(1, max(0, (float64(length-j)/SampleRate)/1.6))
			acc[i] += 0.18 * env * pad.next()
		}
		// Arpeggio: soft plucks every 375 ms with an exponential decay.
		step := per / 8
		for s := range 8 {
			f := ch.arp[(s+k/4)%len(ch.arp)]
			if !partialOK(f) {
				continue
			}
			osc, osc2 := newOscillator(f), newOscillator(2*f)
			second := partialOK(2 * f)
			decay, fall := 1.0, math.Exp(-3.0/SampleRate) // exp(-3t), one factor per sample
			for j := range step * 3 {
				i := (start + s*step + j) % n
				t := float64(j) / SampleRate
				env := min(t/0.01, 1) * decay
				decay *= fall
				acc[i] += 0.22 * env * osc.next()
				if h := osc2.next(); second {
					acc[i] += 0.05 * env * h
				}
			}
		}
	}
	peak := 0.0
	for _, v := range acc {
		peak = math.Max(peak, math.Abs(v))
	}
	pcm := make([]int16, n)
	scale := 9000 / peak // comfortable level, well under full scale
	for i, v := range acc {
		pcm[i] = int16(v * scale)
	}
	return pcm
}

// oscillator yields sin(2π·f·j/SampleRate) for j = 0, 1, 2, ... by rotating
// a unit phasor one step per sample: two multiplications and no math.Sin,
// which dominated the synthesis (under -race, checkptr made DefaultMusic
// cost about a second of CPU at every gateway start). Over the longest run
// here (32,000 samples) the float64 rotation drifts by well under 1e-9.
type oscillator struct{ re, im, cr, ci float64 }

func newOscillator(f float64) oscillator {
	w := 2 * math.Pi * f / SampleRate
	return oscillator{re: 1, cr: math.Cos(w), ci: math.Sin(w)}
}

// bank sums up to 16 oscillators, each with its gain.
type bank struct {
	osc  [16]oscillator
	gain [16]float64
	n    int
}

func (b *bank) add(f, gain float64) {
	b.osc[b.n], b.gain[b.n] = newOscillator(f), gain
	b.n++
}

func (b *bank) next() float64 {
	v := 0.0
	for k := range b.osc[:b.n] {
		v += b.gain[k] * b.osc[k].next()
	}
	return v
}

func (o *oscillator) next() float64 {
	v := o.im
	o.re, o.im = o.re*o.cr-o.im*o.ci, o.re*o.ci+o.im*o.cr
	return v
}
