package console

import (
	"context"
	"errors"

	"switchboard/signaling/ws"
)

// Recordings (PROTOCOL §12): recording.delete {id} removes one call
// recording's file. The files are fetched over HTTP (GET
// /api/recordings/<id>.wav), not through the console.

// RecordingDeleter removes recordings; recordings.Dir implements it.
type RecordingDeleter interface {
	Delete(id string) error
}

// ErrNoRecording and ErrBadRecordingID are what a RecordingDeleter wraps
// for an unknown id and a malformed one; cmd maps recordings' sentinels to
// them.
var (
	ErrNoRecording    = errors.New("no such recording")
	ErrBadRecordingID = errors.New("not a recording id")
)

func (s *session) registerRecordings() {
	s.Register("recording.delete", ws.Typed(s.recordingDelete))
}

func (s *session) recordingDelete(ctx context.Context, p idParams) (empty, error) {
	if p.ID == "" {
		return empty{}, ws.InvalidParams("id: required")
	}
	d := s.c.cfg.Recordings
	if d == nil {
		return empty{}, ws.NotFound("recordings are off on this gateway")
	}
	err := d.Delete(p.ID)
	switch {
	case errors.Is(err, ErrBadRecordingID):
		return empty{}, ws.InvalidParams("id: not a recording id (rec- and 20 hex digits)")
	case errors.Is(err, ErrNoRecording):
		return empty{}, ws.NotFound("no recording " + p.ID)
	case err != nil:
		return empty{}, s.fail("recording.delete", err)
	}
	s.log.Info("recording deleted", "recording", p.ID)
	return empty{}, nil
}
