package media

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// DefaultCapacity is the number of calls a Switch takes when
// SwitchConfig.Capacity is 0.
const DefaultCapacity = 8

// maxPayload bounds a forwarded payload (bytes); larger packets are dropped.
const maxPayload = 1500

// fillAfter is how many ticks an output fed by the fast path may go without
// a packet before the pacer starts filling it with silence, so a caller never
// hears nothing for long when the other side stalls: 5 ticks (100 ms), past
// the scheduling stalls of a loaded sender, whose late frames follow in a
// burst (they were 3, 60 ms: on a busy machine 10 % of the fast path's
// frames were doubled by silence). Catch-up ticks (the pacer ran late,
// Pacer.RegisterFrame) do not count: the packets of those intervals are
// still in the sockets, not missing.
const fillAfter = 5

// SwitchConfig configures a Switch.
type SwitchConfig struct {
	Pacer    *Pacer       // required: the shared clock the mixing path runs on
	Music    *Music       // music on hold; nil means DefaultMusic()
	Counters *Counters    // where to count; nil means a private set (see Switch.Counters)
	Capacity int          // most calls at once; 0 means DefaultCapacity (8)
	Logger   *slog.Logger // nil means slog.Default()
}

// Switch decides what one agent and up to Capacity callers hear, following
// PROTOCOL.md §3. It connects the agent's single WebRTC leg with the trunk
// legs of the agent's calls.
//
// Two paths carry audio:
//   - The fast path: while the agent hears exactly one Active call and no
//     ring tone, that call's packets go straight from its input to the
//     agent's writer (transcoded if the codecs differ, never decoded); while a
//     call is Active and not muted, the agent's packets go straight to it.
//     This runs in the legs' read goroutines.
//   - The mixing path: every other output is produced on the Pacer, one frame
//     per 20 ms, from decoded, jitter-buffered input (mix-minus for merged
//     calls, int32 sums saturated to int16) or from shared pre-encoded audio
//     (music on hold, ringback, silence).
//
// Each output gets exactly one frame per 20 ms whichever path feeds it: when
// the fast path already wrote a frame in the current interval, the pacer
// skips it, so a path switch neither doubles a frame nor leaves a gap of more
// than one.
//
// Conflicting states: Active and Merged are exclusive. Setting a call Active
// holds every other Active or Merged call (the last call made active wins);
// setting a call Merged holds any Active call. State reports the result.
//
// Concurrency: all methods are safe for concurrent use. Each input writer
// must be called by one goroutine at a time (a leg's read loop). The Switch's
// mutex is held while it writes to a leg (the one exception to "no lock
// across I/O", so that once SetState returns no frame computed for the old
// state can follow: the agent's microphone never reaches a call after
// SetState(id, StateHeld) returns). Hence a leg's WritePacket must not block
// and must not call back into the Switch.
type Switch struct {
	music    *Music
	counters *Counters
	capacity int
	log      *slog.Logger
	untick   func()
	wall     bool // the pacer runs on the wall clock (not Manual): recordings keep to it

	mu      sync.Mutex // guards following
	closed  bool
	agent   party
	calls   []*call
	ringing bool
	ring    cursor // call-waiting beeps, PCM

	nextID      uint64 // input stream identities handed out (the agent is 1)
	fastToAgent *call  // its input goes straight to the agent's writer
	fastToCall  *call  // the agent's input goes straight to its writer

	pkt    Packet              // scratch outgoing packet
	buf    [maxPayload]byte    // scratch payload
	sum    [FrameSamples]int32 // mixing accumulator
	pcm    [FrameSamples]int16 // scratch frame
	ring16 [FrameSamples]int16 // this tick's ring tone
}

// party is one side's streams: its writer toward it and its decoded input.
type party struct {
	out      PacketWriter
	codec    Codec
	id       uint64   // identity of this party's input stream for the other side's Timeline
	tl       Timeline // numbering of out: offsets of the fast path's source, else our own
	wrote    bool     // the fast path wrote to out since the last tick
	missed   int      // ticks in a row the fast path left out empty
	fastPrev bool     // the fast path fed out at the last tick
	due      bool     // out gets a frame from this tick
	decoded  bool     // input goes through jb
	jb       jitterBuffer
	frame    [FrameSamples]int16 // this tick's input
}

type call struct {
	id       string
	st       CallState
	muted    bool
	removed  bool
	moh      cursor
	ringback cursor
	mon      *monitor   // supervisor on this call (monitor.go)
	rec      *recording // its recorder (record.go)
	party
}

// NewSwitch returns a Switch running on cfg.Pacer. It panics if cfg.Pacer
// is nil (a programmer error).
func NewSwitch(cfg SwitchConfig) *Switch {
	if cfg.Pacer == nil {
		panic("media: NewSwitch without a Pacer")
	}
	s := &Switch{music: cfg.Music, counters: cfg.Counters, capacity: cfg.Capacity, log: cfg.Logger}
	if s.music == nil {
		s.music = DefaultMusic()
	}
	if s.counters == nil {
		s.counters = new(Counters)
	}
	if s.capacity <= 0 {
		s.capacity = DefaultCapacity
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.agent.id = 1
	s.agent.jb.c = s.counters
	s.agent.jb.reset()
	s.ring = cursor{l: callWaitingLoop()}
	s.wall = !cfg.Pacer.manual
	s.untick = cfg.Pacer.RegisterFrame(s.tick)
	return s
}

// Counters returns the counters the Switch updates.
func (s *Switch) Counters() *Counters { return s.counters }

// SetAgent sets the writer toward the agent's browser and its codec; out nil
// means the browser is gone (calls go on: callers keep hearing what their
// state says, with silence where the agent's voice would be).
func (s *Switch) SetAgent(out PacketWriter, codec Codec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if out != nil && codec != PCMU && codec != PCMA {
		codec = PCMU
	}
	s.agent.out, s.agent.codec = out, codec
	s.agent.wrote, s.agent.missed = false, 0
	s.agent.jb.reset()
	s.recomputeLocked()
}

// AgentInput returns the sink for packets from the agent's browser.
func (s *Switch) AgentInput() PacketWriter { return agentInput{s} }

// AddCall adds a call with its writer toward the caller and its codec, in
// state st, and returns the sink for the caller's packets.
func (s *Switch) AddCall(id string, out PacketWriter, codec Codec, st CallState) (PacketWriter, error) {
	if out == nil {
		return nil, fmt.Errorf("add call %s: nil writer", id)
	}
	if codec != PCMU && codec != PCMA {
		return nil, fmt.Errorf("add call %s: %w: %v", id, ErrBadCodec, codec)
	}
	if !st.valid() {
		return nil, fmt.Errorf("add call %s: %w: %d", id, ErrBadState, st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, fmt.Errorf("add call %s: %w", id, ErrClosed)
	case s.findLocked(id) != nil:
		return nil, fmt.Errorf("add call %s: %w", id, ErrDuplicateCall)
	case len(s.calls) >= s.capacity:
		return nil, fmt.Errorf("add call %s: %w (%d)", id, ErrCapacity, s.capacity)
	}
	c := &call{id: id, moh: cursor{l: s.music.l}, ringback: cursor{l: ringbackLoop()}}
	s.nextID++
	c.out, c.codec, c.party.id = out, codec, s.nextID+1
	c.jb.c = s.counters
	c.jb.reset()
	s.calls = append(s.calls, c)
	s.setStateLocked(c, st)
	return callInput{s, c}, nil
}

// SetState moves a call to st (see the type doc for conflicting states).
func (s *Switch) SetState(id string, st CallState) error {
	if !st.valid() {
		return fmt.Errorf("set state of call %s: %w: %d", id, ErrBadState, st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findLocked(id)
	if c == nil {
		return fmt.Errorf("set state of call %s: %w", id, ErrUnknownCall)
	}
	s.setStateLocked(c, st)
	return nil
}

// State returns a call's state, and false if the Switch has no such call.
func (s *Switch) State(id string) (CallState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.findLocked(id); c != nil {
		return c.st, true
	}
	return StateUnknown, false
}

func (s *Switch) setStateLocked(c *call, st CallState) {
	for _, o := range s.calls {
		if o == c {
			continue
		}
		if (st == StateActive && (o.st == StateActive || o.st == StateMerged)) ||
			(st == StateMerged && o.st == StateActive) {
			s.log.Warn("conflicting call states, holding the other call", "call", c.id, "state", st.String(), "held_call", o.id, "was", o.st.String())
			o.st = StateHeld
		}
	}
	if st == StateOfferedDirect && c.st != StateOfferedDirect {
		c.ringback.off = 0 // start with a ring
	}
	c.st = st
	s.recomputeLocked()
}

// SetMuted mutes or unmutes the agent toward a call: a muted Active call's
// caller hears silence while the agent still hears the caller.
func (s *Switch) SetMuted(id string, muted bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findLocked(id)
	if c == nil {
		return fmt.Errorf("mute call %s: %w", id, ErrUnknownCall)
	}
	c.muted = muted
	s.recomputeLocked()
	return nil
}

// SetRinging starts or stops the call-waiting beeps in the agent's ear,
// mixed under whatever the agent hears.
func (s *Switch) SetRinging(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on && !s.ringing {
		s.ring.off = 0
	}
	s.ringing = on
	s.recomputeLocked()
}

// Remove takes a call out of the Switch; its input then drops packets.
// Removing an unknown call does nothing.
func (s *Switch) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.calls {
		if c.id == id {
			c.removed = true
			s.calls = slices.Delete(s.calls, i, i+1)
			s.recomputeLocked()
			return
		}
	}
}

// Close stops the Switch: it leaves the pacer and writes nothing more. It is
// idempotent.
func (s *Switch) Close() error {
	s.untick()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.calls = nil
	s.agent.out = nil
	s.fastToAgent, s.fastToCall = nil, nil
	return nil
}

func (s *Switch) findLocked(id string) *call {
	for _, c := range s.calls {
		if c.id == id {
			return c
		}
	}
	return nil
}

// recomputeLocked chooses the fast paths and which inputs are decoded.
func (s *Switch) recomputeLocked() {
	var heard, active *call
	nHeard := 0
	for _, c := range s.calls {
		if c.st == StateActive || c.st == StateMerged {
			heard = c
			nHeard++
		}
		if c.st == StateActive {
			active = c
		}
	}
	s.fastToAgent, s.fastToCall = nil, nil
	// A monitored call that is heard runs everything on the mixing path
	// (monitor.go); deciding that before the decoded flags below keeps the
	// jitter buffers of inputs that stay decoded (resetting them on every
	// mode change or mute lost their buffered frames: a gap each way).
	monitored := s.monitorHeardLocked()
	if s.agent.out != nil && !monitored {
		if nHeard == 1 && heard.st == StateActive && !s.ringing {
			s.fastToAgent = heard
		}
		if active != nil && !active.muted {
			s.fastToCall = active
		}
	}
	agentDecoded := monitored
	for _, c := range s.calls {
		// A jitter buffer starts afresh when decoding starts; when it stops,
		// its last frames may still fill the interval of the switch.
		dec := (c.st == StateActive && s.fastToAgent != c) || c.st == StateMerged
		if dec && !c.decoded {
			c.jb.reset()
		}
		c.decoded = dec
		if (c.st == StateActive && !c.muted && s.fastToCall != c) || c.st == StateMerged {
			agentDecoded = true
		}
	}
	if agentDecoded && !s.agent.decoded {
		s.agent.jb.reset()
	}
	s.agent.decoded = agentDecoded
	s.monitorsDecodeLocked()
}

type agentInput struct{ s *Switch }

// WritePacket takes a packet from the agent's browser.
func (in agentInput) WritePacket(p *Packet) error {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.recordAgentLocked(p)
	}
	switch {
	case s.closed:
	case s.fastToCall != nil:
		s.forwardLocked(p, s.agent.codec, &s.agent, &s.fastToCall.party)
	case s.agent.decoded:
		s.agent.jb.push(p, s.agent.codec)
	}
	return nil
}

type callInput struct {
	s *Switch
	c *call
}

// WritePacket takes a packet from the caller.
func (in callInput) WritePacket(p *Packet) error {
	s, c := in.s, in.c
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.rec != nil && !s.closed && !c.removed {
		c.recordCallerLocked(p)
	}
	switch {
	case s.closed || c.removed:
	case s.fastToAgent == c:
		s.forwardLocked(p, c.codec, &c.party, &s.agent)
	case c.decoded:
		c.jb.push(p, c.codec)
	}
	return nil
}

// forwardLocked is the fast path: p goes to dst's writer, transcoded if
// needed, without decoding, numbered by offsets from src's own sequence
// numbers and timestamps (its gaps and steps pass through).
func (s *Switch) forwardLocked(p *Packet, from Codec, src, dst *party) {
	if p.Codec == PCMU || p.Codec == PCMA {
		from = p.Codec
	}
	n := len(p.Payload)
	if n == 0 || n > maxPayload {
		s.counters.dropped.Add(1)
		return
	}
	seq, ts, ok, jumped := dst.tl.Map(src.id, p.SequenceNumber, p.Timestamp, uint32(n))
	if !ok {
		s.counters.late.Add(1)
		return
	}
	payload := p.Payload
	if from != dst.codec {
		payload = Transcode(from, dst.codec, s.buf[:n], payload)
	}
	dst.wrote = true
	if s.sendLocked(dst, payload, seq, ts, p.Marker || jumped) {
		s.counters.forwarded.Add(1)
	}
}

// writeLocked sends a packet the Switch made itself (mixing path).
func (s *Switch) writeLocked(dst *party, payload []byte, samples uint32, marker bool) bool {
	seq, ts := dst.tl.Next(samples)
	return s.sendLocked(dst, payload, seq, ts, marker)
}

func (s *Switch) sendLocked(dst *party, payload []byte, seq uint16, ts uint32, marker bool) bool {
	s.pkt = Packet{Payload: payload, Codec: dst.codec, SequenceNumber: seq, Timestamp: ts, Marker: marker}
	if err := dst.out.WritePacket(&s.pkt); err != nil {
		s.counters.dropped.Add(1)
		return false
	}
	return true
}
