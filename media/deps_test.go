package media_test

import (
	"testing"

	"switchboard/internal/deptest"
)

func TestDeps(t *testing.T) {
	deptest.Check(t, "switchboard/media", deptest.Media)
	deptest.Check(t, "switchboard/media/mediatest", deptest.Media)
}
