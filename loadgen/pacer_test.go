package loadgen

import (
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/media/udploop"
)

// newTestLoop starts a media loop with its Mux (newLoops), stopped at
// the test's end.
func newTestLoop(t testing.TB) mediaLoop {
	t.Helper()
	loops, err := newLoops(1)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("udploop is Linux only")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeLoops(loops) }) // registered first: runs after the addresses' cleanups
	return loops[0]
}

// TestEncodedToneIsTheContinuousTone: every tone the generator sends
// (agents', callers', the probe), one frame repeated, is within one G.711
// step of the same sine generated continuously over 10 frames; a tone
// that is not a whole number of periods per frame is refused.
func TestEncodedToneIsTheContinuousTone(t *testing.T) {
	all := slices.Concat(agentFreqs, callerFreqs, []float64{probeFreq})
	for _, f := range all {
		frame := encodedTone(media.PCMU, f)
		var cont [10 * media.FrameSamples]int16
		s := tone.Sine{Freq: f}
		s.Fill(cont[:])
		var rep [media.FrameSamples]int16
		media.Decode(media.PCMU, rep[:], frame)
		for i, want := range cont {
			// μ-law steps are at most 1/16 of the magnitude (plus the
			// quantum at zero): twice that is "one step".
			tol := math.Abs(float64(want))/8 + 16
			if d := math.Abs(float64(rep[i%media.FrameSamples]) - float64(want)); d > tol {
				t.Fatalf("%g Hz: sample %d (frame %d) is %d, continuous tone %d", f, i, i/media.FrameSamples, rep[i%media.FrameSamples], want)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a 625 Hz tone (12.5 periods per frame) was accepted")
		}
	}()
	encodedTone(media.PCMU, 625)
}

// TestPacerShapes: on the loops' clock every source sends 50 frames a
// second; paced, every source's frame of a 20 ms interval goes out at the
// same moment, independent, each source sends at its own slot's offset
// (so the sources spread over the period).
func TestPacerShapes(t *testing.T) {
	for _, independent := range []bool{false, true} {
		name := map[bool]string{false: ShapePaced, true: ShapeIndependent}[independent]
		t.Run(name, func(t *testing.T) {
			loops := []mediaLoop{newTestLoop(t), newTestLoop(t)}
			p := &pacer{codec: media.PCMU, independent: independent}
			p.start(loops)
			defer p.stop()
			const n, frames = 16, 30
			var mu sync.Mutex
			sent := make([][]time.Time, n)
			srcs := make([]*source, n)
			for i := range srcs {
				srcs[i] = &source{freq: 1000, loop: i % len(loops), write: func([]byte, bool) error {
					mu.Lock()
					sent[i] = append(sent[i], time.Now())
					mu.Unlock()
					return nil
				}}
				p.add(srcs[i])
			}
			start := time.Now()
			for deadline := start.Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				mu.Lock()
				least := len(sent[0])
				for _, s := range sent {
					least = min(least, len(s))
				}
				mu.Unlock()
				if least >= frames {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 30 s a source sent only %d frames", least)
				}
			}
			for _, s := range srcs {
				p.remove(s)
			}
			elapsed := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			for i, s := range sent {
				// At most one frame per 20 ms (plus the first): never faster.
				if max := int(elapsed/media.FrameDuration) + 2; len(s) > max {
					t.Errorf("source %d sent %d frames in %v (more than one per 20 ms)", i, len(s), elapsed)
				}
			}
			// Each source's offset from source 0 against its slot's, over its
			// frames: the error, within ±10 ms (circular), median (which
			// ignores a stalled tick's catch-up burst) at most 4 ms (ticks
			// late on a loaded machine).
			const period = media.FrameDuration
			spread := map[int]bool{}
			for i := 1; i < n; i++ {
				if !independent && srcs[i].slot != 0 {
					t.Fatalf("paced source %d in slot %d", i, srcs[i].slot)
				}
				spread[srcs[i].slot] = true
				want := time.Duration(srcs[i].slot-srcs[0].slot) * udploop.Tick
				var errs []time.Duration
				for k := range min(len(sent[i]), len(sent[0])) {
					e := sent[i][k].Sub(sent[0][k]) - want
					errs = append(errs, ((e%period)+period+period/2)%period-period/2)
				}
				slices.Sort(errs)
				if e := errs[len(errs)/2]; e > 4*time.Millisecond || e < -4*time.Millisecond {
					t.Errorf("source %d (slot %d) sends %v off its offset from source 0 (slot %d)", i, srcs[i].slot, e, srcs[0].slot)
				}
			}
			if independent && len(spread) < 6 {
				t.Errorf("independent sources in only %d slots of 20", len(spread))
			}
		})
	}
}

// BenchmarkCallerPath is one frame of the generator's steady state, both
// ends in the generator: a source's cached frame queued from its RTP
// address on the loop's Mux (sendmmsg at the tick's end) to another
// call's address, read on the loop's clock (recvmmsg) and analysed as a caller hears it (decode, Goertzel on
// the tone and the probe, sequence and jitter). It must not allocate.
func BenchmarkCallerPath(b *testing.B) {
	mux := newTestLoop(b).mux
	var got atomic.Int64
	from, err := newCall(mux, 0, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer from.end.Close()
	to, err := newCall(mux, 0, 2, &got)
	if err != nil {
		b.Fatal(err)
	}
	defer to.end.Close()
	from.remote = to.local
	to.callerRx.bind(from.src.freq, from.src)
	to.callerRx.acceptAt = time.Now()
	from.src.toneFrame, from.src.probeFrame = encodedTone(media.PCMU, from.src.freq), encodedTone(media.PCMU, probeFreq)
	sent := 0
	send := func(n int) {
		for range n {
			from.src.frame(sent)
			sent++
		}
		for deadline := time.Now().Add(10 * time.Second); got.Load() < int64(sent); time.Sleep(100 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d frames arrived", got.Load(), sent)
			}
		}
	}
	send(200) // verified: the receiver keeps no audio from here on
	to.callerRx.mu.Lock()
	verified := to.callerRx.verify.ok
	to.callerRx.mu.Unlock()
	if !verified {
		b.Fatal("the receiver did not verify the tone")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := b.N; n > 0; n -= 8 {
		send(min(n, 8)) // a socket buffer's worth at a time
	}
}
