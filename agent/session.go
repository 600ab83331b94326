package agent

import (
	"context"
	"fmt"
	"time"

	"switchboard/events"

	"switchboard/router"
	"switchboard/view"
)

// Login authenticates an agent and binds conn as its session. A second
// login of the same agent takes the session over: the old connection is
// told (session.replaced) and closed, and the calls continue on the new one.
func (c *Core) Login(ctx context.Context, agentID, password string, conn Notifier) (LoginResult, error) {
	ok, err := c.cfg.Store.CheckPassword(ctx, agentID, password)
	if err != nil || !ok {
		return LoginResult{}, ErrBadPassword
	}
	last, hasLast := "", false
	if c.cfg.LastActivity != nil {
		last, hasLast = c.cfg.LastActivity(ctx, agentID)
	}
	var old *session
	res, err := locked2(c, func() (LoginResult, error) {
		ag := c.agents[agentID]
		if ag == nil {
			return LoginResult{}, ErrBadPassword
		}
		if c.closing {
			return LoginResult{}, fmt.Errorf("shutting down: %w", ErrState)
		}
		old = ag.sess
		ag.graceUntil = time.Time{}
		delete(c.graces, ag)
		ag.sess = &session{conn: conn}
		if old != nil && old.leg != nil {
			// Keep the old browser leg until the new page offers its own, so a
			// takeover does not cut audio.
			ag.sess.leg = old.leg
			ag.sess.inherited = true
		}
		if hasLast && old == nil { // a takeover here keeps its activity
			c.lastActivityLocked(ag, last)
		}
		if err := c.rt.SetConnected(router.AgentID(agentID), true, c.now()); err != nil {
			c.log.Warn("router refused connect", "agent_id", agentID, "err", err)
		}
		c.flushLocked()
		res := LoginResult{Agent: c.agentViewLocked(ag), Calls: []view.Call{}, Reservations: c.reservationsLocked(ag), Parked: c.parkedLocked(), QueueNames: c.queueNamesLocked(), GraceSeconds: c.graceSeconds(), Activities: c.activitiesLocked(),
			Tasks: c.agentTasksLocked(ag)}
		res.HTTPToken = c.newTokenLocked(ag)
		for _, cl := range ag.calls {
			res.Calls = append(res.Calls, cl.view())
		}
		c.publishLocked(events.Event{Type: "agent.login", Agent: agentID})
		return res, nil
	})
	if err != nil {
		return LoginResult{}, err
	}
	if old != nil && old.conn != conn {
		c.infoIf(old.conn.Notify("session.replaced", map[string]string{"reason": "logged in elsewhere"}), "session.replaced not sent", "agent_id", agentID)
		old.conn.Close("session replaced")
	}
	c.log.Info("agent logged in", "agent_id", agentID, "takeover", old != nil, "calls", len(res.Calls))
	return res, nil
}

// lastActivityLocked gives ag the activity it last had on another node
// (Config.LastActivity), unless this node no longer knows it.
func (c *Core) lastActivityLocked(ag *agentRT, id string) {
	act, custom, err := c.resolveActivityLocked(id)
	if err != nil {
		c.log.Info("the agent's last activity is unknown here", "agent_id", ag.cfg.ID, "activity", id)
		return
	}
	if err := c.rt.SetActivity(router.AgentID(ag.cfg.ID), act, c.now()); err != nil {
		c.log.Warn("router refused the agent's last activity", "agent_id", ag.cfg.ID, "err", err)
		return
	}
	ag.activity = custom
}

// Offer answers the agent's browser SDP offer with a new WebRTC leg (the
// whole session's audio). A new offer replaces the previous leg.
func (c *Core) Offer(ctx context.Context, agentID string, conn Notifier, sdp []byte) ([]byte, error) {
	if c.cfg.Legs == nil {
		return nil, fmt.Errorf("webrtc: %w", ErrState)
	}
	leg, answer, err := c.cfg.Legs.Accept(ctx, sdp)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTarget, err)
	}
	old, err := locked2(c, func() (BrowserLeg, error) {
		ag := c.agents[agentID]
		if ag == nil || ag.sess == nil || ag.sess.conn != conn || c.closing {
			return nil, ErrNoSession
		}
		old := ag.sess.leg
		ag.sess.leg = leg
		ag.sess.inherited = false
		ag.sw.SetAgent(leg, leg.Codec())
		leg.Start(ag.sw.AgentInput())
		return old, nil
	})
	if err != nil {
		c.infoIf(leg.Close(), "browser leg close failed", "agent_id", agentID)
		return nil, err
	}
	if old != nil {
		c.infoIf(old.Close(), "browser leg close failed", "agent_id", agentID)
	}
	c.async(func() {
		select {
		case <-leg.Done():
			c.browserGone(agentID, leg)
		case <-c.stop:
			c.infoIf(leg.Close(), "browser leg close failed", "agent_id", agentID)
		}
	})
	return answer, nil
}

// browserGone treats a failed PeerConnection (ICE consent lost) like a
// dropped socket: the session's connection is closed, which leads to
// Disconnected.
func (c *Core) browserGone(agentID string, leg BrowserLeg) {
	conn, _ := locked2(c, func() (Notifier, error) { // the error is always nil
		ag := c.agents[agentID]
		if ag == nil || ag.sess == nil || ag.sess.leg != leg {
			return nil, nil
		}
		if ag.sess.inherited {
			// The page this session took over closed its PeerConnection: the
			// new page has not offered yet. Only the audio is gone.
			ag.sess.leg = nil
			ag.sess.inherited = false
			ag.sw.SetAgent(nil, 0)
			return nil, nil
		}
		return ag.sess.conn, nil
	})
	if conn == nil {
		return
	}
	c.log.Warn("agent media lost", "agent_id", agentID)
	conn.Close("webrtc connection lost")
	c.Disconnected(agentID, conn)
}

// Disconnected tells the core that conn, an agent's session, is gone. The
// agent's offers go to others at once; its calls wait on hold for the grace
// period; a re-login within it gets them back.
func (c *Core) Disconnected(agentID string, conn Notifier) {
	leg, gone := locked2(c, func() (BrowserLeg, bool) {
		ag := c.agents[agentID]
		if ag == nil || ag.sess == nil || ag.sess.conn != conn {
			return nil, false
		}
		leg := ag.sess.leg
		ag.sess = nil
		ag.sw.SetAgent(nil, 0)
		ag.requeue = nil
		c.stopMonitorsOfLocked(ag) // a supervisor that left listens no more
		for _, cl := range ag.calls {
			if cl.state == stateActive || cl.merged {
				if cl.kind == "queue" && ag.requeue == nil {
					ag.requeue = cl
				}
				c.holdLocked(cl)
			}
		}
		c.warnIf(c.rt.SetConnected(router.AgentID(agentID), false, c.now()), "router refused disconnect", "agent_id", agentID)
		c.flushLocked()
		if len(ag.calls) > 0 && !c.closing {
			ag.graceUntil = c.now().Add(c.cfg.Grace)
			c.graces[ag] = struct{}{}
			c.poke()
		}
		return leg, true
	})
	if !gone {
		return
	}
	c.log.Info("agent disconnected", "agent_id", agentID)
	if leg != nil {
		c.infoIf(leg.Close(), "browser leg close failed", "agent_id", agentID)
	}
}

// graceOverLocked ends a dropped agent's grace period: the queue call that
// was active goes back to the front of its queue (offered to another
// agent), the others get their fallback: the announcement and BYE for
// answered calls, a plain hang-up (CANCEL) for calls still being dialled.
func (c *Core) graceOverLocked(ag *agentRT) {
	delete(c.graces, ag)
	ag.graceUntil = time.Time{}
	if ag.sess != nil || c.closing || c.agents[ag.cfg.ID] != ag {
		return
	}
	calls := append([]*call(nil), ag.calls...)
	requeue := ag.requeue
	ag.requeue = nil
	for _, cl := range calls {
		switch {
		case cl.ended:
		case cl == requeue && cl.queue != "" && cl.tc != nil:
			c.releaseLocked(cl)
			cl.setState(stateWaiting, c.now())
			c.playLocked(cl, c.cfg.Music.Source())
			c.addTaskLocked(cl, router.Task{Kind: router.KindQueue, Queue: router.QueueID(cl.queue), Arrived: cl.arrived, Priority: 1})
		case !cl.answered:
			c.endCallLocked(cl, "agent_lost")
			c.hangupLocked(cl, "agent_lost")
		default:
			c.fallbackLocked(cl, "agent_lost")
		}
	}
	c.log.Info("agent grace over", "agent_id", ag.cfg.ID, "calls", len(calls))
}
