package webrtcleg_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/webrtclegtest"
)

func testLogger(t testing.TB) *slog.Logger {
	w := &testWriter{out: t.Output()}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// testWriter forwards to a test's output until the test ends. A leg closed
// from inside its own OnState callback does not wait for its state loop
// (it would wait for itself), so that loop's last log line ("webrtc leg
// closed") may come after the test: it is dropped rather than written to a
// finished test, which panics.
type testWriter struct {
	mu   sync.Mutex
	out  io.Writer
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	return w.out.Write(p)
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

func newEngine(t testing.TB, cfg webrtcleg.Config) *webrtcleg.Engine {
	t.Helper()
	if !cfg.IP.IsValid() {
		cfg.IP = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	e, err := webrtcleg.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("Engine.Close: %v", err)
		}
	})
	return e
}

// connect runs offer/answer between a new browser and e and waits until
// both ends are connected.
func connect(t testing.TB, e *webrtcleg.Engine, opts webrtclegtest.Options) (*webrtclegtest.Browser, *webrtcleg.Leg, []byte) {
	t.Helper()
	b := webrtclegtest.NewBrowserWith(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leg, answer, err := e.Accept(ctx, b.Offer())
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	t.Cleanup(func() { _ = leg.Close() })
	b.SetAnswer(answer)
	waitFor(t, "leg connected", 10*time.Second, func() bool { return leg.Stats().State == webrtcleg.StateConnected })
	return b, leg, answer
}

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// toneSource writes a tone to w every 20 ms until stopped; pause makes it
// skip ticks. Stop waits for its goroutine.
type toneSource struct {
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

func startTone(t testing.TB, w media.PacketWriter, codec media.Codec, freq float64) *toneSource {
	ctx, cancel := context.WithCancel(context.Background())
	s := &toneSource{freq: freq, codec: codec, w: w, pause: make(chan int, 1), cancel: cancel}
	s.wg.Go(func() { s.run(ctx) })
	t.Cleanup(s.Stop)
	return s
}

func (s *toneSource) run(ctx context.Context) {
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

func (s *toneSource) Sent() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

func (s *toneSource) Stop() {
	s.cancel()
	s.wg.Wait()
}

// recorder is a sink that decodes what it gets.
type recorder struct {
	mu      sync.Mutex // guards following
	samples []int16
	packets int
	codecs  map[media.Codec]int
}

func (r *recorder) WritePacket(p *media.Packet) error {
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

// ratio is tone.Ratio over the last window of what the sink got.
func (r *recorder) ratio(freq float64, window time.Duration) float64 {
	n := int(window * media.SampleRate / time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < n {
		return 0
	}
	return tone.Ratio(r.samples[len(r.samples)-n:], freq)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
