package trunk_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/sipptest"
	"switchboard/signaling/trunk"
)

// TestSIPpDTMFInProcess plays SIPp's RFC 2833 pcap to an in-process trunk
// running Echo and checks the digits reach Call.OnDTMF.
func TestSIPpDTMFInProcess(t *testing.T) {
	var mu sync.Mutex
	var digits strings.Builder
	tr := startTrunk(t, trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		c.OnDTMF(func(d rune) { mu.Lock(); digits.WriteRune(d); mu.Unlock() })
		trunk.Echo(ctx, c)
	}))
	sipptest.Exec(t, sipptest.PcapDir(t), time.Minute, "-sn", "uac_pcap", "-s", "echo", "-m", "1", tr.Addr().String())
	mu.Lock()
	got := digits.String()
	mu.Unlock()
	if got == "" {
		t.Fatal("no DTMF digit received from the RFC 2833 pcap")
	}
	t.Logf("digits received: %q", got)
}

// TestSIPpDialEcho dials `sipp -sn uas -rtp_echo` through the trunk and
// checks the gateway's tone comes back.
func TestSIPpDialEcho(t *testing.T) {
	sipp := sipptest.Start(t, "", "-sn", "uas", "-rtp_echo", "-m", "1")
	sipp.WaitBound(t, 10*time.Second)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tr, pool := dialTrunk(t, "sip:127.0.0.1:"+strconv.Itoa(sipp.Port)+";transport=udp", "", "", 0)
	leg := openLeg(t, pool)
	audio := newLegAudio(t, leg, 440)
	start := time.Now()
	c, err := tr.Dial(ctx, "5551234", "", leg, nil)
	if err != nil {
		t.Fatalf("Dial sipp: %v", err)
	}
	t.Logf("INVITE to answered in %v", time.Since(start))
	waitFor(t, "the 440 Hz tone echoed by sipp", 5*time.Second, func() bool { return audio.heard(440) })
	if err := c.Hangup("done"); err != nil {
		t.Errorf("Hangup: %v", err)
	}
	sipp.Wait(t, time.Minute)
}
