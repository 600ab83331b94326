package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"switchboard/agent"
	"switchboard/cluster"
	"switchboard/router"
	"switchboard/store"
	"switchboard/view"
)

// floorQueue bounds the facts the core has handed to the floor and the
// floor link has not sent yet.
const floorQueue = 4096

// floorHook is the core's agent.FloorRouter with -cluster: the core's
// calls and tasks for the floor, and its agents' answers to the floor's
// offers, become facts for the leader. It is called under the core's lock, so it only
// queues them; the floor link sends them in order (run).
type floorHook struct {
	node string
	ch   chan cluster.Fact
	log  *slog.Logger

	mu     sync.Mutex
	routed map[string]bool // calls (floor ids) handed to the floor and not ended
}

func newFloorHook(node string, log *slog.Logger) *floorHook {
	return &floorHook{node: node, ch: make(chan cluster.Fact, floorQueue), log: log, routed: map[string]bool{}}
}

func (h *floorHook) put(f cluster.Fact) {
	select {
	case h.ch <- f:
	default: // the next term's report repairs the floor
		h.log.Warn("cluster: fact queue full; fact dropped", "type", f.Type)
	}
}

// Task implements agent.FloorRouter: the call waits in queue t.Queue.
func (h *floorHook) Task(call string, t router.Task) {
	id := h.node + "/" + call
	if t.Channel != "" { // a task of another channel: no call.ended ends it
		h.put(cluster.Fact{Type: cluster.FactTask, Task: taskFact(id, t)})
		return
	}
	h.mu.Lock()
	again := h.routed[id]
	h.routed[id] = true
	h.mu.Unlock()
	if again { // queued again (its agent's session dropped): its floor task ends first
		h.put(cluster.Fact{Type: cluster.FactEnded, Task: &cluster.TaskFact{ID: id}})
	}
	h.put(cluster.Fact{Type: cluster.FactTask,
		Task: taskFact(id, t)})
}

// taskFact is t for the floor, as id.
func taskFact(id string, t router.Task) *cluster.TaskFact {
	return &cluster.TaskFact{ID: id, Kind: t.Kind.String(), Queue: string(t.Queue), Extension: t.TargetExtension, Workflow: string(t.Workflow),
		Priority: t.Priority, Arrived: t.Arrived, Channel: t.Channel, NonBlocking: t.NonBlocking, Exclude: excluded(t.Exclude), Attributes: t.Attributes,
		Step: t.WorkflowStep, StepSince: t.StepSince}
}

// excluded is a task's excluded agents for its fact (a transfer's: the
// agent who transferred it).
func excluded(ids []router.AgentID) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// Cancel implements agent.FloorRouter.
func (h *floorHook) Cancel(call string) {
	h.put(cluster.Fact{Type: cluster.FactCancel, Task: &cluster.TaskFact{ID: h.node + "/" + call}})
}

// Ended implements agent.FloorRouter: task is this node's, or already the
// floor's id of another node's task ("<node>/<id>").
func (h *floorHook) Ended(task string) {
	if !strings.Contains(task, "/") {
		task = h.node + "/" + task
	}
	h.put(cluster.Fact{Type: cluster.FactEnded, Task: &cluster.TaskFact{ID: task}})
}

// Accept implements agent.FloorRouter.
func (h *floorHook) Accept(agent, res string) {
	h.put(cluster.Fact{Type: cluster.FactAccept, Agent: agent, Reservation: res})
}

// Reject implements agent.FloorRouter.
func (h *floorHook) Reject(agent, res string) {
	h.put(cluster.Fact{Type: cluster.FactReject, Agent: agent, Reservation: res})
}

// isRouted reports whether the floor routes the call (floor id); ended
// forgets it.
func (h *floorHook) isRouted(id string, ended bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.routed[id]
	if ended {
		delete(h.routed, id)
	}
	return r
}

// floorCore is what the floor link drives in the core.
type floorCore interface {
	FloorOffer(call, res, agent string, expires time.Time) error
	FloorRoom(agent string, spec router.Task) error
	FloorMoved(call, queue, from string, step int, since time.Time)
	FloorTaskOffer(task, res, agent string, ring bool, expires time.Time, spec store.Task) error
	FloorTaskWithdraw(task, res, reason string)
	FloorTaskAccepted(task, res, agent string, here bool) error
	FloorTaskDone(task, reason string)
	FloorTaskMoved(task, queue, from string, step int, since time.Time)
	FloorWithdraw(res, reason string)
	FloorWithdrawAll()
	FloorAccepted(call, res, agent string) error
	FloorFallback(call, reason string)
	FloorWaiting() map[string]router.Task
	FloorHeld() map[string][]router.Task
	FloorOfferRemote(call, res string, dial agent.PeerDial) error
	FloorBridged(call, res, agentID string) error
	FloorInbound(ctx context.Context, tc agent.TrunkCall, res, agentID string, expires time.Time, spec router.Task, started func(id string))
	FloorOrigin(call string, o agent.FloorOrigin) error
	EndCall(call, reason string) error
	SetActivity(agent, activity string) (view.Agent, error)
}

// route acts on the leader's routing decisions for this node's calls and
// agents; those of a call between two nodes go to routePeer.
func (fl *floorLink) route(d cluster.Decision) {
	switch d.Type {
	case cluster.DecOffer, cluster.DecWithdraw, cluster.DecAccepted, cluster.DecDone, cluster.DecFallback, cluster.DecMoved:
		if d.Channel != "" {
			fl.routeWork(d) // a task of another channel (clusterwork.go)
			return
		}
	}
	core := fl.src.core
	call := strings.TrimPrefix(d.Task, fl.node+"/")
	here := d.AgentNode == fl.node && d.TaskNode == fl.node
	if d.AgentNode != "" && d.TaskNode != "" && !here {
		switch d.Type {
		case cluster.DecOffer, cluster.DecWithdraw, cluster.DecAccepted:
			fl.routePeer(d) // clusterpeer.go
			return
		}
	}
	switch d.Type {
	case cluster.DecHello:
		core.FloorWithdrawAll() // the older terms' offers are void
	case cluster.DecOffer:
		if err := core.FloorOffer(call, d.Reservation, d.Agent, d.Expires); err != nil {
			fl.log.Info("cluster: offer not delivered", "task", d.Task, "err", err)
			fl.hook.Reject(d.Agent, d.Reservation)
		}
	case cluster.DecWithdraw:
		core.FloorWithdraw(d.Reservation, d.Reason)
	case cluster.DecAccepted:
		if err := core.FloorAccepted(call, d.Reservation, d.Agent); err != nil {
			fl.log.Info("cluster: accepted call not bridged", "task", d.Task, "err", err) // its call.ended frees the agent
		}
	case cluster.DecMoved:
		core.FloorMoved(call, d.Queue, d.FromQueue, d.Step, d.Since)
	case cluster.DecFallback:
		core.FloorFallback(call, d.Reason)
	case cluster.DecActivity:
		if _, err := core.SetActivity(d.Agent, d.Activity); err != nil {
			fl.log.Info("cluster: activity not set", "agent_id", d.Agent, "err", err)
		}
	}
}

// waiting is this node's calls waiting for the floor, for a report.
func (fl *floorLink) waiting() []cluster.TaskFact {
	ws := fl.src.core.FloorWaiting()
	out := make([]cluster.TaskFact, 0, len(ws))
	for call, t := range ws {
		out = append(out, *taskFact(fl.callID(call), t))
	}
	return out
}

// held is the floor tasks of other channels this node's agents hold, for
// a report: by agent, each with the node that owns it.
func (fl *floorLink) held() map[string][]cluster.TaskReport {
	out := map[string][]cluster.TaskReport{}
	for agent, ts := range fl.src.core.FloorHeld() {
		for _, t := range ts {
			id := string(t.ID)
			if !strings.Contains(id, "/") { // this node's own task
				id = fl.callID(id)
			}
			out[agent] = append(out[agent], cluster.TaskReport{TaskFact: *taskFact(id, t), Node: nodeOf(id)})
		}
	}
	return out
}
