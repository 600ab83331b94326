package console_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"github.com/pion/...":         "the console holds no media",
		"github.com/emiago/sipgo/...": "sipgo lives only in signaling/trunk",
		"switchboard/agent":           "the orchestrator plugs in through Applier and Floor",
	})
}
