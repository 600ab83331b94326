package e2e

import (
	"strings"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
)

// PROTOCOL §9, the "done when": an admin adds two carriers in the
// console, one IP-authenticated and one registration-based. An outbound
// call fails over from carrier A (503) to carrier B, the agent hears B's
// tone, and B sees the agent's caller ID as From user; a 486 from the
// first carrier is final; the registration-based carrier registers (401,
// then 200) and its call to the registered Contact reaches the agent.
func TestCarriersFailoverCallerIDAndRegistration(t *testing.T) {
	const toneB = 1100.0
	phoneB := rtplegtest.NewPhone(t, media.PCMU)
	phoneB.PlayTone(toneB)
	carrierA := trunktest.NewUAS(t, trunktest.UASConfig{Final: 503})
	carrierB := trunktest.NewUAS(t, trunktest.UASConfig{Provisional: []int{180}, Answer: phoneB.Answer})
	busy := trunktest.NewUAS(t, trunktest.UASConfig{Final: 486})
	neverB := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phoneB.Answer})
	reg := trunktest.NewRegistrar(t, "udp", trunktest.RegistrarConfig{Realm: "carrier.test", Username: "acct7", Password: "s3cret", Expires: 60})

	g := startGateway(t, "-trunk-allow", "10.255.255.0/24") // only trunks open the door to 127.0.0.1
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	adm := g.admin(t)
	adm.MustCall("agent.put", map[string]any{"id": "a1", "caller_id": "+4930111"}, nil)
	port := func(u *trunktest.UAS) int { return int(u.Addr().Port()) }
	adm.MustCall("trunk.put", map[string]any{"id": "a", "host": "127.0.0.1", "port": port(carrierA), "priority": 1, "prefixes": []string{"555"}}, nil)
	adm.MustCall("trunk.put", map[string]any{"id": "b", "host": "127.0.0.1", "port": port(carrierB), "priority": 2, "prefixes": []string{"555"}}, nil)
	adm.MustCall("trunk.put", map[string]any{"id": "busy", "host": "127.0.0.1", "port": port(busy), "priority": 1, "prefixes": []string{"666"}}, nil)
	adm.MustCall("trunk.put", map[string]any{"id": "never", "host": "127.0.0.1", "port": port(neverB), "priority": 2, "prefixes": []string{"666"}}, nil)
	adm.MustCall("trunk.put", map[string]any{"id": "reg", "host": "127.0.0.1", "port": int(reg.Addr().Port()), "username": "acct7", "password": "s3cret",
		"register": true, "prefixes": []string{"999"}}, nil)

	a := g.login(t, "a1", toneAgent)
	var out callView
	a.WS.MustCall("call.dial", map[string]string{"to": "5551234"}, &out)
	hears(t, "agent (carrier B's tone after A's 503)", a.classify, toneB)
	var uc *trunktest.UASCall
	select {
	case uc = <-carrierB.Calls():
	case <-time.After(5 * time.Second):
		t.Fatal("carrier B saw no answered call")
	}
	if uc.From != "+4930111" || uc.Number != "5551234" {
		t.Errorf("carrier B got number %q from %q, want 5551234 from the agent's caller ID +4930111", uc.Number, uc.From)
	}
	if carrierA.Count("INVITE") != 1 {
		t.Errorf("carrier A got %d INVITEs, want 1", carrierA.Count("INVITE"))
	}
	var tb map[string]any
	adm.MustCall("trunk.get", map[string]string{"id": "b"}, &tb)
	if st := tb["status"].(map[string]any); st["calls_out"] != 1.0 || st["active_calls"] != 1.0 {
		t.Errorf("trunk b status %v, want 1 call out, 1 active", st)
	}
	a.callOp(t, "call.hangup", out.ID)
	a.WS.WaitNotification("call.ended", 10*time.Second) // the first call's
	waitFor(t, 10*time.Second, "the outbound call to end", func() bool { return len(g.agentCalls(t, "a1")) == 0 })

	// A 486 from the first carrier is final: the second never sees the call.
	a.WS.MustCall("call.dial", map[string]string{"to": "6661234"}, &out)
	n := a.WS.WaitNotification("call.ended", 10*time.Second)
	if !strings.Contains(string(n.Params), "486") {
		t.Errorf("call.ended %s, want the 486", n.Params)
	}
	if neverB.Count("INVITE") != 0 {
		t.Errorf("the second carrier got %d INVITEs after a 486", neverB.Count("INVITE"))
	}

	// The registration-based carrier: registered, and its call reaches the queue.
	var first trunktest.Registration
	select {
	case first = <-reg.Registered():
	case <-time.After(10 * time.Second):
		t.Fatalf("no registration (REGISTER requests: %d)", reg.Requests())
	}
	waitFor(t, 5*time.Second, "trunk reg registered", func() bool {
		var tr map[string]any
		adm.MustCall("trunk.get", map[string]string{"id": "reg"}, &tr)
		st := tr["status"].(map[string]any)
		return st["registration"] == "registered" && st["registered_until"] != nil
	})
	if v := g.metric(t, `switchboard_trunk_registered{trunk="reg"}`); v != 1 {
		t.Errorf("switchboard_trunk_registered{trunk=\"reg\"} = %v, want 1", v)
	}
	rc := callFromRegistrar(t, reg, first, "5000", toneCaller1)
	a.accept(t)
	talking(t, "the registered carrier's call", rc, toneCaller1, a)
	rc.bye(t)
}
