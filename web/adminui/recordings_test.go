package adminui

import (
	"encoding/binary"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/web/webtest"
)

// recordingWAV is a 2-channel 8 kHz 16-bit WAV of seconds: a 700 Hz tone on
// channel 1, silence on channel 2.
func recordingWAV(seconds float64) []byte {
	n := int(8000 * seconds)
	data := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint16(data[4*i:], uint16(int16(8000*math.Sin(2*math.Pi*700*float64(i)/8000))))
	}
	h := make([]byte, 44)
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1) // PCM
	binary.LittleEndian.PutUint16(h[22:], 2)
	binary.LittleEndian.PutUint32(h[24:], 8000)
	binary.LittleEndian.PutUint32(h[28:], 8000*4)
	binary.LittleEndian.PutUint16(h[32:], 4)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(data)))
	return append(h, data...)
}

// recordingAPI is GET /api/recordings/<id>.wav with the admin token (401
// without it, 404 once deleted): a 2 s recording.
func (f *fakeConsole) recordingAPI() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/recordings/"), ".wav")
		f.mu.Lock()
		gone := f.recGone[id]
		f.mu.Unlock()
		if gone || !idRE.MatchString(id) {
			http.Error(w, "no such recording", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = w.Write(recordingWAV(2))
	})
}

func (f *fakeConsole) recordingDelete(id string) (any, *rpcError, map[string]any) {
	if f.recGone == nil {
		f.recGone = map[string]bool{}
	}
	if f.recGone[id] {
		return nil, &rpcError{Code: -32002, Message: "not found", Data: map[string]any{"reason": "id: no such recording"}}, nil
	}
	f.recDel = append(f.recDel, id)
	f.recGone[id] = true
	return map[string]any{}, nil, nil
}

// TestRecordingsInRecords (PROTOCOL §12): a call record with a recording
// shows its length, plays it in the page (fetched with the admin token:
// the player gets the 2 s file) and deletes it with two clicks
// (recording.delete); a record without one has neither button. axe finds
// nothing serious with the column shown.
func TestRecordingsInRecords(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	fake.mu.Lock()
	fake.records = []any{
		map[string]any{"call": "c7", "agent": "a1", "queue": "sales", "kind": "queue", "from": "+15550001", "to": "5000",
			"started_at": "2026-01-15T15:04:05.000Z", "outcome": "answered", "talk_seconds": 100, "recording": map[string]any{"id": "c7-a1", "seconds": 62.4}},
		map[string]any{"call": "c8", "agent": "a2", "queue": "sales", "kind": "queue", "from": "+15550002", "to": "5000",
			"started_at": "2026-01-15T15:05:05.000Z", "outcome": "answered", "talk_seconds": 10},
	}
	fake.mu.Unlock()
	adminLogin(t, ctx, srv.URL+"/admin#records")
	webtest.Click(t, ctx, "#records-submit")
	cell := `#records-table tr[data-call="c7"] .rec-recording`
	webtest.WaitVisible(t, ctx, cell+" button.recording-play", 0)
	if got := webtest.Eval[string](t, ctx, `document.querySelector('`+cell+` .recording-seconds').innerText`); got != "1:02" {
		t.Errorf("recording length %q, want 1:02", got)
	}
	if n := webtest.Eval[int](t, ctx, `document.querySelectorAll('#records-table tr[data-call="c8"] button').length`); n != 0 {
		t.Errorf("a record without a recording has %d buttons", n)
	}
	webtest.AxeClean(t, ctx, "recordings")

	webtest.Click(t, ctx, cell+" button.recording-play")
	webtest.WaitTrue(t, ctx, `(() => { const p = document.querySelector('#recording-player'); return !p.hidden && p.dataset.id === 'c7-a1' && Math.abs(p.duration - 2) < 0.05; })()`, 5*time.Second,
		`document.querySelector('#recording-player').outerHTML`, `document.querySelector('#records-form .form-error').innerText`)
	webtest.Screenshot(t, ctx, "admin-records-recording")

	webtest.Click(t, ctx, cell+" button.recording-delete")
	if got := webtest.Eval[string](t, ctx, `document.querySelector('`+cell+` button.recording-delete').innerText`); got != "Confirm delete" {
		t.Errorf("after one click the delete button says %q, want Confirm delete", got)
	}
	fake.mu.Lock()
	early := len(fake.recDel)
	fake.mu.Unlock()
	if early != 0 {
		t.Fatal("recording deleted on the first click")
	}
	webtest.Click(t, ctx, cell+" button.recording-delete")
	webtest.WaitTrue(t, ctx, `document.querySelector('`+cell+`').dataset.deleted === 'yes' && document.querySelector('#recording-player').hidden`, 5*time.Second,
		`document.querySelector('`+cell+`').outerHTML`)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.recDel) != 1 || fake.recDel[0] != "c7-a1" {
		t.Errorf("recording.delete ids %v, want [c7-a1]", fake.recDel)
	}
}

// TestAgentQueueFields (PROTOCOL §9-§12): the agent form saves caller ID,
// role, voicemail and recording, and the queue form the service-level
// threshold, recording and voicemail; editing shows them again.
func TestAgentQueueFields(t *testing.T) {
	ctx, srv, fake := startConsole(t)
	adminLogin(t, ctx, srv.URL+"/admin#queues")
	webtest.SetValue(t, ctx, "#queue-form input[name=id]", "sales")
	webtest.SetValue(t, ctx, "#queue-form input[name=sl_seconds]", "30")
	webtest.Click(t, ctx, "#queue-form input[name=record]")
	webtest.Click(t, ctx, "#queue-form input[name=voicemail]")
	webtest.Click(t, ctx, "#queue-submit")
	webtest.WaitVisible(t, ctx, `#queues-table tr[data-queue=sales]`, 0)

	webtest.SetValue(t, ctx, "#agent-form input[name=id]", "s1")
	webtest.SetValue(t, ctx, "#agent-form input[name=extension]", "1009")
	webtest.SetValue(t, ctx, "#agent-form input[name=caller_id]", "+15550009")
	webtest.SetValue(t, ctx, "#agent-form select[name=role]", "supervisor")
	webtest.Click(t, ctx, "#agent-form input[name=voicemail]") // on by default: off
	webtest.Click(t, ctx, "#agent-form input[name=record]")
	webtest.Click(t, ctx, "#agent-submit")
	webtest.WaitVisible(t, ctx, `#agents-table tr[data-agent=s1]`, 0)
	webtest.Screenshot(t, ctx, "admin-agent-form")

	fake.mu.Lock()
	a, q := fake.agents["s1"], fake.queues["sales"]
	fake.mu.Unlock()
	if a["caller_id"] != "+15550009" || a["role"] != "supervisor" || a["voicemail"] != false || a["record"] != true {
		t.Errorf("agent.put kept %v", a)
	}
	if q["sl_seconds"] != 30.0 || q["record"] != true || q["voicemail"] != true {
		t.Errorf("queue.put got %v", q)
	}

	// Editing shows them again.
	webtest.Click(t, ctx, `#agents-table tr[data-agent=s1] button.edit`)
	webtest.WaitTrue(t, ctx, `(() => { const e = document.querySelector('#agent-form').elements;
		return e.caller_id.value === '+15550009' && e.role.value === 'supervisor' && !e.voicemail.checked && e.record.checked; })()`, 5*time.Second,
		`document.querySelector('#agent-form').outerHTML`)
	webtest.Click(t, ctx, `#queues-table tr[data-queue=sales] button.edit`)
	webtest.WaitTrue(t, ctx, `(() => { const e = document.querySelector('#queue-form').elements;
		return e.sl_seconds.value === '30' && e.record.checked && e.voicemail.checked; })()`, 5*time.Second,
		`document.querySelector('#queue-form').outerHTML`)
}
