package cluster

import (
	"slices"
	"strings"
	"time"

	"switchboard/router"
)

// maxTold bounds the lost calls one CallsLost keeps for Told.
const maxTold = 4096

// Told is a lost call to tell its agent at its next login, on whichever
// node (Bus.PushTold): Call is the id the agent knew it by.
type Told struct {
	Agent, Call string
}

// NodeLost ends what lived on a node that died: its agents are
// disconnected (their offers withdrawn, their queue calls offered to
// others), its waiting calls are cancelled, each call bridged between it
// and a surviving node ends with a DecNodeLost to the survivor, and the
// calls that lived on it alone end (their agents' load is released).
// Those are reported with CallsLost, from the node's ledger.
func (f *Floor) NodeLost(node string, now time.Time) {
	f.advanceRebuild(now)
	if f.expect != nil {
		delete(f.expect, node)
		if len(f.expect) == 0 {
			f.endRebuild(now)
		}
	}
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
		case p.node == node && tn == node: // reported from the ledger
		case p.node == node:
			lost(tn, string(id), p.agent)
		default:
			lost(p.node, string(id), p.agent)
		}
		_ = f.rt.CallEnded(id, now) // an error means the router no longer holds it: the state this wants
	}
	for _, id := range sortedKeys(f.calls) {
		c := f.calls[id]
		if c.agentNode != node && c.taskNode != node {
			continue
		}
		switch {
		case c.agentNode == node && c.taskNode == node: // reported from the ledger
		case c.agentNode == node:
			lost(c.taskNode, id, c.agent)
		default:
			lost(c.agentNode, id, c.agent)
		}
		delete(f.calls, id)
		_ = f.rt.EndCall(c.agent, now) // likewise: an agent the router has no call for is already done
	}
	for _, id := range sortedKeys(f.taskNode) {
		if f.taskNode[id] == node {
			_ = f.rt.CancelTask(id, now) // waiting or offered
		}
	}
	for _, id := range sortedKeys(f.agentNode) {
		if f.agentNode[id] == node {
			_ = f.rt.SetConnected(id, false, now) // an agent the router lost meanwhile is no less disconnected
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

// CallsLost reports the calls that lived on node, which died (its ledger,
// PutCall), to every surviving node (DecLost; the first stores the
// record), and tells each agent of its call: at once (DecLost with Tell)
// when it is logged in on another node already, else at its next login
// (Told: the Leader keeps them in Redis, so any term's node tells it).
// A call bridged between node and another node is reported by the
// caller's node (the agent's half, Info.CallerNode, is only told to its
// agent) and told by the agent's node (the caller's half, Info.AgentNode,
// is not told).
func (f *Floor) CallsLost(node string, calls []LostCall) {
	survivors := slices.DeleteFunc(sortedKeys(f.reported), func(n string) bool { return n == node })
	slices.SortFunc(calls, func(a, b LostCall) int { return strings.Compare(a.ID, b.ID) })
	for _, c := range calls {
		info := c.Info
		d := Decision{Type: DecLost, Token: f.token, Task: c.ID, Agent: c.Agent, Node: node, Call: &info, Reason: ReasonNodeLost}
		if info.CallerNode == "" || info.CallerNode == node {
			for i, s := range survivors {
				d.To, d.Record = s, i == 0
				f.out = append(f.out, d)
			}
		}
		agent := router.AgentID(c.Agent)
		if agent == "" || info.AgentNode != "" && info.AgentNode != node {
			continue
		}
		if n := f.agentNode[agent]; n != "" && n != node {
			d.To, d.Record, d.Tell = n, false, true
			f.out = append(f.out, d)
		} else if len(f.told) < maxTold {
			f.told = append(f.told, Told{Agent: c.Agent, Call: strings.TrimPrefix(c.ID, node+"/")})
		}
	}
}

// Told returns (and forgets) the lost calls CallsLost left to tell their
// agents at their next login.
func (f *Floor) Told() []Told {
	t := f.told
	f.told = nil
	return t
}
