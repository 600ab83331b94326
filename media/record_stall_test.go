package media

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

type countRecorder struct{ frames atomic.Int64 }

func (c *countRecorder) Codec() Codec            { return PCMU }
func (c *countRecorder) RecordFrame(_, _ []byte) { c.frames.Add(1) }
func discard(*Packet) error                      { return nil }
func (c *countRecorder) n() int64                { return c.frames.Load() }

// A recording on a running pacer keeps to the wall clock over a stall: the
// Switch's tick is held up for 400 ms (its lock held, as a stalled machine
// holds it), the pacer gives up the frames it missed (more than
// maxCatchUp), and the recording still gets one frame per 20 ms of wall
// clock. Before, it lost the 20 frames, and a CI machine's recording was
// 0.65 s shorter than its call.
func TestRecordingKeepsWallClockOverAStall(t *testing.T) {
	p := NewPacer(PacerConfig{Workers: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer p.Close()
	s := NewSwitch(SwitchConfig{Pacer: p})
	defer s.Close()
	if _, err := s.AddCall("c1", PacketWriterFunc(discard), PCMU, StateActive); err != nil {
		t.Fatal(err)
	}
	rec := &countRecorder{}
	start := time.Now()
	if err := s.Record("c1", rec); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rec.n() < 5 {
		if time.Now().After(deadline) {
			t.Fatal("no recorded frames")
		}
		time.Sleep(5 * time.Millisecond)
	}
	late := p.late.Load()
	s.mu.Lock()
	time.Sleep(400 * time.Millisecond) // the stall itself: the pacer's tick waits for the lock
	s.mu.Unlock()
	for p.late.Load() == late {
		if time.Now().After(deadline) {
			t.Fatal("the pacer never fell behind: the stall did not happen")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Within a few ticks the recording is back on the wall clock, and stays.
	behind := func() int64 { return int64(time.Since(start)/FrameDuration) - rec.n() }
	for until := time.Now().Add(2 * time.Second); behind() > recordSlack+1; {
		if time.Now().After(until) {
			t.Fatalf("%d frames recorded in %v: %d behind the wall clock (the pacer skipped %d)", rec.n(), time.Since(start), behind(), p.late.Load()-late)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if b := behind(); b < -1 {
		t.Errorf("%d frames recorded in %v: %d ahead of the wall clock", rec.n(), time.Since(start), -b)
	}
}
