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

// routingDoc is where one kind's section 10 fields are kept: a table of
// JSON documents by key, read with the defaults filled in.
type routingDoc[R any] struct {
	table, key, kind string
	normalize        func(*R) *store.ValidationError
}

var (
	agentRouting = routingDoc[store.AgentRouting]{"agent_routing", "agent_id", "agent routing", store.NormalizeAgentRouting}
	queueRouting = routingDoc[store.QueueRouting]{"queue_routing", "queue_id", "queue routing", store.NormalizeQueueRouting}
)

func (d routingDoc[R]) put(ctx context.Context, tx *sql.Tx, id string, r R) error {
	return putRoutingDoc(ctx, tx, d.table, d.key, id, r)
}

// get fills r with id's fields (defaults when none are stored).
func (d routingDoc[R]) get(ctx context.Context, q querier, id string, r *R) error {
	if err := getRoutingDoc(ctx, q, d.table, d.key, id, r); err != nil {
		return err
	}
	_ = d.normalize(r) // validated when written: only the defaults apply here
	return nil
}

// list fills the fields of n items (item(i): the id and its fields) from
// what is stored, then the defaults of all.
func (d routingDoc[R]) list(ctx context.Context, q querier, n int, item func(i int) (string, *R)) error {
	fields := make(map[string]*R, n)
	for i := range n {
		id, f := item(i)
		fields[id] = f
	}
	err := listDocs(ctx, q, d.table, d.key, d.kind, func(id string, r R) error {
		if f, ok := fields[id]; ok {
			*f = r
		}
		return nil
	})
	for _, f := range fields {
		_ = d.normalize(f) // as in get
	}
	return err
}
