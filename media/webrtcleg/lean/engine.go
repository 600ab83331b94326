package lean

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/stun/v4"

	"switchboard/media"
	"switchboard/media/browserleg"
	"switchboard/media/report"
	"switchboard/media/udploop"
)

// DefaultConnectTimeout is what Config.ConnectTimeout 0 means: a leg not
// connected (ICE and DTLS) this long after Accept fails. The ICE timeouts'
// defaults are browserleg's (Config.Timeouts).
const DefaultConnectTimeout = 15 * time.Second

// forcedReadBuffer is the receive buffer the engine forces past
// net.core.rmem_max when it may (forceReadBuffer): ≈ 3 s of the browsers'
// packets at 200 calls, 0.6 s at 1,000.
const forcedReadBuffer = 32 << 20

// readBufferSize is the engine's one receive buffer: more than any UDP
// datagram a browser sends (its MTU).
const readBufferSize = 2048

// Config configures an Engine. The zero value listens on every interface on
// an ephemeral port and advertises the first non-loopback IPv4 address.
type Config struct {
	browserleg.Config
	// ConnectTimeout: 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// RTCPInterval is how often each leg sends its SRTCP report: 0 means
	// 5 s (PROTOCOL §9).
	RTCPInterval time.Duration
	// Loop, when set, reads the shared socket on its clock with the trunk
	// legs' sockets (media/udploop; Linux). nil: a read goroutine.
	Loop *udploop.Loop
}

// Validate checks the values of c.
func (c Config) Validate() error { return c.Config.Validate(c.ConnectTimeout, c.RTCPInterval) }

// Engine makes browser legs. It owns the shared UDP socket, its read loop,
// the liveness ticker and one DTLS certificate. Make one per process.
type Engine struct {
	log      *slog.Logger
	sock     *sock          // the shared socket (sock_linux.go, sock_other.go)
	addr     netip.AddrPort // advertised host candidate
	loopback bool           // answer loopback peers only
	cert     tls.Certificate
	finger   string // "sha-256 AB:..." of cert
	disc     time.Duration
	fail     time.Duration
	connect  time.Duration
	tick     time.Duration

	mu      sync.RWMutex // guards following
	byAddr  map[netip.AddrPort]*Leg
	byUfrag map[string]*Leg
	legs    map[*Leg]struct{}
	closed  bool

	rtcpInt time.Duration // SRTCP report interval

	drops dropCounters // browser datagrams not delivered, by reason (drops.go)

	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // read loop, ticker
}

// reader is one reader's scratch: the loop's shards read the shared port
// at the same time, each with its own (sock_linux.go).
type reader struct {
	stunIn, stunOut stun.Message
}

// New binds the shared UDP port and starts the engine's two goroutines.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lean webrtc config: %w", err)
	}
	log := cfg.Log().With("component", "webrtcleg", "engine", "lean")
	e := &Engine{
		log:     log,
		connect: orDefault(cfg.ConnectTimeout, DefaultConnectTimeout),
		rtcpInt: orDefault(cfg.RTCPInterval, report.Interval),
		byAddr:  make(map[netip.AddrPort]*Leg),
		byUfrag: make(map[string]*Leg),
		legs:    make(map[*Leg]struct{}),
		stop:    make(chan struct{}),
	}
	e.disc, e.fail = cfg.Timeouts()
	e.tick = min(max(e.disc/5, 20*time.Millisecond), 500*time.Millisecond)
	ip := cfg.IP.Unmap()
	bind := ip
	if !ip.IsValid() {
		ip = defaultIP()
		if !ip.IsValid() {
			return nil, errors.New("lean webrtc: no Config.IP and no non-loopback IPv4 address")
		}
		bind = netip.IPv4Unspecified()
	}
	var err error
	e.cert, err = selfsign.GenerateSelfSigned()
	if err != nil {
		return nil, fmt.Errorf("generate dtls certificate: %w", err)
	}
	e.sock, err = listen(netip.AddrPortFrom(bind, uint16(cfg.UDPPort)), cfg.Loop)
	if err != nil {
		return nil, fmt.Errorf("listen media udp %s port %d: %w", bind, cfg.UDPPort, err)
	}
	adv := ip
	if cfg.PublicIP.IsValid() {
		adv = cfg.PublicIP.Unmap()
	}
	e.addr = netip.AddrPortFrom(adv, e.sock.local.Port())
	e.loopback = ip.IsLoopback()
	sum := sha256.Sum256(e.cert.Certificate[0])
	hexs := make([]string, len(sum))
	for i, c := range sum {
		hexs[i] = fmt.Sprintf("%02X", c)
	}
	e.finger = "sha-256 " + strings.Join(hexs, ":")
	if err := e.sock.serve(e.newDispatch); err != nil {
		_ = e.sock.close() // never used: err is the one to report
		return nil, fmt.Errorf("lean webrtc: read socket: %w", err)
	}
	e.wg.Go(e.ticker)
	log.Info("webrtc engine listening", "addr", e.addr.String())
	return e, nil
}

// Addr returns the advertised host candidate's address (the shared socket).
func (e *Engine) Addr() netip.AddrPort { return e.addr }

// Close closes every open leg, then the socket, and waits for the engine's
// goroutines. It is idempotent.
func (e *Engine) Close() error {
	var errs []error
	e.closeOnce.Do(func() {
		e.mu.Lock()
		e.closed = true
		legs := make([]*Leg, 0, len(e.legs))
		for l := range e.legs {
			legs = append(legs, l)
		}
		e.mu.Unlock()
		for _, l := range legs {
			errs = append(errs, l.Close())
		}
		close(e.stop)
		e.sock.shutdown()
		e.wg.Wait()
		errs = append(errs, e.sock.close())
	})
	return errors.Join(errs...)
}

// Accept answers a browser's SDP offer and returns the new leg and the
// answer (complete: ICE-lite with its one host candidate). It answers PCMU
// when the offer has it, else PCMA; an offer that cannot be answered gets a
// *browserleg.OfferError. The leg is Connecting until the browser completes
// ICE and DTLS; call Start to receive its audio.
func (e *Engine) Accept(ctx context.Context, raw []byte) (*Leg, []byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	o, err := parseOffer(raw)
	if err != nil {
		return nil, nil, err
	}
	codec, pt, otherPT := media.PCMU, o.ptPCMU, o.ptPCMA
	if pt < 0 {
		codec, pt, otherPT = media.PCMA, o.ptPCMA, -1
	}
	l := newLeg(e, o, codec, uint8(pt))
	answer := o.answer(answerParams{
		addr: e.addr, ufrag: l.ufrag, pwd: l.pwd, fingerprint: e.finger,
		codec: codec, pt: pt, otherPT: otherPT, ssrc: l.hdr.SSRC, sessionID: mrand.Uint64() >> 2,
	})
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, nil, browserleg.ErrClosed
	}
	e.legs[l] = struct{}{}
	e.byUfrag[l.ufrag] = l
	e.mu.Unlock()
	if err := l.startDTLS(); err != nil {
		_ = l.Close() // Leg.Close always returns nil
		return nil, nil, err
	}
	l.log.Info("webrtc leg answered", "codec", codec.String())
	return l, answer, nil
}

// forget unregisters l's ufrag and addresses.
func (e *Engine) forget(l *Leg) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.legs, l)
	if e.byUfrag[l.ufrag] == l {
		delete(e.byUfrag, l.ufrag)
	}
	for _, a := range l.addrs {
		if e.byAddr[a] == l {
			delete(e.byAddr, a)
		}
	}
	l.addrs = nil
}

// newDispatch returns a dispatch for one reader of the socket.
func (e *Engine) newDispatch() func([]byte, netip.AddrPort) {
	r := new(reader)
	return func(b []byte, from netip.AddrPort) { e.dispatch(r, b, from) }
}

// dispatch hands one datagram to the leg its source address belongs to
// (one map lookup by source address), on the socket's reader r (on Linux
// a udploop shard's goroutine, every datagram queued on its 1 ms clock;
// one browser address's datagrams always reach the same shard); STUN from
// an unknown address may be a new leg's first binding request.
func (e *Engine) dispatch(r *reader, b []byte, from netip.AddrPort) {
	e.mu.RLock()
	l := e.byAddr[from]
	e.mu.RUnlock()
	if l == nil {
		if b[0] < 4 {
			e.handleSTUN(r, b, from, nil)
		} else {
			e.drops[dropUnknownSource].Add(1)
		}
		return
	}
	l.receive(r, b, from)
}

// handleSTUN answers a browser's binding request (RFC 8445 §7.3 as a lite
// agent; RFC 7675 consent checks are the same requests). known is the leg
// the source address belongs to, if any; r the reader's scratch.
func (e *Engine) handleSTUN(r *reader, b []byte, from netip.AddrPort, known *Leg) {
	if e.loopback && !from.Addr().IsLoopback() {
		return
	}
	m := &r.stunIn
	m.Raw = append(m.Raw[:0], b...)
	if err := m.Decode(); err != nil || m.Type != stun.BindingRequest {
		return
	}
	user, err := m.Get(stun.AttrUsername)
	if err != nil {
		return
	}
	i := strings.IndexByte(string(user), ':') // no copy: string(user) in an expression
	if i < 0 {
		return
	}
	e.mu.RLock()
	l := e.byUfrag[string(user[:i])]
	e.mu.RUnlock()
	if l == nil || string(user[i+1:]) != l.remoteUfrag {
		return
	}
	if err := l.integrity.Check(m); err != nil {
		return
	}
	if m.Contains(stun.AttrFingerprint) {
		if err := stun.Fingerprint.Check(m); err != nil {
			return
		}
	}
	l.onCheck(from, m.Contains(stun.AttrUseCandidate), known)
	out := &r.stunOut
	err = out.Build(stun.NewTransactionIDSetter(m.TransactionID), stun.BindingSuccess,
		&stun.XORMappedAddress{IP: from.Addr().AsSlice(), Port: int(from.Port())},
		l.integrity, stun.Fingerprint)
	if err != nil {
		return
	}
	_ = e.sock.writeTo(out.Raw, from) // per packet: a lost response is a lost check, which the browser repeats (RFC 8445 §6.2.1)
}

// register maps addr to l (moving it from another leg if needed).
func (e *Engine) register(l *Leg, addr netip.AddrPort) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byAddr[addr] == l || l.closedFlag.Load() {
		return
	}
	if len(l.addrs) >= maxAddrs {
		old := l.addrs[0]
		if e.byAddr[old] == l {
			delete(e.byAddr, old)
		}
		l.addrs = l.addrs[1:]
	}
	e.byAddr[addr] = l
	l.addrs = append(l.addrs, addr)
}

// maxAddrs bounds the browser addresses one leg accepts packets from.
const maxAddrs = 8

// ticker runs liveness and DTLS clean-up for every leg.
func (e *Engine) ticker() {
	t := time.NewTicker(e.tick)
	defer t.Stop()
	var legs []*Leg
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.mu.RLock()
			legs = legs[:0]
			for l := range e.legs {
				legs = append(legs, l)
			}
			e.mu.RUnlock()
			for _, l := range legs {
				l.tick(now)
			}
			clear(legs)
		}
	}
}

// randomString returns n characters of ICE-safe random text (base64 of
// crypto/rand bytes, RFC 8445 §5.3: ufrag ≥ 4, pwd ≥ 22 characters).
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	s := base64.RawStdEncoding.EncodeToString(b)
	return strings.NewReplacer("+", "a", "/", "b").Replace(s[:n])
}

// defaultIP returns the first non-loopback IPv4 address of an up interface.
func defaultIP() netip.Addr {
	ifs, err := net.Interfaces()
	if err != nil {
		return netip.Addr{}
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Is4() {
				return p.Addr()
			}
		}
	}
	return netip.Addr{}
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
