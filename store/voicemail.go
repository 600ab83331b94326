package store

import (
	"context"
	"encoding/json"
	"time"

	"switchboard/events"
)

// Voicemail is one message (PROTOCOL §11): in an agent's box or a queue's.
// File is the audio's name under the data directory (never sent).
type Voicemail struct {
	ID      string    `json:"id"`
	Agent   string    `json:"agent,omitempty"`
	Queue   string    `json:"queue,omitempty"`
	From    string    `json:"from"`
	At      time.Time `json:"at"`
	Seconds float64   `json:"seconds"`
	Heard   bool      `json:"heard"`
	File    string    `json:"-"`
}

// MarshalJSON renders At as RFC 3339 with milliseconds.
func (v Voicemail) MarshalJSON() ([]byte, error) {
	type plain Voicemail
	return json.Marshal(struct {
		plain
		At string `json:"at"`
	}{plain(v), events.FormatTime(v.At)})
}

// VoicemailFilter selects messages: of Agent and of Queue when set.
type VoicemailFilter struct {
	Agent, Queue string
}

// MaxVoicemailList bounds one ListVoicemail answer (newest first).
const MaxVoicemailList = 1000

// VoicemailStore persists voicemail metadata. The SQLite store implements
// it.
type VoicemailStore interface {
	AddVoicemail(ctx context.Context, v Voicemail) error
	GetVoicemail(ctx context.Context, id string) (Voicemail, error)
	// ListVoicemail returns messages newest first, at most MaxVoicemailList.
	ListVoicemail(ctx context.Context, f VoicemailFilter) ([]Voicemail, error)
	MarkVoicemail(ctx context.Context, id string, heard bool) (Voicemail, error)
	// DeleteVoicemail deletes a message and returns it (its File is the
	// caller's to remove).
	DeleteVoicemail(ctx context.Context, id string) (Voicemail, error)
	// ExpireVoicemail deletes the messages older than before and returns
	// them (retention).
	ExpireVoicemail(ctx context.Context, before time.Time) ([]Voicemail, error)
}
