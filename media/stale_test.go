package media_test

import (
	"testing"

	"switchboard/media"
	"switchboard/media/tone"
)

// staleBound is how many frames (200 ms) of an agent's voice a caller may
// still get after the agent went silent: the jitter buffer's depth and the
// frame in flight, nothing older.
const staleBound = 10

// frameVerdicts classifies each 20 ms frame of pcm: true when it carries
// freq (audible, and a quarter of it at least: a merged caller hears the
// agent and the other caller).
func frameVerdicts(pcm []int16, freq float64) []bool {
	var out []bool
	for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
		f := pcm[i : i+media.FrameSamples]
		out = append(out, tone.RMS(f) >= tone.SilenceRMS && tone.Ratio(f, freq) > 0.25)
	}
	return out
}

// TestAgentSilenceReachesCallers (issue 16): the agent talks, then goes
// silent (silence packets, or no packets at all); in every configuration
// each caller who heard the agent hears every frame of the agent's voice
// while it lasts, with none lost to a path or mode change on the way, and no
// frame of it after staleBound.
func TestAgentSilenceReachesCallers(t *testing.T) {
	type config struct {
		name    string
		setup   func(r *rig) // before the agent talks
		midway  func(r *rig) // while the agent talks
		hearers []string     // callers who hear the agent
	}
	monitor := func(modes ...media.MonitorMode) (func(*rig), func(*rig)) {
		return func(r *rig) { r.monitor("c1", modes[0]); r.feeds["sup"].Freq = 0 },
			func(r *rig) {
				for _, m := range modes[1:] {
					r.monitor("c1", m)
				}
			}
	}
	noop := func(*rig) {}
	listen, listenMid := monitor(media.MonitorListen, media.MonitorWhisper)
	whisper, whisperMid := monitor(media.MonitorWhisper, media.MonitorBarge)
	barge, bargeMid := monitor(media.MonitorBarge, media.MonitorListen)
	configs := []config{
		{name: "talk", setup: noop, midway: noop, hearers: []string{"c1"}},
		{name: "hold and resume", setup: func(r *rig) {
			r.state("c1", media.StateHeld)
			r.step(5)
			r.state("c1", media.StateActive)
		}, midway: noop, hearers: []string{"c1"}},
		{name: "resume midway", setup: noop, midway: func(r *rig) {
			r.state("c2", media.StateActive) // holds c1
			r.state("c1", media.StateActive)
		}, hearers: []string{"c1"}},
		{name: "merge", setup: func(r *rig) {
			r.state("c2", media.StateMerged)
			r.state("c1", media.StateMerged)
		}, midway: func(r *rig) { mustMute(t, r.sw, "c1", false) }, hearers: []string{"c1", "c2"}},
		{name: "listen", setup: listen, midway: noop, hearers: []string{"c1"}},
		{name: "listen then whisper", setup: listen, midway: listenMid, hearers: []string{"c1"}},
		{name: "whisper then barge", setup: whisper, midway: whisperMid, hearers: []string{"c1"}},
		{name: "barge then listen", setup: barge, midway: bargeMid, hearers: []string{"c1"}},
		{name: "barge, ringing", setup: barge, midway: func(r *rig) { r.sw.SetRinging(true) }, hearers: []string{"c1"}},
	}
	for _, cfg := range configs {
		for _, stop := range []string{"silence packets", "no packets", "bursts of 3, then silence"} {
			t.Run(cfg.name+"/"+stop, func(t *testing.T) {
				r := newRig(t, media.PCMU)
				if stop == "bursts of 3, then silence" {
					r.burst = 3 // 60 ms of packets every 60 ms: the jitter buffers hold frames
				}
				r.add("c1", media.PCMU, freqCaller1, media.StateActive)
				r.add("c2", media.PCMU, freqCaller2, media.StateHeld)
				cfg.setup(r)
				r.step(5) // paths and jitter buffers settle
				from, _ := r.step(20)
				cfg.midway(r)
				r.step(20)
				if stop == "no packets" {
					r.agentGone = true
				} else {
					r.afeed.Freq = 0
				}
				silent, _ := r.step(staleBound)
				_, to := r.step(50)
				for _, id := range cfg.hearers {
					talk := frameVerdicts(r.legs[id].PCM(from, silent), freqAgent)
					for i, ok := range talk {
						if !ok {
							t.Errorf("%s: frame %d of %d while the agent talks lacks its voice (%v)", id, i, len(talk), talk)
							break
						}
					}
					for i, heard := range frameVerdicts(r.legs[id].PCM(silent+staleBound, to), freqAgent) {
						if heard {
							t.Errorf("%s hears the agent %d frames after it went silent", id, staleBound*2+i)
							break
						}
					}
				}
				// The agent hears c1 throughout (it may hear the ring tone
				// or the other merged caller too): no input restarts either.
				ear := r.agent.PCM(from, silent)
				if len(ear) == 0 {
					t.Fatal("agent received nothing")
				}
				for i := 0; i+media.FrameSamples <= len(ear); i += media.FrameSamples {
					if f := ear[i : i+media.FrameSamples]; tone.RMS(f) < tone.SilenceRMS || tone.Ratio(f, freqCaller1) < 0.25 {
						t.Errorf("agent: frame %d of %d lacks c1's voice", i/media.FrameSamples, len(ear)/media.FrameSamples)
						break
					}
				}
			})
		}
	}
}
