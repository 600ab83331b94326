package rtpleg

import (
	"testing"

	"switchboard/internal/deptest"
)

// TestDeps keeps rtpleg a leaf of the media plane (STYLE.md §3.1).
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/pion/webrtc/v4/...": "pion/webrtc lives only in media/webrtcleg",
		"github.com/pion/webrtc/v4":     "pion/webrtc lives only in media/webrtcleg",
		"github.com/emiago/sipgo":       "sipgo lives only in signaling/trunk",
		"github.com/emiago/sipgo/...":   "sipgo lives only in signaling/trunk",
		"github.com/gorilla/websocket":  "gorilla/websocket lives only in signaling/ws",
		"switchboard/agent":             "media knows nothing of agents",
		"switchboard/agent/...":         "media knows nothing of agents",
		"switchboard/router":            "media knows nothing of routing",
		"switchboard/router/...":        "media knows nothing of routing",
		"switchboard/signaling":         "media knows nothing of SIP dialogs or websockets",
		"switchboard/signaling/...":     "media knows nothing of SIP dialogs or websockets",
	})
}
