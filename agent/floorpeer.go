package agent

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/router"
	"switchboard/store"
)

// Calls bridged between two nodes of a cluster (PROTOCOL §13): when the
// leader offers a call waiting here to an agent on another node, this node
// dials that node at once (FloorOfferRemote); the other node takes the
// leg as a floor call of its own (FloorInbound) and rings its agent. When
// the agent accepts, the leader's accepted puts the leg on the agent there
// (FloorAccepted) and bridges the caller here to the leg (FloorBridged).
// A withdrawn offer hangs the leg up.

// PeerDial dials the agent's node for an offer (from: the caller's number).
type PeerDial func(ctx context.Context, from string) (TrunkCall, error)

// peerLeg is a caller's leg toward the agent's node.
type peerLeg struct {
	res    router.ReservationID
	cancel func()
	tc     TrunkCall // nil until answered
	bridge bool      // accepted: bridge the caller to tc once answered
}

// FloorOfferRemote starts the offer res of call (waiting here) to an
// agent on another node: dial reaches that node. The caller waits on
// (music, or ringing) until FloorBridged.
func (c *Core) FloorOfferRemote(call, res string, dial PeerDial) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.floorCallLocked(call)
	if cl == nil {
		return fmt.Errorf("floor offer %s of call %s: %w", res, call, ErrNotFound)
	}
	if cl.res != "" {
		c.floorUnofferLocked(cl, "rescinded") // the leader's latest offer counts
	}
	cl.res, cl.resAt = router.ReservationID(res), c.now()
	c.byRes[cl.res] = cl
	ctx, cancel := context.WithCancel(context.Background())
	p := &peerLeg{res: cl.res, cancel: cancel}
	cl.peer = p
	from := cl.remote
	c.async(func() {
		tc, err := dial(ctx, from)
		if err != nil {
			c.log.Info("floor: the agent's node not reached", "call", cl.id, "reservation", res, "err", err)
			c.locked(func() {
				if cl.peer == p {
					cl.peer = nil
				}
			})
			return
		}
		keep, _ := locked2(c, func() (bool, error) { // the error is always nil
			if cl.peer != p || cl.ended {
				return false, nil
			}
			p.tc = tc
			if p.bridge {
				c.peerBridgeLocked(cl)
			}
			return true, nil
		})
		if !keep {
			c.infoIf(tc.Hangup("canceled"), "hangup failed", "call", cl.id)
			return
		}
		<-tc.Done()
		c.locked(func() {
			if cl.peer != p {
				return
			}
			cl.peer = nil
			if p.bridge && !cl.ended { // the agent's end hung up
				c.endCallLocked(cl, "agent_hangup")
				c.hangupLocked(cl, "agent_hangup")
			}
		})
	})
	return nil
}

// endPeerLocked hangs up cl's leg toward another node, if any.
func (c *Core) endPeerLocked(cl *call, reason string) {
	p := cl.peer
	if p == nil {
		return
	}
	cl.peer = nil
	p.cancel()
	if p.tc != nil {
		if p.bridge {
			p.tc.Leg().SetSink(media.Discard)
		}
		tc := p.tc
		c.async(func() { c.infoIf(tc.Hangup(reason), "hangup failed", "call", cl.id) })
	}
}

// FloorBridged bridges call's caller to the agent on another node whose
// accept of res the leader took (its leg there was dialled at the offer).
func (c *Core) FloorBridged(call, res, agent string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.floorCallLocked(call)
	if cl == nil || cl.peer == nil || string(cl.peer.res) != res {
		return fmt.Errorf("floor bridge of call %s to %s: %w", call, agent, ErrNotFound)
	}
	now := c.now()
	delete(c.byFloor, cl.floorTask)
	cl.floorTask = ""
	delete(c.byRes, cl.res)
	cl.ringDur += now.Sub(cl.resAt)
	cl.res = ""
	delete(c.queued, cl)
	cl.markAccepted(now)
	cl.lastAgent = agent
	cl.peer.bridge = true
	cl.peerOut = true
	if cl.peer.tc != nil {
		c.peerBridgeLocked(cl)
	}
	if !cl.answered { // a direct call rang until now
		c.async(func() {
			if err := c.answer(context.Background(), cl); err != nil {
				c.log.Info("answer failed", "call", cl.id, "err", err)
			}
		})
	}
	c.publishLocked(events.Event{Type: events.CallAnswered, Call: cl.id, Agent: agent, Queue: cl.queue, Kind: cl.kind, From: cl.remote, To: cl.dialled})
	return nil
}

// peerBridgeLocked joins the caller and its leg toward the agent's node.
func (c *Core) peerBridgeLocked(cl *call) {
	c.stopPlayerLocked(cl)
	leg := cl.peer.tc.Leg()
	cl.leg.SetSink(leg)
	leg.SetSink(cl.leg)
	cl.setState(stateActive, c.now())
	c.log.Info("call bridged to the agent's node", "call", cl.id, "agent_id", cl.lastAgent)
}

// FloorInbound takes tc, the leg of a call waiting on another node that
// the leader offered (res, until expires) to agent here: it answers it,
// rings agent, and returns when the leg ends. spec is the offered task
// (kind, queue, extension). It returns the call's id here at once on
// started (nil: not wanted).
func (c *Core) FloorInbound(ctx context.Context, tc TrunkCall, res, agent string, expires time.Time, spec router.Task, started func(id string)) {
	kind := "queue"
	switch spec.Kind {
	case router.KindDirect:
		kind = "direct"
	case router.KindTransfer:
		kind = "transfer"
	}
	cl := c.newInbound(tc, target{kind: kind, queue: string(spec.Queue)})
	if cl == nil {
		c.infoIf(tc.Reject(503, "Service Unavailable"), "reject failed", "sip_call_id", tc.ID(), "status", 503)
		return
	}
	if started != nil {
		started(cl.id)
	}
	if err := c.answer(ctx, cl); err != nil {
		c.log.Info("answer failed", "call", cl.id, "err", err)
	}
	c.locked(func() {
		if cl.ended {
			return
		}
		cl.peerIn = true
		cl.dialled = spec.TargetExtension
		cl.floorTask, cl.floorSpec = router.TaskID("peer/"+res), spec
		c.byFloor[cl.floorTask] = cl
	})
	if err := c.FloorOffer(cl.id, res, agent, expires); err != nil {
		c.log.Info("floor: offer of a leg from another node not rung", "call", cl.id, "err", err)
	}
	c.endWhenDone(ctx, tc, cl)
}

// EndCall ends call here and hangs it up (its other half's node died:
// reason node_lost). An error means no such call.
func (c *Core) EndCall(call, reason string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.calls[call]
	if cl == nil || cl.ended {
		return fmt.Errorf("call %s: %w", call, ErrNotFound)
	}
	c.endPeerLocked(cl, reason)
	c.endCallLocked(cl, reason)
	c.hangupLocked(cl, reason)
	return nil
}

// reasonNodeLost is the outcome of a call whose other node died.
const reasonNodeLost = "node_lost"

// FloorOrigin is the caller's side of a leg from another node, for the
// call's one record (PROTOCOL §13): the caller's call on the floor
// (<node>/<call id>), when it arrived there, and its numbers. Zero fields
// are not known.
type FloorOrigin struct {
	Call     string
	Arrived  time.Time
	From, To string
}

// FloorOrigin sets the caller's side of call, a leg from another node
// (FloorInbound's started may call it at once).
func (c *Core) FloorOrigin(call string, o FloorOrigin) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.calls[call]
	if cl == nil {
		return fmt.Errorf("floor origin of call %s: %w", call, ErrNotFound)
	}
	cl.peerOrigin = &o
	return nil
}

// peerRecord makes rec the one record of a call bridged between two
// nodes, and says whether to store it here. The agent's node stores it
// (the caller's call, with the agent's talk, hold and recordings), for a
// leg an agent took; the caller's node does not once it bridged its
// caller there. A call whose other node died is the survivor's to record
// (node_lost; the dead node's half is recorded from its ledger).
func (cl *call) peerRecord(rec *store.CallRecord) bool {
	switch {
	case cl.outcome == reasonNodeLost:
		return !cl.peerIn
	case cl.peerOut:
		return false
	case !cl.peerIn:
		return true
	case cl.firstAccept.IsZero(): // an offer nobody took: the caller's node records the call
		return false
	}
	if o := cl.peerOrigin; o != nil {
		rec.Call = cmp.Or(o.Call, rec.Call)
		rec.From, rec.To = cmp.Or(o.From, rec.From), cmp.Or(o.To, rec.To)
		if !o.Arrived.IsZero() && o.Arrived.Before(rec.StartedAt) {
			rec.WaitSeconds += rec.StartedAt.Sub(o.Arrived).Seconds()
			rec.StartedAt = o.Arrived
		}
	}
	return true
}
