package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/prompts"
	"switchboard/media/wavrec"
	"switchboard/store"
)

const freqGreeting = 300 // the test greeting's tone

// vmFakeStore adds an in-memory VoicemailStore to fakeStore.
type vmFakeStore struct {
	*fakeStore
	vmu sync.Mutex
	vms map[string]store.Voicemail
}

func (s *vmFakeStore) AddVoicemail(_ context.Context, v store.Voicemail) error {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	s.vms[v.ID] = v
	return nil
}

func (s *vmFakeStore) GetVoicemail(_ context.Context, id string) (store.Voicemail, error) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	v, ok := s.vms[id]
	if !ok {
		return v, fmt.Errorf("voicemail %s: %w", id, store.ErrNotFound)
	}
	return v, nil
}

func (s *vmFakeStore) ListVoicemail(_ context.Context, f store.VoicemailFilter) ([]store.Voicemail, error) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	out := []store.Voicemail{}
	for _, v := range s.vms {
		if (f.Agent == "" || v.Agent == f.Agent) && (f.Queue == "" || v.Queue == f.Queue) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b store.Voicemail) int { return b.At.Compare(a.At) })
	return out, nil
}

func (s *vmFakeStore) MarkVoicemail(ctx context.Context, id string, heard bool) (store.Voicemail, error) {
	s.vmu.Lock()
	v, ok := s.vms[id]
	if ok {
		v.Heard = heard
		s.vms[id] = v
	}
	s.vmu.Unlock()
	if !ok {
		return v, store.ErrNotFound
	}
	return v, nil
}

func (s *vmFakeStore) DeleteVoicemail(_ context.Context, id string) (store.Voicemail, error) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	v, ok := s.vms[id]
	if !ok {
		return v, store.ErrNotFound
	}
	delete(s.vms, id)
	return v, nil
}

func (s *vmFakeStore) ExpireVoicemail(_ context.Context, before time.Time) ([]store.Voicemail, error) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	var old []store.Voicemail
	for id, v := range s.vms {
		if v.At.Before(before) {
			old = append(old, v)
			delete(s.vms, id)
		}
	}
	return old, nil
}

func (s *vmFakeStore) all() []store.Voicemail {
	l, _ := s.ListVoicemail(context.Background(), store.VoicemailFilter{})
	return l
}

// vmHarness is a harness with voicemail on (a temp directory, the fake
// store, a tone greeting).
func vmHarness(t *testing.T, edit ...func(*setup)) (*harness, *vmFakeStore, string) {
	t.Helper()
	dir := t.TempDir()
	var vs *vmFakeStore
	edits := append([]func(*setup){func(s *setup) {
		s.cfg = func(c *Config) {
			vs = &vmFakeStore{fakeStore: c.Store.(*fakeStore), vms: map[string]store.Voicemail{}}
			c.Store = vs
			c.Prompts.Voicemail = toneClip(freqGreeting)
			c.Voicemail = VoicemailConfig{Dir: dir, Max: 3 * time.Second}
		}
	}}, edit...)
	h := newHarness(t, edits...)
	return h, vs, dir
}

// recorder returns the caller leg's recorder once the core set it as the
// sink (the beep has played), stepping the media clock meanwhile.
func (h *harness) recorderOf(fc *fakeCall) *wavrec.Recorder {
	h.t.Helper()
	var rec *wavrec.Recorder
	h.waitFor("recording to start", func() bool {
		fc.leg.mu.Lock()
		rec, _ = fc.leg.sink.(*wavrec.Recorder)
		fc.leg.mu.Unlock()
		return rec != nil
	})
	return rec
}

// speak steps n frames of the caller's tone into the recording, paced so
// the recorder's writer keeps up (the test is about content, not drops).
func (h *harness) speak(n int) {
	for range n {
		h.step(1)
		time.Sleep(300 * time.Microsecond)
	}
}

// greetingThenBeep checks what the caller heard: the greeting's tone, then
// the beep (BeepDuration of BeepHz), in that order.
func greetingThenBeep(t *testing.T, fc *fakeCall, upTo int) {
	t.Helper()
	pcm := fc.leg.heard(0, upTo)
	firstGreet, firstBeep, beeps := -1, -1, 0
	for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
		f := pcm[i : i+media.FrameSamples]
		if firstGreet < 0 && hasTone(f, freqGreeting) {
			firstGreet = i / media.FrameSamples
		}
		if hasTone(f, prompts.BeepHz) {
			if firstBeep < 0 {
				firstBeep = i / media.FrameSamples
			}
			beeps++
		}
	}
	want := int(prompts.BeepDuration / media.FrameDuration)
	if firstGreet < 0 || firstBeep < firstGreet || beeps < want-1 || beeps > want+1 {
		t.Errorf("caller heard greeting at frame %d, beep at frame %d for %d frames; want the greeting, then %d beep frames",
			firstGreet, firstBeep, beeps, want)
	}
}

// checkMessage loads v's WAV and checks it holds the caller's tone for
// frames frames.
func checkMessage(t *testing.T, dir string, v store.Voicemail, frames int, freq float64) {
	t.Helper()
	want := time.Duration(frames) * media.FrameDuration
	if d := time.Duration(v.Seconds * float64(time.Second)); d < want-40*time.Millisecond || d > want+40*time.Millisecond {
		t.Errorf("message %s: %.3f s, want %v", v.ID, v.Seconds, want)
	}
	pcm, err := media.LoadWAVFile(filepath.Join(dir, v.File))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(pcm) / media.FrameSamples; got < frames-2 || got > frames+2 {
		t.Errorf("WAV holds %d frames, want %d", got, frames)
	}
	hearsOnly(t, "message "+v.ID, pcm, freq)
}

// PROTOCOL §11: a direct call on each cause (reject, no answer, at
// capacity, unavailable, logged out) goes to the agent's box: answered,
// greeting, beep, the caller's audio recorded until BYE, the message
// stored and announced (voicemail.new) to a logged-in agent.
func TestVoicemailCauses(t *testing.T) {
	for _, cause := range []string{"rejected", "timeout", "busy", "unavailable", "logged_out"} {
		t.Run(cause, func(t *testing.T) {
			h, vs, dir := vmHarness(t, func(s *setup) { s.agents[0].Capacity = 1 })
			var a1 *agentH
			var fc *fakeCall
			switch cause {
			case "rejected", "timeout":
				a1 = h.login("a1")
				fc = h.call("1001", freqCaller1)
				rv := h.nextOffer(a1)
				if cause == "rejected" {
					if err := h.c.Reject("a1", rv.ID); err != nil {
						t.Fatal(err)
					}
				} else {
					h.advance(61 * time.Second)
				}
			case "busy":
				a1 = h.login("a1")
				q := h.call("5000", freqCaller2)
				h.accept(a1, h.nextOffer(a1))
				h.waitFor("queue call active", func() bool { return q.snap().answered })
				fc = h.call("1001", freqCaller1)
			case "unavailable":
				a1 = h.connect("a1")
				fc = h.call("1001", freqCaller1)
			case "logged_out":
				fc = h.call("1001", freqCaller1)
			}
			rec := h.recorderOf(fc)
			if s := fc.snap(); !s.answered || s.rejected != 0 {
				t.Fatalf("caller %+v, want answered, never rejected", s)
			}
			greetingThenBeep(t, fc, h.steps.now()+1)
			h.speak(75)
			if rec.Seconds() != 1.5 {
				t.Errorf("recorder took %.3f s, want 1.5", rec.Seconds())
			}
			fc.callerHangup()
			h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
			v := vs.all()[0]
			if v.Agent != "a1" || v.Queue != "" || v.From != fc.from || v.Heard {
				t.Errorf("message %+v", v)
			}
			checkMessage(t, dir, v, 75, freqCaller1)
			if a1 != nil {
				n := h.waitNote(a1, EventVoicemailNew, nil).(store.Voicemail)
				if n.ID != v.ID {
					t.Errorf("voicemail.new %+v, want %s", n, v.ID)
				}
			}
			h.waitFor("call record", func() bool { _, ok := h.st.record(h.callID(fc)); return ok })
			if r, _ := h.st.record(h.callID(fc)); r.Outcome != "voicemail" {
				t.Errorf("record outcome %q, want voicemail", r.Outcome)
			}
		})
	}
}

// callID finds the core's id of a fake call (from its call record or the
// live calls).
func (h *harness) callID(fc *fakeCall) string {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	for id, cl := range h.c.calls {
		if cl.tc == fc {
			return id
		}
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	for _, r := range h.st.records {
		if r.From == fc.from {
			return r.Call
		}
	}
	return ""
}

// PROTOCOL §11: '#' ends the message and the gateway hangs up; a message
// under 1 s is dropped (no metadata, no file); -voicemail-max cuts it.
func TestVoicemailEnds(t *testing.T) {
	t.Run("pound", func(t *testing.T) {
		h, vs, dir := vmHarness(t)
		fc := h.call("1001", freqCaller1)
		h.recorderOf(fc)
		h.speak(60)
		fc.press("#")
		h.waitFor("gateway BYE", func() bool { return fc.snap().hangups == 1 })
		h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
		checkMessage(t, dir, vs.all()[0], 60, freqCaller1)
	})
	t.Run("short", func(t *testing.T) {
		h, vs, dir := vmHarness(t)
		fc := h.call("1001", freqCaller1)
		h.recorderOf(fc)
		h.speak(40) // 0.8 s
		fc.callerHangup()
		h.waitFor("recording over", func() bool { return h.c.ActiveCalls() == 0 && len(h.c.recordingNow()) == 0 })
		if n := len(vs.all()); n != 0 {
			t.Errorf("%d messages, want the short one dropped", n)
		}
		if es, _ := os.ReadDir(dir); len(es) != 0 {
			t.Errorf("files left: %v", es)
		}
	})
	t.Run("max", func(t *testing.T) {
		h, vs, dir := vmHarness(t) // Max 3 s
		fc := h.call("1001", freqCaller1)
		h.recorderOf(fc)
		h.speak(170)
		h.waitFor("gateway BYE at the max", func() bool { return fc.snap().hangups == 1 })
		h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
		checkMessage(t, dir, vs.all()[0], 150, freqCaller1)
	})
}

// recordingNow lists the calls leaving a message.
func (c *Core) recordingNow() []*call {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*call
	for cl := range c.recording {
		out = append(out, cl)
	}
	return out
}

// PROTOCOL §11: an agent with voicemail off keeps the v1 fallback (486),
// and a queue with voicemail on sends a caller whose max_wait_seconds ran
// out to the queue's box, announced to every member.
func TestVoicemailOffAndQueueBox(t *testing.T) {
	off := false
	h, vs, dir := vmHarness(t, func(s *setup) {
		s.agents[2].Voicemail = &off
		s.queues[0].Voicemail = true
		s.queues[0].MaxWaitSeconds = 30
	})
	fc := h.call("1003", freqCaller1)
	h.waitFor("486", func() bool { return fc.snap().rejected == 486 })

	a1 := h.connect("a1") // a member of sales, not available: the caller waits
	a2 := h.connect("a2")
	q := h.call("5000", freqCaller2)
	h.waitFor("queued", func() bool { return q.snap().answered })
	h.advance(30 * time.Second)
	h.recorderOf(q)
	h.speak(60)
	q.callerHangup()
	h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
	v := vs.all()[0]
	if v.Queue != "sales" || v.Agent != "" {
		t.Errorf("message %+v, want in the sales box", v)
	}
	checkMessage(t, dir, v, 60, freqCaller2)
	for _, a := range []*agentH{a1, a2} {
		h.waitNote(a, EventVoicemailNew, nil)
	}
	l, err := h.c.VoicemailList(t.Context(), "a3")
	if err != nil || len(l) != 0 {
		t.Errorf("a3 (no member of sales) lists %v, %v; want nothing", l, err)
	}
}

// The box methods: list, mark, delete (file removed), the http_token, and
// who may reach which message.
func TestVoicemailBoxMethods(t *testing.T) {
	h, vs, dir := vmHarness(t)
	a1 := h.connect("a1")
	a3 := h.connect("a3")
	fc := h.call("1001", freqCaller1)
	h.recorderOf(fc)
	h.speak(60)
	fc.callerHangup()
	h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
	id := vs.all()[0].ID

	l, err := h.c.VoicemailList(t.Context(), "a1")
	if err != nil || len(l) != 1 || l[0].ID != id {
		t.Fatalf("VoicemailList(a1) = %v, %v", l, err)
	}
	if a1.login.HTTPToken == "" || a1.login.HTTPToken == a3.login.HTTPToken {
		t.Fatalf("http_token %q / %q: want one of its own per session", a1.login.HTTPToken, a3.login.HTTPToken)
	}
	path, _, err := h.c.VoicemailAudio(t.Context(), a1.login.HTTPToken, id)
	if err != nil || path != filepath.Join(dir, id+".wav") {
		t.Errorf("VoicemailAudio(a1) = %q, %v", path, err)
	}
	if _, _, err := h.c.VoicemailAudio(t.Context(), a3.login.HTTPToken, id); err == nil {
		t.Error("a3 may fetch a1's message")
	}
	if _, _, err := h.c.VoicemailAudio(t.Context(), "nope", id); err == nil {
		t.Error("a wrong token fetches a message")
	}
	if _, err := h.c.VoicemailMark(t.Context(), "a3", id, true); err == nil {
		t.Error("a3 marks a1's message")
	}
	if v, err := h.c.VoicemailMark(t.Context(), "a1", id, true); err != nil || !v.Heard {
		t.Errorf("VoicemailMark = %+v, %v", v, err)
	}
	if n := h.waitNote(a1, "voicemail.updated", nil).(store.Voicemail); n.ID != id || !n.Heard {
		t.Errorf("voicemail.updated %+v", n)
	}
	if err := h.c.VoicemailDelete(t.Context(), "a3", id); err == nil {
		t.Error("a3 deletes a1's message")
	}
	if err := h.c.VoicemailDelete(t.Context(), "a1", id); err != nil {
		t.Fatal(err)
	}
	h.waitNote(a1, "voicemail.deleted", func(p any) bool { return p.(map[string]string)["id"] == id })
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("audio still there after delete: %v", err)
	}
	if err := h.c.VoicemailDelete(t.Context(), "a1", id); err == nil {
		t.Error("second delete succeeded")
	}
	// A new login gets a new token; the old one is refused.
	old := a1.login.HTTPToken
	b := h.connect("a1")
	if _, ok := h.c.TokenAgent(old); ok {
		t.Error("the replaced session's token still works")
	}
	if id, ok := h.c.TokenAgent(b.login.HTTPToken); !ok || id != "a1" {
		t.Errorf("TokenAgent(new) = %q, %v", id, ok)
	}
}

// PROTOCOL §11: the other direct calls reach voicemail too: a blind
// transfer to an extension whose agent is logged out (the caller's audio
// is recorded), and an agent dialling the extension of a logged-out agent
// (the dialling agent's audio, through the internal pipe, is recorded).
func TestVoicemailTransferAndInternalDial(t *testing.T) {
	h, vs, dir := vmHarness(t)
	a1 := h.login("a1")
	fc, cv := h.answered(a1, "5000", freqCaller1)
	if _, err := h.c.Transfer(t.Context(), "a1", cv.ID, "1003", "blind"); err != nil {
		t.Fatal(err)
	}
	h.recorderOf(fc)
	h.speak(60)
	fc.callerHangup()
	h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
	v := vs.all()[0]
	if v.Agent != "a3" || v.From != fc.from {
		t.Errorf("transferred caller's message %+v, want in a3's box from %s", v, fc.from)
	}
	checkMessage(t, dir, v, 60, freqCaller1)

	dv, err := h.c.Dial(t.Context(), "a1", "1002")
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("the internal call answered by voicemail", func() bool { return h.callState("a1", dv.ID) == "active" })
	var rec *wavrec.Recorder
	h.waitFor("recording the internal caller", func() bool {
		h.c.mu.Lock()
		defer h.c.mu.Unlock()
		for cl := range h.c.recording {
			if p, ok := cl.leg.(*pipeLeg); ok {
				if s := p.sink.Load(); s != nil {
					rec, _ = (*s).(*wavrec.Recorder)
				}
			}
		}
		return rec != nil
	})
	h.speak(60)
	for deadline := time.Now().Add(5 * time.Second); rec.Seconds() < 1.2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // the pipe delivers on its own goroutine
			t.Fatalf("the recorder took %.2f s of the internal caller, want 1.2", rec.Seconds())
		}
	}
	if _, err := h.c.Hangup("a1", dv.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor("message stored", func() bool { return len(vs.all()) == 2 })
	l, _ := vs.ListVoicemail(t.Context(), store.VoicemailFilter{Agent: "a2"})
	if len(l) != 1 {
		t.Fatalf("a2's box %+v", l)
	}
	v = l[0]
	if v.Agent != "a2" || v.From != "1001" {
		t.Errorf("internal caller's message %+v, want in a2's box from 1001", v)
	}
	checkMessage(t, dir, v, 60, freqAgent)
}

// Retention: a message older than VoicemailConfig.Retention goes with its
// file; a WAV no message names, older than the longest message (a
// recording cut by a crash), goes too; the rest stays.
func TestVoicemailRetention(t *testing.T) {
	h, vs, dir := vmHarness(t)
	fc := h.call("1001", freqCaller1)
	h.recorderOf(fc)
	h.speak(60)
	fc.callerHangup()
	h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
	v := vs.all()[0]
	orphan := filepath.Join(dir, "vm0000000000000000.wav")
	young := filepath.Join(dir, "vm1111111111111111.wav")
	for _, p := range []string{orphan, young} {
		if err := os.WriteFile(p, []byte("RIFF"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(orphan, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, v.File), old, old); err != nil {
		t.Fatal(err)
	}
	h.c.removeOrphans()
	for p, want := range map[string]bool{orphan: false, young: true, filepath.Join(dir, v.File): true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: present %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
	h.clock.Add(23 * time.Hour)
	h.c.expireVoicemail(24 * time.Hour)
	if len(vs.all()) != 1 {
		t.Fatal("a message younger than the retention was deleted")
	}
	h.clock.Add(2 * time.Hour)
	h.c.expireVoicemail(24 * time.Hour)
	if len(vs.all()) != 0 {
		t.Error("a message older than the retention is still listed")
	}
	if _, err := os.Stat(filepath.Join(dir, v.File)); !os.IsNotExist(err) {
		t.Errorf("the expired message's file: %v", err)
	}
}

// A message being left when the core closes (shutdown) is kept: the call
// ends, the recorder drains and the message is stored before Close
// returns.
func TestVoicemailKeptOnClose(t *testing.T) {
	h, vs, dir := vmHarness(t)
	fc := h.call("1001", freqCaller1)
	h.recorderOf(fc)
	h.speak(60)
	if err := h.c.Close(); err != nil {
		t.Fatal(err)
	}
	if len(vs.all()) != 1 {
		t.Fatalf("%d messages after Close, want the one being left", len(vs.all()))
	}
	checkMessage(t, dir, vs.all()[0], 60, freqCaller1)
	if !fc.snap().ended {
		t.Error("the caller is still up after Close")
	}
}

// An IVR caller who picks the extension of a logged-out agent reaches its
// voicemail, and '#' still ends the message (the IVR's digit channel gives
// way to voicemail's).
func TestVoicemailFromIVR(t *testing.T) {
	h, vs, dir := vmHarness(t)
	fc := h.call("6000", freqCaller1)
	h.waitFor("answer", func() bool { return fc.snap().answered })
	h.heardTone(fc, freqPromptExt, "prompt")
	fc.press("1003")
	h.recorderOf(fc)
	h.speak(60)
	fc.press("#")
	h.waitFor("gateway BYE after #", func() bool { return fc.snap().hangups == 1 })
	h.waitFor("message stored", func() bool { return len(vs.all()) == 1 })
	v := vs.all()[0]
	if v.Agent != "a3" {
		t.Errorf("message %+v, want in a3's box", v)
	}
	checkMessage(t, dir, v, 60, freqCaller1)
}
