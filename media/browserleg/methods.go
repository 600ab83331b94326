package browserleg

import (
	"fmt"

	"switchboard/media"
)

// MaxPayload is the largest payload a leg's WritePacket accepts (Payload):
// 1500 bytes is far above a 20 ms G.711 frame (160).
const MaxPayload = 1500

// Payload returns p's payload for a leg's WritePacket, or an error when it
// is longer than MaxPayload.
func Payload(p *media.Packet) ([]byte, error) {
	if len(p.Payload) > MaxPayload {
		return nil, fmt.Errorf("write packet: payload of %d bytes exceeds %d", len(p.Payload), MaxPayload)
	}
	return p.Payload, nil
}

// Methods are the methods both engines' legs export over the parts they
// share: Codec, String, Start, SetSink, OnState, Done and Stats. An
// engine's Leg keeps its Sink, Counters and Notifier as its own
// (unexported) fields and embeds the Methods that Bind makes over them, so
// that the parts themselves are not part of its API.
type Methods struct {
	codec  media.Codec
	sink   *Sink
	stats  *Counters
	notify *Notifier
}

// Bind returns the Methods over a leg's parts; codec is the one it sends.
func Bind(codec media.Codec, sink *Sink, stats *Counters, notify *Notifier) Methods {
	return Methods{codec: codec, sink: sink, stats: stats, notify: notify}
}

// Codec returns the codec the leg sends (and the browser was asked to send).
func (m Methods) Codec() media.Codec { return m.codec }

// String names the stage for pipeline logs.
func (m Methods) String() string { return "webrtc(" + m.codec.String() + ")" }

// Start begins delivering the browser's audio to sink: SetSink under the
// name the leg's users know. Audio received before Start is discarded.
func (m Methods) Start(sink media.PacketWriter) { m.SetSink(sink) }

// SetSink atomically replaces where the browser's audio goes (nil
// discards). The engine calls the sink one packet at a time, with one
// reused Packet whose payload is valid during the call only (sinks must not
// retain it); its doc says from which goroutine.
func (m Methods) SetSink(sink media.PacketWriter) { m.sink.Set(sink) }

// OnState sets the callback for state changes: Connected, Disconnected,
// Failed and Closed (Connecting is never reported). Calls are made one at
// a time, in order, from a goroutine of the leg; the callback may call
// Close.
func (m Methods) OnState(fn func(State)) { m.notify.OnState(fn) }

// Done is closed once the leg reaches Failed or Closed.
func (m Methods) Done() <-chan struct{} { return m.notify.Done() }

// Stats returns the leg's counters and its state.
func (m Methods) Stats() Stats { return m.stats.Stats(m.notify.State()) }
