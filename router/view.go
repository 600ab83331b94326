package router

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Read-only views for the admin console and for login replies. They copy;
// they cost O(size of the answer) and are not meant for the routing path.

// AgentSnapshot is an agent's state.
type AgentSnapshot struct {
	ID           AgentID
	Extension    string
	Capacity     int
	Queues       []QueueID
	Activity     Activity
	Connected    bool
	Load         int // calls + live reservations
	Calls        int // task calls and outbound calls
	Reservations []ReservationID
	Wrapup       bool
	WrapupUntil  time.Time
	IdleSince    time.Time // last time it became free (see doc.go)
	// v2: Work counts everything held (0: completely free); Blocking the
	// blocking part (rule 2); NonBlocking the non-blocking tasks (rule 3);
	// Tasks the accepted non-voice tasks; Held the non-voice tasks held per
	// channel (rule 4).
	Work, Blocking, NonBlocking, Tasks int
	Held                               map[string]int
	Channels                           map[string]int
	MaxNonBlocking                     int
}

// QueueSnapshot is a queue's configuration and counters.
type QueueSnapshot struct {
	Queue
	Waiting     int       // tasks waiting (not offered)
	Offered     int       // tasks with a live reservation
	OldestWait  time.Time // arrival of the oldest waiting task; zero if none
	Members     int
	Idle        int // members eligible for a queue task now
	Busy        int // members with load > 0
	Unavailable int // members not connected or not available
}

// TaskState is where a task stands.
type TaskState string

// Task states.
const (
	TaskWaiting  TaskState = "waiting"
	TaskReserved TaskState = "reserved"
	TaskAssigned TaskState = "assigned"
)

// TaskSnapshot is a live task.
type TaskSnapshot struct {
	Task        // Exclude holds every agent excluded so far
	State       TaskState
	Agent       AgentID       // reserved or assigned agent
	Reservation ReservationID // live offer
	Expires     time.Time     // of the live offer
	// Blocking is rule 1 for this task in its current queue.
	Blocking bool
	// Step is the index of the current workflow target; Targets the
	// targets (nil without a workflow).
	Step    int
	Targets []Target
}

// ReservationSnapshot is a live offer.
type ReservationSnapshot struct {
	ID      ReservationID
	Task    TaskID
	Agent   AgentID
	Kind    TaskKind
	Queue   QueueID
	Expires time.Time
	Channel string
	Payload any
}

// Agent returns the agent's state.
func (r *Router) Agent(id AgentID) (AgentSnapshot, bool) {
	a, ok := r.agents[id]
	if !ok {
		return AgentSnapshot{}, false
	}
	s := AgentSnapshot{
		ID: a.id, Extension: a.ext, Capacity: a.capacity, Queues: slices.Clone(a.queueIDs),
		Activity: a.activity, Connected: a.connected, Load: a.load(), Calls: a.calls,
		Wrapup: a.wrapup, IdleSince: a.idleSince,
		Work: a.work(), Blocking: a.blocking(), NonBlocking: a.nb, Tasks: a.tasks,
		Held: maps.Clone(a.chn), Channels: maps.Clone(a.chCap), MaxNonBlocking: a.maxNB,
	}
	if a.wrapup {
		s.WrapupUntil = a.wrapT.at
	}
	for _, res := range a.res {
		s.Reservations = append(s.Reservations, res.id)
	}
	return s, true
}

// Agents returns every agent, by id.
func (r *Router) Agents() []AgentSnapshot {
	out := make([]AgentSnapshot, 0, len(r.agents))
	for id := range r.agents {
		s, _ := r.Agent(id)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b AgentSnapshot) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// Queue returns the queue's state.
func (r *Router) Queue(id QueueID) (QueueSnapshot, bool) {
	q, ok := r.queues[id]
	if !ok {
		return QueueSnapshot{}, false
	}
	s := QueueSnapshot{Queue: q.cfg, Waiting: q.nWait, Members: len(q.members), Idle: q.idle.Len()}
	for _, sb := range q.subs {
		for _, t := range sb.h.items {
			if s.OldestWait.IsZero() || t.cfg.Arrived.Before(s.OldestWait) {
				s.OldestWait = t.cfg.Arrived
			}
		}
	}
	for _, m := range q.members {
		if m.a.work() > 0 {
			s.Busy++
		}
		if !m.a.ready() {
			s.Unavailable++
		}
	}
	for _, t := range r.tasks {
		if t.q == q && t.state == stateReserved {
			s.Offered++
		}
	}
	return s, true
}

// Queues returns every queue, by id.
func (r *Router) Queues() []QueueSnapshot {
	out := make([]QueueSnapshot, 0, len(r.queues))
	for id := range r.queues {
		s, _ := r.Queue(id)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b QueueSnapshot) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// Tasks returns the live tasks of a queue ("" for all tasks), in the order
// they are served: effective priority, then age.
func (r *Router) Tasks(queue QueueID) []TaskSnapshot {
	var ts []*task
	for _, t := range r.tasks {
		if queue == "" || t.queueID() == queue {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, cmpTasks)
	out := make([]TaskSnapshot, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.snapshot())
	}
	return out
}

func (t *task) snapshot() TaskSnapshot {
	s := TaskSnapshot{Task: t.cfg, State: TaskWaiting, Blocking: !t.nonBlocking(), Step: t.step, Targets: slices.Clone(t.targets)}
	s.Priority = t.prio
	s.Exclude = slices.Clone(t.exclude)
	if t.targets != nil {
		s.WorkflowStep, s.StepSince = t.step, t.stepAt
	}
	switch t.state {
	case stateReserved:
		s.State, s.Agent, s.Reservation, s.Expires = TaskReserved, t.res.a.id, t.res.id, t.res.tm.at
	case stateAssigned:
		s.State, s.Agent = TaskAssigned, t.agent.id
	}
	return s
}

// Task returns one live task.
func (r *Router) Task(id TaskID) (TaskSnapshot, bool) {
	t, ok := r.tasks[id]
	if !ok {
		return TaskSnapshot{}, false
	}
	return t.snapshot(), true
}

// Reservation returns a live offer.
func (r *Router) Reservation(id ReservationID) (ReservationSnapshot, bool) {
	res, ok := r.res[id]
	if !ok {
		return ReservationSnapshot{}, false
	}
	return ReservationSnapshot{ID: id, Task: res.t.cfg.ID, Agent: res.a.id, Kind: res.t.cfg.Kind,
		Queue: res.t.queueID(), Expires: res.tm.at, Channel: res.t.cfg.Channel, Payload: res.t.cfg.Payload}, true
}

// Members returns the ids of a queue's members, sorted.
func (r *Router) Members(id QueueID) []AgentID {
	q, ok := r.queues[id]
	if !ok {
		return nil
	}
	out := make([]AgentID, 0, len(q.members))
	for _, m := range q.members {
		out = append(out, m.a.id)
	}
	slices.Sort(out)
	return out
}

// SetPayload replaces a live task's payload.
func (r *Router) SetPayload(id TaskID, p any) bool {
	t, ok := r.tasks[id]
	if ok {
		t.cfg.Payload = p
	}
	return ok
}

// Payload returns a live task's payload.
func (r *Router) Payload(id TaskID) (any, bool) {
	t, ok := r.tasks[id]
	if !ok {
		return nil, false
	}
	return t.cfg.Payload, true
}

// Workflows returns the ids of the workflows, sorted.
func (r *Router) Workflows() []WorkflowID {
	out := make([]WorkflowID, 0, len(r.flows))
	for id := range r.flows {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
