package webrtcleg_test

import (
	"testing"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/webrtclegtest"
)

func BenchmarkWritePacket(b *testing.B) {
	for _, tc := range []struct {
		name  string
		codec media.Codec // what the switch feeds; the leg sends PCMU
	}{{"same-law", media.PCMU}, {"transcode", media.PCMA}} {
		b.Run(tc.name, func(b *testing.B) {
			// The browser runs in a child process, so allocs/op counts the
			// gateway's side only.
			e := newEngine(b, webrtcleg.Config{Config: browserleg.Config{Logger: discardLogger()}})
			leg := webrtclegtest.StartFarm(b, farmEnv, engine(e), 1)[0]
			webrtclegtest.BenchWrites(b, leg, tc.codec)
			if st := leg.Stats(); st.WriteErrors != 0 || st.PacketsDropped != 0 {
				b.Fatalf("Stats() = %+v", st)
			}
		})
	}
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
		return engine(newEngine(b, webrtcleg.Config{Config: browserleg.Config{Logger: discardLogger()}}))
	})
}
