package e2e

import (
	"testing"
	"time"
)

// The whole suite runs on the default browser leg, the lean engine
// (media/webrtcleg/lean). These tests keep the other engine, pion's
// PeerConnection (-webrtc-engine pion, media/webrtcleg), covered end to end:
// scenarios 1 and 2 again, with a check that the wanted engine answers.

// startEngineGateway starts a gateway with the given -webrtc-engine ("" for
// the default) and checks which engine it runs.
func startEngineGateway(t *testing.T, engine, want string) *gateway {
	t.Helper()
	var g *gateway
	if engine == "" {
		g = startGateway(t)
	} else {
		g = startGateway(t, "-webrtc-engine", engine)
	}
	waitFor(t, 5*time.Second, want+" engine in the gateway log", func() bool {
		return g.Logged(`"msg":"switchboard started"`, `"webrtc_engine":"`+want+`"`)
	})
	return g
}

func TestDefaultEngineIsLean(t *testing.T) {
	startEngineGateway(t, "", "lean")
}

func TestPionQueueCallToIdleAgent(t *testing.T) {
	g := startEngineGateway(t, "pion", "pion")
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

func TestPionSecondCallHoldsFirst(t *testing.T) {
	g := startEngineGateway(t, "pion", "pion")
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
