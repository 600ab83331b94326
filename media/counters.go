package media

import "sync/atomic"

// Counters count what the media plane does, for /metrics. One Counters may be
// shared by every Switch and Playback of the process; it is safe for
// concurrent use and its zero value is ready.
type Counters struct {
	forwarded atomic.Uint64
	mixed     atomic.Uint64
	dropped   atomic.Uint64
	late      atomic.Uint64
	concealed atomic.Uint64
}

// CounterSnapshot is a point-in-time copy of Counters.
type CounterSnapshot struct {
	Forwarded uint64 // packets forwarded on the fast path without decoding
	Mixed     uint64 // frames produced on the pacer (mixed or played) and written
	Dropped   uint64 // frames dropped: jitter-buffer overflow, bad payloads, failed writes
	Late      uint64 // packets that arrived after their play-out time and were discarded
	Concealed uint64 // frames a jitter buffer invented (repeat/attenuate) for a missing packet
}

// Snapshot returns the current values.
func (c *Counters) Snapshot() CounterSnapshot {
	return CounterSnapshot{
		Forwarded: c.forwarded.Load(),
		Mixed:     c.mixed.Load(),
		Dropped:   c.dropped.Load(),
		Late:      c.late.Load(),
		Concealed: c.concealed.Load(),
	}
}
