package webrtcleg_test

import (
	"testing"

	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// BenchmarkWritePacket: the browser runs in a child process, so allocs/op
// counts the gateway's side only.
func BenchmarkWritePacket(b *testing.B) {
	webrtclegtest.BenchWritePacket(b, func(b *testing.B) webrtclegtest.Leg {
		e := newEngine(b, webrtcleg.Config{Config: browserleg.Config{Logger: webrtclegtest.Discard()}})
		return webrtclegtest.StartFarm(b, farmEnv, engine(e), 1)[0]
	})
}

// farmEnv, when set to N in a child test process, makes TestBrowserFarm run
// N browsers for the benchmarks; otherwise it is skipped.
const farmEnv = "WEBRTCLEG_BROWSER_FARM"

// TestBrowserFarm is the browser side of the benchmarks (a child process;
// see webrtclegtest.ServeBrowserFarm).
func TestBrowserFarm(t *testing.T) { webrtclegtest.ServeBrowserFarm(t, farmEnv) }

// BenchmarkIdleLegs measures what N connected, idle agent legs cost the
// gateway (webrtclegtest.BenchIdleLegs).
func BenchmarkIdleLegs(b *testing.B) {
	webrtclegtest.BenchIdleLegs(b, farmEnv, func(b *testing.B) webrtclegtest.Engine {
		return engine(newEngine(b, webrtcleg.Config{Config: browserleg.Config{Logger: webrtclegtest.Discard()}}))
	})
}
