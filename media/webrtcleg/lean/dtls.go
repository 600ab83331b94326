package lean

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/logging"
	"github.com/pion/srtp/v3"
	"github.com/pion/transport/v4/deadline"

	"switchboard/media/browserleg"
)

// detachAfter is how long after our side of the handshake the DTLS
// connection is kept when no SRTP arrives from the browser: long enough for
// it to retransmit its last flight if our final one was lost.
const detachAfter = 3 * time.Second

// dtlsInbox is how many DTLS datagrams wait for pion's reader.
const dtlsInbox = 16

var errFingerprint = errors.New("browser certificate does not match the offer's fingerprint")

// quietLogs silences pion/dtls (its errors come back through Handshake).
var quietLogs = func() logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	return f
}()

// startDTLS makes the leg's DTLS server and starts the handshake goroutine.
func (l *Leg) startDTLS() error {
	c := &dtlsConn{l: l, in: make(chan []byte, dtlsInbox), closed: make(chan struct{}), rd: deadline.New()}
	conn, err := dtls.ServerWithOptions(c, &net.UDPAddr{},
		dtls.WithCertificates(l.e.cert),
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		dtls.WithInsecureSkipVerify(true), // self-signed: checked by fingerprint below
		dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !l.fingerprint.matches(raw[0]) {
				return errFingerprint
			}
			return nil
		}),
		dtls.WithClientAuth(dtls.RequireAnyClientCert),
		// The peer has already proven it holds the ICE password: no cookie
		// round trip (HelloVerifyRequest) is needed against spoofing.
		dtls.WithInsecureSkipVerifyHello(true),
		dtls.WithLoggerFactory(quietLogs),
	)
	if err != nil {
		return fmt.Errorf("dtls server: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.e.connect)
	l.dmu.Lock()
	l.dc, l.dconn, l.cancelHS = c, conn, cancel
	l.dmu.Unlock()
	l.wg.Go(func() { l.handshake(ctx, conn) })
	return nil
}

// handshake runs the DTLS handshake, derives the SRTP contexts (RFC 5764
// §4.2) and reports Connected, or Failed.
func (l *Leg) handshake(ctx context.Context, conn *dtls.Conn) {
	err := conn.HandshakeContext(ctx)
	if err == nil {
		err = l.keys(conn)
	}
	if err != nil {
		if !l.closedFlag.Load() {
			l.log.Warn("webrtc leg dtls failed", "err", err)
			l.setState(browserleg.StateFailed)
		}
		return
	}
	l.dmu.Lock()
	l.hsDone = time.Now()
	l.dmu.Unlock()
	l.alive.Store(true)
	l.heardN.Add(1)
	l.setState(browserleg.StateConnected)
}

func (l *Leg) keys(conn *dtls.Conn) error {
	state, ok := conn.ConnectionState()
	if !ok {
		return errors.New("no dtls connection state")
	}
	sel, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return errors.New("no srtp profile negotiated")
	}
	var profile srtp.ProtectionProfile
	switch sel {
	case dtls.SRTP_AEAD_AES_128_GCM:
		profile = srtp.ProtectionProfileAeadAes128Gcm
	case dtls.SRTP_AES128_CM_HMAC_SHA1_80:
		profile = srtp.ProtectionProfileAes128CmHmacSha1_80
	default:
		return fmt.Errorf("unexpected srtp profile %v", sel)
	}
	cfg := srtp.Config{Profile: profile}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, false); err != nil {
		return fmt.Errorf("export srtp keys: %w", err)
	}
	tx, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, profile)
	if err != nil {
		return fmt.Errorf("srtp context: %w", err)
	}
	rx, err := srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, profile,
		srtp.SRTPReplayProtection(64), srtp.SRTCPNoReplayProtection())
	if err != nil {
		return fmt.Errorf("srtp context: %w", err)
	}
	l.rmu.Lock()
	if !l.closedFlag.Load() {
		l.rx = rx
	}
	l.rmu.Unlock()
	l.wmu.Lock()
	if !l.closedFlag.Load() {
		l.tx = tx
	}
	l.wmu.Unlock()
	return nil
}

// alertGrace is how long a DTLS alert after the handshake must be followed
// by silence before the leg counts as closed by the browser.
const alertGrace = time.Second

// receiveDTLS hands a DTLS datagram to the handshake, or, once the DTLS
// connection is detached, treats an alert (close_notify or fatal) followed
// by silence as the browser closing.
func (l *Leg) receiveDTLS(b []byte) {
	l.dmu.Lock()
	c, done := l.dc, !l.hsDone.IsZero()
	l.dmu.Unlock()
	if done && b[0] == 21 { // content type alert (RFC 6347 §4.1)
		// The DTLS state is gone, so the alert cannot be authenticated: a
		// spoofed one must not end a call. It ends the leg only if nothing
		// authentic (SRTP, binding request) follows within alertGrace.
		if l.alertAt.Load() == 0 {
			l.alertN.Store(l.heardN.Load())
			l.alertAt.Store(time.Now().UnixNano())
		}
	}
	if c == nil {
		return
	}
	select {
	case c.in <- bytes.Clone(b):
	default: // pion is not reading: drop, DTLS retransmits
	}
}

// detachDTLS drops the DTLS connection once it is no longer needed (or
// the leg ends): no close_notify goes out when notify is false, pion's
// goroutines end and its state is freed.
func (l *Leg) detachDTLS(notify bool) {
	l.dmu.Lock()
	c, conn, cancel := l.dc, l.dconn, l.cancelHS
	l.dc, l.dconn, l.cancelHS = nil, nil, nil
	l.dmu.Unlock()
	if cancel != nil {
		cancel()
	}
	if c == nil {
		return
	}
	if !notify {
		c.detached.Store(true)
	}
	// The DTLS session's close (a close_notify at most, over a dtlsConn
	// whose Close always returns nil) has nobody left to report to: the
	// leg is done with it either way.
	_ = conn.Close()
	_ = c.Close()
}

// dtlsConn is the net.PacketConn pion/dtls runs over: reads come from the
// leg's inbox, writes go out on the shared socket to the browser.
type dtlsConn struct {
	l         *Leg
	in        chan []byte
	closed    chan struct{}
	closeOnce sync.Once
	rd        *deadline.Deadline
	detached  atomic.Bool // writes are dropped
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// ReadFrom implements net.PacketConn.
func (c *dtlsConn) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.rd.Done():
		return 0, nil, timeoutError{}
	default:
	}
	select {
	case b := <-c.in:
		return copy(p, b), c.remoteAddr(), nil
	case <-c.closed:
		return 0, nil, net.ErrClosed
	case <-c.rd.Done():
		return 0, nil, timeoutError{}
	}
}

func (c *dtlsConn) remoteAddr() net.Addr {
	if r := c.l.remote.Load(); r != nil {
		return net.UDPAddrFromAddrPort(*r)
	}
	return &net.UDPAddr{}
}

// WriteTo implements net.PacketConn: to the browser's latched address.
func (c *dtlsConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	r := c.l.remote.Load()
	if c.detached.Load() || r == nil {
		return len(p), nil
	}
	if err := c.l.e.sock.writeTo(p, *r); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close implements net.PacketConn.
func (c *dtlsConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// LocalAddr implements net.PacketConn.
func (c *dtlsConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.l.e.sock.local) }

// SetDeadline implements net.PacketConn.
func (c *dtlsConn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (c *dtlsConn) SetReadDeadline(t time.Time) error {
	c.rd.Set(t)
	return nil
}

// SetWriteDeadline implements net.PacketConn (writes do not block).
func (c *dtlsConn) SetWriteDeadline(time.Time) error { return nil }

var _ net.PacketConn = (*dtlsConn)(nil)
