package main

import (
	"context"
	"strings"
	"time"

	"switchboard/cluster"
	"switchboard/events"
	"switchboard/store"
	"switchboard/view"
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
	outcome := "answered:" + cluster.ReasonNodeLost
	if info.Answered.IsZero() { // it waited for an agent
		wait, talk, outcome = now.Sub(started).Seconds(), 0, cluster.ReasonNodeLost
	}
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
		StartedAt: started, EndedAt: now, WaitSeconds: wait, TalkSeconds: talk, Outcome: outcome,
	}
	go func() { // act must not block on the store
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := fl.src.cfg.AppendRecord(ctx, rec); err != nil {
			fl.log.Warn("call record not stored", "call", rec.Call, "err", err)
		}
	}()
}

// ledger keeps this node's live calls in its ledger in Redis (the
// leader that outlives the node reports them: cluster.Bus.PutCall).
func (fl *floorLink) ledger(ctx context.Context, e events.Event) {
	var err error
	switch {
	case e.Type == events.CallAnswered && e.Agent != "" && e.Call != "":
		info := cluster.CallInfo{Queue: e.Queue, Kind: e.Kind, From: e.From, To: e.To, Started: e.At, Answered: e.At}
		if cv, ok := fl.liveCall(e.Call); ok {
			info.Started = parseTime(cv.StartedAt, e.At)
		}
		if f, leg := fl.peers.leg(e.Call); leg { // the agent's half: the caller's node reports it
			info.CallerNode = nodeOf(f)
		}
		info.AgentNode = fl.peers.bridgedTo(e.Call) // the caller's half: the agent's node ends its own
		err = fl.bus.PutCall(ctx, fl.node, cluster.LostCall{ID: fl.callID(e.Call), Agent: e.Agent, Info: info})
	case e.Type == events.CallEnded && e.Call != "" && e.Detail[lostNodeKey] == nil:
		err = fl.bus.DelCall(ctx, fl.node, fl.callID(e.Call))
	}
	if err != nil && ctx.Err() == nil {
		fl.log.Warn("cluster: call ledger", "call", e.Call, "err", err)
	}
}

// sendHook sends a fact the core queued; a call handed to the floor goes
// into the ledger first (waiting, no agent).
func (fl *floorLink) sendHook(ctx context.Context, f cluster.Fact) {
	if f.Type == cluster.FactTask && f.Task != nil {
		from, _ := f.Task.Attributes["from"].(string)
		to, _ := f.Task.Attributes["to"].(string)
		c := cluster.LostCall{ID: f.Task.ID, Info: cluster.CallInfo{Queue: f.Task.Queue, Kind: f.Task.Kind, Started: f.Task.Arrived, From: from, To: to}}
		if err := fl.bus.PutCall(ctx, fl.node, c); err != nil && ctx.Err() == nil {
			fl.log.Warn("cluster: call ledger", "call", c.ID, "err", err)
		}
	}
	fl.send(ctx, f)
}

// ownLost reports the calls this node's ledger still holds from its last
// run (they died with it), before it joins the floor.
func (fl *floorLink) ownLost(ctx context.Context) {
	calls, err := fl.bus.TakeCalls(ctx, fl.node, 0)
	if err != nil {
		fl.log.Warn("cluster: own call ledger unreadable", "err", err)
	}
	for _, c := range calls {
		info := c.Info
		fl.lost(cluster.Decision{Type: cluster.DecLost, Task: c.ID, Agent: c.Agent, Node: fl.node, Call: &info, Record: true, Reason: cluster.ReasonNodeLost})
	}
}

// liveCall is this node's live call id, if any.
func (fl *floorLink) liveCall(id string) (view.Call, bool) {
	for _, c := range fl.src.core.State().Calls {
		if c.ID == id {
			return c, true
		}
	}
	return view.Call{}, false
}

// parseTime reads a wire time (events.TimeFormat), or def.
func parseTime(s string, def time.Time) time.Time {
	t, err := time.Parse(events.TimeFormat, s)
	if err != nil {
		return def
	}
	return t
}
