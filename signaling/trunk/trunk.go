package trunk

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/internal/netguard"
	"switchboard/media/rtpleg"
)

// Handler decides what happens to a new inbound call.
type Handler interface {
	// HandleCall is called on its own goroutine for every new INVITE, after
	// 100 Trying and after the SDP offer was negotiated on c.Leg(). ctx ends
	// when the call ends. If HandleCall returns while c has no final
	// response, the trunk rejects it with 480; an answered call goes on
	// until one side hangs up.
	HandleCall(ctx context.Context, c *Call)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Call)

// HandleCall calls f(ctx, c).
func (f HandlerFunc) HandleCall(ctx context.Context, c *Call) { f(ctx, c) }

// Config configures a Trunk.
type Config struct {
	Listen      string         // host:port for UDP and TCP; "" means ":5060"; port 0 picks a free port (same for both)
	ExternalIP  netip.Addr     // address written into Contact/Via; zero means the Listen IP, or the media IP if Listen is unspecified
	Allow       []netip.Prefix // sources allowed to send INVITEs; empty means any
	Media       *rtpleg.Pool   // RTP legs; required
	Handler     Handler        // decides inbound calls; nil answers every call with 404
	OutboundURI string         // outbound trunk for Dial, e.g. sip:carrier.example.net:5060;transport=udp; "" disables Dial
	Username    string         // digest username for OutboundURI challenges
	Password    string         // digest password for OutboundURI challenges
	TLSListen   string         // host:port for SIP over TLS (tls.go); "" means no TLS listener
	TLS         *tls.Config    // server certificate source for TLSListen; required with it
	Logger      *slog.Logger   // nil means slog.Default()

	// OnRegistration is called (on a registration goroutine; it must not
	// block) each time a carrier's registration state changes; errText is
	// set for RegFailed. nil means no callback.
	OnRegistration func(carrier, state, errText string)
	// RegisterRetry is the first back-off after a failed REGISTER,
	// doubling up to ten times it; 0 means 30 s (so at most 300 s).
	RegisterRetry time.Duration
	// NoAnswerTimeout is how long an outbound INVITE may go without any
	// response before the next carrier is tried; 0 means 32 s (Timer B).
	NoAnswerTimeout time.Duration

	// Limits (PROTOCOL §14, stream.go, admission.go).
	InviteRate        float64       // initial INVITEs per second per source address (burst twice that); 0 means 20, negative means no limit
	MaxConns          int           // TCP+TLS connections at once; 0 means 4096
	MaxConnsPerSource int           // of those, from one address; 0 means 64
	TCPIdle           time.Duration // a stream connection with no complete message for this long is closed; 0 means 60 s
	ReadTimeout       time.Duration // a started message not complete by then closes its connection; 0 means 10 s
	UserAgent         string        // Server/User-Agent header value; "" means "Switchboard"
	NoUserAgent       bool          // send no Server/User-Agent header at all
}

// Trunk is the SIP trunk endpoint. Create it with New, then Run it.
type Trunk struct {
	cfg    Config
	log    *slog.Logger
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	dlgUDP *sipgo.DialogUA
	dlgTCP *sipgo.DialogUA
	dlgTLS *sipgo.DialogUA // nil without TLS
	udp    net.PacketConn
	tcp    net.Listener
	tls    net.Listener   // nil without TLS (tls.go)
	tlsAP  netip.AddrPort // bound TLS address
	addr   netip.AddrPort
	host   string // Contact/Via host

	baseCtx    context.Context // parent of every call's context; ends at Close
	baseCancel context.CancelFunc
	draining   atomic.Bool
	calls      sync.WaitGroup // call goroutines (handlers, monitors)
	runOnce    sync.Once
	closeOnce  sync.Once
	closed     chan struct{}
	idle       chan struct{} // signalled when the last call ends

	mu     sync.Mutex       // guards following
	active map[string]*Call // by dialog ID
	ended  bool             // Close called: no new calls

	// Guards of the listeners (internal/netguard) and the limits.
	udpG        *udpConn
	tcpG        *netguard.Listener
	tlsG        *netguard.Listener // nil without TLS
	budget      *netguard.Budget   // TCP+TLS connections
	rate        *sourceRate
	rateRefused atomic.Uint64
	out         outbound
	serving     atomic.Bool // Run is serving the listeners

	regs    sync.WaitGroup // registration loops (register.go)
	running atomic.Bool    // Run has started serving: registrations may start

	imu      sync.Mutex                 // guards following (edges.go; never held with mu or cmu)
	inflight map[inviteKey]*inviteEntry // initial INVITEs in progress, CANCELs waiting for one
	merges   map[mergeKey]mergeEntry    // RFC 3261 §8.2.2.2 merge detection

	cmu      sync.Mutex          // guards following (never held with mu)
	carriers map[string]*carrier // by Carrier.ID (carriers.go)

	peers atomic.Pointer[[]netip.AddrPort] // the cluster's other nodes (peer.go)
}

// New binds UDP and TCP on cfg.Listen and returns a Trunk ready to Run.
func New(cfg Config) (*Trunk, error) {
	if cfg.Media == nil {
		return nil, errors.New("trunk: Config.Media is required")
	}
	if cfg.Listen == "" {
		cfg.Listen = ":5060"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.MaxConns = cmp.Or(cfg.MaxConns, 4096)
	cfg.MaxConnsPerSource = cmp.Or(cfg.MaxConnsPerSource, 64)
	cfg.TCPIdle = cmp.Or(cfg.TCPIdle, defaultTCPIdle)
	cfg.ReadTimeout = cmp.Or(cfg.ReadTimeout, defaultReadTimeout)
	cfg.InviteRate = cmp.Or(cfg.InviteRate, defaultInviteRate)
	cfg.UserAgent = cmp.Or(cfg.UserAgent, defaultUserAgent)
	if cfg.NoUserAgent {
		cfg.UserAgent = ""
	}
	t := &Trunk{cfg: cfg, log: log, active: map[string]*Call{}, closed: make(chan struct{}), idle: make(chan struct{}, 1), carriers: map[string]*carrier{},
		inflight: map[inviteKey]*inviteEntry{}, merges: map[mergeKey]mergeEntry{}}
	t.budget = netguard.NewBudget(cfg.MaxConns, cfg.MaxConnsPerSource)
	t.rate = newSourceRate(cfg.InviteRate)
	t.out = outbound{ua: cfg.UserAgent, log: log}
	if cfg.OutboundURI != "" {
		c, err := CarrierFromURI("default", cfg.OutboundURI)
		if err != nil {
			return nil, err
		}
		c.Username, c.Password = cfg.Username, cfg.Password
		t.carriers[c.ID] = &carrier{cfg: c}
	}
	t.baseCtx, t.baseCancel = context.WithCancel(context.Background())
	if err := t.listen(); err != nil {
		return nil, err
	}
	if err := t.listenTLS(); err != nil {
		t.udp.Close()
		t.tcp.Close()
		return nil, err
	}
	if err := t.setupSIP(); err != nil {
		t.udp.Close()
		t.tcp.Close()
		t.closeTLS()
		return nil, err
	}
	return t, nil
}

// listen binds UDP and TCP on the same port.
func (t *Trunk) listen() error {
	host, port, err := net.SplitHostPort(t.cfg.Listen)
	if err != nil {
		return fmt.Errorf("trunk: listen %q: %w", t.cfg.Listen, err)
	}
	for attempt := 0; ; attempt++ {
		u, err := net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return fmt.Errorf("trunk: listen udp %s: %w", t.cfg.Listen, err)
		}
		uport := strconv.Itoa(u.LocalAddr().(*net.UDPAddr).Port)
		l, err := net.Listen("tcp", net.JoinHostPort(host, uport))
		if err != nil {
			u.Close()
			if port == "0" && attempt < 10 {
				continue // the free UDP port is taken on TCP: pick another
			}
			return fmt.Errorf("trunk: listen tcp %s: %w", t.cfg.Listen, err)
		}
		t.udpG = &udpConn{PacketConn: netguard.ListenPacket(u, "sip udp", t.log), out: t.out}
		t.tcpG = netguard.Listen(l, netguard.Config{Budget: t.budget, Name: "sip tcp", Logger: t.log})
		t.udp, t.tcp = t.udpG, t.tcpG
		ap := u.LocalAddr().(*net.UDPAddr).AddrPort()
		t.addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		return nil
	}
}

func (t *Trunk) setupSIP() error {
	ip := t.cfg.ExternalIP
	if !ip.IsValid() {
		ip = t.addr.Addr()
	}
	if ip.IsUnspecified() {
		if l, err := t.cfg.Media.Open(); err == nil {
			ip = l.LocalAddr().Addr()
			l.Close()
		} else {
			ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
	}
	t.host = ip.String()
	sipLog := t.log.With("component", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent("switchboard"),
		sipgo.WithUserAgentHostname(t.host),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(sipLog),
			sip.WithTransportLayerReadFilter(t.readFilter),
		),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog)),
	)
	if err != nil {
		return fmt.Errorf("trunk: sip user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		ua.Close()
		return fmt.Errorf("trunk: sip server: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog), sipgo.WithClientHostname(t.host), sipgo.WithClientPort(int(t.addr.Port())))
	if err != nil {
		ua.Close()
		return fmt.Errorf("trunk: sip client: %w", err)
	}
	t.ua, t.srv, t.client = ua, srv, client
	contact := func(transport string) sip.ContactHeader {
		u := sip.Uri{Scheme: "sip", Host: t.host, Port: int(t.addr.Port())}
		if transport != "" {
			u.UriParams = sip.NewParams()
			u.UriParams.Add("transport", transport)
		}
		return sip.ContactHeader{Address: u}
	}
	// RewriteContact: in-dialog requests go back to where the INVITE came
	// from (symmetric signalling, works behind NAT and on TCP).
	t.dlgUDP = &sipgo.DialogUA{Client: client, ContactHDR: contact(""), RewriteContact: true}
	t.dlgTCP = &sipgo.DialogUA{Client: client, ContactHDR: contact("tcp"), RewriteContact: true}
	t.setupTLSDialogs(client)

	srv.OnInvite(t.onInvite)
	srv.OnAck(t.onAck)
	srv.OnBye(t.onBye)
	srv.OnCancel(t.onCancel)
	srv.OnOptions(t.onOptions)
	srv.OnInfo(t.onInfo)
	srv.OnUpdate(t.onUpdate) // update.go
	srv.OnPrack(t.onPrack)   // prack.go
	srv.OnNoRoute(t.onNoRoute)
	return nil
}

// Serving returns nil while every SIP listener (UDP, TCP, and TLS when
// configured) is serving, else why not: Run not started or returned, or a
// listener retrying a transient error such as EMFILE. /healthz answers 503
// while it is not nil.
func (t *Trunk) Serving() error {
	if !t.serving.Load() {
		return errors.New("sip not running")
	}
	if err := t.udpG.Err(); err != nil {
		return fmt.Errorf("sip udp: %w", err)
	}
	if err := t.tcpG.Err(); err != nil {
		return fmt.Errorf("sip tcp: %w", err)
	}
	if t.tlsG != nil {
		if err := t.tlsG.Err(); err != nil {
			return fmt.Errorf("sip tls: %w", err)
		}
	}
	return nil
}

// InvitesRefused returns how many initial INVITEs got 503 for -sip-rate.
func (t *Trunk) InvitesRefused() uint64 { return t.rateRefused.Load() }

// StreamConns returns the TCP+TLS connections open now and how many were
// refused for -max-sip-conns.
func (t *Trunk) StreamConns() (open int, refused uint64) {
	return t.budget.Open(), t.budget.Refused()
}

// Addr returns the bound SIP address (UDP and TCP).
func (t *Trunk) Addr() netip.AddrPort { return t.addr }

// Run serves SIP until ctx ends or Close is called, then ends every call
// (BYE), closes the listeners and returns once every call goroutine is
// done. Use Drain first for a graceful stop.
func (t *Trunk) Run(ctx context.Context) error {
	started := false
	t.runOnce.Do(func() { started = true })
	if !started {
		return errors.New("trunk: Run called twice")
	}
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Go(func() { errc <- t.srv.ServeUDP(t.udp) })
	wg.Go(func() { errc <- t.srv.ServeTCP(&streamListener{Listener: t.tcp, t: t, transport: "TCP"}) })
	t.serveTLS(&wg, errc)
	t.log.Info("sip listening", "addr", t.addr.String(), "transports", "udp,tcp")
	t.running.Store(true)
	t.serving.Store(true)
	for _, c := range t.carrierList() {
		if c.cfg.Register {
			t.startRegistration(c)
		}
	}
	var err error
	select {
	case <-ctx.Done():
	case <-t.closed:
	case err = <-errc:
		err = fmt.Errorf("trunk: serve: %w", err)
	}
	t.serving.Store(false)
	t.shutdown()
	t.stopRegistrations()
	t.udp.Close()
	t.tcp.Close()
	t.closeTLS()
	wg.Wait()
	t.ua.Close()
	return err
}

// shutdown ends every call with BYE and waits for call goroutines.
func (t *Trunk) shutdown() {
	t.mu.Lock()
	t.ended = true
	t.mu.Unlock()
	t.HangupAll()
	t.calls.Wait()
	t.baseCancel()
}

// Close stops the trunk: Run returns after ending every call. Close is
// idempotent; it does not wait for Run (cancel Run's ctx or wait for it).
func (t *Trunk) Close() error {
	t.closeOnce.Do(func() { close(t.closed) })
	return nil
}

// Drain makes the trunk refuse new INVITEs with 503 while calls in progress
// go on. Idle is signalled once no call is left.
func (t *Trunk) Drain() {
	t.draining.Store(true)
	t.log.Info("sip draining", "active_calls", t.ActiveCalls())
	if t.ActiveCalls() == 0 {
		t.signalIdle()
	}
}

// Idle returns a channel that receives when a call ends and none is left
// (and once at Drain if there are no calls).
func (t *Trunk) Idle() <-chan struct{} { return t.idle }

func (t *Trunk) signalIdle() {
	select {
	case t.idle <- struct{}{}:
	default:
	}
}

// HangupAll ends every call: BYE for answered ones, 480 for the others.
// It returns once each has been sent its BYE or final response.
func (t *Trunk) HangupAll() {
	t.mu.Lock()
	calls := make([]*Call, 0, len(t.active))
	for _, c := range t.active {
		calls = append(calls, c)
	}
	t.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Go(func() { infoIf(c.log, c.Hangup("shutdown"), "hangup failed", "reason", "shutdown") })
	}
	wg.Wait()
}

// ActiveCalls returns the number of calls in progress (offered or answered).
func (t *Trunk) ActiveCalls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.active)
}

// addCall registers c; false if the trunk is shutting down.
func (t *Trunk) addCall(c *Call) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended {
		return false
	}
	t.active[c.dialogID] = c
	return true
}

// rekey files c under a new dialog ID (an outbound call once answered).
func (t *Trunk) rekey(c *Call, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.active[c.dialogID] != c {
		return // ended
	}
	delete(t.active, c.dialogID)
	c.dialogID = id
	t.active[id] = c
}

func (t *Trunk) removeCall(c *Call) {
	t.mu.Lock()
	delete(t.active, c.dialogID)
	n := len(t.active)
	t.mu.Unlock()
	if n == 0 {
		t.signalIdle()
	}
}

func (t *Trunk) lookup(req *sip.Request) *Call {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.active[id]; c != nil {
		return c
	}
	return nil
}

// dialogUA returns the dialog user agent for the transport req came on.
func (t *Trunk) dialogUA(req *sip.Request) *sipgo.DialogUA {
	if req.Transport() == "TCP" {
		return t.dlgTCP
	}
	if req.Transport() == "TLS" && t.dlgTLS != nil {
		return t.dlgTLS
	}
	return t.dlgUDP
}

// dialogUAFor returns the dialog user agent of a transport ("udp",
// "tcp", "tls"; TLS falls back to UDP without a TLS listener).
func (t *Trunk) dialogUAFor(transport string) *sipgo.DialogUA {
	switch transport {
	case "tcp":
		return t.dlgTCP
	case "tls":
		if t.dlgTLS != nil {
			return t.dlgTLS
		}
	}
	return t.dlgUDP
}

// contactFor returns a copy of our Contact for a transport.
func (t *Trunk) contactFor(transport string) sip.ContactHeader {
	return *t.dialogUAFor(transport).ContactHDR.Clone()
}
