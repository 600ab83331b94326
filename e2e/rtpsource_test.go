package e2e

import (
	"bufio"
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
)

// metric returns the value of one sample on /metrics (name with its
// labels, e.g. `switchboard_rtp_dropped_total{reason="source"}`), or -1.
func (g *gateway) metric(t *testing.T, sample string) float64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", g.HTTP+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", sample, err)
			}
			return f
		}
	}
	return -1
}

// PROTOCOL §14 "RTP source": an attacker sprays in-sequence RTP from
// 127.0.0.5 at the call's RTP port while the real caller sends from its SDP
// address. The agent keeps hearing the caller and never the spray, the
// gateway sends nothing to the sprayer, and the drops are counted.
func TestRTPSprayFromOtherHost(t *testing.T) {
	g := startGW(t)
	a, c, _ := salesCall(t, g)
	hears(t, "agent", a.classify, toneCaller1)

	spray := rtplegtest.NewPhoneAt(t, media.PCMU, netip.MustParseAddr("127.0.0.5"))
	spray.SetRemote(c.RTP.Remote())
	spray.PlayTone(toneCaller2)
	neverHears(t, "agent", a.ratio, toneCaller2, 3*time.Second)
	hears(t, "agent, during the spray", a.classify, toneCaller1)
	hears(t, "caller, during the spray", c.classify, toneAgent)
	if n := spray.Packets(); n != 0 {
		t.Errorf("the gateway sent %d packets to the sprayer", n)
	}
	waitFor(t, 5*time.Second, "rtp_dropped_total{reason=source} >= 100", func() bool {
		return g.metric(t, `switchboard_rtp_dropped_total{reason="source"}`) >= 100
	})
	c.bye(t)
}

// PROTOCOL §14 "RTP source": a caller behind NAT sends RTP from a port
// other than the one in its SDP. With -rtp-timeout 5s the call stays up for
// 10 s and audio flows both ways (the leg latches onto the real source).
// On the old main the packets were dropped and the call ended at 5 s as
// "rtp timeout".
func TestRTPFromNATPort(t *testing.T) {
	g := startGW(t, "-rtp-timeout", "5s")
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	ph := rtplegtest.NewPhone(t, media.PCMU)
	mapped := rtplegtest.NewPhone(t, media.PCMU) // the port the SDP names: silent
	ph.Advertise(mapped.Addr())
	c := g.dialFrom(t, "5000", toneCaller1, ph)
	a.accept(t)
	talking(t, "NATed caller", c, toneCaller1, a)
	select {
	case <-c.Dlg.Done():
		t.Fatal("the gateway ended the NATed call")
	case <-time.After(10 * time.Second):
	}
	talking(t, "NATed caller after 10 s", c, toneCaller1, a)
	c.bye(t)
}

// PROTOCOL §14: a re-INVITE with c=0.0.0.0 (RFC 2543 hold) is answered in
// kind (recvonly) and suspends the RTP timeout: with -rtp-timeout 5s and a
// silent holder the call is still up after 8 s, and resumes.
func TestOldStyleHoldKeepsCall(t *testing.T) {
	g := startGW(t, "-rtp-timeout", "5s")
	a, c, _ := salesCall(t, g)
	talking(t, "before hold", c, toneCaller1, a)
	c.RTP.Silence()
	c.RTP.Advertise(netip.AddrPortFrom(netip.IPv4Unspecified(), c.RTP.Addr().Port()))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	code, ans, err := c.Dlg.ReInvite(ctx, c.RTP.Offer())
	if err != nil || code != 200 {
		t.Fatalf("hold re-INVITE: %d %v", code, err)
	}
	if !strings.Contains(string(ans), "a=recvonly") {
		t.Fatalf("hold answered without a=recvonly:\n%s", ans)
	}
	select {
	case <-c.Dlg.Done():
		t.Fatal("the gateway ended the held call")
	case <-time.After(8 * time.Second):
	}
	c.RTP.Advertise(c.RTP.Addr())
	code, _, err = c.Dlg.ReInvite(ctx, c.RTP.Offer())
	if err != nil || code != 200 {
		t.Fatalf("resume re-INVITE: %d %v", code, err)
	}
	c.RTP.PlayTone(toneCaller1)
	talking(t, "after resume", c, toneCaller1, a)
	c.bye(t)
}
