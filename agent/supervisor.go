package agent

import "switchboard/store"

// IsSupervisor reports whether agentID is a configured agent with role
// "supervisor" (PROTOCOL §12: only they may floor.subscribe or monitor).
func (c *Core) IsSupervisor(agentID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.agents[agentID]
	return a != nil && a.cfg.Role == store.RoleSupervisor
}
