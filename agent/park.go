package agent

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/router"
	"switchboard/view"
)

// Park (PROTOCOL §11): call.park takes an answered call off its agent into
// a numbered slot, which frees the agent's capacity (unlike hold); the
// caller hears music. Any agent picks it up (call.pickup, or dialling the
// slot's number). A call parked longer than Config.ParkTimeout is offered
// back to the agent who parked it as a direct call of kind park_return.

// Events of park (PROTOCOL §11).
const (
	EventCallParked   = "call.parked"
	EventCallUnparked = "call.unparked"
)

// DefaultParkSlots is the -park-slots default.
const DefaultParkSlots = "700-719"

// maxParkSlots bounds the slot list (every map has a bound).
const maxParkSlots = 1000

// ParseParkSlots parses "700-719" (a range) or "700,701,705" (a list, the
// two may be mixed) into slot numbers.
func ParseParkSlots(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(v string) error {
		if seen[v] {
			return fmt.Errorf("slot %s twice", v)
		}
		seen[v] = true
		out = append(out, v)
		if len(out) > maxParkSlots {
			return fmt.Errorf("more than %d slots", maxParkSlots)
		}
		return nil
	}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 || !validNumber(lo) {
			return nil, fmt.Errorf("slot %q: not a number", lo)
		}
		if !isRange {
			if err := add(lo); err != nil {
				return nil, err
			}
			continue
		}
		b, err := strconv.Atoi(hi)
		if err != nil || b < a || len(hi) != len(lo) {
			return nil, fmt.Errorf("range %q: want low-high with digits of the same length", part)
		}
		if b-a >= maxParkSlots {
			return nil, fmt.Errorf("range %q: more than %d slots", part, maxParkSlots)
		}
		for n := a; n <= b; n++ {
			if err := add(fmt.Sprintf("%0*d", len(lo), n)); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no slots")
	}
	return out, nil
}

// ParkResult answers call.park.
type ParkResult struct {
	Call string `json:"call"`
	Slot string `json:"slot"`
}

// parking is one parked call.
type parking struct {
	slot  string
	cl    *call
	by    *agentRT
	since time.Time
	until time.Time // when it returns to its parker
}

// parkInit sets the slots up (New).
func (c *Core) parkInit() error {
	if c.cfg.ParkTimeout == 0 {
		c.cfg.ParkTimeout = 120 * time.Second
	}
	if len(c.cfg.ParkSlots) == 0 {
		s, err := ParseParkSlots(DefaultParkSlots)
		if err != nil {
			return err
		}
		c.cfg.ParkSlots = s
	}
	c.parked = make(map[string]*parking, len(c.cfg.ParkSlots))
	return nil
}

// Park parks one of the agent's answered calls in the first free slot.
func (c *Core) Park(agentID, callID string) (ParkResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag, cl, err := c.lookupLocked(agentID, callID)
	if err != nil {
		return ParkResult{}, err
	}
	if !cl.answered || cl.state == stateRinging || cl.tc == nil || cl.leg == nil {
		return ParkResult{}, fmt.Errorf("call %s is not answered: %w", callID, ErrState)
	}
	if cl.consult != nil || cl.consultFor != nil || cl.bridged != nil {
		return ParkResult{}, fmt.Errorf("call %s is in a transfer: %w", callID, ErrState)
	}
	slot := ""
	for _, s := range c.cfg.ParkSlots {
		if c.parked[s] == nil {
			slot = s
			break
		}
	}
	if slot == "" {
		return ParkResult{}, fmt.Errorf("every park slot is taken: %w", ErrAtCapacity)
	}
	now := c.now()
	c.releaseLocked(cl) // frees the agent's capacity
	c.notifyLocked(ag, "call.ended", EndedView{ID: cl.id, Reason: "parked"})
	c.notifyAgentLocked(ag)
	cl.setState(stateParked, now)
	c.playLocked(cl, c.cfg.Music.Source())
	p := &parking{slot: slot, cl: cl, by: ag, since: now, until: now.Add(c.cfg.ParkTimeout)}
	c.parked[slot] = p
	cl.parking = p
	c.publishLocked(events.Event{Type: EventCallParked, Agent: agentID, Call: cl.id, Queue: cl.queue, Kind: cl.kind,
		From: cl.remote, To: cl.dialled, Detail: map[string]any{"slot": slot}})
	c.parkUpdatedLocked()
	c.poke()
	c.log.Info("call parked", "call", cl.id, "agent_id", agentID, "slot", slot)
	return ParkResult{Call: cl.id, Slot: slot}, nil
}

// Pickup gives the call parked in slot to the agent as its active call
// (its own active call is held first).
func (c *Core) Pickup(agentID, slot string) (view.Call, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, err := c.pickupLocked(agentID, slot)
	if err != nil {
		return view.Call{}, err
	}
	return cl.view(), nil
}

// pickupLocked is Pickup under the lock; it returns the picked-up call.
func (c *Core) pickupLocked(agentID, slot string) (*call, error) {
	ag := c.agents[agentID]
	if ag == nil {
		return nil, ErrUnknownAgent
	}
	if ag.sess == nil {
		return nil, ErrNoSession
	}
	p := c.parked[slot]
	if p == nil {
		return nil, fmt.Errorf("park slot %s: %w", slot, ErrNotFound)
	}
	now := c.now()
	if err := c.rt.AddCall(router.AgentID(agentID), now); err != nil {
		c.flushLocked()
		return nil, fmt.Errorf("%w: %v", ErrAtCapacity, err)
	}
	cl := p.cl
	c.unparkLocked(p, agentID, "picked_up")
	if err := c.attachLocked(ag, cl, media.StateHeld); err != nil {
		c.warnIf(c.rt.EndCall(router.AgentID(agentID), now), "router refused end of call", "call", cl.id, "agent_id", agentID)
		c.flushLocked()
		c.fallbackLocked(cl, "error")
		return nil, err
	}
	cl.routed = true
	cl.markAccepted(now)
	c.startRecordingLocked(cl)
	c.activateLocked(cl)
	c.flushLocked()
	c.notifyAgentLocked(ag)
	c.log.Info("call picked up", "call", cl.id, "agent_id", agentID, "slot", slot)
	return cl, nil
}

// unparkLocked frees p's slot: the call is on no agent and hears nothing
// until the caller of unparkLocked gives it somewhere to go.
func (c *Core) unparkLocked(p *parking, agentID, reason string) {
	cl := p.cl
	delete(c.parked, p.slot)
	cl.parking = nil
	cl.parkDur += c.now().Sub(p.since)
	c.stopPlayerLocked(cl)
	c.publishLocked(events.Event{Type: EventCallUnparked, Agent: agentID, Call: cl.id, Queue: cl.queue, Kind: cl.kind,
		From: cl.remote, To: cl.dialled, Reason: reason, Detail: map[string]any{"slot": p.slot, "by": p.by.cfg.ID}})
	c.parkUpdatedLocked()
}

// parkEndedLocked frees the slot of a parked call that ended (the caller
// hung up); endCallLocked calls it.
func (c *Core) parkEndedLocked(cl *call) {
	if cl.parking != nil {
		c.unparkLocked(cl.parking, "", "ended")
	}
}

// parkAdvanceLocked returns calls parked too long to their parkers as
// park_return direct calls (Advance).
func (c *Core) parkAdvanceLocked(now time.Time) {
	for _, p := range c.parked {
		if now.Before(p.until) {
			continue
		}
		cl := p.cl
		c.unparkLocked(p, "", "timeout")
		cl.kind = "park_return"
		cl.setState(stateWaiting, now)
		c.playLocked(cl, c.cfg.Music.Source())
		if c.agents[p.by.cfg.ID] != p.by || p.by.cfg.Extension == "" {
			c.fallbackLocked(cl, "park_return")
			continue
		}
		c.log.Info("park timeout: back to parker", "call", cl.id, "agent_id", p.by.cfg.ID, "slot", p.slot)
		c.addTaskLocked(cl, router.Task{Kind: router.KindDirect, TargetExtension: p.by.cfg.Extension, Arrived: now})
	}
}

// parkDeadlineLocked folds the earliest park timeout into next.
func (c *Core) parkDeadlineLocked(next time.Time, ok bool) (time.Time, bool) {
	for _, p := range c.parked {
		if !ok || p.until.Before(next) {
			next, ok = p.until, true
		}
	}
	return next, ok
}

// parkedLocked is state.parked, by slot.
func (c *Core) parkedLocked() []view.Parked {
	out := make([]view.Parked, 0, len(c.parked))
	for _, p := range c.parked {
		out = append(out, view.Parked{Slot: p.slot, Call: p.cl.id, By: p.by.cfg.ID, Since: ts(p.since), From: p.cl.remote})
	}
	slices.SortFunc(out, func(a, b view.Parked) int { return strings.Compare(a.Slot, b.Slot) })
	return out
}

// parkUpdatedLocked sends park.updated {parked} to every logged-in agent.
func (c *Core) parkUpdatedLocked() {
	c.notifyAllLocked("park.updated", map[string]any{"parked": c.parkedLocked()})
}

// isParkSlotLocked reports whether to is a parked slot's number (call.dial
// of a slot picks it up).
func (c *Core) isParkSlotLocked(to string) bool { return c.parked[to] != nil }
