package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/router"
)

// Floor is the leader's routing state for the whole floor: one
// router.Router fed with the facts of every node, whose events become
// Decisions addressed to the nodes that act on them. It is pure (no I/O,
// no goroutines, no clock reads: every method takes now) and not safe for
// concurrent use; the leader drives it from one goroutine.
//
// A Floor lives for one term (one fencing token). It starts rebuilding:
// it waits for the report of every node named to Expect, or for the
// rebuild deadline, then applies all reports at once (agents first, then
// the waiting calls oldest first), then the facts that came meanwhile.
type Floor struct {
	rt    *router.Router
	token int64
	pfx   string // reservation ids of this term are pfx + the router's

	agentNode map[router.AgentID]string   // the node an agent is logged in on
	taskNode  map[router.TaskID]string    // the node a task's caller is on
	accepted  map[router.TaskID]peer      // accepted tasks: agent and its node at accept
	calls     map[string]callRef          // calls counted with AddCall, by call id
	work      map[router.TaskID]*TaskFact // tasks of other channels (not calls), until they end
	canceled  map[router.TaskID]bool      // accepted tasks of other channels their node canceled

	expect   map[string]bool // nodes whose report is awaited (rebuilding while non-nil)
	until    time.Time       // rebuild deadline
	reports  []Fact          // held until the rebuild ends
	pending  []Fact          // facts of reported nodes, held until the rebuild ends
	reported map[string]bool // nodes that reported in this term
	told     []Told          // lost calls to tell their agents at their next login (Told)
	local    bool            // offer a task only to agents on its node (SetLocalOnly)

	evbuf []router.Event
	out   []Decision
}

type peer struct {
	agent router.AgentID
	node  string
}

// callRef is a call counted in an agent's load outside a router task.
type callRef struct {
	agent     router.AgentID
	agentNode string
	taskNode  string
}

// NewFloor starts the floor of the term with token.
func NewFloor(cfg router.Config, token int64) *Floor {
	return &Floor{
		rt: router.New(cfg), token: token, pfx: strconv.FormatInt(token, 10) + ".",
		agentNode: map[router.AgentID]string{}, taskNode: map[router.TaskID]string{},
		accepted: map[router.TaskID]peer{}, calls: map[string]callRef{},
		work: map[router.TaskID]*TaskFact{}, canceled: map[router.TaskID]bool{},
		reported: map[string]bool{},
	}
}

// SetLocalOnly makes the floor offer each new task only to agents logged
// in on the task's own node (the agents known elsewhere are excluded), for
// nodes that cannot bridge a call to another node.
func (f *Floor) SetLocalOnly(on bool) { f.local = on }

// Token is the term's fencing token.
func (f *Floor) Token() int64 { return f.token }

// Router is the floor's router, for configuration (PutQueue, PutAgent,
// PutWorkflow, …) and read-only views. Call Drain after changing it.
func (f *Floor) Router() *router.Router { return f.rt }

// Expect starts the rebuild: routing waits for a report from each of
// nodes, or until deadline.
func (f *Floor) Expect(nodes []string, deadline time.Time) {
	f.expect = map[string]bool{}
	for _, n := range nodes {
		f.expect[n] = true
	}
	f.until = deadline
}

// Rebuilding reports whether the floor still waits for reports.
func (f *Floor) Rebuilding() bool { return f.expect != nil }

// Reported reports whether node has sent its report in this term.
func (f *Floor) Reported(node string) bool { return f.reported[node] }

// Nodes lists the nodes that have agents or calls on the floor.
func (f *Floor) Nodes() []string {
	seen := map[string]bool{}
	for _, n := range f.agentNode {
		seen[n] = true
	}
	for _, n := range f.taskNode {
		seen[n] = true
	}
	for n := range f.reported {
		seen[n] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// AgentNode is the node agent is logged in on ("" when unknown).
func (f *Floor) AgentNode(agent string) string { return f.agentNode[router.AgentID(agent)] }

// Apply takes one fact. Facts of a node that has not reported in this
// term are ignored (its report will hold their effect). An error means the
// fact was refused (malformed, or naming what the floor does not know).
func (f *Floor) Apply(fa Fact, now time.Time) error {
	f.advanceRebuild(now)
	if fa.Type == FactReport {
		if fa.Token != f.token || fa.Report == nil {
			return fmt.Errorf("cluster: report of %s for term %d in term %d", fa.Node, fa.Token, f.token)
		}
		if f.reported[fa.Node] {
			return nil // a repeated hello's answer
		}
		f.reported[fa.Node] = true
		if f.expect != nil {
			f.reports = append(f.reports, fa)
			delete(f.expect, fa.Node)
			if len(f.expect) == 0 {
				f.endRebuild(now)
			}
			return nil
		}
		f.applyReports([]Fact{fa}, now)
		f.drain()
		return nil
	}
	if !f.reported[fa.Node] {
		return nil
	}
	if f.expect != nil {
		f.pending = append(f.pending, fa)
		return nil
	}
	err := f.apply(fa, now)
	f.drain()
	return err
}

// Advance handles the deadlines up to now (offer timeouts, wrap-up,
// escalations, the rebuild deadline).
func (f *Floor) Advance(now time.Time) {
	f.advanceRebuild(now)
	f.rt.Advance(now)
	f.drain()
}

// NextDeadline is when Advance must next be called.
func (f *Floor) NextDeadline() (time.Time, bool) {
	t, ok := f.rt.NextDeadline()
	if f.expect != nil && (!ok || f.until.Before(t)) {
		return f.until, true
	}
	return t, ok
}

// Drain appends the decisions made so far to dst and forgets them.
func (f *Floor) Drain(dst []Decision) []Decision {
	f.drain()
	dst = append(dst, f.out...)
	f.out = f.out[:0]
	return dst
}

func (f *Floor) advanceRebuild(now time.Time) {
	if f.expect != nil && !now.Before(f.until) {
		f.endRebuild(now)
	}
}

func (f *Floor) endRebuild(now time.Time) {
	f.expect = nil
	f.applyReports(f.reports, now)
	f.reports = nil
	for _, fa := range f.pending {
		_ = f.apply(fa, now) // a fact refused now changes nothing
	}
	f.pending = nil
	f.drain()
}

// applyReports puts every reported agent (its calls and tasks counted
// before it connects, so no offer sees it idle) and then every waiting call, oldest
// first, in its place.
func (f *Floor) applyReports(reps []Fact, now time.Time) {
	var waiting []Fact
	for _, r := range reps {
		for _, a := range r.Report.Agents {
			id := router.AgentID(a.ID)
			f.agentNode[id] = r.Node
			for _, c := range a.Calls {
				if _, dup := f.calls[c.ID]; dup || f.rt.AddCall(id, now) != nil {
					continue
				}
				f.calls[c.ID] = callRef{agent: id, agentNode: r.Node, taskNode: c.Node}
			}
			for _, tk := range a.Tasks {
				f.addAssigned(id, r.Node, tk, now) // a malformed or duplicate task is left out
			}
			f.setPresence(id, a.Connected, a.Activity, now)
		}
		for _, t := range r.Report.Waiting {
			waiting = append(waiting, Fact{Type: FactTask, Node: r.Node, Task: &t})
		}
	}
	slices.SortStableFunc(waiting, func(a, b Fact) int { return a.Task.Arrived.Compare(b.Task.Arrived) })
	for _, w := range waiting {
		_ = f.addTask(w, now) // a malformed or duplicate task is left out
	}
}

func (f *Floor) setPresence(id router.AgentID, connected bool, activity string, now time.Time) {
	if act, ok := router.ParseActivity(activity); ok {
		_ = f.rt.SetActivity(id, act, now) // unknown agents are not on this floor
	}
	_ = f.rt.SetConnected(id, connected, now)
}

func (f *Floor) apply(fa Fact, now time.Time) error {
	switch fa.Type {
	case FactAgent:
		id := router.AgentID(fa.Agent)
		if _, ok := f.rt.Agent(id); !ok {
			return fmt.Errorf("cluster: %w: %q", router.ErrUnknownAgent, fa.Agent)
		}
		if fa.Connected || f.agentNode[id] == fa.Node {
			f.agentNode[id] = fa.Node // a login on another node moves the agent
			f.setPresence(id, fa.Connected, fa.Activity, now)
		}
		return nil
	case FactTask:
		return f.addTask(fa, now)
	case FactCancel:
		if fa.Task == nil || f.taskNode[router.TaskID(fa.Task.ID)] != fa.Node {
			return fmt.Errorf("cluster: cancel of a task not on %s", fa.Node)
		}
		id := router.TaskID(fa.Task.ID)
		if _, ok := f.accepted[id]; ok && f.work[id] != nil {
			f.canceled[id] = true // its agent's node is told (DecDone canceled)
			return f.rt.CallEnded(id, now)
		}
		return f.rt.CancelTask(id, now)
	case FactAccept, FactReject:
		rid, ok := strings.CutPrefix(fa.Reservation, f.pfx)
		if !ok {
			return fmt.Errorf("cluster: reservation %q of another term", fa.Reservation)
		}
		res, ok := f.rt.Reservation(router.ReservationID(rid))
		// The agent's node answers for its agent; the caller's node may
		// reject too, when it cannot reach the agent's node (the agent
		// never rang).
		byCaller := ok && fa.Type == FactReject && f.taskNode[res.Task] == fa.Node
		if !ok || f.agentNode[res.Agent] != fa.Node && !byCaller {
			return fmt.Errorf("cluster: %w: %q", router.ErrUnknownReservation, fa.Reservation)
		}
		if fa.Type == FactReject {
			return f.rt.Reject(res.ID, now)
		}
		if err := f.rt.Accept(res.ID, now); err != nil {
			return err
		}
		f.accepted[res.Task] = peer{agent: res.Agent, node: fa.Node}
		return nil
	case FactEnded:
		if fa.Task == nil {
			return fmt.Errorf("cluster: ended without a call")
		}
		return f.ended(fa.Task.ID, fa.Node, now)
	case FactCall:
		if fa.Task == nil || fa.Task.ID == "" {
			return fmt.Errorf("cluster: call without an id")
		}
		id := router.AgentID(fa.Agent)
		if _, dup := f.calls[fa.Task.ID]; dup {
			return nil
		}
		if err := f.rt.AddCall(id, now); err != nil {
			return err
		}
		f.calls[fa.Task.ID] = callRef{agent: id, agentNode: fa.Node, taskNode: fa.Node}
		return nil
	case FactWrapupDone: // only the agent's node ends its wrap-up, as it answers its offers
		id := router.AgentID(fa.Agent)
		if f.agentNode[id] != fa.Node {
			return fmt.Errorf("cluster: wrapup_done of agent %q from node %q: %w", fa.Agent, fa.Node, router.ErrUnknownAgent)
		}
		return f.rt.WrapupDone(id, now)
	}
	return fmt.Errorf("cluster: unknown fact %q", fa.Type)
}

func (f *Floor) addTask(fa Fact, now time.Time) error {
	t := fa.Task
	if t == nil {
		return fmt.Errorf("cluster: task fact without a task")
	}
	kind, ok := router.ParseTaskKind(t.Kind)
	if !ok {
		return fmt.Errorf("cluster: task %q kind %q", t.ID, t.Kind)
	}
	ex := make([]router.AgentID, len(t.Exclude))
	for i, a := range t.Exclude {
		ex[i] = router.AgentID(a)
	}
	if f.local {
		for _, a := range sortedKeys(f.agentNode) {
			if f.agentNode[a] != fa.Node {
				ex = append(ex, a)
			}
		}
	}
	id := router.TaskID(t.ID)
	if _, dup := f.taskNode[id]; dup {
		return fmt.Errorf("cluster: %w: %q", router.ErrDuplicateTask, t.ID)
	}
	f.taskNode[id] = fa.Node // before AddTask: its events need the node
	if t.Channel != "" {
		w := *t
		f.work[id] = &w
	}
	err := f.rt.AddTask(router.Task{
		ID: id, Kind: kind, Queue: router.QueueID(t.Queue), TargetExtension: t.Extension,
		Workflow: router.WorkflowID(t.Workflow), Priority: t.Priority, Arrived: t.Arrived,
		Channel: t.Channel, NonBlocking: t.NonBlocking, Exclude: ex, Attributes: t.Attributes,
		WorkflowStep: t.Step, StepSince: t.StepSince,
	}, now)
	if err != nil {
		delete(f.taskNode, id)
		delete(f.work, id)
		return err
	}
	if s, ok := f.rt.Task(id); ok && t.Workflow != "" && s.Queue != "" {
		// Before the offer's decision (drained after): the caller's node
		// learns the queue it waits in (its views, its max_wait).
		f.out = append(f.out, Decision{Type: DecMoved, Token: f.token, To: fa.Node, Task: t.ID, TaskNode: fa.Node, Queue: string(s.Queue), Channel: t.Channel,
			Step: s.WorkflowStep, Since: s.StepSince})
	}
	return nil
}

// addAssigned counts a task of another channel that agent (on agentNode)
// accepted under an older term in its load (router.AddAssigned), so that
// its FactEnded ends it here and tells its node (DecDone).
func (f *Floor) addAssigned(agent router.AgentID, agentNode string, tr TaskReport, now time.Time) {
	id := router.TaskID(tr.ID)
	if _, dup := f.taskNode[id]; dup || tr.Channel == "" || tr.Node == "" {
		return
	}
	kind := router.KindQueue
	if tr.Kind != "" {
		var ok bool
		if kind, ok = router.ParseTaskKind(tr.Kind); !ok {
			return
		}
	}
	err := f.rt.AddAssigned(router.Task{ID: id, Kind: kind, Queue: router.QueueID(tr.Queue), TargetExtension: tr.Extension,
		Workflow: router.WorkflowID(tr.Workflow), Priority: tr.Priority, Arrived: tr.Arrived, Channel: tr.Channel,
		NonBlocking: tr.NonBlocking, Attributes: tr.Attributes}, agent, now)
	if err != nil {
		return
	}
	w := tr.TaskFact
	f.taskNode[id], f.work[id], f.accepted[id] = tr.Node, &w, peer{agent: agent, node: agentNode}
}

// ended ends a call, whichever node reports it first.
func (f *Floor) ended(call, node string, now time.Time) error {
	if c, ok := f.calls[call]; ok {
		delete(f.calls, call)
		return f.rt.EndCall(c.agent, now)
	}
	id := router.TaskID(call)
	if p, ok := f.accepted[id]; ok {
		if node != p.node {
			// The caller's half of a call bridged to the agent's node: the
			// agent is free only once its own node has ended its leg (the
			// BYE between the nodes may still be on its way), so that its
			// next offer never reaches it before that call's end.
			return nil
		}
		return f.rt.CallEnded(id, now)
	}
	return nil // already ended (the other end said so first)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
