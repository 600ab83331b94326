package webrtcleg

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/transport/v4/stdnet"
	"github.com/pion/webrtc/v4"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/webrtcleg/internal/pionkit"
)

// DefaultKeepaliveInterval is what Config.KeepaliveInterval 0 means: how
// often ICE probes an idle browser, so a live one answers well within
// browserleg.DefaultDisconnectedTimeout.
const DefaultKeepaliveInterval = 1 * time.Second

// rtpBufferLimit bounds what pion buffers per received RTP stream before the
// leg claims it (about 3 s of G.711 audio in SRTP).
const rtpBufferLimit = 32 << 10

// Config configures an Engine. The zero value listens on every interface on
// an ephemeral port: a zero IP binds every interface (one socket per
// address, same port, through pion's ICE UDP mux), and a loopback IP
// gathers loopback candidates only. The Logger also gets pion's own logs
// (pion Info is demoted to Debug).
type Config struct {
	browserleg.Config
	// KeepaliveInterval: 0 means DefaultKeepaliveInterval.
	KeepaliveInterval time.Duration
}

// Validate checks the values of c.
func (c Config) Validate() error { return c.Config.Validate(c.KeepaliveInterval) }

// Engine makes browser legs. It owns the pion API, one DTLS certificate and
// the shared UDP socket. Make one per process.
type Engine struct {
	log  *slog.Logger
	se   webrtc.SettingEngine // copied per leg, which sets its BufferFactory
	me   *webrtc.MediaEngine  // copied by pion per PeerConnection
	mux  ice.UDPMux
	addr netip.AddrPort

	mu     sync.Mutex // guards following
	cert   *webrtc.Certificate
	legs   map[*Leg]struct{}
	closed bool
}

// New binds the shared UDP port and builds the pion API.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webrtcleg config: %w", err)
	}
	log := cfg.Log().With("component", "webrtcleg")
	lf := slogFactory{log}

	e := &Engine{log: log, legs: make(map[*Leg]struct{})}
	var se webrtc.SettingEngine
	se.LoggerFactory = lf
	ip := cfg.IP.Unmap()
	if ip.IsValid() {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(cfg.UDPPort))))
		if err != nil {
			return nil, fmt.Errorf("listen media udp %s port %d: %w", ip, cfg.UDPPort, err)
		}
		// Every agent's audio shares this socket: give it room for bursts
		// (the kernel caps these at net.core.[rw]mem_max, without an error).
		_ = conn.SetReadBuffer(browserleg.SocketBuffer)
		_ = conn.SetWriteBuffer(browserleg.SocketBuffer)
		e.addr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
		e.mux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Logger: lf.NewLogger("ice-mux")})
		if ip.Is4() {
			se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		} else {
			se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP6})
		}
		if ip.IsLoopback() {
			// TESTING.md: loopback only, both ways.
			pionkit.LoopbackOnly(&se)
		} else {
			want := net.IP(ip.AsSlice())
			se.SetIPFilter(func(a net.IP) bool { return a.Equal(want) })
		}
	} else {
		mux, err := ice.NewMultiUDPMuxFromPort(cfg.UDPPort, ice.UDPMuxFromPortWithLogger(lf.NewLogger("ice-mux")),
			ice.UDPMuxFromPortWithReadBufferSize(browserleg.SocketBuffer), ice.UDPMuxFromPortWithWriteBufferSize(browserleg.SocketBuffer))
		if err != nil {
			return nil, fmt.Errorf("listen media udp port %d: %w", cfg.UDPPort, err)
		}
		e.mux = mux
		if addrs := mux.GetListenAddresses(); len(addrs) > 0 {
			if ua, ok := addrs[0].(*net.UDPAddr); ok {
				e.addr = netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(ua.Port))
			}
		}
	}
	if cfg.PublicIP.IsValid() {
		// 1:1 NAT: the host candidates carry the public address.
		if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP.Unmap().String()}, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
		}); err != nil {
			_ = e.mux.Close() // never used: the error below is the one returned
			return nil, fmt.Errorf("public ip %s: %w", cfg.PublicIP, err)
		}
	}
	se.SetICEUDPMux(e.mux)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	disc, fail := cfg.Timeouts()
	se.SetICETimeouts(
		disc, fail, orDefault(cfg.KeepaliveInterval, DefaultKeepaliveInterval))
	// One interface list for every leg's ICE agent (pion otherwise asks
	// the kernel for it, and keeps it, per PeerConnection).
	nw, err := stdnet.NewNet()
	if err != nil {
		_ = e.mux.Close() // never used: the error below is the one returned
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	se.SetNet(nw)
	// OnTrack as soon as the stream is known, without pion reading (and
	// holding back) its first packet: the leg's tap delivers from then on.
	se.SetFireOnTrackBeforeFirstRTP(true)

	var me webrtc.MediaEngine
	for _, c := range []webrtc.RTPCodecParameters{pionkit.G711(media.PCMU), pionkit.G711(media.PCMA)} {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			_ = e.mux.Close() // never used: the error below is the one returned
			return nil, fmt.Errorf("register codec %s: %w", c.MimeType, err)
		}
	}
	e.se, e.me = se, &me
	if _, err := e.certificate(); err != nil {
		_ = e.mux.Close() // never used: the error below is the one returned
		return nil, err
	}
	log.Info("webrtc engine listening", "addr", e.addr.String())
	return e, nil
}

// Addr returns the shared media socket's address (the unspecified address
// when Config.IP was zero).
func (e *Engine) Addr() netip.AddrPort { return e.addr }

// certificate returns the engine's DTLS certificate, renewing it a day
// before it expires. One certificate serves every leg: its fingerprint is
// public, and making one per PeerConnection costs an ECDSA key generation.
func (e *Engine) certificate() (*webrtc.Certificate, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cert != nil && time.Until(e.cert.Expires()) > 24*time.Hour {
		return e.cert, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate dtls key: %w", err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return nil, fmt.Errorf("generate dtls certificate: %w", err)
	}
	e.cert = cert
	return cert, nil
}

// Close closes every open leg, then the shared socket. It is idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	legs := make([]*Leg, 0, len(e.legs))
	for l := range e.legs {
		legs = append(legs, l)
	}
	e.mu.Unlock()
	var errs []error
	for _, l := range legs {
		errs = append(errs, l.Close())
	}
	errs = append(errs, e.mux.Close())
	return errors.Join(errs...)
}

// track registers l; it fails once the engine is closed.
func (e *Engine) track(l *Leg) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return browserleg.ErrClosed
	}
	e.legs[l] = struct{}{}
	return nil
}

func (e *Engine) forget(l *Leg) {
	e.mu.Lock()
	delete(e.legs, l)
	e.mu.Unlock()
}

// Accept answers a browser's SDP offer and returns the new leg and the
// answer. The answer is non-trickle: Accept waits (bounded by ctx) until ICE
// gathering is complete, so it holds every candidate. It answers PCMU when
// the offer has it, else PCMA; an offer with neither, or with no audio, gets
// an *OfferError. The leg is Connecting until the browser completes ICE and
// DTLS; call Start to receive its audio.
func (e *Engine) Accept(ctx context.Context, offer []byte) (*Leg, []byte, error) {
	codecs, err := offerCodecs(offer)
	if err != nil {
		return nil, nil, err
	}
	codec := codecs[0]
	for _, c := range codecs {
		if c == media.PCMU {
			codec = c
		}
	}
	cert, err := e.certificate()
	if err != nil {
		return nil, nil, err
	}
	l := newLeg(e, codec)
	se := e.se
	se.BufferFactory = l.bufferFactory
	// No interceptors: no NACK (audio is not retransmitted), no TWCC or
	// RTCP reports, no stats goroutines. See doc.go.
	api := webrtc.NewAPI(
		webrtc.WithSettingEngine(se),
		webrtc.WithMediaEngine(e.me),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}),
	)
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		Certificates:  []webrtc.Certificate{*cert},
		BundlePolicy:  webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("new peer connection: %w", err)
	}
	l.bind(pc)
	if err := e.track(l); err != nil {
		_ = pc.Close() // never negotiated: the track error is the one returned
		return nil, nil, err
	}
	answer, err := l.negotiate(ctx, offer, codecs)
	if err != nil {
		_ = l.Close() // the negotiation error is the one returned
		return nil, nil, err
	}
	l.log.Info("webrtc leg answered", "codec", codec.String())
	return l, answer, nil
}

// negotiate applies the offer and returns the complete answer.
func (l *Leg) negotiate(ctx context.Context, offer []byte, offered []media.Codec) ([]byte, error) {
	pc := l.pc
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
		return nil, &browserleg.OfferError{Reason: "invalid_sdp", Err: fmt.Errorf("%w: %w", browserleg.ErrInvalidOffer, err)}
	}
	sender, err := pc.AddTrack(l.out)
	if err != nil {
		return nil, fmt.Errorf("add audio track: %w", err)
	}
	// The leg's codec first, then the other law if the browser offered it.
	prefs := []webrtc.RTPCodecParameters{pionkit.G711(l.codec)}
	for _, c := range offered {
		if c != l.codec {
			prefs = append(prefs, pionkit.G711(c))
			break
		}
	}
	for _, tr := range pc.GetTransceivers() {
		if tr.Sender() == sender {
			if err := tr.SetCodecPreferences(prefs); err != nil {
				return nil, fmt.Errorf("set codec preferences: %w", err)
			}
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return nil, &browserleg.OfferError{Reason: "invalid_sdp", Err: fmt.Errorf("%w: %w", browserleg.ErrInvalidOffer, err)}
	}
	return pionkit.LocalDescription(ctx, pc, answer)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// discard is a write-only sink: Write drops, Read blocks until Close.
type discard struct {
	once   sync.Once
	closed chan struct{}
}

func newDiscard() *discard { return &discard{closed: make(chan struct{})} }

func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

func (d *discard) Read([]byte) (int, error) {
	<-d.closed
	return 0, io.EOF
}

func (d *discard) Close() error {
	d.once.Do(func() { close(d.closed) })
	return nil
}
