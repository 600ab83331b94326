package console

import (
	"context"
	"time"

	"switchboard/events"
	"switchboard/signaling/ws"
	"switchboard/store"
)

type idParams struct {
	ID string `json:"id"`
}

func (p idParams) check() error {
	if p.ID == "" {
		return ws.InvalidParams("id: required")
	}
	return nil
}

// agentPutParams: omitted optional fields keep their current value on
// update and take the default on create.
type agentPutParams struct {
	ID        string    `json:"id"`
	Name      *string   `json:"name"`
	Extension *string   `json:"extension"`
	Password  *string   `json:"password"`
	Capacity  *int      `json:"capacity"`
	Queues    *[]string `json:"queues"`
	CallerID  *string   `json:"caller_id"`
	agentRoutingParams
}

func (s *session) agentPut(ctx context.Context, p agentPutParams) (store.Agent, error) {
	if p.ID == "" {
		return store.Agent{}, ws.InvalidParams("id: required")
	}
	var hash string
	if p.Password != nil {
		h, err := store.HashPassword(*p.Password)
		if err != nil {
			return store.Agent{}, s.fail("agent.put", err)
		}
		hash = h
	}
	a, err := s.c.cfg.Store.EditAgent(ctx, p.ID, func(cur store.Agent, exists bool) (store.Agent, error) {
		if !exists && p.Extension == nil {
			return cur, ws.InvalidParams("extension: required")
		}
		if p.Name != nil {
			cur.Name = *p.Name
		}
		if p.Extension != nil {
			cur.Extension = *p.Extension
		}
		if p.Capacity != nil {
			if *p.Capacity == 0 { // 0 would mean "default": refuse it explicitly
				return cur, ws.InvalidParams("capacity: 0 out of range 1..8")
			}
			cur.Capacity = *p.Capacity
		}
		if p.Queues != nil {
			cur.Queues = *p.Queues
		}
		if hash != "" {
			cur.PasswordHash = hash
		}
		if p.CallerID != nil {
			cur.CallerID = *p.CallerID
		}
		if err := p.agentRoutingParams.apply(&cur.AgentRouting); err != nil {
			return cur, err
		}
		return cur, nil
	})
	if err != nil {
		return store.Agent{}, s.fail("agent.put", err)
	}
	s.changed("agent", a.ID, "put", func(ap Applier) { ap.ApplyAgent(a) })
	return a, nil
}

func (s *session) agentGet(ctx context.Context, p idParams) (store.Agent, error) {
	if err := p.check(); err != nil {
		return store.Agent{}, err
	}
	a, err := s.c.cfg.Store.GetAgent(ctx, p.ID)
	if err != nil {
		return store.Agent{}, s.fail("agent.get", err)
	}
	return a, nil
}

func (s *session) agentDelete(ctx context.Context, p idParams) (empty, error) {
	if err := p.check(); err != nil {
		return empty{}, err
	}
	if err := s.c.cfg.Store.DeleteAgent(ctx, p.ID); err != nil {
		return empty{}, s.fail("agent.delete", err)
	}
	s.changed("agent", p.ID, "delete", func(ap Applier) { ap.RemoveAgent(p.ID) })
	return empty{}, nil
}

func (s *session) agentList(ctx context.Context, _ struct{}) ([]store.Agent, error) {
	as, err := s.c.cfg.Store.ListAgents(ctx)
	if err != nil {
		return nil, s.fail("agent.list", err)
	}
	return as, nil
}

type queuePutParams struct {
	ID              string  `json:"id"`
	Name            *string `json:"name"`
	TimeoutSeconds  *int    `json:"timeout_seconds"`
	WrapupSeconds   *int    `json:"wrapup_seconds"`
	AllowBusyAgents *bool   `json:"allow_busy_agents"`
	Priority        *int    `json:"priority"`
	MaxWaitSeconds  *int    `json:"max_wait_seconds"`
	queueRoutingParams
}

func (s *session) queuePut(ctx context.Context, p queuePutParams) (store.Queue, error) {
	if p.ID == "" {
		return store.Queue{}, ws.InvalidParams("id: required")
	}
	q, err := s.c.cfg.Store.EditQueue(ctx, p.ID, func(cur store.Queue, _ bool) (store.Queue, error) {
		if p.Name != nil {
			cur.Name = *p.Name
		}
		if p.TimeoutSeconds != nil {
			if *p.TimeoutSeconds == 0 {
				return cur, ws.InvalidParams("timeout_seconds: 0 out of range 1..3600")
			}
			cur.TimeoutSeconds = *p.TimeoutSeconds
		}
		if p.WrapupSeconds != nil {
			cur.WrapupSeconds = *p.WrapupSeconds
		}
		if p.AllowBusyAgents != nil {
			cur.AllowBusyAgents = *p.AllowBusyAgents
		}
		if p.Priority != nil {
			cur.Priority = *p.Priority
		}
		if p.MaxWaitSeconds != nil {
			if *p.MaxWaitSeconds == 0 {
				return cur, ws.InvalidParams("max_wait_seconds: 0 out of range 1..86400")
			}
			cur.MaxWaitSeconds = *p.MaxWaitSeconds
		}
		if err := p.queueRoutingParams.apply(&cur.QueueRouting); err != nil {
			return cur, err
		}
		return cur, nil
	})
	if err != nil {
		return store.Queue{}, s.fail("queue.put", err)
	}
	s.changed("queue", q.ID, "put", func(ap Applier) { ap.ApplyQueue(q) })
	return q, nil
}

func (s *session) queueGet(ctx context.Context, p idParams) (queueWithMembers, error) {
	if err := p.check(); err != nil {
		return queueWithMembers{}, err
	}
	q, err := s.c.cfg.Store.GetQueue(ctx, p.ID)
	if err != nil {
		return queueWithMembers{}, s.fail("queue.get", err)
	}
	agents, err := s.c.cfg.Store.ListAgents(ctx)
	if err != nil {
		return queueWithMembers{}, s.fail("queue.get", err)
	}
	return queueWithMembers{Queue: q, Members: store.Members(q, agents)}, nil
}

func (s *session) queueDelete(ctx context.Context, p idParams) (empty, error) {
	if err := p.check(); err != nil {
		return empty{}, err
	}
	if err := s.c.cfg.Store.DeleteQueue(ctx, p.ID); err != nil {
		return empty{}, s.fail("queue.delete", err)
	}
	s.changed("queue", p.ID, "delete", func(ap Applier) { ap.RemoveQueue(p.ID) })
	return empty{}, nil
}

func (s *session) queueList(ctx context.Context, _ struct{}) ([]store.Queue, error) {
	qs, err := s.c.cfg.Store.ListQueues(ctx)
	if err != nil {
		return nil, s.fail("queue.list", err)
	}
	return qs, nil
}

type numberParams struct {
	Number string `json:"number"`
}

func (s *session) routePut(ctx context.Context, p store.Route) (store.Route, error) {
	r, err := s.c.cfg.Store.PutRoute(ctx, p)
	if err != nil {
		return store.Route{}, s.fail("route.put", err)
	}
	s.changed("route", r.Number, "put", func(ap Applier) { ap.ApplyRoute(r) })
	return r, nil
}

func (s *session) routeGet(ctx context.Context, p numberParams) (store.Route, error) {
	if p.Number == "" {
		return store.Route{}, ws.InvalidParams("number: required")
	}
	r, err := s.c.cfg.Store.GetRoute(ctx, p.Number)
	if err != nil {
		return store.Route{}, s.fail("route.get", err)
	}
	return r, nil
}

func (s *session) routeDelete(ctx context.Context, p numberParams) (empty, error) {
	if p.Number == "" {
		return empty{}, ws.InvalidParams("number: required")
	}
	if err := s.c.cfg.Store.DeleteRoute(ctx, p.Number); err != nil {
		return empty{}, s.fail("route.delete", err)
	}
	s.changed("route", p.Number, "delete", func(ap Applier) { ap.RemoveRoute(p.Number) })
	return empty{}, nil
}

func (s *session) routeList(ctx context.Context, _ struct{}) ([]store.Route, error) {
	rs, err := s.c.cfg.Store.ListRoutes(ctx)
	if err != nil {
		return nil, s.fail("route.list", err)
	}
	return rs, nil
}

// configState is the state answer without a Floor.
type configState struct {
	Agents []store.Agent `json:"agents"`
	Queues []store.Queue `json:"queues"`
	Calls  []struct{}    `json:"calls"`
}

func (s *session) state(ctx context.Context, _ struct{}) (any, error) {
	if f := s.c.cfg.Floor; f != nil {
		return f.State(), nil
	}
	as, err := s.c.cfg.Store.ListAgents(ctx)
	if err != nil {
		return nil, s.fail("state", err)
	}
	qs, err := s.c.cfg.Store.ListQueues(ctx)
	if err != nil {
		return nil, s.fail("state", err)
	}
	return configState{Agents: as, Queues: qs, Calls: []struct{}{}}, nil
}

type callParams struct {
	Call string `json:"call"`
	// Node is the node that holds the call (its `node` in `state`, on
	// several nodes); "" is the serving node.
	Node string `json:"node"`
}

func (s *session) callHangup(ctx context.Context, p callParams) (empty, error) {
	if p.Call == "" {
		return empty{}, ws.InvalidParams("call: required")
	}
	if s.c.cfg.Floor == nil {
		return empty{}, ws.NotFound("call " + p.Call + ": no live floor")
	}
	if err := s.c.cfg.Floor.HangupCall(ctx, p.Node, p.Call); err != nil {
		return empty{}, s.fail("call.hangup", err)
	}
	s.log.Info("admin hung up call", "call", p.Call, "node", p.Node)
	return empty{}, nil
}

type historyParams struct {
	Since string `json:"since"`
	Until string `json:"until"`
	Agent string `json:"agent"`
	Queue string `json:"queue"`
	Limit int    `json:"limit"`
	// Channel (records.list, PROTOCOL §10): "voice" for calls, a task channel.
	Channel string `json:"channel"`
}

func (p historyParams) filter() (store.RecordFilter, error) {
	f := store.RecordFilter{Agent: p.Agent, Queue: p.Queue, Limit: p.Limit, Channel: p.Channel}
	var err error
	if p.Since != "" {
		if f.Since, err = time.Parse(time.RFC3339Nano, p.Since); err != nil {
			return f, ws.InvalidParams("since: must be an RFC 3339 time, e.g. 2026-01-02T15:04:05.000Z")
		}
	}
	if p.Until != "" {
		if f.Until, err = time.Parse(time.RFC3339Nano, p.Until); err != nil {
			return f, ws.InvalidParams("until: must be an RFC 3339 time, e.g. 2026-01-02T15:04:05.000Z")
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, ws.InvalidParams("until: must be after since")
	}
	if p.Limit < 0 || p.Limit > store.MaxRecordLimit {
		return f, ws.InvalidParams("limit: out of range 0..1000")
	}
	return f, nil
}

func (s *session) recordsList(ctx context.Context, p historyParams) ([]store.CallRecord, error) {
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	rs, err := s.c.cfg.Store.ListRecords(ctx, f)
	if err != nil {
		return nil, s.fail("records.list", err)
	}
	return rs, nil
}

func (s *session) eventsList(ctx context.Context, p historyParams) ([]events.Event, error) {
	f, err := p.filter()
	if err != nil {
		return nil, err
	}
	es, err := s.c.cfg.Store.ListEvents(ctx, f)
	if err != nil {
		return nil, s.fail("events.list", err)
	}
	return es, nil
}
