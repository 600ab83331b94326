// Package view holds the JSON objects of PROTOCOL.md that the core builds
// and the admin console, the softphone and the wallboard pass on or read:
// the Agent, Call, Reservation, Queue and Parked objects and the admin
// `state` result (Floor). It sits below agent and the signaling packages,
// so they share one typed floor state without importing each other.
package view

import (
	"encoding/json"

	"switchboard/media"
	"switchboard/store"
)

// Agent is the Agent object of PROTOCOL.md section 4.
type Agent struct {
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

// Call is the Call object of PROTOCOL.md section 4. State adds
// "waiting" (in a queue, offered to nobody) for the admin console.
type Call struct {
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
	Supervisor *Supervisor `json:"supervisor,omitempty"`
	// Recording is "on", "paused" or "off" (PROTOCOL §12).
	Recording string `json:"recording"`
	// Quality so far, on the live calls of the admin state (PROTOCOL §9).
	Quality *Quality `json:"quality,omitempty"`
	// HeldAt is when the call was last put on hold (while held).
	HeldAt string `json:"held_at,omitempty"`
	// CallerName is the caller's display name when known (the SIP From
	// display name, or the calling agent's name on an internal call).
	CallerName string `json:"caller_name,omitempty"`
	// Consult is, on a caller in a warm transfer, the agent's consult call;
	// ConsultFor is, on that consult call, the caller it consults for.
	Consult    string `json:"consult,omitempty"`
	ConsultFor string `json:"consult_for,omitempty"`
	// Node is, in the admin state of a cluster (PROTOCOL §13), the node
	// that holds the call (its id is that node's); empty on one node.
	Node string `json:"node,omitempty"`
}

// Reservation is the Reservation object of PROTOCOL.md section 4.
type Reservation struct {
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

// Queue is a queue in the admin console's state.
type Queue struct {
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
	Agent
	Calls        []Call        `json:"calls"`
	Reservations []Reservation `json:"reservations"`
	// Node is, in the admin state of a cluster (PROTOCOL §13), the node
	// the agent is logged in on (or holds its calls); empty when none, and
	// on one node.
	Node string `json:"node,omitempty"`
}

// Floor is the admin console's `state` result.
type Floor struct {
	Agents []FloorAgent `json:"agents"`
	Queues []Queue      `json:"queues"`
	Calls  []Call       `json:"calls"`
	Parked []Parked     `json:"parked"` // PROTOCOL §11
	Tasks  []store.Task `json:"tasks"`  // PROTOCOL §10: live tasks of any channel
	// Cluster is, with -cluster, the node's view of the cluster (PROTOCOL
	// §13: node, leader, live nodes, the leader's floor) as JSON; its types
	// live with the cluster code, above this package. Empty on one node.
	Cluster json.RawMessage `json:"cluster,omitempty"`
}

// Quality is a call's audio quality per party (PROTOCOL §9 "Call
// quality"): what the gateway received from the caller (the trunk leg) and
// from the agent (the browser leg, counted from when the call reached the
// agent), each combined with that party's RTCP reports. It rides on
// call.ended events, call records and the live calls of the admin state.
type Quality struct {
	Caller media.Quality `json:"caller"`
	Agent  media.Quality `json:"agent"`
}

// Supervisor is Call.supervisor (whisper and barge only).
type Supervisor struct {
	Agent string `json:"agent"`
	Mode  string `json:"mode"`
}

// Parked is one entry of state.parked and park.updated.
type Parked struct {
	Slot  string `json:"slot"`
	Call  string `json:"call"`
	By    string `json:"by"`
	Since string `json:"since"`
	From  string `json:"from,omitempty"` // addition: the caller's number
}
