package media_test

import (
	"testing"

	"switchboard/media"
)

// memRecorder keeps every frame, decoded, in memory.
type memRecorder struct {
	codec         media.Codec
	caller, agent []int16
	frames        int
	pcm1, pcm2    [media.FrameSamples]int16
	short         int
}

func (m *memRecorder) Codec() media.Codec { return m.codec }

func (m *memRecorder) RecordFrame(caller, agent []byte) {
	if len(caller) != media.FrameSamples || len(agent) != media.FrameSamples {
		m.short++
	}
	m.frames++
	m.caller = append(m.caller, media.Decode(m.codec, m.pcm1[:], caller)...)
	m.agent = append(m.agent, media.Decode(m.codec, m.pcm2[:], agent)...)
}

// span is the recorded audio of frames [from, to) of one channel.
func span(ch []int16, from, to int) []int16 {
	return ch[from*media.FrameSamples : to*media.FrameSamples]
}

// TestRecordChannels: channel 1 is the caller, channel 2 the agent as sent
// to this call (silence while held or muted), both silence while paused;
// one frame per tick; the recording keeps the fast path. The caller is
// A-law, the agent µ-law, the file A-law (PROTOCOL §12).
func TestRecordChannels(t *testing.T) {
	const n = 50
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMA, freqCaller1, media.StateActive)
	r.add("c2", media.PCMU, freqCaller2, media.StateHeld)
	rec := &memRecorder{codec: media.PCMA}
	if err := r.sw.Record("c1", rec); err != nil {
		t.Fatal(err)
	}
	fwd := r.sw.Counters().Snapshot().Forwarded
	type seg struct {
		name          string
		do            func()
		caller, agent bool
	}
	segs := []seg{
		{"active", func() {}, true, true},
		{"held", func() { r.state("c1", media.StateHeld) }, true, false},
		{"resumed", func() { r.state("c1", media.StateActive) }, true, true},
		{"muted", func() { mustNil(t, r.sw.SetMuted("c1", true)) }, true, false},
		{"unmuted", func() { mustNil(t, r.sw.SetMuted("c1", false)) }, true, true},
		{"paused", func() { mustNil(t, r.sw.PauseRecord("c1", true)) }, false, false},
		{"resumed recording", func() { mustNil(t, r.sw.PauseRecord("c1", false)) }, true, true},
		{"other call active", func() { r.state("c2", media.StateActive) }, true, false},
		{"merged", func() { r.state("c1", media.StateMerged); r.state("c2", media.StateMerged) }, true, true},
	}
	ticks := 0
	for _, s := range segs {
		s.do()
		r.step(3) // path switches and FIFOs settle
		start := rec.frames
		r.step(n)
		ticks += n + 3
		ch1, ch2 := span(rec.caller, start, start+n), span(rec.agent, start, start+n)
		if s.caller {
			isTone(t, s.name+": channel 1", ch1, freqCaller1)
		} else {
			isSilence(t, s.name+": channel 1", ch1)
		}
		if s.agent {
			isTone(t, s.name+": channel 2", ch2, freqAgent)
		} else {
			isSilence(t, s.name+": channel 2", ch2)
		}
		if s.name == "active" {
			if got := r.sw.Counters().Snapshot().Forwarded - fwd; got < 2*(n+3)-4 {
				t.Errorf("active recorded call: %d packets on the fast path, want about %d (recording must not force mixing)", got, 2*(n+3))
			}
		}
	}
	if rec.frames != ticks || rec.short != 0 {
		t.Errorf("recorder got %d frames (%d short) over %d ticks, want one full frame per tick", rec.frames, rec.short, ticks)
	}
	r.sw.StopRecord("c1")
	r.step(5)
	if rec.frames != ticks {
		t.Errorf("after StopRecord: %d frames, want %d", rec.frames, ticks)
	}
}

// A side that sends nothing is recorded as silence; one that sends faster
// than the clock is trimmed: the file still grows one frame per tick.
func TestRecordClockedBySwitch(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	rec := &memRecorder{codec: media.PCMU}
	mustNil(t, r.sw.Record("c1", rec))
	r.silent["c1"] = true
	r.step(20)
	isSilence(t, "silent caller", rec.caller)
	r.silent["c1"] = false
	for range 40 {
		r.feeds["c1"].Send() // a second packet per tick
		r.step(1)
	}
	isTone(t, "fast caller", rec.caller[20*media.FrameSamples:], freqCaller1)
	if rec.frames != 60 {
		t.Errorf("%d frames over 60 ticks", rec.frames)
	}
	if err := r.sw.Record("nope", rec); err == nil {
		t.Error("Record of an unknown call: nil error")
	}
	if err := r.sw.PauseRecord("nope", true); err == nil {
		t.Error("PauseRecord of an unknown call: nil error")
	}
	if err := r.sw.Record("c1", nil); err == nil {
		t.Error("Record(nil): nil error")
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkRecordFastPath is BenchmarkFastPath's same-codec case with the
// call recorded: per 20 ms, one caller and one agent packet on the fast
// path and one pacer tick that hands the recorder its frame.
func BenchmarkRecordFastPath(b *testing.B) {
	for _, recorded := range []bool{false, true} {
		name := "plain"
		if recorded {
			name = "recorded"
		}
		b.Run(name, func(b *testing.B) {
			p, sw := manualSwitch(b)
			sw.SetAgent(media.Discard, media.PCMU)
			in, err := sw.AddCall("c1", media.Discard, media.PCMU, media.StateActive)
			if err != nil {
				b.Fatal(err)
			}
			if recorded {
				if err := sw.Record("c1", &nullRecorder{}); err != nil {
					b.Fatal(err)
				}
			}
			cp, ap := benchPacket(media.PCMU, freqCaller1), benchPacket(media.PCMU, freqAgent)
			agent := sw.AgentInput()
			b.ReportAllocs()
			for b.Loop() {
				cp.SequenceNumber++
				ap.SequenceNumber++
				in.WritePacket(cp)
				agent.WritePacket(ap)
				p.Tick()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
		})
	}
}

type nullRecorder struct{ n int }

func (*nullRecorder) Codec() media.Codec        { return media.PCMU }
func (r *nullRecorder) RecordFrame(_, _ []byte) { r.n++ }
