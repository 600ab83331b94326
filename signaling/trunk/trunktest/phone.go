// Package trunktest provides a SIP phone for tests of the trunk: a sipgo
// user agent on 127.0.0.1 (UDP or TCP) that places calls with an SDP body
// the test supplies (typically from an rtplegtest.Phone), answers BYEs,
// and sends in-dialog requests. Its API carries no sipgo types.
//
// Concurrency: methods are safe for concurrent use. NewPhone registers a
// t.Cleanup that closes the phone and waits for its goroutines.
package trunktest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Phone is a SIP user agent for tests.
type Phone struct {
	t         testing.TB
	transport string // "udp", "tcp" or "tls"
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	client    *sipgo.Client
	dialogs   *sipgo.DialogClientCache
	addr      netip.AddrPort
	wg        sync.WaitGroup
	cancel    context.CancelFunc
	closeOnce sync.Once
	natMu     sync.Mutex                // guards natMap
	natMap    map[netip.Addr]netip.Addr // MapAddress (nat.go)
	// CallerName, if set before a call, is the From display name of the
	// INVITEs this phone sends.
	CallerName string
}

// StatusError is a final non-2xx answer.
type StatusError struct {
	Code   int
	Reason string
}

func (e *StatusError) Error() string { return fmt.Sprintf("sip %d %s", e.Code, e.Reason) }

// NewPhone starts a phone on 127.0.0.1 with transport "udp" or "tcp"
// (for "tls" see NewTLSPhone).
func NewPhone(t testing.TB, transport string) *Phone {
	t.Helper()
	return newPhone(t, transport, nil, nil)
}

// newPhone builds a phone; setup (may be nil) adds or replaces handlers
// before it serves.
func newPhone(t testing.TB, transport string, tlsConf *tls.Config, setup func(*sipgo.Server, *Phone)) *Phone {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := []sipgo.UserAgentOption{sipgo.WithUserAgent("trunktest"), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log))}
	if tlsConf != nil {
		opts = append(opts, sipgo.WithUserAgenTLSConfig(tlsConf))
	}
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		t.Fatalf("trunktest: ua: %v", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatalf("trunktest: server: %v", err)
	}
	p := &Phone{t: t, transport: transport, ua: ua, srv: srv}
	var port int
	var serve func() // started once every handler is in place
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	switch transport {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("trunktest: listen: %v", err)
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		serve = func() { _ = srv.ServeUDP(c) }
		p.wg.Go(func() { <-ctx.Done(); c.Close() })
	case "tcp":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("trunktest: listen: %v", err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		serve = func() { _ = srv.ServeTCP(l) }
		p.wg.Go(func() { <-ctx.Done(); l.Close() })
	case "tls":
		port = listenTLS(t, p, ctx)
	default:
		t.Fatalf("trunktest: transport %q: want udp or tcp", transport)
	}
	p.addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))
	p.client, err = sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port), sipgo.WithClientLogger(log))
	if err != nil {
		t.Fatalf("trunktest: client: %v", err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: port}}
	if transport != "udp" {
		contact.Address.UriParams = sip.NewParams()
		contact.Address.UriParams.Add("transport", transport)
	}
	p.dialogs = sipgo.NewDialogClientCache(p.client, contact)
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := p.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil))
		}
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil))
	})
	if setup != nil {
		setup(srv, p)
	}
	if serve != nil {
		p.wg.Go(serve)
	}
	t.Cleanup(p.Close)
	return p
}

// Addr returns the phone's SIP address.
func (p *Phone) Addr() netip.AddrPort { return p.addr }

// Close stops the phone and waits for its goroutines. It is idempotent.
func (p *Phone) Close() {
	p.closeOnce.Do(func() {
		p.cancel()
		p.ua.Close()
		p.wg.Wait()
	})
}

func (p *Phone) uri(target netip.AddrPort, user string) sip.Uri {
	u := sip.Uri{Scheme: "sip", User: user, Host: target.Addr().String(), Port: int(target.Port())}
	if p.transport != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", p.transport)
	}
	return u
}

// Invite is an INVITE in progress.
type Invite struct {
	p      *Phone
	dlg    *sipgo.DialogClientSession
	provCh chan int // provisional codes, buffered
}

// StartInvite sends an INVITE for number to target with sdp as body
// ("" From user "caller"). Wait for the answer with Wait.
func (p *Phone) StartInvite(ctx context.Context, target netip.AddrPort, number string, sdp []byte, hdrs ...[2]string) (*Invite, error) {
	return p.startInvite(ctx, target, number, number, sdp, hdrs...)
}

// startInvite sends an INVITE with Request-URI user ruriUser and To user
// number.
func (p *Phone) startInvite(ctx context.Context, target netip.AddrPort, ruriUser, number string, sdp []byte, hdrs ...[2]string) (*Invite, error) {
	req := sip.NewRequest(sip.INVITE, p.uri(target, ruriUser))
	req.SetTransport(p.transport)
	from := sip.FromHeader{DisplayName: p.CallerName, Address: sip.Uri{Scheme: "sip", User: "caller", Host: "127.0.0.1", Port: int(p.addr.Port())}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	to := sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: target.Addr().String()}, Params: sip.NewParams()}
	req.AppendHeader(&to)
	if sdp != nil {
		req.SetBody(sdp)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	for _, h := range hdrs {
		req.AppendHeader(sip.NewHeader(h[0], h[1]))
	}
	dlg, err := p.dialogs.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	return &Invite{p: p, dlg: dlg, provCh: make(chan int, 8)}, nil
}

// Wait waits for the final answer. On 2xx it sends the ACK and returns the
// established Dialog; otherwise a *StatusError. Canceling ctx sends CANCEL.
func (iv *Invite) Wait(ctx context.Context) (*Dialog, error) {
	err := iv.dlg.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.IsProvisional() {
			select {
			case iv.provCh <- res.StatusCode:
			default:
			}
		}
		return nil
	}})
	if err != nil {
		if de, ok := errors.AsType[*sipgo.ErrDialogResponse](err); ok {
			return nil, &StatusError{Code: de.Res.StatusCode, Reason: de.Res.Reason}
		}
		return nil, err
	}
	contact := iv.p.mapContact(iv.dlg.InviteResponse) // nat.go
	if err := iv.dlg.Ack(ctx); err != nil {
		return nil, fmt.Errorf("ack: %w", err)
	}
	return &Dialog{p: iv.p, dlg: iv.dlg, contact: contact}, nil
}

// WaitLateOffer is Wait for an INVITE sent without SDP: the 2xx carries the
// gateway's offer, and answer(offer) gives the SDP the ACK carries.
func (iv *Invite) WaitLateOffer(ctx context.Context, answer func(offer []byte) []byte) (*Dialog, error) {
	if err := iv.dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		if de, ok := errors.AsType[*sipgo.ErrDialogResponse](err); ok {
			return nil, &StatusError{Code: de.Res.StatusCode, Reason: de.Res.Reason}
		}
		return nil, err
	}
	req, res := iv.dlg.InviteRequest, iv.dlg.InviteResponse
	target := req.Recipient
	if c := res.Contact(); c != nil {
		target = c.Address
	}
	ack := sip.NewRequest(sip.ACK, *target.Clone())
	for _, h := range []sip.Header{req.From(), res.To(), req.CallID(), req.CSeq()} {
		if h != nil {
			ack.AppendHeader(sip.HeaderClone(h))
		}
	}
	ack.CSeq().MethodName = sip.ACK
	mf := sip.MaxForwardsHeader(70)
	ack.AppendHeader(&mf)
	if h := req.Contact(); h != nil {
		ack.AppendHeader(sip.HeaderClone(h))
	}
	if body := answer(res.Body()); body != nil {
		ack.SetBody(body)
		ack.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	ack.SetTransport(req.Transport())
	if err := iv.dlg.WriteAck(ctx, ack); err != nil {
		return nil, fmt.Errorf("ack: %w", err)
	}
	return &Dialog{p: iv.p, dlg: iv.dlg}, nil
}

// Provisional returns a channel of the provisional codes received (100, 180, 183).
func (iv *Invite) Provisional() <-chan int { return iv.provCh }

// Call is StartInvite then Wait.
func (p *Phone) Call(ctx context.Context, target netip.AddrPort, number string, sdp []byte, hdrs ...[2]string) (*Dialog, error) {
	iv, err := p.StartInvite(ctx, target, number, sdp, hdrs...)
	if err != nil {
		return nil, err
	}
	return iv.Wait(ctx)
}

// Dialog is an established call.
type Dialog struct {
	p       *Phone
	dlg     *sipgo.DialogClientSession
	contact string // the 2xx's Contact as received, before MapAddress
}

// AnswerSDP returns the SDP of the 200 OK.
func (d *Dialog) AnswerSDP() []byte { return d.dlg.InviteResponse.Body() }

// Done is closed when the dialog ends (BYE from either side).
func (d *Dialog) Done() <-chan struct{} { return d.dlg.Context().Done() }

// Bye hangs up.
func (d *Dialog) Bye(ctx context.Context) error { return d.dlg.Bye(ctx) }

// ReInvite sends an in-dialog INVITE with sdp, ACKs a 2xx, and returns the
// final code and body.
func (d *Dialog) ReInvite(ctx context.Context, sdp []byte) (int, []byte, error) {
	req := sip.NewRequest(sip.INVITE, d.dlg.InviteResponse.Contact().Address)
	if sdp != nil {
		req.SetBody(sdp)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res, err := d.dlg.Do(ctx, req)
	if err != nil {
		return 0, nil, err
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, req.Recipient)
		ack.AppendHeader(sip.HeaderClone(req.CSeq()))
		ack.CSeq().MethodName = sip.ACK
		if err := d.dlg.WriteRequest(ack); err != nil {
			return res.StatusCode, res.Body(), fmt.Errorf("ack: %w", err)
		}
	}
	return res.StatusCode, res.Body(), nil
}

// Info sends an in-dialog INFO and returns the final code.
func (d *Dialog) Info(ctx context.Context, contentType string, body []byte) (int, error) {
	req := sip.NewRequest(sip.INFO, d.dlg.InviteResponse.Contact().Address)
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", contentType))
	res, err := d.dlg.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// Response is a final answer to an out-of-dialog request.
type Response struct {
	Code    int
	Reason  string
	Headers map[string]string // lower-case name -> first value
}

// Request sends an out-of-dialog request (e.g. OPTIONS, or an unknown
// method) for user at target and returns the final response.
func (p *Phone) Request(ctx context.Context, target netip.AddrPort, method, user string) (*Response, error) {
	req := sip.NewRequest(sip.RequestMethod(method), p.uri(target, user))
	req.SetTransport(p.transport)
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	r := &Response{Code: res.StatusCode, Reason: res.Reason, Headers: map[string]string{}}
	for _, h := range res.Headers() {
		n := toLower(h.Name())
		if _, ok := r.Headers[n]; !ok {
			r.Headers[n] = h.Value()
		}
	}
	return r, nil
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

var _ = strconv.Itoa
