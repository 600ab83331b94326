package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
	"switchboard/signaling/ws/wstest"
)

// A storm of wrong agent logins by 200 sockets from 40 loopback addresses for 10 s does
// not starve a live call on the (non-race) binary: password checks run at
// most NumCPU at once (the rest are refused busy, or unchecked once a
// budget is spent), so the echoed RTP keeps its 50 packets/s. Before,
// every parallel login ran bcrypt at once and a live call fell to 0-78
// packets/s with gaps of seconds.
//
// It measures a packet rate, so it needs the machine to itself: it runs only
// with SWITCHBOARD_QUIET_MACHINE=1, which .ci/run sets in a step of its own
// after the main suite.
func TestBinaryLiveCallDuringLoginStorm(t *testing.T) {
	if os.Getenv("SWITCHBOARD_QUIET_MACHINE") == "" {
		t.Skip("rate measurement: runs alone in .ci/run's quiet step (SWITCHBOARD_QUIET_MACHINE=1)")
	}
	g := startGateway(t, 50000, "-max-ws-unauth", "1000")
	sipPhone, rtpPhone := trunktest.NewPhone(t, "udp"), rtplegtest.NewPhone(t, media.PCMU)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dlg, err := sipPhone.Call(ctx, netip.MustParseAddrPort(fmt.Sprintf("127.0.0.1:%d", g.sipPort)), "echo", rtpPhone.Offer())
	if err != nil {
		t.Fatalf("echo call: %v", err)
	}
	if err := rtpPhone.SetAnswer(dlg.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	rtpPhone.PlayTone(1000)
	deadline := time.Now().Add(5 * time.Second)
	for rtpPhone.Packets() < 25 {
		if time.Now().After(deadline) {
			t.Fatal("no echoed RTP")
		}
		time.Sleep(10 * time.Millisecond)
	}

	const storm = 10 * time.Second
	var wg sync.WaitGroup
	var attempts, checked, busy atomic.Int64
	stop := time.Now().Add(storm)
	// 200 attackers (the 200 parallel sockets), 5 per address:
	// each retries at once after a wrong answer and after 100 ms when
	// refused, so every CPU is kept checking a password (bcrypt) for the
	// whole storm.
	for i := range 200 {
		from := fmt.Sprintf("127.0.9.%d", 1+i%40)
		wg.Go(func() {
			n := 0
			for time.Now().Before(stop) {
				ws, err := wstest.DialFrom(t, "ws://"+g.httpAddr+"/ws/agent", nil, from)
				if err != nil {
					continue
				}
				n++
				err = ws.Call(t.Context(), "login", map[string]string{"agent": fmt.Sprintf("nobody%d-%d", i, n/10), "password": "guess"}, nil)
				ws.Close()
				attempts.Add(1)
				switch e := wstest.RPCError(err); {
				case e != nil && e.Reason == "wrong agent or password":
					checked.Add(1)
				case e != nil && e.Reason == "busy":
					busy.Add(1)
					time.Sleep(100 * time.Millisecond) // the attacker's back-off, not a wait for a condition
				default: // a budget is spent
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	// Sample the call's received packets while the storm runs.
	var perSecond []int
	var maxGap time.Duration
	last, lastChange, secStart, secCount := rtpPhone.Packets(), time.Now(), time.Now(), rtpPhone.Packets()
	for time.Now().Before(stop) {
		time.Sleep(5 * time.Millisecond)
		now, n := time.Now(), rtpPhone.Packets()
		if n != last {
			maxGap = max(maxGap, now.Sub(lastChange))
			last, lastChange = n, now
		}
		if now.Sub(secStart) >= time.Second {
			perSecond = append(perSecond, n-secCount)
			secStart, secCount = now, n
		}
	}
	wg.Wait()
	t.Logf("login storm: %d attempts in %v (%d passwords checked, %d refused busy, the rest over budget); live call received %v packets per second (min %d), longest gap %v",
		attempts.Load(), storm, checked.Load(), busy.Load(), perSecond, slices.Min(perSecond), maxGap.Round(time.Millisecond))
	if maxGap > time.Second {
		t.Errorf("the live call had a %v gap in its RTP during the login storm", maxGap)
	}
	if m := slices.Min(perSecond); m < 25 {
		t.Errorf("the live call fell to %d packets/s during the login storm (50 sent)", m)
	}
	_ = dlg.Bye(t.Context())
}
