package media

import "sync"

// Playback is a Source being played into a PacketWriter on a Pacer: music
// or a prompt for a caller attached to no agent (waiting in a queue, an IVR
// prompt, an announcement). Create one with Pacer.Play.
type Playback struct {
	w     PacketWriter
	codec Codec
	src   Source
	enc   encodedSource // src, when its audio is pre-encoded and shared
	c     *Counters
	done  chan struct{} // closed when the source ends or Stop is called

	mu      sync.Mutex // guards following; held across the write (see Stop)
	untick  func()
	stopped bool
	seq     uint16
	ts      uint32
	pcm     [FrameSamples]int16
	buf     [FrameSamples]byte
	pkt     Packet
}

// Play starts writing src to w, encoded as codec, one frame per 20 ms on
// the pacer, until src ends or Stop is called. Sources from Music.Source,
// Clip.Source, Ringback and Silence are copied from audio encoded once and
// shared; any other Source is encoded frame by frame. Write errors are
// counted as dropped frames, not fatal: the leg's owner decides when to stop.
func (p *Pacer) Play(w PacketWriter, codec Codec, src Source) *Playback {
	if codec != PCMA {
		codec = PCMU
	}
	pb := &Playback{w: w, codec: codec, src: src, c: p.counters, done: make(chan struct{})}
	pb.enc, _ = src.(encodedSource)
	// The first tick may run before Register returns: hold mu so it sees
	// untick set (Register takes only the shard's lock, never pb.mu).
	pb.mu.Lock()
	pb.untick = p.Register(pb.tick)
	pb.mu.Unlock()
	return pb
}

func (pb *Playback) tick() {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	if pb.stopped {
		return
	}
	var ok bool
	if pb.enc != nil {
		ok = pb.enc.readEncoded(pb.codec, pb.buf[:])
	} else if ok = pb.src.ReadFrame(pb.pcm[:]); ok {
		Encode(pb.codec, pb.buf[:], pb.pcm[:])
	}
	if !ok {
		pb.stopLocked()
		return
	}
	pb.seq++
	pb.ts += FrameSamples
	pb.pkt = Packet{Payload: pb.buf[:], Codec: pb.codec, SequenceNumber: pb.seq, Timestamp: pb.ts}
	if err := pb.w.WritePacket(&pb.pkt); err != nil {
		pb.c.dropped.Add(1)
		return
	}
	pb.c.mixed.Add(1)
}

func (pb *Playback) stopLocked() {
	if !pb.stopped {
		pb.stopped = true
		pb.untick()
		close(pb.done)
	}
}

// Stop ends the playback. Once it returns nothing more is written. It is
// idempotent and safe to call from any goroutine.
func (pb *Playback) Stop() {
	pb.mu.Lock()
	defer pb.mu.Unlock()
	pb.stopLocked()
}

// Done is closed when the playback ends: its Source ran out (a one-shot
// clip) or Stop was called.
func (pb *Playback) Done() <-chan struct{} { return pb.done }
