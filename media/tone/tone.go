package tone

import "math"

// Sine generates a continuous sine wave, keeping phase across calls to Fill.
type Sine struct {
	Freq      float64 // Hz
	Amplitude float64 // peak, in 16-bit sample units; 0 means 8000
	Rate      float64 // samples per second; 0 means 8000
	phase     float64 // radians, in [0, 2π)
}

// Fill writes len(dst) samples of the tone into dst.
func (s *Sine) Fill(dst []int16) {
	amp, rate := s.Amplitude, s.Rate
	if amp == 0 {
		amp = 8000
	}
	if rate == 0 {
		rate = 8000
	}
	step := 2 * math.Pi * s.Freq / rate
	for i := range dst {
		dst[i] = int16(amp * math.Sin(s.phase))
		s.phase += step
		if s.phase >= 2*math.Pi {
			s.phase -= 2 * math.Pi
		}
	}
}

// Energy returns the mean square of samples (0 for none).
func Energy(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var e float64
	for _, v := range samples {
		f := float64(v)
		e += f * f
	}
	return e / float64(len(samples))
}

// RMS returns the root mean square of samples, in 16-bit sample units.
func RMS(samples []int16) float64 { return math.Sqrt(Energy(samples)) }

// Goertzel returns the power of freq in samples at the given sample rate,
// scaled so that a pure sine of amplitude A at freq yields about A²/2, the
// same scale as Energy.
func Goertzel(samples []int16, freq, rate float64) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/rate)
	var s1, s2 float64
	for _, v := range samples {
		s0 := float64(v) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * p / float64(n*n)
}

// Ratio returns the share (0..1) of the energy of samples (at 8 kHz) that
// lies at freq. A clean tone gives close to 1, silence and other sounds close
// to 0. Use windows of at least 160 samples (20 ms): shorter windows cannot
// tell tones 400 Hz apart.
func Ratio(samples []int16, freq float64) float64 {
	e := Energy(samples)
	if e == 0 {
		return 0
	}
	r := Goertzel(samples, freq, 8000) / e
	if r > 1 {
		r = 1
	}
	return r
}

// Verdict classifies a window of audio.
type Verdict uint8

// Verdicts. The zero value is VerdictUnknown.
const (
	VerdictUnknown Verdict = iota
	VerdictSilence         // RMS below SilenceRMS
	VerdictTone            // the asked-for frequency dominates
	VerdictOther           // audible, but not the asked-for tone (music, voice, another tone)
)

// SilenceRMS is the RMS (16-bit units) below which a window counts as
// silence. G.711 idle codes and comfort noise stay well below it.
const SilenceRMS = 100

// String names the verdict.
func (v Verdict) String() string {
	switch v {
	case VerdictSilence:
		return "silence"
	case VerdictTone:
		return "tone"
	case VerdictOther:
		return "other"
	}
	return "unknown"
}

// Classify says whether samples (8 kHz) are silence, dominated by freq
// (Ratio ≥ 0.5), or something else audible.
func Classify(samples []int16, freq float64) Verdict {
	if RMS(samples) < SilenceRMS {
		return VerdictSilence
	}
	if Ratio(samples, freq) >= 0.5 {
		return VerdictTone
	}
	return VerdictOther
}
