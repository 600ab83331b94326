package agent

// CallerIDOf returns the caller_id of the agent whose extension is ext,
// or "" if there is no such agent or it has none. The trunk side uses it
// as the From user of the agent's outbound calls (PROTOCOL §9: the
// agent's caller ID first, then the trunk's).
func (c *Core) CallerIDOf(ext string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ag := c.byExt[ext]; ag != nil {
		return ag.cfg.CallerID
	}
	return ""
}
