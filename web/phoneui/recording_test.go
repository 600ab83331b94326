package phoneui

import (
	"maps"
	"testing"
	"time"

	"switchboard/web/phoneui/phonetest"
	"switchboard/web/webtest"
)

// handleRecording serves call.record.pause / call.record.resume (PROTOCOL
// §12) on a call whose recording is on or paused.
func (f *fakeGateway) handleRecording(c *fakeConn, method string, p map[string]any) (any, *rpcError, func(), bool) {
	if method != "call.record.pause" && method != "call.record.resume" {
		return nil, nil, nil, false
	}
	id, _ := p["call"].(string)
	cl := f.calls[id]
	if cl == nil || (cl["recording"] != "on" && cl["recording"] != "paused") {
		return nil, &rpcError{Code: -32602, Message: "invalid params", Data: map[string]any{"reason": "call: not recorded"}}, nil, true
	}
	cl["recording"] = map[string]string{"call.record.pause": "paused", "call.record.resume": "on"}[method]
	out := maps.Clone(cl)
	return out, nil, func() { c.Notify("call.updated", out) }, true
}

// TestRecordingControls (PROTOCOL §12 in the softphone): a recorded call's
// card says so, Pause recording (for card numbers) turns it to "Recording
// paused" with Resume recording, and back; a call that is not recorded
// shows neither. axe is clean with the badge shown.
func TestRecordingControls(t *testing.T) {
	ctx, fake := loggedInPhone(t)
	webtest.Click(t, ctx, `.toast[data-reservation="r1"] button.accept`)
	card := `#calls .call-card[data-call="c1"]`
	webtest.WaitTrue(t, ctx, `document.querySelector('`+card+`')?.dataset.state === 'active'`, 5*time.Second)
	if webtest.Eval[bool](t, ctx, `document.querySelector('`+card+` .badge-recording').checkVisibility() || document.querySelector('`+card+` button.record-pause').checkVisibility()`) {
		t.Fatal("a call that is not recorded shows recording")
	}
	fake.mu.Lock()
	fake.calls["c1"]["recording"] = "on"
	c1 := maps.Clone(fake.calls["c1"])
	fake.mu.Unlock()
	fake.notifyAll("call.updated", c1)
	badge := `document.querySelector('` + card + ` .badge-recording')`
	webtest.WaitTrue(t, ctx, badge+`.checkVisibility() && `+badge+`.innerText.includes('Recording') && document.querySelector('`+card+` button.record-pause').checkVisibility()`, 5*time.Second,
		`document.querySelector('`+card+`').outerHTML`)
	webtest.AxeClean(t, ctx, "while recording")
	webtest.Screenshot(t, ctx, "recording")
	webtest.Click(t, ctx, card+" button.record-pause")
	webtest.WaitTrue(t, ctx, `document.querySelector('`+card+`').dataset.recording === 'paused' && `+badge+`.innerText.includes('Recording paused') && document.querySelector('`+card+` button.record-resume').checkVisibility() && !document.querySelector('`+card+` button.record-pause').checkVisibility()`, 5*time.Second,
		`document.querySelector('`+card+`').outerHTML`)
	webtest.Screenshot(t, ctx, "recording-paused")
	webtest.Click(t, ctx, card+" button.record-resume")
	webtest.WaitTrue(t, ctx, `document.querySelector('`+card+`').dataset.recording === 'on' && document.querySelector('`+card+` button.record-pause').checkVisibility()`, 5*time.Second,
		`document.querySelector('`+card+`').outerHTML`)
	var got []string
	for _, r := range fake.requests2("call.record.pause", "call.record.resume") {
		got = append(got, r.Method+" "+r.Params["call"].(string))
	}
	if len(got) != 2 || got[0] != "call.record.pause c1" || got[1] != "call.record.resume c1" {
		t.Errorf("requests %v, want pause c1 then resume c1", got)
	}
}

// TestCustomActivitiesListed (PROTOCOL §10 custom activities): the
// activity control lists the console's custom activities by name after the
// built-ins, choosing one sends its id, activities.updated replaces the
// list, and a custom activity that takes calls asks for the audio check
// first, as "available" does.
func TestCustomActivitiesListed(t *testing.T) {
	ctx, srv, fake := startPhone(t, "")
	fake.mu.Lock()
	fake.acts = []any{map[string]any{"id": "lunch", "name": "Lunch", "available": false}}
	fake.mu.Unlock()
	loginPhone(t, ctx, srv.URL+"/")
	opts := `[...document.querySelectorAll('#activity option')].map((o) => o.value + '=' + o.textContent).join(',')`
	webtest.WaitTrue(t, ctx, opts+` === 'available=available,unavailable=unavailable,break=break,offline=offline,lunch=Lunch'`, 5*time.Second, opts)
	webtest.SetValue(t, ctx, "#activity", "lunch")
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'lunch'`, 5*time.Second, `document.body.dataset.activity`, `document.querySelector('#status').innerText`)
	if got := fake.activity(); got != "lunch" {
		t.Errorf("gateway's activity %q, want lunch", got)
	}
	fake.notifyAll("activities.updated", map[string]any{"activities": []any{
		map[string]any{"id": "backoffice", "name": "Back office", "available": true},
		map[string]any{"id": "lunch", "name": "Lunch break", "available": false}}})
	webtest.WaitTrue(t, ctx, opts+`.endsWith('offline=offline,backoffice=Back office,lunch=Lunch break') && document.querySelector('#activity').value === 'lunch'`, 5*time.Second, opts)
	webtest.SetValue(t, ctx, "#activity", "backoffice")
	phonetest.PassAudioSetup(t, ctx) // it takes calls: the check comes first
	webtest.WaitTrue(t, ctx, `document.body.dataset.activity === 'backoffice'`, 5*time.Second, `document.body.dataset.activity`)
	if got := fake.activity(); got != "backoffice" {
		t.Errorf("gateway's activity %q, want backoffice", got)
	}
}
