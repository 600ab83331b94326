package events

import (
	"encoding/json"
	"time"
)

// Event types of PROTOCOL.md section 6.
const (
	TaskCreated         = "task.created"
	TaskCanceled        = "task.canceled"
	TaskCompleted       = "task.completed"
	ReservationCreated  = "reservation.created"
	ReservationAccepted = "reservation.accepted"
	ReservationRejected = "reservation.rejected"
	ReservationTimeout  = "reservation.timeout"
	ReservationCanceled = "reservation.canceled"
	CallAnswered        = "call.answered"
	CallHeld            = "call.held"
	CallResumed         = "call.resumed"
	CallMuted           = "call.muted"
	CallUnmuted         = "call.unmuted"
	CallMerged          = "call.merged"
	CallTransferred     = "call.transferred"
	CallEnded           = "call.ended"
	AgentActivity       = "agent.activity"
	AgentConnected      = "agent.connected"
	AgentDisconnected   = "agent.disconnected"
	ConfigChanged       = "config.changed"
)

// Event is one change on the floor. Only the fields that matter for its Type
// are set; the rest are omitted from JSON.
type Event struct {
	Seq uint64 `json:"seq,omitempty"` // set by the hub: strictly increasing
	// Node is the -node-id of the node that published the event, on several
	// nodes (PROTOCOL §13; set by the hub, empty on a single gateway). Seq
	// increases per node: (Node, Seq) names an event in the shared journal.
	Node        string    `json:"node,omitempty"`
	Type        string    `json:"type"`
	At          time.Time `json:"at"`
	Agent       string    `json:"agent,omitempty"`
	Call        string    `json:"call,omitempty"`
	Task        string    `json:"task,omitempty"`
	Reservation string    `json:"reservation,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	Kind        string    `json:"kind,omitempty"` // queue, direct, transfer, outbound
	Activity    string    `json:"activity,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	From        string    `json:"from,omitempty"`
	To          string    `json:"to,omitempty"`
	Calls       []string  `json:"calls,omitempty"` // call.merged
	// Seconds, on call.ended (and in call records).
	WaitSeconds *float64 `json:"wait_seconds,omitempty"`
	RingSeconds *float64 `json:"ring_seconds,omitempty"`
	TalkSeconds *float64 `json:"talk_seconds,omitempty"`
	HoldSeconds *float64 `json:"hold_seconds,omitempty"`
	ParkSeconds *float64 `json:"park_seconds,omitempty"` // PROTOCOL §11
	// Quality, on call.ended: {caller: Q, agent: Q} (PROTOCOL §9).
	Quality any `json:"quality,omitempty"`
	// Trunk, State and Error, on trunk.registration (PROTOCOL §9).
	Trunk string `json:"trunk,omitempty"`
	State string `json:"state,omitempty"`
	Error string `json:"error,omitempty"`
	// Detail carries anything else (config.changed: {"kind":"agent","id":"a1","op":"put"}).
	Detail map[string]any `json:"detail,omitempty"`
}

// TimeFormat is the wire format of every time (PROTOCOL.md: RFC 3339 with
// milliseconds), always in UTC.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime renders t in TimeFormat (UTC); the zero time renders as "".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

// MarshalJSON renders the event with "at" in RFC 3339 with milliseconds.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event // no methods: no recursion
	return json.Marshal(struct {
		plain
		At string `json:"at"`
	}{plain(e), FormatTime(e.At)})
}
