package agent

// NotifyCallEnded tells agent id's session, if it is logged in on this
// node, that call ended with reason: a call of the agent that lived on
// another node (PROTOCOL §13: a node died, reason node_lost). It reports
// whether a session was told.
func (c *Core) NotifyCallEnded(id, call, reason string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ag := c.agents[id]
	if ag == nil || ag.sess == nil {
		return false
	}
	c.notifyLocked(ag, "call.ended", EndedView{ID: call, Reason: reason})
	return true
}
