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
// (about 40 ms of CPU) and shared by the whole process: a 24 s loop of four
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
		for _, f := range ch.pad {
			for h, g := range [...]float64{1, 0.35, 0.12} {
				pf := f * float64(h+1)
				if !partialOK(pf) {
					continue
				}
				w := 2 * math.Pi * pf / SampleRate
				for j := range length {
					i := (start + j) % n // the last chord's tail wraps into the first: a seamless loop
					t := float64(j) / SampleRate
					env := math.Min(t/0.8, 1) * math.Min(1, math.Max(0, (float64(length-j)/SampleRate)/1.6))
					acc[i] += 0.18 * g * env * math.Sin(w*float64(j))
				}
			}
		}
		// Arpeggio: soft plucks every 375 ms with an exponential decay.
		step := per / 8
		for s := range 8 {
			f := ch.arp[(s+k/4)%len(ch.arp)]
			if !partialOK(f) {
				continue
			}
			w := 2 * math.Pi * f / SampleRate
			for j := range step * 3 {
				i := (start + s*step + j) % n
				t := float64(j) / SampleRate
				env := math.Min(t/0.01, 1) * math.Exp(-t*3)
				acc[i] += 0.22 * env * math.Sin(w*float64(j))
				if f2 := 2 * f; partialOK(f2) {
					acc[i] += 0.05 * env * math.Sin(2*w*float64(j))
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
