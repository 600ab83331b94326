package e2e

import (
	"context"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
)

// A carrier's INVITE without SDP (late offer) to an agent's extension: 180
// while offered, the gateway's offer in the 200 on accept, the caller's
// answer in the ACK, then audio both ways.
func TestLateOfferDirectCall(t *testing.T) {
	g := startGateway(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001"})
	a := g.login(t, "a1", toneAgent)
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMA)}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	iv, err := c.SIP.StartInvite(ctx, g.SIP, "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		d, err := iv.WaitLateOffer(ctx, func(offer []byte) []byte {
			ans, err := c.RTP.Answer(offer)
			if err != nil {
				t.Errorf("caller cannot answer the gateway's offer: %v", err)
			}
			return ans
		})
		c.Dlg = d
		answered <- err
	}()
	a.accept(t)
	if err := <-answered; err != nil {
		t.Fatalf("late-offer call not answered: %v", err)
	}
	c.RTP.PlayTone(toneCaller1)
	hears(t, "late-offer caller", c.classify, toneAgent)
	hears(t, "agent", a.classify, toneCaller1)
	c.bye(t)
	a.WS.WaitNotification("call.ended", 5*time.Second)
}
