package trunkclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Config sets up a Client. The zero value listens on UDP 127.0.0.1:0.
type Config struct {
	// Listen is the local SIP address; zero means 127.0.0.1:0 (UDP).
	Listen netip.AddrPort
	// Logger receives sipgo's warnings; nil means slog.Default().
	Logger *slog.Logger
}

// StatusError is a final non-2xx answer to an INVITE.
type StatusError struct {
	Code   int
	Reason string
}

func (e *StatusError) Error() string { return fmt.Sprintf("sip %d %s", e.Code, e.Reason) }

// Client is a SIP UA on one UDP socket that can hold many calls at once.
type Client struct {
	ua      *sipgo.UserAgent
	client  *sipgo.Client
	dialogs *sipgo.DialogClientCache
	addr    netip.AddrPort
	conn    net.PacketConn
	wg      sync.WaitGroup
	once    sync.Once
}

// New starts a client.
func New(cfg Config) (*Client, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	listen := cfg.Listen
	if !listen.IsValid() {
		listen = netip.MustParseAddrPort("127.0.0.1:0")
	}
	host := listen.Addr().String()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("sbload"), sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		return nil, fmt.Errorf("trunkclient: ua: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("trunkclient: server: %w", err)
	}
	conn, err := net.ListenPacket("udp", listen.String())
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("trunkclient: listen: %w", err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	c := &Client{ua: ua, conn: conn, addr: netip.AddrPortFrom(listen.Addr(), uint16(port))}
	c.wg.Go(func() { _ = srv.ServeUDP(conn) }) // ends with Close's closed socket: nothing to report
	c.client, err = sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientPort(port), sipgo.WithClientLogger(log))
	if err != nil {
		_ = c.Close() // the client error is the one returned
		return nil, fmt.Errorf("trunkclient: client: %w", err)
	}
	contact := sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "sbload", Host: host, Port: port}}
	c.dialogs = sipgo.NewDialogClientCache(c.client, contact)
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := c.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil)) // best effort: the peer retransmits
		}
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, 486, "Busy Here", nil)) // best effort: the peer retransmits
	})
	return c, nil
}

// Addr returns the client's SIP address.
func (c *Client) Addr() netip.AddrPort { return c.addr }

// Close stops the client and waits for its goroutines. It is idempotent.
func (c *Client) Close() error {
	c.once.Do(func() {
		c.ua.Close()
		_ = c.conn.Close() // only ServeUDP reads it, and it is stopping
	})
	c.wg.Wait()
	return nil
}

// Dialog is an established call.
type Dialog struct {
	dlg *sipgo.DialogClientSession
	// AnsweredAt is when the 2xx arrived (before the ACK went out).
	AnsweredAt time.Time
}

// Call sends an INVITE for number to target, with From user from and sdp
// as body, waits for the final answer and ACKs a 2xx. A non-2xx final
// answer is a *StatusError. Canceling ctx before the answer sends CANCEL.
func (c *Client) Call(ctx context.Context, target netip.AddrPort, number, from string, sdp []byte) (*Dialog, error) {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: number, Host: target.Addr().String(), Port: int(target.Port())})
	req.SetTransport("udp")
	fh := sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: from, Host: c.addr.Addr().String(), Port: int(c.addr.Port())}, Params: sip.NewParams()}
	fh.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&fh)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: number, Host: target.Addr().String()}, Params: sip.NewParams()})
	req.SetBody(sdp)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	dlg, err := c.dialogs.WriteInvite(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("trunkclient: invite: %w", err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		if de, ok := errors.AsType[*sipgo.ErrDialogResponse](err); ok {
			return nil, &StatusError{Code: de.Res.StatusCode, Reason: de.Res.Reason}
		}
		_ = dlg.Close() // the answer error is the one returned
		return nil, fmt.Errorf("trunkclient: wait answer: %w", err)
	}
	d := &Dialog{dlg: dlg, AnsweredAt: time.Now()}
	if err := dlg.Ack(ctx); err != nil {
		return nil, fmt.Errorf("trunkclient: ack: %w", err)
	}
	return d, nil
}

// AnswerSDP returns the SDP of the 2xx.
func (d *Dialog) AnswerSDP() []byte { return d.dlg.InviteResponse.Body() }

// Done is closed when the dialog ends (BYE from either side).
func (d *Dialog) Done() <-chan struct{} { return d.dlg.Context().Done() }

// Bye hangs up and releases the dialog.
func (d *Dialog) Bye(ctx context.Context) error {
	err := d.dlg.Bye(ctx)
	_ = d.dlg.Close() // releases the dialog's cache entry; the BYE's error is the one returned
	return err
}

// Close releases the dialog without signalling (after the far end's BYE).
func (d *Dialog) Close() error { return d.dlg.Close() }
