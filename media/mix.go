package media

// tick is the Switch's pacer callback: one frame for every output that the
// fast path does not feed.
func (s *Switch) tick(catchUp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.recordTickLocked()
	// Which outputs get a frame from this tick, and so which inputs it needs.
	agentDue := s.agent.out != nil && s.dueLocked(&s.agent, s.fastToAgent != nil, catchUp)
	needAgent := false
	for _, c := range s.calls {
		c.due = s.dueLocked(&c.party, s.fastToCall == c, catchUp)
		if c.due && (c.st == StateActive && !c.muted || c.st == StateMerged) {
			needAgent = true
		}
	}
	for _, c := range s.calls {
		if c.decoded || (agentDue && c.st == StateActive) {
			c.jb.pop(c.frame[:])
		}
	}
	if s.agent.decoded || needAgent {
		s.agent.jb.pop(s.agent.frame[:])
	} else {
		clear(s.agent.frame[:])
	}
	s.monitorsPopLocked()
	ringing := s.ringing
	if ringing {
		s.ring.ReadFrame(s.ring16[:])
	}

	if agentDue {
		// The agent hears every Active or Merged call, plus the beeps.
		clear(s.sum[:])
		for _, c := range s.calls {
			if c.st == StateActive || c.st == StateMerged {
				add(&s.sum, &c.frame)
			}
		}
		if ringing {
			add(&s.sum, &s.ring16)
		}
		s.monitorsToAgentLocked()
		s.emitSumLocked(&s.agent)
	}

	// Mix-minus for the conference: everyone merged plus the agent, each
	// output then subtracts its own listener.
	merged := false
	for _, c := range s.calls {
		if c.st == StateMerged {
			if !merged {
				clear(s.sum[:])
				add(&s.sum, &s.agent.frame)
				merged = true
			}
			add(&s.sum, &c.frame)
			if bargeLocked(c) {
				add(&s.sum, &c.mon.frame)
			}
		}
	}
	for _, c := range s.calls {
		if !c.due {
			continue
		}
		switch {
		case c.st == StateActive && bargeLocked(c):
			for i := range s.pcm {
				v := int32(c.mon.frame[i])
				if !c.muted {
					v += int32(s.agent.frame[i])
				}
				s.pcm[i] = clamp16(v)
			}
			s.emitPCMLocked(&c.party, s.pcm[:])
		case c.st == StateActive && !c.muted:
			s.emitPCMLocked(&c.party, s.agent.frame[:])
		case c.st == StateMerged:
			for i, v := range s.sum {
				s.pcm[i] = clamp16(v - int32(c.frame[i]))
			}
			s.emitPCMLocked(&c.party, s.pcm[:])
		case c.st == StateHeld || c.st == StateOfferedQueue:
			s.emitSharedLocked(&c.party, &c.moh)
		case c.st == StateOfferedDirect:
			s.emitSharedLocked(&c.party, &c.ringback)
		default: // muted, unknown: silence
			s.emitSilenceLocked(&c.party)
		}
	}
	s.monitorsEmitLocked(merged)
}

// dueLocked reports whether the pacer writes a frame to p this tick. An
// output fed by the fast path is skipped, unless the fast path has left it
// empty for fillAfter on-time ticks (then silence is due: the caller of a
// stalled agent still hears something; catch-up ticks do not count, their
// packets are only delayed) or it switched to the fast path during this
// interval before any fast packet came (the pacer still owes this interval's
// frame). An output the fast path fed earlier in this interval, before a
// switch to the mixing path, is skipped once: that interval has its frame.
func (s *Switch) dueLocked(p *party, fast, catchUp bool) bool {
	wrote, prev := p.wrote, p.fastPrev
	p.wrote, p.fastPrev = false, fast
	if fast && !prev && !wrote {
		return true
	}
	if fast {
		if wrote {
			p.missed = 0
			return false
		}
		if !catchUp {
			p.missed++
		}
		if p.missed >= fillAfter {
			s.emitSilenceLocked(p)
		}
		return false
	}
	p.missed = 0
	return !wrote
}

func (s *Switch) emitSumLocked(p *party) {
	for i, v := range s.sum {
		s.pcm[i] = clamp16(v)
	}
	s.emitPCMLocked(p, s.pcm[:])
}

func (s *Switch) emitPCMLocked(p *party, pcm []int16) {
	payload := Encode(p.codec, s.buf[:FrameSamples], pcm)
	if s.writeLocked(p, payload, FrameSamples, false) {
		s.counters.mixed.Add(1)
	}
}

func (s *Switch) emitSharedLocked(p *party, cur *cursor) {
	cur.readEncoded(p.codec, s.buf[:FrameSamples])
	if s.writeLocked(p, s.buf[:FrameSamples], FrameSamples, false) {
		s.counters.mixed.Add(1)
	}
}

func (s *Switch) emitSilenceLocked(p *party) {
	b := s.buf[:FrameSamples]
	sb := SilenceByte(p.codec)
	for i := range b {
		b[i] = sb
	}
	if s.writeLocked(p, b, FrameSamples, false) {
		s.counters.mixed.Add(1)
	}
}

// add accumulates a frame into sum; int32 cannot overflow for the handful of
// parties a Switch holds, and clamp16 saturates the result.
func add(sum *[FrameSamples]int32, f *[FrameSamples]int16) {
	for i, v := range f {
		sum[i] += int32(v)
	}
}
