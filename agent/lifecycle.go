package agent

import (
	"context"
	"slices"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/router"
	"switchboard/store"
)

// attachLocked puts a call on an agent's media switch in state st.
func (c *Core) attachLocked(ag *agentRT, cl *call, st media.CallState) error {
	c.stopPlayerLocked(cl)
	in, err := ag.sw.AddCall(cl.id, cl.leg, legCodec(cl.leg), st)
	if err != nil {
		return err
	}
	cl.leg.SetSink(in)
	cl.ag = ag
	cl.lastAgent = ag.cfg.ID
	ag.calls = append(ag.calls, cl)
	cl.markAgentQualityLocked()
	return nil
}

// detachLocked takes a call off its agent's switch. The caller hears
// nothing until someone plays to it or bridges it.
func (c *Core) detachLocked(cl *call) {
	ag := cl.ag
	if ag == nil {
		return
	}
	c.stopMonitorLocked(cl)   // supervision ends when the call leaves its agent
	c.stopRecordingLocked(cl) // so does its recorded part
	if cl.leg != nil {        // an outbound call being dialled has none yet
		cl.leg.SetSink(media.Discard)
	}
	ag.sw.Remove(cl.id)
	ag.calls = slices.DeleteFunc(ag.calls, func(o *call) bool { return o == cl })
	if ag.requeue == cl {
		ag.requeue = nil
	}
	if cl.merged {
		cl.merged = false
		c.unmergeLoneLocked(ag)
	}
	cl.ag = nil
	c.ringingLocked(ag)
}

// releaseLocked tells the router the agent's part of the call is over
// (wrap-up for queue calls), then detaches it.
func (c *Core) releaseLocked(cl *call) {
	ag := cl.ag
	now := c.now()
	switch {
	case cl.task != "":
		if err := c.rt.CallEnded(cl.task, now); err == nil {
			delete(c.byTask, cl.task)
			cl.task = ""
		}
	case cl.routed && ag != nil:
		c.warnIf(c.rt.EndCall(router.AgentID(ag.cfg.ID), now), "router refused end of call", "call", cl.id, "agent_id", ag.cfg.ID)
		cl.routed = false
		if cl.wrapQueue != "" { // the leader's router holds the agent in the same wrap-up
			c.warnIf(c.rt.StartWrapup(router.AgentID(ag.cfg.ID), cl.wrapQueue, now), "router refused wrap-up", "call", cl.id, "agent_id", ag.cfg.ID)
			cl.wrapQueue = ""
		}
	}
	c.detachLocked(cl)
	c.flushLocked()
	if ag != nil {
		c.notifyAgentLocked(ag)
	}
}

// activateLocked makes cl the agent's active call, holding the others
// (PROTOCOL.md section 3: at most one active call unless merged).
func (c *Core) activateLocked(cl *call) {
	ag := cl.ag
	now := c.now()
	for _, o := range ag.calls {
		if o != cl && (o.state == stateActive || o.merged) {
			c.holdLocked(o)
		}
	}
	if cl.merged {
		cl.merged = false
	}
	c.warnIf(ag.sw.SetState(cl.id, media.StateActive), "switch refused state", "call", cl.id, "state", "active")
	prev := cl.state
	cl.setState(stateActive, now)
	if prev == stateHeld {
		c.publishCallLocked(events.CallResumed, cl)
	}
	c.notifyCallLocked(cl)
	c.ringingLocked(ag)
}

// holdLocked puts one call on hold: the caller hears music, the agent's
// microphone never reaches it.
func (c *Core) holdLocked(cl *call) {
	if cl.ag == nil || cl.state == stateHeld {
		return
	}
	wasMerged := cl.merged
	cl.merged = false
	c.warnIf(cl.ag.sw.SetState(cl.id, media.StateHeld), "switch refused state", "call", cl.id, "state", "held")
	cl.setState(stateHeld, c.now())
	c.publishCallLocked(events.CallHeld, cl)
	c.notifyCallLocked(cl)
	if wasMerged {
		c.unmergeLoneLocked(cl.ag)
	}
}

// unmergeLoneLocked turns a conference of one back into a plain active call.
func (c *Core) unmergeLoneLocked(ag *agentRT) {
	var left []*call
	for _, o := range ag.calls {
		if o.merged {
			left = append(left, o)
		}
	}
	if len(left) == 1 {
		left[0].merged = false
		c.warnIf(ag.sw.SetState(left[0].id, media.StateActive), "switch refused state", "call", left[0].id, "state", "active")
		left[0].setState(stateActive, c.now())
		c.notifyCallLocked(left[0])
	}
}

// endCallLocked ends a call in the core: withdraws its task or offer, takes
// it off its agent, tells the agent, publishes call.ended and writes the
// call record. It does not speak SIP: whoever calls it hangs up the dialog
// if needed (hangupLocked). Idempotent.
func (c *Core) endCallLocked(cl *call, reason string) {
	if cl.ended {
		return
	}
	cl.ended = true
	cl.finalQuality = cl.qualityLocked() // before the agent is released
	delete(c.queued, cl)
	now := c.now()
	if cl.outcome == "" {
		cl.outcome = reason
	}
	c.stopPlayerLocked(cl)
	c.parkEndedLocked(cl)
	if cl.cancelDial != nil {
		cl.cancelDial()
	}
	if cl.consultFor != nil {
		cl.consultFor.consult = nil
		cl.consultFor = nil
	}
	if cl.consult != nil {
		cl.consult.consultFor = nil
		cl.consult = nil
	}
	if cl.floorTask != "" {
		c.floorCancelLocked(cl)
	}
	c.endPeerLocked(cl, reason)
	if cl.task != "" && cl.ag == nil {
		// The router withdraws a live offer (reservation.ended canceled to
		// the agent): flush while the task still maps to this call.
		task := cl.task
		if err := c.rt.CancelTask(task, now); err != nil {
			c.log.Warn("router refused cancel", "call", cl.id, "err", err)
		}
		c.flushLocked()
		delete(c.byTask, task)
		cl.task = ""
	}
	ag := cl.ag
	if ag != nil {
		c.releaseLocked(cl)
	}
	if cl.bridged != nil {
		b := cl.bridged
		cl.bridged = nil
		b.bridged = nil
		if !b.ended {
			c.endCallLocked(b, "bridged_party_hangup")
			c.hangupLocked(b, "bridged_party_hangup")
		}
	}
	c.flushLocked()
	cl.setState(stateEnded, now)
	delete(c.calls, cl.id)
	if ag != nil {
		c.notifyLocked(ag, "call.ended", EndedView{ID: cl.id, Reason: reason})
		c.notifyAgentLocked(ag)
	}
	c.recordLocked(cl, now)
	c.log.Info("call ended", "call", cl.id, "reason", reason, "agent_id", cl.lastAgent,
		"duration_ms", now.Sub(cl.created).Milliseconds())
}

// hangupLocked ends the SIP side of a call (BYE, or a final response before
// answer) on a goroutine. It reads the call under the lock: an outbound
// call's dialog appears only when the far end answers.
func (c *Core) hangupLocked(cl *call, reason string) {
	if cl.tc == nil {
		return
	}
	tc := cl.tc
	c.async(func() { c.infoIf(tc.Hangup(reason), "hangup failed", "call", cl.id) })
}

// seconds builds the four durations of a call at now: wait (arrival to
// first accept, or to now if never accepted), ring (time offered to
// agents), talk (time active, bridged or merged) and hold (time held, also
// while another call of the agent was active).
func (cl *call) seconds(now time.Time) (wait, ring, talk, hold float64) {
	holdDur := cl.holdDur
	if !cl.holdSince.IsZero() {
		holdDur += now.Sub(cl.holdSince)
	}
	talkDur := cl.talkDur
	if !cl.talkSince.IsZero() {
		talkDur += now.Sub(cl.talkSince)
	}
	ringDur := cl.ringDur
	if cl.res != "" {
		ringDur += now.Sub(cl.resAt)
	}
	end := cl.firstAccept
	if end.IsZero() {
		end = now
	}
	return end.Sub(cl.created).Seconds(), ringDur.Seconds(), talkDur.Seconds(), holdDur.Seconds()
}

// recordLocked publishes call.ended and stores the call record.
func (c *Core) recordLocked(cl *call, now time.Time) {
	wait, ring, talk, hold := cl.seconds(now)
	park := cl.parkDur.Seconds()
	c.publishLocked(events.Event{
		Type: events.CallEnded, At: now, Call: cl.id, Agent: cl.lastAgent, Queue: cl.queue, Kind: cl.kind,
		From: cl.remote, To: cl.dialled, Reason: cl.outcome,
		WaitSeconds: &wait, RingSeconds: &ring, TalkSeconds: &talk, HoldSeconds: &hold,
		ParkSeconds: &park,
		Quality:     qualityOrNil(cl.finalQuality),
	})
	rec := store.CallRecord{
		Call: cl.id, Agent: cl.lastAgent, Queue: cl.queue, Kind: cl.kind, Direction: cl.direction,
		From: cl.remote, To: cl.dialled, StartedAt: cl.created, EndedAt: now,
		WaitSeconds: wait, RingSeconds: ring, TalkSeconds: talk, HoldSeconds: hold, Outcome: cl.outcome,
		ParkSeconds: park,
		Quality:     qualityOrNil(cl.finalQuality),
	}
	if !cl.firstAccept.IsZero() && cl.outcome != "" && cl.outcome != "fallback_rejected" {
		rec.Outcome = "answered:" + cl.outcome
	}
	recWait := cl.recordingRefs(&rec)
	if !cl.peerRecord(&rec) {
		return
	}
	st := c.cfg.Store
	c.async(func() {
		waitParts(recWait, 10*time.Second) // a recording named in a record is complete
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := st.AppendRecord(ctx, rec); err != nil {
			c.log.Warn("call record not stored", "call", rec.Call, "err", err)
		}
	})
}

// publishCallLocked publishes a call.* event about cl.
func (c *Core) publishCallLocked(typ string, cl *call) {
	e := events.Event{Type: typ, Call: cl.id, Queue: cl.queue, Kind: cl.kind, From: cl.remote, To: cl.dialled}
	if cl.ag != nil {
		e.Agent = cl.ag.cfg.ID
	}
	c.publishLocked(e)
}

// legCodec is the leg's negotiated codec, or PCMU while it has none yet (a
// caller whose INVITE had no SDP offer answers ours only in its ACK). Legs
// transcode what they are given to what they negotiated, and incoming
// packets carry their own codec, so the placeholder only picks the law the
// switch encodes mixed frames in.
func legCodec(l Leg) media.Codec {
	if c := l.Codec(); c != media.CodecUnknown {
		return c
	}
	return media.PCMU
}
