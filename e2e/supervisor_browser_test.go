package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/media/tone"
	"switchboard/web/webtest"
)

// pageBeepAbsent fails t if who hears Chromium's fake microphone beep (the
// supervisor's page) at any time during window.
func pageBeepAbsent(t *testing.T, who string, recent func(time.Duration) []int16, window time.Duration) {
	t.Helper()
	for end := time.Now().Add(window); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		pcm := recent(1200 * time.Millisecond)
		if ok, desc := beepStats(pcm); ok {
			var rms []string
			for i := 0; i+160 <= len(pcm); i += 160 {
				rms = append(rms, fmt.Sprintf("%.0f", tone.RMS(pcm[i:i+160])))
			}
			t.Fatalf("%s hears the supervisor's microphone but must not: %s; frame RMS %v", who, desc, rms)
		}
	}
}

// pageBeepHeard waits until who hears the supervisor page's fake beep.
func pageBeepHeard(t *testing.T, who string, recent func(time.Duration) []int16) {
	t.Helper()
	deadline := time.Now().Add(webtest.Scaled(8 * time.Second))
	for {
		ok, desc := beepStats(recent(1200 * time.Millisecond))
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not hear the supervisor's microphone: %s", who, desc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PROTOCOL §12 in Chromium against the binary (issue 16: "the softphone for
// a supervisor shows the floor with listen, whisper and barge buttons"): a
// supervisor logs in in the page while a1 (a pion agent) talks to a SIP
// caller. The floor panel lists a1's call; Listen, Whisper and Barge are
// pressed in turn in the page, and each mode is checked on the audio
// itself: the supervisor's page receives the call's audio in every mode
// (getStats audio level); with the caller and the agent silent, the page's
// microphone (Chromium's fake beep) reaches nobody in listen, the agent only
// in whisper, and both in barge; the gateway reports the mode as
// Call.supervisor for whisper and barge. Stop ends it: nobody hears the
// page, and the panel says so.
func TestBrowserSupervisorPanel(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	adm := g.admin(t)
	adm.MustCall("agent.put", map[string]any{"id": "s1", "name": "Sue", "extension": "1009", "password": "pw-s1", "queues": []string{}, "role": "supervisor"}, nil)
	a := g.login(t, "a1", toneAgent)
	c := g.dial(t, "5000", toneCaller1)
	call := a.accept(t)
	talking(t, "the call to monitor", c, toneCaller1, a)

	ctx := webtest.Browser(t)
	p := &phonePage{t: t, ctx: ctx}
	webtest.Do(t, ctx, chromedp.Navigate(g.HTTP+"/"))
	webtest.WaitVisible(t, ctx, "#login-password", 0)
	webtest.SetValue(t, ctx, "#login-agent", "s1")
	webtest.SetValue(t, ctx, "#login-password", "pw-s1")
	webtest.Click(t, ctx, "#login-submit")
	p.wait(`window.sb.state.loggedIn && window.sb.pc && window.sb.pc.connectionState === 'connected'`, 15*time.Second)
	row := `#panel-floor .sup-call[data-call="` + call + `"]`
	p.wait(`document.querySelector('#panel-floor').open && !!document.querySelector('`+row+` button.monitor-listen')`, 10*time.Second)
	if !webtest.Eval[bool](t, ctx, `!!document.querySelector('#panel-floor .sup-group[data-group="on-call"] .sup-agent[data-agent="a1"] .sup-call[data-call="`+call+`"]')`) {
		t.Errorf("floor panel %q does not list a1 on a call", webtest.Eval[string](t, ctx, `document.querySelector('#panel-floor').innerText`))
	}

	supervisorOf := func() string {
		var st struct {
			Calls []struct {
				ID         string `json:"id"`
				Supervisor *struct {
					Agent, Mode string
				} `json:"supervisor"`
			} `json:"calls"`
		}
		adm.MustCall("state", map[string]any{}, &st)
		for _, cl := range st.Calls {
			if cl.ID == call && cl.Supervisor != nil {
				return cl.Supervisor.Agent + ":" + cl.Supervisor.Mode
			}
		}
		return ""
	}
	agentHears := func(d time.Duration) []int16 { return a.Br.Recent(d) }
	for _, mode := range []string{"listen", "whisper", "barge"} {
		// The call talks: the supervisor's page gets its audio.
		c.RTP.PlayTone(toneCaller1)
		a.Br.SendTone(toneAgent)
		webtest.Click(t, ctx, row+" button.monitor-"+mode)
		p.wait(`document.body.dataset.monitoring === '`+call+`' && document.body.dataset.monitorMode === '`+mode+`' && document.querySelector('#sup-monitoring').dataset.mode === '`+mode+`'`, 10*time.Second)
		p.wait(inboundAudio, 10*time.Second)
		talking(t, mode, c, toneCaller1, a)
		// Caller and agent silent: who hears the page's microphone? Each
		// stops hearing the other at once (a frame of their tones after
		// that would look like the page's beep).
		c.RTP.Silence()
		a.Br.Silence()
		waitFor(t, webtest.Scaled(2*time.Second), mode+": the caller and the agent to stop hearing each other", func() bool {
			return c.classify(toneAgent, 200*time.Millisecond) != tone.VerdictTone && a.classify(toneCaller1, 200*time.Millisecond) != tone.VerdictTone
		})
		want := map[string]string{"listen": "", "whisper": "s1:whisper", "barge": "s1:barge"}[mode]
		waitFor(t, 5*time.Second, mode+": Call.supervisor "+want, func() bool { return supervisorOf() == want })
		switch mode {
		case "listen":
			pageBeepAbsent(t, "listen: the agent", agentHears, 2*time.Second)
			pageBeepAbsent(t, "listen: the caller", c.RTP.Recorded, 2*time.Second)
		case "whisper":
			pageBeepHeard(t, "whisper: the agent", agentHears)
			pageBeepAbsent(t, "whisper: the caller", c.RTP.Recorded, 2*time.Second)
		case "barge":
			pageBeepHeard(t, "barge: the agent", agentHears)
			pageBeepHeard(t, "barge: the caller", c.RTP.Recorded)
		}
		webtest.Screenshot(t, ctx, "supervisor-e2e-"+mode)
	}
	webtest.Click(t, ctx, "#sup-monitoring button.monitor-stop")
	p.wait(`document.body.dataset.monitoring === '' && document.querySelector('#sup-monitoring').innerText.includes('not monitoring')`, 10*time.Second)
	waitFor(t, 5*time.Second, "no supervisor on the call", func() bool { return supervisorOf() == "" })
	waitFor(t, 5*time.Second, "the agent and the caller to stop hearing the page", func() bool {
		a1, _ := beepStats(a.Br.Recent(1200 * time.Millisecond))
		c1, _ := beepStats(c.RTP.Recorded(1200 * time.Millisecond))
		return !a1 && !c1
	})
	pageBeepAbsent(t, "after stop: the agent", agentHears, 2*time.Second)
	pageBeepAbsent(t, "after stop: the caller", c.RTP.Recorded, 2*time.Second)
	c.bye(t)
}
