package media_test

import (
	"testing"

	"switchboard/media"
	"switchboard/media/mediatest"
	"switchboard/media/tone"
)

const freqSupervisor = 1900

// monitor attaches the supervisor's leg to call id in mode (or changes it).
func (r *rig) monitor(id string, mode media.MonitorMode) {
	r.t.Helper()
	leg := r.legs["sup"]
	if leg == nil {
		leg = mediatest.NewLeg(r.clock, media.PCMU)
	}
	in, err := r.sw.Monitor(id, leg, media.PCMU, mode)
	if err != nil {
		r.t.Fatalf("Monitor(%s, %v) = %v", id, mode, err)
	}
	if r.legs["sup"] == nil {
		r.legs["sup"] = leg
		r.feeds["sup"] = mediatest.NewFeeder(in, media.PCMU, freqSupervisor)
		r.order = append(r.order, "sup")
	}
}

// TestMonitorModes: what caller, agent and supervisor hear in each mode,
// switched on the fly on one call, then stopped (PROTOCOL §12).
func TestMonitorModes(t *testing.T) {
	const n = 50
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	r.add("c2", media.PCMU, freqCaller2, media.StateHeld)
	for _, mode := range []media.MonitorMode{media.MonitorListen, media.MonitorWhisper, media.MonitorBarge, media.MonitorListen} {
		t.Run(mode.String(), func(t *testing.T) {
			r.monitor("c1", mode)
			from, to := r.settle(n)
			caller, agent, sup := r.legs["c1"].PCM(from, to), r.agent.PCM(from, to), r.legs["sup"].PCM(from, to)
			// The supervisor hears the caller and the agent, never itself.
			present(t, "supervisor", sup, freqCaller1)
			present(t, "supervisor", sup, freqAgent)
			absent(t, "supervisor", sup, freqSupervisor, freqCaller2)
			present(t, "agent", agent, freqCaller1)
			absent(t, "agent", agent, freqAgent, freqCaller2)
			present(t, "caller", caller, freqAgent)
			absent(t, "caller", caller, freqCaller1, freqCaller2)
			switch mode {
			case media.MonitorListen:
				absent(t, "agent", agent, freqSupervisor)
				absent(t, "caller", caller, freqSupervisor)
			case media.MonitorWhisper:
				present(t, "agent", agent, freqSupervisor)
				absent(t, "caller", caller, freqSupervisor)
			case media.MonitorBarge:
				present(t, "agent", agent, freqSupervisor)
				present(t, "caller", caller, freqSupervisor)
			}
			isMusic(t, "held caller", r.legs["c2"].PCM(from, to))
		})
	}
	t.Run("muted agent", func(t *testing.T) {
		r.monitor("c1", media.MonitorBarge)
		if err := r.sw.SetMuted("c1", true); err != nil {
			t.Fatal(err)
		}
		from, to := r.settle(n)
		sup, caller := r.legs["sup"].PCM(from, to), r.legs["c1"].PCM(from, to)
		isTone(t, "supervisor (agent muted)", sup, freqCaller1)
		isTone(t, "caller (agent muted, barge)", caller, freqSupervisor)
		if err := r.sw.SetMuted("c1", false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("held call", func(t *testing.T) {
		r.state("c2", media.StateActive) // holds c1
		from, to := r.settle(n)
		isSilence(t, "supervisor of a held call", r.legs["sup"].PCM(from, to))
		isTone(t, "agent", r.agent.PCM(from, to), freqCaller2)
		isMusic(t, "held monitored caller", r.legs["c1"].PCM(from, to))
		r.state("c1", media.StateActive)
	})
	t.Run("stop", func(t *testing.T) {
		r.sw.StopMonitor("c1")
		before := len(r.legs["sup"].PCM(0, r.clock.Now()+1))
		from, to := r.settle(n)
		isTone(t, "agent", r.agent.PCM(from, to), freqCaller1)
		isTone(t, "caller", r.legs["c1"].PCM(from, to), freqAgent)
		if after := len(r.legs["sup"].PCM(0, r.clock.Now()+1)); after != before {
			t.Errorf("supervisor got %d samples after stop", after-before)
		}
		if got := r.sw.Counters().Snapshot(); got.Forwarded == 0 {
			t.Error("fast path not back after stop")
		}
	})
}

// TestMonitorConference: a barging supervisor joins a conference, mix-minus.
func TestMonitorConference(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateMerged)
	r.add("c2", media.PCMU, freqCaller2, media.StateMerged)
	r.monitor("c1", media.MonitorBarge)
	from, to := r.settle(50)
	sup := r.legs["sup"].PCM(from, to)
	hearsAll(t, "supervisor", sup, freqCaller1, freqCaller2, freqAgent)
	absent(t, "supervisor", sup, freqSupervisor)
	for _, id := range []string{"c1", "c2"} {
		present3(t, id, r.legs[id].PCM(from, to), freqSupervisor)
	}
	present3(t, "agent", r.agent.PCM(from, to), freqSupervisor)
}

func TestMonitorRefusals(t *testing.T) {
	r := newRig(t, media.PCMU)
	leg := mediatest.NewLeg(r.clock, media.PCMU)
	if _, err := r.sw.Monitor("nope", leg, media.PCMU, media.MonitorListen); err == nil {
		t.Error("monitor of an unknown call accepted")
	}
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	if _, err := r.sw.Monitor("c1", leg, media.PCMU, 0); err == nil {
		t.Error("bad mode accepted")
	}
	if _, err := r.sw.Monitor("c1", nil, media.PCMU, media.MonitorListen); err == nil {
		t.Error("nil writer accepted")
	}
	if m, ok := media.ParseMonitorMode("whisper"); !ok || m != media.MonitorWhisper {
		t.Error("ParseMonitorMode(whisper)")
	}
	if _, ok := media.ParseMonitorMode("shout"); ok {
		t.Error("ParseMonitorMode(shout) accepted")
	}
	r.sw.StopMonitor("c1") // none: nothing happens
}

// present3 is present for a mix of three tones (each about a third).
func present3(t testing.TB, who string, pcm []int16, freq float64) {
	t.Helper()
	if r := tone.Ratio(pcm, freq); r < 0.15 {
		t.Errorf("%s: %v Hz ratio %.3f, want present (>= 0.15)", who, freq, r)
	}
}

// BenchmarkMonitor is the cost of one 20 ms frame of one active call (agent,
// caller): with no monitor (the fast path, no decoding) and with a
// supervisor in each mode (mixing path: every input decoded, the mix-minus,
// every output encoded and written).
func BenchmarkMonitor(b *testing.B) {
	for _, mode := range []media.MonitorMode{0, media.MonitorListen, media.MonitorWhisper, media.MonitorBarge} {
		name := "none"
		if mode != 0 {
			name = mode.String()
		}
		b.Run(name, func(b *testing.B) {
			p, sw := manualSwitch(b)
			var out mediatest.Counter
			sw.SetAgent(&out, media.PCMU)
			in, err := sw.AddCall("c1", &out, media.PCMU, media.StateActive)
			if err != nil {
				b.Fatal(err)
			}
			ins := []media.PacketWriter{sw.AgentInput(), in}
			if mode != 0 {
				m, err := sw.Monitor("c1", &out, media.PCMU, mode)
				if err != nil {
					b.Fatal(err)
				}
				ins = append(ins, m)
			}
			benchFrames(b, p, ins, &out)
		})
	}
}
