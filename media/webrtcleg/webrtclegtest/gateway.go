package webrtclegtest

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

// The gateway side of a leg test: a paced tone writer standing in for the
// media switch, and a sink recording what the browser sends.

// ToneSource writes a tone into a PacketWriter every 20 ms, as the switch
// would write to a browser leg.
type ToneSource struct {
	freq   float64
	codec  media.Codec
	w      media.PacketWriter
	pause  chan int // number of 20 ms ticks to skip
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex // guards following
	sent int
	errs int
}

// StartTone starts writing freq to w as codec; t.Cleanup stops it.
func StartTone(t testing.TB, w media.PacketWriter, codec media.Codec, freq float64) *ToneSource {
	ctx, cancel := context.WithCancel(context.Background())
	s := &ToneSource{freq: freq, codec: codec, w: w, pause: make(chan int, 1), cancel: cancel}
	s.wg.Go(func() { s.run(ctx) })
	t.Cleanup(s.Stop)
	return s
}

func (s *ToneSource) run(ctx context.Context) {
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	sine := tone.Sine{Freq: s.freq}
	var pcm [media.FrameSamples]int16
	var payload [media.FrameSamples]byte
	skip := 0
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-s.pause:
			skip = n
		case <-tick.C:
			if skip > 0 {
				skip--
				continue
			}
			sine.Fill(pcm[:])
			p := media.Packet{Payload: media.Encode(s.codec, payload[:], pcm[:]), Codec: s.codec}
			err := s.w.WritePacket(&p)
			s.mu.Lock()
			s.sent++
			if err != nil {
				s.errs++
			}
			s.mu.Unlock()
		}
	}
}

// Pause skips the next n 20 ms ticks (a gap in the stream).
func (s *ToneSource) Pause(n int) { s.pause <- n }

// Sent is the number of packets written so far.
func (s *ToneSource) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

// Stop stops writing and waits for the writer goroutine.
func (s *ToneSource) Stop() {
	s.cancel()
	s.wg.Wait()
}

// Recorder is a media.PacketWriter sink that decodes what it gets.
type Recorder struct {
	mu      sync.Mutex // guards following
	samples []int16
	packets int
	codecs  map[media.Codec]int
}

// WritePacket decodes and keeps p.
func (r *Recorder) WritePacket(p *media.Packet) error {
	var pcm [1500]int16
	dec := media.Decode(p.Codec, pcm[:], p.Payload)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.codecs == nil {
		r.codecs = map[media.Codec]int{}
	}
	r.codecs[p.Codec]++
	r.packets++
	r.samples = append(r.samples, dec...)
	return nil
}

// Ratio is tone.Ratio over the last window of what the sink got.
func (r *Recorder) Ratio(freq float64, window time.Duration) float64 {
	n := int(window * media.SampleRate / time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < n {
		return 0
	}
	return tone.Ratio(r.samples[len(r.samples)-n:], freq)
}

// Codecs counts the packets received per codec.
func (r *Recorder) Codecs() map[media.Codec]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.codecs)
}
