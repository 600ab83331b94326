package agent

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"switchboard/media"
	"switchboard/router"
	"switchboard/store"
	"switchboard/view"
)

// ApplyAgent creates or updates an agent; the change takes effect for the
// next routing decision.
func (c *Core) ApplyAgent(a store.Agent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a.Capacity == 0 {
		a.Capacity = store.DefaultCapacity
	}
	ag := c.agents[a.ID]
	if ag == nil {
		ag = &agentRT{sw: media.NewSwitch(media.SwitchConfig{
			Pacer: c.cfg.Pacer, Music: c.cfg.Music, Counters: c.cfg.Pacer.Counters(),
			Logger: c.log.With("agent_id", a.ID),
		})}
		c.agents[a.ID] = ag
	} else if ag.cfg.Extension != a.Extension && c.byExt[ag.cfg.Extension] == ag {
		delete(c.byExt, ag.cfg.Extension)
	}
	ag.cfg = a
	if a.Extension != "" {
		c.byExt[a.Extension] = ag
	}
	if err := c.rt.PutAgent(c.routerAgent(a), c.now()); err != nil {
		c.log.Warn("router refused agent", "agent_id", a.ID, "err", err)
	}
	c.flushLocked()
	c.notifyAgentLocked(ag)
}

// RemoveAgent deletes an agent: its session is closed and its calls end.
func (c *Core) RemoveAgent(id string) {
	ag, sess := locked2(c, func() (*agentRT, *session) {
		ag := c.agents[id]
		if ag == nil {
			return nil, nil
		}
		hang := append([]*call(nil), ag.calls...)
		sess := ag.sess
		ag.sess = nil
		c.stopMonitorsOfLocked(ag)
		c.dropAgentTasksLocked(ag)
		delete(c.graces, ag)
		for _, cl := range hang {
			c.endCallLocked(cl, "agent_removed")
			c.hangupLocked(cl, "agent_removed")
		}
		c.warnIf(c.rt.RemoveAgent(router.AgentID(id), c.now()), "router refused agent removal", "agent_id", id)
		c.flushLocked()
		delete(c.agents, id)
		if c.byExt[ag.cfg.Extension] == ag {
			delete(c.byExt, ag.cfg.Extension)
		}
		return ag, sess
	})
	if ag == nil {
		return
	}
	if sess != nil {
		sess.conn.Close("agent removed")
		if sess.leg != nil {
			c.infoIf(sess.leg.Close(), "browser leg close failed", "agent_id", ag.cfg.ID)
		}
	}
	_ = ag.sw.Close() // impossible by construction: media.Switch.Close always returns nil
}

// ApplyQueue creates or updates a queue.
func (c *Core) ApplyQueue(q store.Queue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queues[q.ID] = q
	if err := c.rt.PutQueue(RouterQueue(q), c.now()); err != nil {
		c.log.Warn("router refused queue", "queue_id", q.ID, "err", err)
	}
	c.setTargetLocked(q)
	c.flushLocked()
}

// RemoveQueue deletes a queue; its waiting calls get their fallback.
func (c *Core) RemoveQueue(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.queues, id)
	c.warnIf(c.rt.RemoveQueue(router.QueueID(id), c.now()), "router refused queue removal", "queue_id", id)
	c.setTargetLocked(store.Queue{ID: id})
	c.flushLocked()
}

// ApplyRoute maps a dialled number to a target.
func (c *Core) ApplyRoute(r store.Route) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routes[r.Number] = r.Target
}

// RemoveRoute deletes a route.
func (c *Core) RemoveRoute(number string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.routes, number)
}

// target is where a dialled number leads.
type target struct {
	kind     string // echo, queue, direct, ivr, workflow, or "" (not found)
	queue    string
	ext      string
	workflow string
	menu     string // kind "menu": ivr:menu:<id> (menu.go)
}

// resolveLocked applies PROTOCOL.md section 2's routing of a dialled number.
func (c *Core) resolveLocked(number string) target {
	if t, ok := c.routes[number]; ok {
		return parseTarget(t)
	}
	// PROTOCOL §14: a route written in E.164 (+49...) also matches the
	// number without its +, and the other way round.
	if alt, ok := strings.CutPrefix(number, "+"); ok {
		if t, ok := c.routes[alt]; ok {
			return parseTarget(t)
		}
	} else if t, ok := c.routes["+"+number]; ok && number != "" && number[0] >= '0' && number[0] <= '9' {
		return parseTarget(t)
	}
	if number == "echo" {
		return target{kind: "echo"}
	}
	if _, ok := c.byExt[number]; ok {
		return target{kind: "direct", ext: number}
	}
	return target{}
}

// parseTarget reads "queue:<id>", "extension:<ext>", "ivr:extension" or
// "echo".
func parseTarget(s string) target {
	switch {
	case s == "echo":
		return target{kind: "echo"}
	case s == "ivr:extension":
		return target{kind: "ivr"}
	case strings.HasPrefix(s, "ivr:menu:"):
		return target{kind: "menu", menu: strings.TrimPrefix(s, "ivr:menu:")}
	case strings.HasPrefix(s, "workflow:"):
		return target{kind: "workflow", workflow: strings.TrimPrefix(s, "workflow:")}
	case strings.HasPrefix(s, "queue:"):
		return target{kind: "queue", queue: strings.TrimPrefix(s, "queue:")}
	case strings.HasPrefix(s, "extension:"):
		return target{kind: "direct", ext: strings.TrimPrefix(s, "extension:")}
	}
	return target{}
}

// State is the admin console's live view: every agent with every call,
// every queue with its waiting calls, every call.
func (c *Core) State() view.Floor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stateLocked()
}

func (c *Core) stateLocked() view.Floor {
	now := c.now()
	st := view.Floor{Agents: []view.FloorAgent{}, Queues: []view.Queue{}, Calls: []view.Call{}, Parked: c.parkedLocked(),
		Tasks: c.tasksLocked(liveTask)}
	ids := slices.Sorted(maps.Keys(c.agents))
	for _, id := range ids {
		ag := c.agents[id]
		fa := view.FloorAgent{Agent: c.agentViewLocked(ag), Calls: []view.Call{}, Reservations: c.reservationsLocked(ag)}
		for _, cl := range ag.calls {
			fa.Calls = append(fa.Calls, cl.stateView())
		}
		st.Agents = append(st.Agents, fa)
	}
	qids := slices.Sorted(maps.Keys(c.queues))
	for _, id := range qids {
		q := c.queues[id]
		v := view.Queue{ID: q.ID, Name: q.Name, TimeoutSeconds: q.TimeoutSeconds, WrapupSeconds: q.WrapupSeconds,
			AllowBusyAgents: q.AllowBusyAgents, Priority: q.Priority}
		if s, ok := c.rt.Queue(router.QueueID(id)); ok {
			v.Waiting, v.Offered, v.Idle, v.Busy = s.Waiting, s.Offered, s.Idle, s.Busy
			c.floorQueueLocked(id, &v, &s.OldestWait)
			if !s.OldestWait.IsZero() {
				v.LongestWait = ts(s.OldestWait)
				v.LongestWaitSecs = now.Sub(s.OldestWait).Seconds()
			}
		}
		st.Queues = append(st.Queues, v)
	}
	cids := slices.Sorted(maps.Keys(c.calls))
	for _, id := range cids {
		st.Calls = append(st.Calls, c.calls[id].stateView())
	}
	return st
}

func (c *Core) reservationsLocked(ag *agentRT) []view.Reservation {
	out := []view.Reservation{}
	for _, cl := range c.byRes {
		if cl.resAg == ag {
			exp := time.Time{}
			if s, ok := c.rt.Task(cl.task); ok {
				exp = s.Expires
			}
			out = append(out, cl.reservationView(exp))
		}
	}
	out = append(out, c.taskReservationsLocked(ag)...)
	slices.SortFunc(out, func(a, b view.Reservation) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// HangupCall ends a call from the admin console.
func (c *Core) HangupCall(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.calls[id]
	if cl == nil {
		return fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	c.endCallLocked(cl, "admin_hangup")
	c.hangupLocked(cl, "admin_hangup")
	return nil
}
