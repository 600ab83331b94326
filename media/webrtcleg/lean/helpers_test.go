package lean_test

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func newEngine(t testing.TB, cfg lean.Config) *lean.Engine {
	t.Helper()
	if !cfg.IP.IsValid() {
		cfg.IP = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	e, err := lean.New(cfg)
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
func connect(t testing.TB, e *lean.Engine, opts webrtclegtest.Options) (*webrtclegtest.Browser, *lean.Leg, []byte) {
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
// The gateway-side helpers live in webrtclegtest, shared by both engines' tests.
type (
	toneSource = webrtclegtest.ToneSource
	recorder   = webrtclegtest.Recorder
)

func startTone(t testing.TB, w media.PacketWriter, codec media.Codec, freq float64) *toneSource {
	return webrtclegtest.StartTone(t, w, codec, freq)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
