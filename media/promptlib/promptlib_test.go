package promptlib

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"switchboard/media"
	"switchboard/media/tone"
)

// wavTone is a WAV of secs of freq at rate with chans identical channels.
func wavTone(freq, secs float64, rate, chans int) []byte {
	n := int(float64(rate) * secs)
	pcm := make([]int16, n*chans)
	for i := range n {
		v := int16(12000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		for c := range chans {
			pcm[i*chans+c] = v
		}
	}
	b := media.EncodeWAV(media.SampleRate, pcm)
	binary.LittleEndian.PutUint16(b[22:], uint16(chans))
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*2*chans))
	binary.LittleEndian.PutUint16(b[32:], uint16(2*chans))
	return b
}

// frames reads a clip's audio.
func frames(c *media.Clip) []int16 {
	src := c.Source()
	var out []int16
	buf := make([]int16, media.FrameSamples)
	for src.ReadFrame(buf) {
		out = append(out, buf...)
	}
	return out
}

// An upload at 16 kHz stereo is resampled once to 8 kHz mono: the stored
// file is 8 kHz 16-bit mono, the clip holds the tone (Goertzel), and a
// reopened library has it; bounds and bad input are refused with reasons.
func TestLibrary(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.Put("welcome", wavTone(700, 1.5, 16000, 2))
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "welcome" || math.Abs(p.Seconds-1.5) > 0.03 {
		t.Errorf("Put = %+v, want 1.5 s", p)
	}
	stored, err := os.ReadFile(filepath.Join(dir, "welcome.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if rate, ch, bits := binary.LittleEndian.Uint32(stored[24:]), binary.LittleEndian.Uint16(stored[22:]), binary.LittleEndian.Uint16(stored[34:]); rate != 8000 || ch != 1 || bits != 16 {
		t.Errorf("stored file %d Hz %d channels %d bits, want 8000/1/16", rate, ch, bits)
	}
	check := func(l *Library, what string) {
		t.Helper()
		c := l.Clip("welcome")
		if c == nil {
			t.Fatalf("%s: no clip", what)
		}
		pcm := frames(c)
		mid := pcm[len(pcm)/2 : len(pcm)/2+media.FrameSamples]
		if tone.Classify(mid, 700) != tone.VerdictTone || tone.Classify(mid, 1400) == tone.VerdictTone {
			t.Errorf("%s: clip is not the 700 Hz tone", what)
		}
	}
	check(l, "after Put")
	l2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	check(l2, "after reopening")
	if ls := l2.List(); len(ls) != 1 || ls[0].ID != "welcome" {
		t.Errorf("List = %+v", ls)
	}
	for _, tt := range []struct {
		id  string
		wav []byte
		err error
	}{
		{"Bad Id", wavTone(700, 1, 8000, 1), ErrInvalid},
		{"../x", wavTone(700, 1, 8000, 1), ErrInvalid},
		{"x", []byte("not a wav"), ErrInvalid},
		{"x", wavTone(700, 0.1, 8000, 1), ErrInvalid},
		{"x", wavTone(700, 121, 8000, 1), ErrInvalid},
	} {
		if _, err := l.Put(tt.id, tt.wav); !errors.Is(err, tt.err) {
			t.Errorf("Put(%q, %d bytes) = %v, want %v", tt.id, len(tt.wav), err, tt.err)
		}
	}
	// 30 min in all: 14 more of 2 min fit (29.5 min), the 15th does not;
	// replacing one of them still fits.
	two := wavTone(440, 120, 8000, 1)
	for i := range 15 {
		_, err := l.Put(string(rune('a'+i)), two)
		if i < 14 && err != nil {
			t.Fatalf("prompt %d: %v", i, err)
		}
		if i == 14 && !errors.Is(err, ErrFull) {
			t.Errorf("15th 2-min prompt = %v, want ErrFull", err)
		}
	}
	if _, err := l.Put("a", two); err != nil {
		t.Errorf("replacing a prompt when full = %v", err)
	}
	if err := l.Delete("welcome"); err != nil {
		t.Fatal(err)
	}
	if l.Has("welcome") {
		t.Error("deleted prompt still there")
	}
	if _, err := os.Stat(filepath.Join(dir, "welcome.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file after Delete: %v", err)
	}
	if err := l.Delete("welcome"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete = %v", err)
	}
}
