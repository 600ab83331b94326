package lean_test

import (
	"testing"

	"switchboard/internal/deptest"
)

// The lean engine shares only browserleg with the pion engine: it must not
// link pion/webrtc (issue 20).
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.Merge(deptest.MediaLeaf, deptest.NoPionWebRTC, map[string]string{
		"switchboard/media/webrtcleg":  "the engines share browserleg, not each other",
		"switchboard/media/rtpleg/...": "legs do not import each other",
	}))
}
