package agent

import (
	"fmt"
	"slices"
	"strings"

	"switchboard/router"
	"switchboard/store"
)

// Custom activities (PROTOCOL §10): activity.set accepts any activity's
// id. The router knows the four built-ins; a custom activity is
// "available" to it when the activity is available, "unavailable"
// otherwise, and the agent's views show the custom id while the router's
// activity still is that one (a RONA, for instance, shows unavailable).

// ApplyActivity creates or replaces a custom activity.
func (c *Core) ApplyActivity(a store.Activity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.activities[a.ID] = a
	c.activitiesUpdatedLocked()
	for _, ag := range c.agents {
		if ag.activity == a.ID {
			c.warnIf(c.rt.SetActivity(router.AgentID(ag.cfg.ID), customRouterActivity(a), c.now()), "router refused activity", "agent_id", ag.cfg.ID, "activity", a.ID)
			c.notifyAgentLocked(ag)
		}
	}
	c.flushLocked()
}

// RemoveActivity deletes a custom activity; agents in it become
// unavailable.
func (c *Core) RemoveActivity(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.activities, id)
	c.activitiesUpdatedLocked()
	for _, ag := range c.agents {
		if ag.activity == id {
			ag.activity = ""
			c.warnIf(c.rt.SetActivity(router.AgentID(ag.cfg.ID), router.ActivityUnavailable, c.now()), "router refused activity", "agent_id", ag.cfg.ID, "activity", "unavailable")
			c.notifyAgentLocked(ag)
		}
	}
	c.flushLocked()
}

// activitiesLocked lists the custom activities by id (login and state
// results).
func (c *Core) activitiesLocked() []store.Activity {
	out := make([]store.Activity, 0, len(c.activities))
	for _, a := range c.activities {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b store.Activity) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// activitiesUpdatedLocked sends activities.updated {activities} to every
// logged-in agent, so the softphone's activity list follows the console.
func (c *Core) activitiesUpdatedLocked() {
	c.notifyAllLocked("activities.updated", map[string]any{"activities": c.activitiesLocked()})
}

func customRouterActivity(a store.Activity) router.Activity {
	if a.Available {
		return router.ActivityAvailable
	}
	return router.ActivityUnavailable
}

// resolveActivityLocked maps an activity id to the router's activity and
// the custom id to remember ("" for a built-in).
func (c *Core) resolveActivityLocked(id string) (router.Activity, string, error) {
	if act, ok := router.ParseActivity(id); ok && act != router.ActivityUnknown {
		return act, "", nil
	}
	if a, ok := c.activities[id]; ok {
		return customRouterActivity(a), a.ID, nil
	}
	return router.ActivityUnknown, "", fmt.Errorf("activity %q: %w", id, ErrBadTarget)
}

// shownActivity is the activity an agent's views carry.
func (c *Core) shownActivity(ag *agentRT, routerAct router.Activity) string {
	if ag.activity != "" {
		if a, ok := c.activities[ag.activity]; ok && customRouterActivity(a) == routerAct {
			return a.ID
		}
	}
	return routerAct.String()
}
