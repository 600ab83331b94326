package phoneui

import (
	"math"
	"net/http"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/web/webtest"
)

// handleVoicemail answers voicemail.list and voicemail.mark from f.vms
// (under f.mu).
func (f *fakeGateway) handleVoicemail(method string, p map[string]any) (any, *rpcError, bool) {
	switch method {
	case "voicemail.list":
		out := []any{}
		for _, m := range f.vms {
			out = append(out, m)
		}
		return out, nil, true
	case "voicemail.mark":
		for _, m := range f.vms {
			if m["id"] == p["id"] {
				m["heard"] = p["heard"]
				return m, nil, true
			}
		}
		return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "voicemail: unknown"}}, true
	case "voicemail.delete":
		return map[string]any{}, nil, true
	}
	return nil, nil, false
}

// testWAV is secs of a 440 Hz tone as an 8 kHz 16-bit mono WAV.
func testWAV(secs float64) []byte {
	pcm := make([]int16, int(media.SampleRate*secs))
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/media.SampleRate))
	}
	return media.EncodeWAV(media.SampleRate, pcm)
}

// TestVoicemailPanel: the panel lists the login's messages with the
// unheard count, Play fetches the WAV with the login's http_token and plays
// it (duration > 0) and marks it heard, Mark unheard sends voicemail.mark,
// and voicemail.new / .updated / .deleted from the gateway (another page,
// another member of a queue) update the list.
func TestVoicemailPanel(t *testing.T) {
	ctx := webtest.Browser(t)
	fake := newFakeGateway(t)
	fake.vms = []map[string]any{
		{"id": "vm2", "queue": "sales", "from": "+15550000002", "at": stamp(time.Now()), "seconds": 3.0, "heard": false},
		{"id": "vm1", "agent": "a1", "from": "+15550000001", "at": stamp(time.Now().Add(-time.Hour)), "seconds": 2.0, "heard": true},
	}
	var auth []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /voicemail/{name}", func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer tok-a1" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(testWAV(1.5))
	})
	srv := servePhone(t, fake, mux)
	wait := func(expr string) {
		t.Helper()
		webtest.WaitTrue(t, ctx, expr, 5*time.Second, `document.querySelector('#panel-voicemail').outerHTML`, `document.querySelector('#status').innerText`)
	}
	row := func(id string) string { return `#panel-voicemail li.voicemail[data-id="` + id + `"]` }
	loginPhone(t, ctx, srv.URL+"/")
	wait(`document.querySelectorAll('#panel-voicemail li.voicemail').length === 2 && document.querySelector('#panel-voicemail summary').textContent === 'Voicemail (1 new)'`)
	wait(`document.querySelector('` + row("vm2") + ` .vm-box').textContent === '(queue sales)' && document.querySelector('` + row("vm2") + ` .vm-seconds').textContent === '0:03'`)

	webtest.Click(t, ctx, row("vm2")+" button.vm-play")
	wait(`document.querySelector('#vm-player').dataset.id === 'vm2' && document.querySelector('#vm-player').duration > 1.4`)
	wait(`document.querySelector('` + row("vm2") + `').dataset.heard === 'yes' && document.body.dataset.voicemailUnheard === '0' && document.querySelector('#panel-voicemail summary').textContent === 'Voicemail'`)
	if len(auth) != 1 || auth[0] != "Bearer tok-a1" {
		t.Errorf("audio fetched with %q, want the login's http_token", auth)
	}
	webtest.Click(t, ctx, row("vm1")+" button.vm-mark")
	wait(`document.querySelector('` + row("vm1") + `').dataset.heard === 'no'`)
	if got := fake.find("voicemail.mark"); len(got) != 2 || got[1].Params["id"] != "vm1" || got[1].Params["heard"] != false {
		t.Errorf("voicemail.mark requests %+v", got)
	}

	// The gateway's notifications.
	fake.notifyAll("voicemail.new", map[string]any{"id": "vm3", "agent": "a1", "from": "+15550000003", "at": stamp(time.Now()), "seconds": 5.0, "heard": false})
	wait(`document.querySelector('#panel-voicemail li.voicemail').dataset.id === 'vm3' && document.body.dataset.voicemailUnheard === '2'`)
	fake.notifyAll("voicemail.updated", map[string]any{"id": "vm3", "agent": "a1", "from": "+15550000003", "at": stamp(time.Now()), "seconds": 5.0, "heard": true})
	wait(`document.querySelector('` + row("vm3") + `').dataset.heard === 'yes' && document.body.dataset.voicemailUnheard === '1'`)
	fake.notifyAll("voicemail.deleted", map[string]any{"id": "vm2"})
	wait(`!document.querySelector('` + row("vm2") + `') && document.querySelectorAll('#panel-voicemail li.voicemail').length === 2`)
	webtest.Click(t, ctx, row("vm1")+" button.vm-delete")
	wait(`!document.querySelector('` + row("vm1") + `') && document.querySelectorAll('#panel-voicemail li.voicemail').length === 1`)
	if got := fake.find("voicemail.delete"); len(got) != 1 || got[0].Params["id"] != "vm1" {
		t.Errorf("voicemail.delete requests %+v", got)
	}
}
