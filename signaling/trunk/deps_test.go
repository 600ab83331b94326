package trunk_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, "switchboard/signaling/trunk", map[string]string{
		"github.com/pion/webrtc/v4":    "the trunk is plain RTP; WebRTC lives in media/webrtcleg",
		"github.com/gorilla/websocket": "websockets live in signaling/ws",
		"switchboard/agent/...":        "the orchestrator implements trunk.Handler, not the other way round",
		"switchboard/agent":            "the orchestrator implements trunk.Handler, not the other way round",
		"switchboard/router":           "routing policy is the Handler's business",
		"switchboard/router/...":       "routing policy is the Handler's business",
	})
}
