package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/events"
	"switchboard/media"
	"switchboard/router"
	"switchboard/view"
)

// FloorRouter is the cluster's router (PROTOCOL §13). With one in Config,
// the core hands its queue calls (to a queue or a workflow: the leader's
// router applies the workflow and escalates), its direct calls (an
// extension) and its blind transfers (to a queue or an extension) to the
// floor instead of its own router, and acts on the leader's decisions
// through FloorOffer, FloorMoved, FloorWithdraw, FloorAccepted and
// FloorFallback. Its methods are called under the core's lock: they must
// not block.
type FloorRouter interface {
	// Task: call waits for an agent (t.ID is the core's task id). A task
	// of another channel (t.Channel set) is named by its task id.
	Task(call string, t router.Task)
	// Cancel: the call stopped waiting before an agent accepted it; a
	// task of another channel was canceled (assigned or not).
	Cancel(call string)
	// Ended: the agent here completed the task of another channel task
	// (this node's task id, or the floor's id of another node's task).
	Ended(task string)
	// Accept, Reject: the agent answered the floor's offer res.
	Accept(agent, res string)
	Reject(agent, res string)
}

// floorWait is acceptUnderLock's answer for a floor offer: the accept went
// to the leader, whose decision ends it.
type floorWait struct {
	cl *call
	ch chan error
}

func (floorWait) Error() string { return "accept waits for the floor" }

// floorTaskLocked hands cl's queue task to the floor (addTaskLocked has
// named it and bounded its wait, for the core's own router).
func (c *Core) floorTaskLocked(cl *call, t router.Task) {
	delete(c.byTask, t.ID)
	cl.task = ""
	if t.Attributes == nil { // its numbers, for the floor's ledger (the call's one record: floorpeer.go)
		t.Attributes = cl.attributes()
	}
	cl.floorTask, cl.floorSpec = t.ID, t
	if t.Queue != "" {
		cl.queue = string(t.Queue)
	}
	c.byFloor[t.ID] = cl
	cl.setState(stateWaiting, c.now())
	c.cfg.Floor.Task(cl.id, t)
	c.publishLocked(events.Event{Type: events.TaskCreated, Call: cl.id, Task: string(t.ID), Queue: string(t.Queue), Kind: t.Kind.String(), From: cl.remote, To: cl.dialled})
}

// floorCancelLocked takes cl off the floor (hung up, or waited too long):
// the floor withdraws a live offer; the agent here is told at once.
func (c *Core) floorCancelLocked(cl *call) {
	delete(c.byFloor, cl.floorTask)
	cl.floorTask = ""
	if !cl.peerIn { // the caller's node cancels its own task
		c.cfg.Floor.Cancel(cl.id)
	}
	if cl.res != "" {
		c.floorUnofferLocked(cl, "canceled")
	}
}

// floorUnofferLocked ends cl's offer on this node.
func (c *Core) floorUnofferLocked(cl *call, reason string) {
	now := c.now()
	res, ag := cl.res, cl.resAg
	delete(c.byRes, res)
	cl.ringDur += now.Sub(cl.resAt)
	cl.res, cl.resAg = "", nil
	c.endPeerLocked(cl, reason)
	if cl.floorAcc != nil {
		cl.floorAcc <- fmt.Errorf("reservation %s %s: %w", res, reason, ErrNotFound)
		cl.floorAcc = nil
	}
	if !cl.ended && cl.ag == nil {
		cl.setState(stateWaiting, now)
	}
	if ag != nil {
		c.notifyLocked(ag, "reservation.ended", EndedView{ID: string(res), Reason: reason})
		c.ringingLocked(ag)
	}
}

// floorCallLocked is the call id waiting for the floor, or nil.
func (c *Core) floorCallLocked(id string) *call {
	cl := c.calls[id]
	if cl == nil || cl.floorTask == "" || cl.ended || cl.ag != nil {
		return nil
	}
	return cl
}

// FloorOffer rings agent for call (the leader's offer res, until
// expires). An error means the call or the agent is not (or no longer)
// here.
func (c *Core) FloorOffer(call, res, agent string, expires time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ag := c.floorCallLocked(call), c.agents[agent]
	if cl == nil || ag == nil {
		return fmt.Errorf("floor offer %s of call %s to %s: %w", res, call, agent, ErrNotFound)
	}
	if cl.res != "" {
		c.floorUnofferLocked(cl, "rescinded") // the leader's latest offer counts
	}
	if err := c.floorRoomLocked(agent, cl.floorSpec); err != nil {
		return fmt.Errorf("floor offer %s of call %s: %w", res, call, err)
	}
	now := c.now()
	cl.res, cl.resAg, cl.resAt = router.ReservationID(res), ag, now
	c.byRes[cl.res] = cl
	cl.setState(stateRinging, now)
	c.notifyLocked(ag, "reservation.created", cl.reservationView(expires))
	c.ringingLocked(ag)
	c.publishLocked(events.Event{Type: events.ReservationCreated, Call: cl.id, Task: string(cl.floorTask), Agent: agent, Reservation: res, Queue: string(cl.floorSpec.Queue), Kind: cl.floorSpec.Kind.String(), From: cl.remote, To: cl.dialled})
	return nil
}

// FloorRoom says whether agent, by what it holds on this node, may be
// offered task spec (PROTOCOL §5: a queue call only at load 0, or below
// capacity where the queue allows busy agents; a direct call below
// capacity; §10: a task of another channel only without a call or a
// blocking task, which counts in the load of a call): ErrAtCapacity if
// not. The leader's router decides the floor's offers, but its view of an
// agent can lag behind the node (a node that stalled past its lease and
// came back, whose report crossed its agent's accept), and the node that
// holds the agent's calls has the last word: an offer refused here is
// rejected back to the leader.
func (c *Core) FloorRoom(agent string, spec router.Task) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.floorRoomLocked(agent, spec)
}

func (c *Core) floorRoomLocked(agent string, spec router.Task) error {
	s, ok := c.rt.Agent(router.AgentID(agent))
	if !ok {
		return nil // not in this node's router: FloorOffer finds no such agent
	}
	load := s.Load // its calls here, the floor's included, and this router's offers
	for _, o := range c.byRes {
		if o.resAg != nil && o.resAg.cfg.ID == agent && o.floorTask != "" {
			load++ // a floor offer ringing on it
		}
	}
	_, blocking := c.floorWorkLocked(agent) // its floor tasks: blocking ones count as work (§10 rule 2)
	if spec.Channel != "" {
		// A task of another channel is queue work: only for an agent that
		// holds no call and no blocking task here (§10 rules 2 and 3).
		if load > 0 || blocking > 0 {
			return fmt.Errorf("agent %s holds %d calls and %d blocking tasks: %w", agent, load, blocking, ErrAtCapacity)
		}
		return nil
	}
	load += blocking
	// A direct call, or a transfer to an agent's extension, rings a busy
	// agent below capacity.
	busyOK := spec.Kind == router.KindDirect || spec.Kind == router.KindTransfer && spec.Queue == ""
	if q, ok := c.rt.Queue(spec.Queue); ok && q.Queue.AllowBusyAgents {
		busyOK = true
	}
	if load >= s.Capacity || load > 0 && !busyOK {
		return fmt.Errorf("agent %s holds %d of %d: %w", agent, load, s.Capacity, ErrAtCapacity)
	}
	return nil
}

// FloorMoved records the queue the floor's router put a workflow call in
// (from is empty when the call was handed to the floor, or to a new term,
// else an escalation moved it from there: task.moved), the workflow step
// that queue is and since when (the call's next report keeps its place).
func (c *Core) FloorMoved(call, queue, from string, step int, since time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.floorCallLocked(call)
	if cl == nil {
		return
	}
	cl.floorSpec.Queue = router.QueueID(queue)
	cl.floorSpec.WorkflowStep, cl.floorSpec.StepSince = step, since
	if from == "" {
		c.queuedInLocked(cl, queue)
		c.poke() // its max_wait deadline
		return
	}
	cl.queue = queue
	c.publishLocked(events.Event{Type: string(router.TaskMoved), Call: cl.id, Task: string(cl.floorTask), Queue: queue, From: cl.remote, To: cl.dialled,
		Detail: map[string]any{"task": string(cl.floorTask), "from_queue": from, "to_queue": queue}})
}

// FloorWithdraw ends the floor's offer res (reason timeout, rejected,
// canceled or rescinded); the call waits on.
func (c *Core) FloorWithdraw(res, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.byRes[router.ReservationID(res)]
	if cl == nil || cl.floorTask == "" {
		return
	}
	ev := map[string]string{"timeout": events.ReservationTimeout, "rejected": events.ReservationRejected}[reason]
	if ev == "" {
		ev = events.ReservationCanceled
	}
	agent := ""
	if cl.resAg != nil { // nil: offered to an agent on another node
		agent = cl.resAg.cfg.ID
	}
	c.floorUnofferLocked(cl, reason)
	c.publishLocked(events.Event{Type: ev, Call: cl.id, Task: string(cl.floorTask), Agent: agent, Reservation: res, Queue: cl.queue, Reason: reason})
}

// FloorWithdrawAll ends every floor offer on this node (a new leader's
// term: the old term's offers are void; the calls wait for the new one).
func (c *Core) FloorWithdrawAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cl := range c.byFloor {
		if cl.res != "" {
			c.floorUnofferLocked(cl, "rescinded")
		}
	}
	c.floorTasksWithdrawAllLocked()
}

// FloorAccepted puts call on agent, whose accept of res the leader took:
// what Accept does for a call of this node's router. The agent counts the
// call in its load here too (as a call from no task).
func (c *Core) FloorAccepted(call, res, agent string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ag := c.floorCallLocked(call), c.agents[agent]
	if cl == nil || ag == nil {
		return fmt.Errorf("floor accept of call %s by %s: %w", call, agent, ErrNotFound)
	}
	now := c.now()
	delete(c.byFloor, cl.floorTask)
	cl.floorTask = ""
	if cl.res != "" {
		delete(c.byRes, cl.res)
		cl.ringDur += now.Sub(cl.resAt)
	}
	cl.res, cl.resAg = "", nil
	ch := cl.floorAcc
	cl.floorAcc = nil
	cl.markAccepted(now)
	delete(c.queued, cl)
	err := c.attachLocked(ag, cl, media.StateHeld)
	if err == nil {
		if c.rt.AddCall(router.AgentID(agent), now) == nil {
			cl.routed = true
			if cl.floorSpec.TargetExtension == "" { // a queue's call: its wrap-up (§5), as the leader's router
				cl.wrapQueue = cl.floorSpec.Queue
			}
		}
		c.startRecordingLocked(cl)
		c.activateLocked(cl)
		c.publishCallLocked(events.CallAnswered, cl)
	}
	c.notifyLocked(ag, "reservation.ended", EndedView{ID: res, Reason: "accepted"})
	c.ringingLocked(ag)
	c.notifyAgentLocked(ag)
	c.flushLocked()
	if ch != nil {
		ch <- err
	}
	return err
}

// FloorFallback gives call its fallback (reason as the router's
// task.fallback): no agent on the floor can take it.
func (c *Core) FloorFallback(call, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.floorCallLocked(call)
	if cl == nil {
		return
	}
	delete(c.byFloor, cl.floorTask)
	cl.floorTask = ""
	if cl.res != "" {
		c.floorUnofferLocked(cl, "canceled")
	}
	if reason == router.ReasonExcluded { // its agent is on another node (the floor offers locally only)
		reason = router.ReasonDisconnected
	}
	if cl.floorSpec.Kind == router.KindDirect && c.voicemailFallbackLocked(cl, router.Event{Reason: reason, Extension: cl.floorSpec.TargetExtension}) {
		return
	}
	c.fallbackLocked(cl, reason)
}

// FloorWaiting lists the calls and the tasks of other channels waiting
// for the floor (for a new term's report), by call or task id.
func (c *Core) FloorWaiting() map[string]router.Task {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]router.Task, len(c.byFloor))
	for _, cl := range c.byFloor {
		if !cl.peerIn { // the caller's node reports it
			t := cl.floorSpec
			if t.Workflow != "" { // the new term applies the workflow again, at the step it had reached
				t.Queue = ""
			}
			out[cl.id] = t
		}
	}
	c.floorTasksWaitingLocked(out)
	return out
}

// floorQueueLocked adds this node's calls waiting for the floor in queue
// id to its view (they are not in the core's own router).
func (c *Core) floorQueueLocked(id string, v *view.Queue, oldest *time.Time) {
	for _, cl := range c.byFloor {
		if string(cl.floorSpec.Queue) != id || cl.peerIn {
			continue
		}
		if cl.res != "" {
			v.Offered++
			continue
		}
		v.Waiting++
		if oldest.IsZero() || cl.arrived.Before(*oldest) {
			*oldest = cl.arrived
		}
	}
}

// floorAcceptLocked sends an agent's accept of a floor offer to the leader;
// Accept waits for the leader's answer (floorAcceptWait).
func (c *Core) floorAcceptLocked(ag *agentRT, cl *call, res string) (*call, view.Call, bool, error) {
	if cl.floorAcc != nil {
		return nil, view.Call{}, false, fmt.Errorf("reservation %s: accept already sent: %w", res, ErrState)
	}
	ch := make(chan error, 1)
	cl.floorAcc = ch
	c.cfg.Floor.Accept(ag.cfg.ID, res)
	return cl, view.Call{}, false, floorWait{cl: cl, ch: ch}
}

// floorAcceptWait waits for the leader's answer to an accept (at most 5 s).
func (c *Core) floorAcceptWait(ctx context.Context, fw floorWait) (*call, view.Call, bool, error) {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	var err error
	select {
	case err = <-fw.ch:
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = errors.New("the floor did not answer the accept")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if fw.cl.floorAcc == fw.ch {
			fw.cl.floorAcc = nil
		}
		return nil, view.Call{}, false, err
	}
	return fw.cl, fw.cl.view(), !fw.cl.answered, nil
}
