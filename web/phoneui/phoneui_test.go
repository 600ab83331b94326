package phoneui

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"switchboard/internal/waittest"
	"switchboard/web/page/pagetest"
	"switchboard/web/webtest"
)

func TestHandler(t *testing.T) {
	pagetest.Serves(t, Handler(), []string{"/", "/index.html", "/some/where"},
		`<title>Switchboard softphone</title>`, `id="login-agent"`, `id="calls"`, "<script>", "<style>", "/ws/agent")
}

// TestSoftphone drives the page in Chromium against a fake gateway: login
// (a wrong password first), two offers as two toasts, accept one, accept the
// second (the first is held, its Resume button swaps), mute, DTMF, hang up,
// activity, and a reconnect with automatic re-login.
func TestSoftphone(t *testing.T) {
	ctx := webtest.Browser(t)
	fake := newFakeGateway(t)
	srv := servePhone(t, fake, nil)
	describe := []string{`document.querySelector('main').outerHTML`, `document.querySelector('#status').innerText`}
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, describe...)
	}
	row := func(id string) string { return `#calls .call-card[data-call="` + id + `"]` }
	visible := func(sel string) string {
		return `(() => { const e = document.querySelector('` + sel + `'); return !!e && e.checkVisibility(); })()`
	}

	webtest.Do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	webtest.WaitVisible(t, ctx, "#login-agent", 0)

	// A wrong password: the error reason shows in the status area, the form stays.
	webtest.SetValue(t, ctx, "#login-agent", "a1")
	webtest.SetValue(t, ctx, "#login-password", "wrong")
	webtest.Click(t, ctx, "#login-submit")
	wait(`document.querySelector('#status').innerText.includes('bad agent or password')`)
	wait(`!document.querySelector('#login-submit').disabled`)
	if webtest.Eval[bool](t, ctx, visible("#phone-view")) {
		t.Fatal("phone view shown after a refused login")
	}

	webtest.SetValue(t, ctx, "#login-password", "pw")
	webtest.Click(t, ctx, "#login-submit")
	webtest.WaitVisible(t, ctx, "#phone-view", 0)

	// Two offers, two toasts, and the ring.
	wait(`document.querySelectorAll('#toasts .toast').length === 2`)
	r1 := webtest.Eval[string](t, ctx, `document.querySelector('.toast[data-reservation="r1"]').innerText`)
	for _, want := range []string{"Queue: Sales line", "Ada Lovelace", "+15551230001"} {
		if !strings.Contains(r1, want) {
			t.Errorf("toast r1 = %q, lacks %q", r1, want)
		}
	}
	if !regexp.MustCompile(`\b[1-6]?\ds\b`).MatchString(r1) {
		t.Errorf("toast r1 = %q, lacks a countdown", r1)
	}
	r2 := webtest.Eval[string](t, ctx, `document.querySelector('.toast[data-reservation="r2"]').innerText`)
	if !strings.Contains(r2, "Direct") || !strings.Contains(r2, "1002") {
		t.Errorf("toast r2 = %q, want a direct call from 1002", r2)
	}
	wait(`window.sb.state.ringing === true`)

	// The page made an offer with audio; the fake's refusal is shown.
	wait(`document.querySelector('#status').innerText.includes('fake gateway has no media')`)
	offers := fake.find("webrtc.offer")
	if len(offers) != 1 {
		t.Fatalf("webrtc.offer sent %d times, want 1", len(offers))
	}
	if sdp, _ := offers[0].Params["sdp"].(string); !strings.Contains(sdp, "m=audio") || !strings.Contains(sdp, "a=sendrecv") {
		t.Errorf("offer SDP lacks a sendrecv audio section:\n%s", sdp)
	}
	if n := webtest.Eval[int](t, ctx, `window.sb.pc ? 1 : 0`); n != 1 {
		t.Error("window.sb.pc is not set")
	}

	// Accept r1: its toast goes, r2 stays, c1 is the active row.
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	wait(`!document.querySelector('.toast[data-reservation="r1"]') && !!document.querySelector('.toast[data-reservation="r2"]')`)
	wait(`document.querySelector('` + row("c1") + `')?.dataset.state === 'active'`)
	wait(`document.querySelector('` + row("c1") + `').classList.contains('active')`)
	wait(`/^\d\d:\d\d$/.test(document.querySelector('` + row("c1") + ` .call-timer').innerText)`)

	// Accept r2: c1 is held, c2 active; no toast left, no ring.
	webtest.Click(t, ctx, `.toast[data-reservation="r2"] button.accept`)
	wait(`document.querySelector('` + row("c1") + `').dataset.state === 'held' && document.querySelector('` + row("c2") + `')?.dataset.state === 'active'`)
	wait(`document.querySelectorAll('#toasts .toast').length === 0 && window.sb.state.ringing === false`)
	if got := webtest.Eval[[]string](t, ctx, `[...document.querySelectorAll('#calls .call-card')].map(r => r.dataset.call + ':' + r.dataset.state + ':' + r.classList.contains('active'))`); strings.Join(got, ",") != "c1:held:false,c2:active:true" {
		t.Errorf("call rows = %v, want [c1:held:false c2:active:true]", got)
	}
	for sel, want := range map[string]bool{
		row("c1") + " button.resume": true, row("c1") + " button.hold": false,
		row("c2") + " button.resume": false, row("c2") + " button.hold": true, row("c2") + " button.hangup": true,
	} {
		if got := webtest.Eval[bool](t, ctx, visible(sel)); got != want {
			t.Errorf("%s visible = %v, want %v", sel, got, want)
		}
	}
	if txt := webtest.Eval[string](t, ctx, `document.querySelector('`+row("c1")+` button.resume').innerText`); !strings.Contains(txt, "swap") {
		t.Errorf("resume button of the held call = %q, want it to say it swaps", txt)
	}

	// One click on Resume swaps.
	webtest.Click(t, ctx, row("c1")+" button.resume")
	wait(`document.querySelector('` + row("c1") + `').dataset.state === 'active' && document.querySelector('` + row("c2") + `').dataset.state === 'held'`)
	wait(`document.querySelector('` + row("c1") + `').classList.contains('active') && !document.querySelector('` + row("c2") + `').classList.contains('active')`)
	wait(visible(row("c2") + " button.resume"))

	// Mute shows the badge and the Unmute button.
	webtest.Click(t, ctx, row("c1")+" button.mute")
	wait(visible(row("c1")+" .badge-muted") + ` && ` + visible(row("c1")+" button.unmute"))

	// The dialpad sends DTMF to the active call.
	webtest.Click(t, ctx, `#dialpad button[data-digit="5"]`)
	wait(`document.querySelector('#dtmf-sent').innerText.includes('5')`)
	if d := fake.find("call.dtmf"); len(d) != 1 || d[0].Params["call"] != "c1" || d[0].Params["digits"] != "5" {
		t.Errorf("call.dtmf requests = %v, want one {call: c1, digits: 5}", d)
	}

	// Dialling out: the outbound call rings with ringback in the agent's ear
	// until it is answered or ends.
	webtest.SetValue(t, ctx, "#dial-to", "5551234")
	webtest.Click(t, ctx, "#dial-submit")
	wait(`document.querySelector('` + row("c9") + `')?.dataset.state === 'ringing' && document.body.dataset.ringback === 'yes'`)
	webtest.Click(t, ctx, row("c9")+" button.hangup")
	wait(`!document.querySelector('` + row("c9") + `') && document.body.dataset.ringback === 'no'`)

	// Hang up the held call: only its row goes.
	webtest.Click(t, ctx, row("c2")+" button.hangup")
	wait(`!document.querySelector('` + row("c2") + `') && !!document.querySelector('` + row("c1") + `')`)

	// Activity.
	webtest.SetValue(t, ctx, "#activity", "break")
	wait(`document.body.dataset.activity === 'break'`)
	if a := fake.find("activity.set"); len(a) != 1 || a[0].Params["activity"] != "break" {
		t.Errorf("activity.set requests = %v", a)
	}

	// The gateway drops the socket: the page reconnects and logs in again
	// by itself, and shows the calls of the login result.
	fake.dropAll()
	wait(`window.sb.state.logins === 2 && window.sb.state.connection === 'open'`)
	if n := fake.loginCount(); n != 2 {
		t.Errorf("gateway saw %d logins, want 2", n)
	}
	wait(`document.querySelector('` + row("c1") + `')?.dataset.state === 'active' && document.querySelectorAll('#calls .call-card').length === 1`)
	// The failed offer is retried on the new session (the PC was never answered).
	waitFor(t, 5*time.Second, "a second webrtc.offer after the re-login", func() bool { return len(fake.find("webrtc.offer")) == 2 })
	wait(`window.sb.state.rtc === 'error' && window.sb.state.lastError.includes('fake gateway has no media')`)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	waittest.For(t, what, timeout, cond)
}

// TestSoftphoneAudio checks the page's WebRTC path against a pion answerer:
// one non-trickle offer, the answer applied, audio both ways (getStats in
// the page, RTP packets counted by pion).
func TestSoftphoneAudio(t *testing.T) {
	ctx := webtest.Browser(t)
	fake := newFakeGateway(t)
	peer := newAnswerer(t)
	fake.answer = peer.answer
	srv := servePhone(t, fake, nil)
	describe := []string{`JSON.stringify({rtc: window.sb.state.rtc, err: window.sb.state.lastError})`}

	loginPhone(t, ctx, srv.URL+"/")
	webtest.WaitTrue(t, ctx, `window.sb.state.rtc === 'connected'`, 10*time.Second, describe...)
	webtest.WaitTrue(t, ctx, `window.sb.pc.getStats().then(stats => {
		for (const s of stats.values()) if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0 && s.audioLevel > 0) return true;
		return false;
	})`, 5*time.Second, describe...)
	if !webtest.Eval[bool](t, ctx, `document.querySelector('#remote-audio').srcObject instanceof MediaStream`) {
		t.Error("remote audio element has no stream")
	}
	waitFor(t, 5*time.Second, "RTP from the page's microphone", func() bool { return peer.received.Load() > 10 })
	if n := len(fake.find("webrtc.offer")); n != 1 {
		t.Errorf("webrtc.offer sent %d times, want 1", n)
	}
	if got := webtest.Eval[string](t, ctx, `document.querySelector('#rtc-state').dataset.state`); got != "connected" {
		t.Errorf("#rtc-state = %q, want connected", got)
	}
}
