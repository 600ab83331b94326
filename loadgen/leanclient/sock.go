package leanclient

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"switchboard/media/udploop"
)

// sock is a client's UDP socket: its own (read by a goroutine) or one
// on a shared udploop.Loop (Config.Loop, read on the loop's clock).
type sock interface {
	WriteTo(b []byte, to netip.AddrPort) error
	Close() error
}

// ownSock is a socket of the client's own, read by readLoop.
type ownSock struct{ *net.UDPConn }

func (s ownSock) WriteTo(b []byte, to netip.AddrPort) error {
	_, err := s.WriteToUDPAddrPort(b, to)
	return err
}

// listen binds the client's socket on cfg.IP and starts reading it: on
// cfg.Loop's clock, or on a goroutine of the client's own.
func (c *Client) listen() error {
	bind := netip.AddrPortFrom(c.cfg.IP, 0)
	if l := c.cfg.Loop; l != nil {
		conn, err := l.Listen(bind, 0, 0)
		if err != nil {
			return fmt.Errorf("leanclient: listen: %w", err)
		}
		c.conn, c.local = conn, conn.LocalAddr()
		c.onDatagram = c.datagram
		if err := conn.Watch(func() bool { return c.readBatch(conn) }); err != nil {
			_ = conn.Close()
			return fmt.Errorf("leanclient: %w", err)
		}
		return nil
	}
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(bind))
	if err != nil {
		return fmt.Errorf("leanclient: listen: %w", err)
	}
	c.conn, c.local = ownSock{conn}, conn.LocalAddr().(*net.UDPAddr).AddrPort()
	c.wg.Go(func() { c.readLoop(conn) })
	return nil
}

// readBatch reads what is queued on the loop's socket (loop goroutine);
// every datagram of the batch gets the time the batch was read.
func (c *Client) readBatch(conn *udploop.Conn) bool {
	c.batchAt = time.Now()
	n, _ := conn.ReadBatch(c.onDatagram)
	return n > 0
}

// datagram is readBatch's callback (c.onDatagram, bound once).
func (c *Client) datagram(b []byte, from netip.AddrPort) {
	if len(b) > 0 {
		c.receive(b, from, c.batchAt)
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
