package agent

import (
	"context"
	"time"

	"switchboard/media"
	"switchboard/router"
)

// HandleCall takes a new inbound trunk call (100 Trying already sent, SDP
// already negotiated) and routes it by its dialled number. It returns when
// the call has ended; ctx ends with the call.
func (c *Core) HandleCall(ctx context.Context, tc TrunkCall) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		_ = tc.Reject(503, "Service Unavailable")
		return
	}
	t := c.resolveLocked(tc.Number())
	c.mu.Unlock()
	log := c.log.With("sip_call_id", tc.ID(), "number", tc.Number(), "from", tc.From())
	switch t.kind {
	case "echo":
		c.echo(ctx, tc)
		return
	case "queue", "direct", "ivr":
	default:
		log.Info("no route", "status", 404)
		_ = tc.Reject(404, "Not Found")
		return
	}
	cl := c.newInbound(tc, t)
	log = log.With("call_id", cl.id)
	log.Info("call arrived", "route", t.kind, "queue", t.queue, "extension", t.ext)
	switch t.kind {
	case "queue":
		if err := c.answer(ctx, cl); err != nil {
			log.Info("answer failed", "err", err)
			break
		}
		c.mu.Lock()
		if !cl.ended {
			c.playLocked(cl, c.cfg.Music.Source())
			c.addTaskLocked(cl, router.Task{Kind: router.KindQueue, Queue: router.QueueID(t.queue)})
		}
		c.mu.Unlock()
	case "direct":
		_ = tc.Ringing()
		c.mu.Lock()
		if !cl.ended {
			c.addTaskLocked(cl, router.Task{Kind: router.KindDirect, TargetExtension: t.ext})
		}
		c.mu.Unlock()
	case "ivr":
		c.runIVR(ctx, cl)
	}
	select {
	case <-tc.Done():
	case <-ctx.Done():
	}
	c.mu.Lock()
	if !cl.ended {
		reason := tc.EndReason()
		if reason == "" {
			reason = "caller_hangup"
		}
		c.endCallLocked(cl, reason)
	}
	c.mu.Unlock()
}

// newInbound registers a new inbound call.
func (c *Core) newInbound(tc TrunkCall, t target) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	kind := t.kind
	if kind == "ivr" {
		kind = "direct"
	}
	cl := &call{
		id: c.newIDLocked("c"), kind: kind, direction: "inbound", remote: tc.From(), dialled: tc.Number(),
		queue: t.queue, tc: tc, leg: tc.Leg(), state: stateWaiting, created: now, arrived: now,
	}
	cl.leg.SetSink(media.Discard)
	c.calls[cl.id] = cl
	tc.OnDTMF(func(d rune) { c.onDTMF(cl, d) })
	return cl
}

// echo answers and loops the caller's audio back (the trunk test number).
func (c *Core) echo(ctx context.Context, tc TrunkCall) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.AnswerTimeout)
	err := tc.Answer(actx)
	cancel()
	if err != nil {
		return
	}
	leg := tc.Leg()
	leg.SetSink(leg)
	select {
	case <-tc.Done():
	case <-ctx.Done():
	}
}

// answer sends 200 OK for an inbound call and waits for the ACK.
func (c *Core) answer(ctx context.Context, cl *call) error {
	actx, cancel := context.WithTimeout(ctx, c.cfg.AnswerTimeout)
	defer cancel()
	if err := cl.tc.Answer(actx); err != nil {
		return err
	}
	c.mu.Lock()
	cl.answered = true
	c.mu.Unlock()
	return nil
}

// addTaskLocked hands the call to the router as a task.
func (c *Core) addTaskLocked(cl *call, t router.Task) {
	t.ID = router.TaskID(c.newIDLocked("t"))
	if t.Arrived.IsZero() {
		t.Arrived = cl.arrived
	}
	cl.task = t.ID
	c.byTask[t.ID] = cl
	if err := c.rt.AddTask(t, c.now()); err != nil {
		c.log.Warn("router refused task", "call_id", cl.id, "err", err)
		delete(c.byTask, t.ID)
		cl.task = ""
		c.fallbackLocked(cl, "error")
	}
	c.flushLocked()
}

// playLocked plays src to a caller who is on no agent (queue music,
// ringback, prompts), replacing what it played before.
func (c *Core) playLocked(cl *call, src media.Source) *media.Playback {
	if cl.player != nil {
		cl.player.Stop()
	}
	cl.player = c.cfg.Pacer.Play(cl.leg, cl.leg.Codec(), src)
	return cl.player
}

func (c *Core) stopPlayerLocked(cl *call) {
	if cl.player != nil {
		cl.player.Stop()
		cl.player = nil
	}
}

// announceAndHangupLocked plays clip to the caller, then hangs up.
func (c *Core) announceAndHangupLocked(cl *call, clip *media.Clip, reason string) {
	if cl.ag != nil {
		c.detachLocked(cl)
	}
	pb := c.playLocked(cl, clip.Source())
	tc := cl.tc
	limit := time.Duration(clip.Frames())*media.FrameDuration + 2*time.Second
	c.async(func() {
		t := time.NewTimer(limit)
		defer t.Stop()
		select {
		case <-pb.Done():
		case <-tc.Done():
		case <-t.C:
		case <-c.stop:
		}
		c.mu.Lock()
		c.endCallLocked(cl, reason)
		c.mu.Unlock()
		_ = tc.Hangup(reason)
	})
}
