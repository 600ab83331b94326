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
	webrtclegtest.Loopback(t, &cfg.Config)
	e, err := webrtcleg.New(cfg)
	return webrtclegtest.Started(t, e, err)
}
