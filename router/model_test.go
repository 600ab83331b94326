package router

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// model is a shadow of the router built only from the operations the test
// performs and the events the router emits. Every event is checked against
// the rules at the moment it happens; after every step the shadow must
// equal the router's own views and be stable (no waiting task has an
// eligible agent).
type model struct {
	r       *Router
	now     time.Time
	queues  map[QueueID]*mQueue
	qgen    int
	agents  map[AgentID]*mAgent
	tasks   map[TaskID]*mTask
	res     map[ReservationID]*mRes
	seq     int
	nextID  int
	created int
	ended   int
	errs    []string
	evs     []Event
	pending *Task   // the task being added
	rona    AgentID // the next event must set this agent unavailable
	counts  map[string]int
}

type mQueue struct {
	cfg Queue
	gen int
}

type mAgent struct {
	cfg       AgentConfig
	activity  Activity
	connected bool
	calls     int
	outbound  int
	res       int
	wrapup    bool
	idleSince time.Time
	removed   bool
}

func (a *mAgent) load() int { return a.calls + a.res }
func (a *mAgent) ready() bool {
	return !a.removed && a.connected && a.activity == ActivityAvailable
}

type mTask struct {
	cfg     Task
	seq     int
	gen     int // generation of the queue it was routed through; 0 if targeted or none
	state   TaskState
	exclude map[AgentID]bool
	agent   *mAgent
	lastEnd EventType // last reservation end event
	done    bool
}

type mRes struct {
	t *mTask
	a *mAgent
}

func newModel() *model {
	return &model{r: New(Config{DirectOfferTimeout: 20 * time.Second}), now: t0, queues: map[QueueID]*mQueue{}, agents: map[AgentID]*mAgent{},
		tasks: map[TaskID]*mTask{}, res: map[ReservationID]*mRes{}, counts: map[string]int{}}
}

func (m *model) failf(format string, args ...any) {
	m.errs = append(m.errs, fmt.Sprintf(format, args...))
}

func (m *model) queueOf(t *mTask) *mQueue {
	if t.gen == 0 {
		return nil
	}
	if q := m.queues[t.cfg.Queue]; q != nil && q.gen == t.gen {
		return q
	}
	return nil
}

func (m *model) member(a *mAgent, q *mQueue) bool {
	return q != nil && !a.removed && slices.Contains(a.cfg.Queues, q.cfg.ID)
}

// idleFor: a may be offered queue task t as an idle agent.
func (m *model) idleFor(a *mAgent, t *mTask) bool {
	q := m.queueOf(t)
	return m.member(a, q) && a.ready() && !a.wrapup && a.load() == 0 && !t.exclude[a.cfg.ID]
}

func (m *model) anyIdleFor(t *mTask) bool {
	for _, a := range m.agents {
		if m.idleFor(a, t) {
			return true
		}
	}
	return false
}

// eligible: a may be offered waiting queue task t now (rules 1-3, 7, 8).
func (m *model) eligible(a *mAgent, t *mTask) bool {
	if m.idleFor(a, t) {
		return true
	}
	q := m.queueOf(t)
	return m.member(a, q) && q.cfg.AllowBusyAgents && a.ready() && !a.wrapup && a.load() > 0 &&
		a.load() < a.cfg.Capacity && !t.exclude[a.cfg.ID] && !m.anyIdleFor(t)
}

func (m *model) effPrio(t *mTask) int {
	p := t.cfg.Priority
	if q := m.queueOf(t); q != nil {
		p += q.cfg.Priority
	}
	return p
}

func (m *model) better(x, y *mTask) bool {
	if px, py := m.effPrio(x), m.effPrio(y); px != py {
		return px > py
	}
	if c := x.cfg.Arrived.Compare(y.cfg.Arrived); c != 0 {
		return c < 0
	}
	return x.seq < y.seq
}

func (m *model) waiting(t *mTask) bool {
	return !t.done && t.state == TaskWaiting && m.queueOf(t) != nil
}

// apply processes the events of one step in order.
func (m *model) apply(evs []Event) {
	for _, e := range evs {
		m.event(e)
	}
}

func (m *model) event(e Event) {
	if m.rona != "" {
		if e.Type != AgentActivity || e.Agent != m.rona || e.Activity != ActivityUnavailable || e.Reason != ReasonRONA {
			m.failf("rule 6: after the timeout of %s's offer came %s %s %s, want agent.activity unavailable rona", m.rona, e.Type, e.Agent, e.Reason)
		}
		m.rona = ""
	}
	m.counts[string(e.Type)+" "+e.Reason]++
	a := m.agents[e.Agent]
	t := m.tasks[e.Task]
	switch e.Type {
	case AgentConnected, AgentDisconnected:
		a.connected = e.Type == AgentConnected
		if a.connected && a.activity == ActivityAvailable {
			a.idleSince = e.At
		}
	case AgentActivity:
		a.activity = e.Activity
		if e.Activity == ActivityAvailable && a.connected {
			a.idleSince = e.At
		}
	case AgentWrapup:
		a.wrapup = e.Reason == ReasonWrapupStarted
		if !a.wrapup && a.calls == 0 {
			a.idleSince = e.At
		}
	case TaskCreated:
		if t != nil {
			m.failf("task.created for live task %s", e.Task)
		}
		m.seq++
		m.created++
		t = &mTask{cfg: Task{ID: e.Task, Kind: e.Kind, Queue: e.Queue, TargetExtension: e.Extension},
			seq: m.seq, exclude: map[AgentID]bool{}, state: TaskWaiting}
		if p := m.pending; p != nil && p.ID == e.Task {
			t.cfg.Priority = p.Priority
			t.cfg.Arrived = p.Arrived
			for _, x := range p.Exclude {
				t.exclude[x] = true
			}
		}
		if t.cfg.Arrived.IsZero() {
			t.cfg.Arrived = e.At
		}
		if q := m.queues[e.Queue]; q != nil && e.Extension == "" {
			t.gen = q.gen
		}
		m.tasks[e.Task] = t
	case ReservationCreated:
		m.checkOffer(e, t, a)
		t.state = TaskReserved
		a.res++
		m.res[e.Reservation] = &mRes{t: t, a: a}
	case ReservationAccepted, ReservationRejected, ReservationTimeout, ReservationCanceled:
		rs := m.res[e.Reservation]
		if rs == nil || rs.t != t || rs.a.cfg.ID != e.Agent {
			m.failf("%s for unknown reservation %s", e.Type, e.Reservation)
			return
		}
		delete(m.res, e.Reservation)
		rs.a.res--
		t.lastEnd = e.Type
		switch e.Type {
		case ReservationAccepted:
			rs.a.calls++
			t.state, t.agent = TaskAssigned, rs.a
		case ReservationRejected, ReservationTimeout:
			if e.Type == ReservationTimeout {
				m.rona = e.Agent
			}
			t.exclude[e.Agent] = true
			t.state = TaskWaiting
		default:
			t.state = TaskWaiting
		}
	case TaskCanceled:
		if t.state == TaskAssigned {
			m.failf("task.canceled for accepted task %s", e.Task)
		}
		m.end(t)
	case TaskCompleted:
		ag := t.agent
		if ag == nil || t.state != TaskAssigned {
			m.failf("task.completed for unassigned %s", e.Task)
			return
		}
		ag.calls--
		q := m.queueOf(t)
		if !(q != nil && q.cfg.Wrapup > 0 && !ag.removed) && ag.calls == 0 && !ag.wrapup {
			ag.idleSince = e.At
		}
		m.end(t)
	case TaskFallback:
		m.checkFallback(e, t)
		m.end(t)
	default:
		m.failf("unexpected event %s", e.Type)
	}
}

func (m *model) end(t *mTask) {
	t.done = true
	m.ended++
	delete(m.tasks, t.cfg.ID)
}

func (m *model) byExt(ext string) *mAgent {
	for _, a := range m.agents {
		if a.cfg.Extension == ext && !a.removed {
			return a
		}
	}
	return nil
}

// directVerdict is what rule 5/7 say about a direct task now: "" for an
// offer, else the fallback reason.
func (m *model) directVerdict(t *mTask) string {
	a := m.byExt(t.cfg.TargetExtension)
	switch {
	case a == nil:
		return ReasonUnknownExtension
	case t.exclude[a.cfg.ID]:
		return ReasonExcluded
	case !a.connected:
		return ReasonDisconnected
	case a.activity != ActivityAvailable:
		return ReasonUnavailable
	case a.load() >= a.cfg.Capacity:
		return ReasonBusy
	}
	return ""
}

func (m *model) checkFallback(e Event, t *mTask) {
	if t.state != TaskWaiting {
		m.failf("fallback for %s in state %s", e.Task, t.state)
	}
	if t.cfg.TargetExtension == "" {
		if e.Reason != ReasonUnknownQueue || m.queueOf(t) != nil {
			m.failf("queue task %s fallback %q while its queue exists", e.Task, e.Reason)
		}
		return
	}
	switch {
	case e.Reason == ReasonRejected && t.lastEnd == ReservationRejected:
	case e.Reason == ReasonTimeout && t.lastEnd == ReservationTimeout:
	default:
		if v := m.directVerdict(t); v != e.Reason {
			m.failf("direct %s fallback %q, rules say %q", e.Task, e.Reason, v)
		}
	}
}

// checkOffer checks rules 1-8 at the moment an offer is made.
func (m *model) checkOffer(e Event, t *mTask, a *mAgent) {
	if t == nil || a == nil {
		m.failf("offer of %s to %s: unknown task or agent", e.Task, e.Agent)
		return
	}
	if t.state != TaskWaiting {
		m.failf("offer of %s in state %s", e.Task, t.state)
	}
	if !a.ready() {
		m.failf("rule 1: offer of %s to %s not ready (connected %v, %s)", e.Task, e.Agent, a.connected, a.activity)
	}
	if a.load() >= a.cfg.Capacity {
		m.failf("rule 1: offer of %s to %s at load %d of %d", e.Task, e.Agent, a.load(), a.cfg.Capacity)
	}
	if t.exclude[a.cfg.ID] {
		m.failf("rule 7: %s offered again to %s who rejected or missed it", e.Task, e.Agent)
	}
	timeout := m.r.cfg.DirectOfferTimeout
	if t.cfg.TargetExtension != "" {
		if a.cfg.Extension != t.cfg.TargetExtension {
			m.failf("rule 5: direct %s to %s offered to %s", e.Task, t.cfg.TargetExtension, e.Agent)
		}
		if v := m.directVerdict(t); v != "" {
			m.failf("rule 7: direct %s offered although %s", e.Task, v)
		}
	} else {
		q := m.queueOf(t)
		if q == nil {
			m.failf("offer of %s from a removed queue", e.Task)
			return
		}
		timeout = cmp.Or(q.cfg.OfferTimeout, DefaultQueueOfferTimeout)
		if !m.eligible(a, t) {
			m.failf("rules 2/3/8: %s offered to %s (load %d, wrapup %v, member %v, busy ok %v)",
				e.Task, e.Agent, a.load(), a.wrapup, m.member(a, q), q.cfg.AllowBusyAgents)
		}
		if a.load() == 0 {
			for _, b := range m.agents {
				if b != a && m.idleFor(b, t) && (b.idleSince.Before(a.idleSince) ||
					b.idleSince.Equal(a.idleSince) && b.cfg.ID < a.cfg.ID) {
					m.failf("rule 2: %s offered to %s (idle since %v) while %s idle since %v",
						e.Task, e.Agent, a.idleSince, b.cfg.ID, b.idleSince)
				}
			}
		}
		for _, u := range m.tasks {
			if u != t && m.waiting(u) && m.better(u, t) && m.eligible(a, u) {
				m.failf("rule 4: %s offered to %s while better %s waits", e.Task, e.Agent, u.cfg.ID)
			}
		}
	}
	if !e.Expires.Equal(e.At.Add(timeout)) {
		m.failf("rule 6: %s expires after %v, want %v", e.Task, e.Expires.Sub(e.At), timeout)
	}
}

// checkState compares the shadow with the router after a step and checks
// stability and rule 9.
func (m *model) checkState() {
	for id, a := range m.agents {
		s, ok := m.r.Agent(id)
		if !ok {
			m.failf("agent %s missing", id)
			continue
		}
		if s.Load != a.load() || s.Calls != a.calls || s.Activity != a.activity || s.Connected != a.connected ||
			s.Wrapup != a.wrapup || !s.IdleSince.Equal(a.idleSince) {
			m.failf("agent %s: router %+v, events say load %d calls %d %s connected %v wrapup %v idle %v",
				id, s, a.load(), a.calls, a.activity, a.connected, a.wrapup, a.idleSince)
		}
		if a.res > 0 && !a.ready() {
			m.failf("rule 9: %s has %d offers while not ready", id, a.res)
		}
	}
	if n := len(m.r.Agents()); n != len(m.agents) {
		m.failf("router has %d agents, model %d", n, len(m.agents))
	}
	for _, s := range liveTasks(m.r, len(m.tasks), m.failf) {
		t := m.tasks[s.ID]
		if t == nil {
			m.failf("router task %s unknown to events", s.ID)
			continue
		}
		if s.State != t.state || (t.state == TaskAssigned && s.Agent != t.agent.cfg.ID) {
			m.failf("task %s: router %s/%s, events say %s", s.ID, s.State, s.Agent, t.state)
		}
		if len(s.Exclude) != len(t.exclude) {
			m.failf("task %s exclude %v, events say %v", s.ID, s.Exclude, slices.Sorted(maps.Keys(t.exclude)))
		}
	}
	if len(m.res) != countRes(m.r) {
		m.failf("router has %d reservations, events say %d", countRes(m.r), len(m.res))
	}
	// Stability: nobody eligible for a waiting task.
	for _, t := range m.tasks {
		if t.state == TaskWaiting && t.cfg.TargetExtension != "" {
			m.failf("direct task %s left waiting", t.cfg.ID)
		}
		if !m.waiting(t) {
			continue
		}
		for _, a := range m.agents {
			if m.eligible(a, t) {
				m.failf("stability: %s waits while %s is eligible", t.cfg.ID, a.cfg.ID)
			}
		}
	}
	// No task lost.
	if m.created != m.ended+len(m.tasks) {
		m.failf("tasks created %d != ended %d + live %d", m.created, m.ended, len(m.tasks))
	}
}

func countRes(r *Router) int { return len(r.res) }
