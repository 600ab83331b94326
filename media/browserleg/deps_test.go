package browserleg_test

import (
	"testing"

	"switchboard/internal/deptest"
)

// browserleg is what both engines import: it stays below them.
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/pion/webrtc/v4/...": "shared with the lean engine, which links no pion/webrtc",
		"switchboard/media/webrtcleg":   "the engines import browserleg, not the reverse",
		"switchboard/agent/...":         "media is a leaf",
		"switchboard/signaling/...":     "media is a leaf",
	})
}
