package wavrec

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
)

// Stereo records a call (PROTOCOL §12) as a 2-channel 8 kHz WAV in the
// call's own G.711 law, as it arrives: WAVE format 7 (µ-law) or 6 (A-law),
// one byte per sample per channel, channel 1 the caller and channel 2 the
// agent. It is a media.FrameRecorder: the media switch hands it one frame
// of each channel every 20 ms on the pacer, RecordFrame copies both into a
// preallocated slot of a bounded queue and returns (a full queue drops the
// frame and counts it; it never blocks). A writer goroutine, owned by the
// Stereo, creates the file, interleaves and writes; so neither creating
// the file nor writing touches the caller's goroutine. Close drains the
// queue, patches the header's sizes, syncs, closes and waits.
type Stereo struct {
	path   string
	codec  media.Codec
	queue  chan *stereoSlot // buffer Slots: frames for the writer; never full when a free slot was taken
	free   chan *stereoSlot // buffer Slots: reusable slots
	maxFrm int64

	mu     sync.Mutex // guards closed and queue sends against Close
	closed bool
	wg     sync.WaitGroup
	err    error // the writer's first error; read after wg.Wait

	frames  atomic.Int64 // frames accepted
	dropped atomic.Uint64
}

// StereoConfig configures a Stereo.
type StereoConfig struct {
	// Max is the longest recording; later frames are ignored. 0 means 4 h.
	Max time.Duration
	// Slots is how many 20 ms frames the queue holds; 0 means 250 (5 s,
	// for a slow disk).
	Slots int
}

type stereoSlot struct {
	caller, agent [media.FrameSamples]byte
}

// stereoHeaderLen is RIFF (12) + fmt with cbSize (8+18) + fact (8+4) +
// data (8).
const stereoHeaderLen = 58

// formatTag is the WAVE format code of a G.711 law (RFC 2361).
func formatTag(c media.Codec) uint16 {
	if c == media.PCMA {
		return 6
	}
	return 7
}

func stereoHeader(c media.Codec, frames int64) []byte {
	samples := uint32(frames * media.FrameSamples) // per channel
	data := 2 * samples
	h := make([]byte, stereoHeaderLen)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], stereoHeaderLen-8+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 18)
	binary.LittleEndian.PutUint16(h[20:], formatTag(c))
	binary.LittleEndian.PutUint16(h[22:], 2) // channels
	binary.LittleEndian.PutUint32(h[24:], media.SampleRate)
	binary.LittleEndian.PutUint32(h[28:], 2*media.SampleRate) // bytes per second
	binary.LittleEndian.PutUint16(h[32:], 2)                  // block align
	binary.LittleEndian.PutUint16(h[34:], 8)                  // bits per sample
	binary.LittleEndian.PutUint16(h[36:], 0)                  // cbSize
	copy(h[38:], "fact")
	binary.LittleEndian.PutUint32(h[42:], 4)
	binary.LittleEndian.PutUint32(h[46:], samples)
	copy(h[50:], "data")
	binary.LittleEndian.PutUint32(h[54:], data)
	return h
}

// CreateStereo starts recording to path (which must not exist) in codec
// (PCMU or PCMA; anything else means PCMU). The file is created by the
// writer goroutine: an error creating it is returned by Close.
func CreateStereo(path string, codec media.Codec, cfg StereoConfig) *Stereo {
	if codec != media.PCMA {
		codec = media.PCMU
	}
	if cfg.Max <= 0 {
		cfg.Max = 4 * time.Hour
	}
	if cfg.Slots <= 0 {
		cfg.Slots = 250
	}
	s := &Stereo{
		path: path, codec: codec, queue: make(chan *stereoSlot, cfg.Slots), free: make(chan *stereoSlot, cfg.Slots),
		maxFrm: int64(cfg.Max / media.FrameDuration),
	}
	for range cfg.Slots {
		s.free <- new(stereoSlot)
	}
	s.wg.Add(1)
	go s.write()
	return s
}

// Codec is the law the file is written in; RecordFrame takes frames in it.
func (s *Stereo) Codec() media.Codec { return s.codec }

// RecordFrame queues one 20 ms frame of each channel (FrameSamples bytes
// each, in Codec; shorter is padded with silence). It never blocks and
// never allocates, and does not retain caller or agent.
func (s *Stereo) RecordFrame(caller, agent []byte) {
	if s.frames.Load() >= s.maxFrm {
		return
	}
	var sl *stereoSlot
	select {
	case sl = <-s.free:
	default:
		s.dropped.Add(1)
		return
	}
	sb := media.SilenceByte(s.codec)
	fill(sl.caller[:], caller, sb)
	fill(sl.agent[:], agent, sb)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.free <- sl
		return
	}
	s.frames.Add(1)
	s.queue <- sl // never blocks: as many slots as queue places
}

func fill(dst, src []byte, silence byte) {
	n := copy(dst, src)
	for i := n; i < len(dst); i++ {
		dst[i] = silence
	}
}

// Seconds is the audio accepted so far (both channels have the same
// length).
func (s *Stereo) Seconds() float64 {
	return float64(s.frames.Load()) * media.FrameDuration.Seconds()
}

// Queued is how many frames wait for the writer.
func (s *Stereo) Queued() int { return len(s.queue) }

// Dropped is how many frames a full queue dropped.
func (s *Stereo) Dropped() uint64 { return s.dropped.Load() }

func (s *Stereo) write() {
	defer s.wg.Done()
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if _, err = f.Write(stereoHeader(s.codec, 0)); err != nil {
			f.Close()
			os.Remove(s.path)
		}
	}
	if err != nil {
		s.err = err
		for sl := range s.queue { // keep taking frames so RecordFrame stays non-blocking
			s.free <- sl
		}
		return
	}
	w := bufio.NewWriterSize(f, 16<<10)
	var out [2 * media.FrameSamples]byte
	for sl := range s.queue {
		for i := range media.FrameSamples {
			out[2*i], out[2*i+1] = sl.caller[i], sl.agent[i]
		}
		s.free <- sl
		if s.err == nil {
			if _, err := w.Write(out[:]); err != nil {
				s.err = err
			}
		}
	}
	if err := w.Flush(); err != nil && s.err == nil {
		s.err = err
	}
	if s.err == nil {
		_, s.err = f.WriteAt(stereoHeader(s.codec, s.frames.Load()), 0)
	}
	if s.err == nil {
		s.err = f.Sync()
	}
	if err := f.Close(); s.err == nil {
		s.err = err
	}
}

// Close stops recording, drains the queue, writes the header's sizes,
// syncs and closes the file, and returns the recorded length. Idempotent:
// later calls return the same length and error.
func (s *Stereo) Close() (time.Duration, error) {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	s.wg.Wait()
	d := time.Duration(s.frames.Load()) * media.FrameDuration
	if s.err != nil {
		return d, fmt.Errorf("wavrec %s: %w", s.path, s.err)
	}
	return d, nil
}

var _ media.FrameRecorder = (*Stereo)(nil)

// errStereo is wrapped by LoadStereo's errors.
var errStereo = errors.New("not a 2-channel 8 kHz G.711 or PCM WAV")

// LoadStereo reads a 2-channel 8 kHz WAV in format 7 (µ-law), 6 (A-law)
// or 1 (16-bit PCM) and returns its channels as 16-bit PCM.
func LoadStereo(r io.Reader) (ch1, ch2 []int16, err error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, nil, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, nil, fmt.Errorf("%w: no RIFF/WAVE", errStereo)
	}
	var tag, chans, bits uint16
	var rate uint32
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		if n < 0 || p+n > len(b) {
			n = len(b) - p // a header not patched yet: take what is there
		}
		switch id {
		case "fmt ":
			if n < 16 {
				return nil, nil, fmt.Errorf("%w: short fmt", errStereo)
			}
			tag, chans = binary.LittleEndian.Uint16(b[p:]), binary.LittleEndian.Uint16(b[p+2:])
			rate, bits = binary.LittleEndian.Uint32(b[p+4:]), binary.LittleEndian.Uint16(b[p+14:])
		case "data":
			if chans != 2 || rate != media.SampleRate {
				return nil, nil, fmt.Errorf("%w: %d channels at %d Hz", errStereo, chans, rate)
			}
			d := b[p : p+n]
			switch {
			case (tag == 7 || tag == 6) && bits == 8:
				c := media.PCMU
				if tag == 6 {
					c = media.PCMA
				}
				mono := make([]byte, len(d)/2)
				for i := range mono {
					mono[i] = d[2*i]
				}
				ch1 = media.Decode(c, make([]int16, len(mono)), mono)
				for i := range mono {
					mono[i] = d[2*i+1]
				}
				ch2 = media.Decode(c, make([]int16, len(mono)), mono)
			case tag == 1 && bits == 16:
				k := len(d) / 4
				ch1, ch2 = make([]int16, k), make([]int16, k)
				for i := range k {
					ch1[i] = int16(binary.LittleEndian.Uint16(d[4*i:]))
					ch2[i] = int16(binary.LittleEndian.Uint16(d[4*i+2:]))
				}
			default:
				return nil, nil, fmt.Errorf("%w: format %d, %d bits", errStereo, tag, bits)
			}
			return ch1, ch2, nil
		}
		p += n + n&1
	}
	return nil, nil, fmt.Errorf("%w: no data chunk", errStereo)
}
