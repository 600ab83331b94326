package agent

import (
	"fmt"
	"sync"

	"switchboard/events"
	"switchboard/media"
	"switchboard/store"
	"switchboard/view"
)

// Supervision (PROTOCOL §12): an agent with role "supervisor" monitors
// another agent's live call. The supervisor's switch gets a call
// "monitor:<call>" whose leg is one end of an internal pipe; the other end
// is the monitor of that call in the monitored agent's switch
// (media.Switch.Monitor, mix-minus). The supervisor's own active call is
// held first. call.monitor again changes the mode; call.monitor.stop, the
// call leaving its agent or ending, ends it.
//
// It also ends when the supervisor's session ends or the supervisor is
// removed. Not yet: while monitoring, making one of its own calls active
// holds the monitor in the supervisor's switch (call.monitor again resumes
// it).

// EventCallMonitored is published on each change: Detail {supervisor, mode}
// ("off" when it stops); Agent is the monitored agent.
const EventCallMonitored = "call.monitored"

// MonitorResult answers call.monitor.
type MonitorResult struct {
	Call string `json:"call"`
	Mode string `json:"mode"`
}

type monitoring struct {
	sup  *agentRT
	mode media.MonitorMode
	done chan struct{} // ends the pipe's goroutines
	wg   sync.WaitGroup
}

func monitorCallID(call string) string { return "monitor:" + call }

// Monitor starts or changes supervisorID's monitoring of callID.
func (c *Core) Monitor(supervisorID, callID, mode string) (MonitorResult, error) {
	m, ok := media.ParseMonitorMode(mode)
	if !ok {
		return MonitorResult{}, fmt.Errorf("mode: %q is not listen, whisper or barge: %w", mode, ErrBadTarget)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sup := c.agents[supervisorID]
	switch {
	case sup == nil:
		return MonitorResult{}, ErrUnknownAgent
	case sup.cfg.Role != store.RoleSupervisor:
		return MonitorResult{}, fmt.Errorf("only a supervisor may monitor calls: %w", ErrState)
	case sup.sess == nil:
		return MonitorResult{}, ErrNoSession
	}
	cl := c.calls[callID]
	if cl == nil || cl.ended || cl.ag == nil || (cl.state != stateActive && cl.state != stateHeld) {
		return MonitorResult{}, fmt.Errorf("call %s is not a live call of an agent: %w", callID, ErrNotFound)
	}
	if cl.ag == sup {
		return MonitorResult{}, fmt.Errorf("call %s is your own: %w", callID, ErrState)
	}
	if cl.mon != nil && cl.mon.sup != sup {
		return MonitorResult{}, fmt.Errorf("call %s is monitored by %s: %w", callID, cl.mon.sup.cfg.ID, ErrState)
	}
	for _, o := range sup.calls {
		if o.state == stateActive || o.merged {
			c.holdLocked(o)
		}
	}
	if cl.mon == nil {
		mon := &monitoring{sup: sup, mode: m, done: make(chan struct{})}
		supEnd, agEnd := newPipe(&mon.wg, mon.done, c.log.With("call", cl.id, "monitor", sup.cfg.ID))
		in, err := cl.ag.sw.Monitor(cl.id, agEnd, media.PCMU, m)
		if err == nil {
			agEnd.SetSink(in)
			var sin media.PacketWriter
			if sin, err = sup.sw.AddCall(monitorCallID(cl.id), supEnd, media.PCMU, media.StateActive); err == nil {
				supEnd.SetSink(sin)
			} else {
				cl.ag.sw.StopMonitor(cl.id)
			}
		}
		if err != nil {
			close(mon.done)
			mon.wg.Wait()
			return MonitorResult{}, fmt.Errorf("monitor call %s: %w", callID, err)
		}
		cl.mon = mon
	} else {
		cl.mon.mode = m
		if _, err := cl.ag.sw.Monitor(cl.id, nil, media.PCMU, m); err != nil {
			return MonitorResult{}, fmt.Errorf("monitor call %s: %w", callID, err)
		}
		c.warnIf(sup.sw.SetState(monitorCallID(cl.id), media.StateActive), "switch refused state", "call", monitorCallID(cl.id), "state", "active")
	}
	c.monitoredLocked(cl, supervisorID, m.String())
	c.log.Info("call monitored", "call", cl.id, "agent_id", cl.ag.cfg.ID, "supervisor", supervisorID, "mode", m.String())
	return MonitorResult{Call: cl.id, Mode: m.String()}, nil
}

// StopMonitor ends supervisorID's monitoring of callID.
func (c *Core) StopMonitor(supervisorID, callID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.calls[callID]
	if cl == nil || cl.mon == nil || cl.mon.sup.cfg.ID != supervisorID {
		return fmt.Errorf("call %s is not monitored by %s: %w", callID, supervisorID, ErrNotFound)
	}
	c.stopMonitorLocked(cl)
	return nil
}

// stopMonitorLocked takes the monitor off cl (detach and end call it).
func (c *Core) stopMonitorLocked(cl *call) {
	mon := cl.mon
	if mon == nil {
		return
	}
	cl.mon = nil
	if cl.ag != nil {
		cl.ag.sw.StopMonitor(cl.id)
	}
	mon.sup.sw.Remove(monitorCallID(cl.id))
	close(mon.done)
	mon.wg.Wait() // the pipe's delivery goroutines only write to switches: no core lock
	c.monitoredLocked(cl, mon.sup.cfg.ID, "off")
}

// stopMonitorsOfLocked ends every monitoring by supervisor sup.
func (c *Core) stopMonitorsOfLocked(sup *agentRT) {
	for _, cl := range c.calls {
		if cl.mon != nil && cl.mon.sup == sup {
			c.stopMonitorLocked(cl)
		}
	}
}

// monitoredLocked publishes call.monitored and tells the monitored agent.
func (c *Core) monitoredLocked(cl *call, supervisor, mode string) {
	agentID := cl.lastAgent
	c.publishLocked(events.Event{Type: EventCallMonitored, Call: cl.id, Agent: agentID, Queue: cl.queue, Kind: cl.kind,
		From: cl.remote, To: cl.dialled, Detail: map[string]any{"supervisor": supervisor, "mode": mode}})
	c.notifyCallLocked(cl)
}

// supervisorView is Call.supervisor: nil for listen (the agent is not told).
func (cl *call) supervisorView() *view.Supervisor {
	if cl.mon == nil || cl.mon.mode == media.MonitorListen {
		return nil
	}
	return &view.Supervisor{Agent: cl.mon.sup.cfg.ID, Mode: cl.mon.mode.String()}
}
