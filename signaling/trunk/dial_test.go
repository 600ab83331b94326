package trunk_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
	"switchboard/signaling/trunk"
	"switchboard/signaling/trunk/trunktest"
)

// dialTrunk runs a trunk whose outbound URI is uri (with digest
// credentials user/pass) and returns it with its RTP pool.
func dialTrunk(t *testing.T, uri, user, pass string, timeout time.Duration) (*trunk.Trunk, *rtpleg.Pool) {
	t.Helper()
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	pool, err := rtpleg.NewPool(rtpleg.Config{IP: loopback, PortMin: 30000, PortMax: 39999, Timeout: timeout, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return runTrunk(t, trunk.Config{Listen: "127.0.0.1:0", Media: pool, OutboundURI: uri, Username: user, Password: pass, Logger: testLogger(t)}), pool
}

// legAudio plays a tone into a leg every 20 ms and records what the leg
// receives (the gateway's side of an outbound call).
type legAudio struct {
	leg  *rtpleg.Leg
	mu   sync.Mutex
	pcm  []int16
	last time.Time
	stop chan struct{}
	wg   sync.WaitGroup
}

func newLegAudio(t *testing.T, leg *rtpleg.Leg, freq float64) *legAudio {
	a := &legAudio{leg: leg, stop: make(chan struct{})}
	leg.Start(media.PacketWriterFunc(func(p *media.Packet) error {
		var buf [320]int16
		s := media.Decode(p.Codec, buf[:len(p.Payload)], p.Payload)
		a.mu.Lock()
		a.pcm = append(a.pcm, s...)
		if len(a.pcm) > 16000 {
			a.pcm = append(a.pcm[:0], a.pcm[len(a.pcm)-8000:]...)
		}
		a.last = time.Now()
		a.mu.Unlock()
		return nil
	}))
	a.wg.Go(func() {
		sine := tone.Sine{Freq: freq}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		var pcm [160]int16
		var payload [160]byte
		pkt := &media.Packet{}
		for {
			select {
			case <-a.stop:
				return
			case <-leg.Done():
				return
			case <-tick.C:
			}
			c := leg.Codec()
			if c == media.CodecUnknown {
				continue
			}
			sine.Fill(pcm[:])
			pkt.Payload = media.Encode(c, payload[:0], pcm[:])
			pkt.Codec = c
			_ = leg.WritePacket(pkt)
		}
	})
	t.Cleanup(func() { close(a.stop); a.wg.Wait() })
	return a
}

// heard reports whether the last 200 ms received are the tone freq.
func (a *legAudio) heard(freq float64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if time.Since(a.last) > 100*time.Millisecond || len(a.pcm) < 1600 {
		return false
	}
	return tone.Classify(a.pcm[len(a.pcm)-1600:], freq) == tone.VerdictTone
}

// dialUAS runs a trunk dialing a new UAS with cfg (no credentials, the
// default RTP timeout) and opens a leg on the trunk's pool.
func dialUAS(t *testing.T, cfg trunktest.UASConfig) (*trunktest.UAS, *trunk.Trunk, *rtpleg.Leg) {
	t.Helper()
	uas := trunktest.NewUAS(t, cfg)
	tr, pool := dialTrunk(t, uas.URI(), "", "", 0)
	return uas, tr, openLeg(t, pool)
}

// dialed dials 5551234 over tr with leg (the callee's audio discarded)
// and fails t unless the call is answered; ctx is the test's (ctxT).
func dialed(t *testing.T, tr *trunk.Trunk, leg *rtpleg.Leg) (context.Context, *trunk.Call) {
	t.Helper()
	leg.Start(media.Discard)
	ctx := ctxT(t)
	c, err := tr.Dial(ctx, "5551234", "", leg, nil)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return ctx, c
}

func openLeg(t *testing.T, pool *rtpleg.Pool) *rtpleg.Leg {
	t.Helper()
	leg, err := pool.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leg.Close() })
	return leg
}

// progress collects onProgress codes.
type progress struct {
	mu    sync.Mutex
	codes []int
	at    map[int]time.Time
}

func (p *progress) fn(code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.codes = append(p.codes, code)
	if p.at == nil {
		p.at = map[int]time.Time{}
	}
	p.at[code] = time.Now()
}

func (p *progress) has(code int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.codes, code)
}

func TestDialToneBothWays(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	uas, tr, leg := dialUAS(t, trunktest.UASConfig{Provisional: []int{180}, AnswerDelay: 100 * time.Millisecond, Answer: phone.Answer})
	audio := newLegAudio(t, leg, 440)
	var prog progress
	ctx := ctxT(t)
	c, err := tr.Dial(ctx, "5551234", "agent7", leg, prog.fn)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if !c.Outbound() || c.State() != trunk.StateAnswered || c.Number() != "5551234" || c.From() != "agent7" {
		t.Errorf("call: outbound %v state %v number %q from %q", c.Outbound(), c.State(), c.Number(), c.From())
	}
	if !prog.has(100) || !prog.has(180) {
		t.Errorf("progress codes = %v, want 100 and 180", prog.codes)
	}
	var uc *trunktest.UASCall
	select {
	case uc = <-uas.Calls():
	case <-ctx.Done():
		t.Fatal("UAS saw no answered call")
	}
	if uc.Number != "5551234" || uc.From != "agent7" {
		t.Errorf("UAS got number %q from %q", uc.Number, uc.From)
	}
	if n := tr.ActiveCalls(); n != 1 {
		t.Errorf("ActiveCalls() = %d, want 1", n)
	}
	phone.PlayTone(1000)
	if !phone.WaitHeard(440, 5*time.Second) {
		t.Fatalf("callee does not hear the gateway's 440 Hz (got %v)", phone.Classify(440, 200*time.Millisecond))
	}
	waitFor(t, "gateway to hear the callee's 1 kHz", 5*time.Second, func() bool { return audio.heard(1000) })
	start := time.Now()
	if err := c.Hangup("done"); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	t.Logf("hangup (BYE + 200) took %v", time.Since(start))
	select {
	case <-uc.Done():
	case <-ctx.Done():
		t.Fatal("UAS did not get the BYE")
	}
	<-c.Done()
	if c.EndReason() != "done" {
		t.Errorf("EndReason = %q", c.EndReason())
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

func TestDialEarlyMedia(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	phone.PlayTone(1000) // the callee's "ringback" plays from the start
	_, tr, leg := dialUAS(t, trunktest.UASConfig{Provisional: []int{183}, EarlyMedia: true, AnswerDelay: 1500 * time.Millisecond, Answer: phone.Answer})
	audio := newLegAudio(t, leg, 440)
	var heardEarly bool
	var heardAt time.Time
	var prog progress
	c, err := tr.Dial(ctxT(t), "5551234", "", leg, func(code int) {
		prog.fn(code)
		if code != 183 {
			return
		}
		// On Dial's goroutine: wait here for the early media (the
		// answer is 1.5 s away).
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) && !heardEarly {
			heardEarly = audio.heard(1000)
			time.Sleep(10 * time.Millisecond)
		}
		heardAt = time.Now()
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Hangup("")
	if !heardEarly {
		t.Fatal("early media (1 kHz) not heard after 183, before the 200")
	}
	t.Logf("early media heard %v after the 183", heardAt.Sub(prog.at[183]))
	if c.State() != trunk.StateAnswered {
		t.Errorf("State = %v", c.State())
	}
	if !phone.WaitHeard(440, 5*time.Second) {
		t.Fatal("callee does not hear the gateway after the answer")
	}
}

func TestDialBusy(t *testing.T) {
	uas := trunktest.NewUAS(t, trunktest.UASConfig{Provisional: []int{180}, Final: 486})
	tr, pool := dialTrunk(t, uas.URI(), "", "", 0)
	leg := openLeg(t, pool)
	leg.Start(media.Discard)
	c, err := tr.Dial(ctxT(t), "5551234", "", leg, nil)
	if c != nil || err == nil {
		t.Fatalf("Dial = %v, %v; want error", c, err)
	}
	de, ok := errors.AsType[*trunk.DialError](err)
	if !ok {
		t.Fatalf("error %v (%T) is not *DialError", err, err)
	}
	if code, reason := de.SIPStatus(); code != 486 || reason != "Busy Here" {
		t.Errorf("SIPStatus() = %d %q, want 486 Busy Here", code, reason)
	}
	if n := tr.ActiveCalls(); n != 0 {
		t.Errorf("ActiveCalls() = %d after failure", n)
	}
	if pool.InUse() != 0 {
		t.Errorf("pool.InUse() = %d: the failed call's leg was not closed", pool.InUse())
	}
}

func TestDialDigestAuth(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	cfg := trunktest.UASConfig{Answer: phone.Answer, Realm: "carrier.test", Username: "acme", Password: "s3cret"}
	for _, tt := range []struct {
		name, user, pass string
		code             int // the DialError's; 0: answered
	}{
		{"right credentials", "acme", "s3cret", 0},
		{"wrong password", "acme", "wrong", 401},
		{"no credentials", "", "", 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			uas := trunktest.NewUAS(t, cfg)
			tr, pool := dialTrunk(t, uas.URI(), tt.user, tt.pass, 0)
			leg := openLeg(t, pool)
			leg.Start(media.Discard)
			c, err := tr.Dial(ctxT(t), "5551234", "", leg, nil)
			if tt.code != 0 {
				if de, ok := errors.AsType[*trunk.DialError](err); !ok || de.Code != tt.code {
					t.Fatalf("Dial error = %v, want DialError %d", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Hangup("")
			if n := uas.Count("INVITE"); n != 2 {
				t.Errorf("UAS saw %d INVITEs, want 2 (challenged, then authorized)", n)
			}
		})
	}
}

func TestDialCancel(t *testing.T) {
	uas, tr, leg := dialUAS(t, trunktest.UASConfig{Provisional: []int{180}, Final: -1})
	leg.Start(media.Discard)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	start := time.Now()
	c, err := tr.Dial(ctx, "5551234", "", leg, func(code int) {
		if code == 180 {
			cancel()
		}
	})
	if c != nil || err == nil {
		t.Fatalf("Dial = %v, %v; want error", c, err)
	}
	t.Logf("cancel → Dial returned in %v", time.Since(start))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if de, ok := errors.AsType[*trunk.DialError](err); !ok || de.Code != 487 {
		t.Errorf("error %v: want DialError 487", err)
	}
	waitFor(t, "UAS to see the CANCEL", 5*time.Second, func() bool { return uas.Canceled() == 1 })
	if n := tr.ActiveCalls(); n != 0 {
		t.Errorf("ActiveCalls() = %d", n)
	}
}

// TestDialHangupBeforeAnswer: Hangup (and so HangupAll) of a ringing
// outbound call sends CANCEL and makes Dial fail.
func TestDialHangupBeforeAnswer(t *testing.T) {
	uas, tr, leg := dialUAS(t, trunktest.UASConfig{Provisional: []int{180}, Final: -1})
	leg.Start(media.Discard)
	ringing := make(chan struct{})
	var wg sync.WaitGroup
	var err error
	wg.Go(func() {
		_, err = tr.Dial(ctxT(t), "5551234", "", leg, func(code int) {
			if code == 180 {
				close(ringing)
			}
		})
	})
	<-ringing
	if n := tr.ActiveCalls(); n != 1 {
		t.Errorf("ActiveCalls() while ringing = %d, want 1", n)
	}
	tr.HangupAll()
	wg.Wait()
	if de, ok := errors.AsType[*trunk.DialError](err); !ok || de.Code != 487 {
		t.Errorf("Dial error = %v, want DialError 487", err)
	}
	waitFor(t, "UAS to see the CANCEL", 5*time.Second, func() bool { return uas.Canceled() == 1 })
}

func TestDialRemoteBye(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	uas, tr, leg := dialUAS(t, trunktest.UASConfig{Answer: phone.Answer})
	ctx, c := dialed(t, tr, leg)
	uc := <-uas.Calls()
	if err := uc.Bye(ctx); err != nil {
		t.Fatalf("UAS BYE: %v", err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("call not ended by the remote BYE")
	}
	if r := c.EndReason(); r != trunk.ReasonRemoteHangup {
		t.Errorf("EndReason = %q, want %q", r, trunk.ReasonRemoteHangup)
	}
	waitFor(t, "call to end", 5*time.Second, func() bool { return tr.ActiveCalls() == 0 })
}

func TestDialReAcksRetransmitted200(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	uas, tr, leg := dialUAS(t, trunktest.UASConfig{Answer: phone.Answer, DropACKs: 1})
	ctx, c := dialed(t, tr, leg)
	defer c.Hangup("")
	select {
	case <-uas.Calls(): // RespondSDP returned: it got an ACK after dropping the first
	case <-ctx.Done():
		t.Fatal("UAS never confirmed the dialog: retransmitted 200 not re-ACKed")
	}
	if n := uas.Count("ACK"); n < 2 {
		t.Errorf("UAS saw %d ACKs, want ≥ 2", n)
	}
}

func TestDialDTMFAndRTPTimeout(t *testing.T) {
	phone := rtplegtest.NewPhone(t, media.PCMU)
	uas := trunktest.NewUAS(t, trunktest.UASConfig{Answer: phone.Answer})
	tr, pool := dialTrunk(t, uas.URI(), "", "", time.Second)
	leg := openLeg(t, pool)
	ctx, c := dialed(t, tr, leg)
	uc := <-uas.Calls()
	digits := make(chan rune, 8)
	c.OnDTMF(func(d rune) { digits <- d })
	phone.PlayTone(1000) // keeps the leg alive while DTMF goes
	if err := phone.SendDTMF("42"); err != nil {
		t.Fatal(err)
	}
	var got []rune
	for len(got) < 2 {
		select {
		case d := <-digits:
			got = append(got, d)
		case <-ctx.Done():
			t.Fatalf("digits = %q, want \"42\"", string(got))
		}
	}
	if string(got) != "42" {
		t.Errorf("digits = %q, want 42", string(got))
	}
	phone.Close() // no more RTP: the 1 s timeout must BYE the callee
	select {
	case <-uc.Done():
	case <-ctx.Done():
		t.Fatal("RTP timeout did not send BYE")
	}
	<-c.Done()
	if r := c.EndReason(); r != trunk.ReasonRTPTimeout {
		t.Errorf("EndReason = %q, want %q", r, trunk.ReasonRTPTimeout)
	}
}

func TestDialNotConfigured(t *testing.T) {
	tr, pool := dialTrunk(t, "", "", "", 0)
	leg := openLeg(t, pool)
	if _, err := tr.Dial(ctxT(t), "5551234", "", leg, nil); !errors.Is(err, trunk.ErrNoOutbound) {
		t.Errorf("Dial without OutboundURI = %v, want ErrNoOutbound", err)
	}
	tr2, pool2 := dialTrunk(t, "sip:127.0.0.1:9;transport=udp", "", "", 0)
	leg2 := openLeg(t, pool2)
	_, err := tr2.Dial(ctxT(t), "555 1234<", "", leg2, nil)
	if de, ok := errors.AsType[*trunk.DialError](err); !ok || de.Code != 484 {
		t.Errorf("Dial of a bad number = %v, want DialError 484", err)
	}
}
