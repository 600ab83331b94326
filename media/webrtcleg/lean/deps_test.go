package lean_test

import (
	"testing"

	"switchboard/internal/deptest"
)

// The lean engine shares only browserleg with the pion engine: it must not
// link pion/webrtc (issue 20).
func TestDeps(t *testing.T) {
	bad := map[string]string{
		"github.com/pion/webrtc/v4/...": "lean is the engine without pion/webrtc",
		"switchboard/media/webrtcleg":   "the engines share browserleg, not each other",
		"github.com/emiago/sipgo/...":   "sipgo lives only in signaling/trunk",
		"github.com/gorilla/websocket":  "websockets live only in signaling/ws",
		"switchboard/agent/...":         "media is a leaf: agent imports media, not the reverse",
		"switchboard/router/...":        "media knows nothing of routing",
		"switchboard/signaling/...":     "media knows nothing of SIP dialogs or websockets",
		"switchboard/media/rtpleg/...":  "legs do not import each other",
	}
	deptest.Check(t, ".", bad)
}
