package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/go-audio/wav"
)

// maxWAVBytes bounds what LoadWAV reads (about 6 minutes of 44.1 kHz stereo).
const maxWAVBytes = 64 << 20

// LoadWAV reads a RIFF/WAVE file of integer PCM (8, 16, 24 or 32 bits, any
// sample rate, any number of channels) and returns it as 8 kHz mono 16-bit
// PCM: channels are averaged and the rate converted with a windowed-sinc
// low-pass resampler. It is meant for start-up (the -moh flag), not the hot
// path. A bad file gets an error saying why, never a panic.
func LoadWAV(r io.Reader) ([]int16, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxWAVBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read wav: %w", err)
	}
	if len(data) > maxWAVBytes {
		return nil, fmt.Errorf("read wav: %w: larger than %d bytes", errBadWAV, maxWAVBytes)
	}
	d := wav.NewDecoder(bytes.NewReader(data))
	if !d.IsValidFile() {
		return nil, fmt.Errorf("read wav: %w: not a RIFF/WAVE file", errBadWAV)
	}
	if d.WavAudioFormat != 1 {
		return nil, fmt.Errorf("read wav: %w: audio format %d, want 1 (integer PCM)", errBadWAV, d.WavAudioFormat)
	}
	bits, chans, rate := int(d.BitDepth), int(d.NumChans), int(d.SampleRate)
	switch {
	case bits != 8 && bits != 16 && bits != 24 && bits != 32:
		return nil, fmt.Errorf("read wav: %w: %d bits per sample", errBadWAV, bits)
	case chans < 1 || chans > 16:
		return nil, fmt.Errorf("read wav: %w: %d channels", errBadWAV, chans)
	case rate < 4000 || rate > 384000:
		return nil, fmt.Errorf("read wav: %w: sample rate %d Hz", errBadWAV, rate)
	}
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return nil, fmt.Errorf("read wav: %w: %w", errBadWAV, err)
	}
	frames := len(buf.Data) / chans
	if frames == 0 {
		return nil, fmt.Errorf("read wav: %w: no samples", errBadWAV)
	}
	mono := make([]float64, frames)
	full := math.Ldexp(1, bits-1) // full scale of the source
	for i := range frames {
		var s float64
		for c := range chans {
			v := float64(buf.Data[i*chans+c])
			if bits == 8 {
				v -= 128 // 8-bit WAV is unsigned
			}
			s += v
		}
		mono[i] = s / float64(chans) / full * 32767
	}
	out := resample(mono, rate, SampleRate)
	pcm := make([]int16, len(out))
	for i, v := range out {
		pcm[i] = clamp16(int32(math.Round(v)))
	}
	return pcm, nil
}

var errBadWAV = errors.New("unsupported or malformed wav")

// LoadWAVFile is LoadWAV of the file at path. Its errors name the path; a
// file that cannot be opened gives os.Open's error (errors.Is
// fs.ErrNotExist holds for a missing one).
func LoadWAVFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close() // read only: Close has nothing to report
	pcm, err := LoadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pcm, nil
}

// resample converts in (at rate from) to rate to with a Hann-windowed sinc
// whose cutoff is 0.9 of the lower Nyquist frequency.
func resample(in []float64, from, to int) []float64 {
	if from == to {
		return in
	}
	ratio := float64(from) / float64(to)
	cutoff := 0.9 * math.Min(1, 1/ratio) // relative to the input Nyquist
	const halfTaps = 16
	width := float64(halfTaps) / cutoff // input samples each side
	n := int(float64(len(in)) / ratio)
	out := make([]float64, n)
	for i := range out {
		center := float64(i) * ratio
		lo := int(math.Ceil(center - width))
		hi := int(math.Floor(center + width))
		var acc, wsum float64
		for j := max(lo, 0); j <= hi && j < len(in); j++ {
			x := float64(j) - center
			w := 0.5 + 0.5*math.Cos(math.Pi*x/width) // Hann
			k := cutoff * sinc(cutoff*x) * w
			acc += in[j] * k
			wsum += k
		}
		if wsum != 0 {
			out[i] = acc / wsum
		}
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// clamp16 saturates a 32-bit sample to int16.
func clamp16(v int32) int16 {
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// WAVHeader is the 44-byte RIFF/WAVE header of dataBytes of mono 16-bit
// integer PCM at rate Hz.
func WAVHeader(rate int, dataBytes uint32) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // integer PCM
	binary.LittleEndian.PutUint16(h[22:], 1) // mono
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	return h
}

// EncodeWAV is pcm, mono 16-bit at rate Hz, as a RIFF/WAVE file.
func EncodeWAV(rate int, pcm []int16) []byte {
	b := append(WAVHeader(rate, uint32(2*len(pcm))), make([]byte, 2*len(pcm))...)
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}
