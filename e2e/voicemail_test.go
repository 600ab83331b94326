package e2e

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/media/tone"
	"switchboard/signaling/trunk/trunktest"
)

// Voicemail (PROTOCOL §11) against the binary: SIP callers leave messages
// with a tone, the WAVs are fetched over HTTP and the tone is found by
// Goertzel.

const (
	beepHz     = 1000.0 // media/prompts.BeepHz
	messageLen = 2 * time.Second
)

// vmMessage is a Voicemail as the sockets send it.
type vmMessage struct {
	ID      string  `json:"id"`
	Agent   string  `json:"agent"`
	Queue   string  `json:"queue"`
	From    string  `json:"from"`
	At      string  `json:"at"`
	Seconds float64 `json:"seconds"`
	Heard   bool    `json:"heard"`
}

// leaveMessage waits for the greeting and the beep on an answered caller,
// then sends freq for messageLen and hangs up. It returns how long the
// greeting and beep took from the answer.
func leaveMessage(t *testing.T, c *caller, freq float64) time.Duration {
	t.Helper()
	return leaveMessageEnd(t, c, freq, "bye")
}

// leaveMessageEnd is leaveMessage ending the message with end: "bye" (the
// caller's), "rfc4733" or "info" ('#' that way, then the gateway's BYE).
func leaveMessageEnd(t *testing.T, c *caller, freq float64, end string) time.Duration {
	t.Helper()
	start := time.Now()
	hearsMusic(t, "voicemail caller (greeting)", c.classify)
	waitFor(t, 20*time.Second, "voicemail caller to hear the beep", func() bool { // after the greeting (8 s built in)
		return c.classify(beepHz, 200*time.Millisecond) == tone.VerdictTone
	})
	waitFor(t, 5*time.Second, "the beep to end", func() bool {
		return c.classify(beepHz, 100*time.Millisecond) != tone.VerdictTone
	})
	greet := time.Since(start)
	c.RTP.PlayTone(freq)
	time.Sleep(messageLen) // the message's length: what is measured in the WAV
	c.RTP.Silence()
	switch end {
	case "rfc4733":
		c.sendDTMF(t, "#")
		c.ended(t, "caller after # (RFC 4733)", 10*time.Second)
	case "info":
		c.infoDTMF(t, "#")
		c.ended(t, "caller after # (SIP INFO)", 10*time.Second)
	default:
		c.bye(t)
	}
	return greet
}

// fetch GETs url with a bearer token (and a Range header if rng is set).
func fetch(t *testing.T, url, token, rng string) (int, []byte, http.Header) {
	t.Helper()
	var hdr map[string]string
	if rng != "" {
		hdr = map[string]string{"Range": rng}
	}
	return httpDo(t, "GET", url, token, nil, hdr)
}

// toneRun is the longest run of 20 ms frames of pcm dominated by freq.
func toneRun(pcm []int16, freq float64) time.Duration {
	best, run := 0, 0
	for i := 0; i+media.FrameSamples <= len(pcm); i += media.FrameSamples {
		if tone.Classify(pcm[i:i+media.FrameSamples], freq) == tone.VerdictTone {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return time.Duration(best) * media.FrameDuration
}

// checkWAV checks a fetched message: a WAV holding freq for messageLen ±
// 0.2 s; it returns the tone's measured length.
func checkWAV(t *testing.T, who string, wav []byte, freq float64) time.Duration {
	t.Helper()
	pcm, err := media.LoadWAV(bytes.NewReader(wav))
	if err != nil {
		t.Fatalf("%s: %v", who, err)
	}
	d := toneRun(pcm, freq)
	if d < messageLen-200*time.Millisecond || d > messageLen+200*time.Millisecond {
		t.Errorf("%s: %v Hz for %v in a %v WAV, want %v ± 0.2 s", who, freq, d,
			time.Duration(len(pcm))*time.Second/media.SampleRate, messageLen)
	}
	return d
}

func (g *gateway) voicemailList(t *testing.T, params map[string]string) []vmMessage {
	t.Helper()
	c := g.admin(t)
	defer c.Close()
	var l []vmMessage
	c.MustCall("voicemail.list", params, &l)
	return l
}

// PROTOCOL §11 end to end: a direct call to an agent who is logged out,
// rejects, or is at capacity reaches its voicemail (never 486): the caller
// hears the greeting, then the beep, and its tone is in the stored WAV for
// its length ± 0.2 s ('#' ends the last one: the gateway hangs up).
// voicemail.new reaches the agent; the agent lists,
// fetches (http_token, Range), marks and deletes; the console lists and
// fetches with the admin token; the messages survive a restart.
func TestVoicemailEndToEnd(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	oneQueue(t, g, nil,
		agentSpec{ID: "a1", Ext: "1001", Capacity: 1, Queues: []string{"sales"}},
		agentSpec{ID: "a2", Ext: "1002", Queues: []string{}})

	// Logged out.
	c := g.dialAsync(t, "1001", 0).wait(t)
	greet := leaveMessage(t, c, toneCaller1)
	t.Logf("logged out: greeting and beep heard %v after the answer", greet)

	// Rejected.
	a1 := g.login(t, "a1", toneAgent)
	p := g.dialAsync(t, "1001", 0)
	res, _ := a1.reservation(t)
	a1.WS.MustCall("reservation.reject", map[string]string{"reservation": res}, nil)
	leaveMessage(t, p.wait(t), toneCaller2)
	a1.expect(t, 10*time.Second, notif{"voicemail.new", field("agent", "a1")})

	// At capacity (1): a queue call is active. This caller ends with '#'.
	q := g.dial(t, "5000", toneCaller2)
	a1.accept(t)
	talking(t, "queue call", q, toneCaller2, a1)
	leaveMessageEnd(t, g.dialAsync(t, "1001", 0).wait(t), toneCaller1, "rfc4733")
	a1.expect(t, 10*time.Second, notif{"voicemail.new", field("agent", "a1")})

	// Three messages, each with its caller's tone.
	var mine []vmMessage
	waitFor(t, 10*time.Second, "three messages in a1's box", func() bool {
		a1.WS.MustCall("voicemail.list", nil, &mine)
		return len(mine) == 3
	})
	tones := []float64{toneCaller1, toneCaller2, toneCaller1} // newest first
	for i, m := range mine {
		if m.Agent != "a1" || m.Heard || m.Seconds < 1.5 || m.Seconds > 2.5 {
			t.Errorf("message %d: %+v", i, m)
		}
		code, wav, h := fetch(t, g.HTTP+"/voicemail/"+m.ID+".wav", a1.HTTPToken, "")
		if code != 200 || h.Get("Content-Type") != "audio/wav" {
			t.Fatalf("GET /voicemail/%s.wav = %d %s", m.ID, code, h.Get("Content-Type"))
		}
		d := checkWAV(t, "message "+m.ID, wav, tones[i])
		t.Logf("message %d: %.2f s stored, tone %v in the WAV (sent %v)", i, m.Seconds, d, messageLen)
	}
	id := mine[0].ID
	url := g.HTTP + "/voicemail/" + id + ".wav"
	if code, b, h := fetch(t, url, a1.HTTPToken, "bytes=0-43"); code != 206 || len(b) != 44 || string(b[:4]) != "RIFF" {
		t.Errorf("Range GET = %d, %d bytes (%s)", code, len(b), h.Get("Content-Range"))
	}
	if code, _, _ := fetch(t, url, "", ""); code != 401 {
		t.Errorf("GET without a token = %d, want 401", code)
	}
	if code, _, _ := fetch(t, url, "wrong", ""); code != 401 {
		t.Errorf("GET with a wrong token = %d, want 401", code)
	}
	a2 := g.login(t, "a2", toneAgent2)
	if code, _, _ := fetch(t, url, a2.HTTPToken, ""); code != 404 {
		t.Errorf("a2 fetching a1's message = %d, want 404", code)
	}
	var m vmMessage
	a1.WS.MustCall("voicemail.mark", map[string]any{"id": id, "heard": true}, &m)
	if !m.Heard {
		t.Errorf("voicemail.mark = %+v", m)
	}
	del := mine[2].ID
	a1.WS.MustCall("voicemail.delete", map[string]string{"id": del}, nil)
	if code, _, _ := fetch(t, g.HTTP+"/voicemail/"+del+".wav", a1.HTTPToken, ""); code != 404 {
		t.Errorf("GET of a deleted message = %d, want 404", code)
	}

	// The console.
	if l := g.voicemailList(t, map[string]string{"agent": "a1"}); len(l) != 2 || l[0].ID != id || !l[0].Heard {
		t.Errorf("console voicemail.list = %+v", l)
	}
	if code, wav, _ := fetch(t, g.HTTP+"/api/voicemail/"+id+".wav", g.Token, ""); code != 200 {
		t.Errorf("GET /api/voicemail = %d", code)
	} else {
		checkWAV(t, "console fetch", wav, toneCaller1)
	}
	if code, _, _ := fetch(t, g.HTTP+"/api/voicemail/"+id+".wav", a1.HTTPToken, ""); code != 401 {
		t.Errorf("GET /api/voicemail with an agent token = %d, want 401", code)
	}

	// A restart keeps them.
	a1.WS.Close()
	a2.WS.Close()
	g.stopNow(t)
	g2 := startGW(t, "-data", g.DataDir)
	l := g2.voicemailList(t, nil)
	if len(l) != 2 || l[0].ID != id || !l[0].Heard {
		t.Fatalf("after a restart voicemail.list = %+v", l)
	}
	code, wav, _ := fetch(t, g2.HTTP+"/api/voicemail/"+l[1].ID+".wav", g2.Token, "")
	if code != 200 {
		t.Fatalf("after a restart GET = %d", code)
	}
	checkWAV(t, "after the restart", wav, toneCaller2)
}

// wavTone is a 16 kHz mono 16-bit WAV of secs of freq (a greeting upload:
// another rate than the gateway's, which resamples).
func wavTone(freq, secs float64) []byte {
	const rate = 16000
	pcm := make([]int16, int(rate*secs))
	for i := range pcm {
		pcm[i] = int16(12000 * math.Sin(2*math.Pi*freq*float64(i)/rate))
	}
	return media.EncodeWAV(rate, pcm)
}

// putGreeting uploads an agent's greeting with its http_token.
func putGreeting(t *testing.T, g *gateway, token string, wav []byte) (int, string) {
	t.Helper()
	code, b, _ := httpDo(t, "PUT", g.HTTP+"/voicemail/greeting", token, wav, nil)
	return code, string(b)
}

// PROTOCOL §11 against the binary, the two other ways in: a direct offer
// the agent lets ring out (60 s) reaches its voicemail, where the caller
// hears the greeting the agent uploaded (PUT /voicemail/greeting) before
// the beep; and a queue with voicemail on sends a caller whose
// max_wait_seconds ran out to the queue's box, announced to its members.
func TestVoicemailTimeoutGreetingAndQueueBox(t *testing.T) {
	t.Parallel()
	const greetHz = 500.0
	// The caller sends no RTP while it rings (60 s): the RTP timeout (60 s)
	// counts from the answer, so it reaches voicemail (before that fix it
	// got 480 as the offer timed out).
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "support", "name": "Support", "voicemail": true, "max_wait_seconds": 3}},
		[]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{}}, {ID: "a2", Ext: "1002", Queues: []string{"support"}}},
		map[string]string{"5001": "queue:support"})
	a1 := g.login(t, "a1", toneAgent)
	if code, body := putGreeting(t, g, a1.HTTPToken, []byte("not a wav")); code != 400 {
		t.Errorf("bad greeting = %d %s, want 400", code, body)
	}
	if code, body := putGreeting(t, g, "wrong", wavTone(greetHz, 1)); code != 401 {
		t.Errorf("greeting with a wrong token = %d %s, want 401", code, body)
	}
	if code, body := putGreeting(t, g, a1.HTTPToken, wavTone(greetHz, 1)); code != 200 {
		t.Fatalf("greeting upload = %d %s", code, body)
	}
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMU)}
	iv, err := c.SIP.StartInvite(t.Context(), g.SIP, "1001", c.RTP.Offer())
	if err != nil {
		t.Fatal(err)
	}
	a1.reservation(t) // and never answered
	rang := time.Now()

	// Meanwhile the queue box: a2 is a member but not available.
	a2 := g.login(t, "a2", toneAgent2)
	a2.WS.MustCall("activity.set", map[string]string{"activity": "unavailable"}, nil)
	q := g.dial(t, "5001", 0)
	leaveMessageEnd(t, q, toneCaller2, "info") // '#' by SIP INFO ends it
	a2.expect(t, 10*time.Second, notif{"voicemail.new", field("queue", "support")})
	var l []vmMessage
	a2.WS.MustCall("voicemail.list", nil, &l)
	if len(l) != 1 || l[0].Queue != "support" || l[0].Agent != "" {
		t.Fatalf("a2's voicemail.list = %+v, want the support box's message", l)
	}
	code, wav, _ := fetch(t, g.HTTP+"/voicemail/"+l[0].ID+".wav", a2.HTTPToken, "")
	if code != 200 {
		t.Fatalf("a2 fetching the queue box's message = %d", code)
	}
	checkWAV(t, "queue box message", wav, toneCaller2)
	if code, _, _ := fetch(t, g.HTTP+"/voicemail/"+l[0].ID+".wav", a1.HTTPToken, ""); code != 404 {
		t.Errorf("a1 (no member) fetching the queue box's message = %d, want 404", code)
	}

	// The unanswered direct call, with a1's own greeting.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if c.Dlg, err = iv.Wait(ctx); err != nil {
		t.Fatalf("the unanswered direct call: %v", err)
	}
	if err := c.RTP.SetAnswer(c.Dlg.AnswerSDP()); err != nil {
		t.Fatal(err)
	}
	t.Logf("direct call answered for voicemail %v after the offer", time.Since(rang).Round(100*time.Millisecond))
	hears(t, "caller (a1's greeting)", c.classify, greetHz)
	leaveMessage(t, c, toneCaller1)
	a1.expect(t, 10*time.Second, notif{"voicemail.new", field("agent", "a1")})
	var mine []vmMessage
	a1.WS.MustCall("voicemail.list", nil, &mine)
	if len(mine) != 1 || mine[0].Agent != "a1" {
		t.Fatalf("a1's voicemail.list = %+v", mine)
	}
	_, wav, _ = fetch(t, g.HTTP+"/voicemail/"+mine[0].ID+".wav", a1.HTTPToken, "")
	checkWAV(t, "timed-out direct call's message", wav, toneCaller1)
}
