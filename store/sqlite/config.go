package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"switchboard/store"
)

// PutAgent creates or replaces agent a.ID. Capacity 0 means
// DefaultCapacity, an empty Name means the ID, an empty PasswordHash keeps
// the current password. It returns the stored agent.
func (s *SQLite) PutAgent(ctx context.Context, a store.Agent) (store.Agent, error) {
	return s.EditAgent(ctx, a.ID, func(cur store.Agent, _ bool) (store.Agent, error) {
		if a.PasswordHash == "" {
			a.PasswordHash = cur.PasswordHash
		}
		return a, nil
	})
}

// EditAgent reads agent id, applies edit and writes the result, all in one
// transaction, and returns the stored agent. Defaults and validation are
// as for PutAgent.
func (s *SQLite) EditAgent(ctx context.Context, id string, edit store.AgentEdit) (store.Agent, error) {
	if e := store.CheckID("id", id); e != nil {
		return store.Agent{}, e
	}
	var out store.Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getAgent(ctx, tx, id)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if !exists {
			cur = store.Agent{ID: id, Queues: []string{}}
		}
		next, err := edit(cur, exists)
		if err != nil {
			return err
		}
		next.ID = id
		if next.Capacity == 0 {
			next.Capacity = store.DefaultCapacity
		}
		if next.Name == "" {
			next.Name = id
		}
		if next.Queues == nil {
			next.Queues = []string{}
		}
		if e := store.CheckAgentStatic(&next); e != nil {
			return e
		}
		if e := store.NormalizeAgentRouting(&next.AgentRouting); e != nil {
			return e
		}
		var other string
		switch err := tx.QueryRowContext(ctx, `SELECT id FROM agents WHERE extension = ? AND id != ?`, next.Extension, id).Scan(&other); {
		case err == nil:
			return &store.ValidationError{Field: "extension", Reason: fmt.Sprintf("%s already used by agent %s", next.Extension, other), Err: store.ErrDuplicate}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		for _, q := range next.Queues {
			if _, err := getQueue(ctx, tx, q); errors.Is(err, store.ErrNotFound) {
				return store.Invalid("queues", "unknown queue %s", q)
			} else if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO agents (id, name, extension, capacity, password_hash) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, extension = excluded.extension,
			capacity = excluded.capacity, password_hash = excluded.password_hash`,
			id, next.Name, next.Extension, next.Capacity, next.PasswordHash); err != nil {
			return fmt.Errorf("put agent %s: %w", id, err)
		}
		if err := putCallerID(ctx, tx, id, next.CallerID); err != nil {
			return err
		}
		if err := agentRouting.put(ctx, tx, next.ID, next.AgentRouting); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM agent_queues WHERE agent_id = ?`, id); err != nil {
			return err
		}
		for i, q := range next.Queues {
			if _, err := tx.ExecContext(ctx, `INSERT INTO agent_queues (agent_id, queue_id, pos) VALUES (?, ?, ?)`, id, q, i); err != nil {
				return fmt.Errorf("put agent %s queue %s: %w", id, q, err)
			}
		}
		out, err = getAgent(ctx, tx, id)
		return err
	})
	return out, err
}

// GetAgent returns agent id, or an error wrapping ErrNotFound.
func (s *SQLite) GetAgent(ctx context.Context, id string) (store.Agent, error) {
	return getAgent(ctx, s.db, id)
}

// DeleteAgent deletes agent id (and its queue memberships).
func (s *SQLite) DeleteAgent(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM agents WHERE id = ?`, "agent", id)
	})
}

// ListAgents returns every agent, ordered by id.
func (s *SQLite) ListAgents(ctx context.Context) ([]store.Agent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, extension, capacity, password_hash FROM agents ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	agents := []store.Agent{}
	byID := map[string]int{}
	for rows.Next() {
		var a store.Agent
		if err := rows.Scan(&a.ID, &a.Name, &a.Extension, &a.Capacity, &a.PasswordHash); err != nil {
			rows.Close()
			return nil, err
		}
		a.Queues = []string{}
		byID[a.ID] = len(agents)
		agents = append(agents, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := agentRouting.list(ctx, s.db, len(agents), func(i int) (string, *store.AgentRouting) { return agents[i].ID, &agents[i].AgentRouting }); err != nil {
		return nil, err
	}
	if err := listCallerIDs(ctx, s.db, agents, byID); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT agent_id, queue_id FROM agent_queues ORDER BY agent_id, pos`)
	if err != nil {
		return nil, fmt.Errorf("list agent queues: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, q string
		if err := rows.Scan(&a, &q); err != nil {
			return nil, err
		}
		if i, ok := byID[a]; ok {
			agents[i].Queues = append(agents[i].Queues, q)
		}
	}
	return agents, rows.Err()
}

// PutQueue creates or replaces queue q.ID. TimeoutSeconds 0 means 15, an
// empty Name means the ID. It returns the stored queue.
func (s *SQLite) PutQueue(ctx context.Context, q store.Queue) (store.Queue, error) {
	return s.EditQueue(ctx, q.ID, func(store.Queue, bool) (store.Queue, error) { return q, nil })
}

// EditQueue is EditAgent for queues.
func (s *SQLite) EditQueue(ctx context.Context, id string, edit store.QueueEdit) (store.Queue, error) {
	if e := store.CheckID("id", id); e != nil {
		return store.Queue{}, e
	}
	var out store.Queue
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getQueue(ctx, tx, id)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if !exists {
			cur = store.Queue{ID: id}
		}
		next, err := edit(cur, exists)
		if err != nil {
			return err
		}
		next.ID = id
		if next.TimeoutSeconds == 0 {
			next.TimeoutSeconds = store.DefaultTimeoutSeconds
		}
		if next.MaxWaitSeconds == 0 {
			next.MaxWaitSeconds = store.DefaultMaxWaitSeconds
		}
		if next.Name == "" {
			next.Name = id
		}
		if e := store.CheckQueueStatic(&next); e != nil {
			return e
		}
		if e := store.NormalizeQueueRouting(&next.QueueRouting); e != nil {
			return e
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO queues (id, name, timeout_seconds, wrapup_seconds, allow_busy_agents, priority, max_wait_seconds)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,
			timeout_seconds = excluded.timeout_seconds, wrapup_seconds = excluded.wrapup_seconds,
			allow_busy_agents = excluded.allow_busy_agents, priority = excluded.priority,
			max_wait_seconds = excluded.max_wait_seconds`,
			id, next.Name, next.TimeoutSeconds, next.WrapupSeconds, next.AllowBusyAgents, next.Priority, next.MaxWaitSeconds); err != nil {
			return fmt.Errorf("put queue %s: %w", id, err)
		}
		if err := queueRouting.put(ctx, tx, next.ID, next.QueueRouting); err != nil {
			return err
		}
		out, err = getQueue(ctx, tx, id)
		return err
	})
	return out, err
}

// GetQueue returns queue id, or an error wrapping ErrNotFound.
func (s *SQLite) GetQueue(ctx context.Context, id string) (store.Queue, error) {
	return getQueue(ctx, s.db, id)
}

// DeleteQueue deletes queue id. It is refused (a *ValidationError on field
// "id" wrapping ErrInUse) while a route targets the queue or an agent is a
// member.
func (s *SQLite) DeleteQueue(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := getQueue(ctx, tx, id); err != nil {
			return err
		}
		var users []string
		rows, err := tx.QueryContext(ctx, `SELECT 'route ' || number FROM routes WHERE target = ?
			UNION ALL SELECT 'agent ' || agent_id FROM agent_queues WHERE queue_id = ? LIMIT 6`, "queue:"+id, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return err
			}
			users = append(users, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		wfs, err := workflowsUsing(ctx, tx, id)
		if err != nil {
			return err
		}
		users = append(users, wfs...)
		menus, err := menusUsing(ctx, tx, "queue:"+id, "")
		if err != nil {
			return err
		}
		users = append(users, menus...)
		if len(users) > 0 {
			if len(users) > 5 {
				users = append(users[:5], "more")
			}
			return &store.ValidationError{Field: "id", Reason: fmt.Sprintf("queue %s is used by %s", id, strings.Join(users, ", ")), Err: store.ErrInUse}
		}
		return deleteRow(ctx, tx, `DELETE FROM queues WHERE id = ?`, "queue", id)
	})
}

// ListQueues returns every queue, ordered by id.
func (s *SQLite) ListQueues(ctx context.Context) ([]store.Queue, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, timeout_seconds, wrapup_seconds, allow_busy_agents, priority, max_wait_seconds FROM queues ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	defer rows.Close()
	queues := []store.Queue{}
	for rows.Next() {
		var q store.Queue
		if err := rows.Scan(&q.ID, &q.Name, &q.TimeoutSeconds, &q.WrapupSeconds, &q.AllowBusyAgents, &q.Priority, &q.MaxWaitSeconds); err != nil {
			return nil, err
		}
		queues = append(queues, q)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return queues, queueRouting.list(ctx, s.db, len(queues), func(i int) (string, *store.QueueRouting) { return queues[i].ID, &queues[i].QueueRouting })
}

// PutRoute creates or replaces the route of r.Number. A queue:, workflow:
// or ivr:menu: target must name an existing queue, workflow or menu.
func (s *SQLite) PutRoute(ctx context.Context, r store.Route) (store.Route, error) {
	if e := store.CheckNumber(r.Number); e != nil {
		return store.Route{}, e
	}
	if _, e := store.ParseTarget(r.Target); e != nil {
		return store.Route{}, e
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := targetExists(ctx, tx, r.Target, ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO routes (number, target) VALUES (?, ?)
			ON CONFLICT (number) DO UPDATE SET target = excluded.target`, r.Number, r.Target)
		return err
	})
	if err != nil {
		return store.Route{}, err
	}
	return r, nil
}

// GetRoute returns the route of number, or an error wrapping ErrNotFound.
func (s *SQLite) GetRoute(ctx context.Context, number string) (store.Route, error) {
	r := store.Route{Number: number}
	err := s.db.QueryRowContext(ctx, `SELECT target FROM routes WHERE number = ?`, number).Scan(&r.Target)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Route{}, fmt.Errorf("route %s: %w", number, store.ErrNotFound)
	}
	return r, err
}

// DeleteRoute deletes the route of number.
func (s *SQLite) DeleteRoute(ctx context.Context, number string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM routes WHERE number = ?`, "route", number)
	})
}

// ListRoutes returns every route, ordered by number.
func (s *SQLite) ListRoutes(ctx context.Context) ([]store.Route, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT number, target FROM routes ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	defer rows.Close()
	routes := []store.Route{}
	for rows.Next() {
		var r store.Route
		if err := rows.Scan(&r.Number, &r.Target); err != nil {
			return nil, err
		}
		routes = append(routes, r)
	}
	return routes, rows.Err()
}

// querier is *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getAgent(ctx context.Context, q querier, id string) (store.Agent, error) {
	a := store.Agent{ID: id, Queues: []string{}}
	err := q.QueryRowContext(ctx, `SELECT name, extension, capacity, password_hash FROM agents WHERE id = ?`, id).
		Scan(&a.Name, &a.Extension, &a.Capacity, &a.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Agent{}, fmt.Errorf("agent %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Agent{}, fmt.Errorf("get agent %s: %w", id, err)
	}
	if a.CallerID, err = getCallerID(ctx, q, id); err != nil {
		return store.Agent{}, err
	}
	if err := agentRouting.get(ctx, q, a.ID, &a.AgentRouting); err != nil {
		return store.Agent{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT queue_id FROM agent_queues WHERE agent_id = ? ORDER BY pos`, id)
	if err != nil {
		return store.Agent{}, fmt.Errorf("get agent %s queues: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var qid string
		if err := rows.Scan(&qid); err != nil {
			return store.Agent{}, err
		}
		a.Queues = append(a.Queues, qid)
	}
	return a, rows.Err()
}

func getQueue(ctx context.Context, q querier, id string) (store.Queue, error) {
	out := store.Queue{ID: id}
	err := q.QueryRowContext(ctx, `SELECT name, timeout_seconds, wrapup_seconds, allow_busy_agents, priority, max_wait_seconds FROM queues WHERE id = ?`, id).
		Scan(&out.Name, &out.TimeoutSeconds, &out.WrapupSeconds, &out.AllowBusyAgents, &out.Priority, &out.MaxWaitSeconds)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Queue{}, fmt.Errorf("queue %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Queue{}, fmt.Errorf("get queue %s: %w", id, err)
	}
	return out, queueRouting.get(ctx, q, out.ID, &out.QueueRouting)
}

func deleteRow(ctx context.Context, tx *sql.Tx, query, kind, id string) error {
	res, err := tx.ExecContext(ctx, query, id)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s %s: %w", kind, id, store.ErrNotFound)
	}
	return nil
}
