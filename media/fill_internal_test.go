package media

import "testing"

// countWriter counts the packets written to it.
type countWriter struct{ n int }

func (w *countWriter) WritePacket(*Packet) error { w.n++; return nil }

// TestFillSkipsCatchUpTicks: an output on the fast path that gets no packet
// is filled with silence after fillAfter on-time ticks, but catch-up ticks
// (the pacer woke late and runs the missed frames back to back, the packets
// of those intervals still in the sockets) do not count toward it. (The
// caller's output, never fed by the agent here, is in fill mode already and
// stays so: it is not checked.) Under a
// stalled machine the pacer used to write a silence frame to every fast
// output, right before the delayed packets were forwarded as well.
func TestFillSkipsCatchUpTicks(t *testing.T) {
	p := NewPacer(PacerConfig{Manual: true})
	defer p.Close()
	s := NewSwitch(SwitchConfig{Pacer: p})
	defer s.Close()
	agent, caller := new(countWriter), new(countWriter)
	s.SetAgent(agent, PCMU)
	in, err := s.AddCall("c1", caller, PCMU, StateActive)
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, FrameSamples)
	pkt := Packet{Payload: payload, Codec: PCMU}
	for i := range 10 { // the fast path feeds the agent every interval
		pkt.SequenceNumber, pkt.Timestamp = uint16(i), uint32(i*FrameSamples)
		if err := in.WritePacket(&pkt); err != nil {
			t.Fatal(err)
		}
		s.tick(false)
	}
	if agent.n != 10 {
		t.Fatalf("agent got %d packets from 10 forwarded, want 10", agent.n)
	}
	for range 2 * fillAfter { // a stall: the pacer catches up, no packet in between
		s.tick(true)
	}
	if agent.n != 10 {
		t.Errorf("catch-up ticks wrote %d frames to the agent, want none", agent.n-10)
	}
	for range fillAfter { // the caller's stream really stopped: fill
		s.tick(false)
	}
	if agent.n != 11 {
		t.Errorf("after %d on-time ticks without a packet the agent has %d packets, want 11 (one silence frame)", fillAfter, agent.n)
	}
}
