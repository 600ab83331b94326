package webrtclegtest

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/sdp/v3"

	"switchboard/internal/waittest"
	"switchboard/media"
	"switchboard/media/browserleg"
)

// Engine is a browser-leg engine as the conformance suite sees it: both
// media/webrtcleg (a pion PeerConnection per agent) and
// media/webrtcleg/lean (ICE-lite, DTLS-SRTP on the shared socket) pass it.
type Engine interface {
	Accept(ctx context.Context, offer []byte) (Leg, []byte, error)
	Addr() netip.AddrPort
	Close() error
}

// Leg is a browser leg as the conformance suite sees it.
type Leg interface {
	media.PacketWriter
	Codec() media.Codec
	Start(sink media.PacketWriter)
	OnState(fn func(browserleg.State))
	Done() <-chan struct{}
	Stats() browserleg.Stats
	Close() error
}

// BadOffer is an offer an engine must refuse with *browserleg.OfferError.
type BadOffer struct {
	Name   string
	Offer  string
	Reason string // OfferError.Reason
	Want   error  // the sentinel it wraps
}

// Suite is the behaviour every browser-leg engine must show, tested with
// the pion test browser on loopback.
type Suite struct {
	// New returns an engine on 127.0.0.1 (closed on t.Cleanup) whose legs
	// go Disconnected after disc of silence from the browser and Failed
	// fail later.
	New func(t testing.TB, disc, fail time.Duration) Engine
	// AfterAudio, if set, runs extra checks at the end of AudioBothWays.
	AfterAudio func(t *testing.T, leg Leg)
	// MoreBadOffers adds engine-specific refusals to RejectsOffers, given a
	// good offer.
	MoreBadOffers func(good string) []BadOffer
}

// Run runs every conformance test as a subtest of t.
func (s Suite) Run(t *testing.T) {
	t.Run("AudioBothWays", s.audioBothWays)
	t.Run("TranscodesToPCMA", s.transcodesToPCMA)
	t.Run("RejectsOffers", s.rejectsOffers)
	t.Run("SequenceAndTimestampContinuity", s.continuity)
	t.Run("TwoAgentsShareOnePort", s.twoAgents)
	t.Run("VanishedBrowserDetected", s.vanished)
	t.Run("HangupReportsClosed", s.hangup)
	t.Run("CloseFromCallbackAndTwice", s.closeFromCallback)
	t.Run("EngineCloseClosesLegs", s.engineClose)
}

// Connect runs offer/answer between a new test browser and e and waits
// until the leg is connected; the leg is closed on t.Cleanup.
func Connect(t testing.TB, e Engine, opts Options) (*Browser, Leg, []byte) {
	t.Helper()
	b := NewBrowserWith(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leg, answer, err := e.Accept(ctx, b.Offer())
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	t.Cleanup(func() { _ = leg.Close() })
	b.SetAnswer(answer)
	WaitFor(t, "leg connected", 10*time.Second, func() bool { return leg.Stats().State == browserleg.StateConnected })
	return b, leg, answer
}

// WaitFor polls cond until it holds or timeout passes (waittest.For).
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	waittest.For(t, what, timeout, cond)
}

// Candidates returns the RTP (component 1) ICE candidate addresses of an SDP.
func Candidates(t testing.TB, sdpText []byte) []netip.AddrPort {
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
				continue // RTCP, muxed on the same port
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

// StateLog records OnState calls.
type StateLog struct {
	mu     sync.Mutex // guards following
	states []browserleg.State
}

// Add records st; pass it to Leg.OnState.
func (s *StateLog) Add(st browserleg.State) {
	s.mu.Lock()
	s.states = append(s.states, st)
	s.mu.Unlock()
}

// Has reports whether st was recorded.
func (s *StateLog) Has(st browserleg.State) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.states {
		if x == st {
			return true
		}
	}
	return false
}

// String lists the states recorded, comma-separated.
func (s *StateLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, x := range s.states {
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ",")
}

func (s Suite) audioBothWays(t *testing.T) {
	e := s.New(t, 0, 0)
	// Chrome-like offer: Opus first, then PCMU and PCMA.
	b, leg, answer := Connect(t, e, Options{Codecs: []media.Codec{media.PCMA, media.PCMU}})
	cands := Candidates(t, answer)
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
	StartTone(t, leg, media.PCMU, 1000)
	WaitFor(t, "browser hears 1 kHz", 5*time.Second, func() bool { return b.Ratio(1000, 400*time.Millisecond) > 0.9 })
	if r := b.Ratio(1500, 400*time.Millisecond); r > 0.1 {
		t.Errorf("browser: ratio at 1.5 kHz = %.2f, want ~0", r)
	}
	// Browser → gateway: 1.5 kHz.
	rec := &Recorder{}
	leg.Start(rec)
	b.SendTone(1500)
	WaitFor(t, "sink hears 1.5 kHz", 5*time.Second, func() bool { return rec.Ratio(1500, 400*time.Millisecond) > 0.9 })
	if r := rec.Ratio(1000, 400*time.Millisecond); r > 0.1 {
		t.Errorf("sink: ratio at 1 kHz = %.2f, want ~0", r)
	}
	// The test browser's microphone track is PCMA (its first codec) while
	// the leg sends PCMU: the sink gets each packet's own law.
	if codecs := rec.Codecs(); codecs[media.PCMA] == 0 || codecs[media.PCMU] != 0 {
		t.Errorf("sink got codecs %v, want PCMA only", codecs)
	}
	if err := leg.WritePacket(&media.Packet{Codec: media.PCMU, Payload: make([]byte, browserleg.MaxPayload+1)}); err == nil {
		t.Errorf("WritePacket of %d bytes: no error, want one (over browserleg.MaxPayload)", browserleg.MaxPayload+1)
	}
	st := leg.Stats()
	if st.PacketsSent == 0 || st.PacketsReceived == 0 || st.WriteErrors != 0 {
		t.Errorf("Stats() = %+v", st)
	}
	if s.AfterAudio != nil {
		s.AfterAudio(t, leg)
	}
}

func (s Suite) transcodesToPCMA(t *testing.T) {
	e := s.New(t, 0, 0)
	b, leg, _ := Connect(t, e, Options{Codecs: []media.Codec{media.PCMA}, NoOpus: true})
	if got := leg.Codec(); got != media.PCMA {
		t.Fatalf("Codec() = %v, want PCMA", got)
	}
	StartTone(t, leg, media.PCMU, 1000) // the switch feeds µ-law
	WaitFor(t, "browser hears 1 kHz", 5*time.Second, func() bool { return b.Ratio(1000, 400*time.Millisecond) > 0.9 })
	for _, p := range b.Packets() {
		if p.PayloadType != media.PCMA.PayloadType() {
			t.Fatalf("browser got payload type %d, want 8", p.PayloadType)
		}
	}
	rec := &Recorder{}
	leg.Start(rec)
	b.SendTone(700)
	WaitFor(t, "sink hears 700 Hz", 5*time.Second, func() bool { return rec.Ratio(700, 400*time.Millisecond) > 0.9 })
}

func (s Suite) rejectsOffers(t *testing.T) {
	e := s.New(t, 0, 0)
	good := string(NewBrowser(t, media.PCMU).Offer())
	opusOnly := strings.NewReplacer("a=rtpmap:0 PCMU/8000\r\n", "", " 111 0\r\n", " 111\r\n").Replace(good)
	if strings.Contains(opusOnly, "PCMU") {
		t.Fatalf("could not strip PCMU from offer:\n%s", good)
	}
	tests := []BadOffer{
		{"empty", "", "invalid_sdp", browserleg.ErrInvalidOffer},
		{"garbage", "hello", "invalid_sdp", browserleg.ErrInvalidOffer},
		{"opus only", opusOnly, "no_common_codec", browserleg.ErrNoCommonCodec},
		{"video only", strings.Replace(good, "m=audio", "m=video", 1), "no_audio", browserleg.ErrNoAudio},
		{"huge", strings.Repeat("a", 70000), "invalid_sdp", browserleg.ErrInvalidOffer},
	}
	if s.MoreBadOffers != nil {
		tests = append(tests, s.MoreBadOffers(good)...)
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			leg, answer, err := e.Accept(t.Context(), []byte(tt.Offer))
			if err == nil {
				_ = leg.Close()
				t.Fatalf("Accept(%s) = answer %q, want error", tt.Name, answer)
			}
			oe, ok := errors.AsType[*browserleg.OfferError](err)
			if !ok || oe.Reason != tt.Reason || !errors.Is(err, tt.Want) {
				t.Errorf("Accept(%s) error = %v (%T), want *OfferError %s wrapping %v", tt.Name, err, err, tt.Reason, tt.Want)
			}
		})
	}
}

func (s Suite) continuity(t *testing.T) {
	e := s.New(t, 0, 0)
	b, leg, _ := Connect(t, e, Options{})
	src := StartTone(t, leg, media.PCMU, 1000)
	WaitFor(t, "30 packets sent", 5*time.Second, func() bool { return src.Sent() >= 30 })
	src.Pause(15) // 300 ms of nothing
	WaitFor(t, "browser gets 60 packets", 10*time.Second, func() bool { return len(b.Packets()) >= 60 })
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
		case cur.Marker && wall > 2*media.FrameDuration && dts > media.FrameSamples && dts <= uint32(wall*media.SampleRate/time.Second)+800:
			// The tone's sender stalled (a loaded machine: a 60-80 ms
			// scheduling gap): that is a pause too, and the timestamp
			// follows the wall clock across it, with the marker.
		default:
			t.Errorf("packet %d: ts advanced %d (marker %v) after %v", i, dts, cur.Marker, wall)
		}
	}
	if gaps != 1 {
		t.Errorf("saw %d pauses in %d packets, want 1", gaps, len(pk))
	}
}

func (s Suite) twoAgents(t *testing.T) {
	e := s.New(t, 0, 0)
	b1, leg1, ans1 := Connect(t, e, Options{})
	b2, leg2, ans2 := Connect(t, e, Options{})
	c1, c2 := Candidates(t, ans1), Candidates(t, ans2)
	if len(c1) != 1 || len(c2) != 1 || c1[0] != c2[0] || c1[0] != e.Addr() {
		t.Fatalf("candidates %v and %v, want both exactly [%v]", c1, c2, e.Addr())
	}
	StartTone(t, leg1, media.PCMU, 1000)
	StartTone(t, leg2, media.PCMU, 600)
	r1, r2 := &Recorder{}, &Recorder{}
	leg1.Start(r1)
	leg2.Start(r2)
	b1.SendTone(1500)
	b2.SendTone(2000)
	WaitFor(t, "each browser hears its own tone", 5*time.Second, func() bool {
		return b1.Ratio(1000, 400*time.Millisecond) > 0.9 && b2.Ratio(600, 400*time.Millisecond) > 0.9
	})
	WaitFor(t, "each sink hears its own browser", 5*time.Second, func() bool {
		return r1.Ratio(1500, 400*time.Millisecond) > 0.9 && r2.Ratio(2000, 400*time.Millisecond) > 0.9
	})
}

func (s Suite) vanished(t *testing.T) {
	disc, fail := 3*time.Second, 2*time.Second
	e := s.New(t, disc, fail)
	b, leg, _ := Connect(t, e, Options{})
	var log StateLog
	leg.OnState(log.Add)
	StartTone(t, leg, media.PCMU, 1000)
	leg.Start(nil)
	b.SendTone(1500)
	WaitFor(t, "audio flowing", 5*time.Second, func() bool { return b.Heard(1000) })

	gone := time.Now()
	b.Close() // vanish: no close_notify
	WaitFor(t, "Disconnected", disc+2*time.Second, func() bool { return log.Has(browserleg.StateDisconnected) })
	t.Logf("disconnected after %v", time.Since(gone).Round(time.Millisecond))
	select {
	case <-leg.Done():
		t.Fatal("Done closed on Disconnected")
	default:
	}
	select {
	case <-leg.Done():
	case <-time.After(disc + fail + 3*time.Second):
		t.Fatalf("Done not closed; states %s", &log)
	}
	t.Logf("failed after %v", time.Since(gone).Round(time.Millisecond))
	if got := leg.Stats().State; got != browserleg.StateFailed {
		t.Errorf("State = %v, want failed (states %s)", got, &log)
	}
	if err := leg.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The Connected callback may run after OnState was set (the leg's
	// callbacks run on their own goroutine), as in hangup. Close does not
	// wait for the callbacks (a callback may call Close), so the Closed
	// callback is waited for.
	WaitFor(t, "the Closed callback", 5*time.Second, func() bool { return log.Has(browserleg.StateClosed) })
	if got, want := log.String(), "disconnected,failed,closed"; got != want && got != "connected,"+want {
		t.Errorf("states = %s, want [connected,]%s", got, want)
	}
}

func (s Suite) hangup(t *testing.T) {
	e := s.New(t, 0, 0)
	b, leg, _ := Connect(t, e, Options{})
	var log StateLog
	leg.OnState(log.Add)
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
	// first; after the hangup the only state is closed (waited for, as in
	// vanished).
	WaitFor(t, "the Closed callback", 5*time.Second, func() bool { return log.Has(browserleg.StateClosed) })
	if got := log.String(); got != "closed" && got != "connected,closed" {
		t.Errorf("states = %s, want closed", got)
	}
}

func (s Suite) closeFromCallback(t *testing.T) {
	e := s.New(t, 500*time.Millisecond, 500*time.Millisecond)
	b, leg, _ := Connect(t, e, Options{})
	closed := make(chan error, 1)
	leg.OnState(func(st browserleg.State) {
		if st == browserleg.StateDisconnected {
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
	if err := leg.WritePacket(&p); !errors.Is(err, browserleg.ErrClosed) {
		t.Errorf("WritePacket after Close = %v, want ErrClosed", err)
	}
	leg.Start(nil) // no effect after Close
}

func (s Suite) engineClose(t *testing.T) {
	e := s.New(t, 0, 0)
	_, leg, _ := Connect(t, e, Options{})
	if err := e.Close(); err != nil {
		t.Fatalf("Engine.Close: %v", err)
	}
	select {
	case <-leg.Done():
	default:
		t.Error("leg not done after Engine.Close")
	}
	if _, _, err := e.Accept(context.Background(), NewBrowser(t, media.PCMU).Offer()); !errors.Is(err, browserleg.ErrClosed) {
		t.Errorf("Accept after Close = %v, want ErrClosed", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Engine.Close: %v", err)
	}
}

// Concrete is an engine whose Accept returns its own leg type, as
// *webrtcleg.Engine and *lean.Engine do.
type Concrete[L Leg] interface {
	Accept(ctx context.Context, offer []byte) (L, []byte, error)
	Addr() netip.AddrPort
	Close() error
}

// Adapt makes a Concrete engine an Engine for the suite.
func Adapt[L Leg](e Concrete[L]) Engine { return adapted[L]{e} }

type adapted[L Leg] struct{ Concrete[L] }

func (a adapted[L]) Accept(ctx context.Context, offer []byte) (Leg, []byte, error) {
	leg, answer, err := a.Concrete.Accept(ctx, offer)
	if err != nil {
		return nil, nil, err // not a nil L in a non-nil Leg
	}
	return leg, answer, nil
}
