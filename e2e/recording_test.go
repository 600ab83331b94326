package e2e

import (
	"bytes"
	"math"
	"testing"
	"time"

	"switchboard/media/tone"
	"switchboard/media/wavrec"
)

// recSegment is a stretch of a recorded call: from, to (seconds since the
// accept returned) and whether each channel should carry its party's tone.
type recSegment struct {
	what           string
	from, to       float64
	caller, agentT bool
}

// PROTOCOL §12 recording against the binary: a queue with record: true;
// the call is held for 3 s, resumed, paused for 2 s, resumed, hung up.
// Per-second Goertzel on the fetched WAV: channel 1 has the caller's tone
// except during the pause, channel 2 the agent's except during hold and
// pause; its length is within 0.5 s of the wall clock; the call record
// names it; recording.delete removes it.
func TestRecordingEndToEnd(t *testing.T) {
	g := startGW(t)
	oneQueue(t, g, map[string]any{"record": true}, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	a := g.login(t, "a1", toneAgent)
	adm := g.admin(t)

	c := g.dial(t, "5000", toneCaller1)
	res, call := a.reservation(t)
	var view struct {
		Recording string `json:"recording"`
	}
	a.WS.MustCall("reservation.accept", map[string]string{"reservation": res}, nil)
	start := time.Now()
	since := func() float64 { return time.Since(start).Seconds() }
	talking(t, "recorded call", c, toneCaller1, a)

	var segs []recSegment
	mark := since()
	step := func(what string, caller, agentT bool, d time.Duration, next string) {
		time.Sleep(d) // the segment's length is the scenario itself
		now := since()
		segs = append(segs, recSegment{what, mark, now, caller, agentT})
		if next != "" {
			a.WS.MustCall(next, map[string]string{"call": call}, &view)
		}
		mark = since()
	}
	step("talk", true, true, 3500*time.Millisecond, "call.hold")
	step("held", true, false, 3*time.Second, "call.resume")
	step("resumed", true, true, 2500*time.Millisecond, "call.record.pause")
	if view.Recording != "paused" {
		t.Errorf("Call.recording after pause = %q, want paused", view.Recording)
	}
	step("paused", false, false, 2*time.Second, "call.record.resume")
	if view.Recording != "on" {
		t.Errorf("Call.recording after resume = %q, want on", view.Recording)
	}
	step("talk again", true, true, 3500*time.Millisecond, "")
	c.bye(t)
	wall := since()

	// The call record names the recording once its file is complete.
	var ref struct {
		ID      string  `json:"id"`
		Seconds float64 `json:"seconds"`
	}
	waitFor(t, 10*time.Second, "the call record with its recording", func() bool {
		var rs []struct {
			Call      string `json:"call"`
			Recording *struct {
				ID      string  `json:"id"`
				Seconds float64 `json:"seconds"`
			} `json:"recording"`
		}
		adm.MustCall("records.list", map[string]any{}, &rs)
		for _, r := range rs {
			if r.Call == call && r.Recording != nil {
				ref.ID, ref.Seconds = r.Recording.ID, r.Recording.Seconds
				return true
			}
		}
		return false
	})
	url := g.HTTP + "/api/recordings/" + ref.ID + ".wav"
	if code, _, _ := httpDo(t, "GET", url, "", nil, nil); code != 401 {
		t.Errorf("GET without the admin token = %d, want 401", code)
	}
	code, body, hdr := httpDo(t, "GET", url, g.Token, nil, nil)
	if code != 200 || hdr.Get("Content-Type") != "audio/wav" {
		t.Fatalf("GET %s = %d %s", url, code, hdr.Get("Content-Type"))
	}
	ch1, ch2, err := wavrec.LoadStereo(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	dur := float64(len(ch1)) / 8000
	t.Logf("recording %s: %.2f s in the file (record says %.2f s), %.2f s of wall clock from the accept to the BYE; segments %+v", ref.ID, dur, ref.Seconds, wall, segs)
	if math.Abs(dur-wall) > 0.5 {
		t.Errorf("file is %.2f s, wall clock %.2f s: want within 0.5 s", dur, wall)
	}
	if math.Abs(ref.Seconds-dur) > 0.05 {
		t.Errorf("record says %.2f s, file is %.2f s", ref.Seconds, dur)
	}

	// Per-second classification: each segment's whole seconds from 0.25 s
	// after its start, ending at least 0.25 s before its end (operations
	// take a few ms to reach the media switch).
	checked := 0
	for _, s := range segs {
		for from := s.from + 0.25; from+1 <= s.to-0.25; from++ {
			i := int(from * 8000)
			if i+8000 > len(ch1) {
				t.Errorf("%s: second at %.2f s is past the file's end", s.what, from)
				break
			}
			checked++
			one := func(name string, ch []int16, freq float64, want bool) {
				v := tone.Classify(ch[i:i+8000], freq)
				if (v == tone.VerdictTone) != want || (!want && v != tone.VerdictSilence) {
					t.Errorf("second at %.2f s (%s): %s is %v, want tone %v (else silence)", from, s.what, name, v, want)
				}
			}
			one("channel 1 (caller)", ch1, toneCaller1, s.caller)
			one("channel 2 (agent)", ch2, toneAgent, s.agentT)
		}
	}
	if checked != 11 {
		t.Errorf("%d seconds classified, want 11 (3 talk, 2 held, 2 resumed, 1 paused, 3 talk again)", checked)
	}

	adm.MustCall("recording.delete", map[string]string{"id": ref.ID}, nil)
	if code, _, _ := httpDo(t, "GET", url, g.Token, nil, nil); code != 404 {
		t.Errorf("GET after recording.delete = %d, want 404", code)
	}
	if err := adm.Call(t.Context(), "recording.delete", map[string]string{"id": ref.ID}, nil); err == nil {
		t.Error("recording.delete of a deleted recording succeeded")
	}
}
