package trunk_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk"
	"switchboard/signaling/trunk/trunktest"
)

// regEvents collects OnRegistration callbacks.
type regEvents struct {
	mu  sync.Mutex
	got []string // "carrier state error"
}

func (e *regEvents) fn(id, state, errText string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, strings.TrimSpace(id+" "+state+" "+errText))
}

func (e *regEvents) has(prefix string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.got {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestRegisterDigestRefreshAndInboundOnContact(t *testing.T) {
	reg := trunktest.NewRegistrar(t, "udp", trunktest.RegistrarConfig{Realm: "carrier.test", Username: "acct1", Password: "pw1", Expires: 20})
	var ev regEvents
	numbers := make(chan string, 1)
	handler := trunk.HandlerFunc(func(ctx context.Context, c *trunk.Call) {
		numbers <- c.Number()
		trunk.Echo(ctx, c)
	})
	tr, _ := carrierTrunk(t, func(c *trunk.Config) {
		c.OnRegistration = ev.fn
		c.Handler = handler
		c.Allow = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} // the registrar is admitted only as a registered carrier
	})
	tr.SetCarrier(trunk.Carrier{ID: "reg", Host: "127.0.0.1", Port: int(reg.Addr().Port()), Username: "acct1", Password: "pw1", Register: true})

	var first trunktest.Registration
	select {
	case first = <-reg.Registered():
	case <-time.After(10 * time.Second):
		t.Fatalf("no accepted REGISTER (requests %d)", reg.Requests())
	}
	if n := reg.Requests(); n != 2 {
		t.Errorf("REGISTER requests before the first 200 = %d, want 2 (401 then 200)", n)
	}
	if first.Contact != "acct1" || first.Addr != tr.Addr() {
		t.Errorf("registered Contact %s@%s, want acct1@%s", first.Contact, first.Addr, tr.Addr())
	}
	waitFor(t, "status registered", 5*time.Second, func() bool { return tr.CarrierStatus("reg").Registration == trunk.RegRegistered })
	st := tr.CarrierStatus("reg")
	if d := time.Until(st.RegisteredUntil); d < 15*time.Second || d > 21*time.Second {
		t.Errorf("RegisteredUntil in %v, want about 20 s (the granted Expires)", d)
	}
	if !ev.has("reg registering") || !ev.has("reg registered") {
		t.Errorf("events %v, want registering then registered", ev.got)
	}
	if m := tr.Registered(); !m["reg"] {
		t.Errorf("Registered() = %v, want reg: true", m)
	}

	// A carrier call to the registered Contact is admitted and routed by
	// the To user.
	rtp := rtplegtest.NewPhone(t, media.PCMU)
	ctx := ctxT(t)
	d, err := reg.CallContact(ctx, first, "echo", rtp.Offer())
	if err != nil {
		t.Fatalf("INVITE to the registered Contact: %v", err)
	}
	if got := <-numbers; got != "echo" {
		t.Errorf("routed number %q, want echo (the To user)", got)
	}
	if err := rtp.SetAnswer(d.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	rtp.PlayTone(1000)
	if !rtp.WaitHeard(1000, 5*time.Second) {
		t.Error("echo through the registered trunk: tone not heard back")
	}
	if st := tr.CarrierStatus("reg"); st.CallsIn != 1 || st.ActiveCalls != 1 {
		t.Errorf("status %+v, want 1 call in, 1 active", st)
	}
	_ = d.Bye(ctx)

	// The refresh comes before the 20 s binding runs out, on the same
	// Call-ID with a higher CSeq.
	select {
	case again := <-reg.Registered():
		if gap := again.At.Sub(first.At); gap >= 20*time.Second || gap < 5*time.Second {
			t.Errorf("refresh %v after the first registration, want before the 20 s expiry (about 10 s)", gap)
		}
		if again.CallID != first.CallID || again.CSeq <= first.CSeq {
			t.Errorf("refresh Call-ID %s CSeq %d after %s %d, want the same Call-ID and a higher CSeq", again.CallID, again.CSeq, first.CallID, first.CSeq)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no refresh within 25 s")
	}
}

func TestRegisterForbiddenFails(t *testing.T) {
	reg := trunktest.NewRegistrar(t, "udp", trunktest.RegistrarConfig{Realm: "carrier.test", Username: "acct1", Password: "pw1", Refuse: 403})
	var ev regEvents
	tr, _ := carrierTrunk(t, func(c *trunk.Config) { c.OnRegistration = ev.fn })
	tr.SetCarrier(trunk.Carrier{ID: "reg", Host: "127.0.0.1", Port: int(reg.Addr().Port()), Username: "acct1", Password: "pw1", Register: true})
	waitFor(t, "status failed", 10*time.Second, func() bool { return tr.CarrierStatus("reg").Registration == trunk.RegFailed })
	st := tr.CarrierStatus("reg")
	if !strings.Contains(st.LastError, "403") || !st.RegisteredUntil.IsZero() {
		t.Errorf("status %+v, want last_error with 403 and no registered_until", st)
	}
	if !ev.has("reg failed register: 403") {
		t.Errorf("events %v, want a failed event with the 403", ev.got)
	}
	if m := tr.Registered(); m["reg"] {
		t.Errorf("Registered() = %v, want reg: false", m)
	}
	tr.RemoveCarrier("reg")
	if st := tr.CarrierStatus("reg"); st.Registration != trunk.RegDisabled {
		t.Errorf("status after RemoveCarrier = %+v", st)
	}
}

func TestRegisterOverTCP(t *testing.T) {
	reg := trunktest.NewRegistrar(t, "tcp", trunktest.RegistrarConfig{Realm: "carrier.test", Username: "acct1", Password: "pw1", Expires: 60})
	tr, _ := carrierTrunk(t, nil)
	tr.SetCarrier(trunk.Carrier{ID: "tcp", Host: "127.0.0.1", Port: int(reg.Addr().Port()), Transport: "tcp", Username: "acct1", Password: "pw1", Register: true})
	select {
	case r := <-reg.Registered():
		if r.Contact != "acct1" || r.Addr != tr.Addr() {
			t.Errorf("registered Contact %s@%s, want acct1@%s", r.Contact, r.Addr, tr.Addr())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no registration over TCP (requests %d)", reg.Requests())
	}
	waitFor(t, "status registered", 5*time.Second, func() bool { return tr.CarrierStatus("tcp").Registration == trunk.RegRegistered })
}
