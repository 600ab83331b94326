package webrtcleg_test

import (
	"net/netip"
	"strings"
	"testing"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// TestPublicIPCandidate: with Config.PublicIP (1:1 NAT) the answer's host
// candidate names the public address, not the bound one.
func TestPublicIPCandidate(t *testing.T) {
	e := newEngine(t, webrtcleg.Config{Config: browserleg.Config{PublicIP: netip.MustParseAddr("203.0.113.7")}})
	b := webrtclegtest.NewBrowser(t, media.PCMU)
	leg, answer, err := e.Accept(t.Context(), b.Offer())
	if err != nil {
		t.Fatal(err)
	}
	defer leg.Close()
	var cands []string
	for l := range strings.SplitSeq(string(answer), "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			cands = append(cands, strings.TrimSpace(l))
		}
	}
	if len(cands) == 0 {
		t.Fatalf("answer has no candidate:\n%s", answer)
	}
	for _, c := range cands {
		if !strings.Contains(c, " 203.0.113.7 ") || strings.Contains(c, "127.0.0.1") {
			t.Errorf("candidate %q, want it on 203.0.113.7 only", c)
		}
	}
}
