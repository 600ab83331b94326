package webrtcleg_test

import (
	"testing"

	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// newEngine starts an engine on loopback (what cfg leaves zero) that the
// end of t closes.
func newEngine(t testing.TB, cfg webrtcleg.Config) *webrtcleg.Engine {
	t.Helper()
	return webrtclegtest.Start(t, &cfg.Config, func() (*webrtcleg.Engine, error) { return webrtcleg.New(cfg) })
}
