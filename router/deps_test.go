package router

import (
	"os/exec"
	"strings"
	"testing"

	"switchboard/internal/deptest"
)

// TestDeps: the router is a leaf that may import the standard library only
// (STYLE.md 3.1).
func TestDeps(t *testing.T) {
	deptest.Check(t, ".", map[string]string{
		"switchboard/agent":         "the orchestrator imports the router, not the reverse",
		"switchboard/agent/...":     "the orchestrator imports the router, not the reverse",
		"switchboard/events":        "router has its own Event; the orchestrator translates",
		"switchboard/media":         "router knows nothing of media",
		"switchboard/media/...":     "router knows nothing of media",
		"switchboard/signaling/...": "router knows nothing of SIP or websockets",
		"switchboard/web":           "router knows nothing of HTTP",
		"switchboard/store":         "router does no I/O",
		"switchboard/internal/...":  "router imports the standard library only",
		"github.com/...":            "router imports the standard library only",
		"golang.org/x/...":          "router imports the standard library only",
		"modernc.org/...":           "router imports the standard library only",
	})
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		if dep == "switchboard/router" {
			continue
		}
		first, _, _ := strings.Cut(dep, "/")
		if strings.Contains(first, ".") || first == "switchboard" {
			t.Errorf("router depends on %s: standard library only", dep)
		}
	}
}
