package trunk_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk"
	"switchboard/signaling/trunk/trunktest"
)

// carrierTrunk runs a trunk without -trunk whose carriers are set by the
// test.
func carrierTrunk(t *testing.T, tweak func(*trunk.Config)) (*trunk.Trunk, *rtpleg.Pool) {
	t.Helper()
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 30000, PortMax: 39999, Timeout: 10 * time.Second, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := trunk.Config{Listen: "127.0.0.1:0", Media: pool, Logger: testLogger(t)}
	if tweak != nil {
		tweak(&cfg)
	}
	return runTrunk(t, cfg), pool
}

// uasCarrier is a Carrier pointing at a UAS.
func uasCarrier(id string, u *trunktest.UAS, prio int, prefixes ...string) trunk.Carrier {
	return trunk.Carrier{ID: id, Host: u.Addr().Addr().String(), Port: int(u.Addr().Port()), Priority: prio, Prefixes: prefixes}
}

func answered(t *testing.T, u *trunktest.UAS) *trunktest.UASCall {
	t.Helper()
	select {
	case c := <-u.Calls():
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("UAS saw no answered call")
	}
	return nil
}

func TestFailoverOn503ToSecondCarrierWithAudio(t *testing.T) {
	phoneB := rtplegtest.NewPhone(t, media.PCMU)
	a := trunktest.NewUAS(t, trunktest.UASConfig{Final: 503})
	b := trunktest.NewUAS(t, trunktest.UASConfig{Provisional: []int{180}, Answer: phoneB.Answer})
	tr, pool := carrierTrunk(t, nil)
	tr.SetCarrier(uasCarrier("a", a, 1))
	tr.SetCarrier(uasCarrier("b", b, 2))
	leg := openLeg(t, pool)
	audio := newLegAudio(t, leg, 440)
	c, err := tr.DialRequest(ctxT(t), trunk.DialRequest{To: "5551234", User: "1001"}, leg, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	uc := answered(t, b)
	if a.Count("INVITE") != 1 || b.Count("INVITE") != 1 {
		t.Errorf("INVITEs: a %d b %d, want 1 and 1", a.Count("INVITE"), b.Count("INVITE"))
	}
	phoneB.PlayTone(1300)
	waitFor(t, "the gateway to hear carrier B's 1300 Hz", 5*time.Second, func() bool { return audio.heard(1300) })
	if !phoneB.WaitHeard(440, 5*time.Second) {
		t.Error("carrier B does not hear the gateway")
	}
	if st := tr.CarrierStatus("b"); st.ActiveCalls != 1 || st.CallsOut != 1 {
		t.Errorf("CarrierStatus(b) = %+v, want 1 active, 1 out", st)
	}
	if st := tr.CarrierStatus("a"); st.ActiveCalls != 0 || st.CallsOut != 0 {
		t.Errorf("CarrierStatus(a) = %+v, want nothing", st)
	}
	_ = c.Hangup("done")
	<-uc.Done()
	waitFor(t, "slot released", 5*time.Second, func() bool { return tr.CarrierStatus("b").ActiveCalls == 0 })
}

func TestFailoverCodes(t *testing.T) {
	tests := []struct {
		code     int
		failover bool
	}{
		{408, true}, {500, true}, {503, true}, {600, true}, {604, true},
		{486, false}, {404, false}, {403, false}, {603, false},
	}
	for _, tt := range tests {
		t.Run(reason(tt.code), func(t *testing.T) {
			phone := rtplegtest.NewPhone(t, media.PCMU)
			a := trunktest.NewUAS(t, trunktest.UASConfig{Final: tt.code})
			b := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer})
			tr, pool := carrierTrunk(t, nil)
			tr.SetCarrier(uasCarrier("a", a, 1))
			tr.SetCarrier(uasCarrier("b", b, 2))
			c, err := tr.Dial(ctxT(t), "5551234", "1001", openLeg(t, pool), nil)
			if tt.failover {
				if err != nil {
					t.Fatalf("Dial after %d = %v, want carrier b to answer", tt.code, err)
				}
				_ = c.Hangup("done")
				return
			}
			de, ok := errors.AsType[*trunk.DialError](err)
			if !ok || de.Code != tt.code {
				t.Fatalf("Dial = %v, want final DialError %d", err, tt.code)
			}
			if n := b.Count("INVITE"); n != 0 {
				t.Errorf("carrier b got %d INVITEs after a final %d", n, tt.code)
			}
		})
	}
}

func reason(code int) string { return "code " + strconv.Itoa(code) }

func TestPrefixSelectionAndCallerID(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	de49 := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer})
	berlin := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer})
	any := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer})
	tr, pool := carrierTrunk(t, nil)
	c49 := uasCarrier("de", de49, 0, "+49")
	c49.CallerID = "+4969000"
	tr.SetCarrier(c49)
	cb := uasCarrier("berlin", berlin, 9, "4930") // a longer prefix wins over priority; + is ignored
	tr.SetCarrier(cb)
	tr.SetCarrier(uasCarrier("world", any, -5))
	tests := []struct {
		name     string
		req      trunk.DialRequest
		uas      *trunktest.UAS
		wantFrom string
	}{
		{"longest prefix", trunk.DialRequest{To: "+4930123456", User: "1001"}, berlin, "1001"},
		{"agent caller id first", trunk.DialRequest{To: "4930123456", CallerID: "+4930777", User: "1001"}, berlin, "+4930777"},
		{"trunk caller id", trunk.DialRequest{To: "+4940123456", User: "1001"}, de49, "+4969000"},
		{"agent over trunk caller id", trunk.DialRequest{To: "+4940123456", CallerID: "+4930777", User: "1001"}, de49, "+4930777"},
		{"no prefix matches all", trunk.DialRequest{To: "+15551234", User: "1002"}, any, "1002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tr.DialRequest(ctxT(t), tt.req, openLeg(t, pool), nil)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			uc := answered(t, tt.uas)
			if uc.Number != tt.req.To || uc.From != tt.wantFrom {
				t.Errorf("carrier got number %q from %q, want %q from %q", uc.Number, uc.From, tt.req.To, tt.wantFrom)
			}
			_ = c.Hangup("done")
			<-uc.Done()
		})
	}
}

func TestFailoverOnSilenceTransportErrorAndMaxCalls(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	b := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer})
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	closedTCP, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := closedTCP.Addr().(*net.TCPAddr).Port
	closedTCP.Close() // connection refused: a transport error
	tr, pool := carrierTrunk(t, func(c *trunk.Config) { c.NoAnswerTimeout = 700 * time.Millisecond })
	tr.SetCarrier(trunk.Carrier{ID: "a-silent", Host: "127.0.0.1", Port: silent.LocalAddr().(*net.UDPAddr).Port, Priority: 1})
	tr.SetCarrier(trunk.Carrier{ID: "b-dead", Host: "127.0.0.1", Port: deadPort, Transport: "tcp", Priority: 2})
	cb := uasCarrier("c", b, 3)
	cb.MaxCalls = 1
	tr.SetCarrier(cb)
	start := time.Now()
	c, err := tr.Dial(ctxT(t), "5551234", "1001", openLeg(t, pool), nil)
	if err != nil {
		t.Fatalf("Dial = %v, want carrier c to answer after a silent and a dead carrier", err)
	}
	if d := time.Since(start); d < 700*time.Millisecond || d > 5*time.Second {
		t.Errorf("answered after %v, want the 700 ms no-answer timeout then a quick failover", d)
	}
	uc := answered(t, b)
	// c is at max_calls 1: the next call has no carrier left.
	_, err = tr.Dial(ctxT(t), "5551235", "1001", openLeg(t, pool), nil)
	if de, ok := errors.AsType[*trunk.DialError](err); !ok || de.Code != 503 {
		t.Errorf("Dial with every carrier failed or full = %v, want 503", err)
	}
	if n := b.Count("INVITE"); n != 1 {
		t.Errorf("carrier at max_calls got %d INVITEs, want 1", n)
	}
	_ = c.Hangup("done")
	<-uc.Done()
}

func TestCarrierSRTPPolicyOnOffer(t *testing.T) {
	offers := make(chan string, 2)
	capture := func(offer []byte) ([]byte, error) {
		offers <- string(offer)
		return nil, errors.New("test: offer captured")
	}
	sec := trunktest.NewUAS(t, trunktest.UASConfig{Answer: capture})
	plain := trunktest.NewUAS(t, trunktest.UASConfig{Answer: capture})
	tr, pool := carrierTrunk(t, nil)
	cs := uasCarrier("sec", sec, 0, "1")
	cs.SRTP = "required"
	tr.SetCarrier(cs)
	tr.SetCarrier(uasCarrier("plain", plain, 0, "2"))
	for _, tt := range []struct {
		number, want, not string
	}{{"1555", "RTP/SAVP", ""}, {"2555", "RTP/AVP", "a=crypto"}} {
		_, _ = tr.Dial(ctxT(t), tt.number, "1001", openLeg(t, pool), nil)
		got := <-offers
		if !strings.Contains(got, tt.want) || (tt.not != "" && strings.Contains(got, tt.not)) {
			t.Errorf("offer for %s:\n%s\nwant %s without %q", tt.number, got, tt.want, tt.not)
		}
	}
}

func TestOutboundReliableProvisionalIsPRACKed(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	u := trunktest.NewUAS(t, trunktest.UASConfig{Provisional: []int{180}, Reliable: true, Answer: phone.Answer})
	tr, pool := carrierTrunk(t, nil)
	tr.SetCarrier(uasCarrier("rel", u, 0))
	c, err := tr.Dial(ctxT(t), "5551234", "1001", openLeg(t, pool), nil)
	if err != nil {
		t.Fatalf("Dial to a carrier that waits for PRACK: %v", err)
	}
	waitFor(t, "ACK", 3*time.Second, func() bool { return u.Count("ACK") > 0 })
	uc := answered(t, u)
	if n := u.Count("PRACK"); n != 1 {
		t.Errorf("carrier got %d PRACKs, want 1", n)
	}
	_ = c.Hangup("done")
	<-uc.Done()
	if n := u.Count("BYE"); n != 1 {
		t.Errorf("carrier got %d BYEs after the PRACK (CSeq order), want 1", n)
	}
}

// RFC 4028: the carrier's 200 says Session-Expires 90 with refresher=uac
// (us): the gateway refreshes with UPDATE at half the interval, about 45 s.
func TestOutboundSessionTimerWeRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 46 s (half the minimum session interval)")
	}
	t.Parallel()
	phone := rtplegtest.NewPhone(t, media.PCMU)
	u := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer, SessionExpires: "90;refresher=uac"})
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 30000, PortMax: 39999, Timeout: 10 * time.Minute, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	tr := runTrunk(t, trunk.Config{Listen: "127.0.0.1:0", Media: pool, Logger: testLogger(t)})
	tr.SetCarrier(uasCarrier("se", u, 0))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, err := tr.Dial(ctx, "5551234", "1001", openLeg(t, pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	waitFor(t, "the gateway's session refresh", 60*time.Second, func() bool { return len(u.Updates()) > 0 })
	at := u.Updates()[0].Sub(answered)
	if at < 44*time.Second || at > 47*time.Second {
		t.Errorf("first refresh UPDATE %v after the answer, want about 45 s (half of 90)", at)
	}
	t.Logf("refresh UPDATE %v after the answer", at)
	if c.State() != trunk.StateAnswered {
		t.Errorf("call state %v after the refresh, want answered", c.State())
	}
	_ = c.Hangup("done")
}
