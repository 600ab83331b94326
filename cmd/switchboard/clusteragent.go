package main

import (
	"context"
	"time"

	"switchboard/cluster"
	"switchboard/events"
)

// An agent's activity follows it from node to node (PROTOCOL §13,
// cluster.Bus.PutActivity): the node it is logged in on keeps each change
// in Redis, and the node it logs in on next gives it that activity before
// it connects (agent.Config.LastActivity), also after its node died; the
// calls it lost with a dead node are told to it at its next login.

// activityWait bounds the read of an agent's last activity at login.
const activityWait = 500 * time.Millisecond

// lastActivity is agent's last activity on any node (false: none known,
// or Redis did not answer in time; logged).
func (n *clusterNode) lastActivity(ctx context.Context, agent string) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, activityWait)
	defer cancel()
	act, ok, err := n.bus.Activity(ctx, agent)
	if err != nil {
		n.log.Warn("cluster: the agent's last activity unread; it keeps this node's", "agent_id", agent, "err", err)
	}
	return act, ok
}

// keepActivity keeps the activity of an agent logged in here, on each
// change (e: this node's event).
func (fl *floorLink) keepActivity(ctx context.Context, e events.Event) {
	if e.Type != events.AgentActivity || e.Agent == "" {
		return
	}
	for _, a := range fl.src.core.State().Agents {
		if a.ID == e.Agent && a.Connected {
			if err := fl.bus.PutActivity(ctx, a.ID, a.Activity); err != nil && ctx.Err() == nil {
				fl.log.Warn("cluster: the agent's activity not kept", "agent_id", a.ID, "err", err)
			}
			return
		}
	}
}

// tellLost tells an agent that just logged in here of the calls it lost
// with a node that died (kept in Redis by the term that took that node's
// ledger: cluster.Floor.Told), whichever term leads now.
func (fl *floorLink) tellLost(ctx context.Context, e events.Event) {
	if e.Type != "agent.login" || e.Agent == "" {
		return
	}
	calls, err := fl.bus.TakeTold(ctx, e.Agent)
	if err != nil && ctx.Err() == nil {
		fl.log.Warn("cluster: the agent's lost calls unread", "agent_id", e.Agent, "err", err)
	}
	for _, call := range calls {
		fl.src.core.NotifyCallEnded(e.Agent, call, cluster.ReasonNodeLost)
	}
}
