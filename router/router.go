package router

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Router holds the routing state. It is not safe for concurrent use: the
// orchestrator calls it under its own mutex.
type Router struct {
	cfg Config

	agents  map[AgentID]*agent
	byExt   map[string]*agent
	queues  map[QueueID]*queue
	listing map[QueueID]map[AgentID]*agent // agents whose config names the queue
	tasks   map[TaskID]*task
	res     map[ReservationID]*reservation
	flows   map[WorkflowID]*Workflow

	timers iheap[*timer]

	out         []Event
	dirtyTasks  []*task
	dirtyAgents []*agent
	scratchT    []*task
	scratchM    []*membership

	seq    uint64 // task arrival tie-break
	tseq   uint64 // timer tie-break
	resSeq uint64

	decisions uint64
}

type agent struct {
	id        AgentID
	ext       string
	capacity  int
	queueIDs  []QueueID
	mem       []*membership
	activity  Activity
	connected bool
	calls     int // task calls and outbound calls (voice)
	outbound  int
	res       []*reservation
	vres      int            // voice reservations
	tasks     int            // accepted non-voice tasks
	blk       int            // non-voice blocking tasks held (offered or accepted)
	nb        int            // non-voice non-blocking tasks held
	chn       map[string]int // non-voice tasks held per channel
	chCap     map[string]int // configured non-voice capacities
	maxNB     int
	wrapup    bool
	wrapT     timer
	idleSince time.Time
	removed   bool
	dirty     bool
}

// load is the voice load of v1: calls and live call reservations.
func (a *agent) load() int { return a.calls + a.vres }

// work counts everything the agent holds; 0 means completely free.
func (a *agent) work() int { return a.calls + len(a.res) + a.tasks }

// blocking counts blocking work (rule 2): calls in any state, live call
// reservations, blocking tasks.
func (a *agent) blocking() int { return a.calls + a.vres + a.blk }

func (a *agent) capOf(ch string) int {
	if c, ok := a.chCap[ch]; ok {
		return c
	}
	return 1
}

// ready: may be offered something at all (rule 1, ignoring load).
func (a *agent) ready() bool {
	return !a.removed && a.connected && a.activity == ActivityAvailable
}

type membership struct {
	a       *agent
	since   int64 // a.idleSince in ns, copied by refresh (heap key without a pointer chase)
	q       *queue
	idleIdx int
	busyIdx int
}

type queue struct {
	cfg     Queue
	removed bool
	subs    []*sub // waiting tasks by (channel, requested non-blocking)
	nWait   int
	idle    iheap[*membership] // load 0, no wrap-up: longest idle first
	busy    iheap[*membership] // 0 < load < capacity, no wrap-up
	members map[AgentID]*membership
}

type taskState int

const (
	stateWaiting taskState = iota
	stateReserved
	stateAssigned
)

type task struct {
	cfg     Task
	seq     uint64
	state   taskState
	q       *queue // queue-routed tasks
	idx     int    // in sub.h
	sub     *sub
	prio    int // own priority (+ the workflow target's)
	heldNB  bool
	targets []Target // workflow escalation
	step    int
	escT    timer
	moveDue bool // the escalation timer fired while offered
	res     *reservation
	agent   *agent // assigned
	dirty   bool
	exclude []AgentID
}

func (t *task) targeted() bool { return t.cfg.TargetExtension != "" }

func (t *task) excludes(id AgentID) bool {
	for _, x := range t.exclude {
		if x == id {
			return true
		}
	}
	return false
}

type reservation struct {
	id ReservationID
	t  *task
	a  *agent
	tm timer
}

type timer struct {
	at  time.Time
	seq uint64
	idx int
	res *reservation
	ag  *agent // wrap-up end
	esc *task  // escalation
}

// New returns an empty Router.
func New(cfg Config) *Router {
	if cfg.DirectOfferTimeout <= 0 {
		cfg.DirectOfferTimeout = DefaultDirectOfferTimeout
	}
	if cfg.DefaultOfferTimeout <= 0 {
		cfg.DefaultOfferTimeout = DefaultQueueOfferTimeout
	}
	return &Router{
		cfg:     cfg,
		agents:  map[AgentID]*agent{},
		byExt:   map[string]*agent{},
		queues:  map[QueueID]*queue{},
		listing: map[QueueID]map[AgentID]*agent{},
		tasks:   map[TaskID]*task{},
		flows:   map[WorkflowID]*Workflow{},
		res:     map[ReservationID]*reservation{},
		timers: iheap[*timer]{
			less: func(a, b *timer) bool {
				if !a.at.Equal(b.at) {
					return a.at.Before(b.at)
				}
				return a.seq < b.seq
			},
			idx: func(t *timer) *int { return &t.idx },
		},
	}
}

// Drain appends the events produced since the last Drain to dst, in order,
// and forgets them. Call it after every method (or batch of methods under
// the same lock) and act on the events in order.
func (r *Router) Drain(dst []Event) []Event {
	dst = append(dst, r.out...)
	clear(r.out)
	r.out = r.out[:0]
	return dst
}

// Decisions counts the offers and fallbacks made so far.
func (r *Router) Decisions() uint64 { return r.decisions }

func (r *Router) emit(e Event) { r.out = append(r.out, e) }

// PutQueue creates or updates a queue. New settings apply from the next
// decision; turning AllowBusyAgents on may produce offers at once.
func (r *Router) PutQueue(cfg Queue, now time.Time) error {
	r.advance(now)
	if cfg.ID == "" || cfg.OfferTimeout < 0 || cfg.Wrapup < 0 {
		return fmt.Errorf("%w: queue %q: empty id or negative duration", ErrInvalid, cfg.ID)
	}
	if q, ok := r.queues[cfg.ID]; ok {
		old := q.cfg
		q.cfg = cfg
		if old.Order != cfg.Order || old.Priority != cfg.Priority {
			for _, sb := range q.subs {
				sb.h.init()
			}
		}
		if old.AllowBusyAgents != cfg.AllowBusyAgents || old.Simultaneous != cfg.Simultaneous {
			for _, m := range q.members {
				r.markAgent(m.a)
			}
		}
		r.settle(now)
		return nil
	}
	q := &queue{cfg: cfg, members: map[AgentID]*membership{}}
	q.idle = iheap[*membership]{less: idleLess, idx: func(m *membership) *int { return &m.idleIdx }}
	q.busy = iheap[*membership]{less: busyLess, idx: func(m *membership) *int { return &m.busyIdx }}
	r.queues[cfg.ID] = q
	for _, a := range r.listing[cfg.ID] {
		r.join(a, q)
		r.markAgent(a)
	}
	r.settle(now)
	return nil
}

// RemoveQueue deletes a queue. Its waiting tasks get a fallback
// (unknown_queue); offered and accepted tasks go on, and an offered task
// that comes back gets the fallback then.
func (r *Router) RemoveQueue(id QueueID, now time.Time) error {
	r.advance(now)
	q, err := lookup(r.queues, id, ErrUnknownQueue)
	if err != nil {
		return err
	}
	delete(r.queues, id)
	q.removed = true
	for _, m := range q.members {
		a := m.a
		q.idle.remove(m)
		q.busy.remove(m)
		for i, x := range a.mem {
			if x == m {
				a.mem = append(a.mem[:i], a.mem[i+1:]...)
				break
			}
		}
	}
	clear(q.members)
	for _, sb := range q.subs {
		for sb.h.Len() > 0 {
			r.fallback(sb.h.items[0], ReasonUnknownQueue, now)
		}
	}
	r.settle(now)
	return nil
}

// PutAgent creates or updates an agent. A new agent starts disconnected and
// offline. Lowering the capacity below the current load keeps what the agent
// has but offers nothing more.
func (r *Router) PutAgent(cfg AgentConfig, now time.Time) error {
	r.advance(now)
	if cfg.Capacity == 0 {
		cfg.Capacity = DefaultCapacity
	}
	if cfg.MaxNonBlocking == 0 {
		cfg.MaxNonBlocking = DefaultMaxNonBlocking
	}
	if cfg.ID == "" || cfg.Capacity < 1 || cfg.Capacity > MaxCapacity {
		return fmt.Errorf("%w: agent %q: empty id or capacity %d not in 1..%d", ErrInvalid, cfg.ID, cfg.Capacity, MaxCapacity)
	}
	if cfg.MaxNonBlocking < 1 || cfg.MaxNonBlocking > MaxNonBlocking {
		return fmt.Errorf("%w: agent %q: max_nonblocking %d not in 1..%d", ErrInvalid, cfg.ID, cfg.MaxNonBlocking, MaxNonBlocking)
	}
	for ch, c := range cfg.Channels {
		if ch == "" || ch == Voice || c < 0 || c > MaxChannelCapacity {
			return fmt.Errorf("%w: agent %q: channel %q capacity %d (voice is Capacity; others 0..%d)", ErrInvalid, cfg.ID, ch, c, MaxChannelCapacity)
		}
	}
	if o, ok := r.byExt[cfg.Extension]; ok && cfg.Extension != "" && o.id != cfg.ID {
		return fmt.Errorf("%w: %q belongs to %q", ErrDuplicateExtension, cfg.Extension, o.id)
	}
	a, ok := r.agents[cfg.ID]
	if !ok {
		a = &agent{id: cfg.ID, activity: ActivityOffline, idleSince: now, chn: map[string]int{}}
		a.wrapT.idx = -1
		a.wrapT.ag = a
		r.agents[cfg.ID] = a
	}
	if a.ext != cfg.Extension {
		if a.ext != "" {
			delete(r.byExt, a.ext)
		}
		a.ext = cfg.Extension
		if a.ext != "" {
			r.byExt[a.ext] = a
		}
	}
	a.capacity = cfg.Capacity
	a.maxNB = cfg.MaxNonBlocking
	clear(a.chCap)
	for ch, c := range cfg.Channels {
		if a.chCap == nil {
			a.chCap = map[string]int{}
		}
		a.chCap[ch] = c
	}
	r.setQueues(a, cfg.Queues)
	r.markAgent(a)
	r.settle(now)
	return nil
}

// RemoveAgent deletes an agent. Its offers are canceled (agent_removed) and
// their tasks re-offered; accepted calls stay until CallEnded.
func (r *Router) RemoveAgent(id AgentID, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	delete(r.agents, id)
	if a.ext != "" {
		delete(r.byExt, a.ext)
	}
	for _, qid := range a.queueIDs {
		delete(r.listing[qid], a.id)
	}
	a.removed = true
	r.leaveAll(a)
	r.cancelOffers(a, ReasonAgentRemoved, now)
	r.stopWrapup(a)
	r.settle(now)
	return nil
}

// setQueues replaces the agent's membership set, keeping the memberships
// that stay (a membership recompute that changes nothing costs no
// allocation).
func (r *Router) setQueues(a *agent, qs []QueueID) {
	if slices.Equal(a.queueIDs, qs) {
		return
	}
	for _, qid := range a.queueIDs {
		if !slices.Contains(qs, qid) {
			delete(r.listing[qid], a.id)
		}
	}
	keep := a.mem[:0]
	for _, m := range a.mem {
		if slices.Contains(qs, m.q.cfg.ID) {
			keep = append(keep, m)
			continue
		}
		m.q.idle.remove(m)
		m.q.busy.remove(m)
		delete(m.q.members, a.id)
	}
	clear(a.mem[len(keep):])
	a.mem = keep
	for _, qid := range qs {
		if slices.Contains(a.queueIDs, qid) {
			continue // listed and joined already
		}
		l := r.listing[qid]
		if l == nil {
			l = map[AgentID]*agent{}
			r.listing[qid] = l
		}
		l[a.id] = a
		if q, ok := r.queues[qid]; ok && !a.memberOf(q) {
			r.join(a, q)
		}
	}
	a.queueIDs = append(a.queueIDs[:0], qs...)
}

func (a *agent) memberOf(q *queue) bool {
	for _, m := range a.mem {
		if m.q == q {
			return true
		}
	}
	return false
}

func (r *Router) join(a *agent, q *queue) {
	m := &membership{a: a, q: q, idleIdx: -1, busyIdx: -1}
	q.members[a.id] = m
	a.mem = append(a.mem, m)
}

func (r *Router) leaveAll(a *agent) {
	for _, m := range a.mem {
		m.q.idle.remove(m)
		m.q.busy.remove(m)
		delete(m.q.members, a.id)
	}
	clear(a.mem)
	a.mem = a.mem[:0]
}

// SetConnected records whether the agent's socket is open. Disconnecting
// cancels the agent's offers (rule 9) and re-offers their tasks.
func (r *Router) SetConnected(id AgentID, connected bool, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if a.connected == connected {
		return nil
	}
	a.connected = connected
	if connected {
		r.emit(Event{Type: AgentConnected, At: now, Agent: id})
		if a.activity == ActivityAvailable {
			a.idleSince = now
		}
	} else {
		r.emit(Event{Type: AgentDisconnected, At: now, Agent: id})
		r.cancelOffers(a, ReasonDisconnected, now)
	}
	r.markAgent(a)
	r.settle(now)
	return nil
}

// SetActivity sets the agent's activity. Leaving available cancels its
// offers (rule 9) and re-offers their tasks.
func (r *Router) SetActivity(id AgentID, act Activity, now time.Time) error {
	r.advance(now)
	a, err := lookup(r.agents, id, ErrUnknownAgent)
	if err != nil {
		return err
	}
	if act <= ActivityUnknown || act > ActivityOffline {
		return fmt.Errorf("%w: activity %d", ErrInvalid, int(act))
	}
	r.setActivity(a, act, "", now)
	r.settle(now)
	return nil
}

func (r *Router) setActivity(a *agent, act Activity, reason string, now time.Time) {
	if a.activity == act {
		return
	}
	a.activity = act
	r.emit(Event{Type: AgentActivity, At: now, Agent: a.id, Activity: act, Reason: reason})
	if act == ActivityAvailable {
		if a.connected {
			a.idleSince = now
		}
	} else {
		r.cancelOffers(a, ReasonActivity, now)
	}
	r.markAgent(a)
}

func (r *Router) newReservationID() ReservationID {
	r.resSeq++
	return ReservationID("r" + strconv.FormatUint(r.resSeq, 10))
}
