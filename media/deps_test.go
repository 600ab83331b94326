package media_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	bad := deptest.Merge(deptest.MediaLeaf, deptest.NoPionWebRTC)
	deptest.Check(t, "switchboard/media", bad)
	deptest.Check(t, "switchboard/media/mediatest", bad)
}
