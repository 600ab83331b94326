package agent

import (
	"switchboard/router"
	"switchboard/store"
)

// Queue membership of PROTOCOL §10: the queues an agent lists plus the
// queues whose target_workers its attributes satisfy. It is recomputed
// when an agent or a queue changes, never per routing decision; the router
// gets the whole set (router.AgentConfig.Queues).

// routerAgent is a's router configuration.
func (c *Core) routerAgent(a store.Agent) router.AgentConfig { return RouterAgent(a, c.targets) }

// setTargetLocked compiles queue q's target_workers (once) and, when it
// changed, puts every agent again with its new membership set.
func (c *Core) setTargetLocked(q store.Queue) {
	if c.targets == nil {
		c.targets = Targets{}
	}
	old := c.targets[q.ID]
	if (old == nil && q.TargetWorkers == "") || (old != nil && old.String() == q.TargetWorkers) {
		return
	}
	delete(c.targets, q.ID)
	e, err := compileTarget(q)
	if err != nil {
		c.log.Warn("queue target_workers does not compile", "queue_id", q.ID, "err", err)
	} else if e != nil {
		c.targets[q.ID] = e
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
