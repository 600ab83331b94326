package webrtcleg_test

import (
	"testing"
	"time"

	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// engine adapts *webrtcleg.Engine to the conformance suite.
func engine(e *webrtcleg.Engine) webrtclegtest.Engine { return webrtclegtest.Adapt[*webrtcleg.Leg](e) }

// TestConformance runs the behaviour every browser-leg engine must show.
func TestConformance(t *testing.T) {
	webrtclegtest.Suite{
		New: func(t testing.TB, disc, fail time.Duration) webrtclegtest.Engine {
			cfg := webrtcleg.Config{Config: browserleg.Config{DisconnectedTimeout: disc, FailedTimeout: fail}}
			if disc > 0 {
				cfg.KeepaliveInterval = disc * 2 / 5
			}
			return engine(newEngine(t, cfg))
		},
		AfterAudio: func(t *testing.T, leg webrtclegtest.Leg) {
			if !webrtcleg.Tapped(leg.(*webrtcleg.Leg)) {
				t.Error("the browser's track is read by the fallback read loop, want delivery from its SRTP tap")
			}
		},
	}.Run(t)
}
