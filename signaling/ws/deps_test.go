package ws_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/pion/...":         "ws is signaling only; media lives in media/webrtcleg",
		"github.com/emiago/sipgo/...": "sipgo lives only in signaling/trunk",
		"switchboard/agent":           "ws is generic; applications plug in through Session",
		"switchboard/store":           "ws is generic; applications plug in through Session",
	})
}
