package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"switchboard/store"
)

// migrationWorkflows keeps each workflow as one JSON document.
const migrationWorkflows = `CREATE TABLE workflows (
		id  TEXT PRIMARY KEY,
		doc TEXT NOT NULL
	);`

// PutWorkflow creates or replaces workflow w.ID after NormalizeWorkflow;
// every queue it names must exist.
func (s *SQLite) PutWorkflow(ctx context.Context, w store.Workflow) (store.Workflow, error) {
	if e := store.NormalizeWorkflow(&w); e != nil {
		return store.Workflow{}, e
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range w.Queues() {
			if _, err := getQueue(ctx, tx, q); errors.Is(err, store.ErrNotFound) {
				return store.Invalid("filters", "unknown queue %s", q)
			} else if err != nil {
				return err
			}
		}
		return putRoutingDoc(ctx, tx, "workflows", "id", w.ID, w)
	})
	if err != nil {
		return store.Workflow{}, err
	}
	return w, nil
}

// GetWorkflow returns workflow id, or an error wrapping ErrNotFound.
func (s *SQLite) GetWorkflow(ctx context.Context, id string) (store.Workflow, error) {
	return getWorkflow(ctx, s.db, id)
}

func getWorkflow(ctx context.Context, q querier, id string) (store.Workflow, error) {
	w, err := getDoc[store.Workflow](ctx, q, "workflows", "workflow", id)
	w.ID = id
	return w, err
}

// getDoc reads the JSON document id of table (kind names it in errors:
// ErrNotFound wrapped when there is none).
func getDoc[T any](ctx context.Context, q querier, table, kind, id string) (T, error) {
	var v T
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM `+table+` WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("%s %s: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return v, fmt.Errorf("%s %s: stored document: %w", kind, id, err)
	}
	return v, nil
}

// DeleteWorkflow deletes workflow id; refused while a route targets it.
func (s *SQLite) DeleteWorkflow(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n string
		switch err := tx.QueryRowContext(ctx, `SELECT number FROM routes WHERE target = ? LIMIT 1`, "workflow:"+id).Scan(&n); {
		case err == nil:
			return &store.ValidationError{Field: "id", Reason: fmt.Sprintf("workflow %s is used by route %s", id, n), Err: store.ErrInUse}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if users, err := menusUsing(ctx, tx, "workflow:"+id, ""); err != nil {
			return err
		} else if len(users) > 0 {
			return &store.ValidationError{Field: "id", Reason: fmt.Sprintf("workflow %s is used by %s", id, strings.Join(users, ", ")), Err: store.ErrInUse}
		}
		return deleteRow(ctx, tx, `DELETE FROM workflows WHERE id = ?`, "workflow", id)
	})
}

// ListWorkflows returns every workflow, by id.
func (s *SQLite) ListWorkflows(ctx context.Context) ([]store.Workflow, error) {
	out := []store.Workflow{}
	var ids []string
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM workflows ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list workflows: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		w, err := getWorkflow(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

var _ store.WorkflowStore = (*SQLite)(nil)

// workflowsUsing names the workflows ("workflow <id>") that route through
// queue q.
func workflowsUsing(ctx context.Context, tx *sql.Tx, q string) ([]string, error) {
	var out []string
	err := listDocs(ctx, tx, "workflows", "id", "workflow", func(id string, w store.Workflow) error {
		for _, x := range w.Queues() {
			if x == q {
				out = append(out, "workflow "+id)
				break
			}
		}
		return nil
	})
	return out, err
}
