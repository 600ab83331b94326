package media

// jbSlots is the reorder window of a jitter buffer, in frames (160 ms).
const jbSlots = 8

// Jitter buffer depth bounds, in frames: the target depth grows by one on
// every underrun and shrinks back after shrinkAfter frames that never needed
// it, so it follows the measured arrival jitter.
const (
	jbMinDepth  = 1
	jbMaxDepth  = 3
	shrinkAfter = 50 // 1 s
)

// jitterBuffer reorders decoded 20 ms frames of one party by RTP sequence
// number and hands exactly one frame per pacer tick, concealing losses by
// repeating the last frame at decreasing gain. It exists only where audio is
// decoded (the mixing path); the fast path has none. Not safe for
// concurrent use: the Switch's mutex guards it.
type jitterBuffer struct {
	slots [jbSlots][FrameSamples]int16
	seqs  [jbSlots]uint16
	have  [jbSlots]bool
	occ   int // frames held

	started bool   // next is meaningful
	playing bool   // prebuffering done
	next    uint16 // sequence number to play next
	depth   int    // frames to hold before (re)starting play-out

	last       [FrameSamples]int16 // last frame played, for concealment
	concealRun int                 // frames concealed in a row
	minOcc     int                 // lowest occupancy after a pop in this window
	window     int                 // pops in this window

	c *Counters
}

func (jb *jitterBuffer) reset() {
	c := jb.c
	*jb = jitterBuffer{c: c, depth: jbMinDepth}
}

func (jb *jitterBuffer) clear(i int) {
	if jb.have[i] {
		jb.have[i] = false
		jb.occ--
	}
}

// push decodes p into its slot. Packets older than the play-out point are
// late and discarded; a jump far outside the window restarts the buffer.
func (jb *jitterBuffer) push(p *Packet, codec Codec) {
	if len(p.Payload) == 0 {
		jb.c.dropped.Add(1)
		return
	}
	if p.Codec == PCMU || p.Codec == PCMA {
		codec = p.Codec
	}
	if !jb.started {
		jb.reset()
		jb.started, jb.next = true, p.SequenceNumber
	}
	d := int16(p.SequenceNumber - jb.next)
	switch {
	case d < -4*jbSlots || d >= 4*jbSlots: // new stream or a long gap: start over
		jb.reset()
		jb.started, jb.next = true, p.SequenceNumber
	case d < 0:
		jb.c.late.Add(1)
		return
	case d >= jbSlots: // too far ahead: give up the oldest frames
		for jb.next != p.SequenceNumber-jbSlots+1 {
			if i := int(jb.next % jbSlots); jb.have[i] {
				jb.clear(i)
				jb.c.dropped.Add(1)
			}
			jb.next++
		}
	}
	i := int(p.SequenceNumber % jbSlots)
	if jb.have[i] && jb.seqs[i] == p.SequenceNumber {
		return // duplicate
	}
	jb.clear(i)
	n := min(len(p.Payload), FrameSamples)
	Decode(codec, jb.slots[i][:n], p.Payload[:n])
	clear(jb.slots[i][n:])
	jb.seqs[i], jb.have[i] = p.SequenceNumber, true
	jb.occ++
}

// pop writes the frame for this tick into dst (FrameSamples long).
func (jb *jitterBuffer) pop(dst []int16) {
	if !jb.playing {
		if !jb.started || jb.occ < jb.depth {
			jb.conceal(dst)
			return
		}
		jb.playing = true
	}
	// More buffered than the target allows (a burst): drop the oldest.
	for jb.occ > jb.depth+2 {
		if i := int(jb.next % jbSlots); jb.have[i] {
			jb.clear(i)
			jb.c.dropped.Add(1)
		}
		jb.next++
	}
	i := int(jb.next % jbSlots)
	switch {
	case jb.have[i] && jb.seqs[i] == jb.next:
		copy(dst, jb.slots[i][:])
		copy(jb.last[:], dst)
		jb.clear(i)
		jb.next++
		jb.concealRun = 0
		jb.track()
	case jb.occ > 0: // lost (or reordered beyond the depth): conceal, move on
		jb.conceal(dst)
		jb.next++
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
	jb.window, jb.minOcc = 0, jbSlots
}

// track shrinks the depth when a whole window kept spare frames.
func (jb *jitterBuffer) track() {
	if jb.window == 0 {
		jb.minOcc = jbSlots
	}
	jb.minOcc = min(jb.minOcc, jb.occ)
	jb.window++
	if jb.window < shrinkAfter {
		return
	}
	if jb.minOcc > 0 && jb.depth > jbMinDepth {
		jb.depth--
		if i := int(jb.next % jbSlots); jb.have[i] { // drop one frame of latency
			jb.clear(i)
			jb.c.dropped.Add(1)
			jb.next++
		}
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
