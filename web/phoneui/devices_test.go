package phoneui

import (
	"strconv"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// TestAudioSetup (issue 17 item 7, "agent setup check"): the audio setup
// lists the microphones and speakers (enumerateDevices), its level meter
// moves with the (fake) microphone's beep, the test tone enables "I heard
// the tone", and both checks together mark the setup ok; the chosen
// speaker is applied to the call audio (setSinkId).
func TestAudioSetup(t *testing.T) {
	ctx, _ := loggedInPhone(t)
	webtest.Click(t, ctx, "#setup-open")
	describe := []string{`document.querySelector('#setup').outerHTML`}
	webtest.WaitTrue(t, ctx, `document.querySelector('#setup').open && document.querySelectorAll('#setup-mic option').length > 0`, 5*time.Second, describe...)
	// The fake microphone beeps: the meter moves and the microphone passes.
	webtest.WaitTrue(t, ctx, `document.querySelector('#setup-mic-result').innerText === 'Microphone works.'`, 10*time.Second, describe...)
	if webtest.Eval[bool](t, ctx, `!document.querySelector('#setup-heard').disabled || document.body.dataset.setup === 'ok'`) {
		t.Fatal("speaker check passed before the tone was played")
	}
	webtest.Click(t, ctx, "#setup-tone")
	webtest.WaitTrue(t, ctx, `!document.querySelector('#setup-heard').disabled`, 5*time.Second, describe...)
	webtest.Click(t, ctx, "#setup-heard")
	webtest.WaitTrue(t, ctx, `sb.state.setup === 'ok' && document.querySelector('#setup-status').innerText.includes('you can go available')`, 5*time.Second, describe...)
	screenshot(t, ctx, "audio-setup")
	// A speaker choice reaches the call audio element.
	if webtest.Eval[bool](t, ctx, `document.querySelectorAll('#setup-speaker option').length > 0 && typeof HTMLMediaElement.prototype.setSinkId === 'function'`) {
		want := webtest.Eval[string](t, ctx, `(() => { const s = document.querySelector('#setup-speaker'); s.value = s.options[s.options.length - 1].value; s.dispatchEvent(new Event('change')); return s.value; })()`)
		webtest.WaitTrue(t, ctx, `document.querySelector('#remote-audio').sinkId === `+strconv.Quote(want), 5*time.Second, `document.querySelector('#remote-audio').sinkId`)
	} else {
		t.Log("no audio output device listed: setSinkId not exercised")
	}
	webtest.Click(t, ctx, "#setup-close")
	webtest.WaitTrue(t, ctx, `!document.querySelector('#setup').open`, 5*time.Second)
}
