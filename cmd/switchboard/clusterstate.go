package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"switchboard/cluster"
	"switchboard/events"
	"switchboard/store"
	"switchboard/view"
)

// The whole floor in `state` and `stats`, whichever node serves them
// (PROTOCOL §13). Each node publishes its part of the floor in Redis
// (cluster.Bus.PutPart): what its own core's state shows (its calls, its
// queues' counts, its agents' live fields), and which of its calls are
// legs of a caller on another node. The part lives as long as the node's
// presence heartbeat (the lease), so a dead node's part goes with it. A
// node serving `state` merges its own fresh state with the published
// parts of the other live nodes (mergeFloor); `stats` counts that merged
// floor (and the shared store's records).

const (
	// A changed part is published again after partCost times what the
	// last one cost to build (reading the state, encoding it), so that
	// building parts takes at most 1/partCost of a core, and at least
	// partMinEvery, at most partMaxEvery after the last one.
	partCost     = 25
	partMinEvery = 50 * time.Millisecond
	partMaxEvery = time.Second
	// maxPartCalls bounds the calls one part lists (a node carries about
	// a thousand); the rest are counted in floorPart.Dropped.
	maxPartCalls = 4096
	// partsWait bounds the read of the other nodes' parts for a `state`.
	partsWait = time.Second
)

// floorPart is one node's part of the floor, as it publishes it.
type floorPart struct {
	Node  string     `json:"node"`
	At    time.Time  `json:"at"`
	State view.Floor `json:"state"` // its core's state; calls without quality, agents without calls
	// AgentCalls are each agent's calls (ids in State.Calls), so that a
	// call is encoded once.
	AgentCalls map[string][]string `json:"agent_calls,omitempty"`
	// Legs are its calls that are the agent's half of a call whose caller
	// is on another node: call id here → the caller's floor id
	// (<node>/<call id>).
	Legs    map[string]string `json:"legs,omitempty"`
	Dropped int               `json:"dropped,omitempty"` // calls left out past maxPartCalls
}

// part is this node's part now (own: the state just read).
func (fl *floorLink) part(own view.Floor, now time.Time) floorPart {
	fl.peers.mu.Lock()
	legs := maps.Clone(fl.peers.legs)
	fl.peers.mu.Unlock()
	p := floorPart{Node: fl.node, At: now, State: own, Legs: legs}
	p.State.Cluster = nil
	if n := len(p.State.Calls); n > maxPartCalls {
		p.State.Calls, p.Dropped = p.State.Calls[:maxPartCalls], n-maxPartCalls
	}
	return p
}

// encode is p as published: each agent's calls by id (AgentCalls), every
// call without its quality (the node's own console and records have it).
func (p floorPart) encode() ([]byte, error) {
	p.State.Agents = slices.Clone(p.State.Agents)
	p.State.Calls = slices.Clone(p.State.Calls)
	for i := range p.State.Calls {
		p.State.Calls[i].Quality = nil
	}
	for i := range p.State.Agents {
		a := &p.State.Agents[i]
		if len(a.Calls) > 0 {
			if p.AgentCalls == nil {
				p.AgentCalls = map[string][]string{}
			}
			for _, c := range a.Calls {
				p.AgentCalls[a.ID] = append(p.AgentCalls[a.ID], c.ID)
			}
		}
		a.Calls = nil
	}
	return json.Marshal(p)
}

// decodePart reads a published part back (agents with their calls).
func decodePart(js []byte) (floorPart, error) {
	var p floorPart
	if err := json.Unmarshal(js, &p); err != nil {
		return p, err
	}
	byID := make(map[string]view.Call, len(p.State.Calls))
	for _, c := range p.State.Calls {
		byID[c.ID] = c
	}
	for i := range p.State.Agents {
		a := &p.State.Agents[i]
		a.Calls = []view.Call{}
		for _, id := range p.AgentCalls[a.ID] {
			if c, ok := byID[id]; ok { // not when dropped past maxPartCalls
				a.Calls = append(a.Calls, c)
			}
		}
	}
	p.AgentCalls = nil
	return p, nil
}

// publishParts publishes this node's part when it changed (a signal on
// changed; paced by partEvery) and every ttl/3 (its time to live is ttl,
// as the presence heartbeat's) until ctx ends.
func (fl *floorLink) publishParts(ctx context.Context, changed <-chan struct{}, ttl time.Duration) {
	refresh := time.NewTicker(ttl / 3)
	defer refresh.Stop()
	pace := time.NewTimer(0)
	defer pace.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-refresh.C:
		}
		began := time.Now()
		js, err := fl.part(fl.src.core.State(), began).encode()
		cost := time.Since(began)
		if err == nil {
			err = fl.bus.PutPart(ctx, fl.node, js, ttl)
		}
		if err != nil && ctx.Err() == nil {
			fl.log.Warn("cluster: floor part not published", "err", err)
		}
		pace.Reset(partEvery(cost))
		select {
		case <-ctx.Done():
			return
		case <-pace.C:
		}
	}
}

// partEvery is the pause after a publication that cost took.
func partEvery(cost time.Duration) time.Duration {
	return min(max(partCost*cost, partMinEvery), partMaxEvery)
}

// floorState is the whole floor for `state`: own (this node's core's
// state) merged with the other live nodes' published parts. On a Redis
// error it is own alone (logged).
func (n *clusterNode) floorState(own view.Floor) view.Floor {
	n.mu.Lock()
	link := n.link
	nodes := make([]string, 0, len(n.view.Nodes))
	for _, p := range n.view.Nodes {
		if p.ID != n.cfg.NodeID {
			nodes = append(nodes, p.ID)
		}
	}
	n.mu.Unlock()
	if link == nil {
		return own
	}
	now := time.Now()
	parts := []floorPart{link.part(own, now)}
	ctx, cancel := context.WithTimeout(context.Background(), partsWait)
	defer cancel()
	got, err := link.bus.Parts(ctx, nodes)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			n.log.Warn("state: other nodes' parts of the floor unread", "err", err)
		}
		return mergeFloor(parts, now)
	}
	for _, id := range nodes {
		js, ok := got[id]
		if !ok {
			continue
		}
		p, err := decodePart(js)
		if err != nil || p.Node != id {
			n.log.Warn("state: a node's part of the floor unreadable", "node", id, "err", err)
			continue
		}
		parts = append(parts, p)
	}
	return mergeFloor(parts, now)
}

// mergeFloor is the whole floor from every node's part, at now. The
// configuration (agents, queues) is the first part's, with any agent or
// queue only another part has added. Every call is stamped with its node.
// A call bridged between two nodes is listed once: the caller's call (its
// id and node, arrival, number, queue) with the agent's side of it from
// its leg on the agent's node (state, agent, mute, hold, recording); a leg
// whose caller's part is missing stands alone. An agent's live fields
// (activity, connected, wrap-up) are those of the node it is logged in
// on, or else of one where it holds calls; its calls, reservations and
// load are summed over the nodes. A queue's waiting, offered, idle and
// busy counts are summed, its longest wait is the oldest of all. Parked
// calls and tasks are listed from every node, each task stamped with its
// node.
func mergeFloor(parts []floorPart, now time.Time) view.Floor {
	out := view.Floor{Agents: []view.FloorAgent{}, Queues: []view.Queue{}, Calls: []view.Call{}, Parked: []view.Parked{}, Tasks: []store.Task{}}
	at := map[string]int{}           // floor id → index in out.Calls
	merged := map[string]view.Call{} // a leg's floor id → the call it is listed as
	for _, p := range parts {
		for _, c := range p.State.Calls {
			if _, leg := p.Legs[c.ID]; !leg {
				c.Node = p.Node
				at[p.Node+"/"+c.ID] = len(out.Calls)
				out.Calls = append(out.Calls, c)
			}
		}
	}
	for _, p := range parts {
		for _, c := range p.State.Calls {
			f, leg := p.Legs[c.ID]
			if !leg {
				continue
			}
			c.Node = p.Node
			i, ok := at[f]
			if !ok {
				out.Calls = append(out.Calls, c)
				merged[p.Node+"/"+c.ID] = c
				continue
			}
			m := out.Calls[i]
			m.State, m.Muted, m.Agent, m.Supervisor, m.Recording, m.HeldAt = c.State, c.Muted, c.Agent, c.Supervisor, c.Recording, c.HeldAt
			m.AnsweredAt = cmp.Or(m.AnsweredAt, c.AnsweredAt)
			out.Calls[i] = m
			merged[p.Node+"/"+c.ID] = m
		}
	}
	slices.SortFunc(out.Calls, func(a, b view.Call) int { return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.ID, b.ID)) })
	out.Agents = mergeAgents(parts, merged)
	out.Queues = mergeQueues(parts, now)
	for _, p := range parts {
		out.Parked = append(out.Parked, p.State.Parked...)
		for _, t := range p.State.Tasks {
			t.Node = p.Node
			out.Tasks = append(out.Tasks, t)
		}
	}
	return out
}

// mergeAgents is mergeFloor's agents (merged: the calls legs are listed as).
func mergeAgents(parts []floorPart, merged map[string]view.Call) []view.FloorAgent {
	out := []view.FloorAgent{}
	at := map[string]int{}
	for _, p := range parts {
		for _, a := range p.State.Agents {
			calls := make([]view.Call, 0, len(a.Calls))
			for _, c := range a.Calls {
				if m, ok := merged[p.Node+"/"+c.ID]; ok {
					c = m
				} else {
					c.Node = p.Node
				}
				calls = append(calls, c)
			}
			res := make([]view.Reservation, 0, len(a.Reservations))
			for _, r := range a.Reservations {
				if m, ok := merged[p.Node+"/"+r.Call]; ok {
					r.Call = m.ID
				}
				res = append(res, r)
			}
			a.Calls, a.Reservations = calls, res
			live := a.Connected || len(a.Calls) > 0 || len(a.Reservations) > 0
			if live {
				a.Node = p.Node
			}
			i, seen := at[a.ID]
			if !seen {
				at[a.ID] = len(out)
				out = append(out, a)
				continue
			}
			if !live {
				continue
			}
			cur := &out[i]
			if cur.Node == "" || (a.Connected && !cur.Connected) { // this node holds the agent
				a.Calls, a.Reservations = append(cur.Calls, a.Calls...), append(cur.Reservations, a.Reservations...)
				a.Load += cur.Load
				*cur = a
				continue
			}
			cur.Calls, cur.Reservations = append(cur.Calls, a.Calls...), append(cur.Reservations, a.Reservations...)
			cur.Load += a.Load
		}
	}
	slices.SortFunc(out, func(a, b view.FloorAgent) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// mergeQueues is mergeFloor's queues.
func mergeQueues(parts []floorPart, now time.Time) []view.Queue {
	out := []view.Queue{}
	at := map[string]int{}
	oldest := map[string]time.Time{}
	for _, p := range parts {
		for _, q := range p.State.Queues {
			if t, err := time.Parse(events.TimeFormat, q.LongestWait); err == nil && q.LongestWait != "" {
				if o, ok := oldest[q.ID]; !ok || t.Before(o) {
					oldest[q.ID] = t
				}
			}
			i, seen := at[q.ID]
			if !seen {
				at[q.ID] = len(out)
				out = append(out, q)
				continue
			}
			cur := &out[i]
			cur.Waiting += q.Waiting
			cur.Offered += q.Offered
			cur.Idle += q.Idle
			cur.Busy += q.Busy
		}
	}
	for i := range out {
		q := &out[i]
		q.LongestWait, q.LongestWaitSecs = "", 0
		if t, ok := oldest[q.ID]; ok {
			q.LongestWait, q.LongestWaitSecs = events.FormatTime(t), max(0, now.Sub(t).Seconds())
		}
	}
	return out
}

// partsGone removes this node's part (a node leaving the cluster).
func (n *clusterNode) partsGone(ctx context.Context) {
	if err := cluster.NewBus(n.rdb, clusterPrefix).DelPart(ctx, n.cfg.NodeID); err != nil {
		n.log.Info("cluster: floor part not removed (it expires by itself)", "err", err)
	}
}
