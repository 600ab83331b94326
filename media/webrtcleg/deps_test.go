package webrtcleg_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.WebRTCLeg)
	deptest.Check(t, "./webrtclegtest", deptest.WebRTCLeg)
}
