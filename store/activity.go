package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Activity is an agent presence (PROTOCOL §10, custom activities). The
// four built-ins (available, unavailable, break, offline) always exist and
// cannot be changed or deleted; a custom one is offered work when
// Available.
type Activity struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Available bool   `json:"available"`
	BuiltIn   bool   `json:"built_in"`
}

// BuiltInActivities are the v1 activities.
var BuiltInActivities = []Activity{
	{ID: "available", Name: "Available", Available: true, BuiltIn: true},
	{ID: "unavailable", Name: "Unavailable", BuiltIn: true},
	{ID: "break", Name: "Break", BuiltIn: true},
	{ID: "offline", Name: "Offline", BuiltIn: true},
}

// MaxActivities bounds the custom activities.
const MaxActivities = 64

// ActivityStore persists custom activities. The SQLite store implements it.
type ActivityStore interface {
	PutActivity(ctx context.Context, a Activity) (Activity, error)
	DeleteActivity(ctx context.Context, id string) error
	// ListActivities returns the built-ins, then the custom ones by id.
	ListActivities(ctx context.Context) ([]Activity, error)
}

func builtIn(id string) bool {
	return slices.ContainsFunc(BuiltInActivities, func(a Activity) bool { return a.ID == id })
}

const migrationActivities = `CREATE TABLE activities (
		id  TEXT PRIMARY KEY,
		doc TEXT NOT NULL
	);`

// PutActivity creates or replaces a custom activity.
func (s *SQLite) PutActivity(ctx context.Context, a Activity) (Activity, error) {
	if e := checkID("id", a.ID); e != nil {
		return Activity{}, e
	}
	if builtIn(a.ID) {
		return Activity{}, invalid("id", "%s is a built-in activity and cannot be changed", a.ID)
	}
	if a.Name == "" {
		a.Name = a.ID
	}
	if e := checkName(a.Name); e != nil {
		return Activity{}, e
	}
	a.BuiltIn = false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM activities WHERE id != ?`, a.ID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxActivities {
			return invalid("id", "at most %d custom activities", MaxActivities)
		}
		return putRoutingDoc(ctx, tx, "activities", "id", a.ID, a)
	})
	if err != nil {
		return Activity{}, err
	}
	return a, nil
}

// DeleteActivity deletes a custom activity; built-ins are refused.
func (s *SQLite) DeleteActivity(ctx context.Context, id string) error {
	if builtIn(id) {
		return invalid("id", "%s is a built-in activity and cannot be deleted", id)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		return deleteRow(ctx, tx, `DELETE FROM activities WHERE id = ?`, "activity", id)
	})
}

// ListActivities returns the built-ins, then the custom activities by id.
func (s *SQLite) ListActivities(ctx context.Context) ([]Activity, error) {
	out := slices.Clone(BuiltInActivities)
	rows, err := s.db.QueryContext(ctx, `SELECT id, doc FROM activities ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list activities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, doc string
		if err := rows.Scan(&id, &doc); err != nil {
			return nil, err
		}
		var a Activity
		if err := json.Unmarshal([]byte(doc), &a); err != nil {
			return nil, errors.Join(fmt.Errorf("activity %s: stored document", id), err)
		}
		a.ID = id
		out = append(out, a)
	}
	return out, rows.Err()
}

var _ ActivityStore = (*SQLite)(nil)
