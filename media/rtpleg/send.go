package rtpleg

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"

	"switchboard/media"
)

// gapSlack is how far the outgoing stream may fall behind the wall clock
// before the next packet's timestamp jumps forward to it (with the marker bit
// set): short stalls of the feeder are absorbed, a pause or hold is not.
const gapSlack = 3 * media.FrameDuration

// maxPayload bounds one outgoing payload (a 20 ms G.711 frame is 160 bytes).
const maxPayload = 1200

// Defaults and bounds of SendDTMF.
const (
	defaultDigitDuration = 100 * time.Millisecond
	minDigitDuration     = 40 * time.Millisecond
	maxDigitDuration     = 5 * time.Second
	interDigitGap        = 60 * time.Millisecond
	dtmfVolume           = 10 // -10 dBm0 (RFC 4733 §2.3.4)
)

// sender numbers and sends the outgoing stream: one SSRC; sequence numbers
// and timestamps by offsets from the writer's own (media.Timeline), so a
// writer's gaps pass through, and a new writer (or a resumed one) continues
// the stream, at the wall clock if it fell behind.
type sender struct {
	digitMu sync.Mutex // serializes SendDTMF calls; taken before mu

	mu         sync.Mutex // guards following
	pkt        rtp.Packet
	buf        [maxPacket]byte
	payload    [maxPayload]byte
	started    bool
	tl         media.Timeline
	anchorTS   uint32           // timestamp at anchorWall
	anchorWall time.Time        // wall clock of anchorTS
	dtmf       bool             // an event is being sent: audio is suppressed
	now        func() time.Time // the wall clock; tests replace it before the first packet
}

func (s *sender) init() {
	s.pkt.Version = 2
	s.pkt.SSRC = rand.Uint32()
	s.tl.Start(uint16(rand.Uint32()), rand.Uint32())
	s.now = time.Now
}

// stampLocked returns the timestamp for a new stream (or an event) starting
// now, where next is the timestamp that would follow the last packet, and
// whether the stream jumped (so the marker bit must be set):
// normally right after the last packet; when the stream has fallen behind
// the wall clock by more than gapSlack (a pause, hold, a silent feeder), at
// the wall clock.
func (s *sender) stampLocked(now time.Time, next uint32) (ts uint32, jumped bool) {
	if !s.started {
		s.started = true
		s.anchorWall, s.anchorTS = now, next
		return next, true
	}
	elapsed := now.Sub(s.anchorWall)
	wallTS := s.anchorTS + uint32(elapsed/(time.Second/media.SampleRate))
	if lag := int32(wallTS - next); lag > int32(gapSlack/(time.Second/media.SampleRate)) {
		return wallTS, true
	}
	return next, false
}

// sendLocked marshals s.pkt into s.buf and sends it to dst.
func (l *Leg) sendLocked(dst netip.AddrPort) error {
	s := &l.send
	n, err := s.pkt.MarshalTo(s.buf[:])
	if err != nil {
		return fmt.Errorf("marshal rtp: %w", err)
	}
	out, err := l.protectLocked(s.buf[:n]) // SRTP (srtp.go), or s.buf[:n]
	if err != nil {
		return err
	}
	if err := l.conn.writeTo(out, dst); err != nil {
		return fmt.Errorf("send rtp to %s: %w", dst, err)
	}
	l.stats.packetsOut.Add(1)
	l.stats.bytesOut.Add(uint64(len(out)))
	return nil
}

// WritePacket sends p's audio to the remote with the leg's own SSRC, and
// sequence numbers and timestamps offset from p's (media.Timeline): p's
// gaps and steps pass through, a new writer continues the stream (at the
// wall clock after a pause, with the marker bit). p.Payload is transcoded
// if p.Codec is not the negotiated codec. It drops the packet silently
// while the negotiated direction does not allow sending, before
// negotiation, and while a DTMF digit is being sent (the next packet then
// starts a new stretch). It does not retain p and does not allocate. It
// returns ErrClosed once the leg has ended.
func (l *Leg) WritePacket(p *media.Packet) error {
	if l.ended.Load() {
		return ErrClosed
	}
	st := l.state.Load()
	if st == nil || len(p.Payload) == 0 {
		return nil
	}
	dst := st.dest()
	s := &l.send
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dtmf || !st.dir.canSend() || !dst.IsValid() {
		s.tl.Reset() // what follows is a new stretch of the stream
		return nil
	}
	payload := p.Payload
	if len(payload) > maxPayload {
		payload = payload[:maxPayload]
	}
	if p.Codec != st.codec && p.Codec != media.CodecUnknown {
		payload = media.Transcode(p.Codec, st.codec, s.payload[:], payload)
	}
	seq, ts, ok, anchored := s.tl.Map(1, p.SequenceNumber, p.Timestamp, uint32(len(payload)))
	if !ok {
		return nil // reordered behind our own packets
	}
	marker := p.Marker
	if anchored {
		wts, jumped := s.stampLocked(s.now(), ts)
		s.tl.Shift(wts - ts)
		ts, marker = wts, jumped
	}
	s.pkt.PayloadType = st.audioPT
	s.pkt.SequenceNumber = seq
	s.pkt.Timestamp = ts
	s.pkt.Marker = marker
	s.pkt.Payload = payload
	err := l.sendLocked(dst)
	s.pkt.Payload = nil
	return err
}
