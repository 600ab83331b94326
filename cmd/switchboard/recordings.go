package main

import (
	"errors"
	"log/slog"
	"path/filepath"

	"switchboard/recordings"
	"switchboard/signaling/console"
)

// openRecordings opens <data>/recordings (PROTOCOL §12).
func openRecordings(cfg Config, log *slog.Logger) (*recordings.Dir, error) {
	return recordings.Open(recordings.Config{Path: filepath.Join(cfg.DataDir, "recordings"), Retention: cfg.Recording.Retention, Logger: log})
}

// recordingDeleter adapts recordings.Dir to the console's RecordingDeleter
// (its sentinels).
type recordingDeleter struct{ d *recordings.Dir }

func (r recordingDeleter) Delete(id string) error {
	err := r.d.Delete(id)
	switch {
	case errors.Is(err, recordings.ErrBadID):
		return console.ErrBadRecordingID
	case errors.Is(err, recordings.ErrNotFound):
		return console.ErrNoRecording
	}
	return err
}
