package webrtcleg

import (
	"io"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/transport/v4/packetio"

	"switchboard/media"
	"switchboard/media/browserleg"
)

// rtpTap is the buffer pion's SRTP session writes a received RTP stream's
// decrypted packets into (SettingEngine.BufferFactory, one per SSRC).
//
// Until the leg claims it (OnTrack for its SSRC), it is a bounded
// packetio.Buffer, so pion can read it as usual. Once claimed, Write hands
// each packet straight to the leg's sink on pion's SRTP goroutine: no
// buffer, no read-loop goroutine, one goroutine hand-off less per packet.
// A mutex orders Write against claim and Close, so the sink sees one packet
// at a time and never after Close returns.
type rtpTap struct {
	buf *packetio.Buffer

	mu      sync.Mutex // guards following; held while the sink runs
	leg     *Leg       // set by claim: Write delivers to leg.deliver
	hdr     rtp.Header // reused by deliver
	pkt     media.Packet
	drain   []byte // claim's scratch buffer
	stopped bool
}

func newRTPTap() *rtpTap {
	b := packetio.NewBuffer()
	b.SetLimitSize(rtpBufferLimit)
	return &rtpTap{buf: b}
}

// Write implements io.Writer for pion's SRTP session: b is one decrypted
// RTP packet, valid only during the call.
func (t *rtpTap) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.stopped:
		return 0, io.ErrClosedPipe
	case t.leg != nil:
		t.leg.deliver(b, &t.hdr, &t.pkt)
		return len(b), nil
	}
	return t.buf.Write(b)
}

// Read implements io.Reader for pion, for a stream nobody claimed.
func (t *rtpTap) Read(b []byte) (int, error) { return t.buf.Read(b) }

// Close implements io.Closer: pion closes the stream. After Close, Write
// delivers nothing.
func (t *rtpTap) Close() error {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
	return t.buf.Close()
}

// claim switches t to direct delivery into l, first delivering what was
// buffered before (in order). It reports false if t is already closed.
func (t *rtpTap) claim(l *Leg) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if t.drain == nil {
		t.drain = make([]byte, browserleg.MaxPayload+64)
	}
	// Non-blocking drain: a deadline in the past makes Read return at once
	// when the buffer is empty.
	_ = t.buf.SetReadDeadline(time.Unix(1, 0)) // packetio.Buffer.SetReadDeadline always returns nil
	for {
		n, err := t.buf.Read(t.drain)
		if err != nil {
			break
		}
		l.deliver(t.drain[:n], &t.hdr, &t.pkt)
	}
	_ = t.buf.SetReadDeadline(time.Time{}) // always nil, as above
	t.drain = nil
	t.leg = l
	return true
}

// stop makes Write deliver nothing more and waits for a delivery in
// progress.
func (t *rtpTap) stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
}
