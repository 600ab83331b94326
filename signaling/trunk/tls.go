package trunk

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"switchboard/internal/netguard"
)

// tlsHandshakeTimeout bounds a SIP over TLS client's handshake; a peer that
// opens a connection and stays silent is dropped after it.
const tlsHandshakeTimeout = 10 * time.Second

// listenTLS binds the SIP over TLS listener (RFC 3261 §26.2, RFC 5630) when
// Config.TLSListen is set. The certificate comes from Config.TLS for every
// handshake, so a reloaded certificate applies to new connections while
// those already up (and their calls) are untouched.
func (t *Trunk) listenTLS() error {
	if t.cfg.TLSListen == "" {
		return nil
	}
	if t.cfg.TLS == nil {
		return errors.New("trunk: Config.TLS is required with TLSListen")
	}
	l, err := net.Listen("tcp", t.cfg.TLSListen)
	if err != nil {
		return fmt.Errorf("trunk: listen tls %s: %w", t.cfg.TLSListen, err)
	}
	ap := l.Addr().(*net.TCPAddr).AddrPort()
	t.tlsAP = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	cfg := t.cfg.TLS.Clone()
	cfg.NextProtos = nil // SIP has no ALPN id
	// Retries through EMFILE and shares -max-sip-conns with TCP (netguard);
	// then the handshake; then the stream checks of every transport (stream.go).
	t.tlsG = netguard.Listen(l, netguard.Config{Budget: t.budget, Name: "sip tls", Logger: t.log})
	t.tls = &streamListener{Listener: &handshakeListener{Listener: t.tlsG, cfg: cfg}, t: t, transport: "TLS"}
	return nil
}

// setupTLSDialogs makes the dialog user agent of calls that came over TLS:
// its Contact says transport=tls on the TLS port.
func (t *Trunk) setupTLSDialogs(client *sipgo.Client) {
	if t.tls == nil {
		return
	}
	u := sip.Uri{Scheme: "sip", Host: t.host, Port: int(t.tlsAP.Port()), UriParams: sip.NewParams()}
	u.UriParams.Add("transport", "tls")
	t.dlgTLS = &sipgo.DialogUA{Client: client, ContactHDR: sip.ContactHeader{Address: u}, RewriteContact: true}
}

// serveTLS starts serving the TLS listener on wg, reporting to errc.
func (t *Trunk) serveTLS(wg *sync.WaitGroup, errc chan<- error) {
	if t.tls == nil {
		return
	}
	wg.Go(func() { errc <- t.srv.ServeTLS(t.tls) })
	t.log.Info("sip listening", "addr", t.tlsAP.String(), "transports", "tls")
}

func (t *Trunk) closeTLS() {
	if t.tls != nil {
		t.tls.Close()
	}
}

// TLSAddr returns the bound SIP over TLS address; invalid without TLS.
func (t *Trunk) TLSAddr() netip.AddrPort { return t.tlsAP }

// handshakeListener accepts TCP connections as TLS server connections
// whose handshake must complete within tlsHandshakeTimeout. The handshake
// runs on the connection's first Read, on the transport's per-connection
// goroutine, so a slow client never holds up Accept.
type handshakeListener struct {
	net.Listener
	cfg *tls.Config
}

func (l *handshakeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &handshakeConn{Conn: tls.Server(c, l.cfg)}, nil
}

// handshakeConn is a *tls.Conn whose handshake is bounded in time.
type handshakeConn struct {
	*tls.Conn
	once sync.Once
	err  error
}

func (c *handshakeConn) handshake() error {
	c.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
		defer cancel()
		c.err = c.Conn.HandshakeContext(ctx)
	})
	return c.err
}

func (c *handshakeConn) Read(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *handshakeConn) Write(b []byte) (int, error) {
	if err := c.handshake(); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
