package store_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/gorilla/websocket": "gorilla lives only in signaling/ws",
		"github.com/pion/...":          "store holds no media",
		"github.com/emiago/sipgo/...":  "sipgo lives only in signaling/trunk",
		"github.com/prometheus/...":    "prometheus lives only in metrics",
		"switchboard/agent":            "store is a leaf below the orchestrator",
		"modernc.org/sqlite/...":       "the SQLite implementation is store/sqlite; store holds types and interfaces",
		"database/sql":                 "store holds types and interfaces; SQL is store/sqlite's",
		"switchboard/signaling/ws":     "store knows no protocol",
	})
}
