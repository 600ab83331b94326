package media

// Timeline bounds: an input packet that follows the last one of its stream
// by at most maxSeqStep sequence numbers and maxTSStep samples keeps its
// gap (PROTOCOL §14 "Media timeline": loss stays loss); anything else is a
// new stream (a feeder or path switch, a restart), which continues right
// after the last output.
const (
	maxSeqStep = 100             // 2 s of 20 ms packets
	maxTSStep  = 10 * SampleRate // 10 s: a silence-suppressed pause
	maxReorder = 10              // a late packet this close is passed on as late
)

// Timeline maps the sequence numbers and timestamps of the streams that feed
// one output onto that output's single stream by offsets, not re-stamping:
// within one input stream, gaps in sequence numbers (loss) and timestamp
// steps (pauses, 10-60 ms packets) pass through unchanged; when the input
// stream changes, the offsets are re-anchored so the output continues right
// after its last packet (no seq or timestamp going back, no duplicate).
//
// The zero Timeline starts at sequence 0, timestamp 0; Start sets random
// bases. Not safe for concurrent use.
type Timeline struct {
	started bool
	seq     uint16 // last output sequence number
	end     uint32 // output timestamp just after the last packet's samples
	src     uint64 // the input stream the offsets belong to (0: none)
	seqOff  uint16
	tsOff   uint32
	inSeq   uint16 // last input sequence number of src
	own     bool   // the last output packet came from Next, not from src
}

// Start sets where the output stream begins: its first packet gets seq+1
// and timestamp ts.
func (t *Timeline) Start(seq uint16, ts uint32) {
	*t = Timeline{started: true, seq: seq, end: ts}
}

// Next numbers a packet the output's owner makes itself (mixing path,
// silence, a prompt): the sequence number after the last and the timestamp
// just after the last packet's samples.
func (t *Timeline) Next(samples uint32) (seq uint16, ts uint32) {
	t.started = true
	t.seq++
	ts = t.end
	t.end += samples
	t.own = true
	return t.seq, ts
}

// Map numbers a packet of input stream src (any non-zero identity of the
// feeder) with input sequence number seq, timestamp ts and samples samples.
// ok is false for a packet to drop: one older than the last output that
// cannot be passed on as late without duplicating a number. jumped is true
// when the stream re-anchored (a new talkspurt for the receiver: set the
// marker bit).
func (t *Timeline) Map(src uint64, seq uint16, ts uint32, samples uint32) (oseq uint16, ots uint32, ok, jumped bool) {
	if t.started && src == t.src && src != 0 {
		oseq, ots = seq+t.seqOff, ts+t.tsOff
		ds, dt := int16(oseq-t.seq), int32(ots-t.end)
		switch {
		case ds > 0 && ds <= maxSeqStep && dt >= 0 && dt <= maxTSStep:
			t.seq, t.end, t.inSeq, t.own = oseq, ots+samples, seq, false
			return oseq, ots, true, false
		case ds <= 0 && ds > -maxReorder && int16(seq-t.inSeq) < 0:
			// Reordered: late, but its numbers are free unless our own
			// packets (fills) took the place since.
			return oseq, ots, !t.own, false
		}
	}
	t.started = true
	t.src = src
	t.seq++
	t.seqOff, t.tsOff = t.seq-seq, t.end-ts
	t.inSeq, t.own = seq, false
	oseq, ots = t.seq, t.end
	t.end += samples
	return oseq, ots, true, true
}

// NextSeq numbers an own packet that takes no samples of its own (an RFC
// 4733 event packet, which repeats its event's timestamp).
func (t *Timeline) NextSeq() uint16 {
	t.started = true
	t.seq++
	t.own = true
	return t.seq
}

// Shift moves the output forward by d samples from the last packet on: the
// last Map's anchor (so the same input stream keeps its steps) and the
// timestamp the next packet follows. Use it right after a re-anchoring Map
// to put a new stream at the wall clock.
func (t *Timeline) Shift(d uint32) {
	t.end += d
	t.tsOff += d
}

// SetEnd sets the timestamp the next own packet takes, and forgets the
// input stream (own packets such as events took its place).
func (t *Timeline) SetEnd(ts uint32) {
	t.end = ts
	t.src = 0
}

// Reset forgets the input stream: the next Map re-anchors.
func (t *Timeline) Reset() { t.src = 0 }

// Last returns the last output sequence number and the timestamp just after
// the last packet's samples.
func (t *Timeline) Last() (seq uint16, end uint32) { return t.seq, t.end }
