package router

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Property test of routing v2: random operations over a small floor with
// channels, blocking flags, attributes (membership recomputed by the test,
// as the core does) and workflow escalation, checked against a shadow model
// built from the events, at the moment of each event.
//
// Invariants: capacity per channel; no queue work to an agent with blocking
// work; a partly busy agent only when no free eligible agent exists; a
// further non-blocking task only below max_nonblocking; no lost task (the
// router's live tasks are exactly the shadow's, each task ends once);
// escalation order (task.moved follows the targets, not before their
// timeout); stability (no waiting task has a free eligible agent).

const (
	v2Agents = 6
	v2Queues = 3
)

type v2Agent struct {
	cfg       AgentConfig
	attrs     map[string]any
	connected bool
	activity  Activity
	wrapup    bool
	outbound  int
	held      map[TaskID]bool // offered or accepted tasks
}

type v2Task struct {
	in      Task
	queue   QueueID
	step    int
	entered time.Time
	exclude map[AgentID]bool
	agent   AgentID
	state   TaskState
}

type v2Model struct {
	t      testing.TB
	r      *Router
	now    time.Time
	agents map[AgentID]*v2Agent
	queues map[QueueID]Queue
	tasks  map[TaskID]*v2Task
	ended  map[TaskID]bool
	next   int
	log    []string
	counts map[string]int
}

var v2Targets = []Target{{Queue: "q2", Timeout: 3 * time.Second}, {Queue: "q0", Timeout: 2 * time.Second, Priority: 1}, {Queue: "q1"}}

func newV2Model(t testing.TB) *v2Model {
	m := &v2Model{t: t, r: New(Config{}), now: t0, agents: map[AgentID]*v2Agent{}, queues: map[QueueID]Queue{},
		tasks: map[TaskID]*v2Task{}, ended: map[TaskID]bool{}, counts: map[string]int{}}
	qs := []Queue{
		{ID: "q0", Simultaneous: true, Wrapup: 10 * time.Second, OfferTimeout: 5 * time.Second},
		{ID: "q1", Order: LIFO, Wrapup: 4 * time.Second},
		{ID: "q2", Simultaneous: true, Priority: 1},
	}
	for _, q := range qs {
		m.queues[q.ID] = q
		m.must(m.r.PutQueue(q, m.now))
	}
	m.must(m.r.PutWorkflow(Workflow{ID: "wf", DefaultQueue: "q0", Filters: []Filter{
		{Name: "es", Match: attrIs("lang", "es"), Targets: v2Targets},
	}}, m.now))
	for i := range v2Agents {
		id := AgentID("a" + strconv.Itoa(i))
		cfg := AgentConfig{ID: id, Extension: strconv.Itoa(100 + i), Capacity: 1 + i%2, MaxNonBlocking: 1 + i%3,
			Channels: map[string]int{"chat": 1 + i%3, "email": i % 2}}
		a := &v2Agent{cfg: cfg, attrs: map[string]any{}, activity: ActivityOffline, held: map[TaskID]bool{}}
		m.agents[id] = a
		m.putAgent(a)
	}
	m.apply()
	return m
}

func (m *v2Model) must(err error) {
	if err != nil {
		m.t.Fatalf("%v\n%s", err, strings.Join(m.log, "\n"))
	}
}

func (m *v2Model) failf(f string, args ...any) {
	m.t.Helper()
	tail := m.log
	if len(tail) > 30 {
		tail = tail[len(tail)-30:]
	}
	m.t.Fatalf(f+"\nlast steps:\n%s", append(args, strings.Join(tail, "\n"))...)
}

// membership as the core computes it: listed queues plus target_workers
// ("x" in skills selects q2).
func (a *v2Agent) members() []QueueID {
	qs := slices.Clone(a.cfg.Queues)
	if s, _ := a.attrs["skill"].(string); s == "x" {
		qs = append(qs, "q2")
	}
	return qs
}

func (m *v2Model) putAgent(a *v2Agent) {
	cfg := a.cfg
	cfg.Queues = a.members()
	m.must(m.r.PutAgent(cfg, m.now))
}

func (a *v2Agent) member(q QueueID) bool { return slices.Contains(a.members(), q) }

func chanOf(t Task) string {
	if t.Channel == Voice {
		return ""
	}
	return t.Channel
}

func (m *v2Model) blocking(t *v2Task) bool {
	return chanOf(t.in) == "" || !t.in.NonBlocking || !m.queues[t.queue].Simultaneous
}

// counts of what a holds.
func (m *v2Model) holding(a *v2Agent) (voice, blocking, nonBlocking int, per map[string]int) {
	per = map[string]int{}
	voice, blocking = a.outbound, a.outbound
	for id := range a.held {
		t := m.tasks[id]
		ch := chanOf(t.in)
		if ch == "" {
			voice++
		} else {
			per[ch]++
		}
		if m.blocking(t) {
			blocking++
		} else {
			nonBlocking++
		}
	}
	return
}

func (a *v2Agent) capOf(ch string) int {
	if ch == "" {
		return a.cfg.Capacity
	}
	if c, ok := a.cfg.Channels[ch]; ok {
		return c
	}
	return 1
}

func (m *v2Model) work(a *v2Agent) int { return a.outbound + len(a.held) }

// eligibleFree: a completely free member that may take t now.
func (m *v2Model) eligibleFree(a *v2Agent, t *v2Task) bool {
	return a.connected && a.activity == ActivityAvailable && !a.wrapup && m.work(a) == 0 &&
		a.member(t.queue) && !t.exclude[a.cfg.ID] && a.capOf(chanOf(t.in)) > 0
}

func (m *v2Model) apply() {
	for _, e := range m.r.Drain(nil) {
		m.counts[string(e.Type)]++
		m.event(e)
	}
}

func (m *v2Model) event(e Event) {
	t := m.tasks[e.Task]
	a := m.agents[e.Agent]
	switch e.Type {
	case TaskCreated:
		if m.ended[e.Task] {
			m.failf("task %s created twice", e.Task)
		}
	case AgentConnected, AgentDisconnected:
		a.connected = e.Type == AgentConnected
	case AgentActivity:
		a.activity = e.Activity
	case AgentWrapup:
		a.wrapup = e.Reason == ReasonWrapupStarted
	case TaskMoved:
		if t.step+1 >= len(v2Targets) || e.FromQueue != v2Targets[t.step].Queue || e.Queue != v2Targets[t.step+1].Queue {
			m.failf("task.moved %s %s -> %s at step %d", e.Task, e.FromQueue, e.Queue, t.step)
		}
		if e.At.Before(t.entered.Add(v2Targets[t.step].Timeout)) {
			m.failf("task %s moved at %v, before %v + %v", e.Task, e.At, t.entered, v2Targets[t.step].Timeout)
		}
		if t.state != TaskWaiting {
			m.failf("task %s moved while %s", e.Task, t.state)
		}
		t.step++
		t.queue, t.entered = e.Queue, e.At
	case ReservationCreated:
		m.checkOffer(e, t, a)
		t.state, t.agent = TaskReserved, a.cfg.ID
		a.held[t.in.ID] = true
	case ReservationAccepted:
		t.state = TaskAssigned
	case ReservationRejected, ReservationTimeout:
		t.exclude[a.cfg.ID] = true
		fallthrough
	case ReservationCanceled:
		delete(a.held, t.in.ID)
		t.state, t.agent = TaskWaiting, ""
	case TaskCompleted:
		delete(a.held, t.in.ID)
		m.end(e.Task)
	case TaskCanceled, TaskFallback:
		m.end(e.Task)
	}
}

func (m *v2Model) end(id TaskID) {
	if m.ended[id] {
		m.failf("task %s ended twice", id)
	}
	m.ended[id] = true
	delete(m.tasks, id)
}

func (m *v2Model) checkOffer(e Event, t *v2Task, a *v2Agent) {
	voice, blk, nb, per := m.holding(a)
	ch := chanOf(t.in)
	if ch == "" && voice >= a.cfg.Capacity || ch != "" && per[ch] >= a.capOf(ch) {
		m.failf("offer of %s (%q) to %s over channel capacity: voice %d per %v", t.in.ID, ch, a.cfg.ID, voice, per)
	}
	if e.Kind != KindQueue {
		return
	}
	if blk > 0 {
		m.failf("queue task %s offered to %s holding blocking work", t.in.ID, a.cfg.ID)
	}
	if !m.blocking(t) && nb >= a.cfg.MaxNonBlocking {
		m.failf("non-blocking %s offered to %s holding %d (max %d)", t.in.ID, a.cfg.ID, nb, a.cfg.MaxNonBlocking)
	}
	if m.work(a) > 0 {
		m.counts["partly_busy_offer"]++
		for _, o := range m.agents {
			if m.eligibleFree(o, t) {
				m.failf("partly busy %s offered %s while %s is free and eligible", a.cfg.ID, t.in.ID, o.cfg.ID)
			}
		}
	}
	if e.Queue != t.queue {
		m.failf("offer of %s from queue %s, task is in %s", t.in.ID, e.Queue, t.queue)
	}
}

func (m *v2Model) checkState() {
	for _, s := range liveTasks(m.r, len(m.tasks), m.failf) {
		t := m.tasks[s.ID]
		if t == nil || s.State != t.state || s.Queue != t.queue {
			m.failf("task %+v; shadow %+v", s, t)
		}
		if s.State != TaskWaiting {
			continue
		}
		for _, a := range m.agents {
			if m.eligibleFree(a, t) {
				m.failf("waiting task %s has a free eligible agent %s", s.ID, a.cfg.ID)
			}
		}
	}
	for id, a := range m.agents {
		s, _ := m.r.Agent(id)
		voice, _, nb, per := m.holding(a)
		if s.Load != voice || s.NonBlocking != nb || s.Work != m.work(a) {
			m.failf("agent %s: router load %d nb %d work %d, shadow %d %d %d", id, s.Load, s.NonBlocking, s.Work, voice, nb, m.work(a))
		}
		for ch, n := range per {
			if s.Held[ch] != n || n > a.capOf(ch) {
				m.failf("agent %s channel %s: router %d shadow %d cap %d", id, ch, s.Held[ch], n, a.capOf(ch))
			}
		}
	}
}

func (m *v2Model) pickTask(x byte, st TaskState) *v2Task {
	var ids []TaskID
	for id, t := range m.tasks {
		if t.state == st {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return m.tasks[ids[int(x)%len(ids)]]
}

func (m *v2Model) step(rng *rand.Rand) {
	m.now = m.now.Add(time.Duration(rng.IntN(4)) * 500 * time.Millisecond)
	m.r.Advance(m.now)
	m.apply()
	a := m.agents[AgentID("a"+strconv.Itoa(rng.IntN(v2Agents)))]
	x := byte(rng.IntN(256))
	var desc string
	switch op := rng.IntN(20); {
	case op < 6:
		m.next++
		in := Task{ID: TaskID("t" + strconv.Itoa(m.next)), Kind: KindQueue, Channel: []string{"", "chat", "chat", "email"}[x%4],
			NonBlocking: x&4 != 0, Priority: int(x>>6) % 2, Payload: m.next}
		if x&8 != 0 {
			in.Workflow = "wf"
			in.Attributes = map[string]any{"lang": []string{"es", "en"}[(x>>4)&1]}
		} else {
			in.Queue = QueueID("q" + strconv.Itoa(int(x>>4)%v2Queues))
		}
		q := in.Queue
		if in.Workflow != "" {
			q = "q0"
			if in.Attributes["lang"] == "es" {
				q = v2Targets[0].Queue
			}
		}
		m.tasks[in.ID] = &v2Task{in: in, queue: q, entered: m.now, exclude: map[AgentID]bool{}, state: TaskWaiting}
		desc = fmt.Sprintf("AddTask(%+v)", in)
		m.must(m.r.AddTask(in, m.now))
	case op < 8:
		if t := m.pickTask(x, TaskReserved); t != nil {
			s, _ := m.r.Task(t.in.ID)
			desc = "Accept " + string(t.in.ID)
			m.must(m.r.Accept(s.Reservation, m.now))
		}
	case op < 9:
		if t := m.pickTask(x, TaskReserved); t != nil {
			s, _ := m.r.Task(t.in.ID)
			desc = "Reject " + string(t.in.ID)
			m.must(m.r.Reject(s.Reservation, m.now))
		}
	case op < 11:
		if t := m.pickTask(x, TaskAssigned); t != nil {
			desc = "Complete " + string(t.in.ID)
			m.must(m.r.Complete(t.in.ID, m.now))
		}
	case op < 12:
		if t := m.pickTask(x, TaskState([]string{"waiting", "reserved"}[x&1])); t != nil {
			desc = "Cancel " + string(t.in.ID)
			m.must(m.r.CancelTask(t.in.ID, m.now))
		}
	case op < 14:
		act := []Activity{ActivityAvailable, ActivityAvailable, ActivityBreak, ActivityUnavailable}[x%4]
		desc = fmt.Sprintf("SetActivity(%s, %s)", a.cfg.ID, act)
		m.must(m.r.SetActivity(a.cfg.ID, act, m.now))
	case op < 15:
		desc = fmt.Sprintf("SetConnected(%s, %v)", a.cfg.ID, x%4 != 0)
		m.must(m.r.SetConnected(a.cfg.ID, x%4 != 0, m.now))
	case op < 17:
		// An attribute change, or a change of listed queues: the membership
		// set is recomputed and put.
		if x&1 == 0 {
			a.attrs["skill"] = []string{"x", "y"}[(x>>1)&1]
		} else {
			a.cfg.Queues = nil
			for i := range 2 {
				if x&(2<<i) != 0 {
					a.cfg.Queues = append(a.cfg.Queues, QueueID("q"+strconv.Itoa(i)))
				}
			}
		}
		desc = fmt.Sprintf("PutAgent(%s, %v, %v)", a.cfg.ID, a.cfg.Queues, a.attrs)
		m.putAgent(a)
	case op < 18:
		if a.outbound > 0 && x&1 == 0 {
			desc = "EndCall " + string(a.cfg.ID)
			a.outbound--
			m.must(m.r.EndCall(a.cfg.ID, m.now))
		} else if err := m.r.AddCall(a.cfg.ID, m.now); err == nil {
			desc = "AddCall " + string(a.cfg.ID)
			a.outbound++
		}
	default:
		desc = "WrapupDone " + string(a.cfg.ID)
		m.must(m.r.WrapupDone(a.cfg.ID, m.now))
	}
	m.log = append(m.log, desc)
	m.apply()
	m.checkState()
}

func TestV2PropertyChannelsBlockingEscalation(t *testing.T) {
	total := map[string]int{}
	for seed := range 200 {
		m := newV2Model(t)
		rng := rand.New(rand.NewPCG(uint64(seed), 14))
		for range 300 {
			m.step(rng)
		}
		for k, v := range m.counts {
			total[k] += v
		}
	}
	// The run must have exercised what it checks.
	for _, k := range []EventType{"partly_busy_offer", TaskMoved, ReservationCreated, ReservationAccepted, ReservationRejected,
		ReservationTimeout, TaskCompleted, AgentWrapup} {
		if total[string(k)] == 0 {
			t.Errorf("no %s in 200 × 300 steps", k)
		}
	}
	t.Logf("events: %v", total)
}
