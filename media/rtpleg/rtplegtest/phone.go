package rtplegtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

// TelephoneEventPT is the payload type the phone uses for RFC 4733 events.
const TelephoneEventPT = 101

// keep is how much received audio a phone keeps.
const keep = 30 * time.Second

// Phone is a test RTP endpoint on 127.0.0.1.
type Phone struct {
	t     testing.TB
	codec media.Codec
	conn  *net.UDPConn
	addr  netip.AddrPort
	wg    sync.WaitGroup
	stop  chan struct{}
	once  sync.Once

	mu        sync.Mutex // guards following
	remote    netip.AddrPort
	sine      *tone.Sine // nil: send nothing
	pcm       []int16    // received audio, decoded
	lastAt    time.Time  // when the last audio packet arrived
	packets   int        // RTP packets received
	digits    []rune
	evTS      uint32
	evSeen    bool
	from      map[netip.AddrPort]int
	remotePT  uint8          // payload type to send audio with
	sdpAddr   netip.AddrPort // the address written into SDP (the socket's unless Advertise)
	dropEvery int            // drop every n-th audio packet (0: none), see DropEvery
	sent      int            // audio packets due so far (sent or dropped)

	sdes atomic.Pointer[sdesState] // EnableSDES (srtp.go); nil: plain RTP

	sendMu sync.Mutex // guards the outgoing stream and serializes sends
	pkt    rtp.Packet
	buf    [1500]byte
	inDTMF bool
}

// NewPhone returns a phone bound to 127.0.0.1:0 that sends codec. Close
// runs at the end of the test.
func NewPhone(t testing.TB, codec media.Codec) *Phone {
	t.Helper()
	return NewPhoneAt(t, codec, netip.MustParseAddr("127.0.0.1"))
}

// NewPhoneAt is NewPhone bound to ip (a loopback address such as
// 127.0.0.5), e.g. for an attacker spraying RTP from another host.
func NewPhoneAt(t testing.TB, codec media.Codec, ip netip.Addr) *Phone {
	t.Helper()
	if !ip.IsLoopback() {
		t.Fatalf("rtplegtest: %v is not a loopback address", ip)
	}
	if codec != media.PCMU && codec != media.PCMA {
		t.Fatalf("rtplegtest: codec %v not supported", codec)
	}
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
	if err != nil {
		t.Fatalf("rtplegtest: listen: %v", err)
	}
	p := &Phone{
		t: t, codec: codec, conn: conn, stop: make(chan struct{}),
		addr: conn.LocalAddr().(*net.UDPAddr).AddrPort(), from: map[netip.AddrPort]int{},
		remotePT: codec.PayloadType(),
	}
	p.sdpAddr = p.addr
	p.pkt.Version = 2
	p.pkt.SSRC = rand.Uint32()
	p.pkt.SequenceNumber = uint16(rand.Uint32())
	p.pkt.Timestamp = rand.Uint32()
	p.wg.Go(p.readLoop)
	p.wg.Go(p.sendLoop)
	t.Cleanup(p.Close)
	return p
}

// Addr returns the phone's RTP address.
func (p *Phone) Addr() netip.AddrPort { return p.addr }

// Codec returns the codec the phone sends.
func (p *Phone) Codec() media.Codec { return p.codec }

// SSRC returns the SSRC of the phone's outgoing stream.
func (p *Phone) SSRC() uint32 {
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	return p.pkt.SSRC
}

// Conn returns the phone's socket, for tests that craft their own packets.
func (p *Phone) Conn() *net.UDPConn { return p.conn }

// Offer returns an SDP offer: the phone's codec and telephone-event/8000
// (101), ptime 20, sendrecv.
func (p *Phone) Offer() []byte { return p.OfferDirection("sendrecv") }

// OfferDirection is Offer with the given direction attribute ("sendrecv",
// "sendonly", "recvonly", "inactive"), e.g. for a re-INVITE that holds.
func (p *Phone) OfferDirection(dir string) []byte { return p.sdp(dir) }

// Advertise makes the phone's SDP name addr instead of its socket's address
// (a phone behind NAT, or an SBC that sends from another port). An
// unspecified address gives an RFC 2543 hold offer (c=0.0.0.0).
func (p *Phone) Advertise(addr netip.AddrPort) {
	p.mu.Lock()
	p.sdpAddr = addr
	p.mu.Unlock()
}

// DropEvery makes the phone skip every n-th audio packet it would send (its
// sequence number and timestamp still advance, as for a packet lost on the
// way): n = 20 loses 5 %. 0 loses none.
func (p *Phone) DropEvery(n int) {
	p.mu.Lock()
	p.dropEvery = n
	p.mu.Unlock()
}

func (p *Phone) sdp(dir string) []byte {
	pt := p.codec.PayloadType()
	p.mu.Lock()
	a := p.sdpAddr
	p.mu.Unlock()
	proto, crypto := p.sdesLines() // srtp.go
	return fmt.Appendf(nil, "v=0\r\no=phone %d 1 IN IP4 %s\r\ns=phone\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d %s %d %d\r\na=rtpmap:%d %s/8000\r\na=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n"+
		"a=ptime:20\r\na=%s\r\n%s",
		p.addr.Port(), a.Addr(), a.Addr(), a.Port(), proto, pt, TelephoneEventPT, pt, p.codec, TelephoneEventPT, TelephoneEventPT, dir, crypto)
}

// Answer answers an SDP offer (which must offer the phone's codec) and sends
// to the offer's address from now on.
func (p *Phone) Answer(offer []byte) ([]byte, error) {
	if err := p.apply(offer); err != nil {
		return nil, err
	}
	return p.sdp("sendrecv"), nil
}

// SetAnswer applies the answer to the phone's offer: it sends to the
// answer's address from now on.
func (p *Phone) SetAnswer(answer []byte) error { return p.apply(answer) }

// apply takes the remote address and audio payload type from a description.
func (p *Phone) apply(desc []byte) error {
	var sd sdp.SessionDescription
	if err := sd.Unmarshal(desc); err != nil {
		return fmt.Errorf("rtplegtest: parse sdp: %w", err)
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		ci := md.ConnectionInformation
		if ci == nil {
			ci = sd.ConnectionInformation
		}
		if ci == nil || ci.Address == nil {
			return errors.New("rtplegtest: sdp without c= line")
		}
		addr, err := netip.ParseAddr(ci.Address.Address)
		if err != nil {
			return fmt.Errorf("rtplegtest: c= address: %w", err)
		}
		pt, found := p.codec.PayloadType(), false
		for _, f := range md.MediaName.Formats {
			if f == strconv.Itoa(int(pt)) {
				found = true
			}
		}
		for _, a := range md.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToUpper(a.Value), " "+p.codec.String()+"/") {
				n, _ := strconv.Atoi(strings.Fields(a.Value)[0])
				pt, found = uint8(n), true
			}
		}
		if !found {
			return fmt.Errorf("rtplegtest: remote does not offer %v", p.codec)
		}
		if err := p.applySDES(md); err != nil {
			return err
		}
		p.mu.Lock()
		p.remote = netip.AddrPortFrom(addr, uint16(md.MediaName.Port.Value))
		p.remotePT = pt
		p.mu.Unlock()
		return nil
	}
	return errors.New("rtplegtest: sdp without audio")
}

// SetRemote sets where the phone sends RTP.
func (p *Phone) SetRemote(addr netip.AddrPort) {
	p.mu.Lock()
	p.remote = addr
	p.mu.Unlock()
}

// Remote returns where the phone sends RTP.
func (p *Phone) Remote() netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remote
}

// PlayTone makes the phone send a continuous sine at freq Hz, one packet
// every 20 ms, until Silence or Close.
func (p *Phone) PlayTone(freq float64) {
	p.mu.Lock()
	p.sine = &tone.Sine{Freq: freq}
	p.mu.Unlock()
}

// Silence stops sending packets (the stream pauses; it is not comfort noise).
func (p *Phone) Silence() {
	p.mu.Lock()
	p.sine = nil
	p.mu.Unlock()
}

// Close stops the phone and waits for its goroutines. It is idempotent.
func (p *Phone) Close() {
	p.once.Do(func() {
		close(p.stop)
		_ = p.conn.Close()
		p.wg.Wait()
	})
}

// sendLoop sends a frame per 20 ms of wall clock (mediatest.Pacing): after
// a stall it catches up at once, and its RTP clock runs on over any frames
// it skips. Before, a stalled test phone sent fewer frames than its tone
// lasted (1.24 s of a 2 s voicemail tone on a loaded CI machine).
func (p *Phone) sendLoop() {
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var pcm [media.FrameSamples]int16
	var enc [media.FrameSamples]byte
	pace := mediatest.NewPacing(time.Now())
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		send, skip := pace.Due(time.Now())
		if skip > 0 {
			p.sendMu.Lock()
			p.pkt.Timestamp += uint32(skip) * media.FrameSamples
			p.sendMu.Unlock()
		}
		for range send {
			p.sendFrame(&pcm, &enc)
		}
	}
}

// sendFrame sends the next 20 ms (or nothing, while silent), and advances
// the RTP clock either way.
func (p *Phone) sendFrame(pcm *[media.FrameSamples]int16, enc *[media.FrameSamples]byte) {
	p.mu.Lock()
	remote, sine, pt := p.remote, p.sine, p.remotePT
	lose := false
	if sine != nil {
		sine.Fill(pcm[:])
		p.sent++
		lose = p.dropEvery > 0 && p.sent%p.dropEvery == 0
	}
	p.mu.Unlock()
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	switch {
	case sine == nil || !remote.IsValid() || p.inDTMF:
	case lose:
		p.pkt.SequenceNumber++ // lost on the way
	default:
		p.pkt.PayloadType = pt
		p.pkt.Payload = media.Encode(p.codec, enc[:], pcm[:])
		p.writeLocked(remote)
	}
	p.pkt.Timestamp += media.FrameSamples // the clock runs during pauses too
}

// writeLocked sends p.pkt and advances the sequence number.
func (p *Phone) writeLocked(to netip.AddrPort) {
	n, err := p.pkt.MarshalTo(p.buf[:])
	if err != nil {
		return
	}
	p.pkt.SequenceNumber++
	p.pkt.Marker = false
	if out := p.protectLocked(p.buf[:n]); out != nil {
		_, _ = p.conn.WriteToUDPAddrPort(out, to)
	}
}

// SendDTMF sends digits as RFC 4733 events (100 ms each, 3 end packets, 60 ms
// apart) with payload type 101. Audio pauses meanwhile.
func (p *Phone) SendDTMF(digits string) error {
	for _, d := range digits {
		code := strings.IndexRune("0123456789*#ABCD", d)
		if code < 0 {
			return fmt.Errorf("rtplegtest: bad digit %q", d)
		}
		remote := p.Remote()
		if !remote.IsValid() {
			return errors.New("rtplegtest: no remote")
		}
		p.sendMu.Lock()
		p.inDTMF = true
		start := p.pkt.Timestamp
		p.sendMu.Unlock()
		const frames = 5
		for i := range frames + 2 {
			if i > 0 {
				time.Sleep(media.FrameDuration)
			}
			ev := []byte{byte(code), 10, 0, 0}
			if i >= frames-1 {
				ev[1] |= 0x80
			}
			binary.BigEndian.PutUint16(ev[2:], uint16(min(i+1, frames)*media.FrameSamples))
			p.sendMu.Lock()
			ts := p.pkt.Timestamp
			p.pkt.PayloadType, p.pkt.Timestamp, p.pkt.Marker, p.pkt.Payload = TelephoneEventPT, start, i == 0, ev
			p.writeLocked(remote)
			p.pkt.Timestamp = ts
			p.sendMu.Unlock()
		}
		p.sendMu.Lock()
		p.inDTMF = false
		p.pkt.Timestamp = max(p.pkt.Timestamp, start+frames*media.FrameSamples)
		p.sendMu.Unlock()
		time.Sleep(60 * time.Millisecond)
	}
	return nil
}
