package e2e

import (
	"testing"
	"time"
)

// The lean browser leg (media/webrtcleg/lean, -webrtc-engine lean) in the
// full gateway: scenarios 1 and 2 again, plus a check that the lean engine
// is the one answering. The whole suite also runs on it with
// SWITCHBOARD_WEBRTC_ENGINE=lean in the environment (the gateway reads every
// flag from SWITCHBOARD_*).

func startLeanGateway(t *testing.T) *gateway {
	t.Helper()
	g := startGateway(t, "-webrtc-engine", "lean")
	waitFor(t, 5*time.Second, "lean engine in the gateway log", func() bool {
		return g.Logged(`"msg":"webrtc engine listening"`, `"engine":"lean"`)
	})
	return g
}

func TestLeanQueueCallToIdleAgent(t *testing.T) {
	g := startLeanGateway(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	c := g.dial(t, "5000", toneCaller1)
	hearsMusic(t, "caller waiting in queue", c.classify)
	a.accept(t)
	hears(t, "caller", c.classify, toneAgent)
	hears(t, "agent", a.classify, toneCaller1)
	c.bye(t)
	a.WS.WaitNotification("call.ended", 5*time.Second)
}

func TestLeanSecondCallHoldsFirst(t *testing.T) {
	g := startLeanGateway(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	c1 := g.dial(t, "5000", toneCaller1)
	call1 := a.accept(t)
	hears(t, "caller 1", c1.classify, toneAgent)

	p2 := g.dialAsync(t, "1001", toneCaller2)
	a.accept(t)
	c2 := p2.wait(t)
	hears(t, "caller 2", c2.classify, toneAgent)
	hears(t, "agent", a.classify, toneCaller2)
	hearsMusic(t, "held caller 1", c1.classify)
	neverHears(t, "held caller 1", c1.ratio, toneAgent, time.Second)

	a.callOp(t, "call.resume", call1)
	hears(t, "caller 1 after swap", c1.classify, toneAgent)
	hears(t, "agent after swap", a.classify, toneCaller1)
	hearsMusic(t, "held caller 2", c2.classify)
	neverHears(t, "held caller 2", c2.ratio, toneAgent, time.Second)
}
