package lean_test

import (
	"testing"

	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// newEngine starts an engine on loopback (what cfg leaves zero) that the
// end of t closes.
func newEngine(t testing.TB, cfg lean.Config) *lean.Engine {
	t.Helper()
	return webrtclegtest.Start(t, &cfg.Config, func() (*lean.Engine, error) { return lean.New(cfg) })
}
