package lean

import (
	"net"
	"net/netip"

	"switchboard/media/browserleg"
)

// listenUDP binds the shared socket as a net.UDPConn (IPv6 only for an
// IPv6 address) with the engine's buffer sizes, best effort: Linux caps
// them at net.core.[rw]mem_max without an error.
func listenUDP(bind netip.AddrPort) (*net.UDPConn, error) {
	network := "udp4"
	if bind.Addr().Is6() {
		network = "udp6"
	}
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(bind))
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(browserleg.SocketBuffer)
	_ = c.SetWriteBuffer(browserleg.SocketBuffer)
	return c, nil
}
