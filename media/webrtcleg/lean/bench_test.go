package lean_test

import (
	"testing"
	"time"

	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// farmEnv, when set to N in a child test process, makes TestBrowserFarm run
// N browsers for the idle-legs benchmark; otherwise it is skipped.
const farmEnv = "LEAN_BROWSER_FARM"

// TestBrowserFarm is the browser side of BenchmarkIdleLegs (a child
// process; see webrtclegtest.ServeBrowserFarm).
func TestBrowserFarm(t *testing.T) { webrtclegtest.ServeBrowserFarm(t, farmEnv) }

// BenchmarkIdleLegs measures what N connected, idle agent legs cost the
// gateway (webrtclegtest.BenchIdleLegs).
func BenchmarkIdleLegs(b *testing.B) {
	webrtclegtest.BenchIdleLegs(b, farmEnv, func(b *testing.B) webrtclegtest.Engine {
		// The child connects its browsers one after another (≈ 0.2 s each,
		// pion's check pacing), so the last leg waits long after its Accept.
		return engine(newEngine(b, lean.Config{Config: browserleg.Config{Logger: webrtclegtest.Discard()}, ConnectTimeout: 5 * time.Minute}))
	})
}
