package trunktest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// UASConfig scripts how a UAS answers every INVITE.
type UASConfig struct {
	Transport   string        // "udp" (default) or "tcp"
	Provisional []int         // sent in order after 100 Trying, e.g. 180, 183
	EarlyMedia  bool          // a 183 carries the SDP answer
	AnswerDelay time.Duration // wait between the provisionals and the final response
	Final       int           // final response: 0 means 200; -1 never answers (waits for CANCEL)
	// Answer makes the SDP answer from the offer (for 200 and early 183).
	Answer func(offer []byte) ([]byte, error)
	// Realm, Username, Password: when Password is set, an INVITE without
	// valid digest credentials (RFC 2617, MD5, qop=auth) gets 401.
	Realm, Username, Password string
	// DropACKs ignores that many ACKs of the 200, so it is retransmitted.
	DropACKs int
	// Reliable sends the 180 reliably (RFC 3262: Require: 100rel, RSeq 1)
	// and waits up to 5 s for its PRACK before answering.
	Reliable bool
	// SessionExpires, when set, goes into the 200 as Session-Expires (with
	// Require: timer), e.g. "90;refresher=uac" (RFC 4028).
	SessionExpires string
	// ProxyAuth challenges with 407 and Proxy-Authenticate (RFC 3261
	// §22.3) instead of 401, as many carriers do for INVITE.
	ProxyAuth bool
	// FinalFor overrides Final for the numbers (Request-URI users) it
	// names, e.g. {"5550503": 503}.
	FinalFor map[string]int
}

// InviteSeen is one INVITE as the UAS received it.
type InviteSeen struct {
	Number     string // Request-URI user
	From       string // From user
	Authorized bool   // it carried valid digest credentials
}

// UAS is a scripted SIP callee on 127.0.0.1 for tests of outbound calls.
type UAS struct {
	cfg     UASConfig
	ua      *sipgo.UserAgent
	dialogs *sipgo.DialogServerCache
	addr    netip.AddrPort
	calls   chan *UASCall
	pracks  chan string // RAck values of PRACKs received (buffer 4)
	nonce   string
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	once    sync.Once

	mu       sync.Mutex
	counts   map[string]int
	dropped  int
	canceled int
	updates  []time.Time // when each UPDATE arrived
	invites  []InviteSeen
}

// Invites returns every INVITE received, in order.
func (u *UAS) Invites() []InviteSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]InviteSeen(nil), u.invites...)
}

// Updates returns when each UPDATE arrived.
func (u *UAS) Updates() []time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]time.Time(nil), u.updates...)
}

// UASCall is an INVITE the UAS answered with 200.
type UASCall struct {
	Number string // Request-URI user
	From   string // From user
	dlg    *sipgo.DialogServerSession
}

// Bye hangs up the call from the UAS side.
func (c *UASCall) Bye(ctx context.Context) error { return c.dlg.Bye(ctx) }

// Done is closed when the call ends (BYE either way).
func (c *UASCall) Done() <-chan struct{} { return c.dlg.Context().Done() }

func newUASState(cfg UASConfig) *UAS {
	return &UAS{cfg: cfg, calls: make(chan *UASCall, 16), pracks: make(chan string, 4), counts: map[string]int{}, nonce: sip.GenerateTagN(24)}
}

// NewUAS starts a UAS; t.Cleanup closes it.
func NewUAS(t testing.TB, cfg UASConfig) *UAS {
	t.Helper()
	if cfg.Transport == "" {
		cfg.Transport = "udp"
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("trunktest-uas"), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatalf("trunktest: uas ua: %v", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatalf("trunktest: uas server: %v", err)
	}
	u := newUASState(cfg)
	u.ua = ua
	ctx, cancel := context.WithCancel(context.Background())
	u.cancel = cancel
	var port int
	var serve func()
	switch cfg.Transport {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("trunktest: uas listen: %v", err)
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		serve = func() {
			u.wg.Go(func() { _ = srv.ServeUDP(c) })
			u.wg.Go(func() { <-ctx.Done(); c.Close() })
		}
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("trunktest: uas listen: %v", err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		serve = func() {
			u.wg.Go(func() { _ = srv.ServeTCP(l) })
			u.wg.Go(func() { <-ctx.Done(); l.Close() })
		}
	default:
		t.Fatalf("trunktest: uas transport %q", cfg.Transport)
	}
	u.addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port), sipgo.WithClientLogger(log))
	if err != nil {
		t.Fatalf("trunktest: uas client: %v", err)
	}
	u.install(srv, client, "uas", nil)
	serve()
	t.Cleanup(u.Close)
	return u
}

// install puts the UAS's handlers (INVITE, ACK, BYE, UPDATE, PRACK) on
// srv; its dialogs send through client with a Contact of user at u.addr.
// otherBye (may be nil) is tried for a BYE that matches no UAS dialog
// (a registrar's own outgoing calls).
func (u *UAS) install(srv *sipgo.Server, client *sipgo.Client, user string, otherBye func(*sip.Request, sip.ServerTransaction) error) {
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: int(u.addr.Port())}}
	if u.cfg.Transport == "tcp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	u.dialogs = sipgo.NewDialogServerCache(client, contact)
	srv.OnInvite(u.onInvite)
	srv.OnUpdate(func(req *sip.Request, tx sip.ServerTransaction) {
		u.count("UPDATE")
		u.mu.Lock()
		u.updates = append(u.updates, time.Now())
		u.mu.Unlock()
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if h := req.GetHeader("Session-Expires"); h != nil {
			res.AppendHeader(sip.NewHeader("Session-Expires", h.Value()))
		}
		_ = tx.Respond(res)
	})
	srv.OnPrack(func(req *sip.Request, tx sip.ServerTransaction) {
		u.count("PRACK")
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		select {
		case u.pracks <- req.GetHeader("RAck").Value():
		default:
		}
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		u.mu.Lock()
		u.counts["ACK"]++
		drop := u.dropped < u.cfg.DropACKs
		if drop {
			u.dropped++
		}
		u.mu.Unlock()
		if !drop {
			_ = u.dialogs.ReadAck(req, tx)
		}
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		u.count("BYE")
		if err := u.dialogs.ReadBye(req, tx); err != nil && (otherBye == nil || otherBye(req, tx) != nil) {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
}

// URI returns the UAS as an outbound trunk URI, e.g.
// "sip:127.0.0.1:5070;transport=udp".
func (u *UAS) URI() string {
	return fmt.Sprintf("sip:%s;transport=%s", u.addr, u.cfg.Transport)
}

// Addr returns the UAS's SIP address.
func (u *UAS) Addr() netip.AddrPort { return u.addr }

// Calls delivers each call answered with 200 (after its ACK).
func (u *UAS) Calls() <-chan *UASCall { return u.calls }

// Count returns how many requests of method (INVITE, ACK, BYE) arrived.
func (u *UAS) Count(method string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.counts[method]
}

// Canceled returns how many INVITEs were ended by a CANCEL.
func (u *UAS) Canceled() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.canceled
}

// Close stops the UAS and waits for its goroutines. It is idempotent.
func (u *UAS) Close() {
	u.once.Do(func() {
		if u.ua == nil {
			return // a registrar's callee: the registrar owns the user agent
		}
		u.cancel()
		u.ua.Close()
		u.wg.Wait()
	})
}

func (u *UAS) count(method string) {
	u.mu.Lock()
	u.counts[method]++
	u.mu.Unlock()
}

func (u *UAS) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	seen := InviteSeen{Number: req.Recipient.User, Authorized: u.cfg.Password != "" && u.authorized(req)}
	if f := req.From(); f != nil {
		seen.From = f.Address.User
	}
	u.mu.Lock()
	u.counts["INVITE"]++
	u.invites = append(u.invites, seen)
	u.mu.Unlock()
	if u.cfg.Password != "" && !seen.Authorized {
		code, reason, hdr := 401, "Unauthorized", "WWW-Authenticate"
		if u.cfg.ProxyAuth {
			code, reason, hdr = 407, "Proxy Authentication Required", "Proxy-Authenticate"
		}
		res := sip.NewResponseFromRequest(req, code, reason, nil)
		res.AppendHeader(sip.NewHeader(hdr,
			fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, u.cfg.Realm, u.nonce)))
		_ = tx.Respond(res)
		return
	}
	dlg, err := u.dialogs.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 400, "Bad Request", nil))
		return
	}
	defer dlg.Close()
	_ = dlg.Respond(100, "Trying", nil)
	var answer []byte
	if u.cfg.Answer != nil {
		if answer, err = u.cfg.Answer(req.Body()); err != nil {
			_ = dlg.Respond(488, "Not Acceptable Here", nil)
			return
		}
	}
	sdpHdr := sip.NewHeader("Content-Type", "application/sdp")
	for _, code := range u.cfg.Provisional {
		switch {
		case code == 183 && u.cfg.EarlyMedia:
			_ = dlg.Respond(183, "Session Progress", answer, sdpHdr)
		case code == 183:
			_ = dlg.Respond(183, "Session Progress", nil)
		case code == 180 && u.cfg.Reliable:
			_ = dlg.Respond(code, "Ringing", nil, sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", "1"))
			select {
			case <-u.pracks:
			case <-time.After(5 * time.Second):
				_ = dlg.Respond(500, "No PRACK", nil)
				return
			}
		default:
			_ = dlg.Respond(code, "Ringing", nil)
		}
	}
	final := u.cfg.Final
	if f, ok := u.cfg.FinalFor[req.Recipient.User]; ok {
		final = f
	}
	wait := u.cfg.AnswerDelay
	if final < 0 {
		wait = time.Minute
	}
	select {
	case <-time.After(wait):
	case <-dlg.Context().Done():
	}
	if dlg.Context().Err() != nil {
		if errors.Is(context.Cause(dlg.Context()), sip.ErrTransactionCanceled) {
			u.mu.Lock()
			u.canceled++
			u.mu.Unlock()
		}
		return
	}
	switch {
	case final < 0:
		return
	case final != 0 && final != 200:
		_ = dlg.Respond(final, reasonOf(final), nil)
		return
	}
	ok := sip.NewSDPResponseFromRequest(dlg.InviteRequest, answer)
	if u.cfg.SessionExpires != "" {
		ok.AppendHeader(sip.NewHeader("Session-Expires", u.cfg.SessionExpires))
		ok.AppendHeader(sip.NewHeader("Require", "timer"))
	}
	if err := dlg.WriteResponse(ok); err != nil {
		return
	}
	c := &UASCall{Number: req.Recipient.User, dlg: dlg}
	if f := req.From(); f != nil {
		c.From = f.Address.User
	}
	select {
	case u.calls <- c:
	default:
	}
	<-dlg.Context().Done()
}

func reasonOf(code int) string {
	switch code {
	case 503:
		return "Service Unavailable"
	case 486:
		return "Busy Here"
	case 404:
		return "Not Found"
	case 603:
		return "Decline"
	}
	return "Failed"
}

// authorized checks the INVITE's digest credentials (RFC 2617).
func (u *UAS) authorized(req *sip.Request) bool {
	return checkDigest(req, "INVITE", u.cfg.ProxyAuth, u.cfg.Realm, u.cfg.Username, u.cfg.Password, u.nonce)
}
