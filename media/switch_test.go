package media_test

import (
	"errors"
	"testing"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

// TestAudioTable drives every row of PROTOCOL.md §3 with synthetic legs:
// caller 1 sends 700 Hz, caller 2 1100 Hz, the agent 1500 Hz.
func TestAudioTable(t *testing.T) {
	const n = 25 // 500 ms windows
	// One caller in each state: what the caller and the agent hear.
	for _, tt := range []struct {
		name          string
		st            media.CallState
		muted         bool
		caller, agent hears
		fastPath      bool // the fast path carries everything
	}{
		{"offered queue: caller hears music, agent not the caller", media.StateOfferedQueue, false, isMusic, isSilence, false},
		{"active: both ways", media.StateActive, false, hearsTone(freqAgent), hearsTone(freqCaller1), true},
		{"active, muted: caller hears silence, agent hears caller", media.StateActive, true, isSilence, hearsTone(freqCaller1), false},
		{"no state: silence both ways", media.StateUnknown, false, isSilence, isSilence, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, media.PCMU)
			r.add("c1", media.PCMU, freqCaller1, tt.st)
			if tt.muted {
				if err := r.sw.SetMuted("c1", true); err != nil {
					t.Fatal(err)
				}
			}
			from, to := r.settle(n)
			tt.caller(t, "caller", r.legs["c1"].PCM(from, to))
			tt.agent(t, "agent", r.agent.PCM(from, to))
			if got := r.sw.Counters().Snapshot(); tt.fastPath && (got.Forwarded == 0 || got.Mixed != 0) {
				t.Errorf("counters = %+v, want the fast path to carry everything", got)
			}
		})
	}
	t.Run("offered direct: caller hears ringback, agent not the caller", func(t *testing.T) {
		r := newRig(t, media.PCMU)
		r.add("c1", media.PCMU, freqCaller1, media.StateOfferedDirect)
		from, to := r.step(n) // the ring starts at once (first 1 s)
		isTone(t, "caller", r.legs["c1"].PCM(from, to), media.RingbackFreq)
		isSilence(t, "agent", r.agent.PCM(from, to))
		from, to = r.step(150) // then 4 s of silence in a 5 s cadence
		isSilence(t, "caller after the ring", r.legs["c1"].PCM(from+50, to))
	})
	t.Run("offered with ring tone under the active call", func(t *testing.T) {
		r := newRig(t, media.PCMU)
		r.add("c1", media.PCMU, freqCaller1, media.StateActive)
		r.add("c2", media.PCMU, freqCaller2, media.StateOfferedQueue)
		r.sw.SetRinging(true)
		from, to := r.step(10) // the first 200 ms beep
		a := r.agent.PCM(from, to)
		present(t, "agent", a, freqCaller1)
		if rt := tone.Ratio(a, media.CallWaitingFreq); rt < 0.05 {
			t.Errorf("agent: call-waiting %v Hz ratio %.3f, want present under the call (>= 0.05)", media.CallWaitingFreq, rt)
		}
		absent(t, "agent", a, freqCaller2, freqAgent)
		isTone(t, "active caller", r.legs["c1"].PCM(from, to), freqAgent)
		isMusic(t, "offered caller", r.legs["c2"].PCM(from, to))
		r.sw.SetRinging(false)
		from, to = r.settle(n)
		isTone(t, "agent after ringing stopped", r.agent.PCM(from, to), freqCaller1)
		absent(t, "agent after ringing stopped", r.agent.PCM(from, to), media.CallWaitingFreq)
	})
	t.Run("held: caller hears music, never the agent; agent hears nothing", func(t *testing.T) {
		r := newRig(t, media.PCMU)
		r.add("c1", media.PCMU, freqCaller1, media.StateActive)
		r.step(5)
		r.state("c1", media.StateHeld)
		from, to := r.step(n)
		pcm := r.legs["c1"].PCM(from, to)
		isMusic(t, "caller", pcm)
		for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
			if rt := tone.Ratio(pcm[i:i+media.FrameSamples], freqAgent); rt > 0.1 {
				t.Errorf("held caller frame %d: agent tone ratio %.2f", i/media.FrameSamples, rt)
			}
		}
		isSilence(t, "agent", r.agent.PCM(from, to))
	})
	t.Run("held next to an active call", func(t *testing.T) {
		r := newRig(t, media.PCMA)
		r.add("c1", media.PCMU, freqCaller1, media.StateActive)
		r.add("c2", media.PCMA, freqCaller2, media.StateHeld)
		from, to := r.settle(n)
		isTone(t, "active caller", r.legs["c1"].PCM(from, to), freqAgent)
		isMusic(t, "held caller", r.legs["c2"].PCM(from, to))
		a := r.agent.PCM(from, to)
		isTone(t, "agent", a, freqCaller1)
		absent(t, "agent", a, freqCaller2)
	})
	t.Run("merged: each hears the others, not itself", func(t *testing.T) {
		r := newRig(t, media.PCMU)
		r.add("c1", media.PCMU, freqCaller1, media.StateMerged)
		r.add("c2", media.PCMA, freqCaller2, media.StateMerged)
		from, to := r.settle(n)
		mediatest.MixMinus(t, hearsAll, absent,
			mediatest.Party{Who: "caller 1", PCM: r.legs["c1"].PCM(from, to), Freq: freqCaller1},
			mediatest.Party{Who: "caller 2", PCM: r.legs["c2"].PCM(from, to), Freq: freqCaller2},
			mediatest.Party{Who: "agent", PCM: r.agent.PCM(from, to), Freq: freqAgent})
	})
	t.Run("merged three callers with a held one", func(t *testing.T) {
		r := newRig(t, media.PCMU)
		r.add("c1", media.PCMU, freqCaller1, media.StateMerged)
		r.add("c2", media.PCMU, freqCaller2, media.StateMerged)
		r.add("c3", media.PCMU, 1900, media.StateMerged)
		r.add("c4", media.PCMU, 2300, media.StateHeld)
		from, to := r.settle(n)
		c1, c4, a := r.legs["c1"].PCM(from, to), r.legs["c4"].PCM(from, to), r.agent.PCM(from, to)
		hearsAll(t, "caller 1", c1, freqAgent, freqCaller2, 1900)
		absent(t, "caller 1", c1, freqCaller1, 2300)
		hearsAll(t, "agent", a, freqCaller1, freqCaller2, 1900)
		absent(t, "agent", a, freqAgent, 2300)
		isMusic(t, "held caller", c4)
		absent(t, "held caller", c4, 1900)
	})
	t.Run("codec bridging on both paths", func(t *testing.T) {
		r := newRig(t, media.PCMA)
		r.add("c1", media.PCMU, freqCaller1, media.StateActive)
		from, to := r.settle(n)
		isTone(t, "caller (fast path)", r.legs["c1"].PCM(from, to), freqAgent)
		isTone(t, "agent (fast path)", r.agent.PCM(from, to), freqCaller1)
		r.sw.SetRinging(true)
		r.sw.SetRinging(false)
		if err := r.sw.SetMuted("c1", true); err != nil {
			t.Fatal(err)
		}
		from, to = r.settle(n)
		isTone(t, "agent (mixing path)", r.agent.PCM(from, to), freqCaller1)
	})
	t.Run("browser gone: calls go on", func(t *testing.T) {
		r := newRig(t, media.PCMU)
		r.add("c1", media.PCMU, freqCaller1, media.StateActive)
		r.add("c2", media.PCMU, freqCaller2, media.StateHeld)
		r.sw.SetAgent(nil, media.CodecUnknown)
		r.agentGone = true
		from, to := r.settle(n)
		isSilence(t, "active caller", r.legs["c1"].PCM(from, to))
		isMusic(t, "held caller", r.legs["c2"].PCM(from, to))
	})
}

func TestConflictingStates(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	r.add("c2", media.PCMU, freqCaller2, media.StateActive) // last one wins
	if st, _ := r.sw.State("c1"); st != media.StateHeld {
		t.Errorf("State(c1) = %v, want held", st)
	}
	from, to := r.settle(25)
	isMusic(t, "first caller", r.legs["c1"].PCM(from, to))
	isTone(t, "agent", r.agent.PCM(from, to), freqCaller2)
	r.state("c1", media.StateMerged) // merging next to an active call holds it
	if st, _ := r.sw.State("c2"); st != media.StateHeld {
		t.Errorf("State(c2) = %v, want held", st)
	}
	r.state("c2", media.StateMerged)
	r.state("c1", media.StateActive) // activating one of a conference holds the rest
	if st, _ := r.sw.State("c2"); st != media.StateHeld {
		t.Errorf("State(c2) = %v, want held", st)
	}
}

func TestSwitchErrors(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"unknown call", r.sw.SetState("nope", media.StateHeld), media.ErrUnknownCall},
		{"bad state", r.sw.SetState("c1", media.CallState(99)), media.ErrBadState},
		{"unknown mute", r.sw.SetMuted("nope", true), media.ErrUnknownCall},
		{"duplicate", addErr(r.sw, "c1", media.PCMU), media.ErrDuplicateCall},
		{"bad codec", addErr(r.sw, "c9", media.CodecUnknown), media.ErrBadCodec},
	}
	for i := 2; i <= media.DefaultCapacity; i++ {
		if err := addErr(r.sw, string(rune('a'+i)), media.PCMU); err != nil {
			t.Fatalf("AddCall %d: %v", i, err)
		}
	}
	tests = append(tests, struct {
		name string
		err  error
		want error
	}{"capacity", addErr(r.sw, "full", media.PCMU), media.ErrCapacity})
	r.sw.Remove("c1")
	r.sw.Remove("c1") // twice is fine
	if _, ok := r.sw.State("c1"); ok {
		t.Error("State(c1) after Remove: still there")
	}
	if err := r.sw.Close(); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct {
		name string
		err  error
		want error
	}{"closed", addErr(r.sw, "late", media.PCMU), media.ErrClosed})
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

// hears checks what who heard (pcm): isMusic, isSilence, hearsTone(f).
type hears func(t testing.TB, who string, pcm []int16)

// hearsTone is isTone of freq.
func hearsTone(freq float64) hears {
	return func(t testing.TB, who string, pcm []int16) { isTone(t, who, pcm, freq) }
}

func addErr(sw *media.Switch, id string, c media.Codec) error {
	_, err := sw.AddCall(id, media.Discard, c, media.StateHeld)
	return err
}

func TestCallStateString(t *testing.T) {
	for st, want := range map[media.CallState]string{
		media.StateUnknown: "unknown", media.StateOfferedQueue: "offered-queue", media.StateOfferedDirect: "offered-direct",
		media.StateActive: "active", media.StateHeld: "held", media.StateMerged: "merged", media.CallState(42): "unknown",
	} {
		if got := st.String(); got != want {
			t.Errorf("CallState(%d).String() = %q, want %q", st, got, want)
		}
	}
}
