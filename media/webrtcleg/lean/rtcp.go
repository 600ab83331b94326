package lean

import (
	"time"

	"github.com/pion/rtcp"

	"switchboard/media"
	"switchboard/media/report"
)

// cname is the SDES CNAME of our SRTCP reports; the answer's a=ssrc lines
// say the same.
const cname = "switchboard"

// rtcpState is a leg's SRTCP (RFC 3550 §6 over RFC 3711, rtcp-mux on the
// shared socket): reception statistics of the browser's stream, its
// reports (read on the engine's read loop, under rmu), and ours (sent from
// the engine's ticker, under wmu).
type rtcpState struct {
	rcv report.Receiver

	// Receive side: engine read loop, under rmu.
	rhdr  rtcp.Header
	plain [readBufferSize]byte

	// Send side: the engine ticker, under wmu.
	whdr     rtcp.Header
	buf      [report.MaxCompound]byte
	out      [report.MaxCompound + 4 + 16]byte // + SRTCP index and tag
	lastSent time.Time
}

// Quality returns what the browser's stream into the gateway looked like
// so far (loss, RFC 3550 A.8 jitter), with the round trip time from its
// SRTCP reports and the E-model MOS.
func (l *Leg) Quality() media.Quality { return l.rtcp.rcv.Quality() }

// receiveRTCP decrypts an SRTCP compound packet from the browser and takes
// its reports (rmu held). It does not allocate.
func (l *Leg) receiveRTCPLocked(b []byte) {
	if l.rx == nil {
		l.drop(dropNoKeys)
		return
	}
	out, err := l.rx.DecryptRTCP(l.rtcp.plain[:0], b, &l.rtcp.rhdr)
	if err != nil || l.rtcp.rcv.HandleRTCP(out, l.hdrSSRC, time.Now()) != nil {
		l.drop(dropRTCP)
		return
	}
	l.alive.Store(true)
	l.heardN.Add(1)
	l.stats.RTCPReceived.Add(1)
}

// sendRTCP sends our SR (RR before any RTP) with a block about the
// browser's stream, when the interval has passed (engine ticker).
func (l *Leg) sendRTCP(now time.Time) {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	r := &l.rtcp
	remote := l.remote.Load()
	if l.tx == nil || remote == nil || now.Sub(r.lastSent) < l.e.rtcpInt {
		return
	}
	r.lastSent = now
	_, rtpTime := l.tl.Last()
	s := report.Sender{SSRC: l.hdr.SSRC, Packets: uint32(l.stats.Sent.Load()), Octets: uint32(l.stats.SentBytes.Load()), RTPTime: rtpTime}
	pkt := report.AppendCompound(r.buf[:0], now, s, &r.rcv, cname)
	out, err := l.tx.EncryptRTCP(r.out[:0], pkt, &r.whdr)
	if err == nil {
		err = l.e.sock.writeTo(out, *remote)
	}
	if err != nil {
		l.stats.WriteErrors.Add(1)
		return
	}
	l.stats.RTCPSent.Add(1)
}
