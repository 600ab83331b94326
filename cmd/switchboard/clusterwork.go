package main

import (
	"strings"

	"switchboard/cluster"
	"switchboard/store"
)

// routeWork acts on the leader's decisions about a task of another channel
// (PROTOCOL §10, agent/floortask.go): this node's own task (task.get, its
// record) and its agent's side, the mirror of another node's task its
// agent is offered or holds. Nothing is bridged: a task is no call.
func (fl *floorLink) routeWork(d cluster.Decision) {
	core := fl.src.core
	task := d.Task // another node's: the mirror's floor id
	if d.TaskNode == fl.node {
		task = strings.TrimPrefix(d.Task, fl.node+"/")
	}
	here := d.AgentNode == fl.node
	switch d.Type {
	case cluster.DecOffer:
		spec := workOf(d.Spec)
		if d.Queue != "" { // a workflow task's: the queue it was offered from
			spec.Queue = d.Queue
		}
		if err := core.FloorTaskOffer(task, d.Reservation, d.Agent, here, d.Expires, spec); err != nil {
			fl.log.Info("cluster: task offer not delivered", "task", d.Task, "err", err)
			if here {
				fl.hook.Reject(d.Agent, d.Reservation)
			}
		}
	case cluster.DecWithdraw:
		core.FloorTaskWithdraw(task, d.Reservation, d.Reason)
	case cluster.DecAccepted:
		if err := core.FloorTaskAccepted(task, d.Reservation, d.Agent, here); err != nil {
			fl.log.Info("cluster: accepted task not assigned", "task", d.Task, "err", err)
		}
	case cluster.DecDone, cluster.DecFallback:
		core.FloorTaskDone(task, d.Reason)
	case cluster.DecMoved:
		core.FloorTaskMoved(task, d.Queue, d.FromQueue, d.Step, d.Since)
	}
}

// workOf is the task an offer carries, as its agent's node shows it.
func workOf(f *cluster.TaskFact) store.Task {
	if f == nil {
		return store.Task{}
	}
	_, id, _ := strings.Cut(f.ID, "/")
	return store.Task{ID: id, Channel: f.Channel, Attributes: f.Attributes, Queue: f.Queue, Workflow: f.Workflow,
		Priority: f.Priority, BlockAgent: !f.NonBlocking, CreatedAt: f.Arrived}
}
