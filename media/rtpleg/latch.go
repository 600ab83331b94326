package rtpleg

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
	"time"
)

// PROTOCOL.md §14 "RTP source": the leg always accepts RTP from the address
// and port of the remote SDP. RTP from elsewhere (NAT, an SBC) is taken only
// while the SDP address is silent, and only after a probation of
// probationPackets consecutive in-sequence packets of one SSRC from one
// source (as Asterisk's strictrtp learns); the leg then latches onto that
// source and sends there (symmetric RTP). A packet from the SDP address
// takes the stream back at once.
const (
	// probationPackets in sequence, one SSRC, one source, latch the leg.
	probationPackets = 4
	// sourceQuiet is how long the SDP address (or the latched source) must
	// have been silent before another source may start a probation.
	sourceQuiet = 2 * time.Second
)

// DropReason says why a leg dropped a datagram (the reason label of
// switchboard_rtp_dropped_total).
type DropReason uint8

// Drop reasons. The zero value is DropUnknown.
const (
	DropUnknown      DropReason = iota
	DropUnnegotiated            // before any offer/answer
	DropSource                  // from a source that is neither the SDP address nor the latched one
	DropProbation               // from a source in probation (not yet 4 in-sequence packets)
	DropMalformed               // not RTP version 2, or a bad telephone-event payload
	numDropReasons
)

// String returns the metric label, e.g. "source".
func (r DropReason) String() string {
	switch r {
	case DropUnnegotiated:
		return "unnegotiated"
	case DropSource:
		return "source"
	case DropProbation:
		return "probation"
	case DropMalformed:
		return "malformed"
	}
	return "unknown"
}

// dropCounters count drops by reason.
type dropCounters [numDropReasons]atomic.Uint64

// Dropped returns the datagrams every leg of the pool has dropped since the
// pool was made, by reason label (every reason present, 0 included).
func (p *Pool) Dropped() map[string]uint64 {
	m := make(map[string]uint64, numDropReasons-1)
	for r := DropUnnegotiated; r < numDropReasons; r++ {
		m[r.String()] = p.drops[r].Load()
	}
	return m
}

// drop counts a dropped datagram on the leg and its pool.
func (l *Leg) drop(r DropReason) {
	if r == DropMalformed {
		l.stats.malformed.Add(1)
	} else {
		l.stats.dropped.Add(1)
	}
	l.pool.drops[r].Add(1)
}

// sourceState is the read loop's view of where packets come from; only the
// read goroutine touches it.
type sourceState struct {
	sdp        netip.AddrPort // the SDP address the fields below refer to
	heardSDP   bool           // a packet came from sdp
	lastSDP    time.Duration  // when (since the leg's epoch)
	lastLatch  time.Duration  // when the latched source last sent
	candidate  netip.AddrPort // the source in probation
	candSSRC   uint32
	candSeq    uint16
	candPassed int // in-sequence packets so far
}

// admit decides whether a datagram from src is taken, latching or
// unlatching as needed, and returns the state to process it with (nil:
// dropped, and counted).
func (l *Leg) admit(r *receiver, data []byte, src netip.AddrPort, now time.Duration) *mediaState {
	st := l.state.Load()
	if st == nil {
		l.drop(DropUnnegotiated)
		return nil
	}
	ss := &r.src
	if ss.sdp != st.remote {
		*ss = sourceState{sdp: st.remote}
	}
	switch {
	case src == st.remote:
		ss.heardSDP, ss.lastSDP = true, now
		if st.latched.IsValid() && isRTP(data) {
			st = l.setLatch(st, netip.AddrPort{}) // the SDP address wins back at once
		}
		return st
	case st.latched.IsValid() && src == st.latched:
		ss.lastLatch = now
		return st
	}
	if !isRTP(data) || (ss.heardSDP && now-ss.lastSDP < sourceQuiet) ||
		(st.latched.IsValid() && now-ss.lastLatch < sourceQuiet) {
		l.drop(DropSource)
		return nil
	}
	ssrc, seq := binary.BigEndian.Uint32(data[8:12]), binary.BigEndian.Uint16(data[2:4])
	if src == ss.candidate && ssrc == ss.candSSRC && seq == ss.candSeq+1 {
		ss.candPassed++
	} else {
		ss.candidate, ss.candSSRC, ss.candPassed = src, ssrc, 1
	}
	ss.candSeq = seq
	if ss.candPassed < probationPackets {
		l.drop(DropProbation)
		return nil
	}
	ss.candidate, ss.candPassed = netip.AddrPort{}, 0
	ss.lastLatch = now
	return l.setLatch(st, src)
}

// isRTP says whether data can be an RTP version 2 packet (RFC 3550 §5.1).
func isRTP(data []byte) bool { return len(data) >= 12 && data[0]>>6 == 2 }

// setLatch makes src (invalid: none) the latched source, unless a
// negotiation replaced cur meanwhile, and returns the state now in force.
func (l *Leg) setLatch(cur *mediaState, src netip.AddrPort) *mediaState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.state.Load(); now != cur {
		return now
	}
	st := *cur
	st.latched = src
	l.state.Store(&st)
	if src.IsValid() {
		l.log.Info("rtp source latched", "source", src.String(), "sdp", cur.remote.String())
	} else {
		l.log.Info("rtp source back to sdp address", "sdp", cur.remote.String(), "was", cur.latched.String())
	}
	return &st
}
