package rtpleg

import (
	"testing"

	"switchboard/internal/deptest"
)

// TestDeps keeps rtpleg a leaf of the media plane (STYLE.md §3.1).
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.Merge(deptest.MediaLeaf, deptest.NoPionWebRTC))
}
