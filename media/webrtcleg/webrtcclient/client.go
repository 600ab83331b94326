package webrtcclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"switchboard/media"
	"switchboard/media/webrtcleg/internal/pionkit"
)

// Config tunes a Client. The zero value offers PCMU only, without pion's
// default interceptors, on 127.0.0.1 only.
type Config struct {
	// Codec is the G.711 codec offered and sent. Zero means PCMU.
	Codec media.Codec
	// Interceptors enables pion's default interceptors (NACK, RTCP
	// reports, TWCC), as a real browser would run them. Off by default to
	// keep the client's own CPU cost small.
	Interceptors bool
	// AnyInterface gathers candidates on every interface instead of
	// loopback only.
	AnyInterface bool
	// OnPacket receives every RTP packet from the gateway and the time it
	// was read. It runs on the client's reader goroutine; p is only valid
	// during the call. Nil drops received packets.
	OnPacket func(p *media.Packet, at time.Time)
}

// Client is one WebRTC PeerConnection with a single audio stream.
type Client struct {
	cfg   Config
	pc    *webrtc.PeerConnection
	conn  net.PacketConn
	track *webrtc.TrackLocalStaticRTP

	pkt rtp.Packet // outgoing stream state; guarded by the single writer

	connected chan struct{}
	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// New creates a client with its own UDP socket.
func New(cfg Config) (*Client, error) {
	if cfg.Codec == media.CodecUnknown {
		cfg.Codec = media.PCMU
	}
	if cfg.Codec != media.PCMU && cfg.Codec != media.PCMA {
		return nil, fmt.Errorf("webrtcclient: codec %v not supported", cfg.Codec)
	}
	host := net.IPv4(127, 0, 0, 1)
	if cfg.AnyInterface {
		host = net.IPv4zero
	}
	udp, err := net.ListenUDP("udp4", &net.UDPAddr{IP: host})
	if err != nil {
		return nil, fmt.Errorf("webrtcclient: listen: %w", err)
	}
	params := pionkit.G711(cfg.Codec)
	pc, err := pionkit.NewPeer(pionkit.Peer{
		Conn: udp, Codecs: []webrtc.RTPCodecParameters{params},
		Interceptors: cfg.Interceptors, AnyInterface: cfg.AnyInterface,
	})
	if err != nil {
		_ = udp.Close() // never used: the peer error is the one returned
		return nil, fmt.Errorf("webrtcclient: %w", err)
	}
	c := &Client{cfg: cfg, pc: pc, conn: udp, connected: make(chan struct{}), closing: make(chan struct{})}
	c.pkt = rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: cfg.Codec.PayloadType(), SequenceNumber: 1000, Timestamp: 50000}}
	c.track, err = webrtc.NewTrackLocalStaticRTP(params.RTPCodecCapability, "mic", "sbload")
	if err == nil {
		_, err = pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	}
	if err != nil {
		_ = c.Close() // the track error is the one returned
		return nil, fmt.Errorf("webrtcclient: track: %w", err)
	}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	// remote carries the gateway's track from pion's OnTrack goroutine to
	// the reader. Buffer 1: one audio track; a second one is dropped.
	remote := make(chan *webrtc.TrackRemote, 1)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		select {
		case remote <- tr:
		default:
		}
	})
	c.wg.Go(func() { c.read(remote) })
	return c, nil
}

// Offer creates the complete (non-trickle) SDP offer.
func (c *Client) Offer(ctx context.Context) ([]byte, error) {
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return nil, fmt.Errorf("webrtcclient: offer: %w", err)
	}
	return c.local(ctx, offer)
}

// local sets desc as the local description and returns it complete.
func (c *Client) local(ctx context.Context, desc webrtc.SessionDescription) ([]byte, error) {
	sdp, err := pionkit.LocalDescription(ctx, c.pc, desc)
	if err != nil {
		return nil, fmt.Errorf("webrtcclient: %w", err)
	}
	return sdp, nil
}

// SetAnswer applies the gateway's answer; it does not wait for the
// connection (see WaitConnected).
func (c *Client) SetAnswer(answer []byte) error {
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)})
	if err != nil {
		return fmt.Errorf("webrtcclient: answer: %w", err)
	}
	return nil
}

// WaitConnected waits until ICE and DTLS are up or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) error {
	select {
	case <-c.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webrtcclient: not connected (%s): %w", c.pc.ConnectionState(), ctx.Err())
	}
}

// WritePayload sends one 20 ms frame of encoded audio. The client stamps
// sequence number and timestamp; marker sets the RTP marker bit. Only one
// goroutine may call it at a time.
func (c *Client) WritePayload(payload []byte, marker bool) error {
	c.pkt.Payload = payload
	c.pkt.Marker = marker
	err := c.track.WriteRTP(&c.pkt)
	c.pkt.SequenceNumber++
	c.pkt.Timestamp += media.FrameSamples
	return err
}

// Codec returns the codec the client sends.
func (c *Client) Codec() media.Codec { return c.cfg.Codec }

func (c *Client) read(remote <-chan *webrtc.TrackRemote) {
	var tr *webrtc.TrackRemote
	select {
	case tr = <-remote:
	case <-c.closing:
		return
	}
	buf := make([]byte, 1500)
	var (
		pkt rtp.Packet
		out media.Packet
	)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if c.cfg.OnPacket == nil || pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		out = media.Packet{
			Payload: pkt.Payload, Codec: media.CodecForPayloadType(pkt.PayloadType),
			SequenceNumber: pkt.SequenceNumber, Timestamp: pkt.Timestamp, Marker: pkt.Marker,
		}
		c.cfg.OnPacket(&out, time.Now())
	}
}

// Close closes the PeerConnection and its socket and waits for the reader.
// It is idempotent.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closing)
		err = errors.Join(c.pc.Close(), c.conn.Close())
	})
	c.wg.Wait()
	return err
}
