package browserleg

import (
	"sync/atomic"

	"switchboard/media"
)

// Counters are a leg's live counters, updated with atomic adds from any
// goroutine (the hot path: no lock, no allocation); Stats reads them.
type Counters struct {
	Sent, SentBytes, Received, ReceivedBytes  atomic.Uint64
	Dropped, Ignored, WriteErrors, SinkErrors atomic.Uint64
	RTCPReceived, RTCPSent                    atomic.Uint64 // lean engine only
}

// Stats returns a snapshot of c, with the leg's state s.
func (c *Counters) Stats(s State) Stats {
	return Stats{
		State:           s,
		PacketsSent:     c.Sent.Load(),
		BytesSent:       c.SentBytes.Load(),
		PacketsReceived: c.Received.Load(),
		BytesReceived:   c.ReceivedBytes.Load(),
		PacketsDropped:  c.Dropped.Load(),
		PacketsIgnored:  c.Ignored.Load(),
		WriteErrors:     c.WriteErrors.Load(),
		SinkErrors:      c.SinkErrors.Load(),
		RTCPReceived:    c.RTCPReceived.Load(),
		RTCPSent:        c.RTCPSent.Load(),
	}
}

// Sink is where a leg delivers the browser's audio. Set may run while a
// delivery is in progress: that packet goes to the old sink or the new
// one. The zero Sink discards.
type Sink struct{ box atomic.Pointer[sinkBox] }

type sinkBox struct{ w media.PacketWriter }

// Set replaces the sink; nil discards.
func (s *Sink) Set(w media.PacketWriter) {
	if w == nil {
		w = media.Discard
	}
	s.box.Store(&sinkBox{w})
}

// WritePacket hands p to the current sink.
func (s *Sink) WritePacket(p *media.Packet) error {
	if b := s.box.Load(); b != nil {
		return b.w.WritePacket(p)
	}
	return nil
}

var _ media.PacketWriter = (*Sink)(nil)
