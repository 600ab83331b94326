package trunktest

import (
	"net/netip"

	"github.com/emiago/sipgo/sip"
)

// MapAddress makes the phone send in-dialog requests (ACK, BYE, re-INVITE)
// for a gateway Contact on public to private instead: the phone stands
// inside a 1:1 NAT's mapping, as a carrier would reach the gateway's public
// address. Tests of -public-ip use it so that nothing is sent to the public
// address itself.
func (p *Phone) MapAddress(public, private netip.Addr) {
	p.natMu.Lock()
	defer p.natMu.Unlock()
	if p.natMap == nil {
		p.natMap = map[netip.Addr]netip.Addr{}
	}
	p.natMap[public] = private
}

// mapContact rewrites res's Contact host through MapAddress and returns the
// Contact as received.
func (p *Phone) mapContact(res *sip.Response) string {
	c := res.Contact()
	if c == nil {
		return ""
	}
	orig := c.Address.String()
	p.natMu.Lock()
	defer p.natMu.Unlock()
	if ip, err := netip.ParseAddr(c.Address.Host); err == nil {
		if to, ok := p.natMap[ip]; ok {
			c.Address.Host = to.String()
		}
	}
	return orig
}

// Contact returns the Contact of the gateway's 2xx as it was received.
func (d *Dialog) Contact() string { return d.contact }
