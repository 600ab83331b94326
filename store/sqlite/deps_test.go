package sqlite_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/gorilla/websocket": "gorilla lives only in signaling/ws",
		"github.com/pion/...":          "store holds no media",
		"github.com/emiago/sipgo/...":  "sipgo lives only in signaling/trunk",
		"switchboard/agent/...":        "store is a leaf below the orchestrator",
		"switchboard/signaling/...":    "store knows no protocol",
	})
}
