package media_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"switchboard/media"
	"switchboard/media/tone"
)

// TestDefaultMusic checks the bundled loop is music, not a tone: audible in
// every second, none of the party tones (nor ringback) dominating any 100 ms
// window, and a length of 20–30 s.
func TestDefaultMusic(t *testing.T) {
	m := media.DefaultMusic()
	pcm := m.PCM()
	if sec := float64(len(pcm)) / media.SampleRate; sec < 20 || sec > 30 {
		t.Errorf("default music lasts %.1f s, want 20-30 s", sec)
	}
	worst := map[float64]float64{}
	const win = 800
	for i := 0; i+win <= len(pcm); i += win {
		w := pcm[i : i+win]
		for _, f := range []float64{freqCaller1, freqCaller2, freqAgent, media.RingbackFreq} {
			worst[f] = math.Max(worst[f], tone.Ratio(w, f))
		}
	}
	for f, r := range worst {
		if r > 0.1 {
			t.Errorf("default music: worst 100 ms window has %v Hz ratio %.3f, want < 0.1", f, r)
		}
	}
	for s := 0; s+media.SampleRate <= len(pcm); s += media.SampleRate {
		if rms := tone.RMS(pcm[s : s+media.SampleRate]); rms < 3*tone.SilenceRMS {
			t.Errorf("default music second %d: RMS %.0f, want audible", s/media.SampleRate, rms)
		}
	}
	if media.DefaultMusic() != m {
		t.Error("DefaultMusic is not shared")
	}
}

func writeWAV(t *testing.T, rate, bits, chans int, seconds float64, freq float64) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int(seconds * float64(rate))
	buf := &audio.IntBuffer{Format: &audio.Format{NumChannels: chans, SampleRate: rate}, SourceBitDepth: bits, Data: make([]int, n*chans)}
	full := math.Ldexp(1, bits-1) - 1
	for i := range n {
		v := 0.25 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
		for c := range chans {
			s := int(v * full)
			if bits == 8 {
				s += 128
			}
			buf.Data[i*chans+c] = s
		}
	}
	enc := wav.NewEncoder(f, rate, bits, chans, 1)
	if err := enc.Write(buf); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadWAV(t *testing.T) {
	tests := []struct {
		name              string
		rate, bits, chans int
		freq              float64
	}{
		{"8k mono 16-bit", 8000, 16, 1, 1000},
		{"44.1k stereo 16-bit", 44100, 16, 2, 700},
		{"48k mono 24-bit", 48000, 24, 1, 1100},
		{"16k stereo 8-bit", 16000, 8, 2, 500},
		{"22.05k mono 32-bit", 22050, 32, 1, 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pcm, err := media.LoadWAV(bytes.NewReader(writeWAV(t, tt.rate, tt.bits, tt.chans, 1, tt.freq)))
			if err != nil {
				t.Fatalf("LoadWAV = %v", err)
			}
			if d := len(pcm) - media.SampleRate; d < -2 || d > 2 {
				t.Errorf("LoadWAV: %d samples, want about %d (1 s at 8 kHz)", len(pcm), media.SampleRate)
			}
			mid := pcm[1000:7000]
			if v := tone.Classify(mid, tt.freq); v != tone.VerdictTone {
				t.Errorf("Classify(%v Hz) = %v (ratio %.2f)", tt.freq, v, tone.Ratio(mid, tt.freq))
			}
			if rms, want := tone.RMS(mid), 0.25*32767/math.Sqrt2; math.Abs(rms-want) > want*0.1 {
				t.Errorf("RMS = %.0f, want about %.0f", rms, want)
			}
		})
	}
	// Above 4 kHz nothing may fold back into the telephone band.
	pcm, err := media.LoadWAV(bytes.NewReader(writeWAV(t, 48000, 16, 1, 1, 7000)))
	if err != nil {
		t.Fatal(err)
	}
	if rms := tone.RMS(pcm[500:7500]); rms > 300 {
		t.Errorf("7 kHz at 48 kHz resampled to 8 kHz: RMS %.0f, want filtered out", rms)
	}
}

func TestLoadWAVBadInput(t *testing.T) {
	good := writeWAV(t, 8000, 16, 1, 0.1, 440)
	for name, data := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("this is not a wav file at all, sorry"),
		"truncated": good[:30],
		"no data":   good[:44-8],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := media.LoadWAV(bytes.NewReader(data)); err == nil {
				t.Error("LoadWAV = nil error, want one")
			}
		})
	}
	_, err := media.LoadWAV(errReader{})
	if !errors.Is(err, errBoom) {
		t.Errorf("LoadWAV(failing reader) = %v, want %v", err, errBoom)
	}
}

// TestLoadWAVFile: a file reads as LoadWAV reads its bytes; a missing file
// is fs.ErrNotExist, a bad one an error naming the path.
func TestLoadWAVFile(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.wav"), filepath.Join(dir, "bad.wav")
	data := writeWAV(t, 16000, 16, 2, 0.5, 700)
	if err := os.WriteFile(good, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, data[:30], 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := media.LoadWAV(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := media.LoadWAVFile(good); err != nil || !slices.Equal(got, want) {
		t.Errorf("LoadWAVFile(good) = %d samples, %v; want LoadWAV's %d", len(got), err, len(want))
	}
	if _, err := media.LoadWAVFile(filepath.Join(dir, "none.wav")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadWAVFile(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := media.LoadWAVFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadWAVFile(truncated) = %v, want an error naming %s", err, bad)
	}
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

// TestEncodeWAV: what EncodeWAV writes, LoadWAV reads back sample for
// sample (8 kHz; LoadWAV rounds through float, 1 LSB), and the header
// holds the rate and sizes.
func TestEncodeWAV(t *testing.T) {
	pcm := []int16{0, 1, -1, 20000, -20000, 1234}
	b := media.EncodeWAV(media.SampleRate, pcm)
	if len(b) != 44+2*len(pcm) {
		t.Fatalf("len = %d, want %d", len(b), 44+2*len(pcm))
	}
	got, err := media.LoadWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, pcm, func(a, b int16) bool { return a-b <= 1 && b-a <= 1 }) {
		t.Errorf("LoadWAV(EncodeWAV(pcm)) = %v, want %v", got, pcm)
	}
	if h := media.WAVHeader(16000, 10); !bytes.Equal(h[24:32], []byte{0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0}) || h[40] != 10 || h[4] != 46 {
		t.Errorf("WAVHeader(16000, 10) = % x", h)
	}
}
