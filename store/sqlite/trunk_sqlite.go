package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"switchboard/store"
)

// migrationTrunks creates the trunks table (one JSON document per trunk,
// the password in its own column so it never travels with the document)
// and the agents' caller IDs (a side table, so the agents table keeps its
// shape).
const migrationTrunks = `CREATE TABLE trunks (
		id       TEXT PRIMARY KEY,
		config   TEXT NOT NULL,
		password TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE agent_caller_ids (
		agent_id  TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
		caller_id TEXT NOT NULL
	);`

// PutTrunk creates or replaces trunk t.ID after NormalizeTrunk. An empty
// Password keeps the stored one. It returns the stored trunk.
func (s *SQLite) PutTrunk(ctx context.Context, t store.Trunk) (store.Trunk, error) {
	if e := store.NormalizeTrunk(&t); e != nil {
		return store.Trunk{}, e
	}
	var out store.Trunk
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if t.Password == "" {
			cur, err := getTrunk(ctx, tx, t.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			t.Password = cur.Password
		}
		doc, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO trunks (id, config, password) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET config = excluded.config, password = excluded.password`,
			t.ID, string(doc), t.Password); err != nil {
			return fmt.Errorf("put trunk %s: %w", t.ID, err)
		}
		out, err = getTrunk(ctx, tx, t.ID)
		return err
	})
	return out, err
}

// GetTrunk returns trunk id (with its password), or an error wrapping
// ErrNotFound.
func (s *SQLite) GetTrunk(ctx context.Context, id string) (store.Trunk, error) {
	return getTrunk(ctx, s.db, id)
}

// DeleteTrunk deletes trunk id.
func (s *SQLite) DeleteTrunk(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM trunks WHERE id = ?`, "trunk", id)
	})
}

// ListTrunks returns every trunk (with passwords), ordered by id.
func (s *SQLite) ListTrunks(ctx context.Context) ([]store.Trunk, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, config, password FROM trunks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list trunks: %w", err)
	}
	defer rows.Close()
	out := []store.Trunk{}
	for rows.Next() {
		var id, doc, pw string
		if err := rows.Scan(&id, &doc, &pw); err != nil {
			return nil, err
		}
		t, err := decodeTrunk(id, doc, pw)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func getTrunk(ctx context.Context, q querier, id string) (store.Trunk, error) {
	var doc, pw string
	err := q.QueryRowContext(ctx, `SELECT config, password FROM trunks WHERE id = ?`, id).Scan(&doc, &pw)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Trunk{}, fmt.Errorf("trunk %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Trunk{}, fmt.Errorf("get trunk %s: %w", id, err)
	}
	return decodeTrunk(id, doc, pw)
}

func decodeTrunk(id, doc, pw string) (store.Trunk, error) {
	var t store.Trunk
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return store.Trunk{}, fmt.Errorf("trunk %s: stored config: %w", id, err)
	}
	t.ID, t.Password, t.HasPassword = id, pw, pw != ""
	if t.Prefixes == nil {
		t.Prefixes = []string{}
	}
	if t.Allow == nil {
		t.Allow = []string{}
	}
	return t, nil
}

func putCallerID(ctx context.Context, tx *sql.Tx, agent, callerID string) error {
	if callerID == "" {
		_, err := tx.ExecContext(ctx, `DELETE FROM agent_caller_ids WHERE agent_id = ?`, agent)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO agent_caller_ids (agent_id, caller_id) VALUES (?, ?)
		ON CONFLICT (agent_id) DO UPDATE SET caller_id = excluded.caller_id`, agent, callerID)
	if err != nil {
		return fmt.Errorf("put agent %s caller id: %w", agent, err)
	}
	return nil
}

func getCallerID(ctx context.Context, q querier, agent string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT caller_id FROM agent_caller_ids WHERE agent_id = ?`, agent).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get agent %s caller id: %w", agent, err)
	}
	return v, nil
}

func listCallerIDs(ctx context.Context, q querier, agents []store.Agent, byID map[string]int) error {
	rows, err := q.QueryContext(ctx, `SELECT agent_id, caller_id FROM agent_caller_ids`)
	if err != nil {
		return fmt.Errorf("list agent caller ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, v string
		if err := rows.Scan(&a, &v); err != nil {
			return err
		}
		if i, ok := byID[a]; ok {
			agents[i].CallerID = v
		}
	}
	return rows.Err()
}

var _ store.TrunkStore = (*SQLite)(nil)
