package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// PutAgent creates or replaces agent a.ID. Capacity 0 means
// DefaultCapacity, an empty Name means the ID, an empty PasswordHash keeps
// the current password. It returns the stored agent.
func (s *SQLite) PutAgent(ctx context.Context, a Agent) (Agent, error) {
	return s.EditAgent(ctx, a.ID, func(cur Agent, _ bool) (Agent, error) {
		if a.PasswordHash == "" {
			a.PasswordHash = cur.PasswordHash
		}
		return a, nil
	})
}

// EditAgent reads agent id, applies edit and writes the result, all in one
// transaction, and returns the stored agent. Defaults and validation are
// as for PutAgent.
func (s *SQLite) EditAgent(ctx context.Context, id string, edit AgentEdit) (Agent, error) {
	if e := checkID("id", id); e != nil {
		return Agent{}, e
	}
	var out Agent
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getAgent(ctx, tx, id)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if !exists {
			cur = Agent{ID: id, Queues: []string{}}
		}
		next, err := edit(cur, exists)
		if err != nil {
			return err
		}
		next.ID = id
		if next.Capacity == 0 {
			next.Capacity = DefaultCapacity
		}
		if next.Name == "" {
			next.Name = id
		}
		if next.Queues == nil {
			next.Queues = []string{}
		}
		if e := checkAgentStatic(&next); e != nil {
			return e
		}
		if e := normalizeAgentRouting(&next.AgentRouting); e != nil {
			return e
		}
		var other string
		switch err := tx.QueryRowContext(ctx, `SELECT id FROM agents WHERE extension = ? AND id != ?`, next.Extension, id).Scan(&other); {
		case err == nil:
			return &ValidationError{Field: "extension", Reason: fmt.Sprintf("%s already used by agent %s", next.Extension, other), Err: ErrDuplicate}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		for _, q := range next.Queues {
			if _, err := getQueue(ctx, tx, q); errors.Is(err, ErrNotFound) {
				return invalid("queues", "unknown queue %s", q)
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
		if err := putAgentRouting(ctx, tx, &next); err != nil {
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
func (s *SQLite) GetAgent(ctx context.Context, id string) (Agent, error) {
	return getAgent(ctx, s.db, id)
}

// DeleteAgent deletes agent id (and its queue memberships).
func (s *SQLite) DeleteAgent(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM agents WHERE id = ?`, "agent", id)
	})
}

// ListAgents returns every agent, ordered by id.
func (s *SQLite) ListAgents(ctx context.Context) ([]Agent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, extension, capacity, password_hash FROM agents ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	agents := []Agent{}
	byID := map[string]int{}
	for rows.Next() {
		var a Agent
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
	if err := listAgentRouting(ctx, s.db, agents, byID); err != nil {
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
func (s *SQLite) PutQueue(ctx context.Context, q Queue) (Queue, error) {
	return s.EditQueue(ctx, q.ID, func(Queue, bool) (Queue, error) { return q, nil })
}

// EditQueue is EditAgent for queues.
func (s *SQLite) EditQueue(ctx context.Context, id string, edit QueueEdit) (Queue, error) {
	if e := checkID("id", id); e != nil {
		return Queue{}, e
	}
	var out Queue
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getQueue(ctx, tx, id)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if !exists {
			cur = Queue{ID: id}
		}
		next, err := edit(cur, exists)
		if err != nil {
			return err
		}
		next.ID = id
		if next.TimeoutSeconds == 0 {
			next.TimeoutSeconds = DefaultTimeoutSeconds
		}
		if next.MaxWaitSeconds == 0 {
			next.MaxWaitSeconds = DefaultMaxWaitSeconds
		}
		if next.Name == "" {
			next.Name = id
		}
		if e := checkQueueStatic(&next); e != nil {
			return e
		}
		if e := normalizeQueueRouting(&next.QueueRouting); e != nil {
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
		if err := putQueueRouting(ctx, tx, &next); err != nil {
			return err
		}
		out, err = getQueue(ctx, tx, id)
		return err
	})
	return out, err
}

// GetQueue returns queue id, or an error wrapping ErrNotFound.
func (s *SQLite) GetQueue(ctx context.Context, id string) (Queue, error) {
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
		if len(users) > 0 {
			if len(users) > 5 {
				users = append(users[:5], "more")
			}
			return &ValidationError{Field: "id", Reason: fmt.Sprintf("queue %s is used by %s", id, strings.Join(users, ", ")), Err: ErrInUse}
		}
		return deleteRow(ctx, tx, `DELETE FROM queues WHERE id = ?`, "queue", id)
	})
}

// ListQueues returns every queue, ordered by id.
func (s *SQLite) ListQueues(ctx context.Context) ([]Queue, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, timeout_seconds, wrapup_seconds, allow_busy_agents, priority, max_wait_seconds FROM queues ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	defer rows.Close()
	queues := []Queue{}
	for rows.Next() {
		var q Queue
		if err := rows.Scan(&q.ID, &q.Name, &q.TimeoutSeconds, &q.WrapupSeconds, &q.AllowBusyAgents, &q.Priority, &q.MaxWaitSeconds); err != nil {
			return nil, err
		}
		queues = append(queues, q)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return queues, listQueueRouting(ctx, s.db, queues)
}

// PutRoute creates or replaces the route of r.Number. A "queue:<id>"
// target must name an existing queue.
func (s *SQLite) PutRoute(ctx context.Context, r Route) (Route, error) {
	if e := checkNumber(r.Number); e != nil {
		return Route{}, e
	}
	queue, e := parseTarget(r.Target)
	if e != nil {
		return Route{}, e
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if queue != "" {
			if _, err := getQueue(ctx, tx, queue); errors.Is(err, ErrNotFound) {
				return invalid("target", "unknown queue %s", queue)
			} else if err != nil {
				return err
			}
		}
		if wf, ok := strings.CutPrefix(r.Target, "workflow:"); ok {
			if _, err := getWorkflow(ctx, tx, wf); errors.Is(err, ErrNotFound) {
				return invalid("target", "unknown workflow %s", wf)
			} else if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO routes (number, target) VALUES (?, ?)
			ON CONFLICT (number) DO UPDATE SET target = excluded.target`, r.Number, r.Target)
		return err
	})
	if err != nil {
		return Route{}, err
	}
	return r, nil
}

// GetRoute returns the route of number, or an error wrapping ErrNotFound.
func (s *SQLite) GetRoute(ctx context.Context, number string) (Route, error) {
	r := Route{Number: number}
	err := s.db.QueryRowContext(ctx, `SELECT target FROM routes WHERE number = ?`, number).Scan(&r.Target)
	if errors.Is(err, sql.ErrNoRows) {
		return Route{}, fmt.Errorf("route %s: %w", number, ErrNotFound)
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
func (s *SQLite) ListRoutes(ctx context.Context) ([]Route, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT number, target FROM routes ORDER BY number`)
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	defer rows.Close()
	routes := []Route{}
	for rows.Next() {
		var r Route
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

func getAgent(ctx context.Context, q querier, id string) (Agent, error) {
	a := Agent{ID: id, Queues: []string{}}
	err := q.QueryRowContext(ctx, `SELECT name, extension, capacity, password_hash FROM agents WHERE id = ?`, id).
		Scan(&a.Name, &a.Extension, &a.Capacity, &a.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Agent{}, fmt.Errorf("get agent %s: %w", id, err)
	}
	if a.CallerID, err = getCallerID(ctx, q, id); err != nil {
		return Agent{}, err
	}
	if err := getAgentRouting(ctx, q, &a); err != nil {
		return Agent{}, err
	}
	rows, err := q.QueryContext(ctx, `SELECT queue_id FROM agent_queues WHERE agent_id = ? ORDER BY pos`, id)
	if err != nil {
		return Agent{}, fmt.Errorf("get agent %s queues: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var qid string
		if err := rows.Scan(&qid); err != nil {
			return Agent{}, err
		}
		a.Queues = append(a.Queues, qid)
	}
	return a, rows.Err()
}

func getQueue(ctx context.Context, q querier, id string) (Queue, error) {
	out := Queue{ID: id}
	err := q.QueryRowContext(ctx, `SELECT name, timeout_seconds, wrapup_seconds, allow_busy_agents, priority, max_wait_seconds FROM queues WHERE id = ?`, id).
		Scan(&out.Name, &out.TimeoutSeconds, &out.WrapupSeconds, &out.AllowBusyAgents, &out.Priority, &out.MaxWaitSeconds)
	if errors.Is(err, sql.ErrNoRows) {
		return Queue{}, fmt.Errorf("queue %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Queue{}, fmt.Errorf("get queue %s: %w", id, err)
	}
	return out, getQueueRouting(ctx, q, &out)
}

func deleteRow(ctx context.Context, tx *sql.Tx, query, kind, id string) error {
	res, err := tx.ExecContext(ctx, query, id)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	return nil
}
