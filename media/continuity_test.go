package media_test

import (
	"testing"

	"switchboard/media"
	"switchboard/media/mediatest"
)

// TestContinuity walks one agent through hold → resume → merge → unmerge →
// mute → ringing → back to the fast path and checks that every outgoing
// stream got exactly one packet per 20 ms with continuous seq/ts, whichever
// path fed it, and that the audio at each stage is right.
func TestContinuity(t *testing.T) {
	for _, codecs := range [][2]media.Codec{{media.PCMU, media.PCMU}, {media.PCMA, media.PCMU}} {
		t.Run(codecs[0].String()+"-"+codecs[1].String(), func(t *testing.T) {
			r := newRig(t, codecs[0])
			r.add("c1", codecs[1], freqCaller1, media.StateActive)
			r.add("c2", codecs[1], freqCaller2, media.StateHeld)
			const n = 20
			stages := []struct {
				name   string
				change func()
				check  func(from, to int)
			}{
				{"fast path", func() {}, func(from, to int) {
					isTone(t, "c1 (fast)", r.legs["c1"].PCM(from, to), freqAgent)
					isTone(t, "agent (fast)", r.agent.PCM(from, to), freqCaller1)
				}},
				{"hold", func() { r.state("c1", media.StateHeld) }, func(from, to int) {
					isMusic(t, "c1 (held)", r.legs["c1"].PCM(from, to))
					isSilence(t, "agent (both held)", r.agent.PCM(from, to))
				}},
				{"resume", func() { r.state("c1", media.StateActive) }, func(from, to int) {
					isTone(t, "c1 (resumed)", r.legs["c1"].PCM(from, to), freqAgent)
				}},
				{"merge", func() { r.state("c2", media.StateMerged); r.state("c1", media.StateMerged) }, func(from, to int) {
					present(t, "c1 (merged)", r.legs["c1"].PCM(from, to), freqCaller2)
					present(t, "c2 (merged)", r.legs["c2"].PCM(from, to), freqCaller1)
				}},
				{"unmerge", func() { r.state("c1", media.StateActive); r.state("c2", media.StateHeld) }, func(from, to int) {
					isMusic(t, "c2 (held again)", r.legs["c2"].PCM(from, to))
					isTone(t, "agent (unmerged)", r.agent.PCM(from, to), freqCaller1)
				}},
				{"mute", func() { mustMute(t, r.sw, "c1", true) }, func(from, to int) {
					isSilence(t, "c1 (muted)", r.legs["c1"].PCM(from, to))
				}},
				{"unmute", func() { mustMute(t, r.sw, "c1", false) }, func(from, to int) {
					isTone(t, "c1 (unmuted)", r.legs["c1"].PCM(from, to), freqAgent)
				}},
				{"ringing", func() { r.sw.SetRinging(true) }, func(int, int) {}},
				{"fast path again", func() { r.sw.SetRinging(false) }, func(from, to int) {
					isTone(t, "agent (fast again)", r.agent.PCM(from, to), freqCaller1)
				}},
			}
			start := r.clock.Now() + 1
			before := r.sw.Counters().Snapshot()
			for _, st := range stages {
				st.change()
				r.step(2) // path switches settle within a frame or two
				from, to := r.step(n)
				st.check(from, to)
			}
			end := r.clock.Now() + 1
			for name, leg := range map[string]*mediatest.Leg{"agent": r.agent, "c1": r.legs["c1"], "c2": r.legs["c2"]} {
				if err := leg.CheckContinuity(start, end); err != nil {
					t.Errorf("%s stream: %v", name, err)
				}
				if err := leg.CheckNumbering(start, end); err != nil {
					t.Errorf("%s stream numbering: %v", name, err)
				}
			}
			after := r.sw.Counters().Snapshot()
			if after.Forwarded == before.Forwarded || after.Mixed == before.Mixed {
				t.Errorf("counters %+v -> %+v: want both paths used", before, after)
			}
			if after.Late != 0 || after.Dropped != 0 {
				t.Errorf("counters %+v: no late or dropped packets expected", after)
			}
		})
	}
}

func mustMute(t *testing.T, sw *media.Switch, id string, muted bool) {
	t.Helper()
	if err := sw.SetMuted(id, muted); err != nil {
		t.Fatal(err)
	}
}

// TestContinuityMidInterval switches paths between a fast-path packet and
// the next tick (the real-time ordering): the interval keeps one frame.
func TestContinuityMidInterval(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	start := r.clock.Now() + 1
	r.step(5)
	for i, change := range []func(){
		func() { mustMute(t, r.sw, "c1", true) },
		func() { mustMute(t, r.sw, "c1", false) },
		func() { r.sw.SetRinging(true) },
		func() { r.sw.SetRinging(false) },
		func() { r.state("c1", media.StateHeld) },
		func() { r.state("c1", media.StateActive) },
	} {
		// Packets of this interval first, then the change, then the tick.
		r.clock.Advance()
		r.afeed.Send()
		r.feeds["c1"].Send()
		change()
		r.pacer.Tick()
		if _, to := r.step(5); to == 0 {
			t.Fatal(i)
		}
	}
	end := r.clock.Now() + 1
	for name, leg := range map[string]*mediatest.Leg{"agent": r.agent, "c1": r.legs["c1"]} {
		if err := leg.CheckContinuity(start, end); err != nil {
			t.Errorf("%s stream: %v", name, err)
		}
		if err := leg.CheckNumbering(start, end); err != nil {
			t.Errorf("%s stream numbering: %v", name, err)
		}
	}
}
