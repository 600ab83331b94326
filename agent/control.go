package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/router"
	"switchboard/view"
)

// lookupLocked finds an agent's own call.
func (c *Core) lookupLocked(agentID, callID string) (*agentRT, *call, error) {
	ag := c.agents[agentID]
	if ag == nil {
		return nil, nil, ErrUnknownAgent
	}
	cl := c.calls[callID]
	if cl == nil || cl.ag != ag {
		return ag, nil, fmt.Errorf("call %s: %w", callID, ErrNotFound)
	}
	return ag, cl, nil
}

// Accept accepts an offer: the call goes onto the agent's switch as the
// active call (the agent's other active call is held first) and, for a call
// not answered yet, the trunk side is answered.
func (c *Core) Accept(ctx context.Context, agentID, resID string) (view.Call, error) {
	cl, v, needAnswer, err := c.acceptUnderLock(agentID, resID)
	if fw, ok := err.(floorWait); ok {
		cl, v, needAnswer, err = c.floorAcceptWait(ctx, fw)
	}
	if err != nil {
		return view.Call{}, err
	}
	c.log.Info("call accepted", "call", cl.id, "agent_id", agentID)
	if needAnswer {
		if err := c.answer(ctx, cl); err != nil {
			c.locked(func() {
				c.endCallLocked(cl, "answer_failed")
				c.hangupLocked(cl, "answer_failed")
			})
			return view.Call{}, fmt.Errorf("answer call %s: %w", cl.id, err)
		}
	}
	return v, nil
}

// acceptUnderLock is Accept's part under the lock (which it takes); it
// returns the call, its view and whether the trunk side still needs
// answering.
func (c *Core) acceptUnderLock(agentID, resID string) (*call, view.Call, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.byRes[router.ReservationID(resID)]
	ag := c.agents[agentID]
	if ag == nil {
		return nil, view.Call{}, false, ErrUnknownAgent
	}
	if cl == nil || cl.resAg != ag {
		return nil, view.Call{}, false, fmt.Errorf("reservation %s: %w", resID, ErrNotFound)
	}
	if cl.floorTask != "" {
		return c.floorAcceptLocked(ag, cl, resID)
	}
	now := c.now()
	if err := c.rt.Accept(router.ReservationID(resID), now); err != nil {
		c.flushLocked()
		return nil, view.Call{}, false, fmt.Errorf("reservation %s: %w", resID, ErrNotFound)
	}
	delete(c.byRes, cl.res)
	cl.ringDur += now.Sub(cl.resAt)
	cl.res, cl.resAg = "", nil
	cl.markAccepted(now)
	delete(c.queued, cl) // on an agent now: its queue wait is over
	if err := c.attachLocked(ag, cl, media.StateHeld); err != nil {
		c.flushLocked()
		return nil, view.Call{}, false, err
	}
	c.startRecordingLocked(cl)
	c.activateLocked(cl)
	c.flushLocked()
	c.publishCallLocked(events.CallAnswered, cl)
	c.notifyAgentLocked(ag)
	return cl, cl.view(), !cl.answered, nil
}

// Reject declines an offer; the router offers the call elsewhere or gives
// it its fallback.
func (c *Core) Reject(agentID, resID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.byRes[router.ReservationID(resID)]
	ag := c.agents[agentID]
	if ag == nil {
		return ErrUnknownAgent
	}
	if cl == nil || cl.resAg != ag {
		return fmt.Errorf("reservation %s: %w", resID, ErrNotFound)
	}
	if cl.floorTask != "" {
		c.cfg.Floor.Reject(ag.cfg.ID, resID) // the floor's withdraw follows
		return nil
	}
	err := c.rt.Reject(router.ReservationID(resID), c.now())
	c.flushLocked()
	if err != nil {
		return fmt.Errorf("reservation %s: %w", resID, ErrNotFound)
	}
	return nil
}

// Hold puts one of the agent's calls on hold.
func (c *Core) Hold(agentID, callID string) (view.Call, error) {
	return c.callOp(agentID, callID, func(cl *call) error {
		if cl.state == stateRinging && cl.direction == "outbound" {
			return fmt.Errorf("call %s is still ringing: %w", cl.id, ErrState)
		}
		c.holdLocked(cl)
		return nil
	})
}

// Resume makes a held call the active one, holding the other (swap).
func (c *Core) Resume(agentID, callID string) (view.Call, error) {
	return c.callOp(agentID, callID, func(cl *call) error {
		if cl.state == stateRinging {
			return fmt.Errorf("call %s is still ringing: %w", cl.id, ErrState)
		}
		c.activateLocked(cl)
		return nil
	})
}

// Mute makes the caller hear silence while the agent still hears them.
func (c *Core) Mute(agentID, callID string, muted bool) (view.Call, error) {
	return c.callOp(agentID, callID, func(cl *call) error {
		if cl.muted == muted {
			return nil
		}
		// A call not on the switch yet (dialling) gets it when answered.
		if _, on := cl.ag.sw.State(cl.id); on {
			if err := cl.ag.sw.SetMuted(cl.id, muted); err != nil {
				return err
			}
		}
		cl.muted = muted
		typ := events.CallUnmuted
		if muted {
			typ = events.CallMuted
		}
		c.publishCallLocked(typ, cl)
		return nil
	})
}

// Hangup ends one of the agent's calls.
func (c *Core) Hangup(agentID, callID string) (view.Call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, cl, err := c.lookupLocked(agentID, callID)
	if err != nil {
		return view.Call{}, err
	}
	c.endCallLocked(cl, "agent_hangup")
	c.hangupLocked(cl, "agent_hangup")
	return cl.view(), nil
}

// DTMF sends digits to the far end of one of the agent's calls (RFC 4733).
func (c *Core) DTMF(agentID, callID, digits string) error {
	for _, d := range digits {
		if !isDTMF(d) {
			return fmt.Errorf("digit %q: %w", d, ErrBadTarget)
		}
	}
	if digits == "" {
		return fmt.Errorf("no digits: %w", ErrBadTarget)
	}
	leg, err := locked2(c, func() (Leg, error) {
		_, cl, err := c.lookupLocked(agentID, callID)
		if err != nil {
			return nil, err
		}
		return cl.leg, nil
	})
	if err != nil {
		return err
	}
	tl, ok := leg.(TrunkLeg)
	if !ok {
		return fmt.Errorf("call %s carries no DTMF: %w", callID, ErrState)
	}
	c.async(func() { c.infoIf(tl.SendDTMF(digits, 100*time.Millisecond), "DTMF not sent", "call", callID) })
	return nil
}

func isDTMF(d rune) bool {
	return (d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D')
}

// Merge joins calls of the agent into a conference: every merged caller
// hears the agent and the others.
func (c *Core) Merge(agentID string, callIDs []string) ([]view.Call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(callIDs) < 2 {
		return nil, fmt.Errorf("merge needs two calls: %w", ErrBadTarget)
	}
	var cls []*call
	for _, id := range callIDs {
		_, cl, err := c.lookupLocked(agentID, id)
		if err != nil {
			return nil, err
		}
		if cl.state == stateRinging {
			return nil, fmt.Errorf("call %s is still ringing: %w", id, ErrState)
		}
		cls = append(cls, cl)
	}
	now := c.now()
	ag := cls[0].ag
	// Anything active that is not part of the merge is held.
	for _, o := range ag.calls {
		if o.state == stateActive && !o.merged && !containsCall(cls, o) {
			c.holdLocked(o)
		}
	}
	for _, cl := range cls {
		cl.merged = true
		c.warnIf(ag.sw.SetState(cl.id, media.StateMerged), "switch refused state", "call", cl.id, "state", "merged")
		cl.setState(stateActive, now)
	}
	out := make([]view.Call, 0, len(cls))
	ids := make([]string, 0, len(cls))
	for _, cl := range cls {
		ids = append(ids, cl.id)
	}
	for _, cl := range cls {
		c.notifyCallLocked(cl)
		out = append(out, cl.view())
	}
	c.publishLocked(events.Event{Type: events.CallMerged, Agent: agentID, Calls: ids})
	c.ringingLocked(ag)
	return out, nil
}

func containsCall(cls []*call, x *call) bool {
	for _, c := range cls {
		if c == x {
			return true
		}
	}
	return false
}

// WrapupDone ends the agent's wrap-up.
func (c *Core) WrapupDone(agentID string) (view.Agent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.agents[agentID]
	if ag == nil {
		return view.Agent{}, ErrUnknownAgent
	}
	c.warnIf(c.rt.WrapupDone(router.AgentID(agentID), c.now()), "router refused wrap-up done", "agent_id", agentID)
	c.flushLocked()
	return c.agentViewLocked(ag), nil
}

// SetActivity changes the agent's activity.
func (c *Core) SetActivity(agentID, activity string) (view.Agent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	act, custom, err := c.resolveActivityLocked(activity)
	if err != nil {
		return view.Agent{}, err
	}
	ag := c.agents[agentID]
	if ag == nil {
		return view.Agent{}, ErrUnknownAgent
	}
	if err := c.rt.SetActivity(router.AgentID(agentID), act, c.now()); err != nil {
		return view.Agent{}, err
	}
	ag.activity = custom
	c.flushLocked()
	return c.agentViewLocked(ag), nil
}

// callOp runs fn on one of the agent's calls under the lock and returns
// the call's view.
func (c *Core) callOp(agentID, callID string, fn func(cl *call) error) (view.Call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, cl, err := c.lookupLocked(agentID, callID)
	if err != nil {
		return view.Call{}, err
	}
	if err := fn(cl); err != nil {
		return view.Call{}, err
	}
	c.notifyCallLocked(cl)
	return cl.view(), nil
}

// onDTMF shows a caller's digit to its agent, or feeds the IVR.
func (c *Core) onDTMF(cl *call, d rune) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Digits may be PINs or card numbers: never above debug (PROTOCOL §14).
	c.log.Debug("dtmf received", "call", cl.id, "digit", string(d))
	if cl.digits != nil {
		select {
		case cl.digits <- d:
		default:
		}
	}
	if cl.ag != nil {
		c.notifyLocked(cl.ag, "call.dtmf", map[string]string{"call": cl.id, "digit": string(d)})
	}
}

// IsClientError reports whether err is the caller's fault (bad id, wrong
// state) rather than the gateway's.
func IsClientError(err error) bool {
	for _, e := range []error{ErrUnknownAgent, ErrNotFound, ErrState, ErrAtCapacity, ErrBadTarget, ErrNoTrunk, ErrNoSession} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
