package router

import "time"

// Routing v2 (PROTOCOL.md section 10): channels, blocking and non-blocking
// work, FIFO/LIFO, workflows with escalation, and an opaque payload.

// Voice is the channel of calls. A Task with an empty Channel is voice.
const Voice = "voice"

// Order is how a queue serves waiting tasks of equal priority.
type Order int

// Orders. The zero value is FIFO (oldest first).
const (
	FIFO Order = iota
	LIFO       // newest first
)

// String returns the protocol name ("fifo", "lifo").
func (o Order) String() string {
	if o == LIFO {
		return "lifo"
	}
	return "fifo"
}

// ParseOrder maps "fifo", "lifo" (or "") to an Order.
func ParseOrder(s string) (Order, bool) {
	switch s {
	case "", "fifo":
		return FIFO, true
	case "lifo":
		return LIFO, true
	}
	return FIFO, false
}

// Matcher decides whether an attributes object satisfies an expression.
// The router never parses expressions: the caller compiles them (package
// router/expr) and hands the router something that matches. A Matcher must
// be pure and must answer false, never fail, for missing attributes.
type Matcher interface {
	Match(attrs map[string]any) bool
}

// MatchFunc adapts a function to Matcher.
type MatchFunc func(map[string]any) bool

// Match calls f.
func (f MatchFunc) Match(a map[string]any) bool { return f(a) }

// WorkflowID names a workflow.
type WorkflowID string

// Target is one step of a workflow filter: the task waits in Queue for
// Timeout (0: no timeout; the last target never times out) with Priority
// added to the task's own.
type Target struct {
	Queue    QueueID
	Timeout  time.Duration
	Priority int
}

// Filter is one case of a workflow: the first filter whose Match accepts
// the task's attributes (nil matches everything) routes the task through
// its Targets in order.
type Filter struct {
	Name    string
	Match   Matcher
	Targets []Target
}

// Workflow routes tasks by their attributes (section 10, "Workflows").
// No filter matching sends the task to DefaultQueue; without one the task
// gets the fallback no_match.
type Workflow struct {
	ID           WorkflowID
	Filters      []Filter
	DefaultQueue QueueID
}

// More reasons and event types of v2.
const (
	// ReasonNoMatch: fallback, no workflow filter matched and no default queue.
	ReasonNoMatch = "no_match"
	// ReasonUnknownWorkflow: fallback, the task names an unknown workflow.
	ReasonUnknownWorkflow = "unknown_workflow"
	// ReasonNoChannel: fallback, a direct task for a channel its agent lacks.
	ReasonNoChannel = "no_channel"
	// ReasonCompleted: agent.wrapup is not started (rule 5) - unused in events.
)

// TaskMoved: an escalation moved a waiting task from FromQueue to Queue,
// keeping its arrival time.
const TaskMoved EventType = "task.moved"

// DefaultMaxNonBlocking is an agent's default max_nonblocking.
const DefaultMaxNonBlocking = 1

// MaxNonBlocking is the largest max_nonblocking.
const MaxNonBlocking = 8

// MaxChannelCapacity is the largest per-channel capacity of a non-voice channel.
const MaxChannelCapacity = 64
