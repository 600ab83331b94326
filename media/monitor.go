package media

import "fmt"

// Supervision (PROTOCOL §12): a supervisor's leg joins one call of this
// Switch as a monitor, mix-minus, so nobody hears itself:
//   - MonitorListen: the monitor hears the caller and the agent (as sent to
//     this call: nothing while muted); nobody hears the monitor.
//   - MonitorWhisper: as listen, and the agent also hears the monitor; the
//     caller does not.
//   - MonitorBarge: all three hear each other.
//
// While the call is not Active or Merged the monitor hears silence and is
// heard by nobody. In a conference (Merged) the monitor hears the whole
// conference, and in barge mode joins it. A monitored call runs on the
// mixing path (its inputs are decoded). One monitor per call.

// MonitorMode is how a monitor takes part in a call.
type MonitorMode int

// Monitor modes.
const (
	MonitorListen MonitorMode = iota + 1
	MonitorWhisper
	MonitorBarge
)

func (m MonitorMode) valid() bool { return m >= MonitorListen && m <= MonitorBarge }

// String names the mode as PROTOCOL §12 does.
func (m MonitorMode) String() string {
	switch m {
	case MonitorListen:
		return "listen"
	case MonitorWhisper:
		return "whisper"
	case MonitorBarge:
		return "barge"
	}
	return "unknown"
}

// ParseMonitorMode reads "listen", "whisper" or "barge".
func ParseMonitorMode(s string) (MonitorMode, bool) {
	for m := MonitorListen; m <= MonitorBarge; m++ {
		if m.String() == s {
			return m, true
		}
	}
	return 0, false
}

type monitor struct {
	mode MonitorMode
	party
}

// speaks reports whether the monitor is heard by the agent (whisper, barge).
func (m *monitor) speaks() bool { return m != nil && m.mode >= MonitorWhisper }

// Monitor attaches a monitor to call id with its writer and codec, or, when
// the call has one already, changes its mode (out and codec are then
// ignored). It returns the sink for the monitor's packets.
func (s *Switch) Monitor(id string, out PacketWriter, codec Codec, mode MonitorMode) (PacketWriter, error) {
	if !mode.valid() {
		return nil, fmt.Errorf("monitor call %s: bad mode %d", id, mode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findLocked(id)
	switch {
	case s.closed:
		return nil, fmt.Errorf("monitor call %s: %w", id, ErrClosed)
	case c == nil:
		return nil, fmt.Errorf("monitor call %s: %w", id, ErrUnknownCall)
	case c.mon != nil:
		c.mon.mode = mode
		s.recomputeLocked()
		return monitorInput{s, c, c.mon}, nil
	case out == nil:
		return nil, fmt.Errorf("monitor call %s: nil writer", id)
	case codec != PCMU && codec != PCMA:
		return nil, fmt.Errorf("monitor call %s: %w: %v", id, ErrBadCodec, codec)
	}
	m := &monitor{mode: mode}
	s.nextID++
	m.out, m.codec, m.party.id = out, codec, s.nextID+1
	m.jb.c = s.counters
	m.jb.reset()
	c.mon = m
	s.recomputeLocked()
	return monitorInput{s, c, m}, nil
}

// StopMonitor detaches the monitor of call id; its input then drops
// packets. Nothing happens when the call has none.
func (s *Switch) StopMonitor(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.findLocked(id); c != nil && c.mon != nil {
		c.mon = nil
		s.recomputeLocked()
	}
}

type monitorInput struct {
	s *Switch
	c *call
	m *monitor
}

// WritePacket takes a packet from the monitor (the supervisor).
func (in monitorInput) WritePacket(p *Packet) error {
	s := in.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && !in.c.removed && in.c.mon == in.m && in.m.decoded {
		in.m.jb.push(p, in.m.codec)
	}
	return nil
}

// monitorHeardLocked reports whether a monitored call is heard (Active or
// Merged): then recomputeLocked turns the fast paths off and decodes every
// input the monitor needs.
func (s *Switch) monitorHeardLocked() bool {
	for _, c := range s.calls {
		if c.mon != nil && (c.st == StateActive || c.st == StateMerged) {
			return true
		}
	}
	return false
}

// monitorsDecodeLocked runs at the end of recomputeLocked: a monitor's
// input is decoded while it is heard (whisper, barge on a live call).
func (s *Switch) monitorsDecodeLocked() {
	for _, c := range s.calls {
		if c.mon == nil {
			continue
		}
		dec := (c.st == StateActive || c.st == StateMerged) && c.mon.speaks()
		if dec && !c.mon.decoded {
			c.mon.jb.reset()
		}
		c.mon.decoded = dec
	}
}

// monitorsPopLocked reads this tick's frame of every monitor (silence when
// it is not heard).
func (s *Switch) monitorsPopLocked() {
	for _, c := range s.calls {
		if c.mon == nil {
			continue
		}
		c.mon.due = s.dueLocked(&c.mon.party, false, false)
		if c.mon.decoded {
			c.mon.jb.pop(c.mon.frame[:])
		} else {
			clear(c.mon.frame[:])
		}
	}
}

// monitorsToAgentLocked adds what the agent hears from monitors.
func (s *Switch) monitorsToAgentLocked() {
	for _, c := range s.calls {
		if c.mon.speaks() && (c.st == StateActive || c.st == StateMerged) {
			add(&s.sum, &c.mon.frame)
		}
	}
}

// bargeLocked reports whether c's caller hears its monitor.
func bargeLocked(c *call) bool { return c.mon != nil && c.mon.mode == MonitorBarge }

// monitorsEmitLocked writes each monitor's frame. sum holds the conference
// sum (barging monitors included) when merged is true.
func (s *Switch) monitorsEmitLocked(merged bool) {
	for _, c := range s.calls {
		m := c.mon
		if m == nil || !m.due {
			continue
		}
		switch {
		case c.st == StateActive:
			for i := range s.pcm {
				v := int32(c.frame[i])
				if !c.muted {
					v += int32(s.agent.frame[i])
				}
				s.pcm[i] = clamp16(v)
			}
			s.emitPCMLocked(&m.party, s.pcm[:])
		case c.st == StateMerged && merged:
			for i, v := range s.sum {
				if m.mode == MonitorBarge {
					v -= int32(m.frame[i])
				}
				s.pcm[i] = clamp16(v)
			}
			s.emitPCMLocked(&m.party, s.pcm[:])
		default:
			s.emitSilenceLocked(&m.party)
		}
	}
}
