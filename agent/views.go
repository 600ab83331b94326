package agent

import (
	"time"

	"switchboard/events"
	"switchboard/store"
	"switchboard/view"
)

// LoginResult answers login.
type LoginResult struct {
	Agent        view.Agent         `json:"agent"`
	Calls        []view.Call        `json:"calls"`
	Reservations []view.Reservation `json:"reservations"`
	ICEServers   []ICEServer        `json:"ice_servers,omitempty"` // set by the agent websocket (PROTOCOL §8)
	Parked       []view.Parked      `json:"parked"`                // PROTOCOL §11: the floor's parked calls
	// HTTPToken authenticates this session's GET /voicemail/<id>.wav
	// (Authorization: Bearer; PROTOCOL §11). Only login sets it.
	HTTPToken string `json:"http_token,omitempty"`
	// QueueNames maps every queue id to its name, so the softphone shows
	// names (login and state results).
	QueueNames map[string]string `json:"queue_names"`
	// GraceSeconds is -reconnect-grace: how long the agent's calls wait on
	// hold after its connection drops.
	GraceSeconds int          `json:"reconnect_grace_seconds"`
	Tasks        []store.Task `json:"tasks"` // PROTOCOL §10: the agent's offered, assigned and wrapping tasks
	// Activities are the custom activities (PROTOCOL §10) an agent may
	// choose with activity.set besides the four built-ins, by id; the
	// softphone lists them. activities.updated {activities} follows changes.
	Activities []store.Activity `json:"activities"`
}

// ICEServer is one RTCIceServer handed to the softphone (PROTOCOL §8).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// EndedView is the params of reservation.ended and call.ended.
type EndedView struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return events.FormatTime(t)
}
