package report

import (
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"switchboard/media"
)

// Interval is the RTCP report interval of the legs (PROTOCOL §9: every 5 s).
const Interval = 5 * time.Second

// RFC 3550 A.1 sequence validation bounds.
const (
	maxDropout  = 3000
	maxMisorder = 100
)

// RTCP packet types (RFC 3550 §12.1).
const (
	typeSR   = 200
	typeRR   = 201
	typeSDES = 202
)

// MaxCompound is the size of the largest compound packet AppendCompound
// writes (SR with one block, SDES with a 255-byte CNAME), before any SRTCP
// trailer.
const MaxCompound = 28 + 24 + 8 + 2 + 255 + 4

// ErrMalformed is returned by HandleRTCP for a datagram that is not a
// valid RTCP compound packet.
var ErrMalformed = errors.New("report: malformed rtcp")

// Receiver accounts for one incoming RTP stream and the peer's RTCP. The
// zero value is ready; clockRate is 8000 (G.711).
type Receiver struct {
	mu       sync.Mutex // guards following
	started  bool
	ssrc     uint32
	maxSeq   uint16
	cycles   uint32
	baseSeq  uint32
	badSeq   uint32
	received uint64
	expPrior uint64
	rcvPrior uint64
	transit  int32
	haveTr   bool
	jitter   float64 // timestamp units (RFC 3550 A.8)
	// From the peer's sender reports.
	lsr   uint32    // middle 32 bits of the NTP time of its last SR
	lsrAt time.Time // when that SR arrived
	// From the peer's report blocks about our stream.
	rtt     time.Duration
	haveRTT bool
	reports uint64 // RTCP compound packets taken from the peer
}

// Packet accounts for one RTP packet of ssrc received at at (monotonic time
// since any fixed epoch). audio false (a telephone-event packet) counts it
// without sampling jitter. It does not allocate.
func (r *Receiver) Packet(ssrc uint32, seq uint16, ts uint32, at time.Duration, audio bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || ssrc != r.ssrc {
		r.restartLocked(ssrc, seq)
	} else if udelta := seq - r.maxSeq; udelta < maxDropout {
		if seq < r.maxSeq {
			r.cycles += 1 << 16 // wrapped
		}
		r.maxSeq = seq
	} else if udelta <= 1<<16-maxMisorder {
		// A very large jump: a restarted sender, if the next packet follows.
		if uint32(seq) != r.badSeq {
			r.badSeq = uint32(seq+1) & 0xffff
			return
		}
		r.restartLocked(ssrc, seq)
	}
	// else: a duplicate or a reordered packet, counted.
	r.received++
	if !audio {
		return
	}
	arrival := int32(int64(at) * 8000 / int64(time.Second)) // in timestamp units, wrapping
	transit := arrival - int32(ts)
	if r.haveTr {
		d := float64(transit - r.transit)
		r.jitter += (math.Abs(d) - r.jitter) / 16
	}
	r.transit, r.haveTr = transit, true
}

func (r *Receiver) restartLocked(ssrc uint32, seq uint16) {
	r.started, r.ssrc, r.maxSeq, r.cycles, r.baseSeq, r.badSeq = true, ssrc, seq, 0, uint32(seq), 1<<16+1
	r.received, r.expPrior, r.rcvPrior, r.transit, r.haveTr, r.jitter = 0, 0, 0, 0, false, 0
}

// expectedLocked is RFC 3550 A.3's expected count.
func (r *Receiver) expectedLocked() uint64 {
	return uint64(r.cycles) + uint64(r.maxSeq) - uint64(r.baseSeq) + 1
}

// Quality returns what the stream looked like so far.
func (r *Receiver) Quality() media.Quality {
	r.mu.Lock()
	defer r.mu.Unlock()
	var q media.Quality
	if r.started {
		q.Packets = r.received
		if exp := r.expectedLocked(); exp > r.received {
			q.Lost = exp - r.received
		}
		q.JitterMS = math.Round(r.jitter/8*100) / 100
	}
	if r.haveRTT {
		ms := math.Round(float64(r.rtt)/float64(time.Millisecond)*100) / 100
		q.RTTMS = &ms
	}
	q.Finish()
	return q
}

// Reports returns how many RTCP compound packets the peer sent that
// HandleRTCP took.
func (r *Receiver) Reports() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reports
}

// ntp returns t as a 64-bit NTP timestamp (RFC 3550 §4).
func ntp(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix() + unixToNTP)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// Sender describes our own outgoing stream for a sender report.
type Sender struct {
	SSRC    uint32
	Packets uint32 // RTP packets sent so far; 0 makes the report an RR
	Octets  uint32 // payload octets sent so far
	RTPTime uint32 // the RTP timestamp that corresponds to now
}

// AppendCompound appends to dst an RTCP compound packet (RFC 3550 §6.1):
// an SR (or an RR when s has sent nothing) with a report block about the
// stream r receives, if any, then an SDES with cname (cut to 255 bytes).
// With cap(dst)-len(dst) >= MaxCompound it does not allocate.
func AppendCompound(dst []byte, now time.Time, s Sender, r *Receiver, cname string) []byte {
	var block [24]byte
	haveBlock := r.blockAt(&block, now)
	rc := byte(0)
	if haveBlock {
		rc = 1
	}
	if s.Packets > 0 {
		words := 6 + 6*int(rc) // length in 32-bit words minus one
		dst = append(dst, 0x80|rc, typeSR, byte(words>>8), byte(words))
		dst = binary.BigEndian.AppendUint32(dst, s.SSRC)
		dst = binary.BigEndian.AppendUint64(dst, ntp(now))
		dst = binary.BigEndian.AppendUint32(dst, s.RTPTime)
		dst = binary.BigEndian.AppendUint32(dst, s.Packets)
		dst = binary.BigEndian.AppendUint32(dst, s.Octets)
	} else {
		words := 1 + 6*int(rc)
		dst = append(dst, 0x80|rc, typeRR, byte(words>>8), byte(words))
		dst = binary.BigEndian.AppendUint32(dst, s.SSRC)
	}
	if haveBlock {
		dst = append(dst, block[:]...)
	}
	if len(cname) > 255 {
		cname = cname[:255]
	}
	// SDES: one chunk (SSRC, CNAME item, a null item and padding to 32 bits).
	chunk := 4 + 2 + len(cname) + 1
	pad := (4 - chunk%4) % 4
	words := (4+chunk+pad)/4 - 1
	dst = append(dst, 0x81, typeSDES, byte(words>>8), byte(words))
	dst = binary.BigEndian.AppendUint32(dst, s.SSRC)
	dst = append(dst, 1, byte(len(cname)))
	dst = append(dst, cname...)
	dst = append(dst, 0, 0, 0, 0)[:len(dst)+1+pad]
	return dst
}

// blockAt fills a reception report block (RFC 3550 §6.4.1) about the
// received stream, and rolls the interval counters; false if nothing was
// received yet.
func (r *Receiver) blockAt(b *[24]byte, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return false
	}
	exp := r.expectedLocked()
	lost := int64(exp) - int64(r.received)
	lost = max(min(lost, 0x7fffff), -0x800000)
	expInt, rcvInt := exp-r.expPrior, r.received-r.rcvPrior
	r.expPrior, r.rcvPrior = exp, r.received
	fraction := byte(0)
	if lostInt := int64(expInt) - int64(rcvInt); expInt > 0 && lostInt > 0 {
		fraction = byte(lostInt << 8 / int64(expInt))
	}
	binary.BigEndian.PutUint32(b[0:], r.ssrc)
	binary.BigEndian.PutUint32(b[4:], uint32(fraction)<<24|uint32(lost)&0xffffff)
	binary.BigEndian.PutUint32(b[8:], r.cycles+uint32(r.maxSeq))
	binary.BigEndian.PutUint32(b[12:], uint32(r.jitter))
	var dlsr uint32
	if r.lsr != 0 {
		dlsr = uint32(now.Sub(r.lsrAt) * 65536 / time.Second)
	}
	binary.BigEndian.PutUint32(b[16:], r.lsr)
	binary.BigEndian.PutUint32(b[20:], dlsr)
	return true
}

// HandleRTCP takes one RTCP compound packet from the peer (already
// decrypted for SRTCP), received at now: the peer's SR gives the LSR that
// our next report echoes, and a report block about ours (SSRC ours) gives
// the round trip time. It does not allocate.
func (r *Receiver) HandleRTCP(pkt []byte, ours uint32, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	took := false
	for len(pkt) >= 4 {
		if pkt[0]>>6 != 2 {
			return ErrMalformed
		}
		n := (int(binary.BigEndian.Uint16(pkt[2:])) + 1) * 4
		if n > len(pkt) {
			return ErrMalformed
		}
		p, rc := pkt[:n], int(pkt[0]&0x1f)
		pkt = pkt[n:]
		var blocks []byte
		switch p[1] {
		case typeSR:
			if len(p) < 28 {
				return ErrMalformed
			}
			r.lsr = uint32(binary.BigEndian.Uint64(p[8:]) >> 16)
			r.lsrAt = now
			blocks = p[28:]
		case typeRR:
			if len(p) < 8 {
				return ErrMalformed
			}
			blocks = p[8:]
		default:
			took = took || (p[1] >= 192 && p[1] <= 223)
			continue
		}
		took = true
		for i := 0; i < rc && len(blocks) >= 24; i, blocks = i+1, blocks[24:] {
			if binary.BigEndian.Uint32(blocks) != ours {
				continue
			}
			lsr, dlsr := binary.BigEndian.Uint32(blocks[16:]), binary.BigEndian.Uint32(blocks[20:])
			if lsr == 0 {
				continue
			}
			// RFC 3550 §6.4.1: RTT = A − LSR − DLSR, in 1/65536 s.
			a := uint32(ntp(now) >> 16)
			if rtt := int32(a - lsr - dlsr); rtt >= 0 {
				r.rtt, r.haveRTT = time.Duration(int64(rtt)*int64(time.Second)>>16), true
			}
		}
	}
	if !took {
		return ErrMalformed
	}
	r.reports++
	return nil
}

// IsRTCP says whether a datagram on an rtcp-mux port is RTCP (RFC 5761 §4:
// packet types 192–223 cannot be RTP payload types in use).
func IsRTCP(b []byte) bool { return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223 }
