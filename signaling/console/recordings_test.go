package console_test

import (
	"sync"
	"testing"

	"switchboard/signaling/console"
	"switchboard/signaling/ws"
)

type fakeRecordings struct {
	mu   sync.Mutex
	have map[string]bool
}

func (f *fakeRecordings) Delete(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case len(id) < 4 || id[:4] != "rec-":
		return console.ErrBadRecordingID
	case !f.have[id]:
		return console.ErrNoRecording
	}
	delete(f.have, id)
	return nil
}

// TestRecordingDelete: recording.delete {id} removes one; unknown, bad and
// missing ids get their errors; without recordings the method says so.
func TestRecordingDelete(t *testing.T) {
	recs := &fakeRecordings{have: map[string]bool{"rec-1": true}}
	e := newEnv(t, func(c *console.Config) { c.Recordings = recs })
	c := e.admin()
	c.MustCall("recording.delete", map[string]any{"id": "rec-1"}, nil)
	if recs.have["rec-1"] {
		t.Error("rec-1 not deleted")
	}
	wantErr(t, c, "recording.delete", map[string]any{"id": "rec-1"}, ws.CodeNotFound, "no recording rec-1")
	wantErr(t, c, "recording.delete", map[string]any{"id": "../x"}, ws.CodeInvalidParams, "id: not a recording id (rec- and 20 hex digits)")
	wantErr(t, c, "recording.delete", map[string]any{}, ws.CodeInvalidParams, "id: required")

	off := newEnv(t, nil).admin()
	wantErr(t, off, "recording.delete", map[string]any{"id": "rec-1"}, ws.CodeNotFound, "recordings are off on this gateway")
}
