package agent

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"switchboard/media"
	"switchboard/media/tone"
	"switchboard/media/wavrec"
	"switchboard/recordings"
	"switchboard/store"
	"switchboard/view"
)

// recordSetup records queue sales and agent a3, in a temp directory.
func recordSetup(t *testing.T) (func(*setup), string) {
	dir := t.TempDir()
	d, err := recordings.Open(recordings.Config{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	return func(s *setup) {
		s.recs = d
		s.queues[0].Record = true // sales
		s.agents[2].Record = true // a3
	}, dir
}

// frames is frames [from, to) of a recorded channel.
func frames(ch []int16, from, to int) []int16 {
	return ch[from*media.FrameSamples : to*media.FrameSamples]
}

// TestRecordingQueueCall: a call of a recorded queue, from accept to hang
// up, with hold, resume, pause and resume (PROTOCOL §12): channel 1 has the
// caller except while paused, channel 2 the agent except while held or
// paused; the file has one frame per tick; Call.recording follows; the
// call record names the file with its seconds; a call of an unrecorded
// queue has none.
func TestRecordingQueueCall(t *testing.T) {
	edit, dir := recordSetup(t)
	h := newHarness(t, edit)
	a1 := h.login("a1")
	h.call("5000", freqCaller1)
	cv := h.accept(a1, h.nextOffer(a1))
	if cv.Recording != RecordingOn {
		t.Errorf("accepted Call.recording = %q, want on", cv.Recording)
	}
	const n = 50
	type seg struct {
		name          string
		do            func() view.Call
		caller, agent bool
		state         string
	}
	op := func(f func(a, c string) (view.Call, error)) func() view.Call {
		return func() view.Call {
			v, err := f("a1", cv.ID)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	segs := []seg{
		{"talking", func() view.Call { return cv }, true, true, RecordingOn},
		{"held", op(h.c.Hold), true, false, RecordingOn},
		{"resumed", op(h.c.Resume), true, true, RecordingOn},
		{"paused", op(h.c.PauseRecording), false, false, RecordingPaused},
		{"recording resumed", op(h.c.ResumeRecording), true, true, RecordingOn},
	}
	ticks := 0
	for _, s := range segs {
		if v := s.do(); v.Recording != s.state {
			t.Errorf("%s: Call.recording = %q, want %q", s.name, v.Recording, s.state)
		}
		h.step(n)
		ticks += n
	}
	if _, err := h.c.Hangup("a1", cv.ID); err != nil {
		t.Fatal(err)
	}
	var rec store.CallRecord
	h.waitFor("call record", func() bool { var ok bool; rec, ok = h.st.record(cv.ID); return ok })
	if rec.Recording == nil || len(rec.Recordings) != 1 || rec.Recording.Agent != "a1" || !recordings.ValidID(rec.Recording.ID) {
		t.Fatalf("record's recording = %+v (%+v), want one part of a1", rec.Recording, rec.Recordings)
	}
	if got := rec.Recording.Seconds; got != float64(ticks)*0.02 {
		t.Errorf("recording seconds = %v, want %v (one frame per tick)", got, float64(ticks)*0.02)
	}
	f, err := os.Open(filepath.Join(dir, rec.Recording.ID+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	ch1, ch2, err := wavrec.LoadStereo(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(ch1) != ticks*media.FrameSamples {
		t.Fatalf("file has %d samples, want %d", len(ch1), ticks*media.FrameSamples)
	}
	for i, s := range segs {
		from, to := i*n+5, (i+1)*n-2 // the edges hold a frame or two of the switch's FIFO
		c1, c2 := frames(ch1, from, to), frames(ch2, from, to)
		if v := tone.Classify(c1, freqCaller1); (v == tone.VerdictTone) != s.caller {
			t.Errorf("%s: channel 1 Classify(caller) = %v, want caller %v", s.name, v, s.caller)
		}
		if v := tone.Classify(c2, freqAgent); (v == tone.VerdictTone) != s.agent {
			t.Errorf("%s: channel 2 Classify(agent) = %v, want agent %v", s.name, v, s.agent)
		}
		if !s.agent {
			if v := tone.Classify(c2, freqAgent); v != tone.VerdictSilence {
				t.Errorf("%s: channel 2 = %v, want silence", s.name, v)
			}
		}
	}

	// A call of an unrecorded queue: no recording, and pause is refused.
	fc2, cv2 := h.answered(a1, "5001", freqCaller1)
	if cv2.Recording != RecordingOff {
		t.Errorf("support call Call.recording = %q, want off", cv2.Recording)
	}
	if _, err := h.c.PauseRecording("a1", cv2.ID); !errors.Is(err, ErrState) {
		t.Errorf("pause of an unrecorded call = %v, want ErrState", err)
	}
	fc2.callerHangup()
	h.waitFor("support record", func() bool { _, ok := h.st.record(cv2.ID); return ok })
	if r, _ := h.st.record(cv2.ID); r.Recording != nil || r.Recordings != nil {
		t.Errorf("unrecorded call's record has %+v / %+v", r.Recording, r.Recordings)
	}
}

// TestRecordingPerAgentPart: a recorded agent's direct call transferred
// blind to another recorded agent gives two files, one per part; the
// record carries the last agent's part as recording.
func TestRecordingPerAgentPart(t *testing.T) {
	edit, dir := recordSetup(t)
	h := newHarness(t, edit, func(s *setup) { s.agents[0].Record = true })
	a1 := h.login("a1")
	a3 := h.login("a3")
	fc, cv := h.answered(a1, "7000", freqCaller1) // extension 1001: a1, not a queue call
	h.step(30)
	if _, err := h.c.Transfer(h.t.Context(), "a1", cv.ID, "1003", "blind"); err != nil {
		t.Fatal(err)
	}
	cv3 := h.accept(a3, h.nextOffer(a3))
	if cv3.Recording != RecordingOn {
		t.Errorf("after transfer Call.recording = %q, want on", cv3.Recording)
	}
	h.step(20)
	fc.callerHangup()
	var rec store.CallRecord
	h.waitFor("call record", func() bool { var ok bool; rec, ok = h.st.record(cv.ID); return ok })
	if len(rec.Recordings) != 2 || rec.Recordings[0].Agent != "a1" || rec.Recordings[1].Agent != "a3" ||
		rec.Recording == nil || rec.Recording.Agent != rec.Agent {
		t.Fatalf("record %s (agent %s): recording %+v, parts %+v; want a1's then a3's part", rec.Call, rec.Agent, rec.Recording, rec.Recordings)
	}
	for _, p := range rec.Recordings {
		f, err := os.Open(filepath.Join(dir, p.ID+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		ch1, _, err := wavrec.LoadStereo(f)
		f.Close()
		if err != nil || len(ch1) == 0 {
			t.Errorf("part %s: %d samples, %v", p.ID, len(ch1), err)
		}
		if float64(len(ch1))/media.SampleRate != p.Seconds {
			t.Errorf("part %s: %d samples for %v s", p.ID, len(ch1), p.Seconds)
		}
	}
}
