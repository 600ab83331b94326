package browserleg_test

import (
	"testing"

	"switchboard/internal/deptest"
)

// browserleg is what both engines import: it stays below them.
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.Merge(deptest.MediaLeaf, deptest.NoPionWebRTC, map[string]string{
		"switchboard/media/webrtcleg": "the engines import browserleg, not the reverse",
	}))
}
