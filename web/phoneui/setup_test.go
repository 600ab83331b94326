package phoneui

import (
	"strings"
	"testing"
	"time"

	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// availableSets counts the activity.set requests for available the fake got.
func availableSets(fake *fakeGateway) int {
	n := 0
	for _, r := range fake.find("activity.set") {
		if r.Params["activity"] == "available" {
			n++
		}
	}
	return n
}

// TestSetupCheckBeforeAvailable (issue 17, "agent setup check: before going
// available, the agent passes a microphone and speaker check"): choosing
// available opens the audio check and sends nothing; closing it leaves the
// agent unavailable with a message; passing it goes on to available. The
// pass holds for the tab (a reload does not ask again), and a lost
// microphone asks for it again.
func TestSetupCheckBeforeAvailable(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	fake.mu.Lock()
	fake.agent["activity"] = "unavailable"
	fake.mu.Unlock()
	loginPhone(t, ctx, srv.URL+"/")
	webtest.WaitTrue(t, ctx, `sb.state.mic === 'ok' && document.body.dataset.activity === 'unavailable'`, 5*time.Second, `sb.state.mic`, `document.body.dataset.activity`)
	describe := []string{`document.querySelector('#setup-why').innerText`, `document.querySelector('#status').innerText`, `document.body.dataset.activity`}

	// Choosing available opens the check, with the reason, and sends nothing.
	webtest.SetValue(t, ctx, "#activity", "available")
	webtest.WaitTrue(t, ctx, `document.querySelector('#setup').open && document.querySelector('#setup-why').innerText.includes('Before you go available')`, 5*time.Second, describe...)
	if webtest.Eval[string](t, ctx, `document.querySelector('#activity').value`) != "unavailable" {
		t.Error("the activity control shows available before the check passed")
	}
	screenshot(t, ctx, "setup-before-available")
	if v := webtest.Axe(t, ctx); len(v) > 0 {
		t.Errorf("axe on the setup check: %+v", v)
	}
	// Closed without passing: still unavailable, and the page says why.
	webtest.Click(t, ctx, "#setup-close")
	webtest.WaitTrue(t, ctx, `!document.querySelector('#setup').open && document.querySelector('#status').innerText.includes('before going available')`, 5*time.Second, describe...)
	if n := availableSets(fake); n != 0 {
		t.Fatalf("%d activity.set available sent without the audio check", n)
	}
	if got := fake.activity(); got != "unavailable" {
		t.Fatalf("gateway's activity %q, want unavailable", got)
	}

	// Passing it goes on to available (one activity.set).
	phonetest.GoAvailable(t, ctx)
	if n := availableSets(fake); n != 1 {
		t.Errorf("%d activity.set available after the check, want 1", n)
	}
	if got := fake.activity(); got != "available" {
		t.Errorf("gateway's activity %q after the check, want available", got)
	}

	// The pass holds for the tab: after a reload available goes straight through.
	webtest.SetValue(t, ctx, "#activity", "unavailable")
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'unavailable'`, 5*time.Second, describe...)
	loginPhone(t, ctx, srv.URL+"/")
	webtest.WaitTrue(t, ctx, `sb.state.mic === 'ok' && document.body.dataset.setup === 'ok'`, 5*time.Second, `sb.state.mic`, `document.body.dataset.setup`)
	webtest.SetValue(t, ctx, "#activity", "available")
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'available'`, 5*time.Second, describe...)
	if webtest.Eval[bool](t, ctx, `document.querySelector('#setup').open`) {
		t.Error("the check was asked again in the same tab")
	}

	// A lost microphone drops the pass: after "Check microphone", available asks again.
	webtest.Eval[bool](t, ctx, `(() => { const tr = sb.mic.stream.getAudioTracks()[0]; tr.stop(); tr.dispatchEvent(new Event('ended')); return true; })()`)
	webtest.WaitTrue(t, ctx, `document.body.dataset.mic === 'lost' && document.body.dataset.setup === '' && sb.state.agent.activity === 'unavailable'`, 5*time.Second, describe...)
	webtest.WaitTrue(t, ctx, `sb.state.rtc === 'error'`, 10*time.Second, `sb.state.rtc`)
	webtest.Click(t, ctx, "#mic-retry")
	webtest.WaitTrue(t, ctx, `sb.state.mic === 'ok'`, 5*time.Second, `sb.state.mic`)
	before := availableSets(fake)
	webtest.SetValue(t, ctx, "#activity", "available")
	webtest.WaitTrue(t, ctx, `document.querySelector('#setup').open`, 5*time.Second, describe...)
	if n := availableSets(fake); n != before {
		t.Errorf("activity.set available sent after the microphone was lost, before a new check")
	}
	phonetest.PassAudioSetup(t, ctx)
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'available'`, 5*time.Second, describe...)
	if msg := webtest.Eval[string](t, ctx, `document.querySelector('#setup-status').innerText`); !strings.Contains(msg, "going available") {
		t.Errorf("setup status %q", msg)
	}
}
