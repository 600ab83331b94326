package trunk_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"switchboard/internal/repotest"
	"switchboard/internal/sipptest"
	"switchboard/media/rtpleg"
	"switchboard/signaling/trunk"
)

// extRoutes is routes plus "ring100rel": 180 (reliable when the INVITE
// requires it), then the echo answer. Each call's end is reported on ended.
type extRoutes struct {
	mu    sync.Mutex
	ended []endedCall
}

type endedCall struct {
	number, reason string
	answered, at   time.Time
}

func (r *extRoutes) HandleCall(ctx context.Context, c *trunk.Call) {
	var answered time.Time
	if c.Number() == "ring100rel" {
		if err := c.Ringing(); err != nil {
			_ = c.Reject(500, "ringing failed")
			return
		}
	}
	leg := c.Leg()
	leg.Start(leg)
	if err := c.Answer(ctx); err != nil {
		return
	}
	answered = time.Now()
	<-c.Done()
	r.mu.Lock()
	r.ended = append(r.ended, endedCall{c.Number(), c.EndReason(), answered, time.Now()})
	r.mu.Unlock()
}

func (r *extRoutes) last() (endedCall, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ended) == 0 {
		return endedCall{}, false
	}
	return r.ended[len(r.ended)-1], true
}

// waitEnded waits for a call to end and returns the last that ended.
func (r *extRoutes) waitEnded(t *testing.T) endedCall {
	t.Helper()
	waitFor(t, "call to end", 5*time.Second, func() bool { _, ok := r.last(); return ok })
	e, _ := r.last()
	return e
}

// runScenario runs testdata/sipp/<name> against tr for number and fails
// the test when SIPp reports a failed call.
func runScenario(t *testing.T, tr *trunk.Trunk, name, number string, timeout time.Duration) {
	t.Helper()
	// Own SIP and media ports (Start's): scenarios run in parallel, and
	// SIPp's default media port (6000) would be shared.
	sipptest.Exec(t, "", timeout, "-sf", repotest.Testdata(t, "sipp/"+name), "-s", number, "-m", "1",
		"-trace_msg", "-timeout", strconv.Itoa(int(timeout/time.Second)), tr.Addr().String())
}

// runToBye runs testdata/sipp/<name> for number against a trunk of its
// own and fails the test unless the call then ends by the UAC's BYE.
func runToBye(t *testing.T, name, number string) {
	t.Helper()
	r := &extRoutes{}
	tr := startTrunk(t, r)
	runScenario(t, tr, name, number, 30*time.Second)
	if e := r.waitEnded(t); e.reason != trunk.ReasonRemoteHangup {
		t.Errorf("call ended with %q, want the UAC's BYE", e.reason)
	}
}

func TestSIPpUpdateWithAndWithoutSDP(t *testing.T) {
	t.Parallel()
	runToBye(t, "update.xml", "echo")
}

func TestSIPpSessionExpiresTooSmall(t *testing.T) {
	t.Parallel()
	tr := startTrunk(t, &extRoutes{})
	runScenario(t, tr, "session_expires_30.xml", "echo", 20*time.Second)
}

func TestSIPpPRACK(t *testing.T) {
	t.Parallel()
	// The call was answered (the ACK after the PRACK confirmed it) and
	// ended by the UAC's BYE.
	runToBye(t, "prack.xml", "ring100rel")
}

// quietTrunk runs a trunk with handler r for scenarios that send no RTP:
// its RTP timeout (10 min) must not end their calls first.
func quietTrunk(t *testing.T, r *extRoutes) *trunk.Trunk {
	t.Helper()
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 40000, PortMax: 49999, Timeout: 10 * time.Minute, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return runTrunk(t, trunk.Config{Listen: "127.0.0.1:0", Media: pool, Handler: r, Logger: testLogger(t)})
}

func TestSIPpSessionExpiresWithoutRefreshEndsWithBye(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 90 s (the session interval)")
	}
	t.Parallel()
	r := &extRoutes{}
	tr := quietTrunk(t, r)
	runScenario(t, tr, "session_expires_90.xml", "echo", 150*time.Second)
	e := r.waitEnded(t)
	d := e.at.Sub(e.answered)
	if e.reason != trunk.ReasonSessionExpired || d < 89*time.Second || d > 93*time.Second {
		t.Errorf("call ended after %v with %q, want a BYE for %q at about 90 s", d, e.reason, trunk.ReasonSessionExpired)
	}
	t.Logf("BYE %v after the answer", d)
}

// We refresh (refresher=uas): with UPDATE, or with a re-INVITE when the
// UAC's Allow has no UPDATE. Each scenario checks the method and answers
// it, then hangs up.
func TestSIPpSessionRefresherUAS(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 45 s (half the session interval)")
	}
	t.Parallel()
	for _, sc := range []string{"session_refresher_uas.xml", "session_refresher_reinvite.xml"} {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			r := &extRoutes{}
			tr := quietTrunk(t, r)
			runScenario(t, tr, sc, "echo", 120*time.Second)
			e := r.waitEnded(t)
			// The UAC hangs up right after answering our refresh.
			if d := e.at.Sub(e.answered); e.reason != trunk.ReasonRemoteHangup || d < 44*time.Second || d > 47*time.Second {
				t.Errorf("call ended after %v with %q, want the UAC's BYE right after our refresh at about 45 s", d, e.reason)
			} else {
				t.Logf("refresh answered and BYE %v after the answer", d)
			}
		})
	}
}
