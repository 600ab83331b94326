package wavrec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/media/wavrec"
)

// feed writes seconds of a freq tone in codec c as 20 ms packets.
func feed(t testing.TB, r *wavrec.Recorder, c media.Codec, freq float64, frames int) {
	s := tone.Sine{Freq: freq}
	pcm := make([]int16, media.FrameSamples)
	buf := make([]byte, media.FrameSamples)
	for range frames {
		s.Fill(pcm)
		p := media.Packet{Codec: c, Payload: media.Encode(c, buf, pcm)}
		if err := r.WritePacket(&p); err != nil {
			t.Fatal(err)
		}
		if frames > 64 {
			time.Sleep(100 * time.Microsecond) // paced a little: the test is about content, not drops
		}
	}
}

func load(t *testing.T, path string) []int16 {
	t.Helper()
	pcm, err := media.LoadWAVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// The file holds the caller's tone for its length, in either law.
func TestRecordsTone(t *testing.T) {
	for _, c := range []media.Codec{media.PCMU, media.PCMA} {
		path := filepath.Join(t.TempDir(), "m.wav")
		r, err := wavrec.Create(path, wavrec.Config{})
		if err != nil {
			t.Fatal(err)
		}
		feed(t, r, c, 1000, 100) // 2 s
		d, err := r.Close()
		if err != nil || d != 2*time.Second {
			t.Fatalf("%v: Close = %v, %v, want 2s", c, d, err)
		}
		pcm := load(t, path)
		if len(pcm) != 2*media.SampleRate {
			t.Errorf("%v: %d samples, want %d", c, len(pcm), 2*media.SampleRate)
		}
		if v := tone.Classify(pcm, 1000); v != tone.VerdictTone {
			t.Errorf("%v: recorded audio is %v, want the 1000 Hz tone", c, v)
		}
		if r.Dropped() != 0 {
			t.Errorf("%v: %d packets dropped", c, r.Dropped())
		}
		if d2, err := r.Close(); err != nil || d2 != d {
			t.Errorf("second Close = %v, %v", d2, err)
		}
	}
}

// Audio past Max is ignored and Full is closed; audio after Close is
// ignored; an existing file is never overwritten.
func TestMaxAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.wav")
	r, err := wavrec.Create(path, wavrec.Config{Max: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.Full():
		t.Fatal("full before any audio")
	default:
	}
	feed(t, r, media.PCMU, 700, 75) // 1.5 s
	select {
	case <-r.Full():
	case <-time.After(time.Second):
		t.Fatal("Full not closed past Max")
	}
	d, err := r.Close()
	if err != nil || d != time.Second {
		t.Fatalf("Close = %v, %v, want 1s", d, err)
	}
	feed(t, r, media.PCMU, 700, 5)
	if got := len(load(t, path)); got != media.SampleRate {
		t.Errorf("%d samples, want %d", got, media.SampleRate)
	}
	if _, err := wavrec.Create(path, wavrec.Config{}); err == nil {
		t.Error("Create over an existing file succeeded")
	}
}

// BenchmarkWritePacket is the media path's cost per 20 ms frame (the
// writer goroutine's decoding and writing included, since the queue is
// bounded): allocs/op must be 0; ns per recorded second is reported.
// BenchmarkWritePacket is the voicemail writer's cost: one 20 ms frame per
// op, through the queue and the writer goroutine's decode and write (the
// producer waits for the queue to drain every 32 frames, so the writer's
// work is counted), a new file every 1000 recorded seconds (Close and
// Create counted too). cpu-ns/recorded-s is the process CPU time (every
// thread, from getrusage) per recorded second of audio; 0 allocs/op is the
// hot path's.
func BenchmarkWritePacket(b *testing.B) {
	dir := b.TempDir()
	const perFile = 50000 // frames: 1000 s
	n := 0
	open := func() *wavrec.Recorder {
		n++
		r, err := wavrec.Create(filepath.Join(dir, fmt.Sprintf("b%d.wav", n)), wavrec.Config{Max: time.Hour, Slots: 64})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	closeRec := func(r *wavrec.Recorder) (seconds float64, dropped uint64) {
		if _, err := r.Close(); err != nil {
			b.Fatal(err)
		}
		_ = os.Remove(filepath.Join(dir, fmt.Sprintf("b%d.wav", n)))
		return r.Seconds(), r.Dropped()
	}
	pcm := make([]int16, media.FrameSamples)
	(&tone.Sine{Freq: 1000}).Fill(pcm)
	p := media.Packet{Codec: media.PCMU, Payload: media.Encode(media.PCMU, make([]byte, media.FrameSamples), pcm)}
	r := open()
	var secs float64
	var dropped uint64
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		_ = r.WritePacket(&p)
		if i%32 == 31 {
			for r.Queued() > 0 { // let the writer keep up: count its work too
				runtime.Gosched()
			}
		}
		if i%perFile == perFile-1 {
			s, d := closeRec(r)
			secs, dropped = secs+s, dropped+d
			r = open()
		}
	}
	s, d := closeRec(r)
	secs, dropped = secs+s, dropped+d
	el, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	if secs > 0 {
		b.ReportMetric(float64(el.Nanoseconds())/secs, "wall-ns/recorded-s")
		b.ReportMetric(float64(cpu.Nanoseconds())/secs, "cpu-ns/recorded-s")
	}
	b.ReportMetric(float64(dropped), "dropped")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
