package trunk_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, "switchboard/signaling/trunk", deptest.Trunk)
}
