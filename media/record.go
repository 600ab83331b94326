package media

import (
	"fmt"
	"time"
)

// Recording (PROTOCOL §12): a call of a Switch may have a FrameRecorder.
// Every 20 ms, on the pacer, the Switch hands it one frame of each
// channel: channel 1 is what the caller sent, channel 2 what the agent sent
// to this call (its microphone while the call is Active and not muted, or
// Merged; silence otherwise: held, muted, ringing). While paused both
// channels are silence. The G.711 bytes are taken as they arrive (only
// transcoded when a side's law differs from the recorder's), so recording
// needs no decoding and keeps the fast path: the taps in the inputs copy
// the payload into a small per-channel FIFO, the tick takes one frame out
// of each (padding a short one with silence, dropping the oldest bytes when
// a side sends faster than the clock). One frame per tick keeps the file's
// length equal to the wall-clock time; when the pacer gave up frames (a
// stall of more than maxCatchUp frames, pacer.go), the next tick writes the
// ones it skipped as well (maxRecordFill at most), so a recording made on a
// stalled machine still lasts as long as the call.

// FrameRecorder takes a recorded call's audio, one frame per channel every
// 20 ms. RecordFrame is called on the pacer with the Switch's lock held:
// it must not block, must not call back into the Switch and must not
// retain its arguments (media/wavrec.Stereo queues a copy).
type FrameRecorder interface {
	// Codec is the law the frames must be in (PCMU or PCMA).
	Codec() Codec
	// RecordFrame takes FrameSamples bytes of each channel.
	RecordFrame(caller, agent []byte)
}

// recDepth bounds each channel's FIFO: four frames absorb 30 ms packets
// and a frame or two of jitter.
const recDepth = 4 * FrameSamples

type recFIFO struct {
	n   int
	buf [recDepth]byte
}

// push appends payload (in law from) converted to law to; the oldest bytes
// go when it would overflow.
func (f *recFIFO) push(from, to Codec, payload []byte) {
	if len(payload) > recDepth {
		payload = payload[len(payload)-recDepth:]
	}
	if over := f.n + len(payload) - recDepth; over > 0 {
		copy(f.buf[:], f.buf[over:f.n])
		f.n -= over
	}
	Transcode(from, to, f.buf[f.n:f.n+len(payload)], payload)
	f.n += len(payload)
}

// pop moves one frame into dst, padded with silence.
func (f *recFIFO) pop(dst []byte, silence byte) {
	k := copy(dst, f.buf[:f.n])
	copy(f.buf[:], f.buf[k:f.n])
	f.n -= k
	for i := k; i < len(dst); i++ {
		dst[i] = silence
	}
}

// recordSlack is how far (in frames) a recording may fall behind the wall
// clock before a tick fills the gap: more than the pacer's own catch-up and
// a tick's jitter. maxRecordFill bounds the frames one tick writes.
const (
	recordSlack   = maxCatchUp + 2
	maxRecordFill = 250 // 5 s
)

type recording struct {
	sink   FrameRecorder
	codec  Codec
	paused bool
	start  time.Time // when Record began
	frames int64     // frames given to sink so far
	caller recFIFO
	agent  recFIFO
	f1, f2 [FrameSamples]byte
}

// Record starts recording call id into rec (replacing a recorder it
// already has, which then gets nothing more).
func (s *Switch) Record(id string, rec FrameRecorder) error {
	if rec == nil {
		return fmt.Errorf("record call %s: nil recorder", id)
	}
	codec := rec.Codec()
	if codec != PCMU && codec != PCMA {
		return fmt.Errorf("record call %s: %w: %v", id, ErrBadCodec, codec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findLocked(id)
	switch {
	case s.closed:
		return fmt.Errorf("record call %s: %w", id, ErrClosed)
	case c == nil:
		return fmt.Errorf("record call %s: %w", id, ErrUnknownCall)
	}
	c.rec = &recording{sink: rec, codec: codec, start: time.Now()}
	return nil
}

// PauseRecord pauses (both channels silence) or resumes the recording of
// call id.
func (s *Switch) PauseRecord(id string, paused bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findLocked(id)
	if c == nil || c.rec == nil {
		return fmt.Errorf("pause recording of call %s: %w", id, ErrUnknownCall)
	}
	c.rec.paused = paused
	return nil
}

// StopRecord ends the recording of call id; once it returns the recorder
// gets no more frames. Nothing happens when the call has none.
func (s *Switch) StopRecord(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.findLocked(id); c != nil {
		c.rec = nil
	}
}

// recordCallerLocked is the tap on the caller's input.
func (c *call) recordCallerLocked(p *Packet) {
	r := c.rec
	if r.paused || len(p.Payload) == 0 {
		return
	}
	from := c.codec
	if p.Codec == PCMU || p.Codec == PCMA {
		from = p.Codec
	}
	r.caller.push(from, r.codec, p.Payload)
}

// hearsAgent reports whether the agent's microphone reaches c.
func (c *call) hearsAgent() bool {
	return (c.st == StateActive && !c.muted) || c.st == StateMerged
}

// recordAgentLocked is the tap on the agent's input: every recorded call
// the agent speaks to gets the packet on its channel 2.
func (s *Switch) recordAgentLocked(p *Packet) {
	if len(p.Payload) == 0 {
		return
	}
	from := s.agent.codec
	if p.Codec == PCMU || p.Codec == PCMA {
		from = p.Codec
	}
	for _, c := range s.calls {
		if r := c.rec; r != nil && !r.paused && c.hearsAgent() {
			r.agent.push(from, r.codec, p.Payload)
		}
	}
}

// recordTickLocked gives every recorder its frame of this tick.
func (s *Switch) recordTickLocked() {
	for _, c := range s.calls {
		r := c.rec
		if r == nil {
			continue
		}
		sb := SilenceByte(r.codec)
		if r.paused {
			r.caller.n, r.agent.n = 0, 0
		}
		if !c.hearsAgent() {
			r.agent.n = 0
		}
		n := int64(1)
		if s.wall {
			if lag := int64(time.Since(r.start)/FrameDuration) - r.frames; lag > recordSlack {
				n = min(lag, maxRecordFill) // the pacer skipped frames: write them too
			}
		}
		for range n {
			r.caller.pop(r.f1[:], sb)
			r.agent.pop(r.f2[:], sb)
			r.sink.RecordFrame(r.f1[:], r.f2[:])
		}
		r.frames += n
	}
}
