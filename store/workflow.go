package store

import (
	"context"
	"fmt"

	"switchboard/router/attrexpr"
)

// Workflow routes tasks and calls by their attributes (PROTOCOL §10): the
// first filter whose expression matches (none matches everything) sends
// the task through its targets in order; no match sends it to
// DefaultQueue, or ends it (no_match).
type Workflow struct {
	ID           string           `json:"id"`
	Name         string           `json:"name"`
	Filters      []WorkflowFilter `json:"filters"`
	DefaultQueue string           `json:"default_queue,omitempty"`
}

// WorkflowFilter is one case of a workflow.
type WorkflowFilter struct {
	Name       string           `json:"name"`
	Expression string           `json:"expression,omitempty"`
	Targets    []WorkflowTarget `json:"targets"`
}

// WorkflowTarget is a queue the task waits in for TimeoutSeconds (0: no
// timeout; the last target's is ignored) with Priority added.
type WorkflowTarget struct {
	Queue          string `json:"queue"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
	Priority       int    `json:"priority,omitempty"`
}

// Limits of a workflow.
const (
	MaxWorkflowFilters = 64
	MaxWorkflowTargets = 16
)

// WorkflowStore persists workflows. The SQLite store implements it.
type WorkflowStore interface {
	PutWorkflow(ctx context.Context, w Workflow) (Workflow, error)
	GetWorkflow(ctx context.Context, id string) (Workflow, error)
	DeleteWorkflow(ctx context.Context, id string) error
	ListWorkflows(ctx context.Context) ([]Workflow, error)
}

// NormalizeWorkflow applies defaults and checks w (queues' existence is
// checked by the store). Expressions that do not compile are refused with
// the compiler's reason.
func NormalizeWorkflow(w *Workflow) *ValidationError {
	if e := CheckID("id", w.ID); e != nil {
		return e
	}
	if w.Name == "" {
		w.Name = w.ID
	}
	if e := CheckName(w.Name); e != nil {
		return e
	}
	if w.Filters == nil {
		w.Filters = []WorkflowFilter{}
	}
	if len(w.Filters) > MaxWorkflowFilters {
		return Invalid("filters", "%d filters, at most %d", len(w.Filters), MaxWorkflowFilters)
	}
	for i := range w.Filters {
		f := &w.Filters[i]
		field := fmt.Sprintf("filters[%d]", i)
		if f.Expression != "" {
			if _, err := attrexpr.Compile(f.Expression); err != nil {
				return Invalid(field+".expression", "%v", err)
			}
		}
		if len(f.Targets) == 0 || len(f.Targets) > MaxWorkflowTargets {
			return Invalid(field+".targets", "%d targets, want 1..%d", len(f.Targets), MaxWorkflowTargets)
		}
		for j, t := range f.Targets {
			tf := fmt.Sprintf("%s.targets[%d]", field, j)
			if e := CheckID(tf+".queue", t.Queue); e != nil {
				return e
			}
			if t.TimeoutSeconds < 0 || t.TimeoutSeconds > 86400 {
				return Invalid(tf+".timeout_seconds", "%d out of range 0..86400", t.TimeoutSeconds)
			}
			if t.Priority < -1000 || t.Priority > 1000 {
				return Invalid(tf+".priority", "%d out of range -1000..1000", t.Priority)
			}
		}
	}
	if w.DefaultQueue != "" {
		if e := CheckID("default_queue", w.DefaultQueue); e != nil {
			return e
		}
	}
	return nil
}

// Queues returns every queue id w names.
func (w Workflow) Queues() []string {
	var out []string
	for _, f := range w.Filters {
		for _, t := range f.Targets {
			out = append(out, t.Queue)
		}
	}
	if w.DefaultQueue != "" {
		out = append(out, w.DefaultQueue)
	}
	return out
}
