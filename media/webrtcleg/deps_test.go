package webrtcleg_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	bad := deptest.Merge(deptest.MediaLeaf, map[string]string{
		"switchboard/media/rtpleg/...": "legs do not import each other",
	})
	deptest.Check(t, ".", bad)
	deptest.Check(t, "./webrtclegtest", bad)
}
