// Package deptest checks a package's transitive imports against a list of
// forbidden ones, so the layering rules of STYLE.md hold (after tailscale's
// deptest).
package deptest

import (
	"maps"
	"os/exec"
	"strings"
	"testing"
)

// Check fails t if pkg (an import path, or "." for the package under test)
// depends, directly or not, on any key of bad. Each value says why it is
// forbidden. A key ending in "/..." forbids the package and its whole
// subtree.
func Check(t *testing.T, pkg string, bad map[string]string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	for dep := range strings.FieldsSeq(string(out)) {
		for forbidden, why := range bad {
			root, tree := strings.CutSuffix(forbidden, "/...")
			if dep == root || (tree && strings.HasPrefix(dep, root+"/")) {
				t.Errorf("%s depends on %s: %s", pkg, dep, why)
			}
		}
	}
}

// Rules that hold for a whole layer, written once; a package's TestDeps
// checks Merge(layer, its own rules).
var (
	// MediaLeaf: the media plane (media and its legs) imports nothing of
	// signalling, routing or the orchestrator.
	MediaLeaf = map[string]string{
		"github.com/emiago/sipgo/...":  "sipgo lives only in signaling/trunk",
		"github.com/gorilla/websocket": "websockets live only in signaling/ws",
		"switchboard/agent/...":        "media is a leaf: agent imports media, not the reverse",
		"switchboard/router/...":       "media knows nothing of routing",
		"switchboard/signaling/...":    "media knows nothing of SIP dialogs or websockets",
	}
	// NoPionWebRTC: pion/webrtc is linked only by media/webrtcleg, the test
	// oracle.
	NoPionWebRTC = map[string]string{
		"github.com/pion/webrtc/v4/...": "pion/webrtc lives only in media/webrtcleg (the lean engine's test oracle)",
	}
	// WebPage: a page package serves embedded files; it speaks to the
	// gateway only from the browser.
	WebPage = map[string]string{
		"github.com/gorilla/websocket": "gorilla/websocket lives only in signaling/ws (tests may use it)",
		"github.com/pion/webrtc/v4":    "pion/webrtc lives only in media/webrtcleg",
		"github.com/emiago/sipgo":      "sipgo lives only in signaling/trunk",
		"github.com/chromedp/chromedp": "chromedp is for tests only",
	}
	// StoreLeaf: persistence knows no protocol, media or orchestrator.
	StoreLeaf = map[string]string{
		"github.com/gorilla/websocket": "gorilla lives only in signaling/ws",
		"github.com/pion/...":          "store holds no media",
		"github.com/emiago/sipgo/...":  "sipgo lives only in signaling/trunk",
		"switchboard/agent/...":        "store is a leaf below the orchestrator",
		"switchboard/signaling/...":    "store knows no protocol",
	}
)

// Merge is the union of rule sets; a later set's reason wins for a key in
// two.
func Merge(sets ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, s := range sets {
		maps.Copy(out, s)
	}
	return out
}
