package rtpleg

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"switchboard/media"
	"switchboard/media/report"
)

// maxPacket is the largest datagram we read; bigger ones are truncated and dropped.
const maxPacket = 1500

// maxReadErrors consecutive read errors end the leg.
const maxReadErrors = 100

// Stats counts a leg's traffic since Open.
type Stats struct {
	PacketsIn  uint64 // RTP packets accepted from the remote (audio and events)
	BytesIn    uint64 // bytes of those datagrams
	PacketsOut uint64 // RTP packets sent (audio and events)
	BytesOut   uint64 // bytes of those datagrams
	Dropped    uint64 // datagrams not taken: unknown source, in probation, before negotiation
	Malformed  uint64 // datagrams from the remote that are not RTP version 2
	DTMFIn     uint64 // RFC 4733 digits received
	DTMFOut    uint64 // RFC 4733 digits sent
	RTCPIn     uint64 // RTCP compound packets taken from the remote
	RTCPOut    uint64 // RTCP compound packets sent
}

type counters struct {
	packetsIn, bytesIn, packetsOut, bytesOut atomic.Uint64
	dropped, malformed, dtmfIn, dtmfOut      atomic.Uint64
	rtcpIn, rtcpOut                          atomic.Uint64
}

// Stats returns the leg's counters.
func (l *Leg) Stats() Stats {
	c := &l.stats
	return Stats{
		PacketsIn: c.packetsIn.Load(), BytesIn: c.bytesIn.Load(),
		PacketsOut: c.packetsOut.Load(), BytesOut: c.bytesOut.Load(),
		Dropped: c.dropped.Load(), Malformed: c.malformed.Load(),
		DTMFIn: c.dtmfIn.Load(), DTMFOut: c.dtmfOut.Load(),
		RTCPIn: c.rtcpIn.Load(), RTCPOut: c.rtcpOut.Load(),
	}
}

// Start starts the read loop, which hands received audio to sink (nil means
// media.Discard) and starts the inactivity timeout. Only the first call
// starts the loop; later ones just set the sink.
//
// The *media.Packet handed to the sink, and its Payload, are reused for the
// next packet: sinks must not retain them after WritePacket returns.
func (l *Leg) Start(sink media.PacketWriter) {
	l.SetSink(sink)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.started.Swap(true) {
		return
	}
	l.lastRecv.Store(int64(time.Since(l.epoch)))
	if uc := l.conn.uc; uc != nil {
		r := new(receiver)
		r.take = func(b []byte, src netip.AddrPort) {
			if !l.ended.Load() {
				l.handle(r, b, src)
			}
		}
		if err := uc.Watch(func() bool { return l.readable(r) }); err != nil {
			l.end(fmt.Errorf("read rtp: %w", err))
		}
	} else {
		if l.timeout > 0 {
			_ = l.conn.c.SetReadDeadline(time.Now().Add(l.timeout)) // fails only on a closed socket, and then so does readLoop's read
		}
		l.wg.Go(l.readLoop)
	}
	l.readRTCP()
	l.wg.Go(l.reportLoop)
}

// receiver is the read loop's reusable state; only the read goroutine touches it.
type receiver struct {
	buf  [maxPacket]byte
	rtp  rtp.Packet
	out  media.Packet
	src  sourceState                  // where packets come from (latch.go)
	errs int                          // consecutive read errors (udploop reader)
	take func([]byte, netip.AddrPort) // handles one datagram of a batch (udploop reader)
	// RFC 4733 receive state: the event in progress.
	haveEvent  bool
	eventTS    uint32
	eventCode  uint8
	eventEnded bool
}

func (l *Leg) readLoop() {
	r := new(receiver)
	errs := 0 // consecutive read errors
	for {
		n, src, err := l.conn.c.ReadFromUDPAddrPort(r.buf[:])
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if l.checkTimeout() {
					l.end(ErrTimeout)
					return
				}
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return // Close
			}
			// A transient socket error (e.g. a reported ICMP error): keep
			// reading, but give up on a socket that only fails.
			if errs++; errs == maxReadErrors {
				l.log.Warn("rtp socket keeps failing", "error", err)
				l.end(fmt.Errorf("read rtp: %w", err))
				return
			}
			continue
		}
		errs = 0
		l.handle(r, r.buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}

// checkTimeout runs when the read deadline passes. It reports whether the
// leg has been silent for the whole timeout; if not, it sets the next deadline.
func (l *Leg) checkTimeout() bool {
	due, expired := l.timeoutDue()
	if !expired {
		_ = l.conn.c.SetReadDeadline(l.epoch.Add(due)) // as in Start: the next read reports a closed socket
	}
	return expired
}

// timeoutDue reports whether the leg has been silent for the whole
// timeout, and if not when (since epoch) it would be.
func (l *Leg) timeoutDue() (due time.Duration, expired bool) {
	now := time.Since(l.epoch)
	st := l.state.Load()
	if l.held.Load() || (st != nil && (!st.dir.canRecv() || st.hold)) {
		// Suspended: on hold, or negotiated so that the remote sends nothing.
		l.lastRecv.Store(int64(now))
	}
	due = time.Duration(l.lastRecv.Load()) + l.timeout
	return due, now >= due
}

// timeoutTimer returns the inactivity timer of a leg read on the udploop
// (the report goroutine runs it: no goroutine of its own; the goroutine
// reader uses a read deadline instead), nil without one.
func (l *Leg) timeoutTimer() *time.Timer {
	if l.conn.uc == nil || l.timeout <= 0 {
		return nil
	}
	return time.NewTimer(l.timeout)
}

// checkTimer ends the leg when it has been silent for the timeout, else
// sets t for when it would be; it reports whether the leg ended.
func (l *Leg) checkTimer(t *time.Timer) bool {
	due, expired := l.timeoutDue()
	if expired {
		l.end(ErrTimeout)
		return true
	}
	t.Reset(time.Until(l.epoch.Add(due)))
	return false
}

// readable reads the queued datagrams, up to 8 (the udploop's handler:
// what else is queued is read in the next tick). After the leg ended,
// datagrams are read and dropped, as the goroutine reader's closed socket
// would.
func (l *Leg) readable(r *receiver) bool {
	n, err := l.conn.uc.ReadBatch(r.take)
	if err != nil {
		if r.errs++; r.errs == maxReadErrors {
			l.log.Warn("rtp socket keeps failing", "error", err)
			l.end(fmt.Errorf("read rtp: %w", err))
		}
		return true
	}
	if n > 0 {
		r.errs = 0
	}
	return n > 0
}

// handle processes one datagram. It does not allocate.
func (l *Leg) handle(r *receiver, data []byte, src netip.AddrPort) {
	now := time.Since(l.epoch)
	if report.IsRTCP(data) {
		l.handleRTCP(data, src, true) // rtcp-mux (RFC 5761 §4)
		return
	}
	st := l.admit(r, data, src, now)
	if st == nil {
		return
	}
	if data = l.unprotect(data); data == nil { // SRTP (srtp.go): not authentic
		return
	}
	if err := r.rtp.Unmarshal(data); err != nil || r.rtp.Version != 2 {
		l.drop(DropMalformed)
		return
	}
	l.lastRecv.Store(int64(now))
	l.stats.packetsIn.Add(1)
	l.stats.bytesIn.Add(uint64(len(data)))

	pt := r.rtp.PayloadType
	isEvent := int(pt) == st.teRecvPT || int(pt) == st.tePT
	l.rtcp.rcv.Packet(r.rtp.SSRC, r.rtp.SequenceNumber, r.rtp.Timestamp, now, !isEvent)
	if isEvent {
		l.handleEvent(r)
		return
	}
	codec := media.CodecForPayloadType(pt)
	if pt == st.audioPT {
		codec = st.codec
	}
	if codec == media.CodecUnknown || !st.dir.canRecv() || len(r.rtp.Payload) == 0 {
		return // comfort noise, unknown formats, or not expected to receive
	}
	r.out = media.Packet{
		Payload:        r.rtp.Payload,
		Codec:          codec,
		SequenceNumber: r.rtp.SequenceNumber,
		Timestamp:      r.rtp.Timestamp,
		Marker:         r.rtp.Marker,
	}
	if sb := l.sink.Load(); sb != nil {
		_ = sb.w.WritePacket(&r.out) // per packet: a sink reports its own failures (a switch input never fails; a bridged leg ends its call)
	}
}

// handleEvent processes an RFC 4733 §2.3 telephone-event payload. A digit is
// reported once, on its first end packet; retransmitted end packets (same
// timestamp) are ignored, and an event whose end packets were all lost is
// reported when the next event starts.
func (l *Leg) handleEvent(r *receiver) {
	p := r.rtp.Payload
	if len(p) < 4 {
		l.drop(DropMalformed)
		return
	}
	code, end := p[0], p[1]&0x80 != 0
	ts := r.rtp.Timestamp
	if !r.haveEvent || ts != r.eventTS {
		if r.haveEvent && !r.eventEnded {
			l.fireDigit(r.eventCode)
		}
		r.haveEvent, r.eventTS, r.eventCode, r.eventEnded = true, ts, code, false
	}
	if end && !r.eventEnded {
		r.eventEnded = true
		l.fireDigit(code)
	}
}

func (l *Leg) fireDigit(code uint8) {
	d := eventDigit(code)
	if d == 0 {
		return
	}
	l.stats.dtmfIn.Add(1)
	if fn := l.onDTMF.Load(); fn != nil {
		(*fn)(d)
	}
}

// eventDigit maps an RFC 4733 §3.2 DTMF event code to its digit, or 0.
func eventDigit(code uint8) rune {
	switch {
	case code <= 9:
		return rune('0' + code)
	case code == 10:
		return '*'
	case code == 11:
		return '#'
	case code >= 12 && code <= 15:
		return rune('A' + code - 12)
	}
	return 0
}

// digitEvent maps a digit to its RFC 4733 event code, or -1.
func digitEvent(d rune) int {
	switch {
	case d >= '0' && d <= '9':
		return int(d - '0')
	case d == '*':
		return 10
	case d == '#':
		return 11
	case d >= 'A' && d <= 'D':
		return int(d-'A') + 12
	case d >= 'a' && d <= 'd':
		return int(d-'a') + 12
	}
	return -1
}
