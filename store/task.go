package store

import (
	"encoding/json"
	"time"

	"switchboard/events"
)

// Tasks of any channel (PROTOCOL §10): a chat, an e-mail, a CRM case that
// needs an agent. The live tasks are the orchestrator's; the store keeps a
// record of each finished one among the call records (CallRecord.Channel).

// Task states.
const (
	TaskPending   = "pending"
	TaskReserved  = "reserved"
	TaskAssigned  = "assigned"
	TaskWrapping  = "wrapping"
	TaskCompleted = "completed"
	TaskCanceled  = "canceled"
)

// Task is the Task object of PROTOCOL §10.
type Task struct {
	ID          string         `json:"id"`
	Channel     string         `json:"channel"`
	State       string         `json:"state"`
	Attributes  map[string]any `json:"attributes"`
	Queue       string         `json:"queue"`
	Agent       string         `json:"agent,omitempty"`
	BlockAgent  bool           `json:"block_agent"`
	CreatedAt   time.Time      `json:"created_at"`
	AssignedAt  time.Time      `json:"assigned_at"`
	CompletedAt time.Time      `json:"completed_at"`
	// Additions: the workflow it was created through, its priority, and
	// the reason a canceled task ended (canceled, timeout, no_match, ...).
	Workflow string `json:"workflow,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Blocking is what §10 rule 1 makes of block_agent in the task's
	// current queue: false only for block_agent false in a queue with
	// simultaneous_tasks (the views the gateway sends set it).
	Blocking bool `json:"blocking"`
	// Node is, in the admin state of a cluster (PROTOCOL §13), the node
	// that holds the task (its id is that node's); empty on one node.
	Node string `json:"node,omitempty"`
}

// MarshalJSON renders times as RFC 3339 with milliseconds; unset times are
// left out.
func (t Task) MarshalJSON() ([]byte, error) {
	type plain Task
	opt := func(x time.Time) string {
		if x.IsZero() {
			return ""
		}
		return events.FormatTime(x)
	}
	return json.Marshal(struct {
		plain
		CreatedAt   string `json:"created_at"`
		AssignedAt  string `json:"assigned_at,omitempty"`
		CompletedAt string `json:"completed_at,omitempty"`
	}{plain(t), events.FormatTime(t.CreatedAt), opt(t.AssignedAt), opt(t.CompletedAt)})
}

// TaskParams are the params of task.create and POST /api/tasks.
type TaskParams struct {
	Channel        string         `json:"channel"`
	Attributes     map[string]any `json:"attributes,omitempty"`
	Queue          string         `json:"queue,omitempty"`
	Workflow       string         `json:"workflow,omitempty"`
	Priority       int            `json:"priority,omitempty"`
	TimeoutSeconds int            `json:"timeout_seconds,omitempty"`
	BlockAgent     *bool          `json:"block_agent,omitempty"` // default true
}

// Limits of tasks.
const (
	MaxTaskTimeoutSeconds = 7 * 24 * 3600
	MaxTaskPriority       = 1000
)

// CheckTaskParams validates task.create's params; queue and workflow
// existence is checked by the orchestrator.
func CheckTaskParams(p *TaskParams) *ValidationError {
	switch {
	case p.Channel == "":
		return Invalid("channel", "required")
	case !channelRE.MatchString(p.Channel):
		return Invalid("channel", "%q must match [a-z0-9_-]{1,32}", truncate(p.Channel))
	case p.Channel == "voice":
		return Invalid("channel", "voice tasks are calls: they arrive over the trunk")
	case (p.Queue == "") == (p.Workflow == ""):
		return Invalid("queue", "give exactly one of queue and workflow")
	case p.TimeoutSeconds < 0 || p.TimeoutSeconds > MaxTaskTimeoutSeconds:
		return Invalid("timeout_seconds", "must be 0..%d", MaxTaskTimeoutSeconds)
	case p.Priority < -MaxTaskPriority || p.Priority > MaxTaskPriority:
		return Invalid("priority", "must be -%d..%d", MaxTaskPriority, MaxTaskPriority)
	}
	if p.Queue != "" {
		if e := CheckID("queue", p.Queue); e != nil {
			return e
		}
	} else if e := CheckID("workflow", p.Workflow); e != nil {
		return e
	}
	if p.Attributes == nil {
		p.Attributes = map[string]any{}
	}
	if b, err := json.Marshal(p.Attributes); err != nil {
		return Invalid("attributes", "%v", err)
	} else if len(b) > MaxAttributesBytes {
		return Invalid("attributes", "%d bytes, at most %d", len(b), MaxAttributesBytes)
	}
	return nil
}
