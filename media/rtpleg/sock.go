package rtpleg

import (
	"net"
	"net/netip"

	"switchboard/media/udploop"
)

// rtpConn is a leg's RTP socket: a udploop.Conn (read on the loop's clock)
// when the pool has a Loop, else a net.UDPConn read by a goroutine.
type rtpConn struct {
	uc *udploop.Conn
	c  *net.UDPConn
}

// listen binds the RTP socket of port.
func (p *Pool) listen(port int) (rtpConn, error) {
	addr := netip.AddrPortFrom(p.ip, uint16(port))
	if p.cfg.Loop != nil {
		uc, err := p.cfg.Loop.Listen(addr, 0, 0)
		return rtpConn{uc: uc}, err
	}
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr))
	return rtpConn{c: c}, err
}

// listenBeside binds the RTCP socket of port (RTP + 1) beside c: on c's
// shard of the loop, or a net.UDPConn.
func (p *Pool) listenBeside(c rtpConn, port int) (rtpConn, error) {
	addr := netip.AddrPortFrom(p.ip, uint16(port))
	if c.uc != nil {
		uc, err := c.uc.ListenBeside(addr, 0, 0)
		return rtpConn{uc: uc}, err
	}
	uc, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr))
	return rtpConn{c: uc}, err
}

// writeTo sends b to dst at once. It does not allocate.
func (c rtpConn) writeTo(b []byte, dst netip.AddrPort) error {
	if c.uc != nil {
		return c.uc.WriteTo(b, dst)
	}
	_, err := c.c.WriteToUDPAddrPort(b, dst)
	return err
}

func (c rtpConn) close() error {
	if c.uc != nil {
		return c.uc.Close()
	}
	return c.c.Close()
}
