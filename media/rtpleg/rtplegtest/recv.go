package rtplegtest

import (
	"net/netip"
	"time"

	"github.com/pion/rtp"

	"switchboard/media"
	"switchboard/media/tone"
)

func (p *Phone) readLoop() {
	var buf [1500]byte
	var pkt rtp.Packet
	var pcm [1500]int16
	for {
		n, src, err := p.conn.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			return // closed
		}
		data := p.unprotect(buf[:n]) // SRTP (srtp.go)
		if data == nil || pkt.Unmarshal(data) != nil || pkt.Version != 2 {
			continue
		}
		p.mu.Lock()
		p.packets++
		p.from[netip.AddrPortFrom(src.Addr().Unmap(), src.Port())]++
		switch {
		case pkt.PayloadType == TelephoneEventPT && len(pkt.Payload) >= 4:
			if pkt.Payload[1]&0x80 != 0 && (!p.evSeen || pkt.Timestamp != p.evTS) {
				p.evSeen, p.evTS = true, pkt.Timestamp
				if code := int(pkt.Payload[0]); code < 16 {
					p.digits = append(p.digits, rune("0123456789*#ABCD"[code]))
				}
			}
		default:
			c := media.CodecForPayloadType(pkt.PayloadType)
			if pkt.PayloadType == p.remotePT {
				c = p.codec
			}
			if c == media.CodecUnknown {
				break
			}
			p.pcm = append(p.pcm, media.Decode(c, pcm[:len(pkt.Payload)], pkt.Payload)...)
			if limit := int(keep / time.Second * media.SampleRate); len(p.pcm) > 2*limit {
				p.pcm = append(p.pcm[:0], p.pcm[len(p.pcm)-limit:]...)
			}
			p.lastAt = time.Now()
		}
		p.mu.Unlock()
	}
}

// Recorded returns the last d of received audio, decoded (less if less arrived).
func (p *Phone) Recorded(d time.Duration) []int16 {
	n := int(d * media.SampleRate / time.Second)
	p.mu.Lock()
	defer p.mu.Unlock()
	n = min(n, len(p.pcm))
	return append([]int16(nil), p.pcm[len(p.pcm)-n:]...)
}

// Classify classifies the last d of received audio (silence, the tone freq,
// or other) with tone.Classify. Nothing received counts as silence.
func (p *Phone) Classify(freq float64, d time.Duration) tone.Verdict {
	s := p.Recorded(d)
	if len(s) == 0 {
		return tone.VerdictSilence
	}
	return tone.Classify(s, freq)
}

// Heard reports whether the phone is hearing freq now: audio arrived in the
// last 100 ms and its last 200 ms are dominated by freq.
func (p *Phone) Heard(freq float64) bool {
	p.mu.Lock()
	recent := time.Since(p.lastAt) < 100*time.Millisecond
	p.mu.Unlock()
	return recent && p.Classify(freq, 200*time.Millisecond) == tone.VerdictTone
}

// WaitHeard polls Heard(freq) until it holds or timeout passes.
func (p *Phone) WaitHeard(freq float64, timeout time.Duration) bool {
	return p.waitFor(timeout, func() bool { return p.Heard(freq) })
}

// WaitDigits polls until the received digits equal want or timeout passes.
func (p *Phone) WaitDigits(want string, timeout time.Duration) bool {
	return p.waitFor(timeout, func() bool { return p.Digits() == want })
}

func (p *Phone) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-p.stop:
			return cond()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return true
}

// Packets returns how many RTP packets the phone received.
func (p *Phone) Packets() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.packets
}

// Sources returns how many packets arrived from each source address.
func (p *Phone) Sources() map[netip.AddrPort]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[netip.AddrPort]int, len(p.from))
	for k, v := range p.from {
		m[k] = v
	}
	return m
}

// Digits returns the RFC 4733 digits received so far, once each.
func (p *Phone) Digits() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return string(p.digits)
}
