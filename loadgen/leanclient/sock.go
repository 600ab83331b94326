package leanclient

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// sock is a client's UDP socket: its own (read by a goroutine) or an
// address on a shared udpmux.Mux (Config.Mux, read on its loop's clock).
type sock interface {
	// WriteTo sends at once (ICE, DTLS).
	WriteTo(b []byte, to netip.AddrPort) error
	// Queue sends media: on a Mux with the rest of its loop's tick, on a
	// socket of the client's own at once.
	Queue(b []byte, to netip.AddrPort) error
	Close() error
}

// ownSock is a socket of the client's own, read by readLoop.
type ownSock struct{ *net.UDPConn }

func (s ownSock) WriteTo(b []byte, to netip.AddrPort) error {
	_, err := s.WriteToUDPAddrPort(b, to)
	return err
}

func (s ownSock) Queue(b []byte, to netip.AddrPort) error { return s.WriteTo(b, to) }

// listen takes the client's address and starts reading it: an address
// of cfg.Mux (cfg.IP does not apply), or a socket of its own on cfg.IP
// read by a goroutine of its own.
func (c *Client) listen() error {
	if m := c.cfg.Mux; m != nil {
		e, err := m.Open(c.datagram)
		if err != nil {
			return fmt.Errorf("leanclient: %w", err)
		}
		c.conn, c.local = e, e.LocalAddr()
		return nil
	}
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.cfg.IP, 0)))
	if err != nil {
		return fmt.Errorf("leanclient: listen: %w", err)
	}
	c.conn, c.local = ownSock{conn}, conn.LocalAddr().(*net.UDPAddr).AddrPort()
	c.wg.Go(func() { c.readLoop(conn) })
	return nil
}

// datagram is the Mux's callback (its loop's goroutine).
func (c *Client) datagram(b []byte, from netip.AddrPort, at time.Time) {
	if len(b) > 0 {
		c.receive(b, from, at)
	}
}

// readLoop reads the client's own socket until it closes.
func (c *Client) readLoop(conn *net.UDPConn) {
	var buf [1500]byte
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf[:])
		if err != nil {
			return
		}
		if n > 0 {
			c.receive(buf[:n], from, time.Now())
		}
	}
}
