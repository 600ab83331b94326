package trunk_test

import (
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
)

// An INVITE without SDP (late offer, RFC 3261 §13.2.1): the 200 carries
// the gateway's offer and the caller answers in the ACK; audio then flows.
// An ACK without an answer ends the call with BYE (RFC 3264 §5).
func TestLateOffer(t *testing.T) {
	tr := startTrunk(t, routes)
	rtp := rtplegtest.NewPhone(t, media.PCMA)
	sp := trunktest.NewPhone(t, "udp")
	ctx := ctxT(t)
	iv, err := sp.StartInvite(ctx, tr.Addr(), "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := iv.WaitLateOffer(ctx, func(offer []byte) []byte {
		ans, err := rtp.Answer(offer)
		if err != nil {
			t.Errorf("phone cannot answer the gateway's offer: %v\n%s", err, offer)
		}
		return ans
	})
	if err != nil {
		t.Fatalf("late-offer call: %v", err)
	}
	rtp.PlayTone(1000)
	if !rtp.WaitHeard(1000, 5*time.Second) {
		t.Fatalf("1 kHz tone not heard back on a late-offer call (got %v)", rtp.Classify(1000, 200*time.Millisecond))
	}
	if err := d.Bye(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })

	// The ACK without the answer.
	iv, err = sp.StartInvite(ctx, tr.Addr(), "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err = iv.WaitLateOffer(ctx, func([]byte) []byte { return nil })
	if err != nil {
		t.Fatalf("late-offer call: %v", err)
	}
	select {
	case <-d.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("an ACK without an SDP answer did not end the call")
	}
}
