package media_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	bad := map[string]string{
		"github.com/pion/webrtc/v4/...": "pion/webrtc lives only in media/webrtcleg",
		"github.com/emiago/sipgo/...":   "sipgo lives only in signaling/trunk",
		"github.com/gorilla/websocket":  "websockets live only in signaling/ws",
		"switchboard/agent/...":         "media is a leaf: agent imports media, not the reverse",
		"switchboard/router/...":        "media knows nothing of routing",
		"switchboard/signaling/...":     "media knows nothing of SIP dialogs or websockets",
	}
	deptest.Check(t, "switchboard/media", bad)
	deptest.Check(t, "switchboard/media/mediatest", bad)
}
