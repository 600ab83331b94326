package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
)

// TestTrunkSRTP: with -trunk-srtp required, a caller offering RTP/SAVP
// with a=crypto (each suite) gets an RTP/SAVP answer with the gateway's
// key; its tone comes back through echo, decrypted and authenticated with
// that key. A plain offer gets 488.
func TestTrunkSRTP(t *testing.T) {
	g := startGateway(t, "-trunk-srtp", "required")
	for _, suite := range []string{"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"} {
		t.Run(suite, func(t *testing.T) {
			c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMU)}
			c.RTP.EnableSDES(suite)
			offer := c.RTP.Offer()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			d, err := c.SIP.Call(ctx, g.SIP, "echo", offer)
			if err != nil {
				t.Fatalf("SRTP call to echo: %v\noffer:\n%s", err, offer)
			}
			c.Dlg = d
			ans := string(d.AnswerSDP())
			if !strings.Contains(ans, " RTP/SAVP ") || !strings.Contains(ans, "a=crypto:1 "+suite+" inline:") {
				t.Fatalf("answer is not SRTP with %s:\n%s", suite, ans)
			}
			if err := c.RTP.SetAnswer(d.AnswerSDP()); err != nil {
				t.Fatal(err)
			}
			c.RTP.PlayTone(toneCaller1)
			hears(t, "caller (echo over SRTP)", c.classify, toneCaller1)
			waitFor(t, 5*time.Second, "50 packets decrypted with the gateway's key", func() bool {
				ok, _ := c.RTP.SRTPCounts()
				return ok >= 50
			})
			hears(t, "caller (echo over SRTP), a second later", c.classify, toneCaller1)
			if ok, failed := c.RTP.SRTPCounts(); failed != 0 {
				t.Errorf("caller decrypted %d packets with the gateway's key and %d failed; want none failed", ok, failed)
			}
			if err := d.Bye(ctx); err != nil {
				t.Errorf("bye: %v", err)
			}
		})
	}
	t.Run("plain offer", func(t *testing.T) {
		p := g.dialAsync(t, "echo", 0)
		if code := p.status(t); code != 488 {
			t.Errorf("plain offer to a required-SRTP trunk = %d, want 488", code)
		}
	})
}

// TestTrunkSRTPOff: by default (-trunk-srtp off) an RTP/SAVP offer gets 488
// and a plain one is answered.
func TestTrunkSRTPOff(t *testing.T) {
	g := startGateway(t)
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMU)}
	c.RTP.EnableSDES("AES_CM_128_HMAC_SHA1_80")
	iv, err := c.SIP.StartInvite(t.Context(), g.SIP, "echo", c.RTP.Offer())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = iv.Wait(ctx)
	if se, ok := err.(*trunktest.StatusError); !ok || se.Code != 488 {
		t.Errorf("SRTP offer with -trunk-srtp off = %v, want 488", err)
	}
	plain := g.dial(t, "echo", toneCaller2)
	hears(t, "plain caller", plain.classify, toneCaller2)
}
