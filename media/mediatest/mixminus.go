package mediatest

import "testing"

// Party is one party of a conference as a test heard it: who, what it
// received (PCM), and the tone it sends (Freq).
type Party struct {
	Who  string
	PCM  []int16
	Freq float64
}

// Check is a test package's audio assertion: it fails t unless what who
// received (pcm) holds, or lacks, every tone of freqs by that package's
// thresholds.
type Check func(t testing.TB, who string, pcm []int16, freqs ...float64)

// MixMinus checks what each party of a conference hears: every other
// party's tone (hears) and not its own (absent).
func MixMinus(t testing.TB, hears, absent Check, parties ...Party) {
	t.Helper()
	for _, p := range parties {
		var others []float64
		for _, q := range parties {
			if q.Who != p.Who {
				others = append(others, q.Freq)
			}
		}
		hears(t, p.Who, p.PCM, others...)
		absent(t, p.Who, p.PCM, p.Freq)
	}
}
