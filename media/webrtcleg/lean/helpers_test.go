package lean_test

import (
	"log/slog"
	"net/netip"
	"testing"

	"switchboard/media/webrtcleg/lean"
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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
