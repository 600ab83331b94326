package agent

import (
	"time"

	"switchboard/view"
)

// What the softphone's call cards show beyond PROTOCOL §4 (issue 17): the
// caller's name, when the call was held, the warm-transfer links between a
// caller and its consult call, and queue names instead of ids.

// cardView fills v's card fields from the call.
func (cl *call) cardView(v *view.Call) {
	if cl.state == stateHeld {
		v.HeldAt = ts(cl.holdSince)
	}
	if n, ok := cl.attrs["caller_name"].(string); ok {
		v.CallerName = n
	}
	if cl.consult != nil {
		v.Consult = cl.consult.id
	}
	if cl.consultFor != nil {
		v.ConsultFor = cl.consultFor.id
	}
}

// consultAttrsLocked are the extra attributes of an internal call the agent
// ag places: on a consult (consultFor not nil) the attribute "transfer"
// tells the consulted agent who transfers and whom:
// {agent, agent_name, caller, caller_name?, queue?}.
func (c *Core) consultAttrsLocked(ag *agentRT, consultFor *call) map[string]any {
	if consultFor == nil {
		return nil
	}
	t := map[string]any{"agent": ag.cfg.ID, "agent_name": ag.cfg.Name, "caller": consultFor.remote}
	if n, ok := consultFor.attrs["caller_name"].(string); ok && n != "" {
		t["caller_name"] = n
	}
	if consultFor.queue != "" {
		t["queue"] = consultFor.queue
	}
	return map[string]any{"transfer": t}
}

// CallerName is the calling agent's name (the callee end of an internal
// call), picked up as the caller_name attribute.
func (e *internalEnd) CallerName() string { return e.callerName }

// ExtraAttributes are more call attributes of the callee end (a consult's
// "transfer").
func (e *internalEnd) ExtraAttributes() map[string]any { return e.extra }

// queueNamesLocked maps every queue id to its name.
func (c *Core) queueNamesLocked() map[string]string {
	out := make(map[string]string, len(c.queues))
	for id, q := range c.queues {
		out[id] = q.Name
	}
	return out
}

// graceSeconds is Config.Grace in whole seconds.
func (c *Core) graceSeconds() int { return int(c.cfg.Grace / time.Second) }
