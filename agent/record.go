package agent

import (
	"fmt"
	"time"

	"switchboard/media/wavrec"
	"switchboard/recordings"
	"switchboard/store"
	"switchboard/view"
)

// Recording (PROTOCOL §12): a call of a queue or an agent with record: true
// is recorded from the agent's accept (or an outbound call's answer, or a
// pickup from park) until the call leaves that agent; each agent's part is
// its own file (recordings.Dir, media.Switch.Record). The agent may pause
// and resume it (call.record.pause/resume); Call.recording says "on",
// "paused" or "off". When a part ends its file is closed on a goroutine;
// the call record (which lists every part, and carries the record's
// agent's part as recording) is stored after the files are complete, so a
// recording named in a record can be fetched at once.

// Recording states of Call.recording.
const (
	RecordingOn     = "on"
	RecordingPaused = "paused"
	RecordingOff    = "off"
)

// recPart is the live part of a recorded call.
type recPart struct {
	id     string
	agent  string
	w      *wavrec.Stereo
	paused bool
}

// endedPart is a finished part: its ref and when its file is complete.
type endedPart struct {
	ref    store.RecordingRef
	closed chan struct{} // closed once the file is complete
}

// shouldRecordLocked reports whether cl's part on ag is recorded.
func (c *Core) shouldRecordLocked(ag *agentRT, cl *call) bool {
	if c.cfg.Recordings == nil || ag == nil {
		return false
	}
	if ag.cfg.Record {
		return true
	}
	q, ok := c.queues[cl.queue]
	return ok && cl.queue != "" && q.Record
}

// startRecordingLocked starts recording cl's part on its agent, if its
// queue or agent says so and it is not recorded already.
func (c *Core) startRecordingLocked(cl *call) {
	ag := cl.ag
	if cl.rec != nil || !c.shouldRecordLocked(ag, cl) || cl.leg == nil {
		return
	}
	id := recordings.NewID()
	w := c.cfg.Recordings.Create(id, legCodec(cl.leg))
	if err := ag.sw.Record(cl.id, w); err != nil {
		c.log.Warn("recording not started", "call", cl.id, "agent_id", ag.cfg.ID, "err", err)
		c.async(func() {
			if _, err := w.Close(); err != nil {
				c.log.Warn("recording file not closed", "recording", id, "err", err)
			}
		})
		return
	}
	cl.rec = &recPart{id: id, agent: ag.cfg.ID, w: w}
	c.log.Info("recording started", "call", cl.id, "agent_id", ag.cfg.ID, "recording", id)
}

// stopRecordingLocked ends cl's live part (detach calls it) and closes its
// file on a goroutine.
func (c *Core) stopRecordingLocked(cl *call) {
	p := cl.rec
	if p == nil {
		return
	}
	cl.rec = nil
	if cl.ag != nil {
		cl.ag.sw.StopRecord(cl.id)
	}
	done := make(chan struct{})
	ep := endedPart{ref: store.RecordingRef{ID: p.id, Agent: p.agent, Seconds: p.w.Seconds()}, closed: done}
	cl.recParts = append(cl.recParts, ep)
	log := c.log
	callID := cl.id
	c.async(func() {
		defer close(done)
		d, err := p.w.Close()
		if err != nil {
			log.Warn("recording not saved", "call", callID, "recording", p.id, "err", err)
			return
		}
		log.Info("recording saved", "call", callID, "recording", p.id, "seconds", d.Seconds(), "dropped_frames", p.w.Dropped())
	})
}

// recordingState is Call.recording.
func (cl *call) recordingState() string {
	switch {
	case cl.rec == nil:
		return RecordingOff
	case cl.rec.paused:
		return RecordingPaused
	}
	return RecordingOn
}

// recordingRefs fills a call record's recording fields and returns what
// to wait for before storing it.
func (cl *call) recordingRefs(rec *store.CallRecord) []chan struct{} {
	var wait []chan struct{}
	for _, p := range cl.recParts {
		rec.Recordings = append(rec.Recordings, p.ref)
		wait = append(wait, p.closed)
	}
	for i := len(rec.Recordings) - 1; i >= 0; i-- {
		if rec.Recordings[i].Agent == rec.Agent {
			r := rec.Recordings[i]
			rec.Recording = &r
			break
		}
	}
	if rec.Recording == nil && len(rec.Recordings) > 0 {
		r := rec.Recordings[len(rec.Recordings)-1]
		rec.Recording = &r
	}
	return wait
}

// waitParts waits for the files of ended parts, at most d.
func waitParts(wait []chan struct{}, d time.Duration) {
	if len(wait) == 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for _, w := range wait {
		select {
		case <-w:
		case <-t.C:
			return
		}
	}
}

// PauseRecording pauses the recording of one of the agent's calls (both
// channels silence, for card numbers).
func (c *Core) PauseRecording(agentID, callID string) (view.Call, error) {
	return c.setRecordPaused(agentID, callID, true)
}

// ResumeRecording resumes a paused recording.
func (c *Core) ResumeRecording(agentID, callID string) (view.Call, error) {
	return c.setRecordPaused(agentID, callID, false)
}

func (c *Core) setRecordPaused(agentID, callID string, paused bool) (view.Call, error) {
	return c.callOp(agentID, callID, func(cl *call) error {
		if cl.rec == nil || cl.ag == nil {
			return fmt.Errorf("call %s is not recorded: %w", callID, ErrState)
		}
		if err := cl.ag.sw.PauseRecord(cl.id, paused); err != nil {
			return fmt.Errorf("pause recording of call %s: %w", callID, ErrState)
		}
		cl.rec.paused = paused
		c.log.Info("recording paused", "call", cl.id, "agent_id", agentID, "paused", paused)
		return nil
	})
}
