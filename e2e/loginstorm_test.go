package e2e

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/signaling/ws/wstest"
)

// A storm of wrong agent logins from 40 loopback addresses for 10 s does
// not starve a live call: password checks run at most NumCPU at once (the
// rest are refused busy, or unchecked once an address's budget is spent),
// so the echoed RTP keeps its 50 packets/s. Before, every parallel login
// ran bcrypt and a live call fell to 22-78 packets/s with 1.3 s gaps.
func TestLiveCallDuringLoginStorm(t *testing.T) {
	g := startGateway(t, "-max-ws-unauth", "1000")
	g.seed(t, nil, nil, map[string]string{"9999": "echo"})
	c := g.dial(t, "9999", 1000)
	waitFor(t, 5*time.Second, "echoed RTP", func() bool { return c.RTP.Packets() > 25 })

	const storm = 10 * time.Second
	var wg sync.WaitGroup
	var attempts, checked, busy atomic.Int64
	stop := time.Now().Add(storm)
	for i := range 200 {
		from := fmt.Sprintf("127.0.9.%d", 1+i%40)
		wg.Go(func() {
			for time.Now().Before(stop) {
				ws, err := wstest.DialFrom(t, "ws"+g.HTTP[len("http"):]+"/ws/agent", nil, from)
				if err != nil {
					continue
				}
				err = ws.Call(t.Context(), "login", map[string]string{"agent": "nobody", "password": "guess"}, nil)
				attempts.Add(1)
				switch e := wstest.RPCError(err); {
				case e == nil:
				case e.Reason == "wrong agent or password":
					checked.Add(1)
				case e.Reason == "busy":
					busy.Add(1)
				}
				ws.Close()
			}
		})
	}
	// Sample the call's received packets while the storm runs.
	var perSecond []int
	var maxGap time.Duration
	last, lastChange, secStart, secCount := c.RTP.Packets(), time.Now(), time.Now(), c.RTP.Packets()
	for time.Now().Before(stop) {
		time.Sleep(5 * time.Millisecond)
		now, n := time.Now(), c.RTP.Packets()
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
}
