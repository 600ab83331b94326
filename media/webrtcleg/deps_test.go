package webrtcleg_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	bad := map[string]string{
		"github.com/emiago/sipgo/...":  "sipgo lives only in signaling/trunk",
		"github.com/gorilla/websocket": "gorilla/websocket lives only in signaling/ws",
		"switchboard/agent/...":        "media is a leaf: agent imports media, not the reverse",
		"switchboard/router/...":       "media knows nothing about routing",
		"switchboard/signaling/...":    "media knows nothing about signalling",
		"switchboard/media/rtpleg/...": "legs do not import each other",
	}
	deptest.Check(t, ".", bad)
	deptest.Check(t, "./webrtclegtest", bad)
}
