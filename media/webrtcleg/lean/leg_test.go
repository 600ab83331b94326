package lean_test

import (
	"strings"
	"testing"
	"time"

	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// engine adapts *lean.Engine to the conformance suite.
func engine(e *lean.Engine) webrtclegtest.Engine { return webrtclegtest.Adapt[*lean.Leg](e) }

// TestConformance runs the behaviour every browser-leg engine must show,
// plus the offers only an ICE-lite, passive-DTLS engine refuses.
func TestConformance(t *testing.T) {
	webrtclegtest.Suite{
		New: func(t testing.TB, disc, fail time.Duration) webrtclegtest.Engine {
			return engine(newEngine(t, lean.Config{Config: browserleg.Config{DisconnectedTimeout: disc, FailedTimeout: fail}}))
		},
		MoreBadOffers: func(good string) []webrtclegtest.BadOffer {
			return []webrtclegtest.BadOffer{
				{Name: "setup passive", Offer: strings.ReplaceAll(good, "a=setup:actpass", "a=setup:passive"), Reason: "invalid_sdp", Want: browserleg.ErrInvalidOffer},
				{Name: "no rtcp-mux", Offer: strings.ReplaceAll(good, "a=rtcp-mux\r\n", ""), Reason: "invalid_sdp", Want: browserleg.ErrInvalidOffer},
				{Name: "no fingerprint", Offer: dropLines(good, "a=fingerprint:"), Reason: "invalid_sdp", Want: browserleg.ErrInvalidOffer},
				{Name: "no ice-pwd", Offer: dropLines(good, "a=ice-pwd:"), Reason: "invalid_sdp", Want: browserleg.ErrInvalidOffer},
				{Name: "plain RTP", Offer: strings.ReplaceAll(good, "UDP/TLS/RTP/SAVPF", "RTP/AVP"), Reason: "invalid_sdp", Want: browserleg.ErrInvalidOffer},
			}
		},
	}.Run(t)
}

// dropLines removes the SDP lines starting with prefix.
func dropLines(sdpText, prefix string) string {
	var out []string
	for _, line := range strings.SplitAfter(sdpText, "\r\n") {
		if !strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
