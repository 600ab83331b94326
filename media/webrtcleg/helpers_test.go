package webrtcleg_test

import (
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"

	"switchboard/media/webrtcleg"
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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
