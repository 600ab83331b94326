package media

import (
	"slices"
	"testing"
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
