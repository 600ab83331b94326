package rtpleg

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
)

// offerTEPT is the telephone-event payload type we put into our own offers.
const offerTEPT = 101

// mediaState is an immutable snapshot of what offer/answer negotiated. The
// leg swaps in a new one on every negotiation or latch, so the packet paths
// read it without locks.
type mediaState struct {
	codec    media.Codec
	audioPT  uint8 // payload type of codec, both ways
	tePT     int   // telephone-event payload type we send with; -1 if not negotiated
	teRecvPT int   // telephone-event payload type we declared (and so receive with); -1 if none
	dir      direction
	remote   netip.AddrPort // where the remote's SDP asks for RTP
	latched  netip.AddrPort // the source that passed probation while remote was silent (latch.go)
	hold     bool           // an RFC 2543 hold (c=0.0.0.0 re-offer): the timeout is suspended
	rtcpMux  bool           // RTCP shares the RTP port (RFC 5761), else RTP port + 1
	rtcpPort int            // the remote's RTCP port when not muxed (a=rtcp, else RTP + 1)
}

// dest is where we send RTP; invalid when there is nowhere to send.
func (s *mediaState) dest() netip.AddrPort {
	if s.latched.IsValid() {
		return s.latched
	}
	if !s.remote.Addr().IsValid() || s.remote.Addr().IsUnspecified() || s.remote.Port() == 0 {
		return netip.AddrPort{}
	}
	return s.remote
}

// Leg is one plain RTP/UDP media stream toward the trunk, with its SDP
// offer/answer state. Create it with Pool.Open; Close it when the call ends.
//
// All methods are safe for concurrent use. The sink and the OnDTMF callback
// are called from the leg's reader: its read goroutine, or with
// Config.Loop the loop's goroutine.
type Leg struct {
	pool    *Pool
	port    int
	conn    rtpConn   // the RTP socket (sock.go)
	rtcp    rtcpState // RTCP: the port+1 socket, reception statistics (rtcp.go)
	ssrc    uint32    // our SSRC (fixed)
	local   netip.AddrPort
	log     *slog.Logger
	timeout time.Duration
	epoch   time.Time // monotonic base for lastRecv

	state  atomic.Pointer[mediaState]
	sink   atomic.Pointer[sinkBox]
	onDTMF atomic.Pointer[func(rune)]
	held   atomic.Bool
	// lastRecv is the time of the last accepted packet, in ns since epoch.
	lastRecv atomic.Int64
	started  atomic.Bool
	ended    atomic.Bool

	mu      sync.Mutex // guards following and serializes negotiation
	sessID  uint64
	version uint64
	offered bool // we sent Offer and wait for SetAnswer
	closed  bool // Close has begun: Start must not start the read loop

	send  sender
	stats counters
	sec   secure // SDES-SRTP (srtp.go)

	wg        sync.WaitGroup // the read loop, the RTCP reader and reporter
	closeOnce sync.Once
	closing   chan struct{} // closed by Close
	endOnce   sync.Once
	done      chan struct{} // closed when the leg ends
	err       error         // why it ended; written before done is closed
}

type sinkBox struct{ w media.PacketWriter }

func newLeg(p *Pool, port int, conn, rtcpConn rtpConn) *Leg {
	l := &Leg{
		pool:    p,
		port:    port,
		conn:    conn,
		rtcp:    rtcpState{conn: rtcpConn},
		local:   netip.AddrPortFrom(p.ip, uint16(port)),
		timeout: p.cfg.timeout(),
		epoch:   time.Now(),
		sessID:  rand.Uint64N(1 << 62),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	l.log = p.log.With("rtp_local", l.local.String())
	l.version = l.sessID
	l.send.init()
	l.ssrc = l.send.pkt.SSRC
	return l
}

// LocalAddr returns the address the leg receives RTP on.
func (l *Leg) LocalAddr() netip.AddrPort { return l.local }

// Codec returns the negotiated audio codec (CodecUnknown before negotiation).
func (l *Leg) Codec() media.Codec {
	if s := l.state.Load(); s != nil {
		return s.codec
	}
	return media.CodecUnknown
}

// Direction returns the negotiated direction from our side: "sendrecv",
// "sendonly", "recvonly" or "inactive" ("inactive" before negotiation).
func (l *Leg) Direction() string {
	if s := l.state.Load(); s != nil {
		return s.dir.String()
	}
	return dirInactive.String()
}

// RemoteAddr returns where the leg sends RTP: the latched source, or the
// address of the remote SDP; invalid when there is nowhere to send.
func (l *Leg) RemoteAddr() netip.AddrPort {
	if s := l.state.Load(); s != nil {
		return s.dest()
	}
	return netip.AddrPort{}
}

// Answer negotiates a remote offer (RFC 3264 §6) and returns our answer. It
// picks the first offered of PCMU and PCMA, keeps telephone-event with the
// offered payload type if offered, answers ptime 20 and the reverse of the
// offered direction, and applies the remote address, codec and direction.
// A later call (re-INVITE) answers for the same session with the version
// incremented.
//
// RTP from the remote's SDP address is always taken; RTP from elsewhere
// only while that address is silent, after a probation (latch.go), and the
// leg then sends there (symmetric RTP). A re-offer with c=0.0.0.0 is an
// RFC 2543 hold: answered recvonly (or inactive), with the inactivity
// timeout suspended. Errors are *SDPError (400 malformed, 488 not
// acceptable); on error nothing changes.
func (l *Leg) Answer(offer []byte) ([]byte, error) {
	r, err := parseRemote(offer)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.Load() != nil && r.addr.IsUnspecified() {
		// RFC 2543 hold (RFC 3264 §8.4): a re-offer with c=0.0.0.0 asks us
		// to send nothing. Answered in kind (we stop sending: recvonly or
		// inactive), and the inactivity timeout is suspended (checkTimeout).
		r.dir, r.hold = r.dir.withoutRecv(), true
	}
	crypto, err := l.answerSRTPLocked(r) // srtp.go
	if err != nil {
		return nil, err
	}
	l.version++
	l.offered = false
	d := localDesc{crypto: crypto,
		ip: l.sdpIP(), port: l.port, sessID: l.sessID, version: l.version,
		dir:     r.dir.reverse(),
		formats: []format{codecFormat(r.codec, r.audioPT)},
		proto:   r.mlines[r.audio].proto,
		mlines:  r.mlines, audioIdx: r.audio,
		rtcpMux: r.rtcpMux,
	}
	if r.tePT >= 0 {
		d.formats = append(d.formats, format{pt: uint8(r.tePT), name: "telephone-event", rate: 8000})
	}
	l.applyLocked(r, d.dir, r.tePT)
	return d.marshal(), nil
}

// Offer returns an SDP offer for an outbound call or a re-INVITE of ours:
// PCMU, PCMA, telephone-event/8000 as 101, ptime 20, sendrecv. Apply the
// remote answer with SetAnswer.
func (l *Leg) Offer() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.version++
	l.offered = true
	d := localDesc{
		ip: l.sdpIP(), port: l.port, sessID: l.sessID, version: l.version,
		dir: dirSendRecv, offerCrypto: l.offerSRTPLocked(),
		formats: []format{
			codecFormat(media.PCMU, media.PCMU.PayloadType()),
			codecFormat(media.PCMA, media.PCMA.PayloadType()),
			{pt: offerTEPT, name: "telephone-event", rate: 8000},
		},
		rtcpMux: true,
	}
	return d.marshal()
}

// SetAnswer applies the remote answer to our last Offer. Errors are *SDPError.
func (l *Leg) SetAnswer(answer []byte) error {
	r, err := parseRemote(answer)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.offered {
		return &SDPError{Code: 400, Reason: "unexpected SDP answer: no offer pending"}
	}
	l.offered = false
	if err := l.setAnswerSRTPLocked(r); err != nil {
		return err
	}
	l.applyLocked(r, r.dir.reverse(), offerTEPT)
	return nil
}

// applyLocked installs the negotiated state from r.
func (l *Leg) applyLocked(r *remoteDesc, dir direction, teRecvPT int) {
	st := &mediaState{
		codec: r.codec, audioPT: r.audioPT, tePT: r.tePT, teRecvPT: teRecvPT,
		dir: dir, remote: r.remoteAddr(), hold: r.hold,
		rtcpMux: r.rtcpMux, rtcpPort: r.rtcpPort,
	}
	if st.rtcpPort == 0 {
		st.rtcpPort = r.port + 1
	}
	if prev := l.state.Load(); prev != nil && prev.latched.IsValid() && prev.remote == st.remote {
		// The same SDP address: the NAT binding we latched onto still holds.
		st.latched = prev.latched
	}
	l.state.Store(st)
	l.log.Debug("rtp negotiated", "codec", st.codec.String(), "direction", dir.String(),
		"remote", st.remote.String(), "latched", st.latched.String(), "telephone_event", st.tePT)
}

// SetSink replaces the writer that receives the remote's audio; it takes
// effect from the next packet. nil means media.Discard.
func (l *Leg) SetSink(sink media.PacketWriter) {
	if sink == nil {
		sink = media.Discard
	}
	l.sink.Store(&sinkBox{w: sink})
}

// OnDTMF sets the function called once per RFC 4733 digit received ('0'-'9',
// '*', '#', 'A'-'D'). It runs on the read goroutine and must not block.
func (l *Leg) OnDTMF(fn func(digit rune)) {
	if fn == nil {
		l.onDTMF.Store(nil)
		return
	}
	l.onDTMF.Store(&fn)
}

// SetHold suspends (true) or resumes (false) the inactivity timeout. On resume
// the timeout counts from now.
func (l *Leg) SetHold(held bool) {
	if !held {
		l.lastRecv.Store(int64(time.Since(l.epoch)))
	}
	l.held.Store(held)
}

// Done is closed when the leg ends: Close, or the inactivity timeout.
func (l *Leg) Done() <-chan struct{} { return l.done }

// Err returns why the leg ended: ErrTimeout after the inactivity timeout,
// a read error if the socket kept failing, nil otherwise (also while it runs).
func (l *Leg) Err() error {
	select {
	case <-l.done:
		return l.err
	default:
		return nil
	}
}

// end marks the leg ended with err (first caller wins).
func (l *Leg) end(err error) {
	l.endOnce.Do(func() {
		l.err = err
		l.ended.Store(true)
		close(l.done)
	})
}

// Close ends the leg: it stops the read loop and waits for it, closes the
// socket and returns the port to the pool. It is idempotent.
func (l *Leg) Close() error {
	var err error
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		close(l.closing)
		if cerr := l.conn.close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		if cerr := l.rtcp.conn.close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = errors.Join(err, cerr)
		}
		l.wg.Wait()
		l.end(nil)
		l.pool.release(l.port)
	})
	return err
}

// String describes the leg for logs, e.g. "rtp(PCMU 127.0.0.1:10000->127.0.0.1:4000 sendrecv)".
func (l *Leg) String() string {
	s := l.state.Load()
	if s == nil {
		return "rtp(" + l.local.String() + " unnegotiated)"
	}
	return "rtp(" + s.codec.String() + " " + l.local.String() + "->" + s.dest().String() + " " + s.dir.String() + ")"
}

var _ media.PacketWriter = (*Leg)(nil)
