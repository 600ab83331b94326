package lean_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/sdp/v3"

	"switchboard/media"
	"switchboard/media/webrtcleg"
	"switchboard/media/webrtcleg/lean"
	"switchboard/media/webrtcleg/webrtclegtest"
)

// candidates returns the ICE candidate addresses of an SDP.
func candidates(t *testing.T, sdpText []byte) []netip.AddrPort {
	t.Helper()
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(sdpText); err != nil {
		t.Fatalf("parse answer: %v", err)
	}
	var out []netip.AddrPort
	for _, md := range sd.MediaDescriptions {
		for _, a := range md.Attributes {
			if a.Key != "candidate" {
				continue
			}
			f := strings.Fields(a.Value) // foundation component transport priority address port typ ...
			if len(f) < 6 {
				t.Fatalf("bad candidate %q", a.Value)
			}
			if f[1] != "1" {
				continue // pion also lists component 2 (RTCP), muxed on the same port
			}
			ap, err := netip.ParseAddrPort(f[4] + ":" + f[5])
			if err != nil {
				t.Fatalf("candidate %q: %v", a.Value, err)
			}
			out = append(out, ap)
		}
	}
	return out
}

func TestLoopbackAudioBothWays(t *testing.T) {
	e := newEngine(t, lean.Config{})
	// Chrome-like offer: Opus first, then PCMU and PCMA.
	b, leg, answer := connect(t, e, webrtclegtest.Options{Codecs: []media.Codec{media.PCMA, media.PCMU}})

	cands := candidates(t, answer)
	if len(cands) == 0 {
		t.Fatal("answer has no candidate")
	}
	for _, c := range cands {
		if !c.Addr().IsLoopback() {
			t.Errorf("answer candidate %v is not loopback", c)
		}
		if c != e.Addr() {
			t.Errorf("answer candidate %v, want the shared socket %v", c, e.Addr())
		}
	}
	if got := leg.Codec(); got != media.PCMU {
		t.Errorf("Codec() = %v, want PCMU (preferred)", got)
	}

	// Gateway → browser: 1 kHz.
	startTone(t, leg, media.PCMU, 1000)
	waitFor(t, "browser hears 1 kHz", 5*time.Second, func() bool { return b.Ratio(1000, 400*time.Millisecond) > 0.9 })
	if r := b.Ratio(1500, 400*time.Millisecond); r > 0.1 {
		t.Errorf("browser: ratio at 1.5 kHz = %.2f, want ~0", r)
	}

	// Browser → gateway: 1.5 kHz.
	rec := &recorder{}
	leg.Start(rec)
	b.SendTone(1500)
	waitFor(t, "sink hears 1.5 kHz", 5*time.Second, func() bool { return rec.Ratio(1500, 400*time.Millisecond) > 0.9 })
	if r := rec.Ratio(1000, 400*time.Millisecond); r > 0.1 {
		t.Errorf("sink: ratio at 1 kHz = %.2f, want ~0", r)
	}
	// The test browser's microphone track is PCMA (its first codec) while
	// the leg sends PCMU: the sink gets each packet's own law.
	if codecs := rec.Codecs(); codecs[media.PCMA] == 0 || codecs[media.PCMU] != 0 {
		t.Errorf("sink got codecs %v, want PCMA only", codecs)
	}

	st := leg.Stats()
	if st.PacketsSent == 0 || st.PacketsReceived == 0 || st.WriteErrors != 0 {
		t.Errorf("Stats() = %+v", st)
	}
}

func TestTranscodesToPCMA(t *testing.T) {
	e := newEngine(t, lean.Config{})
	b, leg, _ := connect(t, e, webrtclegtest.Options{Codecs: []media.Codec{media.PCMA}, NoOpus: true})
	if got := leg.Codec(); got != media.PCMA {
		t.Fatalf("Codec() = %v, want PCMA", got)
	}
	startTone(t, leg, media.PCMU, 1000) // the switch feeds µ-law
	waitFor(t, "browser hears 1 kHz", 5*time.Second, func() bool { return b.Ratio(1000, 400*time.Millisecond) > 0.9 })
	for _, p := range b.Packets() {
		if p.PayloadType != media.PCMA.PayloadType() {
			t.Fatalf("browser got payload type %d, want 8", p.PayloadType)
		}
	}
	rec := &recorder{}
	leg.Start(rec)
	b.SendTone(700)
	waitFor(t, "sink hears 700 Hz", 5*time.Second, func() bool { return rec.Ratio(700, 400*time.Millisecond) > 0.9 })
}

func TestRejectsOffers(t *testing.T) {
	e := newEngine(t, lean.Config{})
	good := string(webrtclegtest.NewBrowser(t, media.PCMU).Offer())
	opusOnly := strings.NewReplacer("a=rtpmap:0 PCMU/8000\r\n", "", " 111 0\r\n", " 111\r\n").Replace(good)
	if strings.Contains(opusOnly, "PCMU") {
		t.Fatalf("could not strip PCMU from offer:\n%s", good)
	}
	video := strings.Replace(good, "m=audio", "m=video", 1)
	tests := []struct {
		name   string
		offer  string
		reason string
		want   error
	}{
		{"empty", "", "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"garbage", "hello", "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"opus only", opusOnly, "no_common_codec", webrtcleg.ErrNoCommonCodec},
		{"video only", video, "no_audio", webrtcleg.ErrNoAudio},
		{"huge", strings.Repeat("a", 70000), "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"setup passive", strings.ReplaceAll(good, "a=setup:actpass", "a=setup:passive"), "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"no rtcp-mux", strings.ReplaceAll(good, "a=rtcp-mux\r\n", ""), "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"no fingerprint", dropLines(good, "a=fingerprint:"), "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"no ice-pwd", dropLines(good, "a=ice-pwd:"), "invalid_sdp", webrtcleg.ErrInvalidOffer},
		{"plain RTP", strings.ReplaceAll(good, "UDP/TLS/RTP/SAVPF", "RTP/AVP"), "invalid_sdp", webrtcleg.ErrInvalidOffer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leg, answer, err := e.Accept(t.Context(), []byte(tt.offer))
			if err == nil {
				_ = leg.Close()
				t.Fatalf("Accept(%s) = answer %q, want error", tt.name, answer)
			}
			oe, ok := errors.AsType[*webrtcleg.OfferError](err)
			if !ok || oe.Reason != tt.reason || !errors.Is(err, tt.want) {
				t.Errorf("Accept(%s) error = %v (%T), want *OfferError %s wrapping %v", tt.name, err, err, tt.reason, tt.want)
			}
		})
	}
}

func TestSequenceAndTimestampContinuity(t *testing.T) {
	e := newEngine(t, lean.Config{})
	b, leg, _ := connect(t, e, webrtclegtest.Options{})
	src := startTone(t, leg, media.PCMU, 1000)
	waitFor(t, "30 packets sent", 5*time.Second, func() bool { return src.Sent() >= 30 })
	src.Pause(15) // 300 ms of nothing
	waitFor(t, "browser gets 60 packets", 10*time.Second, func() bool { return len(b.Packets()) >= 60 })
	src.Stop()

	pk := b.Packets()
	gaps := 0
	for i := 1; i < len(pk); i++ {
		prev, cur := pk[i-1], pk[i]
		if cur.SSRC != prev.SSRC {
			t.Fatalf("packet %d: SSRC %d, then %d", i, prev.SSRC, cur.SSRC)
		}
		if cur.SequenceNumber != prev.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, cur.SequenceNumber, prev.SequenceNumber)
		}
		dts := cur.Timestamp - prev.Timestamp
		wall := cur.At.Sub(prev.At)
		switch {
		case dts == media.FrameSamples && !cur.Marker:
		case wall > 200*time.Millisecond:
			gaps++
			// The timestamp follows the wall clock across the pause.
			wallSamples := uint32(wall * media.SampleRate / time.Second)
			if dts < 2000 || dts > wallSamples+800 {
				t.Errorf("packet %d: ts advanced %d samples across a %v pause (%d samples)", i, dts, wall, wallSamples)
			}
			if !cur.Marker {
				t.Errorf("packet %d: no marker after the pause", i)
			}
		default:
			t.Errorf("packet %d: ts advanced %d (marker %v) after %v", i, dts, cur.Marker, wall)
		}
	}
	if gaps != 1 {
		t.Errorf("saw %d pauses in %d packets, want 1", gaps, len(pk))
	}
}

func TestTwoAgentsShareOnePort(t *testing.T) {
	e := newEngine(t, lean.Config{})
	b1, leg1, ans1 := connect(t, e, webrtclegtest.Options{})
	b2, leg2, ans2 := connect(t, e, webrtclegtest.Options{})
	c1, c2 := candidates(t, ans1), candidates(t, ans2)
	if len(c1) != 1 || len(c2) != 1 || c1[0] != c2[0] || c1[0] != e.Addr() {
		t.Fatalf("candidates %v and %v, want both exactly [%v]", c1, c2, e.Addr())
	}
	startTone(t, leg1, media.PCMU, 1000)
	startTone(t, leg2, media.PCMU, 600)
	r1, r2 := &recorder{}, &recorder{}
	leg1.Start(r1)
	leg2.Start(r2)
	b1.SendTone(1500)
	b2.SendTone(2000)
	waitFor(t, "each browser hears its own tone", 5*time.Second, func() bool {
		return b1.Ratio(1000, 400*time.Millisecond) > 0.9 && b2.Ratio(600, 400*time.Millisecond) > 0.9
	})
	waitFor(t, "each sink hears its own browser", 5*time.Second, func() bool {
		return r1.Ratio(1500, 400*time.Millisecond) > 0.9 && r2.Ratio(2000, 400*time.Millisecond) > 0.9
	})
}

// stateLog records OnState calls.
type stateLog struct {
	mu     sync.Mutex // guards following
	states []webrtcleg.State
}

func (s *stateLog) add(st webrtcleg.State) {
	s.mu.Lock()
	s.states = append(s.states, st)
	s.mu.Unlock()
}

func (s *stateLog) has(st webrtcleg.State) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.states {
		if x == st {
			return true
		}
	}
	return false
}

func (s *stateLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, x := range s.states {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ",")
}

func TestVanishedBrowserDetected(t *testing.T) {
	cfg := lean.Config{DisconnectedTimeout: 3 * time.Second, FailedTimeout: 2 * time.Second}
	e := newEngine(t, cfg)
	b, leg, _ := connect(t, e, webrtclegtest.Options{})
	var log stateLog
	leg.OnState(log.add)
	startTone(t, leg, media.PCMU, 1000)
	leg.Start(nil)
	b.SendTone(1500)
	waitFor(t, "audio flowing", 5*time.Second, func() bool { return b.Heard(1000) })

	gone := time.Now()
	b.Close() // vanish: no close_notify
	waitFor(t, "Disconnected", cfg.DisconnectedTimeout+2*time.Second, func() bool {
		return log.has(webrtcleg.StateDisconnected)
	})
	t.Logf("disconnected after %v", time.Since(gone).Round(time.Millisecond))
	select {
	case <-leg.Done():
		t.Fatal("Done closed on Disconnected")
	default:
	}
	select {
	case <-leg.Done():
	case <-time.After(cfg.DisconnectedTimeout + cfg.FailedTimeout + 2*time.Second):
		t.Fatalf("Done not closed; states %s", &log)
	}
	t.Logf("failed after %v", time.Since(gone).Round(time.Millisecond))
	if got := leg.Stats().State; got != webrtcleg.StateFailed {
		t.Errorf("State = %v, want failed (states %s)", got, &log)
	}
	if err := leg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got, want := log.String(), "disconnected,failed,closed"; got != want {
		t.Errorf("states = %s, want %s", got, want)
	}
}

func TestHangupReportsClosed(t *testing.T) {
	e := newEngine(t, lean.Config{})
	b, leg, _ := connect(t, e, webrtclegtest.Options{})
	var log stateLog
	leg.OnState(log.add)
	b.Hangup() // DTLS close_notify
	select {
	case <-leg.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("Done not closed after hangup; states %s", &log)
	}
	if err := leg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// A "connected" report queued before OnState was set may still arrive
	// first; after the hangup the only state is closed.
	if got := log.String(); got != "closed" && got != "connected,closed" {
		t.Errorf("states = %s, want closed", got)
	}
}

func TestCloseFromCallbackAndTwice(t *testing.T) {
	e := newEngine(t, lean.Config{DisconnectedTimeout: 500 * time.Millisecond, FailedTimeout: 500 * time.Millisecond})
	b, leg, _ := connect(t, e, webrtclegtest.Options{})
	closed := make(chan error, 1)
	leg.OnState(func(s webrtcleg.State) {
		if s == webrtcleg.StateDisconnected {
			closed <- leg.Close() // must not deadlock
		}
	})
	leg.Start(nil)
	b.Close()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close from callback: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no Disconnected, or Close from the callback hung")
	}
	if err := leg.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	p := media.Packet{Payload: make([]byte, 160), Codec: media.PCMU}
	if err := leg.WritePacket(&p); !errors.Is(err, webrtcleg.ErrClosed) {
		t.Errorf("WritePacket after Close = %v, want ErrClosed", err)
	}
	leg.Start(nil) // no effect after Close
}

func TestEngineCloseClosesLegs(t *testing.T) {
	e, err := lean.New(lean.Config{IP: netip.MustParseAddr("127.0.0.1"), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, leg, _ := connect(t, e, webrtclegtest.Options{})
	if err := e.Close(); err != nil {
		t.Fatalf("Engine.Close: %v", err)
	}
	select {
	case <-leg.Done():
	default:
		t.Error("leg not done after Engine.Close")
	}
	if _, _, err := e.Accept(context.Background(), webrtclegtest.NewBrowser(t, media.PCMU).Offer()); !errors.Is(err, webrtcleg.ErrClosed) {
		t.Errorf("Accept after Close = %v, want ErrClosed", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Engine.Close: %v", err)
	}
}

// dropLines removes the SDP lines starting with prefix.
func dropLines(sdpText, prefix string) string {
	var out []string
	for _, line := range strings.SplitAfter(sdpText, "\r\n") {
		if !strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
