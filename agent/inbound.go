package agent

import (
	"context"
	"strings"
	"time"

	"switchboard/media"
	"switchboard/router"
	"switchboard/store"
)

// HandleCall takes a new inbound trunk call (100 Trying already sent, SDP
// already negotiated) and routes it by its dialled number. It returns when
// the call has ended; ctx ends with the call.
func (c *Core) HandleCall(ctx context.Context, tc TrunkCall) {
	t, closing := locked2(c, func() (target, bool) {
		if c.closing {
			return target{}, true
		}
		t := c.resolveLocked(tc.Number())
		if ie, ok := tc.(*internalEnd); ok && ie.callee && strings.HasPrefix(tc.Number(), "queue:") {
			// An agent dialling or transferring into a queue (never reachable
			// from the trunk: a carrier's number goes through the routes).
			t = target{kind: "queue", queue: strings.TrimPrefix(tc.Number(), "queue:")}
		}
		return t, false
	})
	if closing {
		c.infoIf(tc.Reject(503, "Service Unavailable"), "reject failed", "sip_call_id", tc.ID(), "status", 503)
		return
	}
	log := c.log.With("sip_call_id", tc.ID(), "number", tc.Number(), "from", tc.From())
	switch t.kind {
	case "echo":
		c.echo(ctx, tc)
		return
	case "queue", "direct", "ivr", "workflow", "menu":
	default:
		log.Info("no route", "status", 404)
		c.infoIf(tc.Reject(404, "Not Found"), "reject failed", "sip_call_id", tc.ID(), "status", 404)
		return
	}
	cl := c.newInbound(tc, t)
	if cl == nil {
		c.infoIf(tc.Reject(503, "Service Unavailable"), "reject failed", "sip_call_id", tc.ID(), "status", 503)
		return
	}
	tc.OnDTMF(func(d rune) { c.onDTMF(cl, d) })
	log = log.With("call", cl.id)
	log.Info("call arrived", "route", t.kind, "queue", t.queue, "extension", t.ext)
	switch t.kind {
	case "queue", "workflow":
		if err := c.answer(ctx, cl); err != nil {
			log.Info("answer failed", "err", err)
			break
		}
		task := router.Task{Kind: router.KindQueue, Queue: router.QueueID(t.queue)}
		if t.kind == "workflow" {
			task = router.Task{Kind: router.KindQueue, Workflow: router.WorkflowID(t.workflow), Attributes: cl.attrs}
		}
		c.locked(func() {
			if !cl.ended {
				c.playLocked(cl, c.cfg.Music.Source())
				c.addTaskLocked(cl, task)
			}
		})
	case "direct":
		c.infoIf(tc.Ringing(), "180 Ringing not sent", "call", cl.id)
		c.locked(func() {
			if !cl.ended {
				c.addTaskLocked(cl, router.Task{Kind: router.KindDirect, TargetExtension: t.ext})
			}
		})
	case "ivr":
		c.runIVR(ctx, cl)
	case "menu":
		c.runMenu(ctx, cl, t.menu)
	}
	c.endWhenDone(ctx, tc, cl)
}

// newInbound registers a new inbound call; nil while closing.
func (c *Core) newInbound(tc TrunkCall, t target) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	now := c.now()
	kind := t.kind
	if kind == "ivr" || kind == "menu" {
		kind = "direct"
	}
	if kind == "workflow" {
		kind = "queue"
	}
	cl := &call{
		id: c.newIDLocked("c"), kind: kind, direction: "inbound", remote: tc.From(), dialled: tc.Number(),
		queue: t.queue, tc: tc, leg: tc.Leg(), state: stateWaiting, created: now, arrived: now,
	}
	cl.attrs = callAttributes(tc)
	cl.leg.SetSink(media.Discard)
	c.calls[cl.id] = cl
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
	c.locked(func() { cl.answered = true })
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
	if t.Queue != "" && cl.waitUntil.IsZero() {
		// PROTOCOL.md section 2: no caller waits forever. The limit counts
		// from arrival and survives re-queueing.
		maxWait := time.Duration(c.queues[string(t.Queue)].MaxWaitSeconds) * time.Second
		if maxWait <= 0 {
			maxWait = store.DefaultMaxWaitSeconds * time.Second
		}
		cl.waitUntil = t.Arrived.Add(maxWait)
	}
	if t.Queue != "" {
		c.queued[cl] = struct{}{}
	}
	if c.cfg.Floor != nil && (t.Kind == router.KindQueue || t.Kind == router.KindTransfer || t.Kind == router.KindDirect) {
		if t.Queue == "" && t.Workflow != "" && cl.waitUntil.IsZero() {
			// A workflow call learns its queue (and that queue's bound)
			// from the leader's moved decision; until then, with no leader
			// (Redis away, an election), it is bounded by the longest
			// max_wait of any queue, so it still never waits forever.
			cl.waitUntil, cl.waitProvisional = t.Arrived.Add(c.longestMaxWaitLocked()), true
			c.queued[cl] = struct{}{}
		}
		c.floorTaskLocked(cl, t)
		c.poke() // its max_wait deadline
		return
	}
	if err := c.rt.AddTask(t, c.now()); err != nil {
		c.log.Warn("router refused task", "call", cl.id, "err", err)
		delete(c.byTask, t.ID)
		cl.task = ""
		c.fallbackLocked(cl, "error")
	} else if t.Workflow != "" {
		c.workflowQueuedLocked(cl, t.ID)
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
	if ag := cl.ag; ag != nil {
		// Off the agent, in the router too (its load, wrap-up).
		c.releaseLocked(cl)
		c.notifyLocked(ag, "call.ended", EndedView{ID: cl.id, Reason: reason})
	}
	played := c.playClipLocked(cl, clip)
	tc := cl.tc
	limit := time.Duration(clip.Frames())*media.FrameDuration + 2*time.Second
	c.async(func() {
		t := time.NewTimer(limit)
		defer t.Stop()
		select {
		case <-played:
		case <-tc.Done():
		case <-t.C:
		case <-c.stop:
		}
		c.locked(func() { c.endCallLocked(cl, reason) })
		c.infoIf(tc.Hangup(reason), "hangup failed", "call", cl.id)
	})
}

// playClipLocked plays a prompt once to a caller on no agent and returns a
// channel closed when it has played. The clip is followed by silence until
// the player is replaced or stopped: a Playback whose Source runs out ends
// itself on the pacer's goroutine, which races with Pacer.Play's own setup
// (media.Playback.untick is written after Register); the core always stops
// its players itself instead.
func (c *Core) playClipLocked(cl *call, clip *media.Clip) <-chan struct{} {
	src := &clipSource{src: clip.Source(), done: make(chan struct{})}
	c.playLocked(cl, src)
	return src.done
}

// clipSource is a one-shot Source followed by endless silence.
type clipSource struct {
	src   media.Source
	done  chan struct{}
	ended bool // only the pacer's goroutine touches it (under the Playback's lock)
}

// ReadFrame implements media.Source.
func (s *clipSource) ReadFrame(dst []int16) bool {
	if !s.ended {
		if s.src.ReadFrame(dst) {
			return true
		}
		s.ended = true
		close(s.done)
	}
	clear(dst)
	return true
}

// endWhenDone waits until the trunk call or ctx ends, then ends cl (with the
// trunk's reason, caller_hangup when it gives none) unless it has ended.
func (c *Core) endWhenDone(ctx context.Context, tc TrunkCall, cl *call) {
	select {
	case <-tc.Done():
	case <-ctx.Done():
	}
	c.locked(func() {
		if !cl.ended {
			reason := tc.EndReason()
			if reason == "" {
				reason = "caller_hangup"
			}
			c.endCallLocked(cl, reason)
		}
	})
}
