package agent

import (
	"time"

	"switchboard/events"
	"switchboard/store"
)

// AgentView is the Agent object of PROTOCOL.md section 4.
type AgentView struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Extension   string   `json:"extension"`
	Activity    string   `json:"activity"`
	Capacity    int      `json:"capacity"`
	Load        int      `json:"load"`
	Connected   bool     `json:"connected"`
	Wrapup      bool     `json:"wrapup"`
	WrapupUntil string   `json:"wrapup_until,omitempty"`
	Queues      []string `json:"queues"`
	// Role is "agent" or "supervisor" (PROTOCOL §12): the softphone shows
	// a supervisor the floor panel.
	Role string `json:"role,omitempty"`
}

// CallView is the Call object of PROTOCOL.md section 4. State adds
// "waiting" (in a queue, offered to nobody) for the admin console.
type CallView struct {
	ID         string   `json:"id"`
	State      string   `json:"state"`
	Muted      bool     `json:"muted"`
	Direction  string   `json:"direction"`
	Kind       string   `json:"kind"`
	Remote     string   `json:"remote"`
	Queue      string   `json:"queue,omitempty"`
	StartedAt  string   `json:"started_at"`
	MergedWith []string `json:"merged_with"`
	Agent      string   `json:"agent,omitempty"`
	AnsweredAt string   `json:"answered_at,omitempty"`
	// Supervisor is set while a supervisor whispers or barges (PROTOCOL §12).
	Supervisor *SupervisorView `json:"supervisor,omitempty"`
	// Recording is "on", "paused" or "off" (PROTOCOL §12).
	Recording string `json:"recording"`
	// Quality so far, on the live calls of the admin state (PROTOCOL §9).
	Quality *QualityView `json:"quality,omitempty"`
	// HeldAt is when the call was last put on hold (while held).
	HeldAt string `json:"held_at,omitempty"`
	// CallerName is the caller's display name when known (the SIP From
	// display name, or the calling agent's name on an internal call).
	CallerName string `json:"caller_name,omitempty"`
	// Consult is, on a caller in a warm transfer, the agent's consult call;
	// ConsultFor is, on that consult call, the caller it consults for.
	Consult    string `json:"consult,omitempty"`
	ConsultFor string `json:"consult_for,omitempty"`
}

// ReservationView is the Reservation object of PROTOCOL.md section 4.
type ReservationView struct {
	ID        string `json:"id"`
	Call      string `json:"call"`
	Kind      string `json:"kind"`
	From      string `json:"from"`
	To        string `json:"to"`
	Queue     string `json:"queue,omitempty"`
	ExpiresAt string `json:"expires_at"`
	// Attributes are the call's attributes (PROTOCOL §10): channel, from,
	// to, number, and the IVR choices and options' attributes when any.
	Attributes map[string]any `json:"attributes"`
	// Task is the offered task when Kind is "task" (PROTOCOL §10); Call is
	// empty then.
	Task *store.Task `json:"task,omitempty"`
}

// LoginResult answers login.
type LoginResult struct {
	Agent        AgentView         `json:"agent"`
	Calls        []CallView        `json:"calls"`
	Reservations []ReservationView `json:"reservations"`
	ICEServers   []ICEServer       `json:"ice_servers,omitempty"` // set by the agent websocket (PROTOCOL §8)
	Parked       []ParkedView      `json:"parked"`                // PROTOCOL §11: the floor's parked calls
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

// QueueView is a queue in the admin console's state.
type QueueView struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	TimeoutSeconds  int     `json:"timeout_seconds"`
	WrapupSeconds   int     `json:"wrapup_seconds"`
	AllowBusyAgents bool    `json:"allow_busy_agents"`
	Priority        int     `json:"priority"`
	Waiting         int     `json:"waiting"`
	Offered         int     `json:"offered"`
	LongestWait     string  `json:"longest_wait_since,omitempty"`
	LongestWaitSecs float64 `json:"longest_wait_seconds"`
	Idle            int     `json:"idle_agents"`
	Busy            int     `json:"busy_agents"`
}

// FloorAgent is an agent in the admin console's state, with every call.
type FloorAgent struct {
	AgentView
	Calls        []CallView        `json:"calls"`
	Reservations []ReservationView `json:"reservations"`
}

// FloorState is the admin console's `state` result.
type FloorState struct {
	Agents []FloorAgent `json:"agents"`
	Queues []QueueView  `json:"queues"`
	Calls  []CallView   `json:"calls"`
	Parked []ParkedView `json:"parked"` // PROTOCOL §11
	Tasks  []store.Task `json:"tasks"`  // PROTOCOL §10: live tasks of any channel
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return events.FormatTime(t)
}
