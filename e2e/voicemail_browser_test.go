package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/web/adminui/admintest"
	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// PROTOCOL §11 in Chromium against the binary: the softphone's voicemail
// panel lists the agent's messages with the unheard count, a new message
// appears live (voicemail.new), Play fetches the WAV with the http_token
// and plays it in the page (audio element with a duration > 0, playing),
// which marks it heard; Delete removes it (the WAV is gone); the agent
// records its greeting from the microphone (PUT /voicemail/greeting). The admin
// page's Voicemail section lists what is left and plays it too.
func TestBrowserVoicemail(t *testing.T) {
	t.Parallel()
	g := startGW(t)
	ctx := webtest.Browser(t)
	oneQueue(t, g, nil, agentSpec{ID: "a1", Ext: "1001", Queues: []string{"sales"}})
	p := &phonePage{t: t, ctx: ctx}

	// A message while a1 is logged out.
	leaveMessage(t, g.dialAsync(t, "1001", 0).wait(t), toneCaller1)
	waitFor(t, 10*time.Second, "the first message", func() bool { return len(g.voicemailList(t, nil)) == 1 })

	webtest.Do(t, ctx, chromedp.Navigate(g.HTTP+"/"))
	phonetest.Login(t, ctx, "a1", "pw-a1")
	p.wait(`document.querySelectorAll('#panel-voicemail li.voicemail[data-heard="no"]').length === 1`, 10*time.Second)
	p.wait(`document.querySelector('#panel-voicemail').open && document.querySelector('#panel-voicemail summary').textContent === 'Voicemail (1 new)'`, 2*time.Second)
	first := webtest.Eval[string](t, ctx, `document.querySelector('#panel-voicemail li.voicemail').dataset.id`)

	// A second one while the page is open (the agent is not available).
	p.wait(`document.body.dataset.activity !== 'available'`, 5*time.Second)
	leaveMessage(t, g.dialAsync(t, "1001", 0).wait(t), toneCaller2)
	p.wait(`document.querySelectorAll('#panel-voicemail li.voicemail').length === 2 && document.body.dataset.voicemailUnheard === '2'`, 10*time.Second)
	second := webtest.Eval[string](t, ctx, `document.querySelector('#panel-voicemail li.voicemail').dataset.id`)
	if second == first {
		t.Fatalf("newest message %s is the first one", second)
	}

	// The agent records its greeting from the (fake) microphone (after the
	// messages: Chromium's fake microphone beeps, like the voicemail beep).
	webtest.Click(t, ctx, "#panel-voicemail details.vm-greeting summary")
	webtest.Click(t, ctx, "#vm-greeting-record")
	p.wait(`document.querySelector('#vm-greeting-record').getAttribute('aria-pressed') === 'true'`, 5*time.Second)
	time.Sleep(1500 * time.Millisecond) // the greeting's length
	webtest.Click(t, ctx, "#vm-greeting-record")
	p.wait(`/^Greeting saved \(\d/.test(document.querySelector('#vm-greeting-status').textContent)`, 10*time.Second)
	status := webtest.Eval[string](t, ctx, `document.querySelector('#vm-greeting-status').textContent`)
	t.Logf("greeting recorded in the page: %s", status)
	if !g.Logged(`"msg":"voicemail greeting set"`, `"agent_id":"a1"`) {
		t.Error("the gateway did not log the greeting")
	}

	// Play the newest: fetched with the token, played in the page, marked heard.
	webtest.Click(t, ctx, `#panel-voicemail li.voicemail[data-id="`+second+`"] button.vm-play`)
	p.wait(`(() => { const a = document.querySelector('#vm-player');
		return a.dataset.id === '`+second+`' && a.duration > 1.5 && a.duration < 2.5 && a.currentTime > 0.2; })()`, 10*time.Second)
	dur := webtest.Eval[float64](t, ctx, `document.querySelector('#vm-player').duration`)
	t.Logf("audio element: duration %.2f s", dur)
	p.wait(`document.querySelector('#panel-voicemail li.voicemail[data-id="`+second+`"]').dataset.heard === 'yes' && document.body.dataset.voicemailUnheard === '1'`, 5*time.Second)
	waitFor(t, 5*time.Second, "heard in the store", func() bool {
		for _, m := range g.voicemailList(t, nil) {
			if m.ID == second {
				return m.Heard
			}
		}
		return false
	})

	// Delete the first.
	webtest.Click(t, ctx, `#panel-voicemail li.voicemail[data-id="`+first+`"] button.vm-delete`)
	p.wait(`!document.querySelector('#panel-voicemail li.voicemail[data-id="`+first+`"]') && document.querySelectorAll('#panel-voicemail li.voicemail').length === 1`, 5*time.Second)
	if code, _, _ := fetch(t, g.HTTP+"/api/voicemail/"+first+".wav", g.Token, ""); code != 404 {
		t.Errorf("deleted message's WAV = %d, want 404", code)
	}

	// The admin page: the message left, played with the admin token.
	admintest.Login(t, ctx, g.HTTP+"/admin#voicemail", g.Token)
	p.wait(`document.querySelectorAll('#voicemail-table tbody tr').length === 1 && document.querySelector('#voicemail-table tr[data-voicemail="`+second+`"][data-heard="yes"] .voicemail-box').textContent === 'agent a1'`, 10*time.Second)
	webtest.Click(t, ctx, `#voicemail-table tr[data-voicemail="`+second+`"] button.voicemail-play`)
	p.wait(`(() => { const a = document.querySelector('#voicemail-player');
		return a.dataset.id === '`+second+`' && a.duration > 1.5 && a.duration < 2.5 && a.currentTime > 0.2; })()`, 10*time.Second)
}
