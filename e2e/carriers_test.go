package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
	"switchboard/view"
	"switchboard/web/adminui/admintest"
	"switchboard/web/webtest"
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
	var out view.Call
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

// consolePage is the admin page in Chromium, logged in.
type consolePage struct {
	t   *testing.T
	ctx context.Context
}

func openConsole(t *testing.T, g *gateway, hash string) *consolePage {
	t.Helper()
	ctx := webtest.Browser(t)
	admintest.Login(t, ctx, g.HTTP+"/admin"+hash, g.Token)
	return &consolePage{t: t, ctx: ctx}
}

// wait polls a page expression, showing the trunks section on a timeout.
func (p *consolePage) wait(expr string, timeout time.Duration) {
	p.t.Helper()
	webtest.WaitTrue(p.t, p.ctx, expr, timeout, `document.querySelector('#section-trunks').innerText`)
}

// fillTrunk types a trunk into the Trunks form, as an admin does, and
// saves it: text fields by name, then the Register box when register.
func (p *consolePage) fillTrunk(fields map[string]string, register bool) {
	p.t.Helper()
	webtest.Click(p.t, p.ctx, "#trunk-new")
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		webtest.SetValue(p.t, p.ctx, fmt.Sprintf(`#trunk-form input[name=%s]`, k), fields[k])
	}
	if register {
		webtest.Click(p.t, p.ctx, `#trunk-form input[name=register]`)
	}
	webtest.Click(p.t, p.ctx, "#trunk-submit")
	p.wait(fmt.Sprintf(`!!document.querySelector('#trunks-table tr[data-trunk=%q]') && document.querySelector('#trunk-form [data-form=trunk]').textContent === ''`, fields["id"]), 10*time.Second)
}

// row returns the text of a trunk's table row.
func (p *consolePage) row(id string) string {
	p.t.Helper()
	return webtest.Eval[string](p.t, p.ctx, fmt.Sprintf(`document.querySelector('#trunks-table tr[data-trunk=%q]').innerText`, id))
}

// calls waits until a trunk's "Calls (active / in / out)" cell shows want.
func (p *consolePage) calls(id, want string) {
	p.t.Helper()
	p.wait(fmt.Sprintf(`(document.querySelector('#trunks-table tr[data-trunk=%q]').children[6] || {}).textContent === %q`, id, want), 10*time.Second)
}

// The "done when" (PROTOCOL §9), through the admin page against
// the binary: an admin types two carriers into the console's Trunks
// form, one IP-authenticated (allow 127.0.0.1/32) and one
// registration-based (username, password, Register). Then:
//   - the registrar sees REGISTER with digest (401, then 200) and the page
//     shows the trunk registered;
//   - a call from each carrier reaches the agent, with audio both ways;
//   - an agent's call goes out over the IP carrier with its caller ID;
//   - an agent's call that the IP carrier refuses with 503 fails over to
//     the registration-based carrier, which challenges it (407), gets it
//     again with Proxy-Authorization, answers, sees that carrier's caller
//     ID as From user, and the agent hears that carrier's phone.
//
// The gateway starts with -trunk-allow on another network, so before the
// console adds a trunk a call from 127.0.0.1 gets 403: the console's
// trunks are what open the door.
func TestConsoleCarriersBothWays(t *testing.T) {
	const (
		ipCID, regCID = "+4930111000", "+4930222000"
		toneIP        = toneCaller1
		toneReg       = toneCaller2
	)
	g := startGateway(t, "-trunk-allow", "10.255.255.0/24")
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	adm := g.admin(t)
	a := g.login(t, "a1", toneAgent)

	ipPhone := rtplegtest.NewPhone(t, media.PCMU)
	ipPhone.PlayTone(toneIP)
	ipCar := trunktest.NewUAS(t, trunktest.UASConfig{Answer: ipPhone.Answer, FinalFor: map[string]int{"5550503": 503}})
	regPhone := rtplegtest.NewPhone(t, media.PCMU)
	regPhone.PlayTone(toneReg)
	reg := trunktest.NewRegistrar(t, "udp", trunktest.RegistrarConfig{Realm: "carrier.test", Username: "acct7", Password: "s3cret", Expires: 60,
		Callee: &trunktest.UASConfig{Answer: regPhone.Answer, Realm: "carrier.test", Username: "acct7", Password: "s3cret", ProxyAuth: true}})

	// No trunk yet: the door is closed to 127.0.0.1.
	closed := trunktest.NewPhone(t, "udp")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	_, err := closed.Call(ctx, g.SIP, "5000", rtplegtest.NewPhone(t, media.PCMU).Offer())
	cancel()
	if se, ok := errors.AsType[*trunktest.StatusError](err); !ok || se.Code != 403 {
		t.Fatalf("call from 127.0.0.1 before any trunk: %v, want 403", err)
	}

	p := openConsole(t, g, "#trunks")
	p.fillTrunk(map[string]string{"id": "ipcarrier", "name": "IP carrier", "host": "127.0.0.1", "port": fmt.Sprint(ipCar.Addr().Port()),
		"allow": "127.0.0.1/32", "caller_id": ipCID, "priority": "1"}, false)
	p.wait(`document.querySelector('#trunks-table tr[data-trunk="ipcarrier"] [data-registration]').dataset.registration === 'disabled'`, 5*time.Second)

	// A call from the IP carrier reaches the agent.
	c := g.dial(t, "5000", toneIP)
	a.accept(t)
	talking(t, "IP carrier's call", c, toneIP, a)
	c.bye(t)
	a.WS.WaitNotification("call.ended", 10*time.Second)
	p.calls("ipcarrier", "0 / 1 / 0")

	p.fillTrunk(map[string]string{"id": "regcarrier", "name": "Registered carrier", "host": "127.0.0.1", "port": fmt.Sprint(reg.Addr().Port()),
		"username": "acct7", "password": "s3cret", "register_expires": "60", "caller_id": regCID, "priority": "2"}, true)
	var first trunktest.Registration
	select {
	case first = <-reg.Registered():
	case <-time.After(10 * time.Second):
		t.Fatalf("no registration accepted (REGISTER requests: %d)", reg.Requests())
	}
	if n := reg.Requests(); n < 2 {
		t.Errorf("registrar saw %d REGISTERs before accepting one, want the 401 round first (2)", n)
	}
	if first.Contact != "acct7" || first.Expires != 60 {
		t.Errorf("registration Contact user %q Expires %d, want acct7 and 60", first.Contact, first.Expires)
	}
	p.wait(`document.querySelector('#trunks-table tr[data-trunk="regcarrier"] [data-registration]').dataset.registration === 'registered'`, 10*time.Second)
	if row := p.row("regcarrier"); !containsAll(row, "registered until", regCID) {
		t.Errorf("regcarrier row %q: want the registration's expiry and the caller ID", row)
	}
	var stored map[string]any
	adm.MustCall("trunk.get", map[string]string{"id": "ipcarrier"}, &stored)
	if fmt.Sprint(stored["allow"]) != "[127.0.0.1/32]" || stored["caller_id"] != ipCID {
		t.Errorf("ipcarrier as stored: %v", stored)
	}

	// A call from the registration-based carrier to the registered Contact.
	rc := callFromRegistrar(t, reg, first, "5000", toneReg)
	a.accept(t)
	talking(t, "registered carrier's call", rc, toneReg, a)
	rc.bye(t)
	a.WS.WaitNotification("call.ended", 10*time.Second)
	p.calls("regcarrier", "0 / 1 / 0")

	// Out over the IP carrier (priority 1), From its caller ID.
	var out view.Call
	a.WS.MustCall("call.dial", map[string]string{"to": "4930123456"}, &out)
	hears(t, "agent (IP carrier's phone)", a.classify, toneIP)
	uc := answered(t, ipCar, "the IP carrier")
	if uc.From != ipCID || uc.Number != "4930123456" {
		t.Errorf("IP carrier got %q from %q, want 4930123456 from %s", uc.Number, uc.From, ipCID)
	}
	hears(t, "IP carrier's phone", ipPhone.Classify, toneAgent)
	p.calls("ipcarrier", "1 / 1 / 1")
	a.callOp(t, "call.hangup", out.ID)
	a.WS.WaitNotification("call.ended", 10*time.Second)
	waitFor(t, 10*time.Second, "the outbound call to end", func() bool { return len(g.agentCalls(t, "a1")) == 0 })

	// 503 from the IP carrier: failover to the registered carrier, whose
	// 407 is answered with digest credentials.
	callee := reg.Callee()
	a.WS.MustCall("call.dial", map[string]string{"to": "5550503"}, &out)
	hears(t, "agent (registered carrier's phone after the IP carrier's 503)", a.classify, toneReg)
	uc = answered(t, callee, "the registered carrier")
	if uc.From != regCID || uc.Number != "5550503" {
		t.Errorf("registered carrier got %q from %q, want 5550503 from %s", uc.Number, uc.From, regCID)
	}
	hears(t, "registered carrier's phone", regPhone.Classify, toneAgent)
	ipInv := ipCar.Invites()
	if last := ipInv[len(ipInv)-1]; last.Number != "5550503" || last.From != ipCID {
		t.Errorf("IP carrier's last INVITE %+v, want 5550503 from %s", last, ipCID)
	}
	want := []trunktest.InviteSeen{{Number: "5550503", From: regCID}, {Number: "5550503", From: regCID, Authorized: true}}
	if got := callee.Invites(); !slices.Equal(got, want) {
		t.Errorf("registered carrier's INVITEs %+v, want %+v (the 407, then with Proxy-Authorization)", got, want)
	}
	p.calls("regcarrier", "1 / 1 / 1")
	p.calls("ipcarrier", "0 / 1 / 1") // the 503 attempt counts no call out
	a.callOp(t, "call.hangup", out.ID)
	a.WS.WaitNotification("call.ended", 10*time.Second)
	p.calls("regcarrier", "0 / 1 / 1")
}

// callFromRegistrar has the registrar's carrier call number on the
// registered Contact r, sending toneHz once answered.
func callFromRegistrar(t *testing.T, reg *trunktest.Registrar, r trunktest.Registration, number string, toneHz float64) *caller {
	t.Helper()
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	d, err := reg.CallContact(ctx, r, number, rtp.Offer())
	if err != nil {
		t.Fatalf("carrier call to the registered Contact: %v", err)
	}
	if err := rtp.SetAnswer(d.AnswerSDP()); err != nil {
		t.Fatalf("carrier call to the registered Contact: answer SDP: %v", err)
	}
	rtp.PlayTone(toneHz)
	return &caller{SIP: reg.Phone, RTP: rtp, Dlg: d}
}

// answered waits for the next call a UAS answered.
func answered(t *testing.T, u *trunktest.UAS, who string) *trunktest.UASCall {
	t.Helper()
	select {
	case uc := <-u.Calls():
		return uc
	case <-time.After(10 * time.Second):
		t.Fatalf("%s answered no call", who)
		return nil
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
