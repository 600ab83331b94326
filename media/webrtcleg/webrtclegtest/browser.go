package webrtclegtest

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
	"switchboard/media/webrtcleg/internal/pionkit"
)

// ConnectTimeout bounds SetAnswer's wait for ICE and DTLS.
const ConnectTimeout = 10 * time.Second

// recordSamples is how much received audio a Browser keeps (10 s).
const recordSamples = 10 * media.SampleRate

// recordPackets is how many received packet headers a Browser keeps.
const recordPackets = 3000

// Options tune a Browser. The zero value offers Opus and PCMU (Opus first,
// as Chrome does) with pion's default interceptors.
type Options struct {
	// Codecs are the G.711 codecs offered, after Opus; the first one is the
	// one the browser sends. Empty means PCMU.
	Codecs []media.Codec
	// NoOpus leaves Opus out of the offer.
	NoOpus bool
	// Bare drops pion's default interceptors (NACK, RTCP reports, TWCC), for
	// load tests where the browser's own cost should stay small.
	Bare bool
	// ICEServers are STUN/TURN servers, as a login result hands them out
	// (relay.go); RelayOnly forces ICETransportPolicy "relay".
	ICEServers []ICEServer
	RelayOnly  bool
}

// PacketInfo is the header of one RTP packet the browser received.
type PacketInfo struct {
	SSRC           uint32
	PayloadType    uint8
	SequenceNumber uint16
	Timestamp      uint32
	Marker         bool
	At             time.Time
}

// Browser is a pion PeerConnection acting as an agent's browser.
type Browser struct {
	t     testing.TB
	pc    *webrtc.PeerConnection
	conn  *cutConn
	track *webrtc.TrackLocalStaticRTP
	codec media.Codec

	freq      atomic.Uint64 // tone frequency in Hz; 0 sends silence
	sendOnce  sync.Once
	connected chan struct{}
	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu      sync.Mutex // guards following
	samples []int16
	packets []PacketInfo
}

// NewBrowser makes a browser offering PCMU or PCMA (codec) after Opus, as
// Chrome does. t.Cleanup closes it and waits for its goroutines.
func NewBrowser(t testing.TB, codec media.Codec) *Browser {
	t.Helper()
	return NewBrowserWith(t, Options{Codecs: []media.Codec{codec}})
}

// NewBrowserWith makes a browser with opts.
func NewBrowserWith(t testing.TB, opts Options) *Browser {
	t.Helper()
	if len(opts.Codecs) == 0 {
		opts.Codecs = []media.Codec{media.PCMU}
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("browser listen: %v", err)
	}
	conn := &cutConn{PacketConn: udp}

	var codecs []webrtc.RTPCodecParameters
	if !opts.NoOpus {
		codecs = append(codecs, webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"},
			PayloadType:        111,
		})
	}
	for _, c := range opts.Codecs {
		codecs = append(codecs, pionkit.G711(c))
	}
	pc, err := pionkit.NewPeer(pionkit.Peer{Conn: conn, Codecs: codecs, Interceptors: !opts.Bare, Configuration: opts.configuration()})
	if err != nil {
		_ = conn.Close()
		t.Fatalf("browser: %v", err)
	}
	b := &Browser{
		t: t, pc: pc, conn: conn, codec: opts.Codecs[0],
		connected: make(chan struct{}),
		closing:   make(chan struct{}),
	}
	t.Cleanup(b.Close)

	b.track, err = webrtc.NewTrackLocalStaticRTP(pionkit.G711(b.codec).RTPCodecCapability, "mic", "browser")
	must(t, err)
	if _, err := pc.AddTransceiverFromTrack(b.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		t.Fatalf("browser add track: %v", err)
	}
	var connectedOnce sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			connectedOnce.Do(func() { close(b.connected) })
		}
	})
	// remote carries the gateway's track from pion's OnTrack goroutine to
	// the recorder. Buffer 1: one audio track.
	remote := make(chan *webrtc.TrackRemote, 1)
	// receivers carries the track's receiver to the RTCP reader: pion's
	// report interceptors see the gateway's SRTCP only when someone reads
	// it (as a browser does). Buffer 1: one audio track.
	receivers := make(chan *webrtc.RTPReceiver, 1)
	pc.OnTrack(func(tr *webrtc.TrackRemote, rcv *webrtc.RTPReceiver) {
		select {
		case remote <- tr:
		default:
		}
		select {
		case receivers <- rcv:
		default:
		}
	})
	b.wg.Go(func() { b.record(remote) })
	b.wg.Go(func() {
		select {
		case rcv := <-receivers:
			for {
				if _, _, err := rcv.ReadRTCP(); err != nil {
					return
				}
			}
		case <-b.closing:
		}
	})
	return b
}

// Offer returns the browser's complete (non-trickle) SDP offer.
func (b *Browser) Offer() []byte {
	b.t.Helper()
	offer, err := b.pc.CreateOffer(nil)
	must(b.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), ConnectTimeout)
	defer cancel()
	sdp, err := pionkit.LocalDescription(ctx, b.pc, offer)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return sdp
}

// SetAnswer applies the gateway's answer and waits until the browser is
// connected (ICE and DTLS).
func (b *Browser) SetAnswer(answer []byte) {
	b.t.Helper()
	must(b.t, b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}))
	if err := b.WaitConnected(context.Background(), ConnectTimeout); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// WaitConnected waits until the browser is connected, for at most timeout.
func (b *Browser) WaitConnected(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case <-b.connected:
		return nil
	case <-ctx.Done():
		return errors.New("not connected: " + b.pc.ConnectionState().String())
	}
}

// SendTone makes the browser's microphone a continuous sine at freq Hz,
// paced 20 ms per packet, starting the sender if needed.
func (b *Browser) SendTone(freq float64) {
	b.freq.Store(uint64(freq))
	b.sendOnce.Do(func() { b.wg.Go(b.send) })
}

// Silence makes the browser send G.711 silence (the stream stays up).
func (b *Browser) Silence() { b.SendTone(0) }

func (b *Browser) send() {
	select {
	case <-b.connected:
	case <-b.closing:
		return
	}
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	var (
		sine    tone.Sine
		pcm     [media.FrameSamples]int16
		payload [media.FrameSamples]byte
		pkt     = rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: 1000, Timestamp: 50000}}
	)
	pace := mediatest.NewPacing(time.Now()) // catches up after a stall, as a browser's audio clock does
	for {
		select {
		case <-tick.C:
		case <-b.closing:
			return
		}
		send, skip := pace.Due(time.Now())
		pkt.Timestamp += uint32(skip) * media.FrameSamples
		for range send {
			f := float64(b.freq.Load())
			if f == 0 {
				clear(pcm[:])
			} else {
				if sine.Freq != f {
					sine = tone.Sine{Freq: f}
				}
				sine.Fill(pcm[:])
			}
			pkt.Payload = media.Encode(b.codec, payload[:], pcm[:])
			_ = b.track.WriteRTP(&pkt) // errors only while closing
			pkt.SequenceNumber++
			pkt.Timestamp += media.FrameSamples
		}
	}
}

// record decodes everything the gateway sends.
func (b *Browser) record(remote <-chan *webrtc.TrackRemote) {
	var tr *webrtc.TrackRemote
	select {
	case tr = <-remote:
	case <-b.closing:
		return
	}
	buf := make([]byte, 1500)
	pcm := make([]int16, 1500)
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		info := PacketInfo{
			SSRC: pkt.SSRC, PayloadType: pkt.PayloadType, SequenceNumber: pkt.SequenceNumber,
			Timestamp: pkt.Timestamp, Marker: pkt.Marker, At: time.Now(),
		}
		codec := media.CodecForPayloadType(pkt.PayloadType)
		var dec []int16
		if codec != media.CodecUnknown {
			dec = media.Decode(codec, pcm, pkt.Payload[:min(len(pkt.Payload), len(buf))])
		}
		b.mu.Lock()
		b.packets = append(b.packets, info)
		if len(b.packets) > 2*recordPackets {
			b.packets = append(b.packets[:0], b.packets[len(b.packets)-recordPackets:]...)
		}
		b.samples = append(b.samples, dec...)
		if len(b.samples) > 2*recordSamples {
			b.samples = append(b.samples[:0], b.samples[len(b.samples)-recordSamples:]...)
		}
		b.mu.Unlock()
	}
}

// Recent returns a copy of the last window of decoded received audio, or
// nil if the browser has not received that much yet.
func (b *Browser) Recent(window time.Duration) []int16 {
	n := int(window * media.SampleRate / time.Second)
	b.mu.Lock()
	defer b.mu.Unlock()
	if n <= 0 || len(b.samples) < n {
		return nil
	}
	return append([]int16(nil), b.samples[len(b.samples)-n:]...)
}

// Ratio returns tone.Ratio of the last window of received audio at freq
// (0 if not enough audio arrived yet).
func (b *Browser) Ratio(freq float64, window time.Duration) float64 {
	return tone.Ratio(b.Recent(window), freq)
}

// Classify returns tone.Classify of the last window of received audio
// (VerdictUnknown if not enough audio arrived yet).
func (b *Browser) Classify(freq float64, window time.Duration) tone.Verdict {
	s := b.Recent(window)
	if s == nil {
		return tone.VerdictUnknown
	}
	return tone.Classify(s, freq)
}

// Heard reports whether the last 200 ms received are the tone freq.
func (b *Browser) Heard(freq float64) bool {
	return b.Classify(freq, 200*time.Millisecond) == tone.VerdictTone
}

// Packets returns the headers of the packets received so far (the most
// recent few thousand).
func (b *Browser) Packets() []PacketInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]PacketInfo(nil), b.packets...)
}

// Connected reports whether the browser's PeerConnection is connected.
func (b *Browser) Connected() bool {
	return b.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

// Close makes the browser vanish, as a killed tab or a pulled cable would:
// its socket goes silent first (not even a DTLS close_notify gets out), so
// the gateway only learns from consent freshness. It waits for the
// browser's goroutines and is idempotent.
func (b *Browser) Close() {
	b.closeOnce.Do(func() {
		b.conn.cut.Store(true)
		close(b.closing)
		_ = b.pc.Close()
		_ = b.conn.Close()
	})
	b.wg.Wait()
}

// Hangup closes the browser politely: the gateway gets a DTLS close_notify.
func (b *Browser) Hangup() {
	b.closeOnce.Do(func() {
		close(b.closing)
		_ = b.pc.Close()
		_ = b.conn.Close()
	})
	b.wg.Wait()
}

// cutConn is a UDP socket that can be cut: then it drops everything.
type cutConn struct {
	net.PacketConn
	cut atomic.Bool
}

func (c *cutConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.cut.Load() {
			return n, addr, err
		}
	}
}

func (c *cutConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.cut.Load() {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
