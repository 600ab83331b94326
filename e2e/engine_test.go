package e2e

import (
	"testing"
	"time"
)

// The whole suite runs on the browser leg the binary ships, the lean engine
// (media/webrtcleg/lean). The pion PeerConnection engine (media/webrtcleg)
// is no longer in the binary (issue 20): it is the oracle of the shared
// conformance suite (media/webrtcleg/webrtclegtest) only.

func TestDefaultEngineIsLean(t *testing.T) {
	g := startGateway(t)
	waitFor(t, 5*time.Second, "lean engine in the gateway log", func() bool {
		return g.Logged(`"msg":"switchboard started"`, `"webrtc_engine":"lean"`)
	})
}
