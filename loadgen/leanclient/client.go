package leanclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/stun/v4"

	"switchboard/loadgen/udpmux"
	"switchboard/media"
)

// Pool is what clients share: one self-signed DTLS certificate.
type Pool struct {
	cert        tls.Certificate
	fingerprint string // "sha-256 AB:CD:..."
}

// NewPool makes the shared certificate.
func NewPool() (*Pool, error) {
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		return nil, fmt.Errorf("leanclient: certificate: %w", err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	hexs := make([]string, len(sum))
	for i, b := range sum {
		hexs[i] = fmt.Sprintf("%02X", b)
	}
	return &Pool{cert: cert, fingerprint: "sha-256 " + strings.Join(hexs, ":")}, nil
}

// Config tunes a Client.
type Config struct {
	// Codec is the G.711 codec offered and sent. Zero means PCMU.
	Codec media.Codec
	// ConnectTimeout bounds ICE plus DTLS. Zero means 15 s.
	ConnectTimeout time.Duration
	// OnPacket receives every RTP packet from the peer and the time it was
	// read, on the client's reader (its goroutine, or Loop's); p is only
	// valid during the call. Nil drops received packets.
	OnPacket func(p *media.Packet, at time.Time)
	// IP is the address the client's socket binds and its SDP names;
	// zero means 127.0.0.1 (e2e/netns: an address of the test's own
	// network namespace).
	IP netip.Addr
	// Mux, if set, gives the client an address on it (instead of a
	// socket on IP): read on the Mux's loop with every other address of
	// it, media sent in one sendmmsg per tick with the rest of the loop's
	// (WritePayload copies the packet). Nil gives the client a socket and
	// a reader goroutine of its own.
	Mux *udpmux.Mux
}

// peer is the remote side, fixed once SetAnswer or Answer parsed it.
type peer struct {
	remoteDesc
	controlling bool
	integrity   stun.MessageIntegrity // the peer's ice-pwd: our requests, its responses
	username    string                // peer:us, in our requests
	expectUser  string                // us:peer, in the peer's requests
}

// Client is one browser-side audio leg.
type Client struct {
	pool       *Pool
	cfg        Config
	conn       sock
	local      netip.AddrPort
	ufrag, pwd string
	integrity  stun.MessageIntegrity // our ice-pwd
	tieBreaker uint64
	ssrc       uint32
	sessionID  uint64

	peer      atomic.Pointer[peer]
	checked   event // the peer answered one of our binding requests
	nominated event // the peer sent USE-CANDIDATE (controlled role)
	connected event
	failed    event
	err       atomic.Pointer[error]

	dmu sync.Mutex
	dc  *dtlsConn // during the handshake

	rx atomic.Pointer[srtp.Context]
	// Reader scratch.
	rhdr            rtp.Header
	rpkt            media.Packet
	stunIn, stunOut stun.Message

	wmu   sync.Mutex // guards following
	tx    *srtp.Context
	whdr  rtp.Header
	wscr  rtp.Header // EncryptRTP's scratch (nil makes it allocate one per packet)
	plain [1500]byte
	out   [1500]byte

	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// event is a one-shot signal.
type event struct {
	once sync.Once
	ch   chan struct{}
}

func newEvent() event  { return event{ch: make(chan struct{})} }
func (e *event) fire() { e.once.Do(func() { close(e.ch) }) }
func (e *event) fired() bool {
	select {
	case <-e.ch:
		return true
	default:
		return false
	}
}

// New binds the client's socket on cfg.IP (127.0.0.1 by default) and
// starts reading it.
func (p *Pool) New(cfg Config) (*Client, error) {
	if cfg.Codec == media.CodecUnknown {
		cfg.Codec = media.PCMU
	}
	if cfg.Codec != media.PCMU && cfg.Codec != media.PCMA {
		return nil, fmt.Errorf("leanclient: codec %v not supported", cfg.Codec)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	if !cfg.IP.IsValid() {
		cfg.IP = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	var r [20]byte
	_, _ = rand.Read(r[:])
	c := &Client{
		pool: p, cfg: cfg,
		ufrag: token(8), pwd: token(24),
		tieBreaker: binary.BigEndian.Uint64(r[0:]), ssrc: binary.BigEndian.Uint32(r[8:]),
		sessionID: binary.BigEndian.Uint64(r[12:]) >> 1,
		checked:   newEvent(), nominated: newEvent(), connected: newEvent(), failed: newEvent(),
		closing: make(chan struct{}),
	}
	c.integrity = stun.NewShortTermIntegrity(c.pwd)
	c.whdr = rtp.Header{Version: 2, PayloadType: cfg.Codec.PayloadType(), SSRC: c.ssrc,
		SequenceNumber: uint16(r[16])<<8 | uint16(r[17]), Timestamp: binary.BigEndian.Uint32(r[16:])}
	if err := c.listen(); err != nil {
		return nil, err
	}
	return c, nil
}

// token is n random characters of the ICE alphabet.
func token(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Offer returns the client's complete SDP offer.
func (c *Client) Offer(context.Context) ([]byte, error) {
	return c.localDesc("actpass", "0", int(c.cfg.Codec.PayloadType())), nil
}

// SetAnswer applies the peer's answer and starts connecting as the
// controlling agent; it does not wait (see WaitConnected).
func (c *Client) SetAnswer(answer []byte) error {
	d, err := parseRemote(answer, c.cfg.Codec)
	if err != nil {
		return fmt.Errorf("leanclient: answer: %w", err)
	}
	return c.start(d, true)
}

// Answer applies the peer's offer, starts connecting (controlled, unless
// the peer is ICE-lite) and returns the client's answer.
func (c *Client) Answer(_ context.Context, offer []byte) ([]byte, error) {
	d, err := parseRemote(offer, c.cfg.Codec)
	if err != nil {
		return nil, fmt.Errorf("leanclient: offer: %w", err)
	}
	c.wmu.Lock()
	c.whdr.PayloadType = uint8(d.pt)
	c.wmu.Unlock()
	ans := c.localDesc("active", d.mid, d.pt)
	if err := c.start(d, d.lite); err != nil {
		return nil, err
	}
	return ans, nil
}

func (c *Client) start(d *remoteDesc, controlling bool) error {
	p := &peer{remoteDesc: *d, controlling: controlling, integrity: stun.NewShortTermIntegrity(d.pwd),
		username: d.ufrag + ":" + c.ufrag, expectUser: c.ufrag + ":" + d.ufrag}
	if !c.peer.CompareAndSwap(nil, p) {
		return errors.New("leanclient: remote description already set")
	}
	c.wg.Go(func() { c.connect(p) })
	return nil
}

// WaitConnected waits until ICE and DTLS are up, the connection failed,
// or ctx ends.
func (c *Client) WaitConnected(ctx context.Context) error {
	select {
	case <-c.connected.ch:
		return nil
	case <-c.failed.ch:
		return *c.err.Load()
	case <-ctx.Done():
		return fmt.Errorf("leanclient: not connected: %w", ctx.Err())
	}
}

// WritePayload sends one frame of encoded audio; the client stamps
// sequence number and timestamp. Before the connection is up the frame is
// dropped (nil error), as a browser's would be.
func (c *Client) WritePayload(payload []byte, marker bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	p := c.peer.Load()
	if c.tx == nil || p == nil {
		return nil
	}
	c.whdr.Marker = marker
	n, err := c.whdr.MarshalTo(c.plain[:])
	if err != nil || n+len(payload) > len(c.plain)-32 {
		return fmt.Errorf("leanclient: payload of %d bytes", len(payload))
	}
	n += copy(c.plain[n:], payload)
	c.whdr.SequenceNumber++
	c.whdr.Timestamp += uint32(len(payload))
	out, err := c.tx.EncryptRTP(c.out[:0], c.plain[:n], &c.wscr)
	if err != nil {
		return fmt.Errorf("leanclient: srtp: %w", err)
	}
	return c.conn.Queue(out, p.addr)
}

// Codec returns the codec the client sends.
func (c *Client) Codec() media.Codec { return c.cfg.Codec }

// Close closes the socket and waits for the client's goroutines. It is
// idempotent.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closing)
		err = c.conn.Close()
	})
	c.wg.Wait()
	return err
}

func (c *Client) fail(err error) {
	if c.connected.fired() {
		return
	}
	err = fmt.Errorf("leanclient: %w", err)
	c.err.CompareAndSwap(nil, &err)
	c.failed.fire()
}

// receive demultiplexes one datagram (RFC 7983).
func (c *Client) receive(b []byte, from netip.AddrPort, at time.Time) {
	switch x := b[0]; {
	case x < 4:
		c.receiveSTUN(b, from)
	case x >= 20 && x < 64:
		c.dmu.Lock()
		dc := c.dc
		c.dmu.Unlock()
		if dc != nil {
			dc.deliver(b)
		}
	case x >= 128 && x < 192:
		c.receiveRTP(b, at)
	}
}

// receiveRTP decrypts in place and hands the packet to OnPacket; SRTCP
// (packet types 192–223) is ignored.
func (c *Client) receiveRTP(b []byte, at time.Time) {
	rx := c.rx.Load()
	if rx == nil || len(b) < 12 || (b[1] >= 192 && b[1] <= 223) || c.cfg.OnPacket == nil {
		return
	}
	hl, err := c.rhdr.Unmarshal(b)
	if err != nil {
		return
	}
	out, err := rx.DecryptRTP(b, b, &c.rhdr)
	if err != nil {
		return
	}
	end := len(out)
	if c.rhdr.Padding && end > hl {
		end -= int(out[end-1])
	}
	if end <= hl {
		return
	}
	c.rpkt = media.Packet{Payload: out[hl:end], Codec: media.CodecForPayloadType(c.rhdr.PayloadType),
		SequenceNumber: c.rhdr.SequenceNumber, Timestamp: c.rhdr.Timestamp, Marker: c.rhdr.Marker}
	c.cfg.OnPacket(&c.rpkt, at)
}
