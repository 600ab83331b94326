package webrtcleg

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/transport/v4/packetio"
	"github.com/pion/webrtc/v4"

	"switchboard/media"
	"switchboard/media/browserleg"
)

// Leg is one agent's PeerConnection: one G.711 stream each way. Make it with
// Engine.Accept.
type Leg struct {
	e     *Engine
	pc    *webrtc.PeerConnection
	log   *slog.Logger
	codec media.Codec
	out   *localTrack

	// Outgoing stream state.
	wmu         sync.Mutex // guards following
	hdr         rtp.Header
	sending     bool      // a packet has been sent: seq/ts continue from hdr
	lastSamples uint32    // samples in the last packet sent
	lastWrite   time.Time // when it was sent
	xcode       [browserleg.MaxPayload]byte

	// Codec, String, Start, SetSink, OnState, Done and Stats, over codec,
	// sink, stats and notify.
	browserleg.Methods
	sink   browserleg.Sink
	notify browserleg.Notifier // the state last reported, OnState and Done

	// Received RTP: pion's SRTP session writes each stream into an rtpTap
	// (bufferFactory); OnTrack claims the track's tap, which then calls
	// deliver directly. A track without a tap falls back to a read loop.
	tapMu    sync.Mutex         // guards following
	taps     map[uint32]*rtpTap // by SSRC
	tracked  bool               // a track was claimed or is read: later ones are ignored
	tapped   bool               // the track was claimed by its tap (no read loop)
	tapsDone bool               // Close ran: no new taps or read loops
	// stateKick wakes the state loop. Buffer 1: kicks coalesce, the loop
	// reads the current state from pion.
	stateKick chan struct{}

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	readers   sync.WaitGroup // the fallback read loop

	stats browserleg.Counters
}

// newLeg makes a leg without its PeerConnection; bind attaches it.
func newLeg(e *Engine, codec media.Codec) *Leg {
	l := &Leg{
		e:         e,
		log:       e.log.With("codec", codec.String()),
		codec:     codec,
		out:       &localTrack{codec: codec},
		taps:      make(map[uint32]*rtpTap, 1),
		stateKick: make(chan struct{}, 1),
		closing:   make(chan struct{}),
	}
	// RFC 3550 §5.1: random initial sequence number and timestamp.
	l.hdr = rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32()}
	l.notify.Set(browserleg.StateConnecting)
	l.Methods = browserleg.Bind(codec, &l.sink, &l.stats, &l.notify)
	return l
}

// bind attaches the leg's PeerConnection and starts the state loop.
func (l *Leg) bind(pc *webrtc.PeerConnection) {
	l.pc = pc
	pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) {
		select {
		case l.stateKick <- struct{}{}:
		default:
		}
	})
	pc.OnTrack(l.onTrack)
	go l.stateLoop()
}

// WritePacket sends p to the browser. It stamps the leg's own SSRC, sequence
// number and timestamp: the timestamp advances by the previous packet's
// samples, or by the wall-clock time elapsed when the source paused longer
// than a few frames (and the marker bit is then set), so the browser sees
// one continuous stream whatever feeds it. A payload in the other G.711 law
// is transcoded. Before the leg is connected, and once it has failed,
// packets are dropped and counted; after Close it returns ErrClosed. It does not retain p and does not allocate.
func (l *Leg) WritePacket(p *media.Packet) error {
	b := l.out.binding.Load()
	if b == nil || l.notify.State().Final() {
		select {
		case <-l.closing:
			return browserleg.ErrClosed
		default:
		}
		l.stats.Dropped.Add(1)
		return nil
	}
	payload, err := browserleg.Payload(p)
	if err != nil || len(payload) == 0 {
		return err
	}
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if p.Codec != l.codec && p.Codec != media.CodecUnknown {
		payload = media.Transcode(p.Codec, l.codec, l.xcode[:], payload)
	}
	now := time.Now()
	marker := p.Marker
	if !l.sending {
		l.sending = true
		marker = true
	} else {
		l.hdr.SequenceNumber++
		adv := l.lastSamples
		expected := time.Duration(l.lastSamples) * time.Second / media.SampleRate
		if gap := now.Sub(l.lastWrite); gap > expected+2*media.FrameDuration {
			// A pause: keep the timestamp on the wall clock.
			adv = uint32(gap * media.SampleRate / time.Second)
			marker = true
		}
		l.hdr.Timestamp += adv
	}
	l.lastWrite = now
	l.lastSamples = uint32(len(payload))
	l.hdr.SSRC = b.ssrc
	l.hdr.PayloadType = b.pt
	l.hdr.Marker = marker
	if _, err := b.stream.WriteRTP(&l.hdr, payload); err != nil {
		l.stats.WriteErrors.Add(1)
		return fmt.Errorf("write rtp: %w", err)
	}
	l.stats.Sent.Add(1)
	l.stats.SentBytes.Add(uint64(len(payload)))
	return nil
}

// Close tears the PeerConnection down and waits for the leg's packet
// goroutines. It does not wait for the OnState callbacks: the state loop
// reports Closed last, which may come after Close returns (so a callback
// may call Close). It is idempotent and safe to call concurrently.
func (l *Leg) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.closing)
		l.tapMu.Lock()
		l.tapsDone = true
		taps := l.taps
		l.taps = nil
		l.tapMu.Unlock()
		for _, t := range taps {
			t.stop() // waits for a delivery in progress
		}
		err = l.pc.Close()
		l.e.forget(l)
		if err != nil {
			err = fmt.Errorf("close peer connection: %w", err)
		}
	})
	l.readers.Wait()
	l.notify.Finish()
	return err
}

// bufferFactory is the leg's SettingEngine.BufferFactory: received RTP
// goes into an rtpTap per SSRC, received RTCP is dropped on arrival, since
// without interceptors nothing reads it and pion would otherwise keep up to
// 100 KB of it per stream.
func (l *Leg) bufferFactory(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind != packetio.RTPBufferPacket {
		return newDiscard()
	}
	t := newRTPTap()
	l.tapMu.Lock()
	defer l.tapMu.Unlock()
	if l.tapsDone {
		t.stop()
	} else {
		l.taps[ssrc] = t
	}
	return t
}

// onTrack claims the browser's track: its tap delivers to the sink from
// now on. A track without a tap (not expected) gets a read loop.
func (l *Leg) onTrack(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	l.tapMu.Lock()
	defer l.tapMu.Unlock()
	if l.tapsDone || l.tracked {
		return
	}
	l.tracked = true
	if t := l.taps[uint32(tr.SSRC())]; t != nil && t.claim(l) {
		l.tapped = true
		return
	}
	l.readers.Go(func() { l.readLoop(tr) })
}

// deliver parses one decrypted RTP packet and hands it to the sink. hdr
// and pkt are the caller's reused scratch; b is valid during the call.
func (l *Leg) deliver(b []byte, hdr *rtp.Header, pkt *media.Packet) {
	n := len(b)
	hl, err := hdr.Unmarshal(b)
	if err != nil {
		l.stats.Ignored.Add(1)
		return
	}
	end := n
	if hdr.Padding && end > hl {
		end -= int(b[end-1])
	}
	codec := media.CodecForPayloadType(hdr.PayloadType)
	if codec == media.CodecUnknown || end <= hl {
		l.stats.Ignored.Add(1) // comfort noise, DTMF events, empty
		return
	}
	*pkt = media.Packet{
		Payload:        b[hl:end],
		Codec:          codec,
		SequenceNumber: hdr.SequenceNumber,
		Timestamp:      hdr.Timestamp,
		Marker:         hdr.Marker,
	}
	l.stats.Received.Add(1)
	l.stats.ReceivedBytes.Add(uint64(end - hl))
	if err := l.sink.WritePacket(pkt); err != nil {
		l.stats.SinkErrors.Add(1)
	}
}

// readLoop reads tr and delivers each packet: the fallback for a track
// whose stream has no tap.
func (l *Leg) readLoop(tr *webrtc.TrackRemote) {
	buf := make([]byte, browserleg.MaxPayload)
	var hdr rtp.Header
	var pkt media.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) {
				return
			}
			select {
			case <-l.closing:
				return
			default:
			}
			l.stats.Ignored.Add(1)
			continue
		}
		l.deliver(buf[:n], &hdr, &pkt)
	}
}

// stateLoop reports pion's connection state changes, in order, to OnState.
func (l *Leg) stateLoop() {
	last := browserleg.StateConnecting
	for {
		select {
		case <-l.stateKick:
		case <-l.closing:
			if last != browserleg.StateClosed {
				l.report(browserleg.StateClosed)
			}
			return
		}
		s := fromPion(l.pc.ConnectionState())
		if s == last || s == browserleg.StateConnecting || s == browserleg.StateUnknown || last.Final() {
			continue
		}
		last = s
		l.report(s)
	}
}

// report publishes s and calls the OnState callback (on the state loop).
func (l *Leg) report(s State) {
	l.notify.Set(s)
	l.notify.Report(l.log, s, &l.stats)
}

func fromPion(s webrtc.PeerConnectionState) State {
	switch s {
	case webrtc.PeerConnectionStateNew, webrtc.PeerConnectionStateConnecting:
		return browserleg.StateConnecting
	case webrtc.PeerConnectionStateConnected:
		return browserleg.StateConnected
	case webrtc.PeerConnectionStateDisconnected:
		return browserleg.StateDisconnected
	case webrtc.PeerConnectionStateFailed:
		return browserleg.StateFailed
	case webrtc.PeerConnectionStateClosed:
		return browserleg.StateClosed
	}
	return browserleg.StateUnknown
}

var _ media.PacketWriter = (*Leg)(nil)
