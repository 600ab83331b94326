package main

import (
	"testing"

	"switchboard/internal/deptest"
)

// The binary ships one browser-leg engine, lean (issue 20): the pion
// PeerConnection engine is a test oracle, and pion/webrtc is not linked.
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"switchboard/media/webrtcleg":     "the pion engine is the lean engine's test oracle, not shipped",
		"github.com/pion/webrtc/...":      "the binary ships the lean engine, which needs no PeerConnection",
		"github.com/pion/ice/...":         "lean answers ICE-lite itself",
		"github.com/pion/interceptor/...": "no interceptors in the media path",
	})
}
