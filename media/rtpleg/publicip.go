package rtpleg

import "net/netip"

// sdpIP is the address our SDP offers and answers carry: Config.PublicIP
// behind 1:1 NAT, else the bound media IP.
func (l *Leg) sdpIP() netip.Addr {
	if ip := l.pool.cfg.PublicIP; ip.IsValid() {
		return ip.Unmap()
	}
	return l.local.Addr()
}
