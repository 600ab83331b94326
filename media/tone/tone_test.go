package tone

import "testing"

func TestClassify(t *testing.T) {
	mk := func(freqs ...float64) []int16 {
		out := make([]int16, 800)
		for _, f := range freqs {
			s := Sine{Freq: f, Amplitude: 6000}
			buf := make([]int16, len(out))
			s.Fill(buf)
			for i := range out {
				out[i] += buf[i]
			}
		}
		return out
	}
	tests := []struct {
		name    string
		samples []int16
		freq    float64
		want    Verdict
	}{
		{"silence", make([]int16, 800), 1000, VerdictSilence},
		{"the tone", mk(1000), 1000, VerdictTone},
		{"another tone", mk(700), 1100, VerdictOther},
		{"two tones, asked one of them", mk(700, 1500), 700, VerdictOther},
		{"near frequency 400 Hz apart", mk(1100), 1500, VerdictOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.samples, tt.freq); got != tt.want {
				t.Errorf("Classify(%s, %v) = %v (ratio %.2f), want %v", tt.name, tt.freq, got, Ratio(tt.samples, tt.freq), tt.want)
			}
		})
	}
	if r := Ratio(mk(700, 1500), 700); r < 0.3 || r > 0.7 {
		t.Errorf("Ratio of one of two equal tones = %.2f, want about 0.5", r)
	}
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[Verdict]string{VerdictUnknown: "unknown", VerdictSilence: "silence", VerdictTone: "tone", VerdictOther: "other"} {
		if got := v.String(); got != want {
			t.Errorf("Verdict(%d).String() = %q, want %q", v, got, want)
		}
	}
}

func BenchmarkRatio(b *testing.B) {
	s := Sine{Freq: 1000}
	buf := make([]int16, 160)
	s.Fill(buf)
	b.ReportAllocs()
	for b.Loop() {
		Ratio(buf, 1000)
	}
}
