package proctest

import (
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/waittest"
)

// TestChildKeepsOutputAndStops: both streams' lines are kept, in order per
// stream; Stop ends a process that would run a minute, and a second Stop
// returns at once.
func TestChildKeepsOutputAndStops(t *testing.T) {
	c := Start(t, "sh", exec.Command("sh", "-c", "echo one; echo two >&2; exec sleep 60"), syscall.SIGTERM, 5*time.Second)
	waittest.For(t, "both lines", 5*time.Second, func() bool { return c.Logged("one") && c.Logged("two") })
	if c.Logged("three") {
		t.Error(`Logged("three") = true`)
	}
	if l := c.Lines(); !slices.Contains(l, "one") || !slices.Contains(l, "two") || len(l) != 2 {
		t.Errorf("Lines() = %q, want one and two", l)
	}
	start := time.Now()
	c.Stop()
	select {
	case <-c.Exited():
	default:
		t.Fatal("Exited not closed after Stop")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Stop took %v: SIGTERM not delivered", d)
	}
	c.Stop()
}
