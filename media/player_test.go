package media_test

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/waittest"
	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

func TestPlayback(t *testing.T) {
	p := media.NewPacer(media.PacerConfig{Manual: true})
	defer p.Close()
	clock := new(mediatest.Clock)
	tick := func(n int) (int, int) {
		from := clock.Now() + 1
		for range n {
			clock.Advance()
			p.Tick()
		}
		return from, clock.Now() + 1
	}

	music := mediatest.NewLeg(clock, media.PCMA)
	ring := mediatest.NewLeg(clock, media.PCMU)
	quiet := mediatest.NewLeg(clock, media.PCMU)
	clipLeg := mediatest.NewLeg(clock, media.PCMU)
	pm := p.Play(music, media.PCMA, media.DefaultMusic().Source())
	pr := p.Play(ring, media.PCMU, media.Ringback())
	ps := p.Play(quiet, media.PCMU, media.Silence())
	pcm := make([]int16, 10*media.FrameSamples)
	(&tone.Sine{Freq: 1100}).Fill(pcm)
	clip := media.NewClip(pcm)
	pc := p.Play(clipLeg, media.PCMU, clip.Source())

	from, to := tick(25)
	isMusic(t, "music", music.PCM(from, to))
	isTone(t, "ringback", ring.PCM(from, to), media.RingbackFreq)
	isSilence(t, "silence", quiet.PCM(from, to))
	select {
	case <-pc.Done():
	default:
		t.Error("clip of 10 frames not done after 25 ticks")
	}
	if n := clipLeg.Len(); n != clip.Frames() {
		t.Errorf("clip wrote %d frames, want %d", n, clip.Frames())
	}
	isTone(t, "clip", clipLeg.PCM(0, to), 1100)
	for name, leg := range map[string]*mediatest.Leg{"music": music, "ringback": ring} {
		if err := leg.CheckContinuity(from, to); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	pm.Stop()
	pm.Stop()
	n := music.Len()
	tick(3)
	if music.Len() != n {
		t.Error("stopped playback still writes")
	}
	<-pm.Done()
	pr.Stop()
	ps.Stop()
}

// PCM-only sources are encoded per frame.
type rampSource struct{ n int }

func (r *rampSource) ReadFrame(dst []int16) bool {
	r.n++
	(&tone.Sine{Freq: 700}).Fill(dst)
	return r.n <= 5
}

func TestPlaybackPCMSource(t *testing.T) {
	p := media.NewPacer(media.PacerConfig{Manual: true})
	defer p.Close()
	leg := mediatest.NewLeg(nil, media.PCMU)
	pb := p.Play(leg, media.PCMU, &rampSource{})
	for range 10 {
		p.Tick()
	}
	<-pb.Done()
	if leg.Len() != 5 {
		t.Errorf("wrote %d frames, want 5", leg.Len())
	}
}

// TestPacerRealTime runs the real clock: frames arrive about every 20 ms on
// the worker goroutines, and Close waits for them.
func TestPacerRealTime(t *testing.T) {
	p := media.NewPacer(media.PacerConfig{Workers: 2, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	var a, b atomic.Int64
	cancelA := p.Register(func() { a.Add(1) })
	p.Register(func() { b.Add(1) })
	start := time.Now()
	waitFor(t, func() bool { return a.Load() >= 10 && b.Load() >= 10 }, 5*time.Second)
	if el := time.Since(start); el < 9*media.FrameDuration {
		t.Errorf("10 frames in %v: faster than real time", el)
	}
	cancelA()
	cancelA()
	n := a.Load()
	waitFor(t, func() bool { return b.Load() >= 15 }, 5*time.Second)
	if a.Load() > n+1 {
		t.Errorf("cancelled function ran %d more times", a.Load()-n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	after := b.Load()
	time.Sleep(3 * media.FrameDuration) // proving a negative: nothing runs after Close
	if b.Load() != after {
		t.Error("pacer ran a frame after Close returned")
	}
}

func waitFor(t *testing.T, cond func() bool, timeout time.Duration) {
	t.Helper()
	waittest.For(t, "the condition", timeout, cond)
}
