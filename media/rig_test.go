package media_test

import (
	"log/slog"
	"testing"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

// Party tones used throughout the tests.
const (
	freqCaller1 = 700
	freqCaller2 = 1100
	freqAgent   = 1500
)

// rig drives a Switch with synthetic legs on a manual pacer: each step, every
// party sends one 20 ms packet, then the pacer ticks once.
type rig struct {
	t         testing.TB
	clock     *mediatest.Clock
	pacer     *media.Pacer
	sw        *media.Switch
	agent     *mediatest.Leg
	afeed     *mediatest.Feeder
	legs      map[string]*mediatest.Leg
	feeds     map[string]*mediatest.Feeder
	order     []string
	silent    map[string]bool // feeders paused
	agentGone bool            // the agent's feeder is paused
	burst     int             // > 1: every party sends this many packets every this many steps (network jitter)
}

func newRig(t testing.TB, agentCodec media.Codec) *rig {
	r := &rig{t: t, clock: new(mediatest.Clock), legs: map[string]*mediatest.Leg{}, feeds: map[string]*mediatest.Feeder{}, silent: map[string]bool{}}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	r.pacer = media.NewPacer(media.PacerConfig{Manual: true, Logger: log})
	r.sw = media.NewSwitch(media.SwitchConfig{Pacer: r.pacer, Logger: log})
	r.agent = mediatest.NewLeg(r.clock, agentCodec)
	r.sw.SetAgent(r.agent, agentCodec)
	r.afeed = mediatest.NewFeeder(r.sw.AgentInput(), agentCodec, freqAgent)
	t.Cleanup(func() {
		if err := r.sw.Close(); err != nil {
			t.Error(err)
		}
		if err := r.pacer.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func (r *rig) add(id string, codec media.Codec, freq float64, st media.CallState) {
	r.t.Helper()
	leg := mediatest.NewLeg(r.clock, codec)
	in, err := r.sw.AddCall(id, leg, codec, st)
	if err != nil {
		r.t.Fatalf("AddCall(%s) = %v", id, err)
	}
	r.legs[id] = leg
	r.feeds[id] = mediatest.NewFeeder(in, codec, freq)
	r.order = append(r.order, id)
}

func (r *rig) state(id string, st media.CallState) {
	r.t.Helper()
	if err := r.sw.SetState(id, st); err != nil {
		r.t.Fatalf("SetState(%s, %v) = %v", id, st, err)
	}
}

// step runs n frames and returns the half-open step range they covered.
func (r *rig) step(n int) (from, to int) {
	from = r.clock.Now() + 1
	for range n {
		now := r.clock.Advance()
		k := 1
		if r.burst > 1 {
			k = 0
			if now%r.burst == 0 {
				k = r.burst
			}
		}
		for range k {
			if !r.agentGone {
				r.afeed.Send()
			}
			for _, id := range r.order {
				if !r.silent[id] {
					r.feeds[id].Send()
				}
			}
		}
		r.pacer.Tick()
	}
	return from, r.clock.Now() + 1
}

// settle lets path switches and jitter buffers settle, then records n frames.
func (r *rig) settle(n int) (from, to int) {
	r.step(3)
	return r.step(n)
}

func present(t testing.TB, who string, pcm []int16, freq float64) {
	t.Helper()
	if rms := tone.RMS(pcm); rms < tone.SilenceRMS {
		t.Errorf("%s: silence (RMS %.0f), want %v Hz present", who, rms, freq)
		return
	}
	if r := tone.Ratio(pcm, freq); r < 0.25 {
		t.Errorf("%s: %v Hz ratio %.3f, want present (>= 0.25)", who, freq, r)
	}
}

// hearsAll checks every tone of freqs is present in who's mix: present
// for one or two, present3 for three or more.
func hearsAll(t testing.TB, who string, pcm []int16, freqs ...float64) {
	t.Helper()
	check := present
	if len(freqs) > 2 {
		check = present3
	}
	for _, f := range freqs {
		check(t, who, pcm, f)
	}
}

func absent(t testing.TB, who string, pcm []int16, freqs ...float64) {
	t.Helper()
	for _, f := range freqs {
		if r := tone.Ratio(pcm, f); r > 0.02 {
			t.Errorf("%s: %v Hz ratio %.3f, want absent (<= 0.02)", who, f, r)
		}
	}
}

func isTone(t testing.TB, who string, pcm []int16, freq float64) {
	t.Helper()
	if v := tone.Classify(pcm, freq); v != tone.VerdictTone {
		t.Errorf("%s: Classify(%v Hz) = %v (ratio %.3f, RMS %.0f), want tone", who, freq, v, tone.Ratio(pcm, freq), tone.RMS(pcm))
	}
}

func isSilence(t testing.TB, who string, pcm []int16) {
	t.Helper()
	if len(pcm) == 0 {
		t.Errorf("%s: received nothing, want silence frames", who)
		return
	}
	if v := tone.Classify(pcm, 1000); v != tone.VerdictSilence {
		t.Errorf("%s: %v (RMS %.0f), want silence", who, v, tone.RMS(pcm))
	}
}

// isMusic asserts audible audio in which none of the party tones stands out.
func isMusic(t testing.TB, who string, pcm []int16) {
	t.Helper()
	if rms := tone.RMS(pcm); rms < tone.SilenceRMS {
		t.Errorf("%s: silence (RMS %.0f), want music", who, rms)
	}
	absent(t, who, pcm, freqCaller1, freqCaller2, freqAgent)
}
