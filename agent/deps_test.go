package agent

import (
	"testing"

	"switchboard/internal/deptest"
)

// TestDeps: the core speaks no SIP, WebRTC or websocket itself; signaling
// and cmd/switchboard adapt the concrete packages to its interfaces.
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/pion/...":          "WebRTC belongs to media/webrtcleg, behind BrowserLeg",
		"github.com/emiago/sipgo":      "SIP belongs to signaling/trunk, behind TrunkCall",
		"github.com/emiago/sipgo/...":  "SIP belongs to signaling/trunk, behind TrunkCall",
		"github.com/gorilla/websocket": "websockets belong to signaling, behind Notifier",
		"switchboard/signaling":        "signaling calls the core, not the reverse",
		"switchboard/signaling/...":    "signaling calls the core, not the reverse",
		"switchboard/media/rtpleg":     "legs are injected (TrunkLeg)",
		"switchboard/media/webrtcleg":  "legs are injected (BrowserLeg)",
		"modernc.org/sqlite/...":       "persistence is injected (store interfaces); SQLite is store/sqlite, built by cmd",
		"switchboard/store/sqlite":     "persistence is injected (store interfaces); SQLite is store/sqlite, built by cmd",
	})
}
