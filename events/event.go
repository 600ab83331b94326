package events

import "time"

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
	Seq         uint64    `json:"seq,omitempty"` // set by the hub: strictly increasing
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
	// Detail carries anything else (config.changed: {"kind":"agent","id":"a1","op":"put"}).
	Detail map[string]any `json:"detail,omitempty"`
}
