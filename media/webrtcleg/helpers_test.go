package webrtcleg_test

import (
	"io"
	"log/slog"
	"sync"
	"testing"

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

// newEngine starts an engine on loopback (what cfg leaves zero) that the
// end of t closes.
func newEngine(t testing.TB, cfg webrtcleg.Config) *webrtcleg.Engine {
	t.Helper()
	webrtclegtest.Loopback(t, &cfg.Config, testLogger)
	e, err := webrtcleg.New(cfg)
	return webrtclegtest.Started(t, e, err)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
