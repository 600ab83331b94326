package trunk

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	"switchboard/media/rtpleg"
)

// Peers are the other nodes of a cluster (PROTOCOL §13): a call waiting on
// one node for an agent logged in on another is carried between the two
// over SIP (DialPeer), outside the carriers.

// maxPeers bounds SetPeers.
const maxPeers = 256

// SetPeers sets the SIP addresses of the cluster's other nodes (at most
// 256 are kept). An INVITE from one of their IP addresses is admitted
// whatever Allow and the carriers say; the handler checks the whole
// source address (Call.Remote) against the node it names. Safe for
// concurrent use.
func (t *Trunk) SetPeers(addrs []netip.AddrPort) {
	ps := make([]netip.AddrPort, 0, min(len(addrs), maxPeers))
	for _, a := range addrs[:min(len(addrs), maxPeers)] {
		ps = append(ps, netip.AddrPortFrom(a.Addr().Unmap(), a.Port()))
	}
	t.peers.Store(&ps)
}

// isPeer reports whether src is the IP address of a peer node.
func (t *Trunk) isPeer(src netip.Addr) bool {
	ps := t.peers.Load()
	return ps != nil && slices.ContainsFunc(*ps, func(p netip.AddrPort) bool { return p.Addr() == src })
}

// DialPeer calls the peer node at addr over UDP: user is the Request-URI
// user (not a phone number: the peer's handler reads it), from the From
// user ("switchboard" unless it is a phone number), leg's offer the SDP.
// The INVITE and the dialog's requests leave from the SIP listening
// socket, so the peer sees this node's SIP address as their source. No
// carrier, failover or MaxCalls applies; otherwise it is DialRequest: it
// returns once the answer is ACKed, and the call owns leg (closed when the
// call ends, or when the dial fails).
func (t *Trunk) DialPeer(ctx context.Context, addr netip.AddrPort, user, from string, leg *rtpleg.Leg, onProgress func(code int)) (*Call, error) {
	if leg == nil {
		return nil, errors.New("trunk: dial peer: nil leg")
	}
	if !addr.IsValid() || user == "" {
		leg.Close()
		return nil, &DialError{Code: 484, Reason: "Address Incomplete", Err: errors.New("trunk: dial peer: no address or user")}
	}
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	t.pinUDP(addr)
	car := &carrier{cfg: Carrier{ID: "peer:" + addr.String(), Host: addr.Addr().String(), Port: int(addr.Port()), Transport: "udp"}}
	sl := takeSlot(car) // no MaxCalls: never nil
	c, err := t.dialCarrier(ctx, car, sl, user, from, leg, onProgress)
	if err != nil {
		sl.release()
		leg.Close()
		return nil, err
	}
	return c, nil
}

// pinUDP files ap under the SIP listening socket in sipgo's UDP pool, so
// requests to it leave from the listening port (as pinUDPRoute does for
// inbound dialogs).
func (t *Trunk) pinUDP(ap netip.AddrPort) {
	pool := t.ua.TransportLayer().Pool("udp")
	if pool == nil {
		return
	}
	l := pool.Get(t.udp.LocalAddr().String())
	if l == nil {
		return
	}
	defer l.TryClose()
	if c := pool.Get(ap.String()); c == nil {
		pool.Add(ap.String(), l)
	} else {
		c.TryClose() // Get took a reference
	}
}
