package lean

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/report"
)

// State is browserleg's: the same states mean the same in both engines.
type State = browserleg.State

// Stats is browserleg's.
type Stats = browserleg.Stats

// rtpHeaderMax is the largest RTP header the leg writes (no CSRC, no
// extension: 12 bytes); srtpOverhead covers the auth tag (GCM 16, HMAC 10).
const (
	rtpHeaderMax = 12
	srtpOverhead = 16
)

// Leg is one agent's browser connection: one G.711 stream each way. Make
// it with Engine.Accept.
type Leg struct {
	// Codec, String, Start, SetSink, OnState, Done and Stats, over codec,
	// sink, stats and notify.
	browserleg.Methods

	e           *Engine
	log         *slog.Logger
	codec       media.Codec
	pt          uint8 // payload type we send
	ptPCMU      int   // the browser's payload types (-1: not offered)
	ptPCMA      int
	ufrag, pwd  string
	remoteUfrag string
	integrity   stun.MessageIntegrity
	fingerprint fingerprints
	created     time.Time

	addrs  []netip.AddrPort // browser addresses routed to this leg; guarded by e.mu
	remote atomic.Pointer[netip.AddrPort]
	alive  atomic.Bool // an authenticated packet arrived since the last tick
	// heardN counts authenticated packets; alertN/alertAt remember a DTLS
	// alert after the handshake (see receiveDTLS).
	heardN  atomic.Uint64
	alertN  atomic.Uint64
	alertAt atomic.Int64 // unix nanoseconds; 0: none pending
	srtpIn  atomic.Bool  // an SRTP packet from the browser was authenticated

	// Send path.
	wmu         sync.Mutex // guards following
	tx          *srtp.Context
	hdr         rtp.Header
	scratch     rtp.Header
	sending     bool
	lastSamples uint32
	tl          media.Timeline // our numbering: offsets from the writer's
	lastWrite   time.Time
	plain       [rtpHeaderMax + browserleg.MaxPayload]byte
	enc         []byte

	// Receive path (engine read loop).
	rmu  sync.Mutex // guards following; held while the sink runs
	rx   *srtp.Context
	rhdr rtp.Header
	pkt  media.Packet
	sink browserleg.Sink

	// DTLS, until detached.
	dmu      sync.Mutex // guards following
	dc       *dtlsConn
	dconn    *dtls.Conn
	cancelHS context.CancelFunc
	hsDone   time.Time
	wg       sync.WaitGroup // the handshake goroutine

	// State and its callback.
	notify      browserleg.Notifier // the state, OnState and Done
	smu         sync.Mutex          // guards following
	pending     []State
	dispatching bool
	closedFlag  atomic.Bool
	closeOnce   sync.Once

	lastHeard time.Time // ticker only

	rtcp    rtcpState // SRTCP reports and the browser stream's statistics (rtcp.go)
	hdrSSRC uint32    // our SSRC (fixed at creation)

	stats browserleg.Counters
}

func newLeg(e *Engine, o *offer, codec media.Codec, pt uint8) *Leg {
	l := &Leg{
		e: e, codec: codec, pt: pt, ptPCMU: o.ptPCMU, ptPCMA: o.ptPCMA,
		ufrag: randomString(8), pwd: randomString(24), remoteUfrag: o.ufrag,
		fingerprint: o.fingerprints,
		created:     time.Now(),
		enc:         make([]byte, 0, rtpHeaderMax+browserleg.MaxPayload+srtpOverhead+16),
	}
	l.lastHeard = l.created
	l.integrity = stun.NewShortTermIntegrity(l.pwd)
	l.log = e.log.With("codec", codec.String(), "ufrag", l.ufrag)
	// RFC 3550 §5.1: random SSRC, initial sequence number and timestamp.
	l.hdr = rtp.Header{Version: 2, SSRC: rand.Uint32(), PayloadType: pt}
	l.tl.Start(uint16(rand.Uint32()), rand.Uint32())
	l.hdrSSRC = l.hdr.SSRC
	l.notify.Set(browserleg.StateConnecting)
	l.Methods = browserleg.Bind(codec, &l.sink, &l.stats, &l.notify)
	return l
}

// WritePacket sends p to the browser with the leg's own SSRC, and sequence
// numbers and timestamps offset from p's (media.Timeline): p's gaps and
// steps pass through, a new writer continues the stream (on the wall clock
// after a pause, with the marker bit set). A payload in the
// other G.711 law is transcoded. Before the leg is connected, and once it
// has failed, packets are dropped and counted; after Close it returns
// browserleg.ErrClosed. It does not retain p and does not allocate.
func (l *Leg) WritePacket(p *media.Packet) error {
	payload, err := browserleg.Payload(p)
	if err != nil || len(payload) == 0 {
		return err
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if l.closedFlag.Load() {
		return browserleg.ErrClosed
	}
	remote := l.remote.Load()
	if l.tx == nil || remote == nil || l.notify.State().Final() {
		l.stats.Dropped.Add(1)
		return nil
	}
	now := time.Now()
	// Offsets, not re-stamping (PROTOCOL §14 "Media timeline"): the
	// writer's gaps and steps pass through; a new writer continues the
	// stream, on the wall clock after a pause (with the marker bit).
	seq, ts, ok, anchored := l.tl.Map(1, p.SequenceNumber, p.Timestamp, uint32(len(payload)))
	if !ok {
		l.stats.Dropped.Add(1)
		return nil // reordered behind packets already sent in its place
	}
	marker := p.Marker
	if anchored {
		marker = !l.sending
		if l.sending {
			expected := time.Duration(l.lastSamples) * time.Second / media.SampleRate
			if gap := now.Sub(l.lastWrite); gap > expected+2*media.FrameDuration {
				d := uint32(gap*media.SampleRate/time.Second) - l.lastSamples
				l.tl.Shift(d)
				ts += d
				marker = true
			}
		}
		l.sending = true
	}
	l.hdr.SequenceNumber, l.hdr.Timestamp = seq, ts
	l.lastWrite = now
	l.lastSamples = uint32(len(payload))
	l.hdr.Marker = marker
	hl, err := l.hdr.MarshalTo(l.plain[:])
	if err != nil {
		l.stats.WriteErrors.Add(1)
		return fmt.Errorf("write rtp: %w", err)
	}
	n := len(payload)
	if p.Codec != l.codec && p.Codec != media.CodecUnknown {
		media.Transcode(p.Codec, l.codec, l.plain[hl:], payload)
	} else {
		copy(l.plain[hl:], payload)
	}
	out, err := l.tx.EncryptRTP(l.enc[:0], l.plain[:hl+n], &l.scratch)
	if err == nil {
		err = l.e.sock.send(out, *remote) // queued for the engine's next tick while it ticks (sock_linux.go)
	}
	if err != nil {
		l.stats.WriteErrors.Add(1)
		return fmt.Errorf("write rtp: %w", err)
	}
	l.stats.Sent.Add(1)
	l.stats.SentBytes.Add(uint64(n))
	return nil
}

// Close ends the leg and waits for its packet goroutines. After it returns
// the sink is not called again. It does not wait for the OnState
// callbacks: they run in order on their own goroutine, the last reporting
// Closed, which may come after Close returns (so a callback may call
// Close). It is idempotent and safe to call concurrently.
func (l *Leg) Close() error {
	l.closeOnce.Do(func() {
		l.closedFlag.Store(true)
		l.setState(browserleg.StateClosed)
		l.rmu.Lock()
		l.rx = nil
		l.rmu.Unlock()
		l.wmu.Lock()
		l.tx = nil
		l.wmu.Unlock()
		l.detachDTLS(true)
		l.e.forget(l)
	})
	l.wg.Wait()
	return nil
}

// receive handles one datagram from a browser address of this leg, on the
// engine's reader r (RFC 7983 demultiplexing by first byte).
func (l *Leg) receive(r *reader, b []byte, from netip.AddrPort) {
	switch c := b[0]; {
	case c < 4:
		l.e.handleSTUN(r, b, from, l)
	case c >= 20 && c < 64:
		l.receiveDTLS(b)
	case c >= 128 && c < 192:
		l.receiveRTP(b)
	}
}

// receiveRTP decrypts an SRTP packet in place and hands it to the sink;
// SRTCP (RFC 5761 §4: packet types 192–223) goes to the reports (rtcp.go).
func (l *Leg) receiveRTP(b []byte) {
	if len(b) < 12 {
		return
	}
	l.rmu.Lock()
	defer l.rmu.Unlock()
	if report.IsRTCP(b) {
		l.receiveRTCPLocked(b)
		return
	}
	if l.rx == nil {
		l.drop(dropNoKeys)
		return
	}
	hl, err := l.rhdr.Unmarshal(b)
	if err != nil {
		l.drop(dropHeader)
		return
	}
	out, err := l.rx.DecryptRTP(b, b, &l.rhdr)
	if err != nil {
		l.drop(srtpDropReason(err)) // not authentic, replayed, or garbage
		return
	}
	l.alive.Store(true)
	l.heardN.Add(1)
	if !l.srtpIn.Load() {
		l.srtpIn.Store(true)
	}
	codecPT := int(l.rhdr.PayloadType) == l.ptPCMU || int(l.rhdr.PayloadType) == l.ptPCMA
	l.rtcp.rcv.Packet(l.rhdr.SSRC, l.rhdr.SequenceNumber, l.rhdr.Timestamp, time.Since(l.created), codecPT)
	end := len(out)
	if l.rhdr.Padding && end > hl {
		end -= int(out[end-1])
	}
	codec := media.CodecUnknown
	switch int(l.rhdr.PayloadType) {
	case l.ptPCMU:
		codec = media.PCMU
	case l.ptPCMA:
		codec = media.PCMA
	}
	if codec == media.CodecUnknown || end <= hl {
		l.drop(dropNotAudio) // comfort noise, DTMF events, empty
		return
	}
	l.pkt = media.Packet{
		Payload:        out[hl:end],
		Codec:          codec,
		SequenceNumber: l.rhdr.SequenceNumber,
		Timestamp:      l.rhdr.Timestamp,
		Marker:         l.rhdr.Marker,
	}
	l.stats.Received.Add(1)
	l.stats.ReceivedBytes.Add(uint64(end - hl))
	if err := l.sink.WritePacket(&l.pkt); err != nil {
		l.stats.SinkErrors.Add(1)
	}
}

// onCheck records a valid binding request from addr: the address is routed
// to the leg, the first one (or a nominated one, USE-CANDIDATE) becomes
// where media goes.
func (l *Leg) onCheck(addr netip.AddrPort, nominate bool, known *Leg) {
	if l.closedFlag.Load() {
		return
	}
	if known != l {
		l.e.register(l, addr)
	}
	if r := l.remote.Load(); r == nil || (nominate && *r != addr) {
		l.remote.Store(&addr)
	}
	l.alive.Store(true)
	l.heardN.Add(1)
}

// tick runs liveness (consent freshness) and DTLS clean-up; engine ticker.
func (l *Leg) tick(now time.Time) {
	if l.alive.Swap(false) {
		l.lastHeard = now
	}
	silent := now.Sub(l.lastHeard)
	if at := l.alertAt.Load(); at != 0 && now.Sub(time.Unix(0, at)) >= alertGrace {
		l.alertAt.Store(0)
		if l.heardN.Load() == l.alertN.Load() {
			// Nothing authentic since the alert: the browser really closed.
			if !l.notify.State().Final() {
				l.log.Info("browser closed dtls")
			}
			l.setState(browserleg.StateClosed)
		}
	}
	switch l.notify.State() {
	case browserleg.StateConnecting:
		if now.Sub(l.created) > l.e.connect {
			l.log.Warn("webrtc leg not connected in time")
			l.setState(browserleg.StateFailed)
		}
	case browserleg.StateConnected:
		if silent > l.e.disc {
			l.setState(browserleg.StateDisconnected)
		}
		l.sendRTCP(now)
	case browserleg.StateDisconnected:
		if silent <= l.e.disc {
			l.setState(browserleg.StateConnected)
		} else if silent > l.e.disc+l.e.fail {
			l.setState(browserleg.StateFailed)
		}
	}
	l.dmu.Lock()
	detach := l.dconn != nil && !l.hsDone.IsZero() && (l.srtpIn.Load() || now.Sub(l.hsDone) > detachAfter)
	final := l.dconn != nil && l.notify.State().Final()
	l.dmu.Unlock()
	if detach || final {
		l.detachDTLS(false)
	}
}

// setState moves the leg to s (final states stick) and queues the OnState
// callback, which a short-lived goroutine runs, in order.
func (l *Leg) setState(s State) {
	l.smu.Lock()
	defer l.smu.Unlock()
	cur := l.notify.State()
	// Final states stick, except that Close reports Closed after Failed
	// (as webrtcleg does).
	if cur == s || cur == browserleg.StateClosed || (cur == browserleg.StateFailed && s != browserleg.StateClosed) {
		return
	}
	l.notify.Set(s)
	l.pending = append(l.pending, s)
	if !l.dispatching {
		l.dispatching = true
		go l.dispatch()
	}
}

func (l *Leg) dispatch() {
	for {
		l.smu.Lock()
		if len(l.pending) == 0 {
			l.dispatching = false
			l.pending = nil
			l.smu.Unlock()
			return
		}
		s := l.pending[0]
		l.pending = l.pending[1:]
		l.smu.Unlock()
		l.notify.Report(l.log, s, &l.stats)
	}
}

var _ media.PacketWriter = (*Leg)(nil)

// final reports whether no further transition can follow s.
