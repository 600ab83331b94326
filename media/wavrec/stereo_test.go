package wavrec_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/media/wavrec"
)

func frame(c media.Codec, s *tone.Sine) []byte {
	pcm := make([]int16, media.FrameSamples)
	if s != nil {
		s.Fill(pcm)
	}
	return media.Encode(c, make([]byte, media.FrameSamples), pcm)
}

// Two channels, in either law, as format 7/6 with the exact length;
// a short frame is padded with silence; frames after Close are ignored.
func TestStereoChannels(t *testing.T) {
	for _, c := range []media.Codec{media.PCMU, media.PCMA} {
		path := filepath.Join(t.TempDir(), "r.wav")
		s := wavrec.CreateStereo(path, c, wavrec.StereoConfig{})
		if s.Codec() != c {
			t.Fatalf("Codec = %v, want %v", s.Codec(), c)
		}
		a, b := &tone.Sine{Freq: 700}, &tone.Sine{Freq: 1500}
		for i := range 100 { // 2 s: caller throughout, agent in the second second
			var ag []byte
			if i >= 50 {
				ag = frame(c, b)
			}
			s.RecordFrame(frame(c, a), ag)
			if i%20 == 0 {
				time.Sleep(time.Millisecond) // a pace, not a wait: the test is about content
			}
		}
		if s.Seconds() != 2 {
			t.Errorf("Seconds = %v, want 2", s.Seconds())
		}
		d, err := s.Close()
		if err != nil || d != 2*time.Second {
			t.Fatalf("%v: Close = %v, %v, want 2s", c, d, err)
		}
		s.RecordFrame(frame(c, a), nil)
		if d2, err := s.Close(); d2 != d || err != nil {
			t.Errorf("second Close = %v, %v", d2, err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		wantTag := byte(7)
		if c == media.PCMA {
			wantTag = 6
		}
		if len(raw) != 58+2*2*media.SampleRate || raw[20] != wantTag || raw[22] != 2 {
			t.Errorf("%v: %d bytes, format %d, %d channels; want %d bytes, format %d, 2", c, len(raw), raw[20], raw[22], 58+4*media.SampleRate, wantTag)
		}
		ch1, ch2, err := wavrec.LoadStereo(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(ch1) != 2*media.SampleRate || len(ch2) != len(ch1) {
			t.Fatalf("%v: %d/%d samples, want %d", c, len(ch1), len(ch2), 2*media.SampleRate)
		}
		half := media.SampleRate
		if v := tone.Classify(ch1, 700); v != tone.VerdictTone {
			t.Errorf("%v: channel 1 %v, want the caller's tone", c, v)
		}
		if v := tone.Classify(ch2[:half], 1500); v != tone.VerdictSilence {
			t.Errorf("%v: channel 2 first second %v, want silence", c, v)
		}
		if v := tone.Classify(ch2[half:], 1500); v != tone.VerdictTone {
			t.Errorf("%v: channel 2 second second %v, want the agent's tone", c, v)
		}
		if s.Dropped() != 0 {
			t.Errorf("%d frames dropped", s.Dropped())
		}
	}
}

// A full queue drops and counts, never blocks; Max stops taking frames; a
// file that cannot be created is reported by Close, and RecordFrame still
// never blocks.
func TestStereoBounds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.wav")
	fr := frame(media.PCMU, &tone.Sine{Freq: 700})
	s := wavrec.CreateStereo(path, media.PCMU, wavrec.StereoConfig{Slots: 2})
	for range 200 {
		s.RecordFrame(fr, fr)
	}
	d, err := s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := int(d/media.FrameDuration) + int(s.Dropped()); got != 200 || s.Dropped() == 0 {
		t.Errorf("2 slots, 200 frames at once: recorded %v + dropped %d, want some dropped and 200 in all", d, s.Dropped())
	}
	m := wavrec.CreateStereo(path+".max", media.PCMU, wavrec.StereoConfig{Max: time.Second})
	for range 200 { // fewer than the 250 slots: nothing is dropped
		m.RecordFrame(fr, fr)
	}
	if d, err := m.Close(); err != nil || d != time.Second || m.Dropped() != 0 {
		t.Errorf("Max 1s: Close = %v, %v (dropped %d), want 1s", d, err, m.Dropped())
	}
	bad := wavrec.CreateStereo(filepath.Join(t.TempDir(), "missing", "r.wav"), media.PCMU, wavrec.StereoConfig{Slots: 2})
	for range 10 {
		bad.RecordFrame(fr, fr)
	}
	if _, err := bad.Close(); err == nil {
		t.Error("Close of a recording in a missing directory: nil error")
	}
	if err := os.WriteFile(path+".x", []byte("RIFF....WAVE"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path + ".x")
	defer f.Close()
	if _, _, err := wavrec.LoadStereo(f); err == nil {
		t.Error("LoadStereo of a file without fmt/data: nil error")
	}
}

// BenchmarkStereoRecordFrame is the whole cost of recording one call for
// 20 ms: the pacer's copy into the queue plus the writer goroutine's
// interleave and write (the loop waits for a free slot instead of
// dropping, so the writer's work is counted).
func BenchmarkStereoRecordFrame(b *testing.B) {
	const slots = 64
	s := wavrec.CreateStereo(filepath.Join(b.TempDir(), "r.wav"), media.PCMU, wavrec.StereoConfig{Max: 1000 * time.Hour, Slots: slots})
	fr := frame(media.PCMU, &tone.Sine{Freq: 700})
	b.ReportAllocs()
	for b.Loop() {
		for s.Queued() >= slots-1 {
			runtime.Gosched()
		}
		s.RecordFrame(fr, fr)
	}
	if _, err := s.Close(); err != nil {
		b.Fatal(err)
	}
	if s.Dropped() != 0 {
		b.Fatalf("%d frames dropped", s.Dropped())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "us/frame")
}
