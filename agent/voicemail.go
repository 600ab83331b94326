package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/media/prompts"
	"switchboard/media/wavrec"
	"switchboard/router"
	"switchboard/store"
)

// Voicemail (PROTOCOL §11). A direct call whose agent has voicemail on, and
// that would otherwise end (486, or the announcement and BYE) because the
// agent rejected it, did not answer in time, is at capacity, or is not
// available or not logged in, goes to the agent's box instead; so does a
// call of a queue with voicemail on when the queue's max_wait_seconds runs
// out. The caller is answered if it was not yet, hears the greeting
// (vm-<agent> if the agent has one, else the built-in one) and the beep,
// and is recorded until BYE, '#' or VoicemailConfig.Max. A message under
// MinVoicemail is dropped; the others are stored (file under
// VoicemailConfig.Dir, metadata in the store's VoicemailStore) and
// announced with voicemail.new to the agent, or to every member of the
// queue. Audio reaches the disk through a media/wavrec Recorder set as the
// caller leg's sink: a bounded queue and a writer goroutine, never the
// pacer.

// VoicemailConfig configures voicemail. Voicemail is off (the v1
// fallbacks stay) while Dir is empty or the store is no VoicemailStore.
type VoicemailConfig struct {
	// Dir holds the messages' WAV files; it is created if missing.
	Dir string
	// Max is the longest message (-voicemail-max); 0 means 120 s.
	Max time.Duration
	// Retention deletes messages older than this (-voicemail-retention);
	// 0 keeps them.
	Retention time.Duration
	// Greeting returns the agent's own greeting (prompt vm-<agent id>), or
	// nil for the built-in one. Nil means greetings under Dir
	// (greetings.go). It is called off the core's lock.
	Greeting func(agentID string) *media.Clip
}

// Voicemail limits and names.
const (
	// MinVoicemail is the shortest message kept.
	MinVoicemail = time.Second
	// DefaultVoicemailMax is VoicemailConfig.Max's default.
	DefaultVoicemailMax = 120 * time.Second
	// maxRecordings bounds the messages being left at once; a call beyond
	// it gets the v1 fallback.
	maxRecordings = 256
	// EventVoicemailNew is published (and notified) for a stored message.
	EventVoicemailNew = "voicemail.new"
	// stateVoicemail is a call's state while its caller leaves a message
	// (an addition to the Call states; the call is on no agent).
	stateVoicemail = "voicemail"
)

// vmBox is where a message goes: an agent's box or a queue's.
type vmBox struct{ agent, queue string }

// voicemailInit prepares voicemail (New): the directory, the prompts.
func (c *Core) voicemailInit() error {
	vc := &c.cfg.Voicemail
	if vc.Max <= 0 {
		vc.Max = DefaultVoicemailMax
	}
	if c.cfg.Prompts.Voicemail == nil || c.cfg.Prompts.Beep == nil {
		p, err := prompts.Load()
		if err != nil {
			return err
		}
		if c.cfg.Prompts.Voicemail == nil {
			c.cfg.Prompts.Voicemail = p.Voicemail
		}
		if c.cfg.Prompts.Beep == nil {
			c.cfg.Prompts.Beep = p.Beep
		}
	}
	c.recording = map[*call]struct{}{}
	if vs, ok := c.cfg.Store.(store.VoicemailStore); ok && vc.Dir != "" {
		if err := os.MkdirAll(vc.Dir, 0o750); err != nil {
			return err
		}
		c.vm = vs
		if vc.Greeting == nil {
			vc.Greeting = c.fileGreeting
		}
	}
	c.tokens = map[string]*agentRT{}
	return nil
}

// voicemailFallbackLocked sends a direct call the router gave up on to its
// agent's box when the reason and the agent allow it; it reports whether
// it did.
func (c *Core) voicemailFallbackLocked(cl *call, e router.Event) bool {
	switch e.Reason {
	case router.ReasonRejected, router.ReasonTimeout, router.ReasonBusy, router.ReasonUnavailable, router.ReasonDisconnected:
	default:
		return false
	}
	if e.Extension == "" {
		return false
	}
	ag := c.byExt[e.Extension]
	if ag == nil || !voicemailOn(ag.cfg) {
		return false
	}
	return c.startVoicemailLocked(cl, vmBox{agent: ag.cfg.ID}, e.Reason)
}

// voicemailOn is the agent's voicemail setting (nil means the default, on).
func voicemailOn(a store.Agent) bool { return a.Voicemail == nil || *a.Voicemail }

// queueVoicemailLocked sends a call whose queue wait ran out to the
// queue's box when the queue has voicemail on.
func (c *Core) queueVoicemailLocked(cl *call) bool {
	q, ok := c.queues[cl.queue]
	if !ok || !q.Voicemail {
		return false
	}
	return c.startVoicemailLocked(cl, vmBox{queue: q.ID}, "queue_timeout")
}

// startVoicemailLocked starts leaving a message in box; false (nothing
// done) when voicemail is off or at its bound.
func (c *Core) startVoicemailLocked(cl *call, box vmBox, why string) bool {
	if c.vm == nil || cl.ended || cl.fallingBack || cl.tc == nil || cl.leg == nil || c.closing {
		return false
	}
	if len(c.recording) >= maxRecordings {
		c.log.Warn("voicemail at its bound: v1 fallback", "call", cl.id, "recording", len(c.recording))
		return false
	}
	cl.fallingBack = true
	cl.outcome = "voicemail"
	if ag := cl.ag; ag != nil {
		c.releaseLocked(cl)
		c.notifyLocked(ag, "call.ended", EndedView{ID: cl.id, Reason: "voicemail"})
	}
	cl.setState(stateVoicemail, c.now())
	digits := make(chan rune, 8) // '#' ends the message; more typed ahead is dropped
	cl.digits = digits
	c.recording[cl] = struct{}{}
	c.log.Info("voicemail", "call", cl.id, "agent_id", box.agent, "queue", box.queue, "why", why, "answered", cl.answered)
	c.async(func() { c.runVoicemail(cl, box, digits) })
	return true
}

// runVoicemail is one caller leaving a message; it runs on a core
// goroutine until the message is stored or dropped and the call ended.
func (c *Core) runVoicemail(cl *call, box vmBox, digits chan rune) {
	defer c.locked(func() {
		delete(c.recording, cl)
		if cl.digits == digits {
			cl.digits = nil
		}
	})
	done := cl.tc.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.async(func() {
		select {
		case <-c.stop:
		case <-done:
		case <-ctx.Done():
		}
		cancel()
	})
	hangup := func(reason string) {
		c.locked(func() {
			if !cl.ended {
				c.endCallLocked(cl, reason)
				c.hangupLocked(cl, reason)
			}
		})
	}
	if !c.isAnswered(cl) {
		if err := c.answer(ctx, cl); err != nil {
			c.log.Info("voicemail: answer failed", "call", cl.id, "err", err)
			hangup("voicemail_failed")
			return
		}
	}
	greeting := c.cfg.Prompts.Voicemail
	if box.agent != "" {
		if g := c.cfg.Voicemail.Greeting(box.agent); g != nil {
			greeting = g
		}
	}
	for _, clip := range []*media.Clip{greeting, c.cfg.Prompts.Beep} {
		played, ok := c.playClip(cl, clip)
		if !ok {
			return
		}
		select {
		case <-played:
		case <-ctx.Done():
			hangup("voicemail_failed")
			return
		}
	}
	id := newVoicemailID()
	file := id + ".wav"
	path := filepath.Join(c.cfg.Voicemail.Dir, file)
	rec, err := wavrec.Create(path, wavrec.Config{Max: c.cfg.Voicemail.Max})
	if err != nil {
		c.log.Error("voicemail: cannot record", "call", cl.id, "err", err)
		hangup("voicemail_failed")
		return
	}
	start, ok := locked2(c, func() (time.Time, bool) {
		if cl.ended {
			return time.Time{}, false
		}
		// The beep's player goes on with silence: the caller keeps getting
		// RTP while it speaks (phones time out a silent stream).
		cl.leg.SetSink(rec)
		for len(digits) > 0 { // what was typed during the greeting does not count
			<-digits
		}
		return c.now(), true
	})
	end := "caller_hangup"
	if ok {
		end = waitMessageEnd(ctx, digits, rec.Full())
	}
	c.locked(func() {
		if !cl.ended {
			cl.leg.SetSink(media.Discard)
		}
	})
	length, err := rec.Close()
	if err != nil {
		c.log.Error("voicemail: recording failed", "call", cl.id, "err", err)
	}
	if err != nil || length < MinVoicemail {
		c.log.Info("voicemail dropped", "call", cl.id, "seconds", length.Seconds(), "min_seconds", MinVoicemail.Seconds())
		if rerr := os.Remove(path); rerr != nil {
			c.log.Warn("voicemail: cannot remove", "file", file, "err", rerr)
		}
	} else {
		v := store.Voicemail{ID: id, Agent: box.agent, Queue: box.queue, From: cl.remote, At: start,
			Seconds: length.Seconds(), File: file}
		c.storeVoicemail(v, path, end, rec.Dropped())
	}
	hangup("voicemail")
}

// waitMessageEnd waits for the end of a message: the caller's BYE (or the
// core closing: ctx), '#', or the recording's Max.
func waitMessageEnd(ctx context.Context, digits <-chan rune, full <-chan struct{}) string {
	for {
		select {
		case <-ctx.Done():
			return "caller_hangup"
		case <-full:
			return "max"
		case d := <-digits:
			if d == '#' {
				return "pound"
			}
		}
	}
}

// storeVoicemail stores a message's metadata and announces it.
func (c *Core) storeVoicemail(v store.Voicemail, path, end string, dropped uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.vm.AddVoicemail(ctx, v); err != nil {
		c.log.Error("voicemail not stored", "voicemail", v.ID, "err", err)
		c.warnIf(os.Remove(path), "voicemail file not removed", "voicemail", v.ID, "path", path)
		return
	}
	c.log.Info("voicemail stored", "voicemail", v.ID, "agent_id", v.Agent, "queue", v.Queue,
		"seconds", v.Seconds, "end", end, "dropped_packets", dropped)
	c.locked(func() {
		c.publishLocked(events.Event{Type: EventVoicemailNew, Agent: v.Agent, Queue: v.Queue, From: v.From,
			Detail: map[string]any{"id": v.ID, "seconds": v.Seconds}})
		for _, ag := range c.boxAgentsLocked(vmBox{agent: v.Agent, queue: v.Queue}) {
			c.notifyLocked(ag, EventVoicemailNew, v)
		}
	})
}

// boxAgentsLocked is who owns a box: its agent, or every member of its
// queue.
func (c *Core) boxAgentsLocked(b vmBox) []*agentRT {
	if b.agent != "" {
		if ag := c.agents[b.agent]; ag != nil {
			return []*agentRT{ag}
		}
		return nil
	}
	var out []*agentRT
	for _, id := range c.rt.Members(router.QueueID(b.queue)) {
		if ag := c.agents[string(id)]; ag != nil {
			out = append(out, ag)
		}
	}
	return out
}

// isAnswered reads cl.answered under the lock.
func (c *Core) isAnswered(cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cl.answered
}

// newVoicemailID is a fresh message id (also its file's name).
func newVoicemailID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "vm" + hex.EncodeToString(b[:])
}
