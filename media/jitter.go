package media

// jbRing is the jitter buffer's reorder window in samples (256 ms): room for
// the deepest play-out point plus a burst of 60 ms packets.
const (
	jbRing     = 2048
	jbRingMask = jbRing - 1
	// jbRestart is how far (samples) a packet may land from the play-out
	// point before the buffer treats it as a new stream and starts over.
	jbRestart = 4 * jbRing
	// jbMaxPacket is the longest packet taken whole (60 ms); longer ones are
	// cut to it.
	jbMaxPacket = 3 * FrameSamples
)

// Jitter buffer depth bounds, in frames: the target depth grows by one on
// every underrun and shrinks back after shrinkAfter frames that never needed
// it, so it follows the measured arrival jitter.
const (
	jbMinDepth  = 1
	jbMaxDepth  = 3
	shrinkAfter = 50 // 1 s
)

// jitterBuffer places the decoded samples of one party at their RTP
// timestamps and hands exactly one 20 ms frame per pacer tick, so packets of
// any length from 10 to 60 ms mix correctly, and concealing losses by
// repeating the last frame at decreasing gain. It exists only where audio is
// decoded (the mixing path); the fast path has none. Not safe for
// concurrent use: the Switch's mutex guards it.
//
// Its samples (jbSamples, 7.4 KiB) are allocated at the first push, so a
// party on the fast path, which never decodes, carries none: at 200 bridged
// calls that was 15 KiB of each call's heap (the agent's Switch and the
// call's party).
type jitterBuffer struct {
	*jbSamples // nil until the first push

	started bool   // next is meaningful
	playing bool   // prebuffering done
	next    uint32 // timestamp of the next sample to play
	end     uint32 // timestamp just after the newest buffered sample
	depth   int    // frames to hold before (re)starting play-out

	concealRun int // frames concealed in a row
	minOcc     int // lowest buffered frames after a pop in this window
	window     int // pops in this window

	c *Counters
}

// jbSamples is a jitter buffer's ring and scratch.
type jbSamples struct {
	pcm  [jbRing]int16
	have [jbRing]bool
	last [FrameSamples]int16 // last frame played, for concealment
	dec  [jbMaxPacket]int16  // scratch decode
}

// reset empties the buffer (keeping its samples' memory).
func (jb *jitterBuffer) reset() {
	c, st := jb.c, jb.jbSamples
	*jb = jitterBuffer{c: c, depth: jbMinDepth, jbSamples: st}
	if st != nil {
		clear(st.have[:])
		clear(st.last[:])
	}
}

// buffered is how many samples lie between the play-out point and the
// newest one.
func (jb *jitterBuffer) buffered() int {
	if d := int32(jb.end - jb.next); d > 0 {
		return int(d)
	}
	return 0
}

// discard drops n samples at the play-out point.
func (jb *jitterBuffer) discard(n int) {
	for range n {
		jb.have[jb.next&jbRingMask] = false
		jb.next++
	}
}

// push decodes p to its timestamp. Packets wholly before the play-out point
// are late and discarded; a jump far from it restarts the buffer; a packet
// that would overrun the window pushes the oldest samples out.
func (jb *jitterBuffer) push(p *Packet, codec Codec) {
	if len(p.Payload) == 0 {
		jb.c.dropped.Add(1)
		return
	}
	if p.Codec == PCMU || p.Codec == PCMA {
		codec = p.Codec
	}
	n := min(len(p.Payload), jbMaxPacket)
	ts := p.Timestamp
	if jb.jbSamples == nil {
		jb.jbSamples = new(jbSamples) // once per party that decodes (not per packet)
	}
	if !jb.started {
		jb.reset()
		jb.started, jb.next, jb.end = true, ts, ts
	}
	d := int32(ts - jb.next)
	switch {
	case d < -jbRestart || d >= jbRestart: // new stream or a long gap: start over
		jb.reset()
		jb.started, jb.next, jb.end = true, ts, ts
		d = 0
	case int(d)+n <= 0:
		jb.c.late.Add(1)
		return
	}
	Decode(codec, jb.dec[:n], p.Payload[:n])
	from := 0
	if d < 0 { // partly late: keep the part still to play
		from = int(-d)
	}
	if over := int(d) + n - jbRing; over > 0 { // too far ahead: give up the oldest
		drop := min(over, jb.buffered())
		jb.discard(drop)
		jb.c.dropped.Add(uint64((drop + FrameSamples - 1) / FrameSamples))
		if over > drop {
			jb.next += uint32(over - drop)
		}
		d = int32(ts - jb.next)
		if d < 0 {
			from = int(-d)
		}
	}
	dup := true
	for i := from; i < n; i++ {
		k := (ts + uint32(i)) & jbRingMask
		if !jb.have[k] {
			dup = false
		}
		jb.pcm[k], jb.have[k] = jb.dec[i], true
	}
	if dup {
		return
	}
	if e := ts + uint32(n); int32(e-jb.end) > 0 {
		jb.end = e
	}
}

// pop writes the frame for this tick into dst (FrameSamples long).
func (jb *jitterBuffer) pop(dst []int16) {
	if !jb.playing {
		if !jb.started || jb.buffered() < jb.depth*FrameSamples {
			jb.conceal(dst)
			return
		}
		jb.playing = true
	}
	// More buffered than the target allows (a burst): drop the oldest.
	for jb.buffered() > (jb.depth+2)*FrameSamples {
		jb.discard(FrameSamples)
		jb.c.dropped.Add(1)
	}
	got := 0
	for i := range FrameSamples {
		if jb.have[(jb.next+uint32(i))&jbRingMask] {
			got++
		}
	}
	switch {
	case got > 0:
		if got < FrameSamples {
			jb.conceal(jb.last[:]) // what the missing samples of this frame get
		}
		for i := range FrameSamples {
			k := (jb.next + uint32(i)) & jbRingMask
			if jb.have[k] {
				dst[i] = jb.pcm[k]
				jb.have[k] = false
			} else {
				dst[i] = jb.last[i]
			}
		}
		jb.next += FrameSamples
		copy(jb.last[:], dst)
		if got == FrameSamples {
			jb.concealRun = 0
		}
		jb.track()
	case jb.buffered() > FrameSamples: // lost (or reordered beyond the depth): conceal, move on
		jb.conceal(dst)
		jb.next += FrameSamples
		jb.grow()
	default: // underrun: conceal and wait for the stream to refill the depth
		jb.conceal(dst)
		jb.playing = false
		jb.grow()
	}
}

func (jb *jitterBuffer) grow() {
	if jb.depth < jbMaxDepth {
		jb.depth++
	}
	jb.window, jb.minOcc = 0, jbRing
}

// track shrinks the depth when a whole window kept spare frames.
func (jb *jitterBuffer) track() {
	if jb.window == 0 {
		jb.minOcc = jbRing
	}
	jb.minOcc = min(jb.minOcc, jb.buffered()/FrameSamples)
	jb.window++
	if jb.window < shrinkAfter {
		return
	}
	if jb.minOcc > 0 && jb.depth > jbMinDepth {
		jb.depth--
		jb.discard(FrameSamples) // drop one frame of latency
		jb.c.dropped.Add(1)
	}
	jb.window = 0
}

// conceal repeats the last frame at 0.7, 0.5, 0.35 of its level, then plays
// silence.
func (jb *jitterBuffer) conceal(dst []int16) {
	jb.concealRun++
	if !jb.started || jb.concealRun > 3 {
		clear(dst)
		return
	}
	jb.c.concealed.Add(1)
	gain := [...]int32{0, 717, 512, 358}[jb.concealRun] // /1024
	for k, v := range jb.last {
		dst[k] = int16(int32(v) * gain >> 10)
	}
}
