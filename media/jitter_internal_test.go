package media

import (
	"slices"
	"testing"
	"unsafe"
)

// TestJitterPacketSizes: packets of 10, 20, 30, 40 and 60 ms, and a stream
// whose size changes, come out of the jitter buffer as exactly the samples
// that went in, one 20 ms frame per tick, nothing concealed or dropped (the
// old buffer, slotted by sequence number, cut every packet to 20 ms).
func TestJitterPacketSizes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int // samples per packet, cycled
	}{
		{"10ms", []int{80}}, {"20ms", []int{160}}, {"30ms", []int{240}}, {"40ms", []int{320}},
		{"60ms", []int{480}}, {"mixed", []int{160, 240, 80, 480, 160}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Counters
			jb := jitterBuffer{c: &c}
			jb.reset()
			// The source: a ramp of distinct values, G.711-encoded per packet.
			const total = 8000 // 1 s
			src := make([]int16, total)
			for i := range src {
				src[i] = int16((i*37)%20000 - 10000)
			}
			want := Decode(PCMU, make([]int16, total), Encode(PCMU, make([]byte, total), src))
			var out []int16
			var frame [FrameSamples]int16
			ts0, seq := uint32(4_000_000_000), uint16(65000) // both wrap
			sent, k := 0, 0
			for tick := 0; len(out) < total-4*jbMaxPacket; tick++ {
				// Deliver every packet that has started by this tick's end,
				// as a sender's clock would.
				for sent < total && sent < (tick+1)*FrameSamples {
					n := min(tc.sizes[k%len(tc.sizes)], total-sent)
					p := &Packet{Payload: Encode(PCMU, make([]byte, n), src[sent:sent+n]), Codec: PCMU,
						SequenceNumber: seq, Timestamp: ts0 + uint32(sent)}
					jb.push(p, PCMU)
					sent, seq, k = sent+n, seq+1, k+1
				}
				jb.pop(frame[:])
				if jb.playing || len(out) > 0 {
					out = append(out, frame[:]...)
				}
			}
			// Play-out starts once the depth is buffered: find where.
			start := -1
			for i := 0; i+FrameSamples <= len(out); i++ {
				if slices.Equal(out[i:i+FrameSamples], want[:FrameSamples]) {
					start = i
					break
				}
			}
			if start < 0 {
				t.Fatalf("the stream's first frame never came out")
			}
			got := out[start:]
			if n := len(got); !slices.Equal(got, want[:n]) {
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("sample %d of %d differs: got %d, want %d", i, n, got[i], want[i])
					}
				}
			}
			if s := c.Snapshot(); s.Concealed != 0 || s.Dropped != 0 || s.Late != 0 {
				t.Errorf("counters %+v, want none concealed, dropped or late", s)
			}
		})
	}
}

// TestFastPathPartiesCarryNoJitterSamples: the jitter buffer's samples
// are allocated at its first push, so the Switch and a call, whose parties
// on the fast path never decode, stay small (before: 13 KiB and 8 KiB,
// most of it two rings of samples that were never used).
func TestFastPathPartiesCarryNoJitterSamples(t *testing.T) {
	if n := unsafe.Sizeof(Switch{}); n > 4096 {
		t.Errorf("Switch is %d bytes, want at most 4096", n)
	}
	if n := unsafe.Sizeof(call{}); n > 1024 {
		t.Errorf("call is %d bytes, want at most 1024", n)
	}
	var c Counters
	jb := jitterBuffer{c: &c}
	jb.reset()
	var dst [FrameSamples]int16
	jb.pop(dst[:]) // before any push: silence, nothing allocated
	if jb.jbSamples != nil {
		t.Error("samples allocated before the first push")
	}
}

// TestJitterResetForgetsSamples: after a reset (a new stream) the new
// stream plays and nothing of the old one's buffered samples, although
// the ring's memory is kept: a gap in the new stream is concealed from its
// own last frame. (Fails if reset keeps the old stream's have flags.)
func TestJitterResetForgetsSamples(t *testing.T) {
	var c Counters
	jb := jitterBuffer{c: &c}
	jb.reset()
	frame := func(v int16) []byte {
		pcm := make([]int16, FrameSamples)
		for i := range pcm {
			pcm[i] = v
		}
		return Encode(PCMU, make([]byte, FrameSamples), pcm)
	}
	for i := range uint32(4) { // the old stream, buffered and never played
		jb.push(&Packet{Payload: frame(8000), Codec: PCMU, Timestamp: i * FrameSamples}, PCMU)
	}
	jb.reset()
	// The new stream in the same ring slots as timestamp 0, its second
	// frame lost.
	jb.push(&Packet{Payload: frame(1000), Codec: PCMU, Timestamp: jbRing}, PCMU)
	jb.push(&Packet{Payload: frame(1000), Codec: PCMU, Timestamp: jbRing + 2*FrameSamples}, PCMU)
	var dst [FrameSamples]int16
	jb.pop(dst[:])
	if slices.ContainsFunc(dst[:], func(v int16) bool { return v < 900 || v > 1100 }) {
		t.Errorf("the new stream's first frame: %v, want ≈ 1000 (taken for a duplicate of the old stream's?)", dst[:8])
	}
	jb.pop(dst[:]) // the lost frame: concealment, not the old stream's
	if slices.ContainsFunc(dst[:], func(v int16) bool { return v > 1500 }) {
		t.Errorf("after reset the old stream played: %v", dst[:8])
	}
}
