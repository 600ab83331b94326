package trunk_test

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk"
	"switchboard/signaling/trunk/trunktest"
)

// An inbound call is counted on the trunk whose allow holds its source;
// over that trunk's max_calls the INVITE gets 503.
func TestInboundMaxCallsPerCarrier(t *testing.T) {
	tr := startTrunk(t, routes)
	tr.SetCarrier(trunk.Carrier{ID: "lo", Host: "127.0.0.1", Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, MaxCalls: 1})
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	sp := trunktest.NewPhone(t, "udp")
	ctx := ctxT(t)
	d, err := sp.Call(ctx, tr.Addr(), "echo", rtp.Offer())
	if err != nil {
		t.Fatalf("first call: %v", err)
	}
	if st := tr.CarrierStatus("lo"); st.CallsIn != 1 || st.ActiveCalls != 1 {
		t.Errorf("status %+v, want 1 in, 1 active", st)
	}
	rtp2 := rtplegtest.NewPhone(t, media.PCMU)
	_, err = sp.Call(ctx, tr.Addr(), "echo", rtp2.Offer())
	if se, ok := errors.AsType[*trunktest.StatusError](err); !ok || se.Code != 503 {
		t.Errorf("second call over max_calls 1 = %v, want 503", err)
	}
	_ = d.Bye(ctx)
	waitFor(t, "slot released", 5*time.Second, func() bool { return tr.CarrierStatus("lo").ActiveCalls == 0 })
	d, err = sp.Call(ctx, tr.Addr(), "echo", rtp2.Offer())
	if err != nil {
		t.Fatalf("call after the slot was released: %v", err)
	}
	_ = d.Bye(ctx)
}
