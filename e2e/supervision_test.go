package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/media/tone"
	"switchboard/signaling/ws/wstest"
)

// mixIn waits until freq is a share above 0.2 of what ratio hears (a
// party hearing a mix of two or three tones gets each at about 1/n).
func mixIn(t *testing.T, who string, ratio func(freq float64, d time.Duration) float64, freq float64) {
	t.Helper()
	waitFor(t, 8*time.Second, fmt.Sprintf("%s to hear %v Hz in its mix", who, freq), func() bool {
		return ratio(freq, 300*time.Millisecond) > 0.2
	})
}

// PROTOCOL §12 supervision against the binary, audio checked for all three
// parties (caller 700 Hz over SIP/RTP, agent 1500 Hz and supervisor
// 1900 Hz over their browser legs) in listen, whisper and barge, switched
// on the fly, then stop; an agent that is not a supervisor is refused.
func TestSupervisionEndToEnd(t *testing.T) {
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}}, agentSpec{ID: "a2", Ext: "1002"})
	adm := g.admin(t)
	adm.MustCall("agent.put", map[string]any{"id": "s1", "name": "Sue", "extension": "1009", "password": "pw-s1", "queues": []string{}, "role": "supervisor"}, nil)
	a := g.login(t, "a1", toneAgent)
	other := g.login(t, "a2", toneCaller2)
	sup := g.login(t, "s1", toneAgent2)

	c := g.dial(t, "5000", toneCaller1)
	call := a.accept(t)
	talking(t, "monitored call", c, toneCaller1, a)
	callerRatio := func(f float64, d time.Duration) float64 { return tone.Ratio(c.RTP.Recorded(d), f) }

	err := other.WS.Call(t.Context(), "call.monitor", map[string]string{"call": call, "mode": "listen"}, nil)
	if e := wstest.RPCError(err); e == nil || e.Code != -32003 || !strings.Contains(e.Reason, "only a supervisor") {
		t.Errorf("a non-supervisor's call.monitor = %v, want -32003", err)
	}

	for _, mode := range []string{"listen", "whisper", "barge"} {
		var res struct{ Call, Mode string }
		sup.WS.MustCall("call.monitor", map[string]string{"call": call, "mode": mode}, &res)
		if res.Mode != mode || res.Call != call {
			t.Fatalf("call.monitor %s = %+v", mode, res)
		}
		// Every mode: the supervisor hears the caller and the agent, not
		// itself; the agent hears the caller; the caller hears the agent.
		mixIn(t, mode+": supervisor", sup.Br.Ratio, toneCaller1)
		mixIn(t, mode+": supervisor", sup.Br.Ratio, toneAgent)
		mixIn(t, mode+": agent", a.Br.Ratio, toneCaller1)
		mixIn(t, mode+": caller", callerRatio, toneAgent)
		switch mode {
		case "listen":
			neverHears(t, "listen: agent", a.Br.Ratio, toneAgent2, time.Second)
			neverHears(t, "listen: caller", callerRatio, toneAgent2, time.Second)
		case "whisper":
			mixIn(t, "whisper: agent", a.Br.Ratio, toneAgent2)
			neverHears(t, "whisper: caller", callerRatio, toneAgent2, time.Second)
		case "barge":
			mixIn(t, "barge: agent", a.Br.Ratio, toneAgent2)
			mixIn(t, "barge: caller", callerRatio, toneAgent2)
		}
		neverHears(t, mode+": supervisor (itself)", sup.Br.Ratio, toneAgent2, time.Second)
		neverHears(t, mode+": agent (itself)", a.Br.Ratio, toneAgent, time.Second)
		neverHears(t, mode+": caller (itself)", callerRatio, toneCaller1, time.Second)
		t.Logf("%s: supervisor %.2f caller / %.2f agent; agent %.2f caller / %.2f supervisor; caller %.2f agent / %.2f supervisor", mode,
			sup.Br.Ratio(toneCaller1, 300*time.Millisecond), sup.Br.Ratio(toneAgent, 300*time.Millisecond),
			a.Br.Ratio(toneCaller1, 300*time.Millisecond), a.Br.Ratio(toneAgent2, 300*time.Millisecond),
			callerRatio(toneAgent, 300*time.Millisecond), callerRatio(toneAgent2, 300*time.Millisecond))
	}

	sup.WS.MustCall("call.monitor.stop", map[string]string{"call": call}, nil)
	// The mix ends once the stop reaches the switch (what was already in
	// flight may still carry it); from then on nobody hears the supervisor.
	waitFor(t, 5*time.Second, "the agent and the caller to stop hearing the supervisor", func() bool {
		return a.Br.Ratio(toneAgent2, 200*time.Millisecond) < 0.05 && callerRatio(toneAgent2, 200*time.Millisecond) < 0.05
	})
	hears(t, "agent after stop", a.Br.Classify, toneCaller1)
	hears(t, "caller after stop", c.RTP.Classify, toneAgent)
	neverHears(t, "agent after stop", a.Br.Ratio, toneAgent2, time.Second)
	neverHears(t, "caller after stop", callerRatio, toneAgent2, time.Second)
	waitFor(t, 5*time.Second, "the supervisor to stop hearing the call", func() bool {
		return sup.Br.Ratio(toneCaller1, 300*time.Millisecond) < 0.2 && sup.Br.Ratio(toneAgent, 300*time.Millisecond) < 0.2
	})
	c.bye(t)
}
