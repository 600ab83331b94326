package deptest

import (
	"strings"
	"testing"
)

// The layering of STYLE.md §3.1 as rule sets: each package's deps_test.go
// checks its own set, and a rule that holds for a whole layer is written
// once here.

// Layer rules.
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
	// NoPionWebRTC: pion/webrtc is linked only by media/webrtcleg, the lean
	// engine's test oracle.
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

// Package rules.
var (
	// Agent: the core speaks no SIP, WebRTC or websocket itself; signaling
	// and cmd/switchboard adapt the concrete packages to its interfaces, and
	// persistence comes in through its own small interfaces.
	Agent = map[string]string{
		"github.com/pion/...":          "WebRTC belongs to media/webrtcleg, behind BrowserLeg",
		"github.com/emiago/sipgo/...":  "SIP belongs to signaling/trunk, behind TrunkCall",
		"github.com/gorilla/websocket": "websockets belong to signaling, behind Notifier",
		"switchboard/signaling/...":    "signaling calls the core, not the reverse",
		"switchboard/media/rtpleg":     "legs are injected (TrunkLeg)",
		"switchboard/media/webrtcleg":  "legs are injected (BrowserLeg)",
		"modernc.org/sqlite/...":       "persistence is injected (store interfaces); SQLite is store/sqlite, built by cmd",
		"switchboard/store/sqlite":     "persistence is injected (store interfaces); SQLite is store/sqlite, built by cmd",
	}
	// Router is a leaf that may import the standard library only (STYLE.md
	// 3.1); RouterStdlibOnly checks the rest.
	Router = map[string]string{
		"switchboard/agent/...":     "the orchestrator imports the router, not the reverse",
		"switchboard/events":        "router has its own Event; the orchestrator translates",
		"switchboard/media/...":     "router knows nothing of media",
		"switchboard/signaling/...": "router knows nothing of SIP or websockets",
		"switchboard/web":           "router knows nothing of HTTP",
		"switchboard/store":         "router does no I/O",
		"switchboard/internal/...":  "router imports the standard library only",
		"github.com/...":            "router imports the standard library only",
		"golang.org/x/...":          "router imports the standard library only",
		"modernc.org/...":           "router imports the standard library only",
	}
	// Binary: cmd/switchboard ships one browser-leg engine, lean (issue 20):
	// the pion PeerConnection engine is a test oracle, and pion/webrtc is not
	// linked.
	Binary = map[string]string{
		"switchboard/media/webrtcleg":     "the pion engine is the lean engine's test oracle, not shipped",
		"github.com/pion/webrtc/...":      "the binary ships the lean engine, which needs no PeerConnection",
		"github.com/pion/ice/...":         "lean answers ICE-lite itself",
		"github.com/pion/interceptor/...": "no interceptors in the media path",
	}
	// Trunk is plain RTP and SIP below the orchestrator.
	Trunk = map[string]string{
		"github.com/pion/webrtc/v4":    "the trunk is plain RTP; WebRTC lives in media/webrtcleg",
		"github.com/gorilla/websocket": "websockets live in signaling/ws",
		"switchboard/agent/...":        "the orchestrator implements trunk.Handler, not the other way round",
		"switchboard/router/...":       "routing policy is the Handler's business",
	}
	// WS is the generic websocket layer.
	WS = map[string]string{
		"github.com/pion/...":         "ws is signaling only; media lives in media/webrtcleg",
		"github.com/emiago/sipgo/...": "sipgo lives only in signaling/trunk",
		"switchboard/agent":           "ws is generic; applications plug in through Session",
		"switchboard/store":           "ws is generic; applications plug in through Session",
	}
	// Console speaks to the orchestrator through Applier and Floor.
	Console = map[string]string{
		"github.com/pion/...":         "the console holds no media",
		"github.com/emiago/sipgo/...": "sipgo lives only in signaling/trunk",
		"switchboard/agent":           "the orchestrator plugs in through Applier and Floor",
	}
	// View holds the protocol's JSON objects that agent builds and the
	// signaling packages and the wallboard read: it stays below all of them.
	View = Merge(StoreLeaf, map[string]string{
		"switchboard/cluster/...":   "the cluster view is cmd's, passed as JSON",
		"switchboard/router":        "views are what the core shows, not how it routes",
		"switchboard/wallboard/...": "the wallboard reads views, not the reverse",
		"switchboard/web/...":       "views know no HTTP",
		"modernc.org/sqlite/...":    "views hold no persistence",
	})
	// Media is the media root and mediatest.
	Media = Merge(MediaLeaf, NoPionWebRTC)
	// WebRTCLeg is the pion engine (the oracle) and webrtclegtest.
	WebRTCLeg = Merge(MediaLeaf, map[string]string{
		"switchboard/media/rtpleg/...": "legs do not import each other",
	})
	// Lean shares only browserleg with the pion engine: it must not link
	// pion/webrtc (issue 20).
	Lean = Merge(MediaLeaf, NoPionWebRTC, map[string]string{
		"switchboard/media/webrtcleg":  "the engines share browserleg, not each other",
		"switchboard/media/rtpleg/...": "legs do not import each other",
	})
	// UDPLoop is below every media package: raw sockets and a clock only.
	UDPLoop = Merge(MediaLeaf, NoPionWebRTC, map[string]string{
		"switchboard/media":   "udploop is below the media packages that use it",
		"github.com/pion/...": "udploop knows no media protocol",
	})
	// RTPLeg is a leaf of the media plane.
	RTPLeg = Merge(MediaLeaf, NoPionWebRTC)
	// BrowserLeg is what both engines import: it stays below them.
	BrowserLeg = Merge(MediaLeaf, NoPionWebRTC, map[string]string{
		"switchboard/media/webrtcleg": "the engines import browserleg, not the reverse",
	})
	// Report is a leaf of the media plane: no I/O library, no transport,
	// nothing above media.
	Report = Merge(MediaLeaf, NoPionWebRTC, map[string]string{
		"github.com/pion/rtcp": "report writes and reads RTCP itself, without allocating (pion/rtcp is its test oracle)",
		"net":                  "report does no I/O",
	})
	// Store holds types and interfaces.
	Store = Merge(StoreLeaf, map[string]string{
		"github.com/prometheus/...": "prometheus lives only in metrics",
		"modernc.org/sqlite/...":    "the SQLite implementation is store/sqlite; store holds types and interfaces",
		"database/sql":              "store holds types and interfaces; SQL is store/sqlite's",
	})
	// SQLite is the store's SQLite implementation.
	SQLite = StoreLeaf
)

// StdlibOnly fails t if pkg depends on anything outside the standard
// library (a module path has a dot in its first element, or is this
// module's).
func StdlibOnly(t *testing.T, pkg string) {
	t.Helper()
	for _, dep := range deps(t, pkg) {
		if dep == pkg {
			continue
		}
		first, _, _ := strings.Cut(dep, "/")
		if strings.Contains(first, ".") || first == "switchboard" {
			t.Errorf("%s depends on %s: standard library only", pkg, dep)
		}
	}
}
