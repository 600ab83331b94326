package agent

import (
	"slices"

	"switchboard/router"
	"switchboard/router/attrexpr"
	"switchboard/store"
)

// Queue membership of PROTOCOL §10: the queues an agent lists plus the
// queues whose target_workers its attributes satisfy. It is recomputed
// when an agent or a queue changes, never per routing decision; the router
// gets the whole set (router.AgentConfig.Queues).

// membersLocked returns agent a's membership set.
func (c *Core) membersLocked(a store.Agent) []router.QueueID {
	qs := make([]router.QueueID, 0, len(a.Queues)+len(c.targets))
	for _, q := range a.Queues {
		qs = append(qs, router.QueueID(q))
	}
	for id, e := range c.targets {
		if e.Match(a.Attributes) && !slices.Contains(a.Queues, id) {
			qs = append(qs, router.QueueID(id))
		}
	}
	slices.Sort(qs[len(a.Queues):])
	return qs
}

// routerAgent is a's router configuration.
func (c *Core) routerAgent(a store.Agent) router.AgentConfig {
	return router.AgentConfig{ID: router.AgentID(a.ID), Extension: a.Extension, Capacity: a.Capacity,
		Queues: c.membersLocked(a), Channels: a.Channels, MaxNonBlocking: a.MaxNonBlocking}
}

// setTargetLocked compiles queue q's target_workers (once) and, when it
// changed, puts every agent again with its new membership set.
func (c *Core) setTargetLocked(id, src string) {
	if c.targets == nil {
		c.targets = map[string]*attrexpr.Expr{}
	}
	old := c.targets[id]
	if (old == nil && src == "") || (old != nil && old.String() == src) {
		return
	}
	delete(c.targets, id)
	if src != "" {
		e, err := attrexpr.Compile(src)
		if err != nil {
			c.log.Warn("queue target_workers does not compile", "queue_id", id, "err", err)
		} else {
			c.targets[id] = e
		}
	}
	for _, ag := range c.agents {
		if err := c.rt.PutAgent(c.routerAgent(ag.cfg), c.now()); err != nil {
			c.log.Warn("router refused agent", "agent_id", ag.cfg.ID, "err", err)
		}
	}
}

// Members returns the ids of queue id's members (queue.get's members).
func (c *Core) Members(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []string{}
	for _, a := range c.rt.Members(router.QueueID(id)) {
		out = append(out, string(a))
	}
	return out
}

func routerOrder(s string) router.Order {
	o, _ := router.ParseOrder(s)
	return o
}
