package router

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, ".", deptest.Router)
	deptest.StdlibOnly(t, "switchboard/router")
}
