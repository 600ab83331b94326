package leanclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/logging"
	"github.com/pion/transport/v4/deadline"
)

// silent: pion/dtls's errors come back from the handshake.
var silent = &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}

// handshake runs the DTLS client handshake with the peer, installs the
// SRTP contexts and drops the DTLS connection without a close_notify.
func (c *Client) handshake(ctx context.Context, p *peer) error {
	dc := &dtlsConn{c: c, to: p.addr, inbox: make(chan []byte, 16), done: make(chan struct{}), rd: deadline.New()}
	c.dmu.Lock()
	c.dc = dc
	c.dmu.Unlock()
	defer func() {
		c.dmu.Lock()
		c.dc = nil
		c.dmu.Unlock()
	}()
	conn, err := dtls.ClientWithOptions(dc, net.UDPAddrFromAddrPort(p.addr),
		dtls.WithCertificates(c.pool.cert),
		dtls.WithSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		dtls.WithInsecureSkipVerify(true), // self-signed: the fingerprint is checked
		dtls.WithVerifyPeerCertificate(func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no peer certificate")
			}
			if sum := sha256.Sum256(raw[0]); !bytes.Equal(sum[:], p.fingerprint) {
				return errors.New("peer certificate does not match the SDP fingerprint")
			}
			return nil
		}),
		dtls.WithFlightInterval(200*time.Millisecond),
		dtls.WithLoggerFactory(silent),
	)
	if err != nil {
		return fmt.Errorf("dtls: %w", err)
	}
	err = conn.HandshakeContext(ctx)
	if err == nil {
		err = c.keys(conn)
	}
	dc.dropWrites.Store(true)
	_ = conn.Close() // nothing to report: the handshake's outcome is err
	dc.Close()
	if err != nil {
		return fmt.Errorf("dtls: %w", err)
	}
	return nil
}

// dtlsConn is the net.PacketConn pion/dtls runs over: reads from the
// client's DTLS datagrams, writes to the peer on the client's socket.
type dtlsConn struct {
	c          *Client
	to         netip.AddrPort
	inbox      chan []byte
	done       chan struct{}
	once       sync.Once
	rd         *deadline.Deadline
	dropWrites atomic.Bool
}

// deliver queues a copy of b for pion (reader goroutine); a full inbox
// drops it (DTLS retransmits).
func (d *dtlsConn) deliver(b []byte) {
	select {
	case d.inbox <- bytes.Clone(b):
	default:
	}
}

func (d *dtlsConn) ReadFrom(p []byte) (int, net.Addr, error) {
	select {
	case b := <-d.inbox:
		return copy(p, b), net.UDPAddrFromAddrPort(d.to), nil
	case <-d.done:
		return 0, nil, net.ErrClosed
	case <-d.rd.Done():
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (d *dtlsConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	if d.dropWrites.Load() {
		return len(p), nil
	}
	if err := d.c.conn.WriteTo(p, d.to); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (d *dtlsConn) Close() error {
	d.once.Do(func() { close(d.done) })
	return nil
}

func (d *dtlsConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(d.c.local) }

func (d *dtlsConn) SetDeadline(t time.Time) error { return d.SetReadDeadline(t) }

func (d *dtlsConn) SetReadDeadline(t time.Time) error {
	d.rd.Set(t)
	return nil
}

func (d *dtlsConn) SetWriteDeadline(time.Time) error { return nil }
