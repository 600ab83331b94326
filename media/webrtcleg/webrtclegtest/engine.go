package webrtclegtest

import (
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/tone"
)

// Start makes an engine for a test with start, once it has filled what
// the test left zero in the engine's shared Config c (start's config
// embeds it): the address (127.0.0.1) and the logger (Logger(t)). The end
// of t closes the engine (an error from Close fails t); an error from
// start fails t at once.
func Start[E interface{ Close() error }](t testing.TB, c *browserleg.Config, start func() (E, error)) E {
	t.Helper()
	if !c.IP.IsValid() {
		c.IP = netip.MustParseAddr("127.0.0.1")
	}
	if c.Logger == nil {
		c.Logger = Logger(t)
	}
	e, err := start()
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

// Logger logs at info level to t's output until t ends. Close does not
// wait for a leg's OnState callbacks, so the last of a leg's log lines
// ("webrtc leg closed") may come after the test: it is dropped then, since
// writing to a finished test panics.
func Logger(t testing.TB) *slog.Logger {
	w := &testWriter{out: t.Output()}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Discard is a logger that drops everything (benchmarks).
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testWriter forwards to a test's output until stop.
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

// BenchWritePacket times WritePacket of one 1 kHz frame in b.Loop,
// counting allocations, on the leg that connected makes, which sends PCMU:
// fed PCMU ("same-law") and PCMA ("transcode"). A write error, a dropped
// packet or none sent fails b.
func BenchWritePacket(b *testing.B, connected func(*testing.B) Leg) {
	for _, tc := range []struct {
		name  string
		codec media.Codec // what the switch feeds
	}{{"same-law", media.PCMU}, {"transcode", media.PCMA}} {
		b.Run(tc.name, func(b *testing.B) {
			leg := connected(b)
			var pcm [media.FrameSamples]int16
			(&tone.Sine{Freq: 1000}).Fill(pcm[:])
			p := media.Packet{Payload: media.Encode(tc.codec, make([]byte, media.FrameSamples), pcm[:]), Codec: tc.codec}
			b.ReportAllocs()
			for b.Loop() {
				if err := leg.WritePacket(&p); err != nil {
					b.Fatal(err)
				}
			}
			if st := leg.Stats(); st.WriteErrors != 0 || st.PacketsDropped != 0 || st.PacketsSent == 0 {
				b.Fatalf("Stats() = %+v", st)
			}
		})
	}
}
