package e2e

import (
	"strconv"
	"testing"
	"time"

	"switchboard/internal/sipptest"
	"switchboard/view"
)

// startSIPpUAS runs SIPp's built-in uas scenario with RTP echo for calls
// calls on 127.0.0.1, the outbound trunk of the gateway under test, and
// waits until it is ready; the test is skipped if sipp is missing.
func startSIPpUAS(t *testing.T, calls int) *sipptest.Run {
	t.Helper()
	binary(t) // built before SIPp starts: its -timeout 60 runs from its start, and a cold -race build can take longer
	s := sipptest.Start(t, "", "-sn", "uas", "-rtp_echo", "-m", strconv.Itoa(calls))
	s.WaitBound(t, 10*time.Second)
	return s
}

// Scenario 9: an outbound call through -trunk to SIPp uas -rtp_echo: the
// agent hears its own tone back; with the agent on an inbound call, that
// call is held first (its caller hears music, not the agent).
func TestOutboundThroughTrunkSIPp(t *testing.T) {
	sipp := startSIPpUAS(t, 2)
	// -webrtc-port 0: the default shared port may be held by another gateway under test.
	g := startGateway(t, "-webrtc-port", "0", "-trunk", "sip:127.0.0.1:"+strconv.Itoa(sipp.Port)+";transport=udp")
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)

	// Alone: dial out and hear the echo of the agent's own tone.
	var out view.Call
	a.WS.MustCall("call.dial", map[string]string{"to": "5551234"}, &out)
	if out.Direction != "outbound" || out.Kind != "outbound" {
		t.Errorf("call.dial result direction %q kind %q, want outbound", out.Direction, out.Kind)
	}
	start := time.Now()
	hears(t, "agent (own tone echoed by sipp)", a.classify, toneAgent)
	t.Logf("call.dial to echoed tone heard: %v", time.Since(start))
	a.callOp(t, "call.hangup", out.ID)
	waitFor(t, 10*time.Second, "the outbound call to end", func() bool { return len(g.agentCalls(t, "a1")) == 0 })

	// On an inbound queue call: dialling out holds it.
	c := g.dial(t, "5000", toneCaller1)
	inbound := a.accept(t)
	hears(t, "caller", c.classify, toneAgent)
	hears(t, "agent", a.classify, toneCaller1)
	var out2 view.Call
	a.WS.MustCall("call.dial", map[string]string{"to": "5551234"}, &out2)
	hearsMusic(t, "held inbound caller", c.classify)
	neverHears(t, "held inbound caller", c.ratio, toneAgent, time.Second)
	hears(t, "agent (own tone echoed by sipp) while the inbound call is held", a.classify, toneAgent)
	if st := g.agentCalls(t, "a1"); st[inbound] != "held" || st[out2.ID] != "active" {
		t.Errorf("agent calls = %v, want %s held and %s active", st, inbound, out2.ID)
	}
	a.callOp(t, "call.hangup", out2.ID)
	sipp.Wait(t, 30*time.Second)
	c.bye(t)
}
