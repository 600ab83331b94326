package media_test

import (
	"testing"

	"switchboard/media"
)

// TestTimeline: within one input stream gaps and timestamp steps pass
// through; a new stream, a huge jump or a step back re-anchors right after
// the last output; a reordered packet passes as late unless own packets took
// its place; Next continues the output.
func TestTimeline(t *testing.T) {
	var tl media.Timeline
	tl.Start(999, 8000)
	type want struct {
		seq        uint16
		ts         uint32
		ok, jumped bool
	}
	steps := []struct {
		name        string
		src         uint64
		seq         uint16
		ts, samples uint32
		own         bool // Next instead of Map
		want        want
	}{
		{"first packet anchors", 1, 50, 100, 160, false, want{1000, 8000, true, true}},
		{"in sequence", 1, 51, 260, 160, false, want{1001, 8160, true, false}},
		{"two lost", 1, 54, 740, 160, false, want{1004, 8640, true, false}},
		{"30 ms packet", 1, 55, 900, 240, false, want{1005, 8800, true, false}},
		{"late by one", 1, 53, 580, 160, false, want{1003, 8480, true, false}},
		{"pause (DTX)", 1, 56, 9140, 160, false, want{1006, 17040, true, false}},
		{"new stream", 2, 7, 1234, 160, false, want{1007, 17200, true, true}},
		{"jump far ahead", 2, 5000, 99999, 160, false, want{1008, 17360, true, true}},
		{"own frame", 0, 0, 0, 160, true, want{1009, 17520, true, false}},
		{"after own frame, next one fits", 2, 5002, 100319, 160, false, want{1010, 17680, true, false}},
		{"own frame 2", 0, 0, 0, 160, true, want{1011, 17840, true, false}},
		{"late after own frame: dropped", 2, 5001, 100159, 160, false, want{1009, 17520, false, false}},
		{"step back past own frames re-anchors", 2, 5003, 100479, 160, false, want{1012, 18000, true, true}},
	}
	for _, st := range steps {
		var got want
		if st.own {
			got.seq, got.ts = tl.Next(st.samples)
			got.ok = true
		} else {
			got.seq, got.ts, got.ok, got.jumped = tl.Map(st.src, st.seq, st.ts, st.samples)
		}
		if got != st.want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, st.want)
		}
	}
}

// TestFastPathKeepsGaps: on the fast path the agent's writer is handed the
// caller's sequence gaps and timestamp steps (offsets, not re-stamping), so
// a receiver sees loss as loss.
func TestFastPathKeepsGaps(t *testing.T) {
	r := newRig(t, media.PCMU)
	r.add("c1", media.PCMU, freqCaller1, media.StateActive)
	r.step(5)
	r.silent["c1"] = true
	r.feeds["c1"].Skip()
	r.feeds["c1"].Skip()
	r.step(2)
	r.silent["c1"] = false
	r.step(5)
	pk := r.agent.Packets()
	gaps := 0
	for i := 1; i < len(pk); i++ {
		ds, dt := pk[i].InSeq-pk[i-1].InSeq, pk[i].InTS-pk[i-1].InTS
		if ds != 1 {
			gaps++
			if ds != 3 || dt != 3*media.FrameSamples {
				t.Errorf("packet %d: seq step %d ts step %d, want 3 and 480 (two lost)", i, ds, dt)
			}
		} else if dt != media.FrameSamples {
			t.Errorf("packet %d: ts step %d, want 160", i, dt)
		}
	}
	if gaps != 1 {
		t.Errorf("%d gaps in the agent's stream, want 1", gaps)
	}
}
