package main

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/agent"
	"switchboard/cluster"
	"switchboard/media"
	"switchboard/router"
)

// Calls bridged between nodes (PROTOCOL §13, agent/floorpeer.go): the
// caller's node dials the agent's node with Request-URI user
// floorUser + the offer's reservation id; the agent's node admits it
// only from the SIP address of the node the offer names as the caller's,
// and only for an offer it was sent.

// floorUser prefixes the Request-URI user of a call between nodes.
const floorUser = "floor+"

// maxPeerOffers bounds the offers kept for legs not yet arrived.
const maxPeerOffers = 4096

// peerOffer is an offer to an agent here of a call on another node.
type peerOffer struct {
	d     cluster.Decision
	local string // the leg's call id here, once it arrived
}

// floorPeers is a node's calls bridged to or from other nodes.
type floorPeers struct {
	mu      sync.Mutex
	offers  map[string]*peerOffer // by reservation
	legs    map[string]string     // local call id of a leg from another node → its floor id
	bridged map[string]string     // local call id of a caller bridged to another node → that node
	added   chan struct{}         // closed (and replaced) when an offer is added
}

func newFloorPeers() *floorPeers {
	return &floorPeers{offers: map[string]*peerOffer{}, legs: map[string]string{}, bridged: map[string]string{}, added: make(chan struct{})}
}

// peerOfferWait bounds the wait of a leg for its offer: the caller's node
// dials when it gets the offer, which may reach it before this node.
const peerOfferWait = 2 * time.Second

// await is the offer res, waiting for it at most d.
func (p *floorPeers) await(res string, d time.Duration) *peerOffer {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		p.mu.Lock()
		o, ch := p.offers[res], p.added
		p.mu.Unlock()
		if o != nil {
			return o
		}
		select {
		case <-ch:
		case <-t.C:
			return nil
		}
	}
}

// leg is the floor id of a local leg from another node.
func (p *floorPeers) leg(id string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.legs[id]
	return f, ok
}

// bridgedTo is the agent's node of a local caller bridged to another node.
func (p *floorPeers) bridgedTo(id string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bridged[id]
}

// ended forgets a local call.
func (p *floorPeers) ended(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.legs, id)
	delete(p.bridged, id)
}

// nodeOf is the node a floor id names ("<node>/<call id>").
func nodeOf(floorID string) string {
	n, _, _ := strings.Cut(floorID, "/")
	return n
}

// nodeAddr is node's SIP address from presence.
func (fl *floorLink) nodeAddr(node string) (netip.AddrPort, bool) {
	for _, p := range fl.nodes() {
		if p.ID == node {
			ap, err := netip.ParseAddrPort(p.Addr)
			return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), err == nil
		}
	}
	return netip.AddrPort{}, false
}

// routePeer acts on the decisions of a call whose caller and agent are on
// two nodes, one of them this one.
func (fl *floorLink) routePeer(d cluster.Decision) {
	core := fl.src.core
	call := strings.TrimPrefix(d.Task, fl.node+"/")
	callerHere := d.TaskNode == fl.node
	switch d.Type {
	case cluster.DecOffer:
		if callerHere {
			if err := core.FloorOfferRemote(call, d.Reservation, fl.dialPeer(d)); err != nil {
				fl.log.Info("cluster: offer to another node not dialled", "task", d.Task, "err", err)
			}
			return
		}
		fl.peers.mu.Lock()
		now := time.Now()
		for r, o := range fl.peers.offers {
			if now.After(o.d.Expires.Add(time.Minute)) {
				delete(fl.peers.offers, r)
			}
		}
		if len(fl.peers.offers) < maxPeerOffers {
			fl.peers.offers[d.Reservation] = &peerOffer{d: d}
			close(fl.peers.added)
			fl.peers.added = make(chan struct{})
		}
		fl.peers.mu.Unlock()
	case cluster.DecWithdraw:
		core.FloorWithdraw(d.Reservation, d.Reason)
		fl.peers.mu.Lock()
		delete(fl.peers.offers, d.Reservation)
		fl.peers.mu.Unlock()
	case cluster.DecAccepted:
		if callerHere {
			if err := core.FloorBridged(call, d.Reservation, d.Agent); err != nil {
				fl.log.Info("cluster: accepted call not bridged", "task", d.Task, "err", err)
				return
			}
			fl.peers.mu.Lock()
			fl.peers.bridged[call] = d.AgentNode
			fl.peers.mu.Unlock()
			return
		}
		fl.peers.mu.Lock()
		o := fl.peers.offers[d.Reservation]
		delete(fl.peers.offers, d.Reservation)
		fl.peers.mu.Unlock()
		if o == nil || o.local == "" {
			fl.log.Info("cluster: accepted call's leg not here", "task", d.Task)
			return
		}
		if err := core.FloorAccepted(o.local, d.Reservation, d.Agent); err != nil {
			fl.log.Info("cluster: accepted call not put on its agent", "task", d.Task, "err", err)
		}
	}
}

// dialPeer dials the agent's node for offer d.
func (fl *floorLink) dialPeer(d cluster.Decision) agent.PeerDial {
	return func(ctx context.Context, from string) (agent.TrunkCall, error) {
		c, err := fl.dial(ctx, d, from)
		if err != nil && ctx.Err() == nil {
			// Not reached (gone from presence, refused, no answer): the
			// leader routes the call again without this agent at once, as
			// for a rejection, rather than ringing nobody until the offer
			// times out. Not a RONA: the agent never rang.
			fl.hook.Reject(d.Agent, d.Reservation)
		}
		return c, err
	}
}

// dial is dialPeer's INVITE to the agent's node.
func (fl *floorLink) dial(ctx context.Context, d cluster.Decision, from string) (agent.TrunkCall, error) {
	addr, ok := fl.nodeAddr(d.AgentNode)
	if !ok {
		return nil, fmt.Errorf("node %s: no SIP address in presence", d.AgentNode)
	}
	leg, err := fl.src.pool.Open()
	if err != nil {
		return nil, err
	}
	leg.Start(media.Discard)
	c, err := fl.src.sip.DialPeer(ctx, addr, floorUser+d.Reservation, from, leg, nil)
	if err != nil {
		return nil, err
	}
	return trunkCall{c}, nil
}

// inbound takes a call from another node (its Request-URI user is
// floorUser + reservation): the leg of a call offered to an agent here.
func (fl *floorLink) inbound(ctx context.Context, tc trunkCall) {
	res := strings.TrimPrefix(tc.Number(), floorUser)
	o := fl.peers.await(res, peerOfferWait)
	if o == nil {
		fl.log.Info("cluster: call from a node for no offer", "reservation", res, "source", tc.Remote())
		_ = tc.Reject(404, "Not Found") // a final response: nothing else to do if it fails
		return
	}
	if addr, ok := fl.nodeAddr(o.d.TaskNode); !ok || tc.Remote() != addr {
		fl.log.Warn("cluster: call for an offer refused: not from the caller's node", "reservation", res, "source", tc.Remote(), "node", o.d.TaskNode)
		_ = tc.Reject(403, "Forbidden") // likewise
		return
	}
	kind, _ := router.ParseTaskKind(o.d.Kind)
	spec := router.Task{Kind: kind, Queue: router.QueueID(o.d.Queue)}
	if err := fl.src.core.FloorRoom(o.d.Agent, spec); err != nil {
		// The leader's view of the agent lags (agent.Core.FloorRoom):
		// the offer goes back to it, and the caller's node is told no.
		fl.log.Info("cluster: offer refused: the agent has no room here", "reservation", res, "err", err)
		fl.hook.Reject(o.d.Agent, res)
		_ = tc.Reject(486, "Busy Here") // a final response: nothing else to do if it fails
		return
	}
	fl.src.core.FloorInbound(ctx, tc, res, o.d.Agent, o.d.Expires, spec, func(id string) {
		fl.peers.mu.Lock()
		o.local = id
		fl.peers.legs[id] = o.d.Task
		fl.peers.mu.Unlock()
		fl.origin(ctx, id, o.d)
	})
}

// origin gives the leg id the caller's side of its call (the caller's
// node's ledger has it), for the call's one record (agent/floorpeer.go).
func (fl *floorLink) origin(ctx context.Context, id string, d cluster.Decision) {
	o := agent.FloorOrigin{Call: d.Task}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	lc, ok, err := fl.bus.Call(rctx, d.TaskNode, d.Task)
	if err != nil {
		fl.log.Info("cluster: the caller's side of a leg unread; its record has the leg's", "task", d.Task, "err", err)
	}
	if ok {
		o.Arrived, o.From, o.To = lc.Info.Started, lc.Info.From, lc.Info.To
	}
	if err := fl.src.core.FloorOrigin(id, o); err != nil {
		fl.log.Info("cluster: leg ended before its origin was set", "call", id, "err", err)
	}
}

// nodeLost ends this node's half of a call whose other half's node died.
func (fl *floorLink) nodeLost(d cluster.Decision) {
	call, ok := strings.CutPrefix(d.Task, fl.node+"/")
	if !ok {
		fl.peers.mu.Lock()
		for id, f := range fl.peers.legs {
			if f == d.Task {
				call, ok = id, true
			}
		}
		fl.peers.mu.Unlock()
	}
	if !ok {
		return
	}
	if err := fl.src.core.EndCall(call, cluster.ReasonNodeLost); err != nil {
		fl.log.Info("cluster: node_lost of a call not here", "task", d.Task, "err", err)
	}
}

// nodesGone ends this node's halves of the calls bridged with nodes that
// left the presence set (their heartbeat expired: killed, paused past the
// lease, or cut off), with reason node_lost. The leader's node_lost does
// the same for a node that dies under it; this covers the leader itself
// dying, whose bridged calls no later term knows of.
func (fl *floorLink) nodesGone(nodes []string) {
	var calls []string
	fl.peers.mu.Lock()
	for id, f := range fl.peers.legs {
		if slices.Contains(nodes, nodeOf(f)) {
			calls = append(calls, id)
		}
	}
	for id, n := range fl.peers.bridged {
		if slices.Contains(nodes, n) {
			calls = append(calls, id)
		}
	}
	fl.peers.mu.Unlock()
	for _, id := range calls {
		if err := fl.src.core.EndCall(id, cluster.ReasonNodeLost); err != nil {
			continue // ended meanwhile (the leader's node_lost, or a BYE)
		}
		fl.log.Info("cluster: call bridged to a node that left ended", "call", id, "nodes", nodes, "reason", cluster.ReasonNodeLost)
	}
}
