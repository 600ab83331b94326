package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/media"
	"switchboard/router"
	"switchboard/view"
)

// Dial places a call for an agent: to another agent's extension, into a
// queue ("queue:<id>"), or to an outside number through the trunk. The
// agent's active call is held first. The call is returned ringing; its
// progress arrives as call.updated notifications.
func (c *Core) Dial(ctx context.Context, agentID, to string) (view.Call, error) {
	cl, err := c.startOutbound(agentID, to, "outbound", nil)
	if err != nil {
		return view.Call{}, err
	}
	return locked2(c, func() (view.Call, error) { return cl.view(), nil })
}

// startOutbound registers an outbound call of the agent toward to and
// starts dialling it on a core goroutine. consultFor, if not nil, is the
// caller this call consults for (a warm transfer): the two are linked
// before the callee is offered the call.
func (c *Core) startOutbound(agentID, to, kind string, consultFor *call) (*call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.agents[agentID]
	if ag == nil {
		return nil, ErrUnknownAgent
	}
	if ag.sess == nil {
		return nil, ErrNoSession
	}
	if c.isParkSlotLocked(to) {
		// Dialling a park slot picks its call up (PROTOCOL §11).
		return c.pickupLocked(agentID, to)
	}
	internal := false
	number := to
	switch {
	case strings.HasPrefix(to, "queue:"):
		q := strings.TrimPrefix(to, "queue:")
		if _, ok := c.queues[q]; !ok {
			return nil, fmt.Errorf("queue %q: %w", q, ErrBadTarget)
		}
		internal = true
	case c.byExt[to] != nil:
		if c.byExt[to] == ag {
			return nil, fmt.Errorf("cannot call your own extension: %w", ErrBadTarget)
		}
		internal = true
	case !validNumber(to):
		return nil, fmt.Errorf("to %q: not an extension, queue:<id> or phone number: %w", to, ErrBadTarget)
	case c.cfg.Dialer == nil:
		return nil, ErrNoTrunk
	}
	now := c.now()
	if err := c.rt.AddCall(router.AgentID(agentID), now); err != nil {
		c.flushLocked()
		return nil, fmt.Errorf("%w: %v", ErrAtCapacity, err)
	}
	cl := &call{
		id: c.newIDLocked("c"), kind: kind, direction: "outbound", remote: to, dialled: to,
		state: stateRinging, created: now, arrived: now, routed: true,
	}
	if strings.HasPrefix(to, "queue:") {
		cl.queue = strings.TrimPrefix(to, "queue:")
	}
	c.calls[cl.id] = cl
	if consultFor != nil {
		cl.consultFor, consultFor.consult = consultFor, cl
	}
	// PROTOCOL.md section 3: dialling out holds the agent's active call.
	for _, o := range ag.calls {
		if o.state == stateActive || o.merged {
			c.holdLocked(o)
		}
	}
	cl.ag = ag // owned by the agent from the start (not on its switch yet)
	cl.lastAgent = agentID
	ag.calls = append(ag.calls, cl)
	c.flushLocked()
	c.notifyAgentLocked(ag)
	c.notifyCallLocked(cl)
	from := ag.cfg.Extension
	ctx, cancel := context.WithCancel(context.Background())
	cl.cancelDial = cancel
	if internal {
		caller, callee := newInternalCall(&c.wg, c.log, cl.id, number, from)
		caller.d.ringing = func() {}
		callee.callerName, callee.extra = ag.cfg.Name, c.consultAttrsLocked(ag, consultFor)
		cl.tc = caller
		cl.leg = caller.Leg()
		c.async(func() { c.HandleCall(ctx, callee) })
		c.async(func() { c.runInternalDial(ctx, cl, caller) })
	} else {
		c.async(func() { c.runTrunkDial(ctx, cl, to, from) })
	}
	c.log.Info("dialling", "call", cl.id, "agent_id", agentID, "to", to, "internal", internal)
	return cl, nil
}

// validNumber accepts phone numbers: digits with an optional leading '+',
// and '*' or '#'.
func validNumber(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, r := range s {
		if (r < '0' || r > '9') && r != '*' && r != '#' && !(r == '+' && i == 0) {
			return false
		}
	}
	return true
}

// runInternalDial waits for the callee side of an internal call.
func (c *Core) runInternalDial(ctx context.Context, cl *call, caller *internalEnd) {
	c.locked(func() {
		if cl.ag != nil && !cl.ended {
			c.putOnSwitchLocked(cl, media.StateHeld)
		}
	})
	ring := time.NewTimer(c.cfg.RingTimeout)
	defer ring.Stop()
	select {
	case <-caller.d.answered:
		ring.Stop()
		c.outboundAnswered(cl)
		<-caller.Done()
	case <-caller.Done():
	case <-ctx.Done():
		c.infoIf(caller.Hangup("canceled"), "hangup failed", "call", cl.id)
	case <-ring.C: // PROTOCOL §14: unanswered after RingTimeout
		c.infoIf(caller.Hangup(reasonRingTimeout), "hangup failed", "call", cl.id)
	}
	c.endDial(cl, caller.EndReason)
}

// endDial ends an outbound call whose far end is gone, with the far end's
// reason (read under the lock; "" means "hangup").
func (c *Core) endDial(cl *call, endReason func() string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	reason := endReason()
	if reason == "" {
		reason = "hangup"
	}
	c.endCallLocked(cl, reason)
}

// runTrunkDial places a call through the trunk for an agent.
func (c *Core) runTrunkDial(ctx context.Context, cl *call, to, from string) {
	tc, err := c.dialRinging(ctx, to, from, func(code int, leg TrunkLeg) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if cl.ended || leg == nil || cl.ag == nil {
			return
		}
		if cl.leg == nil {
			cl.leg = leg
		}
		// Early media (183): the agent hears the far end before answer.
		// The far end does not hear the agent before it answers.
		if code == 183 && cl.state == stateRinging {
			c.putOnSwitchLocked(cl, media.StateActive)
			c.warnIf(cl.ag.sw.SetMuted(cl.id, true), "switch refused mute", "call", cl.id)
		}
	})
	if err != nil {
		c.log.Info("dial failed", "call", cl.id, "to", to, "err", err)
		c.locked(func() { c.endCallLocked(cl, dialFailReason(err, "dial_failed: "+err.Error())) })
		return
	}
	ended, _ := locked2(c, func() (bool, error) { // the error is always nil
		cl.tc = tc
		if cl.leg == nil {
			cl.leg = tc.Leg()
		}
		return cl.ended, nil
	})
	if ended {
		c.infoIf(tc.Hangup("canceled"), "hangup failed", "call", cl.id)
		return
	}
	tc.OnDTMF(func(d rune) { c.onDTMF(cl, d) })
	c.outboundAnswered(cl)
	<-tc.Done()
	c.endDial(cl, tc.EndReason)
}

// putOnSwitchLocked connects an outbound call's leg to its agent's switch.
func (c *Core) putOnSwitchLocked(cl *call, st media.CallState) {
	ag := cl.ag
	if _, on := ag.sw.State(cl.id); on {
		return
	}
	in, err := ag.sw.AddCall(cl.id, cl.leg, legCodec(cl.leg), st)
	if err != nil {
		c.log.Warn("switch refused call", "call", cl.id, "err", err)
		return
	}
	cl.leg.SetSink(in)
}

// outboundAnswered makes an answered outbound call the agent's active call
// (unless the agent has since made another call active).
func (c *Core) outboundAnswered(cl *call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl.ended || cl.ag == nil {
		return
	}
	cl.answered = true
	cl.markAccepted(c.now())
	c.putOnSwitchLocked(cl, media.StateHeld)
	c.warnIf(cl.ag.sw.SetMuted(cl.id, cl.muted), "switch refused mute", "call", cl.id)
	c.startRecordingLocked(cl)
	if cl.state == stateRinging {
		c.activateLocked(cl)
	}
	c.publishCallLocked("call.answered", cl)
	c.notifyCallLocked(cl)
	if cl.onAnswer != nil {
		fn := cl.onAnswer
		cl.onAnswer = nil
		fn()
	}
}

// reasonRingTimeout ends an outbound call or transfer nobody answered
// within Config.RingTimeout.
const reasonRingTimeout = "ring_timeout"

// errRingTimeout is the cause of a dial cancelled by the ring timeout.
var errRingTimeout = errors.New(reasonRingTimeout)

// dialRinging is Dialer.Dial bounded by Config.RingTimeout (PROTOCOL §14:
// outbound calls and transfers that ring unanswered are cancelled after
// 60 s). The bound ends only the dialling: an answered call goes on.
func (c *Core) dialRinging(ctx context.Context, to, from string, onProgress func(int, TrunkLeg)) (TrunkCall, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.RingTimeout, errRingTimeout)
	defer cancel()
	tc, err := c.cfg.Dialer.Dial(ctx, to, from, onProgress)
	if err != nil && errors.Is(context.Cause(ctx), errRingTimeout) {
		return nil, fmt.Errorf("%w: %w", errRingTimeout, err)
	}
	return tc, err
}

// dialFailReason is the end reason of a call whose dialling failed.
// (fail otherwise).
func dialFailReason(err error, fail string) string {
	if errors.Is(err, errRingTimeout) {
		return reasonRingTimeout
	}
	return fail
}
