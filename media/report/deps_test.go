package report

import (
	"testing"

	"switchboard/internal/deptest"
)

// TestDeps keeps report a leaf of the media plane: no I/O library, no
// transport, nothing above media.
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/pion/webrtc/v4": "pion/webrtc lives only in media/webrtcleg",
		"github.com/pion/rtcp":      "report writes and reads RTCP itself, without allocating (pion/rtcp is its test oracle)",
		"github.com/emiago/sipgo":   "sipgo lives only in signaling/trunk",
		"switchboard/agent":         "media knows nothing of agents",
		"switchboard/signaling":     "media knows nothing of SIP dialogs or websockets",
		"net":                       "report does no I/O",
	})
}
