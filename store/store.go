package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/events"
)

// Defaults and limits of PROTOCOL.md sections 5 and 6.
const (
	DefaultCapacity       = 2
	MaxCapacity           = 8
	DefaultTimeoutSeconds = 15
	DefaultMaxWaitSeconds = 900
	DefaultRecordLimit    = 100
	MaxRecordLimit        = 1000
)

// Agent is an agent's configuration.
type Agent struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Extension    string   `json:"extension"`
	Capacity     int      `json:"capacity"`            // 1..8; 0 on write means DefaultCapacity
	Queues       []string `json:"queues"`              // queue ids, never nil on read
	PasswordHash string   `json:"-"`                   // bcrypt; empty on write means keep the current one
	CallerID     string   `json:"caller_id,omitempty"` // From user of the agent's outbound calls; "" = the trunk's (PROTOCOL §9)
	AgentRouting          // PROTOCOL §10 (routing.go)
}

// Queue is a queue's configuration.
type Queue struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	TimeoutSeconds  int    `json:"timeout_seconds"` // offer timeout; 0 on write means 15
	WrapupSeconds   int    `json:"wrapup_seconds"`
	AllowBusyAgents bool   `json:"allow_busy_agents"`
	Priority        int    `json:"priority"` // higher is served first
	// MaxWaitSeconds is how long a caller may wait in the queue before the
	// announcement and BYE (no caller waits forever); 0 on write means
	// DefaultMaxWaitSeconds.
	MaxWaitSeconds int `json:"max_wait_seconds"`
	QueueRouting       // PROTOCOL §10 (routing.go)
}

// Route maps a dialled number to a target: "queue:<id>",
// "extension:<ext>", "ivr:extension" or "echo".
type Route struct {
	Number string `json:"number"`
	Target string `json:"target"`
}

// CallRecord is the summary of one finished call.
type CallRecord struct {
	Call        string    `json:"call"`
	Agent       string    `json:"agent,omitempty"`
	Queue       string    `json:"queue,omitempty"`
	Kind        string    `json:"kind"`      // queue, direct, transfer, outbound
	Direction   string    `json:"direction"` // inbound, outbound
	From        string    `json:"from"`
	To          string    `json:"to"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at"`
	WaitSeconds float64   `json:"wait_seconds"`
	RingSeconds float64   `json:"ring_seconds"`
	TalkSeconds float64   `json:"talk_seconds"`
	HoldSeconds float64   `json:"hold_seconds"`
	ParkSeconds float64   `json:"park_seconds"` // PROTOCOL §11
	Outcome     string    `json:"outcome"`      // e.g. answered, abandoned, rejected, timeout
	// Quality is {caller: Q, agent: Q} (PROTOCOL §9), nil when no leg
	// measured anything; stored as JSON, listed back as json.RawMessage.
	Quality any `json:"quality,omitempty"`
	// Channel is "voice" for calls (empty in old records) or a task's
	// channel (PROTOCOL §10: task records are kept like call records).
	Channel string `json:"channel,omitempty"`
	// Recording is the record's agent's recorded part (PROTOCOL §12), nil
	// when not recorded; Recordings lists every agent's part in order.
	Recording  *RecordingRef  `json:"recording,omitempty"`
	Recordings []RecordingRef `json:"recordings,omitempty"`
}

// RecordingRef names one recorded part of a call: GET
// /api/recordings/<id>.wav.
type RecordingRef struct {
	ID      string  `json:"id"`
	Agent   string  `json:"agent"`
	Seconds float64 `json:"seconds"`
}

// MarshalJSON renders times as RFC 3339 with milliseconds.
func (r CallRecord) MarshalJSON() ([]byte, error) {
	type plain CallRecord
	return json.Marshal(struct {
		plain
		StartedAt string `json:"started_at"`
		EndedAt   string `json:"ended_at"`
	}{plain(r), events.FormatTime(r.StartedAt), events.FormatTime(r.EndedAt)})
}

// RecordFilter selects call records (ListRecords) or events (ListEvents).
// Zero fields do not filter.
type RecordFilter struct {
	Since time.Time // StartedAt (event At) >= Since
	Until time.Time // StartedAt (event At) < Until
	Agent string
	Queue string
	// Channel selects records of one channel ("voice": calls); records
	// only.
	Channel string
	Limit   int // 0 means DefaultRecordLimit; capped at MaxRecordLimit
}

// AgentEdit computes the new configuration of an agent from its current
// one (exists is false when the agent is new; cur then has only ID set).
// It runs inside the write transaction; it must not call the store.
type AgentEdit func(cur Agent, exists bool) (Agent, error)

// QueueEdit is AgentEdit for queues.
type QueueEdit func(cur Queue, exists bool) (Queue, error)

// Store is what the gateway needs from persistence.
type Store interface {
	PutAgent(ctx context.Context, a Agent) (Agent, error)
	EditAgent(ctx context.Context, id string, edit AgentEdit) (Agent, error)
	GetAgent(ctx context.Context, id string) (Agent, error)
	DeleteAgent(ctx context.Context, id string) error
	ListAgents(ctx context.Context) ([]Agent, error)
	SetPassword(ctx context.Context, agentID, password string) error
	CheckPassword(ctx context.Context, agentID, password string) (bool, error)

	PutQueue(ctx context.Context, q Queue) (Queue, error)
	EditQueue(ctx context.Context, id string, edit QueueEdit) (Queue, error)
	GetQueue(ctx context.Context, id string) (Queue, error)
	DeleteQueue(ctx context.Context, id string) error
	ListQueues(ctx context.Context) ([]Queue, error)

	PutRoute(ctx context.Context, r Route) (Route, error)
	GetRoute(ctx context.Context, number string) (Route, error)
	DeleteRoute(ctx context.Context, number string) error
	ListRoutes(ctx context.Context) ([]Route, error)

	AdminToken(ctx context.Context) (token string, created bool, err error)
	SetAdminToken(ctx context.Context, token string) error
	CheckAdminToken(ctx context.Context, token string) (bool, error)

	AppendEvent(ctx context.Context, e events.Event) error
	ListEvents(ctx context.Context, f RecordFilter) ([]events.Event, error)
	AppendRecord(ctx context.Context, r CallRecord) error
	ListRecords(ctx context.Context, f RecordFilter) ([]CallRecord, error)

	Close() error
}

// ErrNotFound is wrapped by errors for agents, queues or routes that do
// not exist.
var ErrNotFound = errors.New("not found")

// ErrInUse is wrapped by the ValidationError refusing to delete a queue
// that routes or agents still use.
var ErrInUse = errors.New("in use")

// ErrDuplicate is wrapped by the ValidationError for a value that must be
// unique (an agent's extension).
var ErrDuplicate = errors.New("duplicate")

// ValidationError says which field of a write is wrong and why. Error()
// reads "field: reason", e.g. "extension: 1001 already used by agent bob".
type ValidationError struct {
	Field  string
	Reason string
	Err    error // ErrInUse, ErrDuplicate or nil
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap returns the sentinel, if any.
func (e *ValidationError) Unwrap() error { return e.Err }

// Invalid makes the *ValidationError for field; the reason is formatted
// with fmt.Sprintf. Implementations of the store interfaces use it too.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
