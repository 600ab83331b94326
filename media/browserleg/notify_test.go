package browserleg

import (
	"log/slog"
	"testing"

	"switchboard/media"
)

func TestNotifier(t *testing.T) {
	var n Notifier
	log := slog.New(slog.DiscardHandler)
	var c Counters
	n.Report(log, StateConnected, &c) // no callback yet: nothing to call
	var got []State
	n.OnState(func(s State) {
		got = append(got, s)
	})
	select {
	case <-n.Done():
		t.Fatal("Done closed before Finish")
	default:
	}
	n.Report(log, StateDisconnected, &c)
	n.Report(log, StateClosed, &c)
	if len(got) != 2 || got[0] != StateDisconnected || got[1] != StateClosed {
		t.Fatalf("callback got %v, want [disconnected closed]", got)
	}
	if n.State() != StateUnknown {
		t.Fatalf("State = %v before Set, want unknown", n.State())
	}
	n.Set(StateConnected)
	select {
	case <-n.Done():
		t.Fatal("Done closed at connected")
	default:
	}
	if n.State() != StateConnected {
		t.Fatalf("State = %v, want connected", n.State())
	}
	n.Set(StateFailed) // final: Finish
	select {
	case <-n.Done():
	default:
		t.Fatal("Done not closed at failed")
	}
	n.Finish()
	n.Finish() // idempotent
	select {
	case <-n.Done():
	default:
		t.Fatal("Done not closed after Finish")
	}
}

func TestMethods(t *testing.T) {
	var (
		sink  Sink
		stats Counters
		n     Notifier
	)
	m := Bind(media.PCMA, &sink, &stats, &n)
	if m.Codec() != media.PCMA || m.String() != "webrtc(PCMA)" {
		t.Fatalf("Codec, String = %v, %q; want PCMA, webrtc(PCMA)", m.Codec(), m.String())
	}
	n.Set(StateConnected)
	stats.Received.Add(2)
	if st := m.Stats(); st.State != StateConnected || st.PacketsReceived != 2 {
		t.Fatalf("Stats = %+v, want connected, 2 received", st)
	}
	var got []*media.Packet
	m.Start(media.PacketWriterFunc(func(p *media.Packet) error { got = append(got, p); return nil }))
	p := &media.Packet{}
	if err := sink.WritePacket(p); err != nil || len(got) != 1 || got[0] != p {
		t.Fatalf("after Start, the sink got %v (err %v), want the packet", got, err)
	}
	m.SetSink(nil)
	if err := sink.WritePacket(p); err != nil || len(got) != 1 {
		t.Fatalf("after SetSink(nil), the sink got %d packets (err %v), want none more", len(got), err)
	}
	var states []State
	m.OnState(func(s State) { states = append(states, s) })
	n.Report(slog.New(slog.DiscardHandler), StateClosed, &stats)
	if len(states) != 1 || states[0] != StateClosed {
		t.Fatalf("OnState callback got %v, want [closed]", states)
	}
	n.Set(StateClosed)
	select {
	case <-m.Done():
	default:
		t.Fatal("Done not closed at closed")
	}
}

func TestPayload(t *testing.T) {
	for _, n := range []int{0, 160, MaxPayload, MaxPayload + 1} {
		p := &media.Packet{Payload: make([]byte, n)}
		got, err := Payload(p)
		if ok := n <= MaxPayload; (err == nil) != ok || (ok && len(got) != n) {
			t.Errorf("Payload(%d bytes) = %d bytes, %v; want ok %v", n, len(got), err, ok)
		}
	}
}
