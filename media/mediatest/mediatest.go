// Package mediatest provides synthetic legs for testing the media plane
// without sockets: a Leg that records what it receives (decoded, with the
// sequence numbers and timestamps a real leg would stamp), a Feeder that
// pushes 20 ms tone packets into an input, a Clock of steps the test
// advances, and a WallClock (a time.Now the test moves).
//
// Everything is safe for concurrent use; none of it starts goroutines.
package mediatest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
)

// Clock counts test steps (one step is one 20 ms frame). Legs record the
// step at which each packet arrives.
type Clock struct{ n atomic.Int64 }

// Advance moves to the next step and returns it.
func (c *Clock) Advance() int { return int(c.n.Add(1)) }

// Now returns the current step.
func (c *Clock) Now() int { return int(c.n.Load()) }

// WallClock is a time.Now the test moves.
type WallClock struct {
	mu sync.Mutex // guards t
	t  time.Time
}

// NewWallClock is a WallClock at t.
func NewWallClock(t time.Time) *WallClock { return &WallClock{t: t} }

// Now is the clock's time.
func (c *WallClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set puts the clock at t.
func (c *WallClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock by d.
func (c *WallClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Received is one packet as a Leg saw it.
type Received struct {
	Step  int         // Clock step at which it arrived
	Seq   uint16      // sequence number the leg stamped
	TS    uint32      // timestamp the leg stamped
	Codec media.Codec // codec of the payload as handed over
	PCM   []int16     // the payload decoded
	InSeq uint16      // sequence number as handed over (the writer's timeline)
	InTS  uint32      // timestamp as handed over
	Mark  bool        // marker bit as handed over
}

// Leg is a media.PacketWriter standing in for an outgoing rtpleg or
// webrtcleg: like them it stamps its own sequence numbers (+1 a packet) and
// timestamps (+samples a packet), and it decodes and keeps what it receives.
type Leg struct {
	Clock *Clock      // nil: every packet is recorded at step 0
	Codec media.Codec // expected codec; a packet in another one is an error

	mu   sync.Mutex // guards following
	seq  uint16
	ts   uint32
	recs []Received
	errs []error
}

// NewLeg returns a Leg expecting codec, recording steps of clock.
func NewLeg(clock *Clock, codec media.Codec) *Leg {
	return &Leg{Clock: clock, Codec: codec, seq: 1000, ts: 50000}
}

// WritePacket records p (it does not retain it).
func (l *Leg) WritePacket(p *media.Packet) error {
	step := 0
	if l.Clock != nil {
		step = l.Clock.Now()
	}
	pcm := media.Decode(p.Codec, make([]int16, len(p.Payload)), p.Payload)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Codec != media.CodecUnknown && p.Codec != l.Codec {
		l.errs = append(l.errs, fmt.Errorf("packet %d in %v, want %v", len(l.recs), p.Codec, l.Codec))
	}
	l.seq++
	l.ts += uint32(len(p.Payload))
	l.recs = append(l.recs, Received{Step: step, Seq: l.seq, TS: l.ts, Codec: p.Codec, PCM: pcm,
		InSeq: p.SequenceNumber, InTS: p.Timestamp, Mark: p.Marker})
	return nil
}

// Packets returns a copy of everything received so far.
func (l *Leg) Packets() []Received {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Received(nil), l.recs...)
}

// Len returns the number of packets received.
func (l *Leg) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recs)
}

// PCM returns the decoded audio of the packets received at steps
// [from, to), concatenated.
func (l *Leg) PCM(from, to int) []int16 {
	var out []int16
	for _, r := range l.Packets() {
		if r.Step >= from && r.Step < to {
			out = append(out, r.PCM...)
		}
	}
	return out
}

// CheckContinuity returns an error unless the leg received exactly one
// packet at every step in [from, to), with sequence numbers +1 and
// timestamps +samples from one to the next (also from the packet before
// from, if any), all in the expected codec: no gap, no doubled frame.
func (l *Leg) CheckContinuity(from, to int) error {
	l.mu.Lock()
	errs := append([]error(nil), l.errs...)
	l.mu.Unlock()
	if len(errs) > 0 {
		return errs[0]
	}
	per := make(map[int]int)
	var prev *Received
	recs := l.Packets()
	for i := range recs {
		r := &recs[i]
		if r.Step >= to {
			break
		}
		if r.Step >= from {
			per[r.Step]++
			if prev != nil {
				if err := follows(r.Step, "", r.Seq, prev.Seq, r.TS, prev.TS, len(r.PCM)); err != nil {
					return err
				}
			}
		}
		prev = r
	}
	for s := from; s < to; s++ {
		if n := per[s]; n != 1 {
			return fmt.Errorf("step %d: %d packets, want exactly 1", s, n)
		}
	}
	return nil
}

// CheckNumbering returns an error unless the packets received at steps
// [from, to) were handed over with sequence numbers +1 and timestamps
// +samples from one to the next (the writer's own timeline has no gap or
// overlap there).
func (l *Leg) CheckNumbering(from, to int) error {
	var prev *Received
	recs := l.Packets()
	for i := range recs {
		r := &recs[i]
		if r.Step < from || r.Step >= to {
			continue
		}
		if prev != nil {
			if err := follows(r.Step, "handed ", r.InSeq, prev.InSeq, r.InTS, prev.InTS, len(prev.PCM)); err != nil {
				return err
			}
		}
		prev = r
	}
	return nil
}

// follows returns an error (at step, its numbers named what+"seq" and
// what+"ts") unless seq and ts follow prevSeq and prevTS as RTP numbers
// do: seq one more, ts samples more.
func follows(step int, what string, seq, prevSeq uint16, ts, prevTS uint32, samples int) error {
	if seq != prevSeq+1 {
		return fmt.Errorf("step %d: %sseq %d after %d", step, what, seq, prevSeq)
	}
	if ts != prevTS+uint32(samples) {
		return fmt.Errorf("step %d: %sts %d after %d (+%d samples)", step, what, ts, prevTS, samples)
	}
	return nil
}

// Feeder pushes one 20 ms packet of a sine (or silence, for Freq 0) into
// In at each Send, numbering them like an RTP sender.
type Feeder struct {
	In    media.PacketWriter
	Codec media.Codec
	Freq  float64 // Hz; 0 sends silence
	Amp   float64 // peak; 0 means 8000

	mu   sync.Mutex // guards following
	sine tone.Sine
	seq  uint16
	ts   uint32
	pcm  [media.FrameSamples]int16
	buf  [media.FrameSamples]byte
	pkt  media.Packet
}

// NewFeeder returns a Feeder of freq Hz into in, encoded as codec.
func NewFeeder(in media.PacketWriter, codec media.Codec, freq float64) *Feeder {
	return &Feeder{In: in, Codec: codec, Freq: freq, seq: 7, ts: 1234}
}

// Send pushes the next packet and returns In's error.
func (f *Feeder) Send() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextLocked()
	return f.In.WritePacket(&f.pkt)
}

// Skip generates the next packet but does not send it (a lost packet).
func (f *Feeder) Skip() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextLocked()
}

func (f *Feeder) nextLocked() {
	if f.Freq == 0 {
		clear(f.pcm[:])
	} else {
		f.sine.Freq, f.sine.Amplitude = f.Freq, f.Amp
		f.sine.Fill(f.pcm[:])
	}
	f.seq++
	f.ts += media.FrameSamples
	media.Encode(f.Codec, f.buf[:], f.pcm[:])
	f.pkt = media.Packet{Payload: f.buf[:], Codec: f.Codec, SequenceNumber: f.seq, Timestamp: f.ts}
}

// Counter is a media.PacketWriter that only counts packets (for benchmarks).
type Counter struct{ N atomic.Int64 }

// WritePacket counts p.
func (c *Counter) WritePacket(*media.Packet) error { c.N.Add(1); return nil }

var (
	_ media.PacketWriter = (*Leg)(nil)
	_ media.PacketWriter = (*Counter)(nil)
)
