package lean_test

import (
	"log/slog"
	"testing"

	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// newEngine starts an engine on loopback (what cfg leaves zero) that the
// end of t closes.
func newEngine(t testing.TB, cfg lean.Config) *lean.Engine {
	t.Helper()
	webrtclegtest.Loopback(t, &cfg.Config, testLogger)
	e, err := lean.New(cfg)
	return webrtclegtest.Started(t, e, err)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
