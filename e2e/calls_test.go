package e2e

import (
	"context"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
	"switchboard/signaling/trunk/trunktest"
)

func (c *caller) classify(freq float64, d time.Duration) tone.Verdict { return c.RTP.Classify(freq, d) }
func (c *caller) ratio(freq float64, d time.Duration) float64 {
	return tone.Ratio(c.RTP.Recorded(d), freq)
}
func (c *caller) bye(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Dlg.Bye(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
}

func (a *agentClient) classify(freq float64, d time.Duration) tone.Verdict {
	return a.Br.Classify(freq, d)
}
func (a *agentClient) ratio(freq float64, d time.Duration) float64 { return a.Br.Ratio(freq, d) }

func (a *agentClient) callOp(t *testing.T, method, call string) {
	t.Helper()
	a.WS.MustCall(method, map[string]string{"call": call}, nil)
}

// oneQueue is the configuration most scenarios use: queue "sales" on 5000,
// IVR on 6000, and the given agents (all in sales).
func oneQueue(t *testing.T, g *gateway, queue map[string]any, agents ...agentSpec) {
	t.Helper()
	q := map[string]any{"id": "sales", "name": "Sales"}
	for k, v := range queue {
		q[k] = v
	}
	g.seed(t, []map[string]any{q}, agents, map[string]string{"5000": "queue:sales", "6000": "ivr:extension"})
}

// salesCall is how most call scenarios begin: agent a1 (1001, sending
// toneAgent) in oneQueue's sales (with more, not logged in), logged in,
// accepts a call to 5000 from a caller sending toneCaller1.
func salesCall(t *testing.T, g *gateway, more ...agentSpec) (a *agentClient, c *caller, call string) {
	t.Helper()
	oneQueue(t, g, nil, append([]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"sales"}}}, more...)...)
	a = g.login(t, "a1", toneAgent)
	c = g.dial(t, "5000", toneCaller1)
	return a, c, a.accept(t)
}

// Scenario 1: a queue call to an idle agent.
func TestQueueCallToIdleAgent(t *testing.T) {
	g := startGateway(t)
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

// Scenario 2: a direct call while on a queue call; swap.
func TestSecondCallHoldsFirst(t *testing.T) {
	g := startGateway(t)
	a, c1, call1 := salesCall(t, g)
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

// Scenario 3: a queue call waits for a free agent; with two agents it goes
// to the idle one.
func TestQueueCallOnlyToIdleAgent(t *testing.T) {
	g := startGateway(t)
	oneQueue(t, g, nil,
		agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}},
		agentSpec{ID: "a2", Ext: "1002", Queues: []string{"sales"}})
	a1 := g.login(t, "a1", toneAgent)
	p := g.dialAsync(t, "1001", toneCaller2)
	busyCall := a1.accept(t)
	p.wait(t)

	c := g.dial(t, "5000", toneCaller1)
	hearsMusic(t, "queued caller", c.classify)
	select {
	case n := <-a1.WS.Notifications:
		if n.Method == "reservation.created" {
			t.Fatalf("busy agent was offered a queue call: %s", n.Params)
		}
	case <-time.After(1500 * time.Millisecond):
	}
	a1.callOp(t, "call.hangup", busyCall)
	a1.accept(t)
	hears(t, "queued caller", c.classify, toneAgent)

	// Now a1 is busy: a second queue call goes to a2 when it logs in.
	a2 := g.login(t, "a2", toneAgent2)
	c2 := g.dial(t, "5000", toneCaller2)
	a2.accept(t)
	hears(t, "second queued caller", c2.classify, toneAgent2)
}

// Scenario 4: capacity 2 full: a third direct call gets 486; an IVR
// direct call gets the announcement and BYE (voicemail off: on, both go
// to voicemail, voicemail_test.go).
func TestCapacityFull(t *testing.T) {
	g := startGateway(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Capacity: 2, NoVoicemail: true})
	a := g.login(t, "a1", toneAgent)
	for i := range 2 {
		p := g.dialAsync(t, "1001", toneCaller1+float64(i)*400)
		a.accept(t)
		p.wait(t)
	}
	if code := g.dialAsync(t, "1001", 0).status(t); code != 486 {
		t.Fatalf("third direct call got %d, want 486", code)
	}
	c := g.dial(t, "6000", 0)
	hearsMusic(t, "IVR caller (prompt)", c.classify)
	if err := c.RTP.SendDTMF("1001"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Dlg.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("IVR call to a full agent was not ended with BYE")
	}
	if !g.Logged("call fallback", "busy") {
		t.Error("gateway did not log the busy fallback")
	}
}

// Scenario 6: mute and merge.
func TestMuteAndMerge(t *testing.T) {
	g := startGateway(t)
	a, c1, call1 := salesCall(t, g)
	hears(t, "caller 1", c1.classify, toneAgent)

	a.callOp(t, "call.mute", call1)
	hearsSilence(t, "muted caller", c1.classify)
	hears(t, "agent while muted", a.classify, toneCaller1)
	a.callOp(t, "call.unmute", call1)
	hears(t, "unmuted caller", c1.classify, toneAgent)

	p2 := g.dialAsync(t, "1001", toneCaller2)
	call2 := a.accept(t)
	c2 := p2.wait(t)
	hears(t, "caller 2", c2.classify, toneAgent)
	a.WS.MustCall("call.merge", map[string]any{"calls": []string{call1, call2}}, nil)
	both := func(who string, r func(float64, time.Duration) float64, f1, f2 float64) {
		waitFor(t, 8*time.Second, who+" to hear both others", func() bool {
			return r(f1, 300*time.Millisecond) > 0.2 && r(f2, 300*time.Millisecond) > 0.2
		})
	}
	both("caller 1", c1.ratio, toneAgent, toneCaller2)
	both("caller 2", c2.ratio, toneAgent, toneCaller1)
	both("agent", a.ratio, toneCaller1, toneCaller2)
}

// Scenario 7: the held caller hangs up; only that leg ends.
func TestHeldCallerHangsUp(t *testing.T) {
	g := startGateway(t)
	a, c1, _ := salesCall(t, g)
	p2 := g.dialAsync(t, "1001", toneCaller2)
	a.accept(t)
	c2 := p2.wait(t)
	hears(t, "caller 2", c2.classify, toneAgent)
	hearsMusic(t, "held caller 1", c1.classify)
	c1.bye(t)
	a.WS.WaitNotification("call.ended", 5*time.Second)
	hears(t, "caller 2 after the held call ended", c2.classify, toneAgent)
	hears(t, "agent after the held call ended", a.classify, toneCaller2)
}

// A carrier's INVITE without SDP (late offer) to an agent's extension: 180
// while offered, the gateway's offer in the 200 on accept, the caller's
// answer in the ACK, then audio both ways.
func TestLateOfferDirectCall(t *testing.T) {
	g := startGateway(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001"})
	a := g.login(t, "a1", toneAgent)
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMA)}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	iv, err := c.SIP.StartInvite(ctx, g.SIP, "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		d, err := iv.WaitLateOffer(ctx, func(offer []byte) []byte {
			ans, err := c.RTP.Answer(offer)
			if err != nil {
				t.Errorf("caller cannot answer the gateway's offer: %v", err)
			}
			return ans
		})
		c.Dlg = d
		answered <- err
	}()
	a.accept(t)
	if err := <-answered; err != nil {
		t.Fatalf("late-offer call not answered: %v", err)
	}
	c.RTP.PlayTone(toneCaller1)
	hears(t, "late-offer caller", c.classify, toneAgent)
	hears(t, "agent", a.classify, toneCaller1)
	c.bye(t)
	a.WS.WaitNotification("call.ended", 5*time.Second)
}
