package cluster

import (
	"slices"
	"time"

	"switchboard/router"
)

// maxTold bounds the lost calls kept per agent until it logs in again.
const maxTold = 16

// NodeLost ends what lived on a node that died: its agents are
// disconnected (their offers withdrawn, their queue calls offered to
// others), its waiting calls are cancelled, each call bridged between it
// and a surviving node ends with a DecNodeLost to the survivor, and each
// call that lived on it alone is reported to every surviving node
// (DecLost, one of them storing its record). An agent of the dead node is
// told of its lost calls (DecLost with Tell) on the node it logs in on
// again, in this term.
func (f *Floor) NodeLost(node string, now time.Time) {
	f.advanceRebuild(now)
	if f.expect != nil {
		delete(f.expect, node)
		if len(f.expect) == 0 {
			f.endRebuild(now)
		}
	}
	survivors := slices.DeleteFunc(sortedKeys(f.reported), func(n string) bool { return n == node })
	lost := func(to, call string, agent router.AgentID) {
		if to != node {
			f.out = append(f.out, Decision{Type: DecNodeLost, Token: f.token, To: to, Task: call, Agent: string(agent), Reason: ReasonNodeLost})
		}
	}
	for _, id := range sortedKeys(f.accepted) {
		p := f.accepted[id]
		tn := f.taskNode[id]
		if p.node != node && tn != node {
			continue
		}
		switch {
		case p.node == node && tn == node:
			f.gone(node, string(id), p.agent, f.taskInfo[id], survivors)
		case p.node == node:
			lost(tn, string(id), p.agent)
		default:
			lost(p.node, string(id), p.agent)
		}
		_ = f.rt.CallEnded(id, now)
	}
	for _, id := range sortedKeys(f.calls) {
		c := f.calls[id]
		if c.agentNode != node && c.taskNode != node {
			continue
		}
		switch {
		case c.agentNode == node && c.taskNode == node:
			f.gone(node, id, c.agent, c.info, survivors)
		case c.agentNode == node:
			lost(c.taskNode, id, c.agent)
		default:
			lost(c.agentNode, id, c.agent)
		}
		delete(f.calls, id)
		_ = f.rt.EndCall(c.agent, now)
	}
	for _, id := range sortedKeys(f.taskNode) {
		if f.taskNode[id] == node {
			_ = f.rt.CancelTask(id, now) // waiting or offered
		}
	}
	for _, id := range sortedKeys(f.agentNode) {
		if f.agentNode[id] == node {
			_ = f.rt.SetConnected(id, false, now)
		}
	}
	f.drain()
	f.out = slices.DeleteFunc(f.out, func(d Decision) bool { return d.To == node }) // nobody there to act
	for id, n := range f.agentNode {
		if n == node {
			delete(f.agentNode, id)
		}
	}
	delete(f.reported, node)
}

// gone reports call, which lived on node alone, to every survivor (the
// first stores its record) and keeps it for its agent's next login (or
// tells the agent at once when it is already logged in elsewhere).
func (f *Floor) gone(node, call string, agent router.AgentID, info *CallInfo, survivors []string) {
	d := Decision{Type: DecLost, Token: f.token, Task: call, Agent: string(agent), Node: node, Call: info, Reason: ReasonNodeLost}
	for i, s := range survivors {
		d.To, d.Record = s, i == 0
		f.out = append(f.out, d)
	}
	d.To, d.Record, d.Tell = "", false, true
	if len(f.told[agent]) < maxTold {
		f.told[agent] = append(f.told[agent], d)
	}
	if n := f.agentNode[agent]; n != "" && n != node {
		f.tell(agent, n)
	}
}

// tell sends agent's lost calls to the node it is logged in on.
func (f *Floor) tell(agent router.AgentID, node string) {
	for _, d := range f.told[agent] {
		d.To = node
		f.out = append(f.out, d)
	}
	delete(f.told, agent)
}
