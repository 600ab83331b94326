package router

import (
	"errors"
	"fmt"
	"time"
)

// AgentID names an agent (PROTOCOL.md: [a-z0-9._-]{1,64}; the router only
// requires it to be non-empty).
type AgentID string

// QueueID names a queue.
type QueueID string

// TaskID names a task: one call waiting for an agent. The orchestrator picks
// it (usually the call id) and must not reuse it while the task is live.
type TaskID string

// ReservationID names an offer. The router picks it ("r1", "r2", ...).
type ReservationID string

// Activity is an agent's chosen presence (PROTOCOL.md section 4, activity.set).
type Activity int

// Activities. The zero value is ActivityUnknown, which is not a valid
// activity to set.
const (
	ActivityUnknown Activity = iota
	ActivityAvailable
	ActivityUnavailable
	ActivityBreak
	ActivityOffline
)

var activityNames = [...]string{"unknown", "available", "unavailable", "break", "offline"}

// String returns the protocol name ("available", ...).
func (a Activity) String() string {
	if a < 0 || int(a) >= len(activityNames) {
		return "unknown"
	}
	return activityNames[a]
}

// ParseActivity maps a protocol name to an Activity; unknown names give
// ActivityUnknown and false.
func ParseActivity(s string) (Activity, bool) {
	for i, n := range activityNames {
		if i > 0 && n == s {
			return Activity(i), true
		}
	}
	return ActivityUnknown, false
}

// TaskKind says how a task is routed.
type TaskKind int

// Task kinds. A Transfer with a TargetExtension routes like a Direct task,
// one with a Queue like a Queue task.
const (
	KindUnknown TaskKind = iota
	KindQueue
	KindDirect
	KindTransfer
)

var kindNames = [...]string{"unknown", "queue", "direct", "transfer"}

// String returns the protocol name ("queue", "direct", "transfer").
func (k TaskKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// ParseTaskKind maps a protocol name to a TaskKind.
func ParseTaskKind(s string) (TaskKind, bool) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return TaskKind(i), true
		}
	}
	return KindUnknown, false
}

// EventType is the type of an Event. The values equal the PROTOCOL.md
// section 6 names, plus the router's additions task.fallback and
// agent.wrapup.
type EventType string

// Event types.
const (
	// TaskCreated: AddTask accepted a task.
	TaskCreated EventType = "task.created"
	// TaskCanceled: CancelTask ended a waiting or offered task.
	TaskCanceled EventType = "task.canceled"
	// TaskCompleted: CallEnded ended the call of an accepted task.
	TaskCompleted EventType = "task.completed"
	// TaskFallback: the task will reach no agent; the caller side must act
	// (486 Busy Here before answer, announcement and BYE after). Reason says
	// why. The task is gone from the router afterwards.
	TaskFallback EventType = "task.fallback"
	// ReservationCreated: an offer. Ring Agent for Task until Expires.
	ReservationCreated EventType = "reservation.created"
	// ReservationAccepted: the offer became a call counted in the agent's load.
	ReservationAccepted EventType = "reservation.accepted"
	// ReservationRejected: the agent declined.
	ReservationRejected EventType = "reservation.rejected"
	// ReservationTimeout: the offer expired (RONA); stop ringing.
	ReservationTimeout EventType = "reservation.timeout"
	// ReservationCanceled: the offer was withdrawn (Reason: canceled when the
	// caller hung up, disconnected, activity, agent_removed); stop ringing.
	ReservationCanceled EventType = "reservation.canceled"
	// AgentActivity: the agent's activity changed (Reason "rona" when the
	// router set it after a timeout).
	AgentActivity EventType = "agent.activity"
	// AgentConnected / AgentDisconnected: SetConnected changed the state.
	AgentConnected    EventType = "agent.connected"
	AgentDisconnected EventType = "agent.disconnected"
	// AgentWrapup: wrap-up started (Reason "started", Expires = its end) or
	// ended (Reason "done" or "timer").
	AgentWrapup EventType = "agent.wrapup"
)

// Reasons carried by events.
const (
	ReasonRejected         = "rejected"          // fallback: a direct task was rejected
	ReasonTimeout          = "timeout"           // fallback: a direct task timed out
	ReasonBusy             = "busy"              // fallback: target at capacity
	ReasonUnavailable      = "unavailable"       // fallback: target not available
	ReasonUnknownExtension = "unknown_extension" // fallback: no agent has the extension
	ReasonDisconnected     = "disconnected"      // fallback / reservation.canceled: agent not connected
	ReasonExcluded         = "excluded"          // fallback: target is in the task's Exclude list
	ReasonUnknownQueue     = "unknown_queue"     // fallback: the task's queue does not exist (any more)
	ReasonCanceled         = "canceled"          // reservation.canceled: the caller hung up
	ReasonActivity         = "activity"          // reservation.canceled: agent left "available"
	ReasonAgentRemoved     = "agent_removed"     // reservation.canceled: RemoveAgent
	ReasonRONA             = "rona"              // agent.activity: set unavailable after a timeout
	ReasonWrapupStarted    = "started"           // agent.wrapup
	ReasonWrapupDone       = "done"              // agent.wrapup: WrapupDone
	ReasonWrapupTimer      = "timer"             // agent.wrapup: the timer ended it
)

// Event is one state change or decision, in the order it happened. Only the
// fields that matter for Type are set.
type Event struct {
	Type        EventType
	At          time.Time
	Agent       AgentID
	Task        TaskID
	Reservation ReservationID
	Queue       QueueID
	Kind        TaskKind
	Extension   string   // target extension of direct tasks
	Activity    Activity // agent.activity
	Reason      string
	Expires     time.Time // reservation.created; agent.wrapup "started"
	Channel     string    // task events: the task's channel ("" = voice)
	FromQueue   QueueID   // task.moved
	Payload     any       // task and reservation events: Task.Payload
}

// Config configures a Router. The zero value is usable.
type Config struct {
	// DirectOfferTimeout is how long a direct task rings; 0 means 60 s.
	DirectOfferTimeout time.Duration
	// DefaultOfferTimeout is the offer timeout of queues that set none;
	// 0 means 15 s.
	DefaultOfferTimeout time.Duration
}

// Queue configures a queue.
type Queue struct {
	ID QueueID
	// Priority is added to each task's own Priority when comparing waiting
	// tasks of different queues.
	Priority int
	// OfferTimeout: 0 means Config.DefaultOfferTimeout.
	OfferTimeout time.Duration
	// Wrapup is how long a member takes no queue task after a call of this
	// queue ends (0: none).
	Wrapup time.Duration
	// AllowBusyAgents lets members with 0 < load < capacity take this
	// queue's calls when no idle member is eligible (v1; only for members
	// whose blocking work is voice).
	AllowBusyAgents bool
	// Order: FIFO (default) or LIFO among tasks of equal priority.
	Order Order
	// Simultaneous (simultaneous_tasks): tasks with NonBlocking are
	// non-blocking here (rule 1), and no task or call of this queue gets
	// wrap-up (rule 5).
	Simultaneous bool
}

// AgentConfig configures an agent.
type AgentConfig struct {
	ID AgentID
	// Extension is unique among agents; empty means no direct calls.
	Extension string
	// Capacity: 0 means 2; otherwise 1..8.
	Capacity int
	// Queues may name queues that do not exist yet; membership starts when
	// the queue is put. The caller gives the whole membership set: queues
	// the agent lists plus queues whose target_workers its attributes
	// satisfy (the router evaluates no expression for membership).
	Queues []QueueID
	// Channels caps each non-voice channel (voice is Capacity). A channel
	// not listed has capacity 1; 0 means the agent takes none of it.
	Channels map[string]int
	// MaxNonBlocking: 0 means 1; otherwise 1..8 (rule 3).
	MaxNonBlocking int
}

// Task is a call that needs an agent.
type Task struct {
	ID   TaskID
	Kind TaskKind
	// Queue routes the task through a queue (Kind Queue, or Transfer without
	// TargetExtension).
	Queue QueueID
	// TargetExtension routes the task to one agent (Kind Direct, or Transfer).
	TargetExtension string
	// Priority: higher first.
	Priority int
	// Arrived orders tasks of equal priority (oldest first); keep it across
	// re-queueing and transfers. Zero means now.
	Arrived time.Time
	// Exclude lists agents that must never be offered this task (the
	// transferring agent).
	Exclude []AgentID
	// Channel: "" or Voice for calls; any other channel for tasks.
	Channel string
	// NonBlocking is block_agent: false. It makes the task non-blocking
	// only in a queue with Simultaneous, and never for voice (rule 1).
	NonBlocking bool
	// Workflow routes a KindQueue task (with no Queue) by the workflow's
	// filters over Attributes.
	Workflow   WorkflowID
	Attributes map[string]any
	// WorkflowStep and StepSince resume a workflow task where another
	// router had moved it (a rebuild): it starts at that target of its
	// matching filter (the last one if there are fewer), entered at
	// StepSince (zero: now), so its escalation runs out at StepSince plus
	// the target's timeout (at once if that has passed). A snapshot's Task
	// has them as the task stands.
	WorkflowStep int
	StepSince    time.Time
	// Payload is the caller's, carried untouched in events and snapshots.
	Payload any
}

// Errors returned by Router methods, wrapped with detail.
var (
	ErrInvalid            = errors.New("router: invalid argument")
	ErrUnknownAgent       = errors.New("router: unknown agent")
	ErrUnknownQueue       = errors.New("router: unknown queue")
	ErrUnknownTask        = errors.New("router: unknown task")
	ErrUnknownReservation = errors.New("router: unknown or ended reservation")
	ErrDuplicateTask      = errors.New("router: task id in use")
	ErrDuplicateExtension = errors.New("router: extension in use")
	ErrAtCapacity         = errors.New("router: agent at capacity")
	ErrNotAssigned        = errors.New("router: task has no call")
	ErrTaskAssigned       = errors.New("router: task already accepted")
	ErrNoCall             = errors.New("router: agent has no outbound call")
)

// Defaults.
const (
	DefaultCapacity           = 2
	MaxCapacity               = 8
	DefaultDirectOfferTimeout = 60 * time.Second
	DefaultQueueOfferTimeout  = 15 * time.Second
)

// lookup returns m[id], or an error wrapping unknown (ErrUnknownAgent, ...)
// that names id.
func lookup[K ~string, V any](m map[K]V, id K, unknown error) (V, error) {
	v, ok := m[id]
	if !ok {
		return v, fmt.Errorf("%w: %q", unknown, id)
	}
	return v, nil
}
