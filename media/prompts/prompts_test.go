package prompts

import (
	"testing"

	"switchboard/media"
	"switchboard/media/tone"
)

func TestLoad(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*media.Clip{"extension": s.Extension, "invalid": s.Invalid, "unavailable": s.Unavailable, "goodbye": s.Goodbye, "voicemail": s.Voicemail} {
		if c == nil || c.Frames() < 25 {
			t.Fatalf("%s: clip missing or shorter than 0.5 s", name)
		}
		src := c.Source()
		buf := make([]int16, media.FrameSamples)
		loud := 0
		for src.ReadFrame(buf) {
			if tone.RMS(buf) > tone.SilenceRMS {
				loud++
			}
		}
		if loud < 10 {
			t.Errorf("%s: only %d audible frames", name, loud)
		}
	}
}

// The voicemail beep is BeepDuration of BeepHz (Goertzel).
func TestBeep(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Beep.Frames() * int(media.FrameDuration); got != int(BeepDuration) {
		t.Errorf("beep %v long, want %v", got, BeepDuration)
	}
	src := s.Beep.Source()
	pcm := make([]int16, 0, s.Beep.Frames()*media.FrameSamples)
	buf := make([]int16, media.FrameSamples)
	for src.ReadFrame(buf) {
		pcm = append(pcm, buf...)
	}
	if v := tone.Classify(pcm, BeepHz); v != tone.VerdictTone {
		t.Errorf("beep is %v, want a %d Hz tone", v, BeepHz)
	}
}
