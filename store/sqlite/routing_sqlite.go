package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"switchboard/store"
)

// migrationRouting keeps the section 10 fields of agents and queues as one
// JSON document each, in side tables, so the v1 tables keep their shape.
const migrationRouting = `CREATE TABLE agent_routing (
		agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
		doc      TEXT NOT NULL
	);
	CREATE TABLE queue_routing (
		queue_id TEXT PRIMARY KEY REFERENCES queues(id) ON DELETE CASCADE,
		doc      TEXT NOT NULL
	);`

func putRoutingDoc(ctx context.Context, tx *sql.Tx, table, key, id string, v any) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s %s: %w", table, id, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO `+table+` (`+key+`, doc) VALUES (?, ?)
		ON CONFLICT (`+key+`) DO UPDATE SET doc = excluded.doc`, id, string(doc))
	if err != nil {
		return fmt.Errorf("put %s %s: %w", table, id, err)
	}
	return nil
}

func getRoutingDoc(ctx context.Context, q querier, table, key, id string, v any) error {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM `+table+` WHERE `+key+` = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get %s %s: %w", table, id, err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("%s %s: stored document: %w", table, id, err)
	}
	return nil
}

func listRoutingDocs(ctx context.Context, q querier, table, key string, each func(id string, doc []byte) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+key+`, doc FROM `+table)
	if err != nil {
		return fmt.Errorf("list %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return err
		}
		if err := each(id, []byte(doc)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// listDocs calls each with the key and the document, decoded as a T, of
// every row of table; kind names a row in errors.
func listDocs[T any](ctx context.Context, q querier, table, key, kind string, each func(id string, v T) error) error {
	return listRoutingDocs(ctx, q, table, key, func(id string, doc []byte) error {
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return fmt.Errorf("%s %s: stored document: %w", kind, id, err)
		}
		return each(id, v)
	})
}

func putAgentRouting(ctx context.Context, tx *sql.Tx, a *store.Agent) error {
	return putRoutingDoc(ctx, tx, "agent_routing", "agent_id", a.ID, a.AgentRouting)
}

// getAgentRouting fills a's section 10 fields (defaults when none stored).
func getAgentRouting(ctx context.Context, q querier, a *store.Agent) error {
	if err := getRoutingDoc(ctx, q, "agent_routing", "agent_id", a.ID, &a.AgentRouting); err != nil {
		return err
	}
	_ = store.NormalizeAgentRouting(&a.AgentRouting) // validated when written: only the defaults apply here
	return nil
}

func listAgentRouting(ctx context.Context, q querier, agents []store.Agent, byID map[string]int) error {
	err := listDocs(ctx, q, "agent_routing", "agent_id", "agent routing", func(id string, r store.AgentRouting) error {
		if i, ok := byID[id]; ok {
			agents[i].AgentRouting = r
		}
		return nil
	})
	for i := range agents {
		_ = store.NormalizeAgentRouting(&agents[i].AgentRouting) // as above
	}
	return err
}

func putQueueRouting(ctx context.Context, tx *sql.Tx, q *store.Queue) error {
	return putRoutingDoc(ctx, tx, "queue_routing", "queue_id", q.ID, q.QueueRouting)
}

func getQueueRouting(ctx context.Context, qr querier, q *store.Queue) error {
	if err := getRoutingDoc(ctx, qr, "queue_routing", "queue_id", q.ID, &q.QueueRouting); err != nil {
		return err
	}
	_ = store.NormalizeQueueRouting(&q.QueueRouting) // validated when written: only the defaults apply here
	return nil
}

func listQueueRouting(ctx context.Context, qr querier, queues []store.Queue) error {
	byID := map[string]int{}
	for i, q := range queues {
		byID[q.ID] = i
	}
	err := listDocs(ctx, qr, "queue_routing", "queue_id", "queue routing", func(id string, r store.QueueRouting) error {
		if i, ok := byID[id]; ok {
			queues[i].QueueRouting = r
		}
		return nil
	})
	for i := range queues {
		_ = store.NormalizeQueueRouting(&queues[i].QueueRouting) // as above
	}
	return err
}
