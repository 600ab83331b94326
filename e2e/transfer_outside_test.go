package e2e

import (
	"strconv"
	"testing"
	"time"
)

// A blind transfer to an outside number: the gateway dials it through
// -trunk (SIPp uas -rtp_echo) and bridges the caller to it; the agent leaves
// at once. The caller then hears its own tone, echoed by the far end, and
// no longer the agent.
func TestBlindTransferToOutsideNumber(t *testing.T) {
	sipp := startSIPpUAS(t, 1)
	g := startGateway(t, "-trunk", "sip:127.0.0.1:"+strconv.Itoa(sipp.Port)+";transport=udp")
	a, c, call := salesCall(t, g)
	hears(t, "caller", c.classify, toneAgent)

	a.WS.MustCall("call.transfer", map[string]string{"call": call, "to": "5551234", "mode": "blind"}, nil)
	a.WS.WaitNotification("call.ended", 5*time.Second)
	hears(t, "caller (own tone echoed by the outside party)", c.classify, toneCaller1)
	neverHears(t, "transferred caller", c.ratio, toneAgent, time.Second)
	if st := g.agentCalls(t, "a1"); len(st) != 0 {
		t.Errorf("agent still has calls %v after a blind transfer", st)
	}
	// The caller hangs up: the gateway ends the outside leg too (SIPp
	// completes its one call only when it gets the BYE).
	c.bye(t)
	sipp.Wait(t, 30*time.Second)
}
