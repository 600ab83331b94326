package report

import (
	"testing"

	"switchboard/internal/deptest"
)

// TestDeps keeps report a leaf of the media plane: no I/O library, no
// transport, nothing above media.
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.Merge(deptest.MediaLeaf, deptest.NoPionWebRTC, map[string]string{
		"github.com/pion/rtcp": "report writes and reads RTCP itself, without allocating (pion/rtcp is its test oracle)",
		"net":                  "report does no I/O",
	}))
}
