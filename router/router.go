package router

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Router holds the routing state. It is not safe for concurrent use: the
// orchestrator calls it under its own mutex.
type Router struct {
	cfg Config

	agents map[AgentID]*agent
	byExt  map[string]*agent
	queues map[QueueID]*queue
	tasks  map[TaskID]*task
	res    map[ReservationID]*reservation
	flows  map[WorkflowID]*Workflow

	timers iheap[*timer]

	out         []Event
	dirtyTasks  []*task
	dirtyAgents []*agent
	scratchT    []*task
	scratchM    []*membership
	spareM      []*membership // left memberships, reused by join (at most maxSpare)
	// Ended tasks and reservations, recycled when settle ends (no caller
	// holds them then), and the recycled ones, reused by AddTask and offer.
	endedT []*task
	endedR []*reservation
	spareT []*task
	spareR []*reservation

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
	work    int   // a.work(), copied by refresh (busy heap key)
	q       *queue
	idleIdx int
	busyIdx int
	memIdx  int // in q.members
}

type queue struct {
	cfg     Queue
	removed bool
	subs    []*sub // waiting tasks by (channel, requested non-blocking)
	nWait   int
	idle    mheap         // load 0, no wrap-up: longest idle first
	busy    mheap         // 0 < load < capacity, no wrap-up: least work, then longest idle
	members []*membership // unordered; each knows its index (memIdx)
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
	stepAt  time.Time // it entered targets[step]
	escT    timer
	moveDue bool // the escalation timer fired while offered
	res     *reservation
	agent   *agent // assigned
	dirty   bool
	ended   bool // out of r.tasks, waiting to be recycled (recycle.go)
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
		cfg:    cfg,
		agents: map[AgentID]*agent{},
		byExt:  map[string]*agent{},
		queues: map[QueueID]*queue{},
		tasks:  map[TaskID]*task{},
		flows:  map[WorkflowID]*Workflow{},
		res:    map[ReservationID]*reservation{},
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
	q := &queue{cfg: cfg}
	q.busy.busy = true
	r.queues[cfg.ID] = q
	// The agents whose membership names the queue join it: a scan of the
	// agents, once per new queue (queues are created far more rarely than
	// memberships change, which then keep no per-queue listing).
	for _, a := range r.agents {
		if slices.Contains(a.queueIDs, cfg.ID) {
			r.join(a, q)
			r.markAgent(a)
		}
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
	q.members = nil
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
	if ok && a.ext == cfg.Extension && a.capacity == cfg.Capacity && a.maxNB == cfg.MaxNonBlocking &&
		maps.Equal(a.chCap, cfg.Channels) && slices.Equal(a.queueIDs, cfg.Queues) {
		// Put again unchanged (a recompute that changed nothing): between
		// calls the state is stable, so there is nothing to re-file or offer.
		return nil
	}
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
	a.removed = true
	r.leaveAll(a)
	r.cancelOffers(a, ReasonAgentRemoved, now)
	r.stopWrapup(a)
	r.settle(now)
	return nil
}

// setQueues replaces the agent's membership set, keeping the memberships
// that stay (a membership recompute that changes nothing costs no
// allocation). A queue that does not exist yet is joined when it is put.
func (r *Router) setQueues(a *agent, qs []QueueID) {
	if slices.Equal(a.queueIDs, qs) {
		return
	}
	keep := a.mem[:0]
	for _, m := range a.mem {
		if slices.Contains(qs, m.q.cfg.ID) {
			keep = append(keep, m)
			continue
		}
		r.leave(m)
	}
	clear(a.mem[len(keep):])
	a.mem = keep
	for _, qid := range qs {
		if slices.Contains(a.queueIDs, qid) {
			continue // joined already (or the queue does not exist)
		}
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

// maxSpare bounds the memberships, tasks and reservations kept for reuse.
const maxSpare = 256

func (r *Router) join(a *agent, q *queue) {
	var m *membership
	if n := len(r.spareM); n > 0 {
		m = r.spareM[n-1]
		r.spareM[n-1] = nil
		r.spareM = r.spareM[:n-1]
	} else {
		m = new(membership)
	}
	*m = membership{a: a, q: q, idleIdx: -1, busyIdx: -1, memIdx: len(q.members)}
	q.members = append(q.members, m)
	a.mem = append(a.mem, m)
}

// leave takes m out of its queue's indexes and members; the caller drops
// it from a.mem. Nothing else points at a membership, so it is kept for
// reuse.
func (r *Router) leave(m *membership) {
	q := m.q
	q.idle.remove(m)
	q.busy.remove(m)
	last := len(q.members) - 1
	if i := m.memIdx; i != last {
		q.members[i] = q.members[last]
		q.members[i].memIdx = i
	}
	q.members[last] = nil
	q.members = q.members[:last]
	if len(r.spareM) < maxSpare {
		*m = membership{}
		r.spareM = append(r.spareM, m)
	}
}

func (r *Router) leaveAll(a *agent) {
	for _, m := range a.mem {
		r.leave(m)
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
	var b [24]byte
	return ReservationID(strconv.AppendUint(append(b[:0], 'r'), r.resSeq, 10)) // one allocation
}
