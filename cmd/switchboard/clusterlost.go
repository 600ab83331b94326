package main

import (
	"context"
	"strings"
	"time"

	"switchboard/agent"
	"switchboard/cluster"
	"switchboard/events"
	"switchboard/store"
)

// lostNodeKey is the Detail key of a call.ended that reports a call of a
// node that died (its value: that node's id).
const lostNodeKey = "lost_node"

// lost reports a call that lived on a node that died (PROTOCOL §13): this
// node's event hub gets its call.ended with reason node_lost (the admin
// consoles and supervisors here see it), the node chosen by the leader
// stores its call record, and with Tell the agent, logged in here again,
// is told its call ended.
func (fl *floorLink) lost(d cluster.Decision) {
	if d.Tell {
		// The agent knew the call by its id on the dead node.
		fl.src.core.NotifyCallEnded(d.Agent, strings.TrimPrefix(d.Task, d.Node+"/"), cluster.ReasonNodeLost)
		return
	}
	info := cluster.CallInfo{}
	if d.Call != nil {
		info = *d.Call
	}
	now := time.Now()
	started, answered := info.Started, info.Answered
	if started.IsZero() {
		started = now
	}
	if answered.IsZero() {
		answered = started
	}
	wait, talk := answered.Sub(started).Seconds(), now.Sub(answered).Seconds()
	var zero float64
	fl.hub.Publish(events.Event{
		Type: events.CallEnded, At: now, Call: d.Task, Agent: d.Agent, Queue: info.Queue, Kind: info.Kind,
		From: info.From, To: info.To, Reason: cluster.ReasonNodeLost,
		WaitSeconds: &wait, RingSeconds: &zero, TalkSeconds: &talk, HoldSeconds: &zero, ParkSeconds: &zero,
		Detail: map[string]any{lostNodeKey: d.Node},
	})
	fl.log.Info("call ended", "call", d.Task, "reason", cluster.ReasonNodeLost, "agent_id", d.Agent, "lost_node", d.Node)
	if !d.Record {
		return
	}
	dir := "inbound"
	if info.Kind == "outbound" {
		dir = "outbound"
	}
	rec := store.CallRecord{
		Call: d.Task, Agent: d.Agent, Queue: info.Queue, Kind: info.Kind, Direction: dir, From: info.From, To: info.To,
		StartedAt: started, EndedAt: now, WaitSeconds: wait, TalkSeconds: talk, Outcome: "answered:" + cluster.ReasonNodeLost,
	}
	go func() { // act must not block on the store
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := fl.src.cfg.AppendRecord(ctx, rec); err != nil {
			fl.log.Warn("call record not stored", "call", rec.Call, "err", err)
		}
	}()
}

// liveCall is this node's live call id, if any.
func (fl *floorLink) liveCall(id string) (agent.CallView, bool) {
	for _, c := range fl.src.core.State().Calls {
		if c.ID == id {
			return c, true
		}
	}
	return agent.CallView{}, false
}

// callInfo is what the floor keeps of a live call of this node.
func callInfo(c agent.CallView) *cluster.CallInfo {
	return &cluster.CallInfo{Queue: c.Queue, Kind: c.Kind, From: c.Remote, Started: parseTime(c.StartedAt, time.Time{}),
		Answered: parseTime(c.AnsweredAt, time.Time{})}
}

// parseTime reads a wire time (events.TimeFormat), or def.
func parseTime(s string, def time.Time) time.Time {
	t, err := time.Parse(events.TimeFormat, s)
	if err != nil {
		return def
	}
	return t
}
