package rtpleg

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/srtp/v3"

	"switchboard/media"
	"switchboard/media/report"
)

// srtcpOverhead is what SRTCP adds to a compound packet: the E flag and
// index (4 bytes) and the longest authentication tag (10).
const srtcpOverhead = 4 + 10

// cname is our RTCP SDES CNAME (RFC 3550 §6.5.1); one per process is enough
// for audio-only legs that need no lip sync.
const cname = "switchboard"

// rtcpState is a leg's RTCP (RFC 3550 §6, PROTOCOL §9): reports every
// interval on rtcp-mux when negotiated, else from and to RTP port + 1, and
// the peer's reports read for the round trip time.
type rtcpState struct {
	conn rtpConn         // the RTP port + 1 socket (beside the RTP one on the loop)
	rcv  report.Receiver // what the remote's stream looked like, and its reports

	mu   sync.Mutex     // guards following; taken by the reporter and the RTCP readers
	from netip.AddrPort // where the remote's RTCP on conn came from (symmetric RTCP)
	buf  [report.MaxCompound]byte
	// SRTCP (RFC 3711 §3.4) when the leg negotiated SDES-SRTP: contexts of
	// their own (an srtp.Context is not safe for concurrent use, and the
	// RTP ones belong to the RTP paths), made for the session in force.
	sess   *srtpSession
	tx, rx *srtp.Context
	hdr    rtcp.Header
	out    [report.MaxCompound + srtcpOverhead]byte
	plain  [maxPacket]byte
}

// srtcpLocked returns the SRTCP contexts for the leg's SRTP session, nil
// without SRTP.
func (r *rtcpState) srtcpLocked(s *srtpSession) (tx, rx *srtp.Context) {
	if s == nil {
		return nil, nil
	}
	if r.sess != s {
		prof, _ := suiteProfile(s.suite)
		var err1, err2 error
		r.tx, err1 = srtp.CreateContext(s.local.key[:16], s.local.key[16:], prof)
		r.rx, err2 = srtp.CreateContext(s.remote[:16], s.remote[16:], prof, srtp.SRTCPReplayProtection(64))
		if err1 != nil || err2 != nil {
			r.tx, r.rx = nil, nil
		}
		r.sess = s
	}
	return r.tx, r.rx
}

// Quality returns what the remote's stream into the gateway looked like so
// far (loss, RFC 3550 A.8 jitter), with the round trip time from its RTCP
// reports and the E-model MOS.
func (l *Leg) Quality() media.Quality { return l.rtcp.rcv.Quality() }

// handleRTCP takes an RTCP datagram from src, on the RTP socket (mux) or
// on the RTCP one. Only the remote's address (SDP or latched) is heard.
func (l *Leg) handleRTCP(data []byte, src netip.AddrPort, mux bool) {
	st := l.state.Load()
	if st == nil || (src.Addr() != st.remote.Addr() && src.Addr() != st.latched.Addr()) {
		l.drop(DropSource)
		return
	}
	r := &l.rtcp
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := l.sec.cur.Load(); s != nil {
		_, rx := r.srtcpLocked(s)
		if rx == nil {
			return
		}
		plain, err := rx.DecryptRTCP(r.plain[:0], data, &r.hdr)
		if err != nil {
			l.sec.failed.Add(1)
			return
		}
		data = plain
	}
	if err := r.rcv.HandleRTCP(data, l.ssrc, time.Now()); err != nil {
		l.drop(DropMalformed)
		return
	}
	l.stats.rtcpIn.Add(1)
	if !mux {
		r.from = src
	}
}

// readRTCP reads the RTCP socket: on its udploop shard, or on a goroutine
// until Close.
func (l *Leg) readRTCP() {
	uc := l.rtcp.conn.uc
	if uc == nil {
		l.wg.Go(l.rtcpReadLoop)
		return
	}
	take := func(b []byte, src netip.AddrPort) {
		if report.IsRTCP(b) {
			l.handleRTCP(b, src, false)
		}
	}
	if err := uc.Watch(func() bool { n, _ := uc.ReadBatch(take); return n > 0 }); err != nil {
		l.log.Warn("rtcp socket not read", "error", err) // RTCP is not needed for the call's audio
	}
}

// rtcpReadLoop reads the RTCP socket until Close (goroutine reader).
func (l *Leg) rtcpReadLoop() {
	var buf [maxPacket]byte
	errs := 0
	for {
		n, src, err := l.rtcp.conn.c.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if errs++; errs == maxReadErrors {
				return
			}
			continue
		}
		errs = 0
		if report.IsRTCP(buf[:n]) {
			l.handleRTCP(buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), false)
		}
	}
}

// reportLoop sends a compound report every interval until the leg closes
// or ends, and on the udploop runs the inactivity timeout (timeoutTimer).
func (l *Leg) reportLoop() {
	t := time.NewTicker(l.pool.cfg.rtcpInterval())
	defer t.Stop()
	var silent <-chan time.Time
	tt := l.timeoutTimer()
	if tt != nil {
		defer tt.Stop()
		silent = tt.C
	}
	for {
		select {
		case <-l.closing:
			return
		case <-l.done:
			return
		case <-t.C:
			l.sendReport(time.Now())
		case <-silent:
			if l.checkTimer(tt) {
				return // ended
			}
		}
	}
}

// sendReport sends one SR (or RR, before we sent RTP) with a block about
// the remote's stream and our CNAME. It does not allocate.
func (l *Leg) sendReport(now time.Time) {
	st := l.state.Load()
	if st == nil {
		return
	}
	dst := st.dest()
	if !dst.IsValid() {
		return
	}
	s := &l.send
	s.mu.Lock()
	_, rtpTime := s.tl.Last()
	s.mu.Unlock()
	packets := l.stats.packetsOut.Load()
	sender := report.Sender{SSRC: l.ssrc, Packets: uint32(packets), Octets: uint32(l.stats.bytesOut.Load() - 12*packets), RTPTime: rtpTime}
	r := &l.rtcp
	r.mu.Lock()
	defer r.mu.Unlock()
	pkt := report.AppendCompound(r.buf[:0], now, sender, &r.rcv, cname)
	if s := l.sec.cur.Load(); s != nil {
		tx, _ := r.srtcpLocked(s)
		if tx == nil {
			return
		}
		var err error
		if pkt, err = tx.EncryptRTCP(r.out[:0], pkt, &r.hdr); err != nil {
			return
		}
	}
	if st.rtcpMux {
		if err := l.conn.writeTo(pkt, dst); err == nil {
			l.stats.rtcpOut.Add(1)
		}
		return
	}
	switch {
	case r.from.IsValid() && r.from.Addr() == dst.Addr():
		dst = r.from
	default:
		port := st.rtcpPort
		if st.latched.IsValid() {
			port = int(st.latched.Port()) + 1
		}
		dst = netip.AddrPortFrom(dst.Addr(), uint16(port))
	}
	if err := r.conn.writeTo(pkt, dst); err == nil {
		l.stats.rtcpOut.Add(1)
	}
}

func (c Config) rtcpInterval() time.Duration {
	if c.RTCPInterval > 0 {
		return c.RTCPInterval
	}
	return report.Interval
}
