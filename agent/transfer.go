package agent

import (
	"context"
	"fmt"
	"strings"

	"switchboard/events"
	"switchboard/media"
	"switchboard/router"
	"switchboard/view"
)

// Transfer moves one of the agent's calls (PROTOCOL.md section 4,
// call.transfer):
//   - mode "blind": to an extension or "queue:<id>" (the router offers it
//     like a new call, never back to the transferring agent), or to an
//     outside number (the gateway dials it and bridges the caller); the
//     agent leaves at once;
//   - mode "warm": the caller is held and the agent consults the target on
//     a new call, which is returned;
//   - mode "complete" (addition): the consulted target and the caller are
//     bridged and the agent leaves both calls;
//   - mode "cancel" (addition): the consult call ends and the agent gets the
//     caller back.
func (c *Core) Transfer(ctx context.Context, agentID, callID, to, mode string) (view.Call, error) {
	switch mode {
	case "warm":
		return c.warmTransfer(agentID, callID, to)
	case "complete":
		return c.completeTransfer(agentID, callID)
	case "cancel":
		return c.cancelTransfer(agentID, callID)
	case "blind", "":
	default:
		return view.Call{}, fmt.Errorf("transfer mode %q: want blind, warm, complete or cancel: %w", mode, ErrBadTarget)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ag, cl, err := c.lookupLocked(agentID, callID)
	if err != nil {
		return view.Call{}, err
	}
	if !cl.answered || cl.state == stateRinging {
		return view.Call{}, fmt.Errorf("call %s is not answered: %w", callID, ErrState)
	}
	var task router.Task
	switch {
	case strings.HasPrefix(to, "queue:"):
		q := strings.TrimPrefix(to, "queue:")
		if _, ok := c.queues[q]; !ok {
			return view.Call{}, fmt.Errorf("queue %q: %w", q, ErrBadTarget)
		}
		task = router.Task{Kind: router.KindTransfer, Queue: router.QueueID(q)}
	case c.byExt[to] != nil:
		if c.byExt[to] == ag {
			return view.Call{}, fmt.Errorf("cannot transfer to yourself: %w", ErrBadTarget)
		}
		task = router.Task{Kind: router.KindTransfer, TargetExtension: to}
	case validNumber(to):
		if c.cfg.Dialer == nil {
			return view.Call{}, ErrNoTrunk
		}
	default:
		return view.Call{}, fmt.Errorf("to %q: not an extension, queue:<id> or phone number: %w", to, ErrBadTarget)
	}
	v := c.leaveLocked(ag, cl, to)
	if task.Kind == router.KindUnknown {
		c.playLocked(cl, media.Ringback())
		c.dialAndBridgeLocked(cl, to)
		return v, nil
	}
	cl.kind = "transfer"
	cl.dialled = to
	if task.Queue != "" {
		cl.queue = string(task.Queue)
		c.playLocked(cl, c.cfg.Music.Source())
	} else {
		c.playLocked(cl, media.Ringback())
	}
	task.Arrived = cl.arrived
	task.Exclude = []router.AgentID{router.AgentID(agentID)}
	c.addTaskLocked(cl, task)
	return v, nil
}

// leaveLocked takes the agent off a call that goes on without it.
func (c *Core) leaveLocked(ag *agentRT, cl *call, to string) view.Call {
	c.releaseLocked(cl)
	c.publishLocked(events.Event{Type: events.CallTransferred, Agent: ag.cfg.ID, Call: cl.id, To: to, Queue: cl.queue, Kind: cl.kind})
	c.notifyLocked(ag, "call.ended", EndedView{ID: cl.id, Reason: "transferred"})
	c.notifyAgentLocked(ag)
	cl.setState(stateWaiting, c.now())
	v := cl.view()
	v.State = stateEnded
	return v
}

// dialAndBridgeLocked dials an outside number for a caller the agent has
// left, and bridges the two when it answers. If it fails the caller hears
// the announcement.
func (c *Core) dialAndBridgeLocked(cl *call, to string) {
	now := c.now()
	out := &call{id: c.newIDLocked("c"), kind: "outbound", direction: "outbound", remote: to, dialled: to,
		state: stateRinging, created: now, arrived: now}
	c.calls[out.id] = out
	ctx, cancel := context.WithCancel(context.Background())
	out.cancelDial = cancel
	cl.cancelDial = cancel // the caller hanging up stops the dialling
	from := cl.remote
	c.async(func() {
		tc, err := c.dialRinging(ctx, to, from, func(int, TrunkLeg) {})
		gone, _ := locked2(c, func() (bool, error) { // the error is always nil
			if err != nil {
				c.endCallLocked(out, dialFailReason(err, "dial_failed"))
				if !cl.ended {
					c.announceAndHangupLocked(cl, c.cfg.Prompts.Unavailable, "transfer_failed")
				}
				return false, nil
			}
			out.tc, out.leg, out.answered = tc, tc.Leg(), true
			out.markAccepted(c.now())
			if cl.ended || out.ended {
				c.endCallLocked(out, "caller_gone")
				return true, nil
			}
			c.bridgeLocked(cl, out)
			return false, nil
		})
		switch {
		case err != nil:
			return
		case gone:
			c.infoIf(tc.Hangup("caller_gone"), "hangup failed", "call", out.id)
			return
		}
		<-tc.Done()
		c.locked(func() { c.endCallLocked(out, "hangup") })
	})
}

// bridgeLocked joins two calls that no agent is on: each hears the other.
func (c *Core) bridgeLocked(a, b *call) {
	c.stopPlayerLocked(a)
	c.stopPlayerLocked(b)
	a.leg.SetSink(b.leg)
	b.leg.SetSink(a.leg)
	a.bridged, b.bridged = b, a
	a.setState(stateActive, c.now())
	b.setState(stateActive, c.now())
	c.log.Info("calls bridged", "call", a.id, "peer_call", b.id)
}

// warmTransfer holds the caller and dials the target as a consult call.
func (c *Core) warmTransfer(agentID, callID, to string) (view.Call, error) {
	cl, err := locked2(c, func() (*call, error) {
		_, cl, err := c.lookupLocked(agentID, callID)
		if err == nil && (!cl.answered || cl.state == stateRinging) {
			err = fmt.Errorf("call %s is not answered: %w", callID, ErrState)
		}
		if err == nil && cl.consult != nil {
			err = fmt.Errorf("call %s already has a consult call: %w", callID, ErrState)
		}
		return cl, err
	})
	if err != nil {
		return view.Call{}, err
	}
	k, err := c.startOutbound(agentID, to, "outbound", cl)
	if err != nil {
		return view.Call{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cl.consult = k
	k.consultFor = cl
	c.publishLocked(events.Event{Type: "call.consult", Agent: agentID, Call: cl.id, To: to, Detail: map[string]any{"consult": k.id}})
	return k.view(), nil
}

// completeTransfer bridges the caller with the consulted party; the agent
// leaves both calls.
func (c *Core) completeTransfer(agentID, callID string) (view.Call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag, cl, err := c.lookupLocked(agentID, callID)
	if err != nil {
		return view.Call{}, err
	}
	if cl.consultFor != nil { // the id of the consult call works too
		cl = cl.consultFor
	}
	k := cl.consult
	if k == nil || k.ended {
		return view.Call{}, fmt.Errorf("call %s has no consult call: %w", callID, ErrState)
	}
	if !k.answered {
		return view.Call{}, fmt.Errorf("consult call %s is not answered yet: %w", k.id, ErrState)
	}
	cl.consult, k.consultFor = nil, nil
	v := c.leaveLocked(ag, cl, k.remote)
	c.leaveLocked(ag, k, cl.remote)
	c.bridgeLocked(cl, k)
	return v, nil
}

// cancelTransfer ends the consult call and gives the agent the caller back.
func (c *Core) cancelTransfer(agentID, callID string) (view.Call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, cl, err := c.lookupLocked(agentID, callID)
	if err != nil {
		return view.Call{}, err
	}
	if cl.consultFor != nil {
		cl = cl.consultFor
	}
	k := cl.consult
	cl.consult = nil
	if k != nil {
		k.consultFor = nil
		c.endCallLocked(k, "transfer_canceled")
		c.hangupLocked(k, "transfer_canceled")
	}
	if cl.ag != nil && !cl.ended {
		c.activateLocked(cl)
	}
	return cl.view(), nil
}

// AgentState is the agent's own view: itself, its calls and offers (the
// same shape as the login result).
func (c *Core) AgentState(agentID string) (LoginResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.agents[agentID]
	if ag == nil {
		return LoginResult{}, ErrUnknownAgent
	}
	res := LoginResult{Agent: c.agentViewLocked(ag), Calls: []view.Call{}, Reservations: c.reservationsLocked(ag), Parked: c.parkedLocked(), QueueNames: c.queueNamesLocked(), GraceSeconds: c.graceSeconds(), Activities: c.activitiesLocked(),
		Tasks: c.agentTasksLocked(ag)}
	for _, cl := range ag.calls {
		res.Calls = append(res.Calls, cl.view())
	}
	return res, nil
}
