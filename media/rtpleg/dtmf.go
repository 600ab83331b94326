package rtpleg

import (
	"encoding/binary"
	"fmt"
	"time"

	"switchboard/media"
)

// SendDTMF sends digits ('0'-'9', '*', '#', 'A'-'D') as RFC 4733 telephone
// events, each lasting duration (0 means 100 ms; clamped to 40 ms..5 s) with
// 60 ms between digits. It blocks until the last digit is sent.
//
// Each event is a packet every 20 ms with the event's start timestamp and a
// growing duration, the marker bit on the first, and three end packets
// (RFC 4733 §2.5.1). Events take their sequence numbers and timestamps from
// the audio stream, and audio written meanwhile is dropped, so the stream
// stays continuous (audio after an event continues after it). It fails with ErrNoTelephoneEvent if the remote did not
// negotiate telephone-event, and with ErrClosed if the leg ends meanwhile.
func (l *Leg) SendDTMF(digits string, duration time.Duration) error {
	codes := make([]uint8, 0, len(digits))
	for _, d := range digits {
		c := digitEvent(d)
		if c < 0 {
			return fmt.Errorf("send dtmf: invalid digit %q", d)
		}
		codes = append(codes, uint8(c))
	}
	switch {
	case duration == 0:
		duration = defaultDigitDuration
	case duration < minDigitDuration:
		duration = minDigitDuration
	case duration > maxDigitDuration:
		duration = maxDigitDuration
	}
	frames := int((duration + media.FrameDuration - 1) / media.FrameDuration)

	l.send.digitMu.Lock()
	defer l.send.digitMu.Unlock()
	for i, code := range codes {
		if i > 0 {
			if err := l.sleep(interDigitGap); err != nil {
				return err
			}
		}
		if err := l.sendEvent(code, frames); err != nil {
			return err
		}
		l.stats.dtmfOut.Add(1)
	}
	return nil
}

// sleep waits for d or until the leg closes.
func (l *Leg) sleep(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-l.done:
		return ErrClosed
	case <-l.closing:
		return ErrClosed
	}
}

// sendEvent sends one event lasting frames packet intervals.
func (l *Leg) sendEvent(code uint8, frames int) error {
	if l.ended.Load() {
		return ErrClosed
	}
	st := l.state.Load()
	switch {
	case st == nil || st.tePT < 0:
		return ErrNoTelephoneEvent
	case !st.dir.canSend():
		return fmt.Errorf("send dtmf: direction %s does not allow sending", st.dir)
	}
	s := &l.send
	s.mu.Lock()
	_, next := s.tl.Last()
	startTS, _ := s.stampLocked(s.now(), next)
	s.dtmf = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.dtmf = false
		s.tl.SetEnd(startTS + uint32(frames*media.FrameSamples))
		s.mu.Unlock()
	}()

	// frames-1 progress packets, then the final packet three times.
	for i := range frames + 2 {
		if i > 0 {
			if err := l.sleep(media.FrameDuration); err != nil {
				return err
			}
		}
		st := l.state.Load()
		dst := st.dest()
		if st.tePT < 0 || !dst.IsValid() {
			return ErrNoTelephoneEvent
		}
		end := i >= frames-1
		dur := min(i+1, frames) * media.FrameSamples
		s.mu.Lock()
		ev := s.payload[:4]
		ev[0] = code
		ev[1] = dtmfVolume
		if end {
			ev[1] |= 0x80
		}
		binary.BigEndian.PutUint16(ev[2:], uint16(dur))
		s.pkt.PayloadType = uint8(st.tePT)
		s.pkt.SequenceNumber = s.tl.NextSeq()
		s.pkt.Timestamp = startTS
		s.pkt.Marker = i == 0
		s.pkt.Payload = ev
		err := l.sendLocked(dst)
		s.pkt.Payload = nil
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}
