// Package phonetest drives the softphone page's own flows from Chromium
// tests (web/webtest), for the tests of package phoneui and of e2e that
// need an agent past them.
//
// [Login] signs in from the login form. [GoAvailable] chooses "available" in the page the way an agent does and,
// when the page asks for the audio check first (issue 17: no going available
// without a passed microphone and speaker check), passes it as an agent
// would with Chromium's fake microphone: the level meter must move, the test
// tone is played and "I heard the tone" is pressed. Nothing is bypassed: a
// page whose meter never moves fails the test.
package phonetest

import (
	"context"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// Login signs in from the page's login form as agent with password and
// waits until the page shows the phone view.
func Login(t testing.TB, ctx context.Context, agent, password string) {
	t.Helper()
	webtest.WaitVisible(t, ctx, "#login-agent", 0)
	webtest.SetValue(t, ctx, "#login-agent", agent)
	webtest.SetValue(t, ctx, "#login-password", password)
	webtest.Click(t, ctx, "#login-submit")
	webtest.WaitVisible(t, ctx, "#phone-view", 0)
}

// GoAvailable sets the agent available from the page's activity control,
// passing the audio check if the page opens it, and waits until the page
// shows the agent available.
func GoAvailable(t testing.TB, ctx context.Context) {
	t.Helper()
	webtest.SetValue(t, ctx, "#activity", "available")
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'available' || document.querySelector('#setup').open`, 10*time.Second,
		`document.body.dataset.activity`, `document.querySelector('#status').innerText`)
	if webtest.Eval[bool](t, ctx, `document.querySelector('#setup').open`) {
		PassAudioSetup(t, ctx)
	}
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'available'`, 10*time.Second,
		`document.body.dataset.activity`, `document.querySelector('#status').innerText`)
}

// PassAudioSetup passes the open audio setup dialog: it waits for the
// microphone's level to pass (the fake microphone beeps), plays the test
// tone and confirms it was heard.
func PassAudioSetup(t testing.TB, ctx context.Context) {
	t.Helper()
	describe := []string{`document.querySelector('#setup-mic-result').innerText`, `document.querySelector('#setup-status').innerText`,
		`document.querySelector('#status').innerText`, `JSON.stringify({mic: sb.state.mic, setup: sb.state.setup, activity: document.body.dataset.activity, pending: document.querySelector('#activity').dataset.pending})`}
	webtest.WaitTrue(t, ctx, `document.querySelector('#setup').open`, 5*time.Second, describe...)
	webtest.WaitTrue(t, ctx, `document.querySelector('#setup-mic-result').innerText === 'Microphone works.' || document.body.dataset.setup === 'ok'`, 15*time.Second, describe...)
	if webtest.Eval[bool](t, ctx, `document.body.dataset.setup === 'ok'`) {
		return
	}
	webtest.Click(t, ctx, "#setup-tone")
	webtest.WaitTrue(t, ctx, `!document.querySelector('#setup-heard').disabled`, 5*time.Second, describe...)
	webtest.Click(t, ctx, "#setup-heard")
	webtest.WaitTrue(t, ctx, `document.body.dataset.setup === 'ok'`, 5*time.Second, describe...)
}
